/**
 * google.protobuf.Struct ⇄ plain JSON, for node metadata. protobufjs defines the
 * well-known types itself with camelCase field names (unlike Envoy's snake_case).
 */

interface ValueMessage {
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: StructMessage;
  listValue?: { values?: ValueMessage[] };
  kind?: string;
}

export interface StructMessage {
  fields?: Record<string, ValueMessage>;
}

function valueToJson(value: ValueMessage): unknown {
  switch (value.kind) {
    case 'numberValue': return value.numberValue;
    case 'stringValue': return value.stringValue;
    case 'boolValue': return value.boolValue;
    case 'structValue': return structToJson(value.structValue);
    case 'listValue': return (value.listValue?.values ?? []).map(valueToJson);
    default: return null;
  }
}

export function structToJson(struct: StructMessage | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = valueToJson(value);
  return out;
}

function jsonToValue(value: unknown): ValueMessage {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(jsonToValue) } };
  return { structValue: jsonToStruct(value as Record<string, unknown>) };
}

export function jsonToStruct(json: Record<string, unknown>): StructMessage {
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, jsonToValue(v)])) };
}
