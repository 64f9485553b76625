/** One finding about one field of one object: `Service default/reviews: spec.ports[0].port: must be 1-65535`. */
export interface Diagnostic {
  /** `Service default/reviews`, prefixed by the file when there is one. */
  object: string;
  /** `spec.ports[0].port` */
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

/** Thrown where a caller wants an exception: lists every error found, not just the first. */
export class ObjectValidationError extends Error {
  constructor(readonly errors: Diagnostic[]) {
    super(errors.map(formatDiagnostic).join('\n'));
    this.name = 'ObjectValidationError';
  }
}

/** Collects the diagnostics of one object while it is decoded, so one pass reports them all. */
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

  failed<T>(): ValidationResult<T> {
    return { errors: this.errors, warnings: this.warnings };
  }

  result<T>(value: T): ValidationResult<T> {
    return this.errors.length > 0 ? this.failed() : { value, errors: [], warnings: this.warnings };
  }
}

export function unwrap<T>(result: ValidationResult<T>): T {
  if (result.value === undefined) throw new ObjectValidationError(result.errors);
  return result.value;
}
