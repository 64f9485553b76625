/** A config the engine cannot enforce; `field` is the proto path, e.g. `rules.policies["p"].permissions[0].matcher`. */
export class RbacConfigError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'RbacConfigError';
  }
}
