import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, auditEntries, startServer } from './harness.mjs';
import { ROUTES, routeKey } from './routes.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

// A concrete path for a route pattern ({id} → 1).
const concrete = (pattern) => pattern.replace(/\{[a-z_]+\}/g, '1');

describe('health', () => {
  test('/healthz answers ok as JSON without a session', async () => {
    const r = await srv.api('GET', '/healthz');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(r.json, { status: 'ok' });
  });

  test('/readyz reports the database reachable', async () => {
    const r = await srv.api('GET', '/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ready');
    assert.equal(r.json.database, 'reachable');
  });

  test('HEAD /healthz has the status and headers but no body', async () => {
    const r = await srv.api('HEAD', '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  });
});

describe('OpenAPI document', () => {
  let spec;
  before(async () => {
    const r = await srv.api('GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    spec = r.json;
  });

  test('is OpenAPI 3.1 with info, paths and security schemes', () => {
    assert.match(spec.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof spec.info.title, 'string');
    assert.equal(typeof spec.info.version, 'string');
    assert.equal(typeof spec.paths, 'object');
    assert.ok(spec.components.securitySchemes.bearer, 'bearer scheme');
    assert.equal(spec.components.securitySchemes.bearer.scheme, 'bearer');
    assert.ok(spec.components.schemas.Error, 'Error schema');
    assert.deepEqual(spec.components.schemas.Error.properties.error.required, ['code', 'message', 'field']);
  });

  test('lists exactly the routes the server answers', () => {
    const documented = new Set();
    for (const [p, ops] of Object.entries(spec.paths))
      for (const m of Object.keys(ops)) documented.add(routeKey(m, p));
    const known = new Set(ROUTES.map((r) => routeKey(r.method, r.path)));
    const undocumented = [...known].filter((k) => !documented.has(k));
    const unknown = [...documented].filter((k) => !known.has(k));
    assert.deepEqual(undocumented, [], 'routes the server answers but the document lacks');
    assert.deepEqual(unknown, [], 'documented routes this suite does not know (add them to routes.mjs)');
  });

  test('every documented operation names its path parameters and responses', () => {
    for (const [p, ops] of Object.entries(spec.paths)) {
      const captures = [...p.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
      for (const [m, op] of Object.entries(ops)) {
        assert.ok(op.responses && Object.keys(op.responses).length > 0, `${m} ${p} has responses`);
        const names = (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name);
        assert.deepEqual(names, captures, `${m} ${p} path parameters`);
      }
    }
  });

  test('open routes are marked as needing no security, the others inherit it', () => {
    for (const r of ROUTES) {
      const op = spec.paths[r.path]?.[r.method.toLowerCase()];
      if (!op) continue; // a missing route fails the test above
      if (r.anonymous) assert.deepEqual(op.security, [], `${r.method} ${r.path} is open`);
      else assert.equal(op.security, undefined, `${r.method} ${r.path} needs a session`);
    }
  });

  test('every listed route exists on the server: open ones answer, secured ones ask for a session', async () => {
    for (const r of ROUTES) {
      const res = await srv.api(r.method, concrete(r.path), {
        body: r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
      });
      if (r.anonymous) {
        // An open route may answer 404 for an id that does not exist (a public post), but
        // never the router's own "no such resource".
        assert.ok(res.status !== 404 || res.json?.error?.message !== 'no such resource', `${r.method} ${r.path}`);
        assert.notEqual(res.status, 405, `${r.method} ${r.path}`);
        assert.ok(res.status < 500, `${r.method} ${r.path}: ${res.status}`);
      } else {
        assertError(assert, res, 401, undefined, 'unauthenticated');
      }
    }
  });

  // Every required key present and every present key of a documented type; arrays whose
  // items are a $ref are checked item by item.
  const conforms = (schemaName, value, where) => {
    const schema = spec.components.schemas[schemaName];
    assert.ok(schema, `schema ${schemaName}`);
    for (const k of schema.required ?? []) assert.ok(k in value, `${where}: has ${k}`);
    for (const [k, prop] of Object.entries(schema.properties)) {
      if (!(k in value)) continue;
      const v = value[k];
      const types = [prop.type].flat();
      const actual = v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v === 'number' ? 'number' : typeof v;
      assert.ok(types.includes(actual) || (actual === 'integer' && types.includes('number')), `${where}.${k}: ${actual} not in ${types}`);
      if (prop.enum && v !== null) assert.ok(prop.enum.includes(v), `${where}.${k}: ${v} not in ${prop.enum}`);
      const ref = prop.items?.$ref;
      if (ref && Array.isArray(v)) v.forEach((item, i) => conforms(ref.split('/').pop(), item, `${where}.${k}[${i}]`));
    }
  };

  test('the Record and SearchResults schemas document what the catalogue answers, and search its query', async () => {
    const ref = (method, p, status) => spec.paths[p][method].responses[status].content['application/json'].schema.$ref;
    assert.equal(ref('post', '/api/v1/records', '201'), '#/components/schemas/Record');
    assert.equal(ref('get', '/api/v1/records/{id}', '200'), '#/components/schemas/Record');
    assert.equal(ref('get', '/api/v1/search', '200'), '#/components/schemas/SearchResults');
    const qs = spec.paths['/api/v1/search'].get.parameters.filter((x) => x.in === 'query').map((x) => x.name);
    for (const name of ['q', 'limit', 'offset', 'fonds_id', 'category_id', 'year_from', 'year_to', 'access_level', 'carrier']) assert.ok(qs.includes(name), `search documents ?${name}`);

    const word = `schema${Date.now()}`;
    const created = await srv.api('POST', '/api/v1/records', { as: 'archivist', body: { title: `水库调度 ${word}`, description: '说明', access_level: 'open' } });
    assert.equal(created.status, 201, created.text);
    conforms('Record', created.json, 'POST /records');
    conforms('Record', (await srv.api('GET', `/api/v1/records/${created.json.id}`, { as: 'agent' })).json, 'GET /records/{id}');
    const found = await srv.api('GET', `/api/v1/search?q=${encodeURIComponent(word)}&limit=5`, { as: 'agent' });
    assert.equal(found.status, 200, found.text);
    assert.ok(found.json.items.length >= 1);
    conforms('SearchResults', found.json, 'GET /search');
  });

  test('the Patron schema documents what a patron response carries', async () => {
    const schema = spec.components.schemas.Patron;
    const r = await srv.api('POST', '/api/v1/patrons', { as: 'manager', body: { type: 'person', name: '王芳' } });
    assert.equal(r.status, 201);
    for (const k of schema.required) assert.ok(k in r.json, `patron response has ${k}`);
    for (const [k, prop] of Object.entries(schema.properties)) {
      if (!(k in r.json)) continue;
      const v = r.json[k];
      const types = [prop.type].flat();
      const actual = v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
      assert.ok(types.includes(actual), `${k}: ${actual} not in ${types}`);
    }
  });
});

describe('security headers', () => {
  const checkCommon = (r, what) => {
    const csp = r.headers.get('content-security-policy');
    assert.ok(csp, `${what}: CSP`);
    assert.match(csp, /default-src 'self'/, `${what}: CSP default-src`);
    assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP frame-ancestors`);
    assert.match(csp, /object-src 'none'/, `${what}: CSP object-src`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: CSP is strict`);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  };

  test('API responses, successful or not, carry them and Cache-Control: no-store', async () => {
    const cases = [
      ['GET', '/healthz', {}],
      ['GET', '/api/v1/openapi.json', {}],
      ['GET', '/api/v1/me', { as: 'agent' }],
      ['GET', '/api/v1/patrons', {}], // 401
      ['GET', '/api/v1/no-such-thing', {}], // 404
      ['GET', '/api/v1/audit', { as: 'agent' }], // 403
    ];
    for (const [m, p, opts] of cases) {
      const r = await srv.api(m, p, opts);
      checkCommon(r, `${m} ${p} (${r.status})`);
      assert.match(r.headers.get('cache-control') ?? '', /no-store/, `${m} ${p}: Cache-Control`);
    }
  });

  test('the web front end carries them too', async () => {
    const r = await srv.api('GET', '/');
    assert.ok(r.status === 200 || r.status === 404, `GET / → ${r.status}`);
    checkCommon(r, 'GET /');
  });

  test('no Strict-Transport-Security over plain HTTP without a trusted proxy', async () => {
    const r = await srv.api('GET', '/healthz', { headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(r.headers.get('strict-transport-security'), null);
  });

  test('unknown API paths are 404 with a JSON error; wrong methods are 405 with Allow', async () => {
    const r = await srv.api('GET', '/api/v1/nothing-here');
    assertError(assert, r, 404, undefined, 'not_found');
    const m = await srv.api('DELETE', '/api/v1/patrons', { as: 'manager' });
    assert.equal(m.status, 405);
    const allow = (m.headers.get('allow') ?? '').split(',').map((s) => s.trim());
    assert.ok(allow.includes('GET') && allow.includes('POST'), `Allow: ${allow}`);
    assert.ok(!allow.includes('DELETE'));
  });
});

describe('X-Request-Id', () => {
  test('a valid client id is echoed', async () => {
    const id = 'test-req.42_abc';
    const r = await srv.api('GET', '/healthz', { headers: { 'x-request-id': id } });
    assert.equal(r.headers.get('x-request-id'), id);
  });

  test('without one, or with an unsafe one, the server makes its own', async () => {
    const a = await srv.api('GET', '/healthz');
    const b = await srv.api('GET', '/healthz');
    assert.match(a.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
    assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
    for (const bad of ['has space', 'x'.repeat(65), 'semi;colon', 'new"quote']) {
      const r = await srv.api('GET', '/healthz', { headers: { 'x-request-id': bad } });
      assert.match(r.headers.get('x-request-id'), /^[0-9a-f]{16}$/, `for ${JSON.stringify(bad)}`);
    }
  });

  test('is echoed on errors and recorded in the audit entry of the request', async () => {
    const id = `login-${Date.now()}`;
    const bad = await srv.api('GET', '/api/v1/patrons', { headers: { 'x-request-id': `${id}-x` } });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('x-request-id'), `${id}-x`);
    const r = await srv.api('POST', '/api/v1/auth/login', {
      headers: { 'x-request-id': id },
      body: { username: 'analyst', password: 'analyst-Pass-2024!' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-request-id'), id);
    const entries = await auditEntries(srv, { action: 'user.login', actor: 'analyst' });
    assert.ok(entries.some((e) => e.request_id === id), 'audit entry carries the request id');
  });
});
