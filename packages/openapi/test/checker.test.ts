import { compileOpenApi, OpenApiDocumentError, type CheckResult } from '../src';

/** A 3.0 petstore with what 3.0 does its own way: nullable, boolean exclusiveMinimum, refs to parameters and bodies. */
const petstore30 = {
  openapi: '3.0.3',
  info: { title: 'pets', version: '1' },
  servers: [{ url: 'https://pets.example.com/{version}', variables: { version: { default: 'v1' } } }],
  paths: {
    '/pets': {
      get: {
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, exclusiveMinimum: true, maximum: 100 } },
          { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string', enum: ['cat', 'dog'] } } },
          { name: 'ids', in: 'query', explode: false, schema: { type: 'array', items: { type: 'integer' } } },
          { $ref: '#/components/parameters/TraceId' },
        ],
      },
      post: { requestBody: { $ref: '#/components/requestBodies/NewPet' } },
    },
    '/pets/mine': { get: {} },
    '/pets/{petId}': {
      parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer', format: 'int32' } }],
      get: { parameters: [{ name: 'verbose', in: 'query', schema: { type: 'boolean' } }] },
      delete: { parameters: [{ name: 'session', in: 'cookie', required: true, schema: { type: 'string', minLength: 4 } }] },
    },
    '/files/{name}.{ext}': {
      get: { parameters: [{ name: 'name', in: 'path', required: true }, { name: 'ext', in: 'path', required: true, schema: { enum: ['json', 'txt'] } }] },
    },
    '/search': {
      get: { parameters: [{ name: 'filter', in: 'query', required: true, content: { 'application/json': { schema: { type: 'object', required: ['q'] } } } }] },
    },
  },
  components: {
    parameters: { TraceId: { name: 'X-Trace-Id', in: 'header', schema: { type: 'string', pattern: '^[0-9a-f]+$' } } },
    requestBodies: {
      NewPet: {
        required: true,
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/Pet' } },
          'application/*+json': { schema: { $ref: '#/components/schemas/Pet' } },
          'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/Pet' } },
        },
      },
    },
    schemas: {
      Pet: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', 'x-internal': true },
          age: { type: 'integer', minimum: 0 },
          owner: { type: 'string', nullable: true },
          tag: { $ref: '#/components/schemas/Tag' },
        },
      },
      Tag: { type: 'string', enum: ['cat', 'dog'] },
    },
  },
};

/** The same ideas in 3.1: JSON Schema 2020-12 types, numeric exclusiveMinimum, no servers. */
const petstore31 = {
  openapi: '3.1.0',
  info: { title: 'pets', version: '1' },
  paths: {
    '/pets/{petId}': {
      put: {
        parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } },
      },
    },
  },
  components: {
    schemas: {
      Pet: {
        type: 'object',
        required: ['name', 'weight'],
        properties: { name: { type: 'string' }, weight: { type: 'number', exclusiveMinimum: 0 }, owner: { type: ['string', 'null'] } },
        unevaluatedProperties: false,
      },
    },
  },
};

const pets30 = compileOpenApi(petstore30);
const pets31 = compileOpenApi(petstore31);
const json = { 'content-type': 'application/json' };
const rejected = (status: number, reason: string): CheckResult => ({ ok: false, status, reason } as CheckResult);

