import { RbacConfigError } from './errors';

// Shape checks shared by the compilers: a proxy must NACK what it would silently ignore.

// protobufjs's toObject with `oneofs: true` adds a field per oneof group naming the member set.
const ONEOF_GROUPS = new Set(['rule', 'identifier', 'match_pattern', 'header_match_specifier', 'engine_type', 'segment']);

/**
 * A message's set fields. Absent fields may arrive as null (protobufjs `defaults: true`)
 * and oneof groups as virtual fields naming their member: both are dropped here.
 */
export function asObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RbacConfigError(field, 'must be a message (object)');
  }
  const message = value as Record<string, unknown>;
  const set: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(message)) {
    if (v === null || v === undefined) continue;
    if (ONEOF_GROUPS.has(key) && typeof v === 'string' && message[v] !== undefined && message[v] !== null) continue;
    set[key] = v;
  }
  return set;
}

export function asArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new RbacConfigError(field, 'must be a repeated field (array)');
  return value;
}

export function asString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new RbacConfigError(field, 'must be a string');
  return value;
}

export function asBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new RbacConfigError(field, 'must be a bool');
  return value;
}

export function asInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RbacConfigError(field, `must be an integer in [${min}, ${max}]`);
  }
  return value;
}

/** Rejects any key outside `known`, naming it; `unsupported` keys get a clearer message. */
export function checkFields(
  message: Record<string, unknown>,
  field: string,
  known: readonly string[],
  unsupported: readonly string[] = [],
): void {
  for (const key of Object.keys(message)) {
    if (message[key] === undefined || known.includes(key)) continue;
    const problem = unsupported.includes(key) ? 'is not supported by the Trellis RBAC engine' : 'is not a known field';
    throw new RbacConfigError(field === '' ? key : `${field}.${key}`, problem);
  }
}

/** The single set member of a proto oneof; errors if none or several are set. */
export function oneOf<T extends string>(message: Record<string, unknown>, field: string, members: readonly T[]): T {
  const set = members.filter((m) => message[m] !== undefined && message[m] !== null);
  if (set.length !== 1) {
    throw new RbacConfigError(field, set.length === 0 ? `must set one of ${members.join(', ')}` : `sets several of ${set.join(', ')}`);
  }
  return set[0]!;
}
