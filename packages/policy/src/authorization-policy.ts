import { checkValue, isHttpOnly, OPERATION_FIELDS, parseConditionKey, SOURCE_FIELDS } from './attributes';
import {
  DiagnosticSink, decodeEnvelope, decodeList, decodeObject, decodeSelector, decodeString, decodeStringList, describe, unwrap,
  type Json, type ValidationResult,
} from '@trellis/objects';
import { SECURITY_API_VERSIONS } from './api-versions';
import type {
  Attribute, AuthorizationAction, AuthorizationPolicy, Condition, Operation, PolicyTargetReference, Rule, Source,
} from './model';
import { parsePattern } from './patterns';

export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

const SPEC_FIELDS = ['selector', 'targetRef', 'targetRefs', 'action', 'provider', 'rules'];
const SOURCE_KEYS = SOURCE_FIELDS.flatMap(([values, notValues]) => [values, notValues]);
const OPERATION_KEYS = OPERATION_FIELDS.flatMap(([values, notValues]) => [values, notValues]);
const TARGET_REF_FIELDS = ['group', 'kind', 'name', 'namespace'];

/** Decodes and validates an AuthorizationPolicy object (parsed YAML/JSON). */
export function validateAuthorizationPolicy(input: unknown): ValidationResult<AuthorizationPolicy> {
  const sink = new DiagnosticSink('AuthorizationPolicy ?/?');
  const envelope = decodeEnvelope(input, sink, { kind: 'AuthorizationPolicy', apiVersions: SECURITY_API_VERSIONS });
  if (!envelope) return sink.failed();
  const spec = decodeObject(envelope.spec ?? {}, 'spec', sink, SPEC_FIELDS) ?? {};

  const action = decodeAction(spec, sink);
  const selector = decodeSelector(spec['selector'], 'spec.selector', sink);
  const targetRefs = decodeTargetRefs(spec, sink);
  if (selector && targetRefs.length > 0) sink.error('spec', 'selector and targetRef(s) are mutually exclusive');
  const namespace = envelope.metadata.namespace;
  const rules = decodeList(spec['rules'], 'spec.rules', sink).map((r, i) => decodeRule(r, `spec.rules[${i}]`, action, namespace, sink));
  const dryRun = decodeDryRun(envelope.metadata.annotations, sink);

  if (rules.length === 0) {
    sink.warn(
      'spec.rules',
      action === 'ALLOW' ? 'no rules: this ALLOW policy allows nothing, so the selected workloads deny every request' : 'no rules: this policy never matches',
    );
  }
  const policy: AuthorizationPolicy = { kind: 'AuthorizationPolicy', metadata: envelope.metadata, dryRun, targetRefs, action, rules };
  if (selector) policy.selector = selector;
  return sink.result(policy);
}

/** Like validateAuthorizationPolicy but throws ObjectValidationError listing every error. */
export function parseAuthorizationPolicy(input: unknown): AuthorizationPolicy {
  return unwrap(validateAuthorizationPolicy(input));
}

function decodeAction(spec: Json, sink: DiagnosticSink): AuthorizationAction {
  const action = spec['action'] ?? 'ALLOW';
  if (action === 'CUSTOM') {
    sink.error('spec.action', 'CUSTOM (external authorization) is not supported by Trellis');
    return 'ALLOW';
  }
  if (spec['provider'] !== undefined) sink.error('spec.provider', 'is only valid with action CUSTOM, which Trellis does not support');
  if (action !== 'ALLOW' && action !== 'DENY' && action !== 'AUDIT') {
    sink.error('spec.action', `${describe(action)} is not one of ALLOW, DENY, AUDIT`);
    return 'ALLOW';
  }
  return action;
}

function decodeDryRun(annotations: Record<string, string>, sink: DiagnosticSink): boolean {
  const raw = annotations[DRY_RUN_ANNOTATION];
  if (raw === undefined) return false;
  // Go's strconv.ParseBool, which Istio uses for this annotation.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
  sink.error(`metadata.annotations["${DRY_RUN_ANNOTATION}"]`, `${describe(raw)} is not a boolean`);
  return false;
}

