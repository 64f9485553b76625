/** One finding about one field of one object, e.g. `AuthorizationPolicy foo/bar: spec.action: ...`. */
export interface Diagnostic {
  /** `AuthorizationPolicy foo/bar` */
  object: string;
  /** `spec.rules[0].from[0].source.ipBlocks[1]` */
  field: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.object}: ${d.field}: ${d.message}`;
}

export interface ValidationResult<T> {
  /** Undefined when there are errors. */
  value?: T;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** Thrown by the parse* functions; lists every error found, not just the first. */
export class PolicyValidationError extends Error {
  constructor(readonly errors: Diagnostic[]) {
    super(errors.map(formatDiagnostic).join('\n'));
    this.name = 'PolicyValidationError';
  }
}

/** Collects diagnostics while one object is decoded. */
export class DiagnosticSink {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  constructor(public object: string) {}

  error(field: string, message: string): void {
    this.errors.push({ object: this.object, field, message });
  }

  warn(field: string, message: string): void {
    this.warnings.push({ object: this.object, field, message });
  }

  /** The result when decoding could not even start (errors already reported). */
  failed<T>(): ValidationResult<T> {
    return { errors: this.errors, warnings: this.warnings };
  }

  result<T>(value: T): ValidationResult<T> {
    return this.errors.length > 0 ? { errors: this.errors, warnings: this.warnings } : { value, errors: [], warnings: this.warnings };
  }
}

export function unwrap<T>(result: ValidationResult<T>): T {
  if (result.value === undefined) throw new PolicyValidationError(result.errors);
  return result.value;
}
