// The reference WAF users compare Trellis with: nginx + ModSecurity v3 (Debian's
// libnginx-mod-http-modsecurity) + Debian's OWASP CRS 3.3.4, started as a non-daemon child on
// 127.0.0.1 with its configuration generated into a temp dir, plus a raw-socket HTTP client
// and a reader that brackets each request's ModSecurity log lines with go-ftw-style markers.
//
// Plain JS, Node built-ins only, so benchmarks and scripts can require it without a build.
//
//   const ref = await startReference({ before: 'SecAction ...' });
//   const res = await ref.send(Buffer.from('GET /?q=1 HTTP/1.1\r\nHost: localhost\r\n\r\n'));
//   const { log, ids } = await ref.bracket(() => ref.send(...));
//   await ref.stop();
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const MODULE_DIRS = ['/usr/share/nginx/modules', '/usr/lib/nginx/modules'];
const MODULE_FILE = 'ngx_http_modsecurity_module.so';
/**
 * ModSecurity's recommended configuration. Upstream calls it modsecurity.conf-recommended;
 * Debian's libnginx-mod-http-modsecurity installs it as /etc/nginx/modsecurity.conf.
 */
const RECOMMENDED_CONF = [
  '/etc/modsecurity/modsecurity.conf-recommended',
  '/etc/nginx/modsecurity.conf',
  '/usr/share/nginx/docs/modsecurity/modsecurity.conf',
  '/etc/modsecurity/modsecurity.conf',
];
const CRS_SETUP = ['/etc/modsecurity/crs/crs-setup.conf', '/usr/share/modsecurity-crs/crs-setup.conf.example'];
const CRS_RULES_DIR = '/usr/share/modsecurity-crs/rules';
const CRS_EXCLUSIONS_BEFORE = '/etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf';
const CRS_EXCLUSIONS_AFTER = '/etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf';
const MARKER_HEADER = 'X-CRS-Test';
const MARKER_RULE_ID = 999999;

function firstExisting(paths) {
  return paths.find((p) => fs.existsSync(p));
}

