import { OpenApiDocumentError } from './document';

interface TemplatedChild<T> {
  /** The segment with its parameter names blanked (`{}.{}`): two templates differing only in names are the same path. */
  shape: string;
  /** Set for segments mixing text and parameters (`{name}.json`); a whole-segment parameter takes any segment. */
  pattern?: RegExp;
  node: Node<T>;
}

interface Node<T> {
  literals: Map<string, Node<T>>;
  templated: TemplatedChild<T>[];
  value?: { template: string; parameterNames: string[]; entry: T };
}

export interface PathMatch<T> {
  template: string;
  entry: T;
  /** Path parameter values by name, still percent-encoded. */
  parameters: Record<string, string>;
}

const newNode = <T>(): Node<T> => ({ literals: new Map(), templated: [] });
const PARAMETER = /\{([^{}]+)\}/g;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The document's path templates as a tree of segments. Matching prefers a literal
 * segment over a templated one at every step (OpenAPI: concrete paths match before
 * their templated counterparts), falling back when the literal branch leads nowhere.
 */
export class PathTemplates<T> {
  private readonly root = newNode<T>();

  /** Adds a template; returns its parameter names in order. */
  add(template: string, entry: T, where: string): string[] {
    if (!template.startsWith('/')) throw new OpenApiDocumentError(where, 'a path must start with /');
    const parameterNames: string[] = [];
    let node = this.root;
    for (const segment of template.slice(1).split('/')) {
      const names = [...segment.matchAll(PARAMETER)].map((m) => m[1]!);
      if (names.length === 0) {
        let next = node.literals.get(segment);
        if (!next) node.literals.set(segment, (next = newNode()));
        node = next;
        continue;
      }
      parameterNames.push(...names);
      const shape = segment.replace(PARAMETER, '{}');
      let next = node.templated.find((t) => t.shape === shape);
      if (!next) {
        const whole = shape === '{}';
        next = { shape, node: newNode(), ...(whole ? {} : { pattern: new RegExp(`^${shape.split('{}').map(escapeRegExp).join('([^/]+?)')}$`) }) };
        // Segments with text around their parameters are more specific than a bare parameter.
        node.templated.splice(whole ? node.templated.length : 0, 0, next);
      }
      node = next.node;
    }
    if (node.value) throw new OpenApiDocumentError(where, `is the same path as ${node.value.template}`);
    node.value = { template, parameterNames, entry };
    return parameterNames;
  }

  match(path: string): PathMatch<T> | undefined {
    const captured: string[] = [];
    const found = this.walk(this.root, path.slice(1).split('/'), 0, captured);
    if (!found?.value) return undefined;
    const parameters: Record<string, string> = {};
    found.value.parameterNames.forEach((name, i) => (parameters[name] = captured[i]!));
    return { template: found.value.template, entry: found.value.entry, parameters };
  }

  private walk(node: Node<T>, segments: string[], i: number, captured: string[]): Node<T> | undefined {
    if (i === segments.length) return node.value ? node : undefined;
    const segment = segments[i]!;
    const literal = node.literals.get(segment);
    const viaLiteral = literal && this.walk(literal, segments, i + 1, captured);
    if (viaLiteral) return viaLiteral;
    if (segment === '') return undefined;
    for (const t of node.templated) {
      const values = t.pattern ? t.pattern.exec(segment)?.slice(1) : [segment];
      if (!values) continue;
      const mark = captured.length;
      captured.push(...values);
      const found = this.walk(t.node, segments, i + 1, captured);
      if (found) return found;
      captured.length = mark;
    }
    return undefined;
  }
}
