import { child, DocumentReader, isObject, OpenApiDocumentError, type JsonObject } from './document';
import { describeError, type SchemaCheck, type SchemaCompiler } from './schema';

const LOCATIONS = ['path', 'query', 'header', 'cookie'] as const;
type Location = (typeof LOCATIONS)[number];

export interface CompiledParameter {
  name: string;
  in: Location;
  required: boolean;
  /** An array-typed value arrives as repeated query keys (explode) or comma-separated. */
  array: boolean;
  explode: boolean;
  /** Parameters described by `content: application/json` carry JSON text. */
  json: boolean;
  validate?: SchemaCheck;
}

/** Where the request's parameter values come from (path values already percent-decoded). */
export interface ParameterSources {
  path: Record<string, string>;
  query: URLSearchParams | undefined;
  header(name: string): string | undefined;
}

/** What a schema's top-level type is, looking through component refs. */
function typeOf(schema: unknown, reader: DocumentReader, where: string): unknown {
  if (!isObject(schema)) return undefined;
  if (typeof schema['$ref'] === 'string') return typeOf(reader.deref(schema, where), reader, where);
  const type = schema['type'];
  return Array.isArray(type) ? type.find((t) => t !== 'null') : type;
}

function compileParameter(raw: JsonObject, where: string, reader: DocumentReader, schemas: SchemaCompiler): CompiledParameter {
  const name = raw['name'];
  if (typeof name !== 'string' || !name) throw new OpenApiDocumentError(child(where, 'name'), 'must be a non-empty string');
  const location = raw['in'] as Location;
  if (!LOCATIONS.includes(location)) throw new OpenApiDocumentError(child(where, 'in'), `${JSON.stringify(raw['in'])} is not one of ${LOCATIONS.join(', ')}`);
  if (location === 'path' && raw['required'] !== true) throw new OpenApiDocumentError(child(where, 'required'), 'a path parameter must be required: true');
  let schema = raw['schema'];
  let schemaWhere = child(where, 'schema');
  let json = false;
  if (schema === undefined && raw['content'] !== undefined) {
    const content = reader.object(raw['content'], child(where, 'content'));
    const [mediaType, media] = Object.entries(content)[0] ?? [];
    if (!mediaType) throw new OpenApiDocumentError(child(where, 'content'), 'names no media type');
    schemaWhere = child(child(child(where, 'content'), mediaType), 'schema');
    schema = reader.object(media, child(child(where, 'content'), mediaType))['schema'];
    json = mediaType === 'application/json' || mediaType.endsWith('+json');
  }
  const style = raw['style'] ?? (location === 'query' || location === 'cookie' ? 'form' : 'simple');
  const type = json ? undefined : typeOf(schema, reader, schemaWhere);
  // Object values spread over several keys (form explode, deepObject) are not read yet: such a parameter is not checked.
  if (type === 'object') return { name, in: location, required: false, array: false, explode: false, json: false };
  return {
    name,
    in: location,
    required: raw['required'] === true,
    array: type === 'array',
    explode: typeof raw['explode'] === 'boolean' ? raw['explode'] : style === 'form',
    json,
    ...(schema !== undefined ? { validate: schemas.compile(schema, schemaWhere, json ? 'exact' : 'coercing') } : {}),
  };
}

/** An operation's parameters: the path item's, overridden by the operation's own of the same name and location. */
export function compileParameters(
  lists: { raw: unknown; where: string }[], reader: DocumentReader, schemas: SchemaCompiler,
): CompiledParameter[] {
  const byKey = new Map<string, CompiledParameter>();
  for (const { raw, where } of lists) {
    if (raw === undefined) continue;
    if (!Array.isArray(raw)) throw new OpenApiDocumentError(where, 'must be a list');
    raw.forEach((item, i) => {
      const parameter = compileParameter(reader.deref(item, child(where, i)), child(where, i), reader, schemas);
      // Header names are case-insensitive.
      const key = `${parameter.in}:${parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name}`;
      byKey.set(key, parameter);
    });
  }
  return [...byKey.values()];
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const pair of header?.split(';') ?? []) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

function rawValue(p: CompiledParameter, sources: ParameterSources): string | string[] | undefined {
  switch (p.in) {
    case 'path': return sources.path[p.name];
    case 'header': return sources.header(p.name.toLowerCase());
    case 'cookie': return cookie(sources.header('cookie'), p.name);
    case 'query': {
      const values = sources.query?.getAll(p.name) ?? [];
      if (values.length === 0) return undefined;
      return p.array && p.explode ? values : values.length === 1 ? values[0] : values;
    }
  }
}

/** Checks one parameter; a failure is the clause of the reason (`query.limit must be integer`). */
export function checkParameter(p: CompiledParameter, sources: ParameterSources): string | undefined {
  const label = `${p.in}.${p.name}`;
  const raw = rawValue(p, sources);
  if (raw === undefined) return p.required ? `${label} is required` : undefined;
  let value: unknown = raw;
  if (p.json) {
    try {
      value = JSON.parse(raw as string);
    } catch {
      return `${label} is not valid JSON`;
    }
  } else if (p.array && typeof raw === 'string') {
    value = raw === '' ? [] : raw.split(',');
  }
  const error = p.validate?.(value);
  return error && describeError(label, error);
}
