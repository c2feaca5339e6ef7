// Bad input of every kind: each gets a 4xx with {"error": {code, message, field}} naming
// the field where there is one, and changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, countPatrons, createPatron, person, rawRequest, startServer, uniq } from './harness.mjs';

let srv;
let p;
before(async () => {
  srv = await startServer();
  p = await createPatron(srv, person({ phones: ['13911112222'] }));
});
after(async () => {
  await srv?.stop();
});

// Runs fn (which sends bad requests) and checks the patron count and `p` are unchanged.
async function unchanged(fn) {
  const n = await countPatrons(srv);
  const before = (await srv.api('GET', `/api/v1/patrons/${p.id}`, { as: 'manager' })).json;
  await fn();
  assert.equal(await countPatrons(srv), n, 'patron count unchanged');
  const after = (await srv.api('GET', `/api/v1/patrons/${p.id}`, { as: 'manager' })).json;
  assert.deepEqual(after, before, 'the existing patron unchanged');
}

const post = (body, headers) => srv.api('POST', '/api/v1/patrons', { as: 'agent', body, headers });
const patch = (body) => srv.api('PATCH', `/api/v1/patrons/${p.id}`, { as: 'agent', body });

describe('request bodies', () => {
  test('malformed JSON', () =>
    unchanged(async () => {
      for (const raw of ['{"type":"person","name":', '{type:person}', "{'type':'person'}", '{"type":"person","name":"x"}}', 'null x'])
        assertError(assert, await post(raw), 400, 'body', 'invalid');
      assertError(assert, await srv.api('PATCH', `/api/v1/patrons/${p.id}`, { as: 'agent', body: '{"region":' }), 400, 'body');
    }));

  test('empty body and a body that is not an object', () =>
    unchanged(async () => {
      assertError(assert, await post(''), 400, 'body');
      for (const raw of ['[]', '[{"type":"person","name":"x"}]', '"person"', '42', 'null', 'true'])
        assertError(assert, await post(raw), 400, 'body');
      assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/reveal`, { as: 'agent', body: '[]' }), 400, 'body');
      assertError(assert, await srv.api('POST', '/api/v1/auth/login', { body: '' }), 400, 'body');
    }));

  test('wrong types name the field', () =>
    unchanged(async () => {
      const cases = [
        [{ type: 'person', name: 123 }, 'name'],
        [{ type: 'person', name: ['张三'] }, 'name'],
        [{ type: 1, name: 'x' }, 'type'],
        [{ type: 'person', name: 'x', phones: '13912345678' }, 'phones'],
        [{ type: 'person', name: 'x', phones: [13912345678] }, 'phones[0]'],
        [{ type: 'person', name: 'x', phones: ['13912345678', 'call me'] }, 'phones[1]'],
        [{ type: 'person', name: 'x', emails: ['not-an-email'] }, 'emails[0]'],
        [{ type: 'person', name: 'x', tags: 'vip' }, 'tags'],
        [{ type: 'person', name: 'x', tags: [''] }, 'tags[0]'],
        [{ type: 'person', name: 'x', birth_date: '1990-02-30' }, 'birth_date'],
        [{ type: 'person', name: 'x', birth_date: 19900101 }, 'birth_date'],
        [{ type: 'person', name: 'x', gender: 'm' }, 'gender'],
        [{ type: 'person', name: 'x', postcode: '10000' }, 'postcode'],
        [{ type: 'person', name: 'x', id_document: '110105199001011234' }, 'id_document'],
        [{ type: 'person', name: 'x', id_document: { type: 'resident_id' } }, 'id_document.number'],
        [{ type: 'person', name: 'x', id_document: { type: 'passport', number: 'E12 345' } }, 'id_document.number'],
        [{ type: 'person', name: 'x', consents: { marketing: 'yes' } }, 'consents.marketing'],
        [{ type: 'person', name: 'x', consents: { telepathy: true } }, 'consents.telepathy'],
        [{ type: 'person', name: 'x', organisation_id: 'abc' }, 'organisation_id'],
        [{ type: 'person', name: 'x', organisation_id: -5 }, 'organisation_id'],
        [{ type: 'person', name: 'x', organisation_id: 987654321 }, 'organisation_id'],
        [{ type: 'person', name: 'x', unit_id: 987654321 }, 'unit_id'],
        [{ type: 'person', name: 'x', organisation_id: 1.5 }, 'organisation_id'],
        [{ type: 'person', name: 'line\u0000break' }, 'name'],
        [{ type: 'person', name: 'bell\u0007' }, 'name'],
      ];
      for (const [body, field] of cases) {
        const r = await post(body);
        assertError(assert, r, 400, field, 'invalid');
      }
      assertError(assert, await patch({ region: 5 }), 400, 'region');
      assertError(assert, await patch({ version: 7 }), 400, 'version');
      assertError(assert, await patch({ id: 1 }), 400, 'id');
      assertError(assert, await patch({ status: 'erased' }), 400, 'status');
    }));

  test('unknown fields are refused, not ignored', () =>
    unchanged(async () => {
      assertError(assert, await post({ type: 'person', name: 'x', nickname: 'xx' }), 400, 'nickname');
      assertError(assert, await post({ type: 'person', name: 'x', password_hash: 'x' }), 400, 'password_hash');
      assertError(assert, await post({ type: 'person', name: 'x', id_document: { type: 'passport', number: 'E1', issued: '2020' } }), 400, 'id_document.issued');
      assertError(assert, await patch({ Region: 'x' }), 400, 'Region');
      assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/reveal`, { as: 'agent', body: { fields: ['phones'], reason: 'checking again', extra: 1 } }), 400, 'extra');
      assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/relations`, { as: 'agent', body: { related_id: p.id, kind: 'other', note: 'x' } }), 400, 'note');
      assertError(assert, await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username: uniq('x'), password: 'long-enough-pass', role: 'agent', admin: true } }), 400, 'admin');
    }));

  test('invalid UTF-8 bytes in the body', () =>
    unchanged(async () => {
      const bytes = Buffer.concat([Buffer.from('{"type":"person","name":"'), Buffer.from([0xe5, 0xbc, 0xa0, 0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]);
      assertError(assert, await post(bytes), 400, 'body', 'invalid');
      const overlong = Buffer.concat([Buffer.from('{"type":"person","name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
      assertError(assert, await post(overlong), 400, 'body');
      const surrogate = Buffer.concat([Buffer.from('{"type":"person","name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
      assertError(assert, await post(surrogate), 400, 'body');
      assertError(assert, await post('{"type":"person","name":"\\ud800"}'), 400);
    }));

  test('a body over 1 MiB is a 413', () =>
    unchanged(async () => {
      const filler = 'x'.repeat(1024 * 1024);
      const r = await post(JSON.stringify({ type: 'person', name: 'big', staff_notes: filler }));
      assertError(assert, r, 413, undefined, 'invalid');
      assert.equal((await srv.api('GET', '/healthz')).status, 200, 'the server lives on');
    }));

  test('over-long strings: 201 characters in a name are refused, 200 Chinese characters are fine', () =>
    unchanged(async () => {
      assertError(assert, await post({ type: 'person', name: 'a'.repeat(201) }), 400, 'name');
      assertError(assert, await post({ type: 'person', name: '张'.repeat(201) }), 400, 'name');
      assertError(assert, await post({ type: 'person', name: 'x', staff_notes: 'n'.repeat(2001) }), 400, 'staff_notes');
      assertError(assert, await post({ type: 'person', name: 'x', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }), 400, 'tags');
      assertError(assert, await patch({ address: '路'.repeat(501) }), 400, 'address');
    }));

  test('200 Chinese characters (600 bytes) are within the 200-character limit', async () => {
    const name = '档'.repeat(200);
    const r = await post({ type: 'person', name });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.name, name);
  });
});

describe('query parameters', () => {
  test('limit must be 1 to 200', () =>
    unchanged(async () => {
      for (const v of ['0', '-1', '100000', 'abc', '1.5', '', ' 5', '5x', '99999999999999999999']) {
        const r = await srv.api('GET', `/api/v1/patrons?limit=${encodeURIComponent(v)}`, { as: 'manager' });
        if (v === '') assert.equal(r.status, 200, 'an empty limit means the default');
        else assertError(assert, r, 400, 'limit', 'invalid');
      }
      assertError(assert, await srv.api('GET', `/api/v1/patrons/${p.id}/timeline?limit=0`, { as: 'manager' }), 400, 'limit');
      assertError(assert, await srv.api('GET', '/api/v1/audit?limit=501', { as: 'auditor' }), 400, 'limit');
      assert.equal((await srv.api('GET', '/api/v1/patrons?limit=200', { as: 'manager' })).status, 200);
      assert.equal((await srv.api('GET', '/api/v1/patrons?limit=1', { as: 'manager' })).json.items.length, 1);
    }));

  test('a bad cursor is a 400 naming cursor', async () => {
    for (const c of ['garbage', '[1]', '["a","b"]', '{"id":1}', '[1,2,3]', 'W10=']) {
      const r = await srv.api('GET', `/api/v1/patrons?cursor=${encodeURIComponent(c)}`, { as: 'manager' });
      assertError(assert, r, 400, 'cursor', 'invalid');
    }
    assertError(assert, await srv.api('GET', '/api/v1/audit?cursor=abc', { as: 'auditor' }), 400, 'cursor');
    assertError(assert, await srv.api('GET', `/api/v1/patrons/${p.id}/timeline?cursor=2024|x`, { as: 'manager' }), 400, 'cursor');
  });

  test('an unknown query parameter is a 400 naming it', async () => {
    assertError(assert, await srv.api('GET', '/api/v1/patrons?colour=red', { as: 'manager' }), 400, 'colour');
    assertError(assert, await srv.api('GET', '/api/v1/patrons?Q=x', { as: 'manager' }), 400, 'Q');
    assertError(assert, await srv.api('GET', `/api/v1/patrons/${p.id}/timeline?since=2020`, { as: 'manager' }), 400, 'since');
    assertError(assert, await srv.api('GET', '/api/v1/audit?patron=1', { as: 'auditor' }), 400, 'patron');
    assertError(assert, await srv.api('GET', '/api/v1/key-changes?state=open', { as: 'manager' }), 400, 'state');
  });

  test('bad filter values name their parameter', async () => {
    assertError(assert, await srv.api('GET', '/api/v1/patrons?type=robot', { as: 'manager' }), 400, 'type');
    assertError(assert, await srv.api('GET', '/api/v1/patrons?status=merged', { as: 'manager' }), 400, 'status');
    assertError(assert, await srv.api('GET', '/api/v1/patrons?organisation_id=x', { as: 'manager' }), 400, 'organisation_id');
    assertError(assert, await srv.api('GET', `/api/v1/patrons?q=${'字'.repeat(101)}`, { as: 'manager' }), 400, 'q');
    assertError(assert, await srv.api('GET', '/api/v1/audit?from=yesterday', { as: 'auditor' }), 400, 'from');
    assertError(assert, await srv.api('GET', '/api/v1/key-changes?status=maybe', { as: 'manager' }), 400, 'status');
    assertError(assert, await srv.api('GET', '/api/v1/patrons?q=%ZZ', { as: 'manager' }), 400, 'q');
    assertError(assert, await srv.api('GET', '/api/v1/patrons?%ZZ=1', { as: 'manager' }), 400, 'query');
  });
});

describe('injection', () => {
  test('SQL metacharacters in q are plain text', () =>
    unchanged(async () => {
      for (const q of ["'; DROP TABLE patrons; --", "' OR '1'='1", '%', '_', '\\', '" OR 1=1 --', "張' UNION SELECT password_hash FROM users --"]) {
        const r = await srv.api('GET', `/api/v1/patrons?q=${encodeURIComponent(q)}`, { as: 'manager' });
        assert.equal(r.status, 200, `${q}: ${r.text}`);
        assert.deepEqual(r.json.items, [], `${q} matches nothing`);
      }
    }));

  test('SQL metacharacters in names are stored and returned verbatim; the table survives', async () => {
    const tag = uniq('sql');
    const names = ["Robert'); DROP TABLE patrons;--", "O'Brien \"Bob\" 100%_\\", '张三\'; DELETE FROM audit_log; --'];
    const made = [];
    for (const name of names) {
      const r = await post({ type: 'person', name, tags: [tag], region: "'; --" });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.name, name);
      made.push(r.json);
    }
    for (const m of made) {
      const g = await srv.api('GET', `/api/v1/patrons/${m.id}`, { as: 'manager' });
      assert.equal(g.json.name, m.name);
      assert.equal(g.json.region, "'; --");
      const f = await srv.api('GET', `/api/v1/patrons?q=${encodeURIComponent(m.name)}`, { as: 'manager' });
      assert.deepEqual(f.json.items.map((i) => i.id), [m.id], `found by its own name: ${m.name}`);
    }
    const pct = await srv.api('GET', `/api/v1/patrons?tag=${tag}&q=${encodeURIComponent('100%_')}`, { as: 'manager' });
    assert.deepEqual(pct.json.items.map((i) => i.id), [made[1].id], '% and _ are literal');
    assert.equal((await srv.api('GET', `/api/v1/patrons?tag=${tag}`, { as: 'manager' })).json.items.length, 3);
    assert.equal((await srv.api('GET', `/api/v1/patrons/${p.id}`, { as: 'manager' })).status, 200, 'table intact');
    assert.ok((await srv.api('GET', '/api/v1/audit?limit=5', { as: 'auditor' })).json.items.length > 0, 'audit intact');
  });
});

describe('paths and ids', () => {
  test('path traversal gets a JSON 404 and no file', async () => {
    const r = await srv.api('GET', '/api/v1/patrons/..%2f..%2fetc%2fpasswd', { as: 'manager' });
    assertError(assert, r, 404, 'id', 'not_found');
    assert.ok(!r.text.includes('root:'));
    for (const target of ['/../../etc/passwd', '/api/v1/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/api/v1/patrons/../../../etc/passwd']) {
      const x = await rawRequest(srv.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      assert.ok(x.status >= 400 && x.status < 500 || x.status === 200, `${target}: ${x.status}`);
      assert.ok(!x.body.includes('root:x:0:0'), `${target} leaks /etc/passwd`);
      if (x.status === 200) assert.match(x.head, /content-type: text\/html/i, `${target}: only the app shell`);
      else assert.doesNotThrow(() => JSON.parse(x.body).error.code, `${target}: JSON error`);
    }
  });

  test('ids that are not positive integers are 404 naming id', async () => {
    for (const id of ['abc', '0', '-1', '99999999999999999999', '1e3', '0x10', '1.0', '%20', '+1']) {
      const r = await srv.api('GET', `/api/v1/patrons/${id}`, { as: 'manager' });
      assertError(assert, r, 404, 'id', 'not_found');
    }
    assertError(assert, await srv.api('GET', '/api/v1/patrons/987654321', { as: 'manager' }), 404, undefined, 'not_found');
    assertError(assert, await srv.api('PATCH', '/api/v1/patrons/abc', { as: 'manager', body: { region: 'x' } }), 404, 'id');
    assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/contacts/abc/verify`, { as: 'manager' }), 404, 'contact_id');
    assertError(assert, await srv.api('POST', '/api/v1/key-changes/-1/approve', { as: 'manager' }), 404, 'id');
    assertError(assert, await srv.api('POST', '/api/v1/users/x/disable', { as: 'administrator' }), 404, 'id');
  });

  test('a trailing slash or an empty segment matches nothing', async () => {
    assertError(assert, await srv.api('GET', '/api/v1/patrons/', { as: 'manager' }), 404);
    assertError(assert, await srv.api('GET', '/api/v1//patrons', { as: 'manager' }), 404);
  });

  test('merge and relation bodies with the wrong id types', () =>
    unchanged(async () => {
      assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/merge`, { as: 'manager', body: { from: String(p.id), reason: 'same person' } }), 400, 'from');
      assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/relations`, { as: 'manager', body: { related_id: 'abc', kind: 'other' } }), 400, 'related_id');
      assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/erase`, { as: 'manager', body: { reason: 42 } }), 400, 'reason');
    }));
});
