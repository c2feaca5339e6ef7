// On-site visits (上门服务, D29) over HTTP: booking on working days of the service calendar,
// no double-booked staff (also under parallel requests; back-to-back allowed), the portal
// request that the patron's tier must allow, the patron's own view and cancelling,
// recording the outcome on the timeline, the address masked for staff who do not go and
// every staff read audited, and keyset paging.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, assertPatronNames, auditEntries, createPatron, mobile, person, startServer, uniq } from './harness.mjs';

let srv;
let patron;
let other;
const ids = {};
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person());
  other = await createPatron(srv, person());
  await srv.addUser('portal', 'patron', { patron: patron.id });
  await srv.addUser('portal2', 'patron', { patron: other.id });
  await srv.addUser('agent2', 'agent');
  for (const who of ['agent', 'agent2', 'archivist', 'manager'])
    ids[who] = (await srv.api('GET', '/api/v1/me', { as: who })).json.id;
});
after(async () => {
  await srv?.stop();
});

const as = (who, method, path, body) => srv.api(method, path, { as: who, body });

// A Monday–Friday date in Beijing `weeks` weeks from today (negative: back), shifted by
// `extra` days and moved forward past a weekend.
function workday(weeks, extra = 0) {
  const d = new Date(Date.now() + 8 * 3600e3 + (weeks * 7 + extra) * 86400e3);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
const at = (day, hm) => `${day}T${hm}:00+08:00`;
const visit = (day, from, to, extra = {}) => ({
  patron_id: patron.id,
  purpose: 'collection',
  address: '北京市朝阳区建国路88号3单元502室',
  contact_phone: '13812345678',
  starts_at: at(day, from),
  ends_at: at(day, to),
  ...extra,
});

describe('on-site visits', () => {
  test('a window must fall on a working day: a holiday of the calendar is refused', async () => {
    const day = workday(3, 1);
    const ok = await as('agent', 'POST', '/api/v1/onsite-visits', visit(day, '09:00', '10:00'));
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.status, 'requested', 'no staff named yet');
    const cal = await as('manager', 'PUT', `/api/v1/service/calendar/${day}`, { kind: 'holiday', name: '闭馆日' });
    assert.equal(cal.status, 200, cal.text);
    const r = await as('agent', 'POST', '/api/v1/onsite-visits', visit(day, '10:00', '11:00'));
    assertError(assert, r, 400, 'starts_at');
    assert.match(r.json.error.message, /闭馆日/);
    assertError(assert, await as('agent', 'PATCH', `/api/v1/onsite-visits/${ok.json.id}`, { ends_at: at(day, '11:00') }), 400, 'starts_at');
    const saturday = new Date(`${workday(3)}T00:00:00Z`);
    saturday.setUTCDate(saturday.getUTCDate() + ((6 - saturday.getUTCDay() + 7) % 7));
    const sat = saturday.toISOString().slice(0, 10);
    assertError(assert, await as('agent', 'POST', '/api/v1/onsite-visits', visit(sat, '09:00', '10:00')), 400, 'starts_at');
    assertError(assert, await as('agent', 'POST', '/api/v1/onsite-visits', visit(workday(3, 2), '11:00', '10:00')), 400, 'ends_at');
    assertError(assert, await as('agent', 'POST', '/api/v1/onsite-visits', { ...visit(workday(3, 2), '09:00', '10:00'), purpose: 'picnic' }), 400, 'purpose');
    assertError(assert, await as('agent', 'POST', '/api/v1/onsite-visits', { ...visit(workday(5), '09:00', '10:00'), staff_ids: [ids.agent, 999999] }), 400, 'staff_ids');
  });

  test('two desks booking the same person at once: one 201, one 409 naming the other visit', async () => {
    const day = workday(4);
    const results = await Promise.all([
      as('manager', 'POST', '/api/v1/onsite-visits', visit(day, '09:00', '11:00', { staff_ids: [ids.agent2] })),
      as('agent', 'POST', '/api/v1/onsite-visits', visit(day, '10:00', '12:00', { staff_ids: [ids.agent2, ids.archivist] })),
    ]);
    assert.deepEqual(results.map((x) => x.status).sort(), [201, 409], results.map((x) => x.text).join('\n'));
    const won = results.find((x) => x.status === 201).json;
    const lost = results.find((x) => x.status === 409);
    assertError(assert, lost, 409, 'staff_ids');
    assert.match(lost.json.error.message, new RegExp(`visit ${won.id}\\b`));
    assert.equal(won.status, 'booked');
    // Back to back is allowed on both sides; the other member of staff was free anyway.
    const [from, to] = [won.starts_at, won.ends_at];
    const before = await as('agent', 'POST', '/api/v1/onsite-visits', { ...visit(day, '08:00', '08:00'), starts_at: new Date(Date.parse(from) - 3600e3).toISOString(), ends_at: from, staff_ids: [ids.agent2] });
    assert.equal(before.status, 201, before.text);
    const next = await as('agent', 'POST', '/api/v1/onsite-visits', { ...visit(day, '08:00', '08:00'), starts_at: to, ends_at: new Date(Date.parse(to) + 3600e3).toISOString(), staff_ids: [ids.agent2, ids.archivist] });
    assert.equal(next.status, 201, next.text);
    // Moving one onto the other is a conflict too; cancelling frees the staff.
    assertError(assert, await as('agent', 'PATCH', `/api/v1/onsite-visits/${next.json.id}`, { starts_at: before.json.starts_at }), 409, 'staff_ids');
    assert.equal((await as('agent', 'POST', `/api/v1/onsite-visits/${won.id}/cancel`, { reason: '改期' })).status, 200);
    const moved = await as('agent', 'PATCH', `/api/v1/onsite-visits/${next.json.id}`, { starts_at: from });
    assert.equal(moved.status, 200, moved.text);
    const mine = (await as('agent2', 'GET', `/api/v1/onsite-visits?staff_id=${ids.agent2}&status=booked&from=${encodeURIComponent(at(day, '00:00'))}`)).json.items;
    assert.deepEqual(mine.map((v) => v.id), [before.json.id, next.json.id], 'soonest first');
  });

  test('the portal: a request needs a tier with on-site visits; the patron sees and cancels their own', async () => {
    const day = workday(2, 2);
    const body = { purpose: 'consultation', address: '上海市徐汇区漕溪北路100号', contact_phone: mobile(), starts_at: at(day, '14:00'), ends_at: at(day, '16:00'), note: '行动不便' };
    assertError(assert, await as('portal', 'POST', '/api/v1/onsite-visits', body), 403);
    assert.equal((await as('manager', 'PUT', `/api/v1/patrons/${patron.id}/service-tier`, { tier: 'key' })).status, 200);
    assertError(assert, await as('portal', 'POST', '/api/v1/onsite-visits', body), 403);
    const tiers = (await as('manager', 'GET', '/api/v1/service-tiers')).json.items;
    assert.equal(tiers.find((t) => t.code === 'vip').on_site, true);
    assert.equal(tiers.find((t) => t.code === 'key').on_site, false);
    const put = await as('manager', 'PUT', '/api/v1/service-tiers/key', { name: '重点', position: 2, sla_percent: 75, notify: true, on_site: true });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.on_site, true);
    const r = await as('portal', 'POST', '/api/v1/onsite-visits', body);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status, 'requested');
    assert.equal(r.json.patron_id, patron.id);
    assertError(assert, await as('portal', 'POST', '/api/v1/onsite-visits', { ...body, patron_id: other.id }), 400);
    assertError(assert, await as('portal', 'POST', '/api/v1/onsite-visits', { ...body, starts_at: at(workday(-1), '09:00'), ends_at: at(workday(-1), '10:00') }), 400, 'starts_at');

    // Staff confirm it, with a note the patron does not see.
    const ok = await as('agent', 'PATCH', `/api/v1/onsite-visits/${r.json.id}`, { status: 'booked', staff_ids: [ids.agent], notes: '带移动扫描仪' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.notes, '带移动扫描仪');
    const own = await as('portal', 'GET', `/api/v1/onsite-visits/${r.json.id}`);
    assert.ok(!('patron_name' in own.json), 'the patron\'s own view has no names');
    assert.equal(own.status, 200);
    assert.equal(own.json.status, 'booked');
    assert.equal(own.json.notes, undefined);
    assert.equal(own.json.address, body.address);
    assert.equal((await as('portal2', 'GET', `/api/v1/onsite-visits/${r.json.id}`)).status, 404);
    assert.equal((await as('portal2', 'POST', `/api/v1/onsite-visits/${r.json.id}/cancel`)).status, 404);
    assertError(assert, await as('portal', 'PATCH', `/api/v1/onsite-visits/${r.json.id}`, { notes: 'x' }), 403);
    const list = (await as('portal', 'GET', '/api/v1/onsite-visits?patron_id=' + other.id)).json.items;
    assert.ok(list.length >= 1 && list.every((v) => v.patron_id === patron.id && v.notes === undefined));
    const cancelled = await as('portal', 'POST', `/api/v1/onsite-visits/${r.json.id}/cancel`, { reason: '已自行到馆' });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.json.status, 'cancelled');
    assertError(assert, await as('portal', 'POST', `/api/v1/onsite-visits/${r.json.id}/cancel`), 409, 'status');
    const tl = (await as('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline`)).json.items;
    for (const kind of ['onsite.requested', 'onsite.booked', 'onsite.cancelled'])
      assert.ok(tl.some((e) => e.kind === kind && e.ref_id === String(r.json.id)), kind);
    // The history shows the window in the service calendar's time (Beijing), as people read it.
    const booked = tl.find((e) => e.kind === 'onsite.booked' && e.ref_id === String(r.json.id));
    assert.ok(booked.summary.endsWith(`${day} 14:00–16:00`), booked.summary);
  });

  test('the outcome is recorded; other staff see the address cut short; reads are audited', async () => {
    const day = workday(-1, -3); // a past working day: the visit has happened
    const b = await as('manager', 'POST', '/api/v1/onsite-visits', visit(day, '09:00', '11:00', { staff_ids: [ids.agent2], notes: '家属陪同' }));
    assert.equal(b.status, 201, b.text);
    const id = b.json.id;
    const whole = (await as('agent2', 'GET', `/api/v1/onsite-visits/${id}`)).json;
    assert.equal(whole.address, '北京市朝阳区建国路88号3单元502室');
    assert.equal(whole.contact_phone, '13812345678');
    const cut = (await as('agent', 'GET', `/api/v1/onsite-visits/${id}`)).json;
    assert.equal(cut.address, '北京市朝阳区****');
    assert.equal(cut.contact_phone, '138****5678');
    assert.deepEqual(cut.masked, ['address', 'contact_phone']);
    assert.equal((await as('analyst', 'GET', `/api/v1/onsite-visits/${id}`)).status, 403);
    let reads = [];
    for (let i = 0; i < 50 && reads.length < 2; i++) {
      reads = (await auditEntries(srv, { action: 'onsite.read', patron_id: String(patron.id) })).filter((e) => e.entity_id === String(id));
      if (reads.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(reads.length, 2, 'both staff reads are in the audit log');

    assertError(assert, await as('agent2', 'POST', `/api/v1/onsite-visits/${id}/done`, { outcome: '接收' }), 400, 'duration_minutes');
    const done = await as('agent2', 'POST', `/api/v1/onsite-visits/${id}/done`, {
      outcome: '接收捐赠家书 3 件，已开具接收凭证',
      duration_minutes: 95,
      items: ['家书（1950–1962）', '老照片 12 张', '工作证'],
      satisfaction: 5,
    });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.json.status, 'done');
    assert.deepEqual(done.json.items, ['家书（1950–1962）', '老照片 12 张', '工作证']);
    assertError(assert, await as('agent2', 'POST', `/api/v1/onsite-visits/${id}/done`, { outcome: 'x', duration_minutes: 5 }), 409, 'status');
    const own = (await as('portal', 'GET', `/api/v1/onsite-visits/${id}`)).json;
    assert.equal(own.outcome, undefined);
    assert.equal(own.satisfaction, 5);
    const tl = (await as('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline`)).json.items;
    assert.ok(tl.some((e) => e.kind === 'onsite.done' && e.summary.includes('95 min')));
    const audit = await auditEntries(srv, { action: 'onsite.done' });
    assert.ok(audit.some((e) => e.entity_id === String(id)));
  });

  test('the list names the patron as the patron list does (the read is the onsite.list_read)', async () => {
    const p = await createPatron(srv, person({ name: uniq('上门用户') }));
    const r = await as('agent', 'POST', '/api/v1/onsite-visits', { ...visit(workday(7), '14:00', '15:00'), patron_id: p.id });
    assert.equal(r.status, 201, r.text);
    await assertPatronNames(assert, srv, {
      path: `/api/v1/onsite-visits?patron_id=${p.id}`,
      pick: (items) => items.find((v) => v.id === r.json.id),
      patron: p,
      list: null,
      readAction: 'onsite.list_read',
    });
    // One visit names the patron too; the patron's own view of it has no names.
    assert.equal((await as('agent', 'GET', `/api/v1/onsite-visits/${r.json.id}`)).json.patron_name, p.name);
  });

  test('keyset paging, soonest window first', async () => {
    const p = await createPatron(srv, person());
    const made = [];
    for (let i = 0; i < 5; i++) {
      const r = await as('agent', 'POST', '/api/v1/onsite-visits', { ...visit(workday(5, i), '09:00', '10:00'), patron_id: p.id, purpose: 'delivery' });
      assert.equal(r.status, 201, r.text);
      made.push(r.json.id);
    }
    const seen = [];
    let cursor = null;
    for (let page = 0; page < 5; page++) {
      const qs = new URLSearchParams({ patron_id: String(p.id), limit: '2', ...(cursor ? { cursor } : {}) });
      const r = await as('agent', 'GET', `/api/v1/onsite-visits?${qs}`);
      assert.equal(r.status, 200, r.text);
      seen.push(...r.json.items.map((v) => v.id));
      cursor = r.json.next_cursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, made);
    assertError(assert, await as('agent', 'GET', '/api/v1/onsite-visits?status=maybe'), 400, 'status');
    assertError(assert, await as('agent', 'GET', '/api/v1/onsite-visits?cursor=xyz'), 400, 'cursor');
  });
});
