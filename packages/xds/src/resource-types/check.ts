import { ResourceValidationError } from '../client/resource-type';
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
