import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { child, isObject, OpenApiDocumentError, type JsonObject, type OpenApiVersion } from './document';

/**
 * Each component schema is registered with ajv under its own id, and refs are rewritten
 * to it: ajv then generates code for the components an operation uses, not for all.
 */
const COMPONENT_ID = 'urn:trellis:openapi:component:';
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
export function toJsonSchema(schema: unknown, version: OpenApiVersion, where: string, components: ReadonlySet<string>): unknown {
  if (typeof schema === 'boolean' && version === '3.1') return schema;
  if (!isObject(schema)) throw new OpenApiDocumentError(where, 'a schema must be an object');
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    if (!ref.startsWith(COMPONENT_REF)) throw new OpenApiDocumentError(child(where, '$ref'), `${JSON.stringify(ref)}: schemas may only reference ${COMPONENT_REF}*`);
    const [name, ...pointer] = ref.slice(COMPONENT_REF.length).split('/');
    if (!components.has(name!)) throw new OpenApiDocumentError(child(where, '$ref'), `${JSON.stringify(ref)} names no schema in components.schemas`);
    const target = `${COMPONENT_ID}${name}#${pointer.length ? `/${pointer.join('/')}` : ''}`;
    // 3.0 ignores a $ref's siblings; 3.1 (JSON Schema 2020-12) applies them.
    if (version === '3.0') return { $ref: target };
    schema = { ...schema, $ref: target };
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema as JsonObject)) {
    if (key.startsWith('x-')) continue;
    if (SUBSCHEMA_MAPS.includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toJsonSchema(sub, version, child(child(where, key), name), components)]));
    } else if (SUBSCHEMA_LISTS.includes(key) && Array.isArray(value)) {
      out[key] = value.map((sub, i) => toJsonSchema(sub, version, child(child(where, key), i), components));
    } else if (SUBSCHEMA.includes(key) && (isObject(value) || typeof value === 'boolean')) {
      out[key] = typeof value === 'boolean' ? value : toJsonSchema(value, version, child(where, key), components);
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

function newAjv(version: OpenApiVersion, options: { coerce?: boolean; validateSchema?: boolean }): Ajv {
  // Unknown keywords and formats (example, discriminator, xml …) are annotations here, not errors.
  const ajvOptions = {
    strict: false, logger: false as const, allErrors: false, validateSchema: options.validateSchema ?? false, ...(options.coerce ? { coerceTypes: 'array' as const } : {}),
  };
  const ajv = version === '3.0' ? new Ajv(ajvOptions) : new Ajv2020(ajvOptions);
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
 * Checking a schema against the meta-schema compiles the meta-schema first (about 90 ms):
 * one instance per process and dialect does it for every document. It never holds a
 * document's schemas, so it does not grow.
 */
const metaSchemaCheckers = new Map<OpenApiVersion, Ajv>();

function metaSchemaChecker(version: OpenApiVersion): Ajv {
  let ajv = metaSchemaCheckers.get(version);
  if (!ajv) metaSchemaCheckers.set(version, (ajv = newAjv(version, { validateSchema: true })));
  return ajv;
}

/** Checks a value against one schema: undefined when it conforms, else the first error. */
export type SchemaCheck = (value: unknown) => ErrorObject | undefined;

/**
 * The document's schemas for two ajv instances: bodies in JSON are checked as they
 * are; values that arrive as text (parameters, form bodies) are coerced first (`"5"` →
 * 5, one value → a one-item array), as the schema's type asks.
 *
 * Every schema is converted and checked against the meta-schema (and its refs against
 * the components) when the document is compiled, which is cheap; ajv generates a
 * schema's code (about 2 ms each) the first time a request needs it, and once per
 * distinct schema, so a large document costs nothing for operations never called.
 */
export class SchemaCompiler {
  private readonly exact: Ajv;
  private readonly coercing: Ajv;
  private readonly components: ReadonlySet<string>;
  private readonly checks = new Map<string, SchemaCheck>();

  constructor(
    private readonly version: OpenApiVersion,
    componentSchemas: unknown,
  ) {
    this.exact = newAjv(version, {});
    this.coercing = newAjv(version, { coerce: true });
    if (componentSchemas !== undefined && !isObject(componentSchemas)) throw new OpenApiDocumentError('components.schemas', 'must be an object');
    const components = componentSchemas ?? {};
    this.components = new Set(Object.keys(components));
    for (const [name, schema] of Object.entries(components)) {
      const where = child('components.schemas', name);
      const converted = toJsonSchema(schema, version, where, this.components);
      this.checkMetaSchema(converted, where);
      // An alias ({ $ref } alone) keeps its ref apart from the id: beside $ref, draft-07 ignores siblings.
      const registered = typeof converted === 'boolean' ? (converted ? {} : { not: {} })
        : '$ref' in (converted as JsonObject) ? { allOf: [converted] } : converted as JsonObject;
      for (const ajv of [this.exact, this.coercing]) ajv.addSchema({ ...registered, $id: `${COMPONENT_ID}${name}` });
    }
  }

  compile(schema: unknown, where: string, mode: 'exact' | 'coercing'): SchemaCheck {
    const jsonSchema = toJsonSchema(schema, this.version, where, this.components);
    this.checkMetaSchema(jsonSchema, where);
    const key = `${mode}:${JSON.stringify(jsonSchema)}`;
    let check = this.checks.get(key);
    if (!check) {
      const ajv = mode === 'exact' ? this.exact : this.coercing;
      let validate: ValidateFunction | undefined;
      check = (value) => {
        validate ??= ajv.compile(jsonSchema as JsonObject);
        return validate(value) ? undefined : (validate.errors?.[0] ?? INVALID);
      };
      this.checks.set(key, check);
    }
    return check;
  }

  private checkMetaSchema(schema: unknown, where: string): void {
    const checker = metaSchemaChecker(this.version);
    if (checker.validateSchema(schema as JsonObject)) return;
    const [first] = checker.errors ?? [];
    throw new OpenApiDocumentError(where + (first ? dotted(first.instancePath) : ''), first?.message ?? 'is not a valid schema');
  }
}

const INVALID: ErrorObject = { keyword: 'false schema', instancePath: '', schemaPath: '#', params: {}, message: 'is not allowed' };

/** `/items/0/name` → `.items[0].name`: JSON pointers read as the document's own locations. */
export function dotted(pointer: string): string {
  if (!pointer) return '';
  return pointer.slice(1).split('/').map((token) => {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }).join('');
}

/** The first ajv error as one readable clause: `body.name must be string`. */
export function describeError(location: string, error: ErrorObject): string {
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') message += ` (${String(error.params['additionalProperty'])})`;
  if (error.keyword === 'enum') message += ` (${(error.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
  return `${location}${dotted(error.instancePath)} ${message}`;
}
