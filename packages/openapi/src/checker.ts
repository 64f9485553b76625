import { compileBody, mediaFor, mediaTypeOf, readBody, type CompiledBody } from './body';
import { child, DocumentReader, isObject, OpenApiDocumentError, type JsonObject } from './document';
import { checkParameter, compileParameters, type CompiledParameter } from './parameters';
import { PathTemplates } from './path-template';
import { describeError, SchemaCompiler } from './schema';

/**
 * Why a request was refused. Status: 404 unknown path, 405 method not in the path
 * item (with `allow`), 400 bad parameter or body, 413 body over the limit, 415 a
 * content type the operation does not take.
 */
export interface Rejection {
  ok: false;
  status: 400 | 404 | 405 | 413 | 415;
  reason: string;
  allow?: string[];
}

export type CheckResult = { ok: true } | Rejection;

/** The request line and headers: enough to decide everything but the body. */
export interface RequestHead {
  method: string;
  /** Path and query, as sent. */
  target: string;
  /** A header's value (repeated headers joined with `, `), by lower-case name. */
  header(name: string): string | undefined;
}

/** The body check an accepted head leaves, for operations that describe a request body. */
export interface PendingBody {
  /** `POST /pets`: the operation the body is for, as reasons name it. */
  readonly operation: string;
  /** Buffer at most this much: a longer body is refused with 413. */
  readonly maxBytes: number;
  /** `undefined` or empty: the request has no body. */
  check(body: Buffer | undefined): CheckResult;
}

export type HeadCheck = Rejection | { ok: true; body?: PendingBody };

export interface CheckerOptions {
  /** Largest request body read for a schema check (default 1 MiB). */
  maxBodyBytes?: number;
}

interface Operation {
  /** `POST /pets`: how reasons name the operation. */
  label: string;
  parameters: CompiledParameter[];
  body?: CompiledBody;
}

type PathItem = Map<string, Operation>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const DEFAULT_MAX_BODY = 1024 * 1024;

const reject = (status: Rejection['status'], reason: string, allow?: string[]): Rejection => ({ ok: false, status, reason, ...(allow ? { allow } : {}) });

/** The path part of each server URL (`https://api.example.com/v1` → `/v1`), variables at their defaults. */
function basePaths(servers: unknown, reader: DocumentReader): string[] {
  if (servers === undefined) return [''];
  if (!Array.isArray(servers)) throw new OpenApiDocumentError('servers', 'must be a list');
  const bases = servers.map((raw, i) => {
    const where = child('servers', i);
    const server = reader.object(raw, where);
    if (typeof server['url'] !== 'string') throw new OpenApiDocumentError(child(where, 'url'), 'must be a string');
    const variables = isObject(server['variables']) ? server['variables'] : {};
    const url = server['url'].replace(/\{([^{}]+)\}/g, (_, name: string) => {
      const fallback = isObject(variables[name]) ? variables[name]['default'] : undefined;
      if (typeof fallback !== 'string') throw new OpenApiDocumentError(child(where, 'url'), `variable {${name}} has no default`);
      return fallback;
    });
    const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? new URL(url).pathname : url;
    return path.replace(/\/+$/, '');
  });
  // Longest first, so /v1/admin wins over /v1.
  return bases.length ? [...new Set(bases)].sort((a, b) => b.length - a.length) : [''];
}

/**
 * An OpenAPI 3.0/3.1 document compiled once into a request checker. Every schema is
 * compiled by ajv up front, so a request costs a path lookup and the validators of
 * its own operation.
 */
export class OpenApiChecker {
  private readonly paths = new PathTemplates<PathItem>();
  private readonly bases: string[];
  readonly maxBodyBytes: number;

  constructor(document: unknown, options: CheckerOptions = {}) {
    if (!isObject(document)) throw new OpenApiDocumentError('', 'an OpenAPI document must be an object');
    const reader = new DocumentReader(document);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.bases = basePaths(document['servers'], reader);
    const components = document['components'] === undefined ? {} : reader.object(document['components'], 'components');
    const schemas = new SchemaCompiler(reader.version, components['schemas']);
    const paths = document['paths'] === undefined && reader.version === '3.1' ? {} : reader.object(document['paths'], 'paths');
    for (const [template, raw] of Object.entries(paths)) {
      if (template.startsWith('x-')) continue;
      const where = child('paths', template);
      const item = reader.deref(raw, where);
      const operations: PathItem = new Map();
      const names = this.paths.add(template, operations, where);
      for (const method of METHODS) {
        if (item[method] === undefined) continue;
        operations.set(method, this.compileOperation(template, method, item, reader, schemas, names));
      }
    }
  }

