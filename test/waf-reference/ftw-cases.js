// The CRS regression cases as both sides of the comparison see them, and the go-ftw verdict.
//
// Parsing is @trellis/waf's own FTW loader (ftw.loadFtwDocument / ftw.buildRequest from the
// built dist/); this file only adds what go-ftw does on the wire that the in-process runner
// has no need for, so that nginx + ModSecurity and Trellis get the very same request:
//   - `Connection: close` unless the stage sets Connection (go-ftw's AddStandardHeaders);
//   - multipart/form-data bodies with bare LF line ends sent with CRLF (go-ftw's BuildRequest);
//   - raw_request / encoded_request bytes sent exactly as the loader gives them (all of them:
//     the in-process runner cuts the body at Content-Length, nginx reads only that much).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const WAF_DIST = path.join(ROOT, 'packages/waf/dist/index.js');
const DEFAULT_SUITE = path.resolve(ROOT, '..', 'shared/data/crs-3.3.4-regression');

function loadWaf() {
  if (!fs.existsSync(WAF_DIST)) throw new Error(`${WAF_DIST} is missing: run \`npx tsc -b\` first`);
  return require(WAF_DIST);
}

function loadYaml() {
  // js-yaml is @trellis/waf's dev dependency (its jest test parses the suite with it).
  return require(require.resolve('js-yaml', { paths: [path.join(ROOT, 'packages/waf'), ROOT] }));
}

/**
 * Every case of the suite as [{ family, tests: FtwTest[] }], sorted. `includeDisabled` also
 * loads the files marked `meta.enabled: false` (7 cases in 920250/360/370/380/390), which
 * go-ftw and @trellis/waf's loader skip.
 */
function loadSuite(suiteDir = DEFAULT_SUITE, { includeDisabled = false } = {}) {
  const { ftw } = loadWaf();
  const yaml = loadYaml();
  const families = [];
  for (const family of fs.readdirSync(suiteDir).sort()) {
    const dir = path.join(suiteDir, family);
    if (!fs.statSync(dir).isDirectory()) continue;
    const tests = [];
    for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      const doc = yaml.load(fs.readFileSync(path.join(dir, file), 'utf8'));
      const disabled = doc && doc.meta && doc.meta.enabled === false;
      if (disabled && !includeDisabled) continue;
      const docToLoad = disabled ? { ...doc, meta: { ...doc.meta, enabled: true } } : doc;
      for (const t of ftw.loadFtwDocument(docToLoad, file)) tests.push(Object.assign(t, { family, disabled: Boolean(disabled) }));
    }
    families.push({ family, tests });
  }
  return families;
}

const lower = (s) => s.toLowerCase();

/**
 * One stage's request: `request` in the shape ftw.runRequest takes (method, uri, version,
 * headers, body) and `wire`, the bytes sent to nginx. `crlfMultipart: false` and
 * `connectionClose: false` turn off the two go-ftw wire habits (older go-ftw and the Python
 * ftw did neither), to see which results depend on them.
 */
function stageRequest(input, { crlfMultipart = true, connectionClose = true, encodeForm = false } = {}) {
  const { ftw } = loadWaf();
  const request = ftw.buildRequest(input);
  if (input.rawRequest !== undefined) {
    // Bytes as @trellis/waf's loader gives them (raw_request UTF-8 encoded as go-ftw sends it,
    // encoded_request base64-decoded); before its commit 3871005 it gave a latin1 string.
    const wire = Buffer.isBuffer(input.rawRequest) ? input.rawRequest : Buffer.from(input.rawRequest, 'latin1');
    return { request, wire, raw: true };
  }

  const headers = request.headers.map(([k, v]) => [k, v]);
  let body = typeof request.body === 'string' ? request.body : request.body.toString('latin1');
  const find = (name) => headers.find(([k]) => lower(k) === name);
  const contentType = find('content-type');
  if (encodeForm && !input.stopMagic && body && contentType && contentType[1] === 'application/x-www-form-urlencoded') {
    const encoded = encodeFormLikeGoFtw(body);
    if (encoded !== body) {
      body = encoded;
      const declared = input.headers.some(([k]) => lower(k) === 'content-length');
      const cl = find('content-length');
      if (cl && !declared) cl[1] = String(Buffer.byteLength(body, 'utf8'));
    }
  }
  if (crlfMultipart && contentType && contentType[1].startsWith('multipart/form-data;') && /(^|[^\r])\n/.test(body)) {
    body = body.replace(/\r?\n/g, '\r\n');
    // Content-Length was computed by buildRequest; fix it unless the test set its own.
    const declared = input.headers.some(([k]) => lower(k) === 'content-length');
    const cl = find('content-length');
    if (cl && !declared) cl[1] = String(Buffer.byteLength(body, 'utf8'));
  }
  if (connectionClose && !input.stopMagic && !find('connection')) headers.push(['Connection', 'close']);
  const head = `${request.method} ${request.uri} ${request.version}\r\n` + headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  const wire = Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(body, 'utf8')]);
  return { request: { ...request, headers, body }, wire, raw: false };
}

