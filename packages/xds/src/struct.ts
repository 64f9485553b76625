/** google.protobuf.Struct ⇄ plain JSON, for node metadata. */

interface ValueMessage {
  null_value?: unknown;
  number_value?: number;
  string_value?: string;
  bool_value?: boolean;
  struct_value?: StructMessage;
  list_value?: { values?: ValueMessage[] };
  kind?: string;
}

export interface StructMessage {
  fields?: Record<string, ValueMessage>;
}

function valueToJson(value: ValueMessage): unknown {
  switch (value.kind) {
    case 'number_value': return value.number_value;
    case 'string_value': return value.string_value;
    case 'bool_value': return value.bool_value;
    case 'struct_value': return structToJson(value.struct_value);
    case 'list_value': return (value.list_value?.values ?? []).map(valueToJson);
    default: return null;
  }
}

export function structToJson(struct: StructMessage | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = valueToJson(value);
  return out;
}

function jsonToValue(value: unknown): ValueMessage {
  if (value === null || value === undefined) return { null_value: 'NULL_VALUE' };
  if (typeof value === 'number') return { number_value: value };
  if (typeof value === 'string') return { string_value: value };
  if (typeof value === 'boolean') return { bool_value: value };
  if (Array.isArray(value)) return { list_value: { values: value.map(jsonToValue) } };
  return { struct_value: jsonToStruct(value as Record<string, unknown>) };
}

export function jsonToStruct(json: Record<string, unknown>): StructMessage {
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, jsonToValue(v)])) };
}
