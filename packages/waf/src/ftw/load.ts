import type { FtwInput, FtwOutput, FtwStage, FtwTest } from './types';

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}: expected a mapping`);
  return v as Obj;
}

function str(v: unknown, where: string, fallback?: string): string {
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${where}: missing`);
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`${where}: expected a string`);
}

/**
 * Turns one parsed FTW YAML document into typed tests. Disabled documents (meta.enabled:
 * false) give no tests.
 */
export function loadFtwDocument(doc: unknown, file: string): FtwTest[] {
  const root = obj(doc, file);
  const meta = root.meta === undefined ? {} : obj(root.meta, `${file}: meta`);
  if (meta.enabled === false) return [];
  const tests = root.tests;
  if (!Array.isArray(tests)) throw new Error(`${file}: tests must be a list`);
  return tests.map((t, i) => {
    const test = obj(t, `${file}: tests[${i}]`);
    const title = str(test.test_title, `${file}: tests[${i}].test_title`);
    const stages = test.stages;
    if (!Array.isArray(stages)) throw new Error(`${file}: ${title}: stages must be a list`);
    return { title, file, stages: stages.map((s, j) => loadStage(s, `${file}: ${title}: stages[${j}]`)) };
  });
}

function loadStage(s: unknown, where: string): FtwStage {
  const wrapper = obj(s, where);
  const stage = obj(wrapper.stage ?? wrapper, where);
  return { input: loadInput(obj(stage.input ?? {}, `${where}.input`), where), output: loadOutput(obj(stage.output ?? {}, `${where}.output`), where) };
}

function loadInput(input: Obj, where: string): FtwInput {
  const headers: [string, string][] = [];
  if (input.headers !== undefined && input.headers !== null) {
    for (const [k, v] of Object.entries(obj(input.headers, `${where}.headers`))) headers.push([k, str(v, `${where}.headers.${k}`, '')]);
  }
  let data: string | undefined;
  if (Array.isArray(input.data)) data = input.data.map((l) => str(l, `${where}.data`)).join('\r\n');
  else if (input.data !== undefined && input.data !== null) data = str(input.data, `${where}.data`);
  let rawRequest: Buffer | undefined;
  if (input.encoded_request !== undefined) rawRequest = Buffer.from(str(input.encoded_request, `${where}.encoded_request`), 'base64');
  else if (input.raw_request !== undefined) rawRequest = Buffer.from(str(input.raw_request, `${where}.raw_request`), 'utf8');
  return {
    method: str(input.method, `${where}.method`, 'GET'),
    uri: str(input.uri, `${where}.uri`, '/'),
    version: str(input.version, `${where}.version`, 'HTTP/1.1'),
    headers,
    ...(data !== undefined ? { data } : {}),
    stopMagic: input.stop_magic === true,
    ...(rawRequest !== undefined ? { rawRequest } : {}),
  };
}

function loadOutput(output: Obj, where: string): FtwOutput {
  const status = output.status;
  let statuses: number[] | undefined;
  if (Array.isArray(status)) statuses = status.map(Number);
  else if (status !== undefined) statuses = [Number(status)];
  return {
    ...(output.log_contains !== undefined ? { logContains: str(output.log_contains, `${where}.log_contains`) } : {}),
    ...(output.no_log_contains !== undefined ? { noLogContains: str(output.no_log_contains, `${where}.no_log_contains`) } : {}),
    ...(statuses ? { status: statuses } : {}),
    ...(output.expect_error !== undefined ? { expectError: output.expect_error === true } : {}),
  };
}
