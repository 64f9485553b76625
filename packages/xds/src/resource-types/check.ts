import { unpackAny } from '../any';
import { ResourceValidationError, type ResourceType } from '../client/resource-type';
import type { ConfigSource } from './envoy-types';

/** Small assertion helpers shared by the validators: each names the resource and the field. */
export class FieldChecker {
  constructor(readonly resource: string) {}

  fail(field: string, problem: string): never {
    throw new ResourceValidationError(this.resource, field, problem);
  }

  require(condition: unknown, field: string, problem: string): void {
    if (!condition) this.fail(field, problem);
  }

  port(value: number, field: string): void {
    this.require(Number.isInteger(value) && value >= 0 && value <= 65535, field, `port ${value} is out of range 0-65535`);
  }

  regex(pattern: string, field: string): void {
    try {
      new RegExp(pattern, 'u');
    } catch (error) {
      this.fail(field, `invalid regex: ${(error as Error).message}`);
    }
  }

  /** We serve everything over the one ADS stream: other config sources would never be fetched. */
  adsSource(source: ConfigSource | null | undefined, field: string): void {
    this.require(source && (source.ads || source.self), field, 'only ads or self config sources are supported');
  }
}

/**
 * A validator for one resource type: decode the `Any`, name the resource in every
 * error (`Cluster "x": …`), require its name, then run the type's own checks.
 */
export function defineResourceType<M extends object, T = M>(
  typeUrl: string,
  nameField: keyof M & string,
  validate: (message: M, check: FieldChecker) => T,
): ResourceType<T> {
  const kind = typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
  return {
    typeUrl,
    decode(any) {
      const message = unpackAny<M>(any);
      const name = message[nameField] as string;
      const check = new FieldChecker(`${kind} "${name}"`);
      check.require(name, nameField, 'must not be empty');
      return { name, value: validate(message, check) };
    },
  };
}
