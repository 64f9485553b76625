import { child, DocumentReader, OpenApiDocumentError } from './document';
import type { SchemaCheck, SchemaCompiler } from './schema';

/** How a body of a media type is read before its schema is checked; other types pass unread. */
type BodyFormat = 'json' | 'form' | 'opaque';

interface CompiledMediaType {
  /** As the document names it: `application/json`, `application/*+json`, `text/*`, `*\/*`. */
  range: string;
  format: BodyFormat;
  validate?: SchemaCheck;
}

export interface CompiledBody {
  required: boolean;
  /** Most specific range first, so the first match is the one OpenAPI applies. */
  media: CompiledMediaType[];
}

function formatOf(mediaType: string): BodyFormat {
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return 'json';
  return mediaType === 'application/x-www-form-urlencoded' ? 'form' : 'opaque';
}

/** 3: exact, 2: `type/*+suffix`, 1: `type/*`, 0: `*\/*`. */
function specificity(range: string): number {
  if (range === '*/*') return 0;
  if (!range.includes('*')) return 3;
  return range.endsWith('/*') ? 1 : 2;
}

function inRange(range: string, mediaType: string): boolean {
  if (range === '*/*' || range === mediaType) return true;
  const [type, subtype] = range.split('/') as [string, string | undefined];
  if (!subtype?.startsWith('*') || !mediaType.startsWith(`${type}/`)) return false;
  return subtype === '*' || mediaType.endsWith(subtype.slice(1));
}

/** The essence of a Content-Type header: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaTypeOf(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

export function compileBody(raw: unknown, where: string, reader: DocumentReader, schemas: SchemaCompiler): CompiledBody {
  const body = reader.deref(raw, where);
  const content = reader.object(body['content'], child(where, 'content'));
  const media = Object.entries(content).map(([range, value]): CompiledMediaType => {
    const mediaWhere = child(child(where, 'content'), range);
    const normalized = mediaTypeOf(range);
    if (!/^[^/\s]+\/[^/\s]+$/.test(normalized)) throw new OpenApiDocumentError(mediaWhere, 'is not a media type (type/subtype)');
    const schema = reader.object(value, mediaWhere)['schema'];
    // A range's own format: `application/*+json` reads JSON; `*\/*` reads whatever the request says.
    const format = formatOf(normalized.replace('*', 'x'));
    return {
      range: normalized,
      format,
      ...(schema !== undefined && format !== 'opaque' ? { validate: schemas.compile(schema, child(mediaWhere, 'schema'), format === 'json' ? 'exact' : 'coercing') } : {}),
    };
  });
  if (media.length === 0) throw new OpenApiDocumentError(child(where, 'content'), 'names no media type');
  media.sort((a, b) => specificity(b.range) - specificity(a.range));
  return { required: body['required'] === true, media };
}

export function mediaFor(body: CompiledBody, mediaType: string): CompiledMediaType | undefined {
  return body.media.find((m) => inRange(m.range, mediaType));
}

function formFields(text: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const existing = fields[key];
    fields[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return fields;
}

/** The body as its schema sees it; undefined when it cannot be read in its declared format. */
export function readBody(format: BodyFormat, body: Buffer): { value: unknown } | undefined {
  if (format === 'form') return { value: formFields(body.toString('utf8')) };
  try {
    return { value: JSON.parse(body.toString('utf8')) };
  } catch {
    return undefined;
  }
}
