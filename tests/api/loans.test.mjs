// The loans desk over HTTP: lending by a scanned reference code, the one-open-loan rule
// under parallel requests, renewals, returns, restricted records, the patron's own view,
// and the overdue-loan alert raised by another process a month later.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, assertPatronNames, createPatron, person, poll, startServer, uniq } from './harness.mjs';

let srv;
let patron;
let other;
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person());
  other = await createPatron(srv, person());
  await srv.addUser('portal', 'patron', { patron: patron.id });
  await srv.addUser('portal2', 'patron', { patron: other.id });
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body) => srv.api(method, path, { as: role, body });

async function record(level = 'open') {
  const r = await as('archivist', 'POST', '/api/v1/records', { title: uniq('借阅档案'), description: '案卷', access_level: level });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

describe('loans', () => {
  test('lend by reference code, renew, return; each step on the timeline', async () => {
    const rec = await record();
    const r = await as('agent', 'POST', '/api/v1/loans', { reference_code: rec.reference_code, patron_id: patron.id });
    assert.equal(r.status, 201, r.text);
    const loan = r.json;
    assert.equal(loan.status, 'open');
    assert.equal(loan.record_id, rec.id);
    const days = (Date.parse(loan.due_at) - Date.parse(loan.lent_at)) / 86400000;
    assert.equal(Math.round(days), 30, 'the default loan is 30 days');

    assertError(assert, await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: other.id }), 409, 'record_id');

    const renewed = await as('agent', 'POST', `/api/v1/loans/${loan.id}/renew`);
    assert.equal(renewed.status, 200, renewed.text);
    assert.equal(renewed.json.renewals, 1);
    assert.ok(renewed.json.due_at > loan.due_at);

    const back = await as('agent', 'POST', `/api/v1/loans/${loan.id}/return`, { note: '完好无损' });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.status, 'returned');
    assertError(assert, await as('agent', 'POST', `/api/v1/loans/${loan.id}/return`), 409, 'status');

    const tl = (await as('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline`)).json.items;
    for (const kind of ['loan.lent', 'loan.renewed', 'loan.returned'])
      assert.ok(tl.some((e) => e.kind === kind && e.summary.includes(rec.reference_code)), kind);
  });

  test('two desks lending the same record at once: exactly one succeeds', async () => {
    const rec = await record();
    const results = await Promise.all([
      as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id }),
      as('archivist', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: other.id }),
      as('manager', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: other.id }),
    ]);
    assert.deepEqual(results.map((x) => x.status).sort(), [201, 409, 409], results.map((x) => x.text).join('\n'));
    const open = (await as('agent', 'GET', `/api/v1/loans?record_id=${rec.id}&status=open`)).json.items;
    assert.equal(open.length, 1);
  });

  test('controlled records: a manager lends them with a basis; agents may not', async () => {
    const rec = await record('controlled');
    assertError(assert, await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id }), 403, 'record_id');
    assertError(assert, await as('manager', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id }), 400, 'note');
    const r = await as('manager', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, note: '利用审批单 2026-31' });
    assert.equal(r.status, 201, r.text);
  });

  test('a patron sees their own loans only, without staff notes', async () => {
    const rec = await record();
    const loan = (await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, note: '柜台' })).json;
    const mine = await as('portal', 'GET', '/api/v1/loans?status=open');
    assert.equal(mine.status, 200, mine.text);
    const seen = mine.json.items.find((l) => l.id === loan.id);
    assert.ok(seen);
    assert.equal(seen.note, undefined);
    assert.ok(mine.json.items.every((l) => l.patron_id === patron.id));
    assertError(assert, await as('portal2', 'GET', `/api/v1/loans/${loan.id}`), 404);
    assert.equal((await as('portal2', 'GET', '/api/v1/loans')).json.items.some((l) => l.id === loan.id), false);
    assertError(assert, await as('portal', 'POST', `/api/v1/loans/${loan.id}/renew`), 403);
  });

  test('the list names the patron as the patron list does; an erased one by the redacted name', async () => {
    const p = await createPatron(srv, person({ name: uniq('借阅人') }));
    const loan = (await as('agent', 'POST', '/api/v1/loans', { record_id: (await record()).id, patron_id: p.id })).json;
    await assertPatronNames(assert, srv, { path: `/api/v1/loans?patron_id=${p.id}`, pick: (items) => items.find((l) => l.id === loan.id), patron: p, list: 'loans' });
    const mine = (await as('portal', 'GET', '/api/v1/loans')).json.items;
    assert.ok(mine.length > 0 && mine.every((l) => !('patron_name' in l)), 'the portal list is unchanged');
    // One loan, and the answers to lending, renewing and returning, name the patron too.
    assert.equal(loan.patron_name, p.name, 'the lend answer');
    assert.equal((await as('agent', 'GET', `/api/v1/loans/${loan.id}`)).json.patron_name, p.name);
    assert.equal((await as('analyst', 'GET', `/api/v1/loans/${loan.id}`)).status, 403);
    const renewed = (await as('agent', 'POST', `/api/v1/loans/${loan.id}/renew`)).json;
    assert.equal(renewed.patron_name, p.name, JSON.stringify(renewed));
    const portalOne = (await as('portal', 'GET', `/api/v1/loans/${mine[0].id}`)).json;
    assert.ok(portalOne.id && !('patron_name' in portalOne), 'the portal view of one loan is unchanged');

    assert.equal((await as('manager', 'POST', `/api/v1/patrons/${p.id}/erase`, { reason: '本人要求删除个人信息' })).status, 200);
    const after = (await as('agent', 'GET', `/api/v1/loans?patron_id=${p.id}`)).json.items.find((l) => l.id === loan.id);
    assert.equal(after.patron_name, `(erased ${p.id})`);
    const back = (await as('agent', 'POST', `/api/v1/loans/${loan.id}/return`, {})).json;
    assert.equal(back.status, 'returned', JSON.stringify(back));
    assert.equal(back.patron_name, `(erased ${p.id})`);
  });

  test('bad input names its field and changes nothing', async () => {
    const rec = await record();
    assertError(assert, await as('agent', 'POST', '/api/v1/loans', { patron_id: patron.id }), 400, 'record_id');
    assertError(assert, await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id }), 400, 'patron_id');
    assertError(assert, await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, due_at: 'tomorrow' }), 400, 'due_at');
    assertError(assert, await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, due_at: '2099-01-01T00:00:00Z' }), 400, 'due_at');
    assertError(assert, await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: 987654 }), 404, 'patron_id');
    assertError(assert, await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, colour: 'red' }), 400, 'colour');
    assertError(assert, await as('agent', 'GET', '/api/v1/loans?status=lost'), 400, 'status');
    assert.equal((await as('agent', 'GET', `/api/v1/loans?record_id=${rec.id}`)).json.items.length, 0);
  });

  test('lists page with a cursor, soonest due first', async () => {
    for (let i = 0; i < 3; i++) {
      const rec = await record();
      const due = new Date(Date.now() + (5 + i) * 86400000).toISOString();
      assert.equal((await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: other.id, due_at: due })).status, 201);
    }
    const seen = [];
    let cursor = null;
    do {
      const qs = new URLSearchParams({ patron_id: String(other.id), status: 'open', sort: 'due_at', limit: '2', ...(cursor ? { cursor } : {}) });
      const r = await as('agent', 'GET', `/api/v1/loans?${qs}`);
      assert.equal(r.status, 200, r.text);
      seen.push(...r.json.items.map((l) => l.due_at));
      cursor = r.json.next_cursor;
    } while (cursor);
    assert.ok(seen.length >= 3);
    assert.deepEqual([...seen].sort(), seen);
  });

  test('merging the patron moves their loans and tickets to the survivor', async () => {
    const a = await createPatron(srv, person());
    const b = await createPatron(srv, person());
    const rec = await record();
    const loan = (await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: a.id })).json;
    const t = await as('agent', 'POST', '/api/v1/tickets', { kind: 'request', channel: 'counter', subject: uniq('借阅续借'), body: '续借', patron_id: a.id });
    assert.equal(t.status, 201, t.text);
    const m = await as('archivist', 'POST', `/api/v1/patrons/${b.id}/merge`, { from: a.id, reason: '同一人: 身份证一致' });
    assert.equal(m.status, 200, m.text);
    assert.equal((await as('agent', 'GET', `/api/v1/loans/${loan.id}`)).json.patron_id, b.id);
    assert.equal((await as('agent', 'GET', `/api/v1/tickets/${t.json.id}`)).json.patron_id, b.id);
    assert.ok((await as('agent', 'GET', `/api/v1/loans?patron_id=${b.id}`)).json.items.some((l) => l.id === loan.id));
    // Lending to the merged-away id names the survivor.
    const again = await as('agent', 'POST', '/api/v1/loans', { record_id: (await record()).id, patron_id: a.id });
    assertError(assert, again, 409, 'patron_id');
    assert.match(again.json.error.message, new RegExp(String(b.id)));
  });

  test('a month later another process raises one overdue-loan alert per loan', async () => {
    const rec = await record();
    const loan = (await as('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, due_at: new Date(Date.now() + 86400000).toISOString() })).json;
    const later = await startServer({ db: srv.db, env: { DANGAN_FAKE_NOW_OFFSET_S: String(30 * 86400) } });
    try {
      const alert = await poll(async () => {
        const items = (await later.api('GET', '/api/v1/alerts?kind=loan_overdue&status=unresolved&limit=200', { as: 'manager' })).json.items;
        return items.find((a) => a.detail?.loan_id === loan.id) ?? null;
      }, 15000);
      assert.ok(alert, 'the overdue loan raised an alert');
      assert.equal(alert.patron_id, patron.id);
      const overdue = (await later.api('GET', `/api/v1/loans/${loan.id}`, { as: 'agent' })).json;
      assert.equal(overdue.status, 'overdue');
      assert.ok(overdue.days_overdue >= 28);
    } finally {
      await later.stop();
    }
    const all = (await as('manager', 'GET', '/api/v1/alerts?kind=loan_overdue&limit=200')).json.items;
    assert.equal(all.filter((a) => a.detail?.loan_id === loan.id).length, 1);
  });
});
