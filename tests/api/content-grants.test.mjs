// What opens a record's content to a patron, over HTTP: a controlled record shows its
// catalogue entry only until a manager approves lending it to that patron; then its
// description, attachments and search snippet open to that patron alone, and close again
// on return. An embargo (D44) keeps attachments closed as it keeps the description, and a
// patron's own customer file is theirs to read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, auditEntries, createPatron, person, poll, startServer, uniq } from './harness.mjs';

let srv;
let patron;
let other;
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person());
  other = await createPatron(srv, person());
  await srv.addUser('reader', 'patron', { patron: patron.id });
  await srv.addUser('reader2', 'patron', { patron: other.id });
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body) => srv.api(method, path, { as: role, body });
// A word no other test uses, so the searches below find only these records.
const word = uniq('g').replace(/[^a-z0-9]/g, '');

async function record(body) {
  const r = await as('archivist', 'POST', '/api/v1/records', body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}
async function attach(rec, text) {
  const r = await srv.api('POST', `/api/v1/records/${rec.id}/attachments?filename=${encodeURIComponent('正文.txt')}`, {
    as: 'archivist',
    body: Buffer.from(text),
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
}
const hitOf = async (role, id) => {
  const r = await as(role, 'GET', `/api/v1/search?q=${word}&limit=50`);
  assert.equal(r.status, 200, r.text);
  return r.json.items.find((h) => h.id === id);
};

describe('content grants', () => {
  test('a controlled record opens to the patron a manager lends it to, and closes on return', async () => {
    const rec = await record({ title: `征地补偿卷 ${word}`, description: '补偿名单与标准的正文', access_level: 'controlled' });
    const file = await attach(rec, '附件正文：补偿名单');

    const closed = async (role) => {
      const seen = await as(role, 'GET', `/api/v1/records/${rec.id}`);
      assert.equal(seen.status, 200, seen.text);
      assert.equal(seen.json.content_hidden, true);
      assert.equal(seen.json.description, undefined, 'no description in the catalogue entry');
      assertError(assert, await as(role, 'GET', `/api/v1/records/${rec.id}/attachments`), 403);
      assertError(assert, await as(role, 'GET', `/api/v1/attachments/${file.id}/content`), 403);
      const hit = await hitOf(role, rec.id);
      assert.ok(hit, 'the catalogue entry is found');
      assert.equal(hit.content_hidden, true);
      assert.ok(!hit.snippet.includes('正文'), hit.snippet);
    };
    await closed('reader');
    const refused = await as('reader', 'GET', `/api/v1/records/${rec.id}/attachments`);
    assert.match(refused.json.error.message, /manager approves/);

    const lent = await as('manager', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, note: '利用审批单 2026-77' });
    assert.equal(lent.status, 201, lent.text);

    const seen = await as('reader', 'GET', `/api/v1/records/${rec.id}`);
    assert.equal(seen.json.content_hidden, false);
    assert.equal(seen.json.description, '补偿名单与标准的正文');
    const list = await as('reader', 'GET', `/api/v1/records/${rec.id}/attachments`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.items.map((a) => a.id), [file.id]);
    const body = await as('reader', 'GET', `/api/v1/attachments/${file.id}/content`);
    assert.equal(body.status, 200, body.text);
    assert.ok(body.text.includes('附件正文：补偿名单'), body.text);
    const hit = await hitOf('reader', rec.id);
    assert.equal(hit.content_hidden, false);
    // The description now finds it too, for this patron only.
    const byContent = await as('reader', 'GET', `/api/v1/search?q=${encodeURIComponent('补偿名单')}&limit=50`);
    assert.ok(byContent.json.items.some((h) => h.id === rec.id), byContent.text);
    const listed = await as('reader', 'GET', `/api/v1/records?limit=200&sort=-id`);
    assert.equal(listed.json.items.find((r) => r.id === rec.id)?.content_hidden, false);

    await closed('reader2');
    const othersSearch = await as('reader2', 'GET', `/api/v1/search?q=${encodeURIComponent('补偿名单')}&limit=50`);
    assert.equal(othersSearch.status, 200, othersSearch.text);
    assert.ok(!othersSearch.json.items.some((h) => h.id === rec.id), 'another patron does not find it by its content');

    const back = await as('agent', 'POST', `/api/v1/loans/${lent.json.id}/return`);
    assert.equal(back.status, 200, back.text);
    await closed('reader');
  });

  test('an embargo keeps attachments closed, even on loan', async () => {
    const rec = await record({ title: `禁止公开卷 ${word}`, description: '尚未解禁的正文', access_level: 'open', embargo_until: '2099-12-31' });
    const file = await attach(rec, '尚未解禁的附件');
    const lent = await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id });
    assert.equal(lent.status, 201, lent.text);

    const seen = await as('reader', 'GET', `/api/v1/records/${rec.id}`);
    assert.equal(seen.json.content_hidden, true);
    const list = await as('reader', 'GET', `/api/v1/records/${rec.id}/attachments`);
    assertError(assert, list, 403);
    assert.match(list.json.error.message, /embargo until 2099-12-31/);
    assertError(assert, await as('reader', 'GET', `/api/v1/attachments/${file.id}/content`), 403);
    assert.equal((await hitOf('reader', rec.id)).content_hidden, true);
    // Staff read it as before.
    assert.equal((await as('agent', 'GET', `/api/v1/attachments/${file.id}/content`)).status, 200);
  });

  test('a controlled record lent and under embargo stays closed, attachments included', async () => {
    const rec = await record({ title: `禁止公开控制卷 ${word}`, description: '双重限制的正文', access_level: 'controlled', embargo_until: '2099-12-31' });
    const file = await attach(rec, '双重限制的附件');
    const lent = await as('manager', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, note: '利用审批单 2026-78' });
    assert.equal(lent.status, 201, lent.text);
    assert.equal((await as('reader', 'GET', `/api/v1/records/${rec.id}`)).json.content_hidden, true);
    const refused = await as('reader', 'GET', `/api/v1/attachments/${file.id}/content`);
    assertError(assert, refused, 403);
    assert.match(refused.json.error.message, /embargo until 2099-12-31/);
    assert.equal((await hitOf('reader', rec.id)).content_hidden, true);
  });

  test('a record lent while open and made controlled later opens nothing: only a manager approves', async () => {
    const rec = await record({ title: `先开放后控制卷 ${word}`, description: '后来控制的正文', access_level: 'open' });
    const file = await attach(rec, '后来控制的附件');
    const lent = await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id });
    assert.equal(lent.status, 201, lent.text);
    const changed = await as('archivist', 'PATCH', `/api/v1/records/${rec.id}`, { access_level: 'controlled' });
    assert.equal(changed.status, 200, changed.text);
    assert.equal((await as('reader', 'GET', `/api/v1/records/${rec.id}`)).json.content_hidden, true);
    assertError(assert, await as('reader', 'GET', `/api/v1/attachments/${file.id}/content`), 403);
    assert.equal((await hitOf('reader', rec.id)).content_hidden, true);
  });

  test("another patron's customer file lent to a reader: the reader sees it, and the read is audited", async () => {
    const rec = await record({ title: `他人客户卷宗 ${word}`, description: '他人的用电档案', access_level: 'controlled', patron_id: other.id });
    const lent = await as('manager', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, note: '继承人查档 2026-79' });
    assert.equal(lent.status, 201, lent.text);
    const seen = await as('reader', 'GET', `/api/v1/records/${rec.id}`);
    assert.equal(seen.json.description, '他人的用电档案');
    // Reads are written in batches: wait for it.
    const found = await poll(async () =>
      (await auditEntries(srv, { patron_id: String(other.id), action: 'record.read' })).find((e) => e.actor === 'reader' && e.entity_id === String(rec.id)),
    );
    assert.ok(found, 'the read of another patron\'s file is audited');
    // The reader's own file is not a read of someone else's personal data.
    const mine = await record({ title: `本人卷宗 ${word}`, description: '本人的', access_level: 'controlled', patron_id: patron.id });
    assert.equal((await as('reader', 'GET', `/api/v1/records/${mine.id}`)).status, 200);
    await as('manager', 'GET', `/api/v1/records/${mine.id}`); // a staff read, written after the reader's
    await poll(async () => (await auditEntries(srv, { patron_id: String(patron.id), action: 'record.read' })).some((e) => e.actor === 'manager' && e.entity_id === String(mine.id)));
    const own = await auditEntries(srv, { patron_id: String(patron.id), action: 'record.read' });
    assert.ok(!own.some((e) => e.actor === 'reader' && e.entity_id === String(mine.id)), 'own file reads are not audited');
  });

  test("a patron's own controlled customer file: record, attachments and search open; another patron's stay closed", async () => {
    const rec = await record({ title: `客户卷宗 ${word}`, description: '本人的用电档案', access_level: 'controlled', patron_id: patron.id });
    const file = await attach(rec, '本人的合同');
    const own = await as('reader', 'GET', `/api/v1/records/${rec.id}`);
    assert.equal(own.json.content_hidden, false);
    assert.equal((await as('reader', 'GET', `/api/v1/attachments/${file.id}/content`)).status, 200);
    assert.equal((await hitOf('reader', rec.id)).content_hidden, false);

    assertError(assert, await as('reader2', 'GET', `/api/v1/attachments/${file.id}/content`), 403);
    assert.equal((await hitOf('reader2', rec.id)).content_hidden, true);
  });
});
