import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatDiagnostic, type Diagnostic } from '@trellis/objects';
import { parseAllDocuments } from 'yaml';
import { openApiReferenceErrors } from '../kinds/openapi-ref';
import { decodeDocument } from '../kinds/registry';
import { emptyModel, type MeshModel } from '../model/mesh';

export interface FileDiagnostic extends Diagnostic {
  file: string;
  /** 1-based line of the document in its file. */
  line: number;
  severity: 'error' | 'warning';
}

export function formatFileDiagnostic(d: FileDiagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${formatDiagnostic(d)}`;
}

export interface LoadResult {
  model: MeshModel;
  diagnostics: FileDiagnostic[];
}

/**
 * Where the mesh model comes from: a directory of YAML (FileSource) or a cluster's
 * API server (KubeSource in @trellis/kube). start() gives the first model; every
 * later model arrives as `change`.
 */
export interface ConfigSource {
  start(): LoadResult | Promise<LoadResult>;
  on(event: 'change', listener: (result: LoadResult) => void): unknown;
  close(): void;
}

interface Keyed {
  key: string;
  /** `Kind namespace/name`, for messages. */
  label: string;
  collection: keyof MeshModel;
  value: unknown;
}

const CONFIG_FILE = /\.(ya?ml|json)$/i;

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listFiles(full);
      return CONFIG_FILE.test(entry.name) ? [full] : [];
    })
    .sort();
}

function keyOf(value: unknown, collection: string): string {
  const object = value as { namespace?: string; name?: string; metadata?: { namespace?: string; name?: string } };
  const namespace = object.namespace ?? object.metadata?.namespace;
  const name = object.name ?? object.metadata?.name;
  return `${collection}/${namespace}/${name}`;
}

function labelOf(raw: unknown, key: string): string {
  const [, namespace, name] = key.split('/');
  return `${(raw as { kind: string }).kind} ${namespace}/${name}`;
}

/** Which object a raw document claims to be, so a broken edit can fall back to its last good version. */
function rawKey(document: unknown, collection: string, defaultNamespace: string): string | undefined {
  const meta = (document as { metadata?: { name?: unknown; namespace?: unknown } })?.metadata;
  if (typeof meta?.name !== 'string') return undefined;
  return `${collection}/${typeof meta.namespace === 'string' ? meta.namespace : defaultNamespace}/${meta.name}`;
}

/**
 * The local config source: a directory of YAML/JSON documents of the kinds a user
 * applies in a cluster. Every document is validated; an invalid one is reported
 * (file, line, object, field) and — if an earlier version of that object was good —
 * the earlier version stays in force, so the rest of the mesh keeps working.
 */
export class FileSource extends EventEmitter<{ change: [LoadResult] }> implements ConfigSource {
  private lastGood = new Map<string, Keyed>();
  private watcher: fs.FSWatcher | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private current: LoadResult | undefined;

  constructor(
    readonly dir: string,
    private readonly defaultNamespace = 'default',
  ) {
    super();
  }

  load(): LoadResult {
    if (!fs.existsSync(this.dir) || !fs.statSync(this.dir).isDirectory()) {
      throw new Error(`config directory ${this.dir} does not exist`);
    }
    const diagnostics: FileDiagnostic[] = [];
    const objects = new Map<string, Keyed & { file: string; line: number }>();
    for (const file of listFiles(this.dir)) {
      const relative = path.relative(this.dir, file) || path.basename(file);
      for (const item of this.loadFile(file, relative, diagnostics)) {
        const existing = objects.get(item.key);
        if (existing) {
          diagnostics.push({ file: relative, line: item.line, severity: 'error', object: item.label, field: 'metadata.name', message: `already defined in ${existing.file}; this copy is ignored` });
          continue;
        }
        objects.set(item.key, { ...item, file: relative });
      }
    }
    this.lastGood = new Map([...objects].map(([key, item]) => [key, item]));
    const model = emptyModel();
    for (const { collection, value } of objects.values()) (model[collection] as unknown[]).push(value);
    // References between objects are checked once all are loaded; the error sits with the referring object.
    for (const { policy, error } of openApiReferenceErrors(model)) {
      const at = objects.get(keyOf(policy, 'wafPolicies'));
      diagnostics.push({ ...error, file: at?.file ?? '', line: at?.line ?? 0, severity: 'error' });
    }
    this.current = { model, diagnostics };
    return this.current;
  }

  /** Parsed files by path: a reload re-reads only files whose size or mtime changed. */
  private readonly parsed = new Map<string, { stamp: string; items: (Keyed & { line: number })[]; diagnostics: FileDiagnostic[] }>();

  private loadFile(file: string, relative: string, diagnostics: FileDiagnostic[]): (Keyed & { line: number })[] {
    const stat = fs.statSync(file);
    const stamp = `${stat.size}:${stat.mtimeMs}`;
    const cached = this.parsed.get(file);
    if (cached?.stamp === stamp) {
      diagnostics.push(...cached.diagnostics);
      return cached.items;
    }
    const own: FileDiagnostic[] = [];
    const items = this.parseFile(file, relative, own);
    // A file that fell back to last-good versions is parsed again next time, not cached.
    if (!own.some((d) => d.field === '(object)')) this.parsed.set(file, { stamp, items, diagnostics: own });
    diagnostics.push(...own);
    return items;
  }

  private parseFile(file: string, relative: string, diagnostics: FileDiagnostic[]): (Keyed & { line: number })[] {
    const text = fs.readFileSync(file, 'utf8');
    const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
    const out: (Keyed & { line: number })[] = [];
    for (const document of parseAllDocuments(text)) {
      const line = lineOf(document.contents?.range[0] ?? document.range[0]);
      if (document.errors.length > 0) {
        for (const error of document.errors) {
          diagnostics.push({ file: relative, line: lineOf(error.pos[0]), severity: 'error', object: '(document)', field: '(yaml)', message: error.message.split('\n')[0]! });
        }
        continue;
      }
      const raw = document.toJS({ maxAliasCount: 100 }) as unknown;
      if (raw === null || raw === undefined) continue;
      const decoded = decodeDocument(raw, this.defaultNamespace);
      if ('unknownKind' in decoded) {
        diagnostics.push({ file: relative, line, severity: 'warning', object: '(document)', field: 'kind', message: `${decoded.unknownKind} is not a kind the mesh reads; ignored` });
        continue;
      }
      const { result, collection } = decoded;
      for (const w of result.warnings) diagnostics.push({ ...w, file: relative, line, severity: 'warning' });
      for (const e of result.errors) diagnostics.push({ ...e, file: relative, line, severity: 'error' });
      if (result.value !== undefined) {
        const key = keyOf(result.value, collection);
        out.push({ key, label: labelOf(raw, key), collection, value: result.value, line });
        continue;
      }
      const key = rawKey(raw, collection, this.defaultNamespace);
      const previous = key ? this.lastGood.get(key) : undefined;
      if (previous) {
        diagnostics.push({ file: relative, line, severity: 'warning', object: previous.label, field: '(object)', message: 'keeping the last valid version until this one is fixed' });
        out.push({ ...previous, line });
      }
    }
    return out;
  }

  /** The first load, then reloads on every change (the `ConfigSource` contract). */
  start(): LoadResult {
    const first = this.load();
    this.watch();
    return first;
  }

  /** Reload on every change under the directory (debounced), emitting `change` with the new model. */
  watch(debounceMs = 50): void {
    if (this.watcher) return;
    this.watcher = fs.watch(this.dir, { recursive: true }, () => {
      clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        try {
          this.emit('change', this.load());
        } catch (error) {
          this.emit('change', { model: this.current?.model ?? emptyModel(), diagnostics: [{ file: this.dir, line: 0, severity: 'error', object: '(directory)', field: '(read)', message: (error as Error).message }] });
        }
      }, debounceMs);
    });
  }

  close(): void {
    clearTimeout(this.reloadTimer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