function decodeTargetRefs(spec: Json, sink: DiagnosticSink): PolicyTargetReference[] {
  if (spec['targetRef'] !== undefined && spec['targetRefs'] !== undefined) sink.error('spec', 'targetRef and targetRefs are mutually exclusive');
  const raw = spec['targetRef'] !== undefined ? [[spec['targetRef'], 'spec.targetRef'] as const] : decodeList(spec['targetRefs'], 'spec.targetRefs', sink).map((r, i) => [r, `spec.targetRefs[${i}]`] as const);
  const refs: PolicyTargetReference[] = [];
  for (const [value, field] of raw) {
    const ref = decodeObject(value, field, sink, TARGET_REF_FIELDS);
    if (!ref) continue;
    const group = decodeString(ref['group'], `${field}.group`, sink) ?? '';
    const kind = decodeString(ref['kind'], `${field}.kind`, sink);
    const name = decodeString(ref['name'], `${field}.name`, sink);
    const namespace = decodeString(ref['namespace'], `${field}.namespace`, sink);
    if (!kind) sink.error(`${field}.kind`, 'is required');
    if (!name) sink.error(`${field}.name`, 'is required');
    if (!kind || !name) continue;
    if (!(group === 'gateway.networking.k8s.io' && kind === 'Gateway')) {
      sink.warn(field, `${group || 'core'}/${kind} targets waypoint or gateway proxies; Trellis sidecars ignore this policy`);
    }
    refs.push(namespace === undefined ? { group, kind, name } : { group, kind, name, namespace });
  }
  return refs;
}

/** Decodes one `values`/`notValues`-style pair, checking each value against the attribute. */
function decodeValuePair(raw: Json, valuesKey: string, notValuesKey: string, attribute: Attribute, field: string, action: AuthorizationAction, sink: DiagnosticSink): [string[], string[]] {
  const check = (v: string) => checkValue(attribute, v);
  const values = decodeStringList(raw[valuesKey], `${field}.${valuesKey}`, sink, check);
  const notValues = decodeStringList(raw[notValuesKey], `${field}.${notValuesKey}`, sink, check);
  if (values.length + notValues.length > 0) {
    if (isHttpOnly(attribute)) {
      const onTcp = action === 'ALLOW' ? 'the whole rule is ignored' : 'this field is ignored and the rest of the rule still applies';
      sink.warn(`${field}.${values.length > 0 ? valuesKey : notValuesKey}`, `only applies to HTTP; on TCP traffic ${onTcp}`);
    }
    warnSoftIssues(attribute, values, `${field}.${valuesKey}`, sink);
    const contradiction = values.find((v) => notValues.includes(v) || notValues.includes('*'));
    if (contradiction !== undefined) {
      sink.warn(`${field}.${notValuesKey}`, `excludes "${contradiction}", which ${field}.${valuesKey} requires: this can never match`);
    }
  }
  return [values, notValues];
}

/** Values that are valid but cannot match what a request carries. */
function warnSoftIssues(attribute: Attribute, values: string[], field: string, sink: DiagnosticSink): void {
  values.forEach((value, i) => {
    const pattern = parsePattern(value);
    if (pattern.kind === 'presence') return;
    if (attribute.kind === 'request.method' && pattern.text !== pattern.text.toUpperCase()) {
      sink.warn(`${field}[${i}]`, `"${value}": methods are matched case-sensitively and requests use upper case`);
    }
    if (attribute.kind === 'request.path' && pattern.kind !== 'suffix' && !pattern.text.startsWith('/')) {
      sink.warn(`${field}[${i}]`, `"${value}" does not start with "/", so no request path matches it`);
    }
    if (attribute.kind === 'request.path' && pattern.text.includes('?')) {
      sink.warn(`${field}[${i}]`, `"${value}": paths are matched without the query string`);
    }
  });
}

