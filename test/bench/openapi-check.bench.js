#!/usr/bin/env node
// Cost of @trellis/openapi: compiling a document once, then checking one request, in-process.
// Runs over the built package:
//   npx tsc -b && /usr/bin/time -v node test/bench/openapi-check.bench.js [--seconds N]
// Per-request figures are ns per check, best of ROUNDS rounds, printed against a baseline
// measured in the same run: what any check must do anyway — split the target, parse the
// query, JSON.parse the body — with no path lookup and no schema.
'use strict';
const path = require('node:path');
const { compileOpenApi } = require(path.join(__dirname, '../../packages/openapi/dist/index.js'));

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 3;
const ROUNDS = 5;

/** A document of `resources` REST resources (list, create, read, update, delete each), 3.0 style. */
function document(resources) {
  const paths = {};
  const schemas = {};
  for (let r = 0; r < resources; r++) {
    const name = `Thing${r}`;
    schemas[name] = {
      type: 'object', required: ['name', 'count'], additionalProperties: false,
      properties: {
        name: { type: 'string', maxLength: 64 }, count: { type: 'integer', minimum: 0 }, price: { type: 'number', nullable: true },
        tags: { type: 'array', maxItems: 10, items: { type: 'string', enum: ['a', 'b', 'c'] } }, owner: { type: 'string', format: 'email' },
      },
    };
    const body = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } };
    const id = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
    paths[`/things${r}`] = {
      get: { parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } }, { name: 'sort', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } }] },
      post: { requestBody: body },
    };
    paths[`/things${r}/{id}`] = { parameters: [id], get: {}, put: { requestBody: body }, delete: {} };
  }
  return { openapi: '3.0.3', info: { title: 'bench', version: '1' }, servers: [{ url: '/api/v1' }], paths, components: { schemas } };
}

function compileMs(resources) {
  const doc = document(resources);
  const start = process.hrtime.bigint();
  const checker = compileOpenApi(doc);
  return { checker, ms: Number(process.hrtime.bigint() - start) / 1e6, paths: Object.keys(doc.paths).length };
}

/** ajv generates a schema's code when a request first needs it: what that first request pays. */
function firstRequestMs() {
  const fresh = compileOpenApi(document(200));
  const start = process.hrtime.bigint();
  const head = fresh.checkHead({ method: 'PUT', target: '/api/v1/things7/42', header: (name) => json[name] });
  head.body.check(bodyBuffer);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const small = compileMs(10);
const large = compileMs(200);
const checker = large.checker;

const body = JSON.stringify({ name: 'a thing with a name', count: 3, price: 9.5, tags: ['a', 'c'], owner: 'someone@example.com' });
const json = { 'content-type': 'application/json', 'content-length': String(body.length) };
const header = (headers) => (name) => headers[name];
const noHeaders = header({});
const jsonHeaders = header(json);
const bodyBuffer = Buffer.from(body);

const cases = {
  'GET, query params': () => checker.checkHead({ method: 'GET', target: '/api/v1/things150?limit=20&sort=desc', header: noHeaders }),
  'GET, path param': () => checker.checkHead({ method: 'GET', target: '/api/v1/things150/42', header: noHeaders }),
  'PUT, 120 B JSON body': () => {
    const head = checker.checkHead({ method: 'PUT', target: '/api/v1/things150/42', header: jsonHeaders });
    return head.body.check(bodyBuffer);
  },
  'unknown path (404)': () => checker.checkHead({ method: 'GET', target: '/api/v1/nothing/42', header: noHeaders }),
  'bad body (400)': () => {
    const head = checker.checkHead({ method: 'PUT', target: '/api/v1/things150/42', header: jsonHeaders });
    return head.body.check(Buffer.from('{"name":"x","count":-1}'));
  },
};

const baselines = {
  'GET, query params': () => new URLSearchParams('/api/v1/things150?limit=20&sort=desc'.split('?')[1]).get('limit'),
  'GET, path param': () => '/api/v1/things150/42'.split('/').length,
  'PUT, 120 B JSON body': () => JSON.parse(bodyBuffer.toString('utf8')),
  'unknown path (404)': () => '/api/v1/nothing/42'.split('/').length,
  'bad body (400)': () => JSON.parse('{"name":"x","count":-1}'),
};

// Each case must come out as the name says, or the figure means nothing.
const expected = { 'GET, query params': true, 'GET, path param': true, 'PUT, 120 B JSON body': true, 'unknown path (404)': 404, 'bad body (400)': 400 };
for (const [name, fn] of Object.entries(cases)) {
  const result = fn();
  const outcome = result.ok ? true : result.status;
  if (outcome !== expected[name]) throw new Error(`${name}: expected ${expected[name]}, got ${JSON.stringify(result)}`);
}

/** Wall ns per call after a warm-up: the best of ROUNDS rounds (other processes only ever add). */
function measure(fn) {
  for (let i = 0; i < 5000; i++) fn();
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const end = Date.now() + (seconds * 1000) / ROUNDS / 2;
    while (Date.now() < end) {
      for (let i = 0; i < 200; i++) fn();
      n += 200;
    }
    best = Math.min(best, Number(process.hrtime.bigint() - start) / n);
  }
  return best;
}

console.log(`compile: ${small.paths} paths in ${small.ms.toFixed(1)} ms, ${large.paths} paths in ${large.ms.toFixed(1)} ms (once per document per process)`);
console.log(`first PUT to an operation of a fresh checker (its path and body validators generated): ${firstRequestMs().toFixed(2)} ms`);
console.log(`per request against the ${large.paths}-path document; best of ${ROUNDS} rounds`);
console.log('request                ours ns/req  baseline ns/req  ours/baseline');
for (const name of Object.keys(cases)) {
  const ours = measure(cases[name]);
  const base = measure(baselines[name]);
  console.log(`${name.padEnd(22)} ${ours.toFixed(0).padStart(11)}  ${base.toFixed(0).padStart(15)}  ${(ours / base).toFixed(2).padStart(13)}`);
}
console.log(`RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
