import { createHash } from 'node:crypto';
import * as protobuf from 'protobufjs';
import { lookupType } from './protos';

/** A protobuf `Any`, as carried on the wire. */
export interface AnyMessage {
  type_url: string;
  value: Buffer;
}

export function messageNameOf(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf('/');
  return slash === -1 ? typeUrl : typeUrl.slice(slash + 1);
}

/**
 * Encode a plain object (proto field names, snake_case) as an `Any`. Nested `Any`
 * fields may be given as `{ '@type': url, ...fields }` and are packed too, so
 * callers can write Envoy config the way Envoy's YAML reads.
 */
export function packAny(typeUrl: string, message: object): AnyMessage {
  const type = lookupType(messageNameOf(typeUrl));
  const plain = packNestedAnys(message) as Record<string, unknown>;
  const unknown = unknownFields(type, plain, '');
  if (unknown.length > 0) throw new Error(`cannot encode ${type.fullName.slice(1)}: unknown field ${unknown.join(', ')}`);
  let decoded: protobuf.Message;
  try {
    decoded = type.fromObject(plain);
  } catch (error) {
    throw new Error(`cannot encode ${type.fullName.slice(1)}: ${(error as Error).message.replace(/^\./, '')}`);
  }
  const error = type.verify(decoded);
  if (error) throw new Error(`cannot encode ${type.fullName.slice(1)}: ${error}`);
  return { type_url: typeUrl, value: Buffer.from(type.encode(decoded).finish()) };
}

/** protobufjs' fromObject drops misspelt fields silently; we would rather hear about them. */
function unknownFields(type: protobuf.Type, value: Record<string, unknown>, at: string): string[] {
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const field = type.fields[key];
    if (!field) {
      problems.push(`${at}${key}`);
      continue;
    }
    const nested = field.resolve().resolvedType;
    if (!(nested instanceof protobuf.Type) || field.map || child === null || typeof child !== 'object' || Buffer.isBuffer(child)) continue;
    if (nested.fullName === '.google.protobuf.Any' || nested.fullName === '.google.protobuf.Struct') continue;
    const items = Array.isArray(child) ? child : [child];
    items.forEach((item, i) => {
      if (item && typeof item === 'object') problems.push(...unknownFields(nested, item as Record<string, unknown>, `${at}${key}${Array.isArray(child) ? `[${i}]` : ''}.`));
    });
  }
  return problems;
}

function packNestedAnys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(packNestedAnys);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  const record = value as Record<string, unknown>;
  if (typeof record['@type'] === 'string') {
    const { '@type': url, ...fields } = record;
    return packAny(url as string, fields);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, packNestedAnys(v)]));
}

export interface DecodeOptions {
  /** Fill absent scalar fields with proto defaults (default true, as grpc-js-xds sees them). */
  defaults?: boolean;
}

/** Decode an `Any` into a plain object with proto field names; enums as names, 64-bit ints as strings. */
export function unpackAny<T = Record<string, unknown>>(any: AnyMessage, options: DecodeOptions = {}): T {
  const type = lookupType(messageNameOf(any.type_url));
  const decoded = type.decode(any.value);
  return type.toObject(decoded, {
    enums: String,
    longs: String,
    bytes: Buffer,
    // Without defaults, unset repeated and map fields stay absent too: "as sent".
    defaults: options.defaults ?? true,
    arrays: options.defaults ?? true,
    objects: options.defaults ?? true,
    oneofs: true,
  }) as T;
}

/** Content hash of an encoded resource: its version in delta xDS and our change detector. */
export function contentVersion(any: AnyMessage): string {
  return createHash('sha256').update(any.type_url).update(any.value).digest('base64url').slice(0, 16);
}