function emptySource(): Source {
  return {
    principals: [], notPrincipals: [], requestPrincipals: [], notRequestPrincipals: [], namespaces: [], notNamespaces: [],
    ipBlocks: [], notIpBlocks: [], remoteIpBlocks: [], notRemoteIpBlocks: [], serviceAccounts: [], notServiceAccounts: [],
  };
}

function emptyOperation(): Operation {
  return { hosts: [], notHosts: [], ports: [], notPorts: [], methods: [], notMethods: [], paths: [], notPaths: [] };
}

function decodeRule(value: unknown, field: string, action: AuthorizationAction, namespace: string, sink: DiagnosticSink): Rule {
  const raw = decodeObject(value ?? {}, field, sink, ['from', 'to', 'when']) ?? {};
  const from = decodeEntries(raw, 'from', 'source', field, sink).map(([entry, at]) => {
    const source = emptySource();
    const rawSource = decodeObject(entry, at, sink, SOURCE_KEYS) ?? {};
    for (const [v, n, attribute] of SOURCE_FIELDS) [source[v], source[n]] = decodeValuePair(rawSource, v, n, attribute, at, action, sink);
    // A bare service account name means one in the policy's namespace.
    const qualify = (sa: string) => (sa.includes('/') ? sa : `${namespace}/${sa}`);
    source.serviceAccounts = source.serviceAccounts.map(qualify);
    source.notServiceAccounts = source.notServiceAccounts.map(qualify);
    if (SOURCE_KEYS.every((k) => rawSource[k] === undefined)) sink.error(at, 'must set at least one field');
    return source;
  });
  const to = decodeEntries(raw, 'to', 'operation', field, sink).map(([entry, at]) => {
    const operation = emptyOperation();
    const rawOperation = decodeObject(entry, at, sink, OPERATION_KEYS) ?? {};
    for (const [v, n, attribute] of OPERATION_FIELDS) [operation[v], operation[n]] = decodeValuePair(rawOperation, v, n, attribute, at, action, sink);
    if (OPERATION_KEYS.every((k) => rawOperation[k] === undefined)) sink.error(at, 'must set at least one field');
    return operation;
  });
  const when = decodeList(raw['when'], `${field}.when`, sink).flatMap((c, i) => decodeCondition(c, `${field}.when[${i}]`, action, sink));
  return { from, to, when };
}

/** `from[i].source` / `to[i].operation` entries with their field paths; an explicitly empty list is an error (Istio). */
function decodeEntries(raw: Json, listKey: string, entryKey: string, field: string, sink: DiagnosticSink): Array<[unknown, string]> {
  const at = `${field}.${listKey}`;
  const list = decodeList(raw[listKey], at, sink);
  if (raw[listKey] !== undefined && raw[listKey] !== null && list.length === 0) sink.error(at, 'must not be empty (omit it to match any)');
  return list.flatMap((item, i): Array<[unknown, string]> => {
    const entry = decodeObject(item, `${at}[${i}]`, sink, [entryKey]);
    if (!entry || entry[entryKey] === undefined || entry[entryKey] === null) {
      sink.error(`${at}[${i}].${entryKey}`, 'is required');
      return [];
    }
    return [[entry[entryKey], `${at}[${i}].${entryKey}`]];
  });
}

function decodeCondition(value: unknown, field: string, action: AuthorizationAction, sink: DiagnosticSink): Condition[] {
  const raw = decodeObject(value, field, sink, ['key', 'values', 'notValues']);
  if (!raw) return [];
  const key = decodeString(raw['key'], `${field}.key`, sink);
  if (!key) {
    sink.error(`${field}.key`, 'is required');
    return [];
  }
  const attribute = parseConditionKey(key);
  if (typeof attribute === 'string') {
    sink.error(`${field}.key`, attribute);
    return [];
  }
  const [values, notValues] = decodeValuePair(raw, 'values', 'notValues', attribute, field, action, sink);
  if (raw['values'] === undefined && raw['notValues'] === undefined) sink.error(field, 'must set values or notValues');
  return [{ key, attribute, values, notValues }];
}
