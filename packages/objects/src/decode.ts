import type { DiagnosticSink } from './diagnostics';

// Field decoders for parsed YAML/JSON. Each reports a problem against its field path
// and returns a usable fallback, so one pass over an object finds every error.

export type Json = Record<string, unknown>;

export function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An object with only `known` keys (`'map'`: any keys). Absent → undefined, silently. */
export function decodeObject(value: unknown, field: string, sink: DiagnosticSink, known: readonly string[] | 'map'): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    sink.error(field, `must be an object, got ${describe(value)}`);
    return undefined;
  }
  if (known !== 'map') {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) sink.error(`${field}.${key}`, `unknown field (expected one of ${known.join(', ')})`);
    }
  }
  return value;
}

export function decodeString(value: unknown, field: string, sink: DiagnosticSink): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    sink.error(field, `must be a string, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function decodeBoolean(value: unknown, field: string, sink: DiagnosticSink): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    sink.error(field, `must be true or false, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** An integer within [min, max]. */
export function decodeInteger(value: unknown, field: string, sink: DiagnosticSink, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    sink.error(field, `must be an integer from ${min} to ${max}, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

export function decodePort(value: unknown, field: string, sink: DiagnosticSink): number | undefined {
  return decodeInteger(value, field, sink, 1, 65535);
}

export function decodeList(value: unknown, field: string, sink: DiagnosticSink): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    sink.error(field, `must be a list, got ${describe(value)}`);
    return [];
  }
  return value;
}

/** A list of non-empty strings; `check` may reject one element by returning a message. */
export function decodeStringList(value: unknown, field: string, sink: DiagnosticSink, check?: (item: string) => string | undefined): string[] {
  const out: string[] = [];
  decodeList(value, field, sink).forEach((item, i) => {
    const at = `${field}[${i}]`;
    if (typeof item !== 'string') return sink.error(at, `must be a string, got ${describe(item)}`);
    if (item === '') return sink.error(at, 'must not be empty');
    const problem = check?.(item);
    if (problem) sink.error(at, problem);
    else out.push(item);
  });
  return out;
}

/** A map of string to string (labels, annotations, selectors). */
export function decodeStringMap(value: unknown, field: string, sink: DiagnosticSink): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    sink.error(field, `must be a map of strings, got ${describe(value)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') sink.error(`${field}.${key}`, `must be a string, got ${describe(item)}`);
    else out[key] = item;
  }
  return out;
}

/** `selector.matchLabels`: the only selector form Istio's WorkloadSelector has. Empty → undefined. */
export function decodeSelector(value: unknown, field: string, sink: DiagnosticSink): Record<string, string> | undefined {
  const selector = decodeObject(value, field, sink, ['matchLabels']);
  if (!selector) return undefined;
  const labels = decodeStringMap(selector['matchLabels'], `${field}.matchLabels`, sink);
  return labels && Object.keys(labels).length > 0 ? labels : undefined;
}
