/** A document that cannot be enforced, naming where in it (`paths./pets.get.parameters[0].schema`). */
export class OpenApiDocumentError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(where ? `${where}: ${problem}` : problem);
    this.name = 'OpenApiDocumentError';
  }
}

export type JsonObject = Record<string, unknown>;

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Locations read as the document is written: dotted keys, array indexes in brackets. */
export function child(where: string, key: string | number): string {
  if (typeof key === 'number') return `${where}[${key}]`;
  return where ? `${where}.${key}` : key;
}

export type OpenApiVersion = '3.0' | '3.1';

/** Reads an OpenAPI document: its version, and objects behind local `$ref`s. */
export class DocumentReader {
  readonly version: OpenApiVersion;

  constructor(readonly root: JsonObject) {
    const declared = root['openapi'];
    const version = typeof declared === 'string' ? /^3\.([01])\.\d+/.exec(declared) : null;
    if (!version) throw new OpenApiDocumentError('openapi', `${JSON.stringify(declared)} is not an OpenAPI 3.0.x or 3.1.x version`);
    this.version = version[1] === '0' ? '3.0' : '3.1';
  }

  object(value: unknown, where: string): JsonObject {
    if (!isObject(value)) throw new OpenApiDocumentError(where, 'must be an object');
    return value;
  }

  /** Follows local `$ref`s (`#/components/parameters/limit`) to the object they name; refs naming refs are followed too. */
  deref(value: unknown, where: string): JsonObject {
    let current = this.object(value, where);
    for (let hops = 0; typeof current['$ref'] === 'string'; hops++) {
      if (hops === 16) throw new OpenApiDocumentError(where, '$ref chain too long (a cycle?)');
      current = this.object(this.pointer(current['$ref'], where), child(where, '$ref'));
    }
    return current;
  }

  private pointer(ref: string, where: string): unknown {
    if (!ref.startsWith('#/')) throw new OpenApiDocumentError(child(where, '$ref'), `${JSON.stringify(ref)}: only local references (#/...) are supported`);
    let node: unknown = this.root;
    for (const token of ref.slice(2).split('/')) {
      const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) || Array.isArray(node) ? (node as JsonObject)[key] : undefined;
      if (node === undefined) throw new OpenApiDocumentError(child(where, '$ref'), `${JSON.stringify(ref)} names nothing in the document`);
    }
    return node;
  }
}