describe('OpenAPI 3.0 checker', () => {
  test('valid requests pass', () => {
    for (const request of [
      { method: 'GET', target: '/v1/pets' },
      { method: 'GET', target: '/v1/pets?limit=10&tags=cat&tags=dog&ids=1,2,3', headers: { 'x-trace-id': 'abc123' } },
      { method: 'HEAD', target: '/v1/pets/7?verbose=true' },
      { method: 'DELETE', target: '/v1/pets/7', headers: { cookie: 'theme=dark; session=abcdef' } },
      { method: 'GET', target: '/v1/files/report.json' },
      { method: 'GET', target: `/v1/search?filter=${encodeURIComponent('{"q":"cat"}')}` },
      { method: 'POST', target: '/v1/pets', headers: json, body: '{"name":"rex","owner":null,"tag":"dog"}' },
      { method: 'POST', target: '/v1/pets', headers: { 'content-type': 'application/vnd.pets+json; charset=utf-8' }, body: '{"name":"rex"}' },
      { method: 'POST', target: '/v1/pets', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=rex&age=3' },
    ]) {
      expect([request.target, pets30.check(request)]).toEqual([request.target, { ok: true }]);
    }
  });

  test('a literal path beats a templated one', () => {
    // /pets/mine is its own operation (GET only); /pets/{petId} would reject "mine" as a petId.
    expect(pets30.check({ method: 'GET', target: '/v1/pets/mine' })).toEqual({ ok: true });
    expect(pets30.check({ method: 'DELETE', target: '/v1/pets/mine' })).toMatchObject({ status: 405, reason: 'method DELETE not allowed on /pets/mine' });
  });

  test('unknown paths are 404, outside the server base path too', () => {
    expect(pets30.check({ method: 'GET', target: '/v1/petz' })).toEqual(rejected(404, 'unknown path /v1/petz'));
    expect(pets30.check({ method: 'GET', target: '/pets' })).toEqual(rejected(404, 'unknown path /pets'));
    expect(pets30.check({ method: 'GET', target: '/v1/pets/7/toys' })).toMatchObject({ status: 404 });
    expect(pets30.check({ method: 'GET', target: '/v1/files/report' })).toMatchObject({ status: 404 });
  });

  test('a method the path does not have is 405, naming the template and what is allowed', () => {
    expect(pets30.check({ method: 'PATCH', target: '/v1/pets/7' })).toEqual({ ok: false, status: 405, reason: 'method PATCH not allowed on /pets/{petId}', allow: ['GET', 'DELETE'] });
  });

  test.each([
    ['/v1/pets?limit=ten', 'GET /pets: query.limit must be integer'],
    ['/v1/pets?limit=0', 'GET /pets: query.limit must be > 0'],
    ['/v1/pets?tags=cat&tags=fish', 'GET /pets: query.tags[1] must be equal to one of the allowed values ("cat", "dog")'],
    ['/v1/pets?ids=1,x', 'GET /pets: query.ids[1] must be integer'],
    ['/v1/pets/seven', 'GET /pets/{petId}: path.petId must be integer'],
    ['/v1/pets/4294967296', 'GET /pets/{petId}: path.petId must match format "int32"'],
    ['/v1/pets/7?verbose=maybe', 'GET /pets/{petId}: query.verbose must be boolean'],
    ['/v1/pets/%E0%A4%A', 'GET /pets/{petId}: path.petId is not valid percent-encoding'],
    ['/v1/files/report.exe', 'GET /files/{name}.{ext}: path.ext must be equal to one of the allowed values ("json", "txt")'],
    ['/v1/search', 'GET /search: query.filter is required'],
    ['/v1/search?filter={', 'GET /search: query.filter is not valid JSON'],
    ['/v1/search?filter={}', "GET /search: query.filter must have required property 'q'"],
  ])('bad parameter %s is 400: %s', (target, reason) => {
    expect(pets30.check({ method: 'GET', target })).toEqual(rejected(400, reason));
  });

  test('object-valued query parameters (form explode, deepObject) are not checked yet, rather than refused', () => {
    const document = { openapi: '3.0.3', info: { title: 't', version: '1' }, paths: { '/find': { get: { parameters: [
      { name: 'filter', in: 'query', required: true, style: 'deepObject', schema: { type: 'object', properties: { color: { type: 'string' } } } },
    ] } } } };
    expect(compileOpenApi(document).check({ method: 'GET', target: '/find?filter[color]=red' })).toEqual({ ok: true });
  });

  test('header and cookie parameters', () => {
    expect(pets30.check({ method: 'GET', target: '/v1/pets', headers: { 'X-Trace-Id': 'xyz' } })).toEqual(rejected(400, 'GET /pets: header.X-Trace-Id must match pattern "^[0-9a-f]+$"'));
    expect(pets30.check({ method: 'DELETE', target: '/v1/pets/7' })).toEqual(rejected(400, 'DELETE /pets/{petId}: cookie.session is required'));
    expect(pets30.check({ method: 'DELETE', target: '/v1/pets/7', headers: { cookie: 'session=ab' } })).toEqual(rejected(400, 'DELETE /pets/{petId}: cookie.session must NOT have fewer than 4 characters'));
  });

  test.each([
    ['{"age":2}', "POST /pets: body must have required property 'name'"],
    ['{"name":5}', 'POST /pets: body.name must be string'],
    ['{"name":"rex","color":"red"}', 'POST /pets: body must NOT have additional properties (color)'],
    ['{"name":"rex","tag":"fish"}', 'POST /pets: body.tag must be equal to one of the allowed values ("cat", "dog")'],
    ['{"name":"rex","age":"3"}', 'POST /pets: body.age must be integer'],
    ['{"name":', 'POST /pets: body is not valid JSON'],
  ])('bad JSON body %s is 400: %s', (body, reason) => {
    expect(pets30.check({ method: 'POST', target: '/v1/pets', headers: json, body })).toEqual(rejected(400, reason));
  });

  test('body presence, content type and size', () => {
    expect(pets30.check({ method: 'POST', target: '/v1/pets', headers: json })).toEqual(rejected(400, 'POST /pets: body is required'));
    expect(pets30.check({ method: 'POST', target: '/v1/pets', headers: { 'content-type': 'text/plain' }, body: 'rex' }))
      .toEqual(rejected(415, 'POST /pets: content type text/plain is not one of application/json, application/x-www-form-urlencoded, application/*+json'));
    expect(pets30.check({ method: 'POST', target: '/v1/pets', body: '{"name":"rex"}' })).toMatchObject({ status: 415 });
    expect(pets30.check({ method: 'POST', target: '/v1/pets', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=rex&age=old' }))
      .toEqual(rejected(400, 'POST /pets: body.age must be integer'));
    const small = compileOpenApi(petstore30, { maxBodyBytes: 16 });
    expect(small.check({ method: 'POST', target: '/v1/pets', headers: { ...json, 'content-length': '17' }, body: '{"name":"rex123"}' })).toMatchObject({ status: 413 });
    expect(small.check({ method: 'POST', target: '/v1/pets', headers: json, body: '{"name":"rex123"}' })).toMatchObject({ status: 413 });
  });
});

describe('OpenAPI 3.1 checker', () => {
  const target = '/pets/0b5f7c4e-7a0e-4c55-9f0e-1c1f3b0c6a11';
  test('valid requests pass, 2020-12 keywords apply', () => {
    expect(pets31.check({ method: 'PUT', target, headers: json, body: '{"name":"rex","weight":3.5,"owner":null}' })).toEqual({ ok: true });
    // Not required in 3.1 unless it says so.
    expect(pets31.check({ method: 'PUT', target })).toEqual({ ok: true });
  });

  test('failures name the operation and the field', () => {
    expect(pets31.check({ method: 'PUT', target: '/pets/7', headers: json, body: '{}' })).toEqual(rejected(400, 'PUT /pets/{petId}: path.petId must match format "uuid"'));
    expect(pets31.check({ method: 'PUT', target, headers: json, body: '{"name":"rex","weight":0}' })).toEqual(rejected(400, 'PUT /pets/{petId}: body.weight must be > 0'));
    expect(pets31.check({ method: 'PUT', target, headers: json, body: '{"name":"rex","weight":1,"owner":7}' })).toEqual(rejected(400, 'PUT /pets/{petId}: body.owner must be string,null'));
    expect(pets31.check({ method: 'PUT', target, headers: json, body: '{"name":"rex","weight":1,"x":1}' })).toEqual(rejected(400, 'PUT /pets/{petId}: body must NOT have unevaluated properties'));
    expect(pets31.check({ method: 'GET', target })).toMatchObject({ status: 405 });
  });
});

describe('invalid documents are refused when compiled, naming where', () => {
  const withPets = (paths: object, extra: object = {}) => ({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths, ...extra });
  test.each([
    [{ openapi: '2.0', paths: {} }, 'openapi: "2.0" is not an OpenAPI 3.0.x or 3.1.x version'],
    [withPets({ pets: {} }), 'paths.pets: a path must start with /'],
    [withPets({ '/pets': { get: { parameters: [{ name: 'limit', in: 'query', schema: { type: 'integr' } }] } } }), 'paths./pets.get.parameters[0].schema.type'],
    [withPets({ '/pets': { get: { parameters: [{ name: 'limit', in: 'body' }] } } }), 'paths./pets.get.parameters[0].in: "body" is not one of path, query, header, cookie'],
    [withPets({ '/pets/{id}': { get: { parameters: [{ name: 'id', in: 'path' }] } } }), 'paths./pets/{id}.get.parameters[0].required: a path parameter must be required: true'],
    [withPets({ '/pets': { get: { parameters: [{ name: 'id', in: 'path', required: true }] } } }), 'paths./pets.get: declares path parameter id, which /pets does not have'],
    [withPets({ '/pets/{id}': { get: {} }, '/pets/{petId}': { get: {} } }), 'paths./pets/{petId}: is the same path as /pets/{id}'],
    [withPets({ '/pets': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } } } } } }), 'paths./pets.post.requestBody.content.application/json.schema'],
    [withPets({ '/pets': { get: { parameters: [{ $ref: '#/components/parameters/Nope' }] } } }), 'paths./pets.get.parameters[0].$ref: "#/components/parameters/Nope" names nothing in the document'],
    [withPets({ '/pets': { get: { parameters: [{ $ref: 'other.yaml#/x' }] } } }), 'only local references'],
    [withPets({}, { components: { schemas: { Pet: { type: 'object', properties: { name: { minLength: -1 } } } } } }), 'components.schemas.Pet.properties.name.minLength'],
  ])('%#: %s', (document, where) => {
    let error: unknown;
    try {
      compileOpenApi(document);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OpenApiDocumentError);
    expect((error as Error).message).toContain(where);
  });
});