/** Go's url.QueryUnescape: undefined where it fails (a bad % escape). */
function queryUnescape(s) {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return undefined;
  const bytes = Buffer.from(s.replace(/\+/g, ' '), 'utf8');
  const out = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x25) {
      out.push(parseInt(bytes.subarray(i + 1, i + 3).toString('latin1'), 16));
      i += 2;
    } else out.push(bytes[i]);
  }
  return Buffer.from(out).toString('utf8');
}

/** Go's url.QueryEscape: unreserved bytes kept, space as '+', the rest %XX (upper case). */
function queryEscape(s) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * Newer go-ftw (2024 on) url-encodes form data that unescaping leaves unchanged, name and
 * value of each &-separated pair apart; CRS 3.3.4's tests were written for the older
 * runners, which sent data as written. Off unless asked for (--encode-form).
 */
function encodeFormLikeGoFtw(data) {
  if (queryUnescape(data) !== data) return data;
  return data
    .split('&')
    .map((token) => {
      const eq = token.indexOf('=');
      return eq < 0 ? queryEscape(token) : `${queryEscape(token.slice(0, eq))}=${queryEscape(token.slice(eq + 1))}`;
    })
    .join('&');
}

/**
 * go-ftw's checkResult: an error (reset, timeout, no parsable response) passes only when
 * expected; otherwise each expectation that is set must hold (status in the list,
 * log_contains matches the log, no_log_contains does not).
 * `outcome` is { status, log, error }; returns { passed, reason }.
 */
function judge(output, outcome) {
  if (outcome.error) {
    return output.expectError ? { passed: true } : { passed: false, reason: `error: ${outcome.error}` };
  }
  if (output.status && !output.status.includes(outcome.status)) return { passed: false, reason: `status ${outcome.status}, expected ${output.status.join('/')}` };
  if (output.logContains !== undefined && !new RegExp(output.logContains).test(outcome.log)) return { passed: false, reason: `log lacks /${output.logContains}/` };
  if (output.noLogContains !== undefined && new RegExp(output.noLogContains).test(outcome.log)) return { passed: false, reason: `log has /${output.noLogContains}/` };
  return { passed: true };
}

/** "942100" from `id "942100"`, for reports. */
function targetRule(test) {
  const m = /^(\d{6})/.exec(test.title);
  return m ? m[1] : undefined;
}

function pct(passed, total) {
  return `${((100 * passed) / (total || 1)).toFixed(1)}%`;
}

/**
 * Runs a case's stages in order through `send(stage)` (which returns {status, log, error,
 * ids, front?}), stopping at the first failing stage, and returns the record both runners write.
 */
async function runStages(test, send) {
  const stages = [];
  for (const stage of test.stages) {
    const outcome = await send(stage);
    const verdict = judge(stage.output, outcome);
    stages.push({ status: outcome.status, error: outcome.error, ids: outcome.ids, front: outcome.front, ...verdict });
    if (!verdict.passed) break;
  }
  const failed = stages.find((s) => !s.passed);
  const last = stages[stages.length - 1];
  return {
    title: test.title,
    family: test.family,
    rule: targetRule(test),
    disabled: test.disabled || undefined,
    passed: !failed,
    reason: failed?.reason,
    status: last?.status,
    error: last?.error,
    ids: stages.flatMap((s) => s.ids),
    /** Set when a stage's outcome came from an HTTP layer in front of the engine. */
    front: stages.some((s) => s.front) || undefined,
  };
}

module.exports = { ROOT, DEFAULT_SUITE, loadWaf, loadYaml, loadSuite, stageRequest, judge, targetRule, runStages, pct };
