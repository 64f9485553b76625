import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { child, isObject, OpenApiDocumentError, type JsonObject, type OpenApiVersion } from './document';

/** Where `#/components/schemas` lives once registered with ajv: every schema's refs are rewritten to point here. */
const COMPONENTS_ID = 'urn:trellis:openapi:components';
const COMPONENT_REF = '#/components/schemas/';

/** Keywords whose value is one subschema, a list of them, or a map of them. */
const SUBSCHEMA = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'additionalItems'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];

/**
 * An OpenAPI schema as plain JSON Schema for ajv: component refs point at the
 * registered components, and 3.0's own dialect (nullable, boolean
 * exclusiveMinimum/Maximum) becomes draft-07.
 */
export function toJsonSchema(schema: unknown, version: OpenApiVersion, where: string): unknown {
  if (typeof schema === 'boolean' && version === '3.1') return schema;
  if (!isObject(schema)) throw new OpenApiDocumentError(where, 'a schema must be an object');
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    if (!ref.startsWith(COMPONENT_REF)) throw new OpenApiDocumentError(child(where, '$ref'), `${JSON.stringify(ref)}: schemas may only reference ${COMPONENT_REF}*`);
    const target = `${COMPONENTS_ID}#/$defs/${ref.slice(COMPONENT_REF.length)}`;
    // 3.0 ignores a $ref's siblings; 3.1 (JSON Schema 2020-12) applies them.
    if (version === '3.0') return { $ref: target };
    schema = { ...schema, $ref: target };
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema as JsonObject)) {
    if (key.startsWith('x-')) continue;
    if (SUBSCHEMA_MAPS.includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toJsonSchema(sub, version, child(child(where, key), name))]));
    } else if (SUBSCHEMA_LISTS.includes(key) && Array.isArray(value)) {
      out[key] = value.map((sub, i) => toJsonSchema(sub, version, child(child(where, key), i)));
    } else if (SUBSCHEMA.includes(key) && (isObject(value) || typeof value === 'boolean')) {
      out[key] = typeof value === 'boolean' ? value : toJsonSchema(value, version, child(where, key));
    } else {
      out[key] = value;
    }
  }
  return version === '3.0' ? fromOpenApi30(out) : out;
}

/** OpenAPI 3.0's schema dialect differs from draft-07 in a few keywords. */
function fromOpenApi30(schema: JsonObject): JsonObject {
  if (schema['nullable'] === true) {
    if (typeof schema['type'] === 'string') schema['type'] = [schema['type'], 'null'];
    if (Array.isArray(schema['enum']) && !schema['enum'].includes(null)) schema['enum'] = [...schema['enum'], null];
  }
  delete schema['nullable'];
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof schema[exclusive] !== 'boolean') continue;
    if (schema[exclusive] && typeof schema[bound] === 'number') {
      schema[exclusive] = schema[bound];
      delete schema[bound];
    } else {
      delete schema[exclusive];
    }
  }
  return schema;
}

const INT32 = 2 ** 31;

function newAjv(version: OpenApiVersion, coerce: boolean): Ajv {
  // Unknown keywords and formats (example, discriminator, xml …) are annotations here, not errors.
  const options = { strict: false, logger: false as const, allErrors: false, ...(coerce ? { coerceTypes: 'array' as const } : {}) };
  const ajv = version === '3.0' ? new Ajv(options) : new Ajv2020(options);
  addFormats(ajv);
  // OpenAPI's own formats.
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  for (const annotation of ['float', 'double']) ajv.addFormat(annotation, { type: 'number', validate: () => true });
  for (const annotation of ['binary', 'password']) ajv.addFormat(annotation, true);
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  return ajv;
}

/**
 * The document's schemas compiled by two ajv instances: bodies in JSON are checked as
 * they are; values that arrive as text (parameters, form bodies) are coerced first
 * (`"5"` → 5, one value → a one-item array), as the schema's type asks.
 */
export class SchemaCompiler {
  private readonly exact: Ajv;
  private readonly coercing: Ajv;

  constructor(
    private readonly version: OpenApiVersion,
    componentSchemas: unknown,
  ) {
    this.exact = newAjv(version, false);
    this.coercing = newAjv(version, true);
    const defs: JsonObject = {};
    if (componentSchemas !== undefined) {
      if (!isObject(componentSchemas)) throw new OpenApiDocumentError('components.schemas', 'must be an object');
      for (const [name, schema] of Object.entries(componentSchemas)) {
        const where = child('components.schemas', name);
        defs[name] = toJsonSchema(schema, version, where);
        this.checkMetaSchema(defs[name], where);
      }
    }
    for (const ajv of [this.exact, this.coercing]) ajv.addSchema({ $id: COMPONENTS_ID, $defs: defs }, undefined, undefined, false);
  }

  compile(schema: unknown, where: string, mode: 'exact' | 'coercing'): ValidateFunction {
    const jsonSchema = toJsonSchema(schema, this.version, where);
    this.checkMetaSchema(jsonSchema, where);
    try {
      return (mode === 'exact' ? this.exact : this.coercing).compile(jsonSchema as JsonObject);
    } catch (error) {
      throw new OpenApiDocumentError(where, (error as Error).message);
    }
  }

  private checkMetaSchema(schema: unknown, where: string): void {
    if (this.exact.validateSchema(schema as JsonObject)) return;
    const [first] = this.exact.errors ?? [];
    throw new OpenApiDocumentError(where + (first ? dotted(first.instancePath) : ''), first?.message ?? 'is not a valid schema');
  }
}

/** `/items/0/name` → `.items[0].name`: JSON pointers read as the document's own locations. */
export function dotted(pointer: string): string {
  if (!pointer) return '';
  return pointer.slice(1).split('/').map((token) => {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }).join('');
}

/** The first ajv error as one readable clause: `body.name must be string`. */
export function describeError(location: string, error: ErrorObject | undefined): string {
  if (!error) return `${location} is invalid`;
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') message += ` (${String(error.params['additionalProperty'])})`;
  if (error.keyword === 'enum') message += ` (${(error.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
  return `${location}${dotted(error.instancePath)} ${message}`;
}