  private compileOperation(template: string, method: string, item: JsonObject, reader: DocumentReader, schemas: SchemaCompiler, pathNames: string[]): Operation {
    const where = child(child('paths', template), method);
    const operation = reader.object(item[method], where);
    const parameters = compileParameters([
      { raw: item['parameters'], where: child(child('paths', template), 'parameters') },
      { raw: operation['parameters'], where: child(where, 'parameters') },
    ], reader, schemas);
    for (const p of parameters) {
      if (p.in === 'path' && !pathNames.includes(p.name)) throw new OpenApiDocumentError(where, `declares path parameter ${p.name}, which ${template} does not have`);
    }
    return {
      label: `${method.toUpperCase()} ${template}`,
      parameters,
      ...(operation['requestBody'] !== undefined ? { body: compileBody(operation['requestBody'], child(where, 'requestBody'), reader, schemas) } : {}),
    };
  }

  /** Path, method, parameters and the body's content type and length; the body itself is left to `PendingBody`. */
  checkHead(head: RequestHead): HeadCheck {
    const q = head.target.indexOf('?');
    const path = q < 0 ? head.target : head.target.slice(0, q);
    const base = this.bases.find((b) => b === '' || path === b || path.startsWith(`${b}/`));
    const matched = base === undefined ? undefined : this.paths.match(path.slice(base.length) || '/');
    if (!matched) return reject(404, `unknown path ${path}`);
    const method = head.method.toLowerCase();
    // HEAD is GET without the body (RFC 9110), so a GET operation covers it.
    const operation = matched.entry.get(method) ?? (method === 'head' ? matched.entry.get('get') : undefined);
    if (!operation) return reject(405, `method ${head.method} not allowed on ${matched.template}`, [...matched.entry.keys()].map((m) => m.toUpperCase()));

    const pathValues: Record<string, string> = {};
    for (const [name, value] of Object.entries(matched.parameters)) {
      try {
        pathValues[name] = decodeURIComponent(value);
      } catch {
        return reject(400, `${operation.label}: path.${name} is not valid percent-encoding`);
      }
    }
    const sources = { path: pathValues, query: q < 0 ? undefined : new URLSearchParams(head.target.slice(q + 1)), header: head.header };
    for (const parameter of operation.parameters) {
      const failure = checkParameter(parameter, sources);
      if (failure) return reject(400, `${operation.label}: ${failure}`);
    }
    return operation.body ? this.checkBodyHead(operation, operation.body, head) : { ok: true };
  }

  private checkBodyHead(operation: Operation, body: CompiledBody, head: RequestHead): HeadCheck {
    const length = Number(head.header('content-length') ?? 0);
    if (length > this.maxBodyBytes) return reject(413, `${operation.label}: body of ${length} bytes is over the ${this.maxBodyBytes}-byte limit`);
    const contentType = head.header('content-type');
    const mediaType = contentType === undefined ? undefined : mediaTypeOf(contentType);
    const media = mediaType === undefined ? undefined : mediaFor(body, mediaType);
    if (mediaType !== undefined && !media) {
      return reject(415, `${operation.label}: content type ${mediaType} is not one of ${body.media.map((m) => m.range).join(', ')}`);
    }
    return {
      ok: true,
      body: {
        operation: operation.label,
        maxBytes: this.maxBodyBytes,
        check: (data) => {
          if (!data || data.length === 0) return body.required ? reject(400, `${operation.label}: body is required`) : { ok: true };
          if (!media) return reject(415, `${operation.label}: a body without a content type (expected ${body.media.map((m) => m.range).join(', ')})`);
          if (data.length > this.maxBodyBytes) return reject(413, `${operation.label}: body is over the ${this.maxBodyBytes}-byte limit`);
          if (!media.validate) return { ok: true };
          const read = readBody(media.format, data);
          if (!read) return reject(400, `${operation.label}: body is not valid JSON`);
          const error = media.validate(read.value);
          return error ? reject(400, `${operation.label}: ${describeError('body', error)}`) : { ok: true };
        },
      },
    };
  }

  /** The whole request at once (tests, tools): head, then body when the operation describes one. */
  check(request: { method: string; target: string; headers?: Record<string, string>; body?: Buffer | string }): CheckResult {
    const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const head = this.checkHead({ method: request.method, target: request.target, header: (name) => headers[name] });
    if (!head.ok || !head.body) return head.ok ? { ok: true } : head;
    return head.body.check(typeof request.body === 'string' ? Buffer.from(request.body) : request.body);
  }
}

/** Compiles a document (a parsed JS object) once; throws `OpenApiDocumentError` naming where it is invalid. */
export function compileOpenApi(document: unknown, options?: CheckerOptions): OpenApiChecker {
  return new OpenApiChecker(document, options);
}
