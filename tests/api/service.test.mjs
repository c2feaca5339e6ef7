// The service desk over HTTP: tickets from the portal and the counter, their thread,
// SLA deadlines on the configured working calendar, escalation by another process when
// a deadline passes, paging, and bad input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, assertPatronNames, auditEntries, createPatron, person, poll, startServer, uniq } from './harness.mjs';

let srv;
let patron;
let other;
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person());
  other = await createPatron(srv, person());
  await srv.addUser('portal', 'patron', { patron: patron.id });
  await srv.addUser('portal2', 'patron', { patron: other.id });
  // Round-the-clock hours, so deadlines are plain arithmetic whatever time the test runs.
  const all = '00:00-24:00';
  const h = await srv.api('PUT', '/api/v1/service/hours', { as: 'manager', body: { mon: all, tue: all, wed: all, thu: all, fri: all, sat: all, sun: all } });
  assert.equal(h.status, 200, h.text);
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body) => srv.api(method, path, { as: role, body });
const minutes = (a, b) => Math.round((Date.parse(b) - Date.parse(a)) / 60000);

describe('tickets', () => {
  test('a patron asks on the portal, staff answer, the patron never sees notes', async () => {
    const r = await as('portal', 'POST', '/api/v1/tickets', { kind: 'consultation', subject: '查询1958年招工档案', body: '父亲1958年进厂' });
    assert.equal(r.status, 201, r.text);
    const t = r.json;
    assert.match(t.number, /^T\d{4}-\d{6}$/);
    assert.equal(t.channel, 'web_form');
    assert.equal(t.status, 'new');
    assert.equal(t.resolution_due, undefined, 'SLA internals are for staff');

    const staff = (await as('agent', 'GET', `/api/v1/tickets/${t.id}`)).json;
    assert.equal(staff.patron_id, patron.id);
    // consultation/normal: 240 minutes to the first response, 1350 to resolution.
    assert.equal(minutes(staff.created_at, staff.first_response_due), 240);
    assert.equal(minutes(staff.created_at, staff.resolution_due), 1350);

    assert.equal((await as('agent', 'POST', `/api/v1/tickets/${t.id}/messages`, { kind: 'note', body: '内部：可能在劳动局' })).status, 201);
    const reply = await as('agent', 'POST', `/api/v1/tickets/${t.id}/messages`, { kind: 'reply', body: '请携带户口簿到馆查询' });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.json.status, 'open');
    assert.ok(reply.json.first_response_at);

    const seen = (await as('portal', 'GET', `/api/v1/tickets/${t.id}`)).json;
    assert.deepEqual(seen.messages.map((m) => m.from), ['you', 'staff']);
    assert.ok(!JSON.stringify(seen).includes('劳动局'), 'an internal note reached the patron');
    assertError(assert, await as('portal2', 'GET', `/api/v1/tickets/${t.id}`), 404);
    assert.equal((await as('portal2', 'GET', '/api/v1/tickets')).json.items.length, 0);

    // The patron's timeline shows the ticket; reading it was audited.
    const tl = (await as('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline`)).json.items;
    assert.ok(tl.some((e) => e.kind === 'ticket.opened' && e.summary.includes(t.number)), JSON.stringify(tl.slice(0, 3)));
    assert.ok(tl.some((e) => e.kind === 'ticket.replied'));
    await poll(async () => (await auditEntries(srv, { action: 'ticket.read' })).length > 0, 3000);
    assert.ok((await auditEntries(srv, { action: 'ticket.read' })).some((e) => e.entity_id === String(t.id)));
  });

  test('waiting on the patron stops the resolution clock; resolve, close, reopen', async () => {
    const t = (await as('agent', 'POST', '/api/v1/tickets', { kind: 'complaint', channel: 'counter', subject: '阅览室空调太冷', body: '当面投诉', patron_id: patron.id })).json;
    assert.equal(t.status, 'open', 'at the counter, opening is the first response');
    assert.equal(t.first_response_at, t.created_at);
    const waiting = (await as('agent', 'POST', `/api/v1/tickets/${t.id}/wait`)).json;
    assert.equal(waiting.status, 'waiting_on_patron');
    await new Promise((r) => setTimeout(r, 1100));
    const back = await as('portal', 'POST', `/api/v1/tickets/${t.id}/messages`, { body: '下午又去了，还是冷' });
    assert.equal(back.status, 201, back.text);
    assert.equal(back.json.status, 'open');
    const after = (await as('agent', 'GET', `/api/v1/tickets/${t.id}`)).json;
    assert.ok(after.sla.paused_seconds >= 1, JSON.stringify(after.sla));
    assert.ok(Date.parse(after.resolution_due) > Date.parse(t.resolution_due), 'the deadline moved by the pause');

    assertError(assert, await as('agent', 'POST', `/api/v1/tickets/${t.id}/close`), 409, 'status', 'conflict');
    assertError(assert, await as('agent', 'POST', `/api/v1/tickets/${t.id}/resolve`, {}), 400, 'resolution');
    // Service recovery first: the patron sees the remedy (not the internal cause) and answers it.
    assertError(assert, await as('agent', 'POST', `/api/v1/tickets/${t.id}/resolve`, { resolution: '调高温度' }), 409, 'recovery');
    const offer = await as('agent', 'PUT', `/api/v1/tickets/${t.id}/recovery`, { cause: '空调设定过低', remedy: '调高温度并赠送复印券' });
    assert.equal(offer.status, 200, offer.text);
    const mine = (await as('portal', 'GET', `/api/v1/tickets/${t.id}`)).json;
    assert.equal(mine.recovery.remedy, '调高温度并赠送复印券');
    assert.equal(mine.recovery.cause, undefined);
    const ans = await as('portal', 'POST', `/api/v1/tickets/${t.id}/recovery/answer`, { accepted: true, comment: '满意' });
    assert.equal(ans.status, 200, ans.text);
    assert.equal(ans.json.recovery.accepted, true);
    assertError(assert, await as('portal2', 'POST', `/api/v1/tickets/${t.id}/recovery/answer`, { accepted: false }), 404);
    const resolved = await as('agent', 'POST', `/api/v1/tickets/${t.id}/resolve`, { resolution: '调高温度至24℃' });
    assert.equal(resolved.json.status, 'resolved');
    assert.equal((await as('agent', 'POST', `/api/v1/tickets/${t.id}/close`)).json.status, 'closed');
    assertError(assert, await as('portal', 'POST', `/api/v1/tickets/${t.id}/messages`, { body: '?' }), 409, 'status');
    const reopened = await as('manager', 'POST', `/api/v1/tickets/${t.id}/reopen`, { reason: '回访时读者仍不满意' });
    assert.equal(reopened.json.status, 'reopened');
    assert.equal(reopened.json.reopen_count, 1);
    const kinds = (await as('agent', 'GET', `/api/v1/tickets/${t.id}`)).json.messages.map((m) => m.kind);
    assert.deepEqual(kinds, ['patron', 'system', 'patron', 'system', 'system', 'system', 'system', 'system']);
    // Closing the complaint scheduled a follow-up visit; recording it lands on the timeline.
    const visits = (await as('agent', 'GET', `/api/v1/follow-up-visits?status=scheduled&patron_id=${patron.id}`)).json.items;
    const v = visits.find((x) => x.ticket_id === t.id);
    assert.ok(v, JSON.stringify(visits));
    assert.equal(v.reason, 'complaint');
    assertError(assert, await as('agent', 'POST', `/api/v1/follow-up-visits/${v.id}/record`, { outcome: 'done' }), 400, 'satisfaction');
    const rec = await as('agent', 'POST', `/api/v1/follow-up-visits/${v.id}/record`, { outcome: 'done', satisfaction: 3, comments: '温度合适了' });
    assert.equal(rec.status, 200, rec.text);
    const tl = (await as('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline`)).json.items;
    assert.ok(tl.some((e) => e.kind === 'visit.recorded' && e.summary.includes('3/5')));
  });

  test('another process, a month later, escalates missed deadlines once', async () => {
    const team = await as('manager', 'POST', '/api/v1/teams', { name: uniq('查档组') });
    assert.equal(team.status, 201, team.text);
    const t = (await as('agent', 'POST', '/api/v1/tickets', { kind: 'request', channel: 'email', subject: uniq('公函调档'), body: '请协助', team_id: team.json.id })).json;
    const later = await startServer({ db: srv.db, env: { DANGAN_FAKE_NOW_OFFSET_S: String(30 * 86400) } });
    try {
      const done = await poll(async () => {
        const r = (await later.api('GET', `/api/v1/tickets/${t.id}`, { as: 'manager' })).json;
        return r.escalations.length === 2 ? r : null;
      }, 15000);
      assert.ok(done, 'both deadlines escalated');
      assert.deepEqual(done.escalations.map((e) => e.reason).sort(), ['first_response', 'resolution']);
      assert.deepEqual(done.breached, { first_response: true, resolution: true });
      assert.ok(done.messages.some((m) => m.kind === 'system' && m.body.includes('escalated')));
      const queue = (await later.api('GET', '/api/v1/tickets?escalated=true&limit=200', { as: 'manager' })).json.items;
      assert.ok(queue.some((x) => x.id === t.id));
      const ack = await later.api('POST', `/api/v1/escalations/${done.escalations[0].id}/acknowledge`, { as: 'manager' });
      assert.equal(ack.status, 200, ack.text);
      assertError(assert, await later.api('POST', `/api/v1/escalations/${done.escalations[0].id}/acknowledge`, { as: 'manager' }), 409);
    } finally {
      await later.stop();
    }
    // Still two: a breach is escalated once, whichever process sweeps.
    assert.equal((await as('manager', 'GET', `/api/v1/tickets/${t.id}`)).json.escalations.length, 2);
  });

  test('lists filter, sort and page with a cursor', async () => {
    const subject = uniq('分页工单');
    for (let i = 0; i < 5; i++) await as('agent', 'POST', '/api/v1/tickets', { kind: 'suggestion', channel: 'letter', subject: `${subject} ${i}`, body: '建议' });
    const seen = [];
    let cursor = null;
    do {
      const qs = new URLSearchParams({ q: subject, limit: '2', sort: 'id', ...(cursor ? { cursor } : {}) });
      const r = await as('agent', 'GET', `/api/v1/tickets?${qs}`);
      assert.equal(r.status, 200, r.text);
      seen.push(...r.json.items.map((t) => t.subject));
      cursor = r.json.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [0, 1, 2, 3, 4].map((i) => `${subject} ${i}`));
    const byKind = (await as('agent', 'GET', `/api/v1/tickets?kind=suggestion&q=${encodeURIComponent(subject)}`)).json.items;
    assert.equal(byKind.length, 5);
    assertError(assert, await as('agent', 'GET', '/api/v1/tickets?status=pending'), 400, 'status');
    assertError(assert, await as('agent', 'GET', '/api/v1/tickets?sort=colour'), 400, 'sort');
    assertError(assert, await as('agent', 'GET', '/api/v1/tickets?cursor=zzz'), 400, 'cursor');
  });

  test('bad input is refused with the field and nothing is stored', async () => {
    const before = (await as('manager', 'GET', '/api/v1/tickets?limit=200')).json.items.length;
    const ok = { kind: 'consultation', channel: 'phone', subject: '主题', body: '内容' };
    for (const [field, value] of [['kind', 'praise'], ['channel', 'pigeon'], ['priority', 'asap'], ['subject', ''], ['body', 7], ['patron_id', 99999999], ['team_id', 99999], ['colour', 'red']]) {
      assertError(assert, await as('agent', 'POST', '/api/v1/tickets', { ...ok, [field]: value }), 400, field, 'invalid');
    }
    assertError(assert, await as('portal', 'POST', '/api/v1/tickets', { ...ok }), 400, 'channel');
    assertError(assert, await as('agent', 'POST', '/api/v1/tickets/99999999/messages', { kind: 'reply', body: 'x' }), 404);
    assertError(assert, await as('manager', 'PUT', '/api/v1/service/hours', { sat: '9-12' }), 400, 'sat');
    assertError(assert, await as('manager', 'PUT', '/api/v1/service/calendar/2026-02-30', { kind: 'holiday' }), 400, 'date');
    assertError(assert, await as('manager', 'PUT', '/api/v1/service/policies/praise/low', { first_response_minutes: 1, resolution_minutes: 2 }), 404);
    assertError(assert, await as('manager', 'PUT', '/api/v1/service/policies/complaint/low', { first_response_minutes: 0, resolution_minutes: 2 }), 400, 'first_response_minutes');
    assert.equal((await as('manager', 'GET', '/api/v1/tickets?limit=200')).json.items.length, before);
  });
});

describe('alerts', () => {
  test('a second complaint marks the patron sensitive; agents see it and work the alert', async () => {
    const p = await createPatron(srv, person());
    const complain = (subject) => as('agent', 'POST', '/api/v1/tickets', { kind: 'complaint', channel: 'phone', subject, body: '投诉', patron_id: p.id });
    assert.equal((await complain('排队太久')).json.patron_sensitive, false);
    const second = await complain('工作人员态度差');
    assert.equal(second.json.patron_sensitive, true);
    const summary = (await as('agent', 'GET', `/api/v1/patrons/${p.id}/service-summary`)).json;
    assert.equal(summary.sensitive, true);
    assert.equal(summary.active_complaints, 2);
    const list = (await as('agent', 'GET', `/api/v1/alerts?patron_id=${p.id}&status=unresolved`)).json.items;
    assert.deepEqual(list.map((a) => a.kind), ['repeat_complaint']);
    assertError(assert, await as('agent', 'POST', `/api/v1/alerts/${list[0].id}/resolve`, {}), 400, 'resolution');
    assert.equal((await as('agent', 'POST', `/api/v1/alerts/${list[0].id}/acknowledge`)).json.status, 'acknowledged');
    assert.equal((await as('manager', 'POST', `/api/v1/alerts/${list[0].id}/resolve`, { resolution: '科长致电道歉' })).json.status, 'resolved');
    assertError(assert, await as('manager', 'POST', `/api/v1/alerts/${list[0].id}/resolve`, { resolution: 'x' }), 409);
    assertError(assert, await as('manager', 'PUT', '/api/v1/alert-rules/repeat_contact', { params: { count: 1 } }), 400, 'params.count');
    assertError(assert, await as('manager', 'PUT', '/api/v1/alert-rules/weather', { enabled: false }), 404);
  });

  test('the list names the patron as the patron list does', async () => {
    const p = await createPatron(srv, person({ name: uniq('预警用户') }));
    for (const subject of ['馆藏查不到', '复印收费不清'])
      assert.equal((await as('agent', 'POST', '/api/v1/tickets', { kind: 'complaint', channel: 'phone', subject, body: '投诉', patron_id: p.id })).status, 201);
    await assertPatronNames(assert, srv, {
      path: `/api/v1/alerts?patron_id=${p.id}`,
      pick: (items) => items.find((a) => a.kind === 'repeat_complaint' && a.patron_id === p.id),
      patron: p,
      list: 'alerts',
    });
    const all = (await as('manager', 'GET', '/api/v1/alerts?limit=200')).json.items;
    assert.ok(all.filter((a) => a.patron_id === null).every((a) => a.patron_name === null), 'no patron, no name');
  });
});

describe('standard answers', () => {
  test('found in traditional or simplified, filled in for a ticket', async () => {
    const a = await as('manager', 'POST', '/api/v1/standard-answers', { title: uniq('查档须知'), scenario: '档案查询', body: '{patron_name}您好，{ticket_number}已受理。' });
    assert.equal(a.status, 201, a.text);
    const found = (await as('agent', 'GET', `/api/v1/standard-answers?q=${encodeURIComponent('檔案查詢')}`)).json.items;
    assert.ok(found.some((x) => x.id === a.json.id));
    const t = (await as('agent', 'POST', '/api/v1/tickets', { kind: 'consultation', channel: 'phone', subject: '问', body: '答', patron_id: patron.id })).json;
    const r = await as('agent', 'GET', `/api/v1/tickets/${t.id}/answers/${a.json.id}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.text, `${patron.name}您好，${t.number}已受理。`);
  });
});