function which(cmd) {
  for (const dir of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** What is installed: { nginx, module, recommended, crsSetup, crsRules } (paths) and `missing` (a list of what is not). */
function detect() {
  const found = {
    nginx: which('nginx'),
    module: MODULE_DIRS.map((d) => path.join(d, MODULE_FILE)).find((p) => fs.existsSync(p)),
    recommended: firstExisting(RECOMMENDED_CONF),
    crsSetup: firstExisting(CRS_SETUP),
    crsRules: fs.existsSync(CRS_RULES_DIR) ? CRS_RULES_DIR : undefined,
  };
  const missing = [];
  if (!found.nginx) missing.push('nginx (apt-get install nginx-light)');
  if (!found.module) missing.push(`${MODULE_FILE} (apt-get install libnginx-mod-http-modsecurity)`);
  if (!found.recommended) missing.push('modsecurity.conf-recommended (libnginx-mod-http-modsecurity ships it as /etc/nginx/modsecurity.conf)');
  if (!found.crsSetup || !found.crsRules) missing.push('the OWASP CRS (apt-get install modsecurity-crs)');
  return { ...found, missing };
}

/**
 * The recommended configuration, adjusted as the brief asks: the engine blocking, no audit
 * log, debug log and temp files in `dir`, the unicode map by absolute path, and no status
 * beacon (SecStatusEngine does a DNS lookup; this machine has no internet).
 */
function recommendedConfig(file, dir, debugLogLevel) {
  let text = fs.readFileSync(file, 'utf8');
  const set = (directive, value) => {
    const re = new RegExp(`^\\s*${directive}\\s.*$`, 'm');
    text = re.test(text) ? text.replace(re, `${directive} ${value}`) : `${text}\n${directive} ${value}\n`;
  };
  set('SecRuleEngine', 'On');
  set('SecAuditEngine', 'Off');
  set('SecAuditLog', path.join(dir, 'modsec_audit.log'));
  set('SecTmpDir', dir + '/');
  set('SecDataDir', dir + '/');
  set('SecStatusEngine', 'Off');
  const mapMatch = /^\s*SecUnicodeMapFile\s+(\S+)\s+(\d+)/m.exec(text);
  if (mapMatch && !path.isAbsolute(mapMatch[1])) {
    const mapFile = path.join(path.dirname(file), mapMatch[1]);
    if (fs.existsSync(mapFile)) set('SecUnicodeMapFile', `${mapFile} ${mapMatch[2]}`);
    else text = text.replace(/^\s*SecUnicodeMapFile\s.*$/m, '# SecUnicodeMapFile: map file not found');
  }
  text += `\nSecDebugLog ${path.join(dir, 'modsec_debug.log')}\nSecDebugLogLevel ${debugLogLevel}\n`;
  return `# From ${file}, adjusted by test/waf-reference/nginx-modsecurity.js\n${text}\n`;
}

/**
 * The go-ftw log marker: logs the X-CRS-Test header's value and removes every other rule for
 * that request, so a marker request adds no lines of its own between two markers.
 */
const MARKER_RULE =
  `SecRule REQUEST_HEADERS:${MARKER_HEADER} "@rx ^.*$" ` +
  `"id:${MARKER_RULE_ID},phase:1,pass,t:none,log,msg:'%{MATCHED_VAR}',ctl:ruleRemoveById=1-${MARKER_RULE_ID - 1}"`;

/**
 * The ModSecurity rules file: recommended config, `before` (e.g. the CRS regression setup),
 * crs-setup.conf, the CRS rules, `after`, the marker rule. `crs: false` leaves the CRS out.
 */
function rulesFileText(found, dir, options) {
  const parts = [recommendedConfig(found.recommended, dir, options.debugLogLevel ?? 0)];
  if (options.before) parts.push(options.before);
  if (options.crs !== false) {
    if (options.paranoiaLevel && options.paranoiaLevel !== 1) {
      parts.push(`SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=${options.paranoiaLevel}"`);
    }
    parts.push(`Include ${found.crsSetup}`);
    if (fs.existsSync(CRS_EXCLUSIONS_BEFORE)) parts.push(`Include ${CRS_EXCLUSIONS_BEFORE}`);
    for (const f of fs.readdirSync(found.crsRules).filter((n) => n.endsWith('.conf')).sort()) parts.push(`Include ${path.join(found.crsRules, f)}`);
    if (fs.existsSync(CRS_EXCLUSIONS_AFTER)) parts.push(`Include ${CRS_EXCLUSIONS_AFTER}`);
  }
  if (options.after) parts.push(options.after);
  if (options.marker !== false) parts.push(MARKER_RULE);
  if (options.extraConf) parts.push(options.extraConf);
  return parts.join('\n') + '\n';
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function nginxConfig(found, dir, port, upstreamPort, options) {
  const modsec = options.modsecurity !== false;
  return `# Generated by test/waf-reference/nginx-modsecurity.js
${modsec ? `load_module ${found.module};` : ''}
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  default_type text/html;${options.lenientHeaders ? '\n  ignore_invalid_headers off;' : ''}
  keepalive_requests 100000;
  upstream app { server ${options.app ? `${options.app.host}:${options.app.port}` : `127.0.0.1:${upstreamPort}`}; keepalive 16; }
${
  options.app
    ? ''
    : `  # The tiny upstream: answers 200 to anything, never inspected.
  server {
    listen 127.0.0.1:${upstreamPort};
    ${modsec ? 'modsecurity off;' : ''}
    location / { return 200 "ok\\n"; }
  }`
}
  server {
    listen ${options.host ?? '127.0.0.1'}:${port} default_server;
    server_name localhost;
    ${modsec ? `modsecurity on;\n    modsecurity_rules_file ${dir}/modsecurity-rules.conf;` : ''}
    location / {
${
  options.backend === 'return'
    ? '      return 200 "ok\\n";'
    : '      proxy_pass http://app;\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";'
}
    }
  }
}
`;
}

/**
 * Starts nginx (+ ModSecurity + CRS unless `modsecurity: false` / `crs: false`).
 * Options: before, after (extra directives around the CRS), paranoiaLevel, marker (default
 * true), debugLogLevel (default 0), startTimeoutMs, backend ('proxy', the default: proxy_pass
 * to a `return 200` server in the same nginx; 'return': answer in the location itself, which
 * ends the request in nginx's rewrite phase, before ModSecurity reads the request body).
 * `extraConf` is appended to the ModSecurity rules file verbatim (after the marker).
 * `host` is the address to listen on (default 127.0.0.1); `app: { host, port }` proxies to that
 * server instead of the built-in return-200 one (to stand in front of the same app as a proxy).
 * `lenientHeaders: true` sets nginx's ignore_invalid_headers off (by default nginx drops header
 * fields whose names hold anything but letters, digits and '-', such as X_Filename or
 * X.Filename, so neither ModSecurity nor the upstream sees them).
 * Resolves to a handle: { port, pid, dir, errorLog, rulesFile, send, bracket, stop }.
 */
async function startReference(options = {}) {
  const found = detect();
  const needed = options.modsecurity === false ? found.missing.filter((m) => m.startsWith('nginx')) : found.missing;
  if (needed.length) throw new Error(`nginx + ModSecurity reference unavailable; missing: ${needed.join('; ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-waf-ref-'));
  const port = options.port ?? (await freePort());
  const upstreamPort = await freePort();
  if (options.modsecurity !== false) fs.writeFileSync(path.join(dir, 'modsecurity-rules.conf'), rulesFileText(found, dir, options));
  const confFile = path.join(dir, 'nginx.conf');
  fs.writeFileSync(confFile, nginxConfig(found, dir, port, upstreamPort, options));
  const errorLog = path.join(dir, 'error.log');
  fs.writeFileSync(errorLog, '');

  const child = spawn(found.nginx, ['-p', dir, '-c', confFile, '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < 65536) stderr += d;
  });
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });

  const stop = () =>
    new Promise((resolve) => {
      if (exited) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(timer);
        if (!options.keepDir) fs.rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      child.kill('SIGQUIT');
    });

  // CRS with ModSecurity takes a few seconds to compile; wait for the port.
  const deadline = Date.now() + (options.startTimeoutMs ?? 60000);
  for (;;) {
    if (exited) {
      const log = fs.readFileSync(errorLog, 'utf8');
      throw new Error(`nginx exited (${JSON.stringify(exited)}) while starting:\n${stderr}\n${log.slice(-4000)}`);
    }
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, options.host ?? '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${port} within ${options.startTimeoutMs ?? 60000} ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const handle = {
    port,
    pid: child.pid,
    dir,
    errorLog,
    rulesFile: path.join(dir, 'modsecurity-rules.conf'),
    /** Sends bytes on a new connection; resolves to { status, headers, body, raw, error }. */
    send: (bytes, sendOptions) => sendRaw(port, bytes, sendOptions),
    /** Lines ModSecurity logged while `fn` ran (go-ftw's start/end markers around it). */
    bracket: (fn) => bracket(handle, fn),
    stop,
    stderr: () => stderr,
  };
  return handle;
}

/**
 * A minimal HTTP/1.x client over a raw socket: writes `bytes` as they are (the FTW suite
 * sends malformed requests on purpose) and reads one response, ending at Content-Length,
 * the last chunk, or the close. `error` is set when no complete response came (a reset,
 * a timeout): go-ftw's expect_error.
 */
function sendRaw(port, bytes, { timeoutMs = 5000, host = '127.0.0.1' } = {}) {
  const head = bytes.subarray(0, 5).toString('latin1') === 'HEAD ';
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const chunks = [];
    let size = 0;
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const parsed = parseResponse(raw, head);
      // A response without a length ends at the close (HTTP/1.0 style); that is complete.
      const complete = parsed && (parsed.complete || (error === 'connection closed' && parsed.closeDelimited));
      resolve({ ...(parsed ?? { status: 0, headers: [], body: Buffer.alloc(0) }), raw, error: complete ? undefined : error ?? 'incomplete response' });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d) => {
      chunks.push(d);
      size += d.length;
      const parsed = parseResponse(Buffer.concat(chunks, size), head);
      if (parsed && parsed.complete) finish();
    });
    socket.on('error', (e) => finish(e.code || e.message));
    socket.on('close', () => finish('connection closed'));
  });
}

/** Parses one response from `raw`; `complete` when its body is all there (or cannot be delimited). */
function parseResponse(raw, head = false) {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(lines[0]);
  if (!m) return undefined;
  const headers = lines.slice(1).map((l) => {
    const c = l.indexOf(':');
    return [l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()];
  });
  const get = (n) => headers.find(([k]) => k === n)?.[1];
  const rest = raw.subarray(headEnd + 4);
  const status = Number(m[1]);
  let complete = false;
  let body = rest;
  const cl = get('content-length');
  let closeDelimited = false;
  if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    complete = true;
    body = rest.subarray(0, 0);
  }
  else if (cl !== undefined) {
    complete = rest.length >= Number(cl);
    body = rest.subarray(0, Number(cl));
  } else if (/chunked/i.test(get('transfer-encoding') ?? '')) {
    complete = /(^|\r\n)0\r\n(?:[^\r\n]+\r\n)*\r\n$/.test(rest.toString('latin1'));
  } else closeDelimited = true;
  return { status, headers, body, complete, closeDelimited };
}

/** The marker request go-ftw sends before and after each stage. */
function markerRequest(id) {
  return Buffer.from(`GET /status/200 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: trellis-waf-reference\r\nAccept: */*\r\n${MARKER_HEADER}: ${id}\r\nConnection: close\r\n\r\n`);
}

/**
 * Runs `fn` between two marker requests and returns the error-log text ModSecurity wrote in
 * between: { log, ids (rule ids, in log order, de-duplicated), result (fn's) }.
 * nginx runs one process, so lines are in request order; each marker line is looked for in
 * the log (by its random id) before going on, as go-ftw does.
 */
async function bracket(ref, fn) {
  const start = randomUUID();
  await ref.send(markerRequest(start));
  const startOffset = await waitForMarker(ref.errorLog, start, ref.logCursor ?? 0);
  const result = await fn();
  const end = randomUUID();
  await ref.send(markerRequest(end));
  const endOffset = await waitForMarker(ref.errorLog, end, startOffset.end);
  ref.logCursor = endOffset.end;
  const text = readRange(ref.errorLog, startOffset.end, endOffset.start);
  // Drop whatever the marker requests themselves logged (they only log the marker rule).
  const log = text
    .split('\n')
    .filter((l) => l && !l.includes(`[id "${MARKER_RULE_ID}"]`))
    .join('\n');
  const ids = [...new Set([...log.matchAll(/\[id "(\d+)"\]/g)].map((x) => x[1]))];
  return { log, ids, result };
}

/** Finds the marker's log line at or after byte `begin`; returns the byte range of that line. */
async function waitForMarker(file, id, begin, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readRange(file, begin, undefined);
    const at = text.indexOf(id);
    if (at >= 0) {
      const buf = Buffer.from(text, 'latin1');
      const lineStart = buf.lastIndexOf('\n', at) + 1;
      let lineEnd = buf.indexOf('\n', at);
      if (lineEnd < 0) lineEnd = buf.length;
      return { start: begin + lineStart, end: begin + lineEnd + 1 };
    }
    if (Date.now() > deadline) throw new Error(`log marker ${id} not found in ${file}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function readRange(file, start, end) {
  const fd = fs.openSync(file, 'r');
  try {
    const size = end ?? fs.fstatSync(fd).size;
    const len = Math.max(0, size - start);
    const buf = Buffer.alloc(len);
    let read = 0;
    while (read < len) {
      const n = fs.readSync(fd, buf, read, len - read, start + read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read).toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}

/** CPU time (user + system, µs) a process has used, from /proc/<pid>/stat. */
function processCpuMicros(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  return (ticks * 1e6) / clockTicks();
}

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

module.exports = { detect, startReference, sendRaw, parseResponse, processCpuMicros, rulesFileText, MARKER_HEADER, MARKER_RULE_ID };

if (require.main === module) {
  // Smoke run: start, send an SQLi and a benign GET, print what was logged, stop.
  (async () => {
    const ref = await startReference({ keepDir: process.argv.includes('--keep') });
    console.log(`nginx pid ${ref.pid} on 127.0.0.1:${ref.port}, config in ${ref.dir}`);
    for (const uri of ['/?id=1%27%20or%201%3D1--', '/index.html?page=2']) {
      const r = await ref.bracket(() => ref.send(Buffer.from(`GET ${uri} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: smoke\r\nAccept: */*\r\nConnection: close\r\n\r\n`)));
      console.log(`${uri} -> ${r.result.status}${r.result.error ? ` (${r.result.error})` : ''}, rules ${r.ids.join(' ') || '(none)'}`);
    }
    await ref.stop();
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
