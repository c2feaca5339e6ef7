// The staff directory for pickers (GET /api/v1/staff) and the virus scan of ticket files
// over HTTP: an infected upload is 422 and audited, by staff and by the patron; a clean
// one is stored and its audit entry says it was scanned.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, auditEntries, createPatron, person, startServer } from './harness.mjs';

// EICAR, assembled at run time.
const eicar = () => 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

let srv, patron;
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person({ name: '赵敏' }));
  await srv.addUser('portal', 'patron', { patron: patron.id });
  await srv.addUser('wangfang', 'agent');
  await srv.addUser('retired', 'agent');
});
after(async () => srv?.stop());

describe('staff directory', () => {
  test('lists active staff by name with role, teams and availability, never contacts', async () => {
    const me = await srv.api('GET', '/api/v1/me', { as: 'wangfang' });
    assert.equal(me.status, 200, me.text);
    const team = await srv.api('POST', '/api/v1/teams', { as: 'manager', body: { name: '查档一组', member_ids: [me.json.id] } });
    assert.equal(team.status, 201, team.text);
    const avail = await srv.api('PUT', '/api/v1/agents/me/availability', { as: 'wangfang', body: { status: 'available' } });
    assert.equal(avail.status, 200, avail.text);
    const gone = await srv.api('GET', '/api/v1/staff?q=retired', { as: 'manager' });
    assert.equal(gone.json.items.length, 1);
    const r = await srv.api('GET', '/api/v1/staff?limit=200', { as: 'agent' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.next_cursor, null);
    const names = r.json.items.map((i) => i.name);
    assert.ok(r.json.items.every((i) => i.role !== 'patron'), 'no portal accounts');
    assert.ok(!names.some((n) => /portal/.test(n)));
    const w = r.json.items.find((i) => i.id === me.json.id);
    assert.ok(w, JSON.stringify(r.json.items));
    assert.equal(w.role, 'agent');
    assert.equal(w.availability, 'available');
    assert.deepEqual(w.teams.map((t) => t.name), ['查档一组']);
    assert.deepEqual(Object.keys(w).sort(), ['availability', 'id', 'name', 'role', 'teams']);
    // Role filter, search, pages.
    const managers = await srv.api('GET', '/api/v1/staff?role=manager', { as: 'agent' });
    assert.ok(managers.json.items.length >= 1);
    assert.ok(managers.json.items.every((i) => i.role === 'manager'));
    const found = await srv.api('GET', '/api/v1/staff?q=WANGF', { as: 'archivist' });
    assert.deepEqual(found.json.items.map((i) => i.id), [me.json.id]);
    const p1 = await srv.api('GET', '/api/v1/staff?limit=2', { as: 'analyst' });
    assert.equal(p1.json.items.length, 2);
    assert.equal(typeof p1.json.next_cursor, 'string');
    const p2 = await srv.api('GET', `/api/v1/staff?limit=2&cursor=${p1.json.next_cursor}`, { as: 'analyst' });
    assert.ok(!p2.json.items.some((i) => p1.json.items.some((j) => j.id === i.id)), 'pages do not overlap');
    assertError(assert, await srv.api('GET', '/api/v1/staff?role=patron', { as: 'agent' }), 400, 'role');
    assertError(assert, await srv.api('GET', '/api/v1/staff?cursor=zz', { as: 'agent' }), 400, 'cursor');
    assertError(assert, await srv.api('GET', '/api/v1/staff?email=x', { as: 'agent' }), 400);
    assertError(assert, await srv.api('GET', '/api/v1/staff', { as: 'auditor' }), 403);
    assertError(assert, await srv.api('GET', '/api/v1/staff', { as: 'portal' }), 403);
  });

  test('a disabled account is not listed', async () => {
    const all = await srv.api('GET', '/api/v1/users?limit=200', { as: 'administrator' });
    assert.equal(all.status, 200, all.text);
    const u = all.json.items.find((x) => x.username === 'retired');
    const off = await srv.api('POST', `/api/v1/users/${u.id}/disable`, { as: 'administrator', body: {} });
    assert.equal(off.status, 200, off.text);
    const r = await srv.api('GET', '/api/v1/staff?q=retired', { as: 'manager' });
    assert.equal(r.json.items.length, 0);
  });
});

describe('ticket files are virus-scanned', () => {
  test('infected: 422 with the signature, nothing stored, the refusal audited; clean: stored', async () => {
    const t = await srv.api('POST', '/api/v1/tickets', { as: 'portal', body: { kind: 'request', subject: '补交材料', body: '附件见后' } });
    assert.equal(t.status, 201, t.text);
    const full = await srv.api('GET', `/api/v1/tickets/${t.json.id}`, { as: 'portal' });
    const mine = full.json.messages[0].id;
    const bad = await srv.api('POST', `/api/v1/tickets/${t.json.id}/attachments?filename=scan.pdf&message_id=${mine}`, {
      as: 'portal',
      body: eicar(),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assertError(assert, bad, 422, 'file');
    assert.match(bad.json.error.message, /infected.*Dangan\.Test\.EICAR/);
    const staffBad = await srv.api('POST', `/api/v1/tickets/${t.json.id}/attachments?filename=eicar.com`, {
      as: 'agent',
      body: `header ${eicar()} trailer`,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assertError(assert, staffBad, 422, 'file');
    const list = await srv.api('GET', `/api/v1/tickets/${t.json.id}/attachments`, { as: 'agent' });
    assert.equal(list.json.items.length, 0);
    const refused = (await auditEntries(srv, { action: 'ticket.attach_refused' })).filter((e) => e.entity_id === String(t.json.id));
    assert.equal(refused.length, 2, JSON.stringify(refused));
    assert.equal(refused[0].patron_id, patron.id);
    const ok = await srv.api('POST', `/api/v1/tickets/${t.json.id}/attachments?filename=note.txt`, {
      as: 'agent',
      body: '干净的说明',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.scan_status, 'clean');
    const attached = (await auditEntries(srv, { action: 'ticket.attach' })).filter((e) => e.entity_id === String(t.json.id));
    assert.equal(attached.length, 1);
    assert.equal(attached[0].detail.scan_status, 'clean');
  });
});
