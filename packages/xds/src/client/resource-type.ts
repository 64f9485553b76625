import type { AnyMessage } from '../any';

/** A resource that decoded and validated, as the typed value the caller works on. */
export interface Decoded<T> {
  name: string;
  value: T;
}

/**
 * One validator per resource type (grpc-js-xds's layout): decode an `Any` into a
 * typed value, or explain precisely why not. Errors become the NACK's message.
 */
export interface ResourceType<T> {
  readonly typeUrl: string;
  decode(any: AnyMessage): Decoded<T>;
}

/** Thrown by a validator: `field` is a path inside the resource, as in `filter_chains[0].filters[1]`. */
export class ResourceValidationError extends Error {
  constructor(
    readonly resourceName: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${resourceName || '<unnamed>'}: ${field}: ${problem}`);
  }
}
