// The permission matrix: every route × every role (and no session at all), allowed or
// denied as routes.mjs says. Allowed calls are real, valid requests and must get the
// status a user would expect; denied ones get 403 (401 without a session) and change
// nothing.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { ALL_ROLES, createPatron, mobile, passwordFor, person, poll, startServer, uniq } from './harness.mjs';
import { ROUTES, routeKey } from './routes.mjs';

let srv;
const WEBHOOK_SECRET = 'permission-matrix-gateway-secret';
let own; // the portal account's patron
let shared; // a patron staff roles act on
let throwaway; // a user account to disable and enable

before(async () => {
  srv = await startServer({ env: { DANGAN_CHANNEL_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  own = await createPatron(srv, person({ phones: [mobile()] }));
  shared = await createPatron(srv, person({ phones: [mobile()], emails: [`${uniq('s')}@example.com`] }));
  await srv.addUser('patron', 'patron', { patron: own.id });
  const u = uniq('throwaway-');
  const r = await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username: u, password: passwordFor(u), role: 'agent' } });
  assert.equal(r.status, 201);
  throwaway = r.json;
  // A second archivist proposes appraisals, so the archivist and the manager may give opinions.
  await srv.addUser('appraiser-b', 'archivist');
});
after(async () => {
  await srv?.stop();
});

const fresh = () => createPatron(srv, person({ phones: [mobile()] }));
// Catalogue fixtures, made by the archivist.
const asArchivist = async (method, path, body) => {
  const r = await srv.api(method, path, { as: 'archivist', body });
  assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
};
const record = (extra = {}) => asArchivist('POST', '/api/v1/records', { title: uniq('权限矩阵档案'), access_level: 'open', ...extra });
const building = () => asArchivist('POST', '/api/v1/locations', { kind: 'building', code: uniq('B') });
const category = () => asArchivist('POST', '/api/v1/categories', { code: uniq('C'), name: '测试类别' });
// An open loan of a fresh open record to the portal account's patron.
const loan = async () => {
  const rec = await record();
  const r = await srv.api('POST', '/api/v1/loans', { as: 'agent', body: { record_id: rec.id, patron_id: own.id } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// An attachment (plain text) on a fresh open record.
const attachment = async () => {
  const rec = await record();
  const r = await srv.api('POST', `/api/v1/records/${rec.id}/attachments?filename=matrix.txt`, { as: 'archivist', body: uniq('附件 ') });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// An export request of `role` that ran at once (an empty open export), and one of the
// archivist's that waits for approval (controlled records; an identical pending request
// is reused until it is decided).
const exportRequest = async (role) => {
  const r = await srv.api('POST', '/api/v1/records/exports', { as: role, body: { format: 'json', year_from: 2999 } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const pendingExport = async () => {
  const r = await srv.api('POST', '/api/v1/records/exports', { as: 'archivist', body: { format: 'csv', access_level: 'controlled' } });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, 'pending');
  return r.json;
};
let disposed; // a disposal register entry, made once
const donor = () => asArchivist('POST', '/api/v1/donors', { kind: 'organisation', name: uniq('捐赠单位') });
const accession = () => asArchivist('POST', '/api/v1/accessions', { method: 'transfer', received_on: '2025-02-03', source: uniq('移交'), item_count: 1 });
// A fresh open climate alert: a reading far out of range in a new building.
const alert = async () => {
  const b = await building();
  const r = await asArchivist('POST', `/api/v1/locations/${b.id}/readings`, { temperature: 35 });
  return r.alerts_raised[0].id;
};
const target = (role) => (role === 'patron' ? own : shared);
// Message board and FAQ fixtures: the portal patron's pending post (published by an
// agent when needed); FAQ entries proposed by the agent (published by a manager).
const pendingPost = async () => {
  const r = await srv.api('POST', '/api/v1/board/posts', { as: 'patron', body: { title: uniq('矩阵留言'), body: '请问开放时间？' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const publishedPost = async () => {
  const p = await pendingPost();
  const r = await srv.api('POST', `/api/v1/board/posts/${p.id}/publish`, { as: 'agent' });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const proposedFaq = async () => {
  const r = await srv.api('POST', '/api/v1/faq-entries', { as: 'agent', body: { question: uniq('开放时间'), answer: '周一至周五' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const publishedFaq = async () => {
  const e = await proposedFaq();
  const r = await srv.api('POST', `/api/v1/faq-entries/${e.id}/approve`, { as: 'manager' });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const resolvedConsultation = async () => {
  const t = await ticket('agent');
  const r = await srv.api('POST', `/api/v1/tickets/${t.id}/resolve`, { as: 'agent', body: { resolution: '已答复' } });
  assert.equal(r.status, 200, r.text);
  return t;
};
// A knowledge service (定题服务) an agent started: for the portal account's own patron when
// the role is patron, else for the shared patron; with one open milestone.
const knowledge = async (role) => {
  const r = await srv.api('POST', '/api/v1/knowledge-services', {
    as: 'agent',
    body: { patron_id: target(role).id, topic: uniq('定题服务'), milestones: [{ title: '检索', due_on: '2027-01-10' }] },
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// Service desk fixtures: a ticket the role may act on (a patron's own, opened on the
// portal; otherwise one an agent opened at the counter for the shared patron).
const ticket = async (role, extra = {}) => {
  const who = role === 'patron' ? 'patron' : 'agent';
  const body = role === 'patron'
    ? { kind: 'consultation', subject: uniq('矩阵工单'), body: '问题' }
    : { kind: 'consultation', channel: 'counter', subject: uniq('矩阵工单'), body: '问题', patron_id: shared.id, ...extra };
  const r = await srv.api('POST', '/api/v1/tickets', { as: who, body });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// A complaint the role may act on (the patron's own, from the portal).
const complaint = async (role) => {
  const who = role === 'patron' ? 'patron' : 'agent';
  const body = role === 'patron'
    ? { kind: 'complaint', subject: uniq('矩阵投诉'), body: '问题' }
    : { kind: 'complaint', channel: 'phone', subject: uniq('矩阵投诉'), body: '问题', patron_id: shared.id };
  const r = await srv.api('POST', '/api/v1/tickets', { as: who, body });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// A chat of the portal patron's, waiting for an agent.
const chat = async () => {
  const r = await srv.api('POST', '/api/v1/chats', { as: 'patron', body: { body: uniq('矩阵聊天 ') } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// A resolved chat: its event stream sends the thread and ends, so the call returns.
const endedChat = async () => {
  const c = await chat();
  const r = await srv.api('POST', `/api/v1/tickets/${c.id}/resolve`, { as: 'agent', body: { resolution: '已答复' } });
  assert.equal(r.status, 200, r.text);
  return c;
};
let routingTeam;
const routingRule = async () => {
  routingTeam ??= (await srv.api('POST', '/api/v1/teams', { as: 'manager', body: { name: uniq('路由组') } })).json;
  const r = await srv.api('POST', '/api/v1/routing-rules', { as: 'manager', body: { name: uniq('规则'), channel: 'fax', team_id: routingTeam.id } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// A fresh unresolved alert: three contacts of a new patron about one subject.
const alert2 = async () => {
  const p = await fresh();
  const subject = uniq('重复来电');
  let last;
  for (let i = 0; i < 3; i++) {
    last = await srv.api('POST', '/api/v1/tickets', { as: 'agent', body: { kind: 'consultation', channel: 'phone', subject, body: '问', patron_id: p.id } });
    assert.equal(last.status, 201, last.text);
  }
  const r = await srv.api('GET', `/api/v1/alerts?patron_id=${p.id}&status=open`, { as: 'manager' });
  assert.equal(r.json.items.length, 1, r.text);
  return r.json.items[0].id;
};
const ticketIn = async (role, path, action, body) => {
  const t = await ticket(role);
  if (path) for (const [a, b] of path) assert.ok((await srv.api('POST', `/api/v1/tickets/${t.id}/${a}`, { as: 'agent', body: b })).status < 300);
  return { path: `/api/v1/tickets/${t.id}/${action}`, body };
};
const answer = async () => {
  const r = await srv.api('POST', '/api/v1/standard-answers', { as: 'manager', body: { title: uniq('话术'), body: '{patron_name}您好' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
let calendarDay = 0;
const freeDate = () => `2031-0${1 + (Math.floor(calendarDay / 28) % 9)}-${String(1 + (calendarDay++ % 28)).padStart(2, '0')}`;
// Quality inspection and case fixtures (D14, D32).
const wavFile = () => {
  const b = Buffer.alloc(44 + 800, 0x80);
  b.write('RIFF', 0); b.writeUInt32LE(836, 4); b.write('WAVEfmt ', 8); b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(8000, 24); b.writeUInt32LE(8000, 28);
  b.writeUInt16LE(1, 32); b.writeUInt16LE(8, 34); b.write('data', 36); b.writeUInt32LE(800, 40);
  return b;
};
const recording = async () => {
  const t = await ticket('agent');
  const r = await srv.api('POST', `/api/v1/tickets/${t.id}/recordings?filename=m.wav`, { as: 'agent', body: wavFile(), headers: { 'content-type': 'audio/wav' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const qaReview = async () => {
  const r = await srv.api('POST', '/api/v1/qa/reviews', { as: 'manager', body: { ticket_id: (await ticket('agent')).id } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const agentId = async () => (await srv.api('GET', '/api/v1/me', { as: 'agent' })).json.id;
const coachingNote = async () => {
  const r = await srv.api('POST', '/api/v1/coaching-notes', { as: 'manager', body: { agent_id: await agentId(), body: '注意礼貌用语' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const kase = async (links = []) => {
  const r = await srv.api('POST', '/api/v1/cases', { as: 'agent', body: { title: uniq('案件'), links } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// Problem management fixtures (D13): a cause code by its code, a problem (managers
// open them), a unit, and an improvement action owned by the throwaway account.
const causeId = async (code) => {
  const r = await srv.api('GET', '/api/v1/cause-codes', { as: 'manager' });
  return r.json.items.find((c) => c.code === code).id;
};
const problem = async () => {
  const r = await srv.api('POST', '/api/v1/problems', { as: 'manager', body: { title: uniq('问题'), cause_id: await causeId('process') } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
let qualityUnit;
let qualityOwner;
const improvementAction = async () => {
  qualityUnit ??= (await srv.api('POST', '/api/v1/units', { as: 'administrator', body: { code: uniq('QU'), name: '整改部门' } })).json;
  if (!qualityOwner) {
    const u = uniq('owner-');
    qualityOwner = (await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username: u, password: passwordFor(u), role: 'agent' } })).json;
  }
  const p = await problem();
  const r = await srv.api('POST', `/api/v1/problems/${p.id}/actions`, { as: 'manager', body: { title: '整改', unit_id: qualityUnit.id, owner_id: qualityOwner.id, due_on: '2030-01-31' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// On-site visits: each on its own Monday–Friday (Beijing) so no member of staff is booked
// twice; future ones for requests and cancelling, past ones (booked) to record as done.
// The portal account's patron is in the vip tier, which allows requests on the portal.
let visitDays = 0;
const usedVisitDays = new Set();
const visitDay = (sign) => {
  for (;;) {
    const d = new Date(Date.now() + 8 * 3600e3 + sign * (14 + visitDays++) * 86400e3);
    const day = d.toISOString().slice(0, 10);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6 && !usedVisitDays.has(day)) {
      usedVisitDays.add(day);
      return day;
    }
  }
};
let vipOwn;
const visitBody = async (role, sign = 1) => {
  const day = visitDay(sign);
  const body = { purpose: 'consultation', address: '北京市东城区某街1号', starts_at: `${day}T09:00:00+08:00`, ends_at: `${day}T10:00:00+08:00` };
  if (role === 'patron') {
    vipOwn ??= srv.api('PUT', `/api/v1/patrons/${own.id}/service-tier`, { as: 'manager', body: { tier: 'vip' } });
    assert.equal((await vipOwn).status, 200);
    return body;
  }
  return { ...body, patron_id: own.id };
};
const onsiteVisit = async (role, { past = false } = {}) => {
  const body = await visitBody('agent', past ? -1 : 1);
  if (past) body.staff_ids = [(await srv.api('GET', '/api/v1/me', { as: 'agent' })).json.id];
  const r = await srv.api('POST', '/api/v1/onsite-visits', { as: 'agent', body });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
// Escalations come from missed deadlines: a process 30 days ahead sweeps them.
let escalations = [];
const escalation = async (role) => {
  if (role !== 'manager') return escalations[0] ?? 1;
  if (escalations.length < 2) {
    for (let i = 0; i < 3; i++) await ticket('agent', { channel: 'email' });
    const later = await startServer({ db: srv.db, env: { DANGAN_FAKE_NOW_OFFSET_S: String(30 * 86400) } });
    try {
      await poll(async () => {
        const r = await later.api('GET', '/api/v1/tickets?escalated=true&limit=200', { as: 'manager' });
        escalations = [];
        for (const t of r.json.items) {
          if (escalations.length >= 3) break;
          const full = await later.api('GET', `/api/v1/tickets/${t.id}`, { as: 'manager' });
          for (const e of full.json.escalations) if (!e.acknowledged_at) escalations.push(e.id);
        }
        return escalations.length >= 2;
      }, 15000);
    } finally {
      await later.stop();
    }
  }
  return escalations.pop();
};
// Contacts: one recorded on the shared patron; a prospect made by an SMS from a stranger;
// an e-mail reply waiting in the outbox (no SMTP server is configured here).
const interaction = async () => {
  const r = await srv.api('POST', '/api/v1/interactions', { as: 'agent', body: { channel: 'phone', direction: 'in', patron_id: shared.id, subject: uniq('来电') } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const prospect = async () => {
  const r = await srv.api('POST', '/api/v1/interactions', { as: 'agent', body: { channel: 'sms', direction: 'in', address: mobile(), body: uniq('陌生号码') } });
  assert.equal(r.status, 201, r.text);
  assert.ok(r.json.prospect_id, r.text);
  return r.json;
};
const queuedMail = async () => {
  const t = await ticket('agent');
  const r = await srv.api('POST', `/api/v1/tickets/${t.id}/messages`, { as: 'agent', body: { kind: 'reply', channel: 'email', body: '邮件答复' } });
  assert.equal(r.status, 201, r.text);
  const m = await srv.api('GET', `/api/v1/tickets/${t.id}/mail`, { as: 'agent' });
  return m.json.outbound[0].id;
};
const getAs = (id) => srv.api('GET', `/api/v1/patrons/${id}`, { as: 'manager' });

// For each route: how to make a valid call as `role` (path, body, token override), the
// status an allowed call gets, and optionally a check that a denied call changed nothing.
const CASES = {
  'GET /api/v1/tickets': { ok: 200, make: () => ({ path: '/api/v1/tickets?status=active&limit=5' }) },
  'POST /api/v1/tickets': {
    ok: 201,
    make: (role) => ({
      path: '/api/v1/tickets',
      body: role === 'patron'
        ? { kind: 'suggestion', subject: uniq('建议'), body: '延长开放时间' }
        : { kind: 'suggestion', channel: 'letter', subject: uniq('建议'), body: '延长开放时间' },
    }),
  },
  'GET /api/v1/tickets/{id}': { ok: 200, make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}` }) },
  'PATCH /api/v1/tickets/{id}': { ok: 200, make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}`, body: { priority: 'high' } }) },
  'POST /api/v1/tickets/{id}/messages': {
    ok: 201,
    make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}/messages`, body: role === 'patron' ? { body: '补充说明' } : { kind: 'reply', body: '答复' } }),
  },
  'POST /api/v1/tickets/{id}/wait': { ok: 200, make: (role) => ticketIn(role, [], 'wait', {}) },
  'POST /api/v1/tickets/{id}/resume': { ok: 200, make: (role) => ticketIn(role, [['wait', {}]], 'resume', {}) },
  'POST /api/v1/tickets/{id}/resolve': { ok: 200, make: (role) => ticketIn(role, [], 'resolve', { resolution: '已答复' }) },
  'POST /api/v1/tickets/{id}/close': { ok: 200, make: (role) => ticketIn(role, [['resolve', { resolution: '已答复' }]], 'close', {}) },
  'POST /api/v1/tickets/{id}/reopen': { ok: 200, make: (role) => ticketIn(role, [['resolve', { resolution: '已答复' }]], 'reopen', { reason: '仍有疑问' }) },
  'GET /api/v1/tickets/{id}/answers/{answer_id}': {
    ok: 200,
    make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}/answers/${(await answer()).id}` }),
  },
  'PUT /api/v1/tickets/{id}/recovery': {
    ok: 200,
    make: async (role) => ({ path: `/api/v1/tickets/${(await complaint(role)).id}/recovery`, body: { cause: '规定未公示', remedy: '致歉并退费' } }),
  },
  'POST /api/v1/tickets/{id}/recovery/answer': {
    ok: 200,
    make: async (role) => {
      const t = await complaint(role);
      const r = await srv.api('PUT', `/api/v1/tickets/${t.id}/recovery`, { as: 'agent', body: { cause: '规定未公示', remedy: '致歉并退费' } });
      assert.equal(r.status, 200, r.text);
      return { path: `/api/v1/tickets/${t.id}/recovery/answer`, body: { accepted: true } };
    },
  },
  'POST /api/v1/chats': { ok: 201, make: () => ({ path: '/api/v1/chats', body: { body: '想咨询' } }) },
  'GET /api/v1/chats': { ok: 200, make: () => ({ path: '/api/v1/chats' }) },
  'POST /api/v1/chats/{id}/accept': { ok: 200, make: async () => ({ path: `/api/v1/chats/${(await chat()).id}/accept` }) },
  'POST /api/v1/chats/{id}/messages': { ok: 201, make: async () => ({ path: `/api/v1/chats/${(await chat()).id}/messages`, body: { body: '你好' } }) },
  'GET /api/v1/tickets/{id}/events': { ok: 200, make: async () => ({ path: `/api/v1/tickets/${(await endedChat()).id}/events` }) },
  'GET /api/v1/agents/availability': { ok: 200, make: () => ({ path: '/api/v1/agents/availability' }) },
  'PUT /api/v1/agents/me/availability': { ok: 200, make: () => ({ path: '/api/v1/agents/me/availability', body: { status: 'away' } }) },
  'GET /api/v1/routing-rules': { ok: 200, make: () => ({ path: '/api/v1/routing-rules' }) },
  'POST /api/v1/routing-rules': {
    ok: 201,
    make: async () => {
      routingTeam ??= (await srv.api('POST', '/api/v1/teams', { as: 'manager', body: { name: uniq('路由组') } })).json;
      return { path: '/api/v1/routing-rules', body: { name: uniq('规则'), channel: 'fax', team_id: routingTeam.id } };
    },
  },
  'PATCH /api/v1/routing-rules/{id}': { ok: 200, make: async () => ({ path: `/api/v1/routing-rules/${(await routingRule()).id}`, body: { enabled: false } }) },
  'DELETE /api/v1/routing-rules/{id}': { ok: 204, make: async () => ({ path: `/api/v1/routing-rules/${(await routingRule()).id}` }) },
  'GET /api/v1/service-tiers': { ok: 200, make: () => ({ path: '/api/v1/service-tiers' }) },
  'PUT /api/v1/service-tiers/{code}': { ok: 200, make: () => ({ path: '/api/v1/service-tiers/key', body: { name: '重点', position: 2, sla_percent: 75, notify: true } }) },
  'GET /api/v1/patrons/{id}/service-tier': { ok: 200, make: () => ({ path: `/api/v1/patrons/${shared.id}/service-tier` }) },
  'PUT /api/v1/patrons/{id}/service-tier': { ok: 200, make: () => ({ path: `/api/v1/patrons/${shared.id}/service-tier`, body: { tier: 'key' } }) },
  'GET /api/v1/notices': { ok: 200, make: () => ({ path: '/api/v1/notices' }) },
  'POST /api/v1/notices/read': { ok: 204, make: () => ({ path: '/api/v1/notices/read' }) },
  'GET /api/v1/follow-up-visits': { ok: 200, make: () => ({ path: '/api/v1/follow-up-visits?status=scheduled&limit=5' }) },
  'POST /api/v1/follow-up-visits': { ok: 201, make: () => ({ path: '/api/v1/follow-up-visits', body: { patron_id: shared.id } }) },
  'POST /api/v1/follow-up-visits/{id}/record': {
    ok: 200,
    make: async () => {
      const v = await srv.api('POST', '/api/v1/follow-up-visits', { as: 'agent', body: { patron_id: shared.id } });
      assert.equal(v.status, 201, v.text);
      return { path: `/api/v1/follow-up-visits/${v.json.id}/record`, body: { outcome: 'done', satisfaction: 5 } };
    },
  },
  'PUT /api/v1/service/visits': { ok: 200, make: () => ({ path: '/api/v1/service/visits', body: { visit_sample_rate: 0.1 } }) },
  'GET /api/v1/interactions': { ok: 200, make: () => ({ path: `/api/v1/interactions?patron_id=${shared.id}&limit=5` }) },
  'POST /api/v1/interactions': {
    ok: 201,
    make: () => ({ path: '/api/v1/interactions', body: { channel: 'letter', direction: 'in', patron_id: shared.id, subject: uniq('来信') } }),
  },
  'GET /api/v1/interactions/{id}': { ok: 200, make: async () => ({ path: `/api/v1/interactions/${(await interaction()).id}` }) },
  'POST /api/v1/interactions/{id}/ticket': {
    ok: 201,
    make: async () => ({ path: `/api/v1/interactions/${(await interaction()).id}/ticket`, body: { kind: 'consultation' } }),
  },
  'GET /api/v1/prospects': { ok: 200, make: () => ({ path: '/api/v1/prospects?limit=5' }) },
  'GET /api/v1/prospects/{id}': { ok: 200, make: async () => ({ path: `/api/v1/prospects/${(await prospect()).prospect_id}` }) },
  'POST /api/v1/prospects/{id}/merge': {
    ok: 200,
    make: async () => ({ path: `/api/v1/prospects/${(await prospect()).prospect_id}/merge`, body: { patron_id: shared.id, reason: '核实为同一人' } }),
  },
  'GET /api/v1/tickets/{id}/mail': { ok: 200, make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}/mail` }) },
  'GET /api/v1/mail/outbox': { ok: 200, make: () => ({ path: '/api/v1/mail/outbox?limit=5' }) },
  'POST /api/v1/mail/outbox/{id}/retry': { ok: 200, make: async () => ({ path: `/api/v1/mail/outbox/${await queuedMail()}/retry` }) },
  'POST /api/v1/mail/sweep': { ok: 200, make: () => ({ path: '/api/v1/mail/sweep' }) },
  'GET /api/v1/tickets/{id}/attachments': { ok: 200, make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}/attachments` }) },
  'POST /api/v1/tickets/{id}/attachments': {
    ok: 201,
    make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}/attachments?filename=matrix.txt`, body: uniq('附件 ') }),
  },
  'GET /api/v1/ticket-attachments/{id}/content': {
    ok: 200,
    make: async (role) => {
      const t = await ticket(role);
      const r = await srv.api('POST', `/api/v1/tickets/${t.id}/attachments?filename=matrix.txt`, { as: role === 'patron' ? 'patron' : 'agent', body: uniq('附件 ') });
      assert.equal(r.status, 201, r.text);
      return { path: `/api/v1/ticket-attachments/${r.json.id}/content` };
    },
  },
  'POST /api/v1/channels/{channel}/inbound': {
    ok: 201,
    // Signed by the gateway, whoever else (or nobody) is signed in.
    make: () => {
      const body = JSON.stringify({ message_id: uniq('sms'), from: mobile(), text: '短信咨询' });
      const ts = String(Math.floor(Date.now() / 1000));
      const sig = createHmac('sha256', WEBHOOK_SECRET).update(`${ts}.${body}`).digest('hex');
      return { path: '/api/v1/channels/sms/inbound', body, headers: { 'x-dangan-timestamp': ts, 'x-dangan-signature': `sha256=${sig}` } };
    },
  },
  'GET /api/v1/staff': { ok: 200, make: () => ({ path: '/api/v1/staff?role=agent&limit=5' }) },
  'GET /api/v1/loans': { ok: 200, make: () => ({ path: '/api/v1/loans?status=open&limit=5' }) },
  'POST /api/v1/loans': { ok: 201, make: async () => ({ path: '/api/v1/loans', body: { record_id: (await record()).id, patron_id: own.id } }) },
  'GET /api/v1/loans/{id}': { ok: 200, make: async () => ({ path: `/api/v1/loans/${(await loan()).id}` }) },
  'POST /api/v1/loans/{id}/renew': { ok: 200, make: async () => ({ path: `/api/v1/loans/${(await loan()).id}/renew` }) },
  'POST /api/v1/loans/{id}/return': { ok: 200, make: async () => ({ path: `/api/v1/loans/${(await loan()).id}/return`, body: { note: '完好' } }) },
  'GET /api/v1/onsite-visits': { ok: 200, make: () => ({ path: '/api/v1/onsite-visits?status=active&limit=5' }) },
  'POST /api/v1/onsite-visits': { ok: 201, make: async (role) => ({ path: '/api/v1/onsite-visits', body: await visitBody(role) }) },
  'GET /api/v1/onsite-visits/{id}': { ok: 200, make: async () => ({ path: `/api/v1/onsite-visits/${(await onsiteVisit()).id}` }) },
  'PATCH /api/v1/onsite-visits/{id}': { ok: 200, make: async () => ({ path: `/api/v1/onsite-visits/${(await onsiteVisit()).id}`, body: { notes: '带介绍信' } }) },
  'POST /api/v1/onsite-visits/{id}/done': {
    ok: 200,
    make: async () => ({ path: `/api/v1/onsite-visits/${(await onsiteVisit('agent', { past: true })).id}/done`, body: { outcome: '已送达复印件', duration_minutes: 40 } }),
  },
  'POST /api/v1/onsite-visits/{id}/cancel': { ok: 200, make: async () => ({ path: `/api/v1/onsite-visits/${(await onsiteVisit()).id}/cancel`, body: { reason: '改期' } }) },
  'GET /api/v1/alerts': { ok: 200, make: () => ({ path: '/api/v1/alerts?status=unresolved&limit=5' }) },
  'POST /api/v1/alerts/{id}/assign': { ok: 200, make: async () => ({ path: `/api/v1/alerts/${await alert2()}/assign`, body: { assignee_id: throwaway.id } }) },
  'POST /api/v1/alerts/{id}/acknowledge': { ok: 200, make: async () => ({ path: `/api/v1/alerts/${await alert2()}/acknowledge` }) },
  'POST /api/v1/alerts/{id}/resolve': { ok: 200, make: async () => ({ path: `/api/v1/alerts/${await alert2()}/resolve`, body: { resolution: '已处理' } }) },
  'GET /api/v1/knowledge-services': { ok: 200, make: () => ({ path: '/api/v1/knowledge-services?status=active&limit=5' }) },
  'POST /api/v1/knowledge-services': {
    ok: 201,
    make: () => ({ path: '/api/v1/knowledge-services', body: { patron_id: shared.id, topic: uniq('定题') } }),
  },
  'GET /api/v1/knowledge-services/{id}': { ok: 200, make: async (role) => ({ path: `/api/v1/knowledge-services/${(await knowledge(role)).id}` }) },
  'PATCH /api/v1/knowledge-services/{id}': { ok: 200, make: async () => ({ path: `/api/v1/knowledge-services/${(await knowledge()).id}`, body: { scope: '扩大范围' } }) },
  'POST /api/v1/knowledge-services/{id}/milestones': {
    ok: 201,
    make: async () => ({ path: `/api/v1/knowledge-services/${(await knowledge()).id}/milestones`, body: { title: '阶段', due_on: '2027-03-01' } }),
  },
  'POST /api/v1/knowledge-services/{id}/milestones/{milestone_id}/done': {
    ok: 200,
    make: async () => {
      const k = await knowledge();
      return { path: `/api/v1/knowledge-services/${k.id}/milestones/${k.milestones[0].id}/done` };
    },
  },
  'POST /api/v1/knowledge-services/{id}/deliveries': {
    ok: 201,
    make: async () => ({ path: `/api/v1/knowledge-services/${(await knowledge()).id}/deliveries`, body: { summary: '目录一份', record_ids: [(await record()).id] } }),
  },
  'POST /api/v1/knowledge-services/{id}/close': {
    ok: 200,
    make: async () => ({ path: `/api/v1/knowledge-services/${(await knowledge()).id}/close`, body: { outcome: 'completed', satisfaction: 4 } }),
    denied: async (c) => {
      const r = await srv.api('GET', c.path.replace(/\/close$/, ''), { as: 'agent' });
      assert.equal(r.json.status, 'active', 'the service is still active');
    },
  },
  'POST /api/v1/traces/page': { ok: 202, make: () => ({ path: '/api/v1/traces/page', body: { path: '/portal/questions' } }) },
  'POST /api/v1/traces/ivr': { ok: 202, make: () => ({ path: '/api/v1/traces/ivr', body: { caller: '13812345678', keys: '1>2' } }) },
  'GET /api/v1/trace-points': { ok: 200, make: () => ({ path: '/api/v1/trace-points' }) },
  'PUT /api/v1/trace-points/{kind}': { ok: 200, make: () => ({ path: '/api/v1/trace-points/ivr', body: { retention_days: 90 } }) },
  'GET /api/v1/reports/feature-use': { ok: 200, make: () => ({ path: '/api/v1/reports/feature-use?kind=portal_page' }) },
  'GET /api/v1/alert-rules': { ok: 200, make: () => ({ path: '/api/v1/alert-rules' }) },
  'PUT /api/v1/alert-rules/{kind}': { ok: 200, make: () => ({ path: '/api/v1/alert-rules/repeat_contact', body: { params: { count: 3, days: 7 } } }) },
  'GET /api/v1/patrons/{id}/service-summary': { ok: 200, make: () => ({ path: `/api/v1/patrons/${shared.id}/service-summary` }) },
  'POST /api/v1/escalations/{id}/acknowledge': { ok: 200, make: async (role) => ({ path: `/api/v1/escalations/${await escalation(role)}/acknowledge` }) },
  'GET /api/v1/service/settings': { ok: 200, make: () => ({ path: '/api/v1/service/settings' }) },
  'PUT /api/v1/service/hours': { ok: 200, make: () => ({ path: '/api/v1/service/hours', body: { sat: '09:00-12:00' } }) },
  'PUT /api/v1/service/calendar/{date}': { ok: 200, make: () => ({ path: `/api/v1/service/calendar/${freeDate()}`, body: { kind: 'holiday', name: '测试假日' } }) },
  'DELETE /api/v1/service/calendar/{date}': {
    ok: 204,
    make: async () => {
      const d = freeDate();
      assert.equal((await srv.api('PUT', `/api/v1/service/calendar/${d}`, { as: 'manager', body: { kind: 'holiday' } })).status, 200);
      return { path: `/api/v1/service/calendar/${d}` };
    },
  },
  'PUT /api/v1/service/policies/{kind}/{priority}': {
    ok: 200,
    make: () => ({ path: '/api/v1/service/policies/suggestion/low', body: { first_response_minutes: 1350, resolution_minutes: 6750 } }),
  },
  'GET /api/v1/teams': { ok: 200, make: () => ({ path: '/api/v1/teams' }) },
  'POST /api/v1/teams': { ok: 201, make: () => ({ path: '/api/v1/teams', body: { name: uniq('服务组') } }) },
  'PATCH /api/v1/teams/{id}': {
    ok: 200,
    make: async () => {
      const r = await srv.api('POST', '/api/v1/teams', { as: 'manager', body: { name: uniq('服务组') } });
      return { path: `/api/v1/teams/${r.json.id}`, body: { name: uniq('改名组') } };
    },
  },
  'GET /api/v1/standard-answers': { ok: 200, make: () => ({ path: '/api/v1/standard-answers?q=%E6%82%A8%E5%A5%BD' }) },
  'POST /api/v1/standard-answers': { ok: 201, make: () => ({ path: '/api/v1/standard-answers', body: { title: uniq('话术'), body: '您好' } }) },
  'PATCH /api/v1/standard-answers/{id}': { ok: 200, make: async () => ({ path: `/api/v1/standard-answers/${(await answer()).id}`, body: { scenario: '查档' } }) },
  'DELETE /api/v1/standard-answers/{id}': {
    ok: 204,
    make: async () => ({ path: `/api/v1/standard-answers/${(await answer()).id}` }),
    denied: async (c) => {
      const id = Number(c.path.split('/').pop());
      const r = await srv.api('GET', '/api/v1/standard-answers?limit=200', { as: 'manager' });
      assert.ok(r.json.items.some((a) => a.id === id), 'the answer is still there');
    },
  },
  // The message board and FAQ.
  'GET /api/v1/board/posts': { ok: 200, make: () => ({ path: `/api/v1/board/posts?q=${encodeURIComponent('矩阵')}&limit=5` }) },
  'GET /api/v1/board/posts/{id}': { ok: 200, make: async () => ({ path: `/api/v1/board/posts/${(await publishedPost()).id}` }) },
  'POST /api/v1/board/posts': {
    ok: 201,
    make: () => ({ path: '/api/v1/board/posts', body: { title: uniq('矩阵留言'), body: '请问开放时间？' } }),
    denied: async (c) => {
      const r = await srv.api('GET', `/api/v1/board/moderation?status=all&q=${encodeURIComponent(c.body.title)}`, { as: 'manager' });
      assert.deepEqual(r.json.items, [], 'no post was made');
    },
  },
  'GET /api/v1/board/my-posts': { ok: 200, make: () => ({ path: '/api/v1/board/my-posts?limit=5' }) },
  'GET /api/v1/board/moderation': { ok: 200, make: () => ({ path: '/api/v1/board/moderation?status=pending&limit=5' }) },
  'GET /api/v1/board/moderation/{id}': { ok: 200, make: async () => ({ path: `/api/v1/board/moderation/${(await pendingPost()).id}` }) },
  'POST /api/v1/board/posts/{id}/publish': {
    ok: 200,
    make: async () => ({ path: `/api/v1/board/posts/${(await pendingPost()).id}/publish` }),
    denied: async (c) => {
      const r = await srv.api('GET', c.path.replace('/publish', ''));
      assert.equal(r.status, 404, 'the post is not public');
    },
  },
  'POST /api/v1/board/posts/{id}/reject': { ok: 200, make: async () => ({ path: `/api/v1/board/posts/${(await pendingPost()).id}/reject`, body: { reason: '重复' } }) },
  'PUT /api/v1/board/posts/{id}/answer': { ok: 200, make: async () => ({ path: `/api/v1/board/posts/${(await publishedPost()).id}/answer`, body: { answer: '周一至周五开放' } }) },
  'POST /api/v1/board/posts/{id}/ticket': { ok: 201, make: async () => ({ path: `/api/v1/board/posts/${(await pendingPost()).id}/ticket`, body: {} }) },
  'GET /api/v1/faq': { ok: 200, make: () => ({ path: `/api/v1/faq?q=${encodeURIComponent('开放时间')}` }) },
  'GET /api/v1/faq/{id}': { ok: 200, make: async () => ({ path: `/api/v1/faq/${(await publishedFaq()).id}` }) },
  'POST /api/v1/faq/feedback': { ok: 200, make: async () => ({ path: '/api/v1/faq/feedback', body: { shown: [(await publishedFaq()).id] } }) },
  'GET /api/v1/faq-entries': { ok: 200, make: () => ({ path: '/api/v1/faq-entries?status=awaiting&limit=5' }) },
  'POST /api/v1/faq-entries': {
    ok: 201,
    make: () => ({ path: '/api/v1/faq-entries', body: { question: uniq('矩阵问题'), answer: '答案' } }),
    denied: async (c) => {
      const r = await srv.api('GET', `/api/v1/faq-entries?q=${encodeURIComponent(c.body.question)}`, { as: 'manager' });
      assert.deepEqual(r.json.items, [], 'no entry was made');
    },
  },
  'GET /api/v1/faq-entries/draft': { ok: 200, make: async () => ({ path: `/api/v1/faq-entries/draft?ticket_id=${(await resolvedConsultation()).id}` }) },
  'GET /api/v1/faq-entries/{id}': { ok: 200, make: async () => ({ path: `/api/v1/faq-entries/${(await proposedFaq()).id}` }) },
  'PATCH /api/v1/faq-entries/{id}': { ok: 200, make: async () => ({ path: `/api/v1/faq-entries/${(await proposedFaq()).id}`, body: { answer: '新的答案' } }) },
  'POST /api/v1/faq-entries/{id}/approve': {
    ok: 200,
    make: async () => ({ path: `/api/v1/faq-entries/${(await proposedFaq()).id}/approve` }),
    denied: async (c) => {
      const r = await srv.api('GET', c.path.replace('/approve', ''), { as: 'manager' });
      assert.equal(r.json.status, 'proposed');
    },
  },
  'POST /api/v1/faq-entries/{id}/reject': { ok: 200, make: async () => ({ path: `/api/v1/faq-entries/${(await proposedFaq()).id}/reject`, body: { reason: '不完整' } }) },
  'POST /api/v1/faq-entries/{id}/retire': { ok: 200, make: async () => ({ path: `/api/v1/faq-entries/${(await publishedFaq()).id}/retire` }) },
  'GET /api/v1/cause-codes': { ok: 200, make: () => ({ path: '/api/v1/cause-codes' }) },
  'POST /api/v1/cause-codes': { ok: 201, make: () => ({ path: '/api/v1/cause-codes', body: { code: uniq('c').toLowerCase(), name: '测试原因' } }) },
  'PATCH /api/v1/cause-codes/{id}': { ok: 200, make: async () => ({ path: `/api/v1/cause-codes/${await causeId('facilities')}`, body: { name: '环境设施' } }) },
  'GET /api/v1/cause-codes/{id}/tickets': { ok: 200, make: async () => ({ path: `/api/v1/cause-codes/${await causeId('process')}/tickets?limit=5` }) },
  'GET /api/v1/tickets/{id}/cause': { ok: 200, make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}/cause` }) },
  'PUT /api/v1/tickets/{id}/cause': { ok: 200, make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role)).id}/cause`, body: { cause_id: await causeId('process.steps') } }) },
  'GET /api/v1/problems': { ok: 200, make: () => ({ path: '/api/v1/problems?status=active&limit=5' }) },
  'POST /api/v1/problems': { ok: 201, make: async () => ({ path: '/api/v1/problems', body: { title: uniq('问题'), cause_id: await causeId('system') } }) },
  'GET /api/v1/problems/{id}': { ok: 200, make: async () => ({ path: `/api/v1/problems/${(await problem()).id}` }) },
  'PATCH /api/v1/problems/{id}': { ok: 200, make: async () => ({ path: `/api/v1/problems/${(await problem()).id}`, body: { status: 'analysing' } }) },
  'POST /api/v1/problems/{id}/tickets': { ok: 200, make: async (role) => ({ path: `/api/v1/problems/${(await problem()).id}/tickets`, body: { ticket_id: (await ticket(role === 'patron' ? 'agent' : role)).id } }) },
  'DELETE /api/v1/problems/{id}/tickets/{ticket_id}': {
    ok: 204,
    make: async () => {
      const p = await problem();
      const t = await ticket('agent');
      assert.equal((await srv.api('POST', `/api/v1/problems/${p.id}/tickets`, { as: 'manager', body: { ticket_id: t.id } })).status, 200);
      return { path: `/api/v1/problems/${p.id}/tickets/${t.id}` };
    },
  },
  'POST /api/v1/problems/{id}/actions': { ok: 201, make: async () => {
    const a = await improvementAction();
    return { path: `/api/v1/problems/${a.problem_id}/actions`, body: { title: '再整改', unit_id: a.unit_id, owner_id: qualityOwner.id, due_on: '2030-02-28' } };
  } },
  'GET /api/v1/improvement-actions': { ok: 200, make: () => ({ path: '/api/v1/improvement-actions?overdue=true&limit=5' }) },
  'PATCH /api/v1/improvement-actions/{id}': { ok: 200, make: async () => ({ path: `/api/v1/improvement-actions/${(await improvementAction()).id}`, body: { status: 'in_progress' } }) },
  'GET /api/v1/reports/cause-trends': { ok: 200, make: () => ({ path: '/api/v1/reports/cause-trends?period=month&level=top' }) },
  'POST /api/v1/tickets/{id}/recordings': {
    ok: 201,
    make: async (role) => ({ path: `/api/v1/tickets/${(await ticket(role === 'patron' ? 'agent' : role)).id}/recordings?filename=a.wav`, body: wavFile(), headers: { 'content-type': 'audio/wav' } }),
  },
  'GET /api/v1/tickets/{id}/recordings': { ok: 200, make: async () => ({ path: `/api/v1/tickets/${(await recording()).ticket_id}/recordings` }) },
  'GET /api/v1/recordings/{id}/content': { ok: 200, make: async () => ({ path: `/api/v1/recordings/${(await recording()).id}/content` }) },
  'PUT /api/v1/recordings/{id}/transcript': { ok: 200, make: async () => ({ path: `/api/v1/recordings/${(await recording()).id}/transcript`, body: { transcript: '您好' } }) },
  'GET /api/v1/qa/criteria': { ok: 200, make: () => ({ path: '/api/v1/qa/criteria' }) },
  'POST /api/v1/qa/criteria': { ok: 201, make: () => ({ path: '/api/v1/qa/criteria', body: { name: uniq('标准'), weight: 5 } }) },
  'PATCH /api/v1/qa/criteria/{id}': {
    ok: 200,
    make: async () => {
      const c = (await srv.api('GET', '/api/v1/qa/criteria', { as: 'manager' })).json.items[0];
      return { path: `/api/v1/qa/criteria/${c.id}`, body: { weight: c.weight } };
    },
  },
  'PUT /api/v1/qa/settings': { ok: 200, make: () => ({ path: '/api/v1/qa/settings', body: { sample_rate: 0.05 } }) },
  'GET /api/v1/qa/reviews': { ok: 200, make: () => ({ path: '/api/v1/qa/reviews?limit=5' }) },
  'POST /api/v1/qa/reviews': { ok: 201, make: async () => ({ path: '/api/v1/qa/reviews', body: { ticket_id: (await ticket('agent')).id } }) },
  'GET /api/v1/qa/reviews/{id}': { ok: 200, make: async () => ({ path: `/api/v1/qa/reviews/${(await qaReview()).id}` }) },
  'POST /api/v1/qa/reviews/{id}/score': {
    ok: 200,
    make: async () => {
      const r = await qaReview();
      return { path: `/api/v1/qa/reviews/${r.id}/score`, body: { scores: r.criteria.map((c) => ({ criterion_id: c.id, score: 4 })) } };
    },
  },
  'GET /api/v1/reports/agent-scores': { ok: 200, make: () => ({ path: '/api/v1/reports/agent-scores?period=month' }) },
  'GET /api/v1/coaching-notes': { ok: 200, make: () => ({ path: '/api/v1/coaching-notes?limit=5' }) },
  'POST /api/v1/coaching-notes': { ok: 201, make: async () => ({ path: '/api/v1/coaching-notes', body: { agent_id: await agentId(), body: '注意时效' } }) },
  'POST /api/v1/coaching-notes/{id}/acknowledge': { ok: 200, make: async () => ({ path: `/api/v1/coaching-notes/${(await coachingNote()).id}/acknowledge` }) },
  'GET /api/v1/training-records': { ok: 200, make: () => ({ path: '/api/v1/training-records?limit=5' }) },
  'POST /api/v1/training-records': {
    ok: 201,
    make: async () => ({ path: '/api/v1/training-records', body: { user_id: await agentId(), course: '接待礼仪', taken_on: '2026-11-02', result: 'attended' } }),
  },
  'GET /api/v1/cases': { ok: 200, make: () => ({ path: '/api/v1/cases?limit=5' }) },
  'POST /api/v1/cases': { ok: 201, make: () => ({ path: '/api/v1/cases', body: { title: uniq('案件') } }) },
  'GET /api/v1/cases/{id}': { ok: 200, make: async () => ({ path: `/api/v1/cases/${(await kase()).id}` }) },
  'PATCH /api/v1/cases/{id}': { ok: 200, make: async () => ({ path: `/api/v1/cases/${(await kase()).id}`, body: { status: 'resolved' } }) },
  'POST /api/v1/cases/{id}/links': { ok: 200, make: async () => ({ path: `/api/v1/cases/${(await kase()).id}/links`, body: { kind: 'ticket', id: (await ticket('agent')).id } }) },
  'DELETE /api/v1/cases/{id}/links/{kind}/{item_id}': {
    ok: 204,
    make: async () => {
      const t = await ticket('agent');
      const c = await kase([{ kind: 'ticket', id: t.id }]);
      return { path: `/api/v1/cases/${c.id}/links/ticket/${t.id}` };
    },
  },
  'POST /api/v1/cases/{id}/steps': { ok: 201, make: async () => ({ path: `/api/v1/cases/${(await kase()).id}/steps`, body: { what: '调档' } }) },
  'GET /api/v1/cases/{id}/replay': { ok: 200, make: async () => ({ path: `/api/v1/cases/${(await kase()).id}/replay` }) },
  'GET /api/v1/reports/touchpoints': { ok: 200, make: () => ({ path: '/api/v1/reports/touchpoints' }) },
  'GET /api/v1/search': { ok: 200, make: () => ({ path: `/api/v1/search?q=${encodeURIComponent('权限矩阵档案')}` }) },
  'POST /api/v1/search/{id}/opened': {
    ok: 200,
    // Each role marks a search of its own; roles that may not search get a made-up id.
    make: async (role) => {
      let id = 1;
      if (role !== 'anonymous') {
        const s = await srv.api('GET', '/api/v1/search?q=x', { as: role });
        if (s.status === 200) id = s.json.search_id;
      }
      return { path: `/api/v1/search/${id}/opened`, body: { record_id: 1 } };
    },
  },
  'GET /api/v1/search/unmet-demand': { ok: 200, make: () => ({ path: '/api/v1/search/unmet-demand?limit=5' }) },
  'GET /healthz': { ok: 200, make: () => ({ path: '/healthz' }) },
  'GET /readyz': { ok: 200, make: () => ({ path: '/readyz' }) },
  'GET /api/v1/openapi.json': { ok: 200, make: () => ({ path: '/api/v1/openapi.json' }) },
  'POST /api/v1/auth/login': {
    ok: 200,
    make: () => ({ path: '/api/v1/auth/login', body: { username: 'agent', password: passwordFor('agent') } }),
  },
  'POST /api/v1/auth/logout': {
    ok: 204,
    // Its own session, so the cached one lives on.
    make: async (role) => ({ path: '/api/v1/auth/logout', token: role === 'anonymous' ? null : await srv.login(role, passwordFor(role)) }),
  },
  'POST /api/v1/auth/password': {
    ok: 400, // a wrong current password: allowed to try, nothing changes
    make: () => ({ path: '/api/v1/auth/password', body: { current_password: 'not-the-password', new_password: 'another-password-456' } }),
  },
  'GET /api/v1/me': { ok: 200, make: () => ({ path: '/api/v1/me' }) },
  'GET /api/v1/users': { ok: 200, make: () => ({ path: '/api/v1/users' }) },
  'POST /api/v1/users': {
    ok: 201,
    make: () => {
      const username = uniq('pm-');
      return { path: '/api/v1/users', body: { username, password: passwordFor(username), role: 'agent' }, username };
    },
    denied: async (c) => {
      const r = await srv.api('POST', '/api/v1/auth/login', { body: { username: c.username, password: passwordFor(c.username) } });
      assert.equal(r.status, 401, 'no account was made');
    },
  },
  'POST /api/v1/users/{id}/disable': { ok: 200, make: () => ({ path: `/api/v1/users/${throwaway.id}/disable` }) },
  'POST /api/v1/users/{id}/enable': { ok: 200, make: () => ({ path: `/api/v1/users/${throwaway.id}/enable` }) },
  'GET /api/v1/units': { ok: 200, make: () => ({ path: '/api/v1/units' }) },
  'POST /api/v1/units': { ok: 201, make: () => ({ path: '/api/v1/units', body: { code: uniq('U'), name: '测试单位' } }) },
  'GET /api/v1/audit': { ok: 200, make: () => ({ path: '/api/v1/audit?limit=1' }) },
  'GET /api/v1/patrons': { ok: 200, make: () => ({ path: '/api/v1/patrons?limit=1' }) },
  'POST /api/v1/patrons': {
    ok: 201,
    make: () => {
      const body = person();
      return { path: '/api/v1/patrons', body };
    },
    denied: async (c) => {
      const r = await srv.api('GET', `/api/v1/patrons?q=${encodeURIComponent(c.body.name)}`, { as: 'manager' });
      assert.deepEqual(r.json.items, [], 'no patron was made');
    },
  },
  'GET /api/v1/patrons/duplicates': { ok: 200, make: () => ({ path: `/api/v1/patrons/duplicates?phone=${shared.phones[0]}` }) },
  'GET /api/v1/patrons/{id}': { ok: 200, make: (role) => ({ path: `/api/v1/patrons/${target(role).id}` }) },
  'PATCH /api/v1/patrons/{id}': {
    ok: 200,
    make: (role) => ({ path: `/api/v1/patrons/${target(role).id}`, body: { region: uniq('region-') } }),
    denied: async (c, role) => assert.notEqual((await getAs(target(role).id)).json.region, c.body.region),
  },
  'GET /api/v1/patrons/{id}/timeline': { ok: 200, make: (role) => ({ path: `/api/v1/patrons/${target(role).id}/timeline` }) },
  'POST /api/v1/patrons/{id}/reveal': {
    ok: 200,
    make: (role) => ({ path: `/api/v1/patrons/${target(role).id}/reveal`, body: { fields: ['phones'], reason: 'permission matrix check' } }),
  },
  'POST /api/v1/patrons/{id}/merge': {
    ok: 200,
    make: async (role) => {
      const into = role === 'patron' ? own : await fresh();
      const from = await fresh();
      return { path: `/api/v1/patrons/${into.id}/merge`, body: { from: from.id, reason: 'permission matrix check' }, from };
    },
    denied: async (c) => assert.equal((await getAs(c.from.id)).json.status, 'active'),
  },
  'POST /api/v1/patrons/{id}/erase': {
    ok: 200,
    make: async (role) => {
      const p = role === 'patron' ? own : await fresh();
      return { path: `/api/v1/patrons/${p.id}/erase`, body: { reason: 'permission matrix check' }, p };
    },
    denied: async (c) => assert.equal((await getAs(c.p.id)).json.status, 'active'),
  },
  'GET /api/v1/patrons/{id}/export': { ok: 200, make: (role) => ({ path: `/api/v1/patrons/${target(role).id}/export` }) },
  'GET /api/v1/patrons/{id}/relations': { ok: 200, make: (role) => ({ path: `/api/v1/patrons/${target(role).id}/relations` }) },
  'POST /api/v1/patrons/{id}/relations': {
    ok: 201,
    make: async (role) => {
      const other = await fresh();
      return { path: `/api/v1/patrons/${target(role).id}/relations`, body: { related_id: other.id, kind: 'colleague' }, other };
    },
    denied: async (c) => {
      const r = await srv.api('GET', `/api/v1/patrons/${c.other.id}/relations`, { as: 'manager' });
      assert.deepEqual(r.json.items, [], 'no relation was made');
    },
  },
  'DELETE /api/v1/patrons/{id}/relations/{relation_id}': {
    ok: 204,
    make: async (role) => {
      const from = role === 'patron' ? own : await fresh();
      const other = await fresh();
      const r = await srv.api('POST', `/api/v1/patrons/${from.id}/relations`, { as: 'manager', body: { related_id: other.id, kind: 'household' } });
      assert.equal(r.status, 201, r.text);
      return { path: `/api/v1/patrons/${from.id}/relations/${r.json.id}`, other };
    },
    denied: async (c) => {
      const r = await srv.api('GET', `/api/v1/patrons/${c.other.id}/relations`, { as: 'manager' });
      assert.equal(r.json.items.length, 1, 'the relation is still there');
    },
  },
  'POST /api/v1/patrons/{id}/contacts/{contact_id}/verify': {
    ok: 200,
    make: (role) => ({ path: `/api/v1/patrons/${target(role).id}/contacts/${target(role).contacts[0].id}/verify` }),
  },
  'POST /api/v1/patrons/{id}/contacts/{contact_id}/invalidate': {
    ok: 200,
    make: (role) => ({
      path: `/api/v1/patrons/${target(role).id}/contacts/${target(role).contacts[0].id}/invalidate`,
      body: { reason: 'bounce' },
    }),
  },
  'GET /api/v1/key-changes': { ok: 200, make: () => ({ path: '/api/v1/key-changes' }) },
  'POST /api/v1/key-changes/{id}/approve': {
    ok: 200,
    make: async () => {
      const p = await fresh();
      const r = await srv.api('PATCH', `/api/v1/patrons/${p.id}`, { as: 'agent', body: { name: uniq('改名'), reason: 'permission matrix' } });
      assert.equal(r.status, 200, r.text);
      return { path: `/api/v1/key-changes/${r.json.pending_key_changes[0].id}/approve`, p };
    },
    denied: async (c) => assert.equal((await getAs(c.p.id)).json.name, c.p.name),
  },
  'POST /api/v1/key-changes/{id}/reject': {
    ok: 200,
    make: async () => {
      const p = await fresh();
      const r = await srv.api('PATCH', `/api/v1/patrons/${p.id}`, { as: 'agent', body: { name: uniq('改名'), reason: 'permission matrix' } });
      assert.equal(r.status, 200, r.text);
      return { path: `/api/v1/key-changes/${r.json.pending_key_changes[0].id}/reject` };
    },
  },
  'GET /api/v1/reports/data-quality': { ok: 200, make: () => ({ path: '/api/v1/reports/data-quality' }) },
  'GET /api/v1/contacts/due-for-verification': { ok: 200, make: () => ({ path: '/api/v1/contacts/due-for-verification?limit=5' }) },

  'GET /api/v1/fonds': { ok: 200, make: () => ({ path: '/api/v1/fonds' }) },
  'POST /api/v1/fonds': { ok: 201, make: () => ({ path: '/api/v1/fonds', body: { code: uniq('F'), name: '测试全宗' } }) },
  'PATCH /api/v1/fonds/{id}': {
    ok: 200,
    make: async () => ({ path: `/api/v1/fonds/${(await asArchivist('POST', '/api/v1/fonds', { code: uniq('F'), name: '全宗' })).id}`, body: { name: '改名' } }),
  },
  'GET /api/v1/categories': { ok: 200, make: () => ({ path: '/api/v1/categories' }) },
  'POST /api/v1/categories': { ok: 201, make: () => ({ path: '/api/v1/categories', body: { code: uniq('C'), name: '类别' } }) },
  'PATCH /api/v1/categories/{id}': { ok: 200, make: async () => ({ path: `/api/v1/categories/${(await category()).id}`, body: { name: '改名' } }) },
  'GET /api/v1/retention-periods': { ok: 200, make: () => ({ path: '/api/v1/retention-periods' }) },
  'PUT /api/v1/retention-periods/{code}': { ok: 200, make: () => ({ path: `/api/v1/retention-periods/${uniq('R')}`, body: { name: '定期5年', years: 5 } }) },
  'GET /api/v1/reference-schemes': { ok: 200, make: () => ({ path: '/api/v1/reference-schemes' }) },
  'POST /api/v1/reference-schemes': {
    ok: 201,
    make: async () => ({ path: '/api/v1/reference-schemes', body: { code: uniq('s'), name: '方案', template: '{category}-{seq:04}', category_id: (await category()).id } }),
  },
  'POST /api/v1/reference-schemes/preview': { ok: 200, make: () => ({ path: '/api/v1/reference-schemes/preview', body: { year: 2024 } }) },
  'PATCH /api/v1/reference-schemes/{id}': {
    ok: 200,
    make: async () => {
      const s = await asArchivist('POST', '/api/v1/reference-schemes', { code: uniq('s'), name: '方案', template: '{seq}', category_id: (await category()).id });
      return { path: `/api/v1/reference-schemes/${s.id}`, body: { name: '新名' } };
    },
  },
  'GET /api/v1/records': { ok: 200, make: () => ({ path: '/api/v1/records?limit=2' }) },
  'POST /api/v1/records': {
    ok: 201,
    make: () => ({ path: '/api/v1/records', body: { title: uniq('新档案'), description: '说明', access_level: 'open' } }),
    denied: async (c) => {
      const r = await srv.api('GET', '/api/v1/records?limit=200&sort=-id', { as: 'archivist' });
      assert.ok(!r.json.items.some((x) => x.title === c.body.title), 'no record was made');
    },
  },
  'GET /api/v1/records/by-code/{code}': { ok: 200, make: async () => ({ path: `/api/v1/records/by-code/${encodeURIComponent((await record()).reference_code)}` }) },
  'GET /api/v1/records/{id}': { ok: 200, make: async () => ({ path: `/api/v1/records/${(await record()).id}` }) },
  'PATCH /api/v1/records/{id}': {
    ok: 200,
    make: async () => ({ path: `/api/v1/records/${(await record()).id}`, body: { title: '新题名' } }),
  },
  'POST /api/v1/records/{id}/close': { ok: 200, make: async () => ({ path: `/api/v1/records/${(await record()).id}/close`, body: { reason: '销户' } }) },
  'POST /api/v1/records/{id}/legal-hold': {
    ok: 200,
    make: async () => ({ path: `/api/v1/records/${(await record()).id}/legal-hold`, body: { hold: true, reason: '诉讼' } }),
  },
  'POST /api/v1/records/{id}/relations': {
    ok: 201,
    make: async () => ({ path: `/api/v1/records/${(await record()).id}/relations`, body: { related_id: (await record()).id, kind: 'cites' } }),
  },
  'DELETE /api/v1/records/{id}/relations/{relation_id}': {
    ok: 204,
    make: async () => {
      const a = await record();
      const rel = await asArchivist('POST', `/api/v1/records/${a.id}/relations`, { related_id: (await record()).id, kind: 'refers_to' });
      return { path: `/api/v1/records/${a.id}/relations/${rel.id}` };
    },
  },
  'POST /api/v1/records/{id}/move': {
    ok: 200,
    make: async () => ({ path: `/api/v1/records/${(await record()).id}/move`, body: { location_id: (await building()).id, reason: '上架' } }),
  },
  'GET /api/v1/records/{id}/moves': { ok: 200, make: async () => ({ path: `/api/v1/records/${(await record()).id}/moves` }) },
  'GET /api/v1/locations': { ok: 200, make: () => ({ path: '/api/v1/locations' }) },
  'POST /api/v1/locations': { ok: 201, make: () => ({ path: '/api/v1/locations', body: { kind: 'building', code: uniq('B'), name: '库房' } }) },
  'GET /api/v1/locations/vacant': { ok: 200, make: () => ({ path: '/api/v1/locations/vacant?needed=1' }) },
  'GET /api/v1/appraisal/due': { ok: 200, make: () => ({ path: '/api/v1/appraisal/due?limit=5' }) },
  'GET /api/v1/appraisals': { ok: 200, make: () => ({ path: '/api/v1/appraisals?limit=5' }) },
  'POST /api/v1/records/{id}/appraisals': {
    ok: 201,
    make: async () => ({ path: `/api/v1/records/${(await record()).id}/appraisals`, body: { outcome: 'keep', reason: '仍有价值' } }),
  },
  'POST /api/v1/appraisals/{id}/decision': {
    ok: 200,
    make: async () => {
      const a = await asArchivist('POST', `/api/v1/records/${(await record()).id}/appraisals`, { outcome: 'keep', reason: '仍有价值' });
      return { path: `/api/v1/appraisals/${a.id}/decision`, body: { approve: true, note: '同意' } };
    },
  },
  'POST /api/v1/appraisals/{id}/opinions': {
    ok: 200,
    make: async () => {
      const a = await srv.api('POST', `/api/v1/records/${(await record()).id}/appraisals`, { as: 'appraiser-b', body: { outcome: 'keep', reason: '仍有价值' } });
      assert.equal(a.status, 201, a.text);
      return { path: `/api/v1/appraisals/${a.json.id}/opinions`, body: { opinion: 'agree', comment: '同意保留' } };
    },
  },
  'GET /api/v1/disposal-register': { ok: 200, make: () => ({ path: '/api/v1/disposal-register?limit=5' }) },
  'GET /api/v1/disposal-register/{id}/evidence': {
    ok: 200,
    make: async () => {
      if (!disposed) {
        const rec = await record({ year: 1970, retention: 'D10' });
        const a = await asArchivist('POST', `/api/v1/records/${rec.id}/appraisals`, { outcome: 'dispose', reason: '期满' });
        const d = await srv.api('POST', `/api/v1/appraisals/${a.id}/decision`, { as: 'manager', body: { approve: true } });
        assert.equal(d.status, 200, d.text);
        const reg = await srv.api('GET', '/api/v1/disposal-register?limit=1', { as: 'manager' });
        disposed = reg.json.items[0].id;
      }
      return { path: `/api/v1/disposal-register/${disposed}/evidence` };
    },
  },
  'GET /api/v1/donors': { ok: 200, make: () => ({ path: '/api/v1/donors' }) },
  'POST /api/v1/donors': { ok: 201, make: () => ({ path: '/api/v1/donors', body: { kind: 'person', name: uniq('捐赠人') } }) },
  'GET /api/v1/agreements': { ok: 200, make: () => ({ path: '/api/v1/agreements' }) },
  'POST /api/v1/agreements': {
    ok: 201,
    make: async () => ({ path: '/api/v1/agreements', body: { donor_id: (await donor()).id, kind: 'donation', signed_on: '2024-01-02' } }),
  },
  'GET /api/v1/acquisition-plans': { ok: 200, make: () => ({ path: '/api/v1/acquisition-plans' }) },
  'POST /api/v1/acquisition-plans': { ok: 201, make: () => ({ path: '/api/v1/acquisition-plans', body: { year: 2025, title: uniq('征集计划') } }) },
  'GET /api/v1/accessions': { ok: 200, make: () => ({ path: '/api/v1/accessions?limit=5' }) },
  'POST /api/v1/accessions': {
    ok: 201,
    make: () => ({ path: '/api/v1/accessions', body: { method: 'transfer', received_on: '2025-02-03', source: uniq('移交单位'), item_count: 2 } }),
  },
  'GET /api/v1/accessions/{id}': { ok: 200, make: async () => ({ path: `/api/v1/accessions/${(await accession()).id}` }) },
  'POST /api/v1/accessions/{id}/records': {
    ok: 200,
    make: async () => ({ path: `/api/v1/accessions/${(await accession()).id}/records`, body: { record_ids: [(await record()).id] } }),
  },
  'GET /api/v1/locations/{id}/equipment': { ok: 200, make: async () => ({ path: `/api/v1/locations/${(await building()).id}/equipment` }) },
  'POST /api/v1/locations/{id}/equipment': {
    ok: 201,
    make: async () => ({ path: `/api/v1/locations/${(await building()).id}/equipment`, body: { kind: 'dehumidifier', name: '除湿机' } }),
  },
  'PUT /api/v1/locations/{id}/environment-thresholds': {
    ok: 200,
    make: async () => ({
      path: `/api/v1/locations/${(await building()).id}/environment-thresholds`,
      body: { temperature_min: 14, temperature_max: 24, humidity_min: 45, humidity_max: 60 },
    }),
  },
  'GET /api/v1/locations/{id}/readings': { ok: 200, make: async () => ({ path: `/api/v1/locations/${(await building()).id}/readings` }) },
  'POST /api/v1/locations/{id}/readings': {
    ok: 201,
    make: async () => ({ path: `/api/v1/locations/${(await building()).id}/readings`, body: { temperature: 20, humidity: 50 } }),
  },
  'GET /api/v1/environment-alerts': { ok: 200, make: () => ({ path: '/api/v1/environment-alerts?status=active' }) },
  'POST /api/v1/environment-alerts/{id}/acknowledge': { ok: 200, make: async () => ({ path: `/api/v1/environment-alerts/${await alert()}/acknowledge`, body: { note: '已处理' } }) },
  'POST /api/v1/environment-alerts/{id}/resolve': { ok: 200, make: async () => ({ path: `/api/v1/environment-alerts/${await alert()}/resolve`, body: { note: '恢复正常' } }) },
  'GET /api/v1/locations/{id}/inspections': { ok: 200, make: async () => ({ path: `/api/v1/locations/${(await building()).id}/inspections` }) },
  'POST /api/v1/locations/{id}/inspections': {
    ok: 201,
    make: async () => ({ path: `/api/v1/locations/${(await building()).id}/inspections`, body: { inspector: '王', findings: '无异常' } }),
  },
  'GET /api/v1/records/{id}/label': { ok: 200, make: async () => ({ path: `/api/v1/records/${(await record()).id}/label` }) },
  'GET /api/v1/locations/{id}/label': { ok: 200, make: async () => ({ path: `/api/v1/locations/${(await building()).id}/label` }) },
  'POST /api/v1/records/imports': {
    ok: 202,
    // A dry run: allowed calls change nothing either.
    make: () => ({ path: '/api/v1/records/imports?format=csv&dry_run=true', body: `题名,密级\r\n${uniq('导入')},开放\r\n` }),
  },
  'GET /api/v1/records/imports': { ok: 200, make: () => ({ path: '/api/v1/records/imports?limit=5' }) },
  'GET /api/v1/records/imports/{id}': {
    ok: 200,
    make: async () => {
      const job = await asArchivist('POST', '/api/v1/records/imports?format=csv&dry_run=true', `题名,密级\r\n${uniq('导入')},开放\r\n`);
      return { path: `/api/v1/records/imports/${job.id}` };
    },
  },
  'GET /api/v1/records/export': { ok: 200, make: () => ({ path: '/api/v1/records/export?format=json&year_from=2999' }) },
  // Export requests: an empty open export runs at once; a controlled one waits.
  'POST /api/v1/records/exports': { ok: 201, make: () => ({ path: '/api/v1/records/exports', body: { format: 'json', year_from: 2999 } }) },
  'GET /api/v1/records/exports': { ok: 200, make: () => ({ path: '/api/v1/records/exports?limit=5' }) },
  'GET /api/v1/records/exports/{id}': {
    ok: 200,
    make: async () => ({ path: `/api/v1/records/exports/${(await exportRequest('archivist')).id}` }),
  },
  'POST /api/v1/records/exports/{id}/approve': {
    ok: 200,
    make: async () => ({ path: `/api/v1/records/exports/${(await pendingExport()).id}/approve`, body: { reason: '同意' } }),
  },
  'POST /api/v1/records/exports/{id}/reject': {
    ok: 200,
    make: async () => ({ path: `/api/v1/records/exports/${(await pendingExport()).id}/reject`, body: { reason: '不同意' } }),
  },
  'GET /api/v1/records/exports/{id}/file': {
    ok: 200,
    // Only the requester downloads: each exporting role asks for its own.
    make: async (role) => ({
      path: `/api/v1/records/exports/${(await exportRequest(['archivist', 'manager'].includes(role) ? role : 'archivist')).id}/file`,
    }),
  },
  'POST /api/v1/records/{id}/attachments': {
    ok: 201,
    make: async () => ({ path: `/api/v1/records/${(await record()).id}/attachments?filename=matrix.txt`, body: uniq('附件 ') }),
    denied: async (c) => {
      const r = await srv.api('GET', c.path.replace('?filename=matrix.txt', ''), { as: 'archivist' });
      assert.deepEqual(r.json.items, [], 'no attachment was made');
    },
  },
  'GET /api/v1/records/{id}/attachments': { ok: 200, make: async () => ({ path: `/api/v1/records/${(await attachment()).record_id}/attachments` }) },
  'GET /api/v1/attachments/fixity': { ok: 200, make: () => ({ path: '/api/v1/attachments/fixity' }) },
  'GET /api/v1/attachments/{id}': { ok: 200, make: async () => ({ path: `/api/v1/attachments/${(await attachment()).id}` }) },
  'GET /api/v1/attachments/{id}/content': { ok: 200, make: async () => ({ path: `/api/v1/attachments/${(await attachment()).id}/content` }) },
  'GET /api/v1/attachments/{id}/signatures': { ok: 200, make: async () => ({ path: `/api/v1/attachments/${(await attachment()).id}/signatures` }) },
  'POST /api/v1/attachments/{id}/signatures': {
    ok: 201,
    make: async () => ({ path: `/api/v1/attachments/${(await attachment()).id}/signatures`, body: { signer: '王主任', method: 'paper' } }),
  },
  'DELETE /api/v1/attachments/{id}/signatures/{signature_id}': {
    ok: 204,
    make: async () => {
      const a = await attachment();
      const s = await asArchivist('POST', `/api/v1/attachments/${a.id}/signatures`, { signer: '李', method: 'seal' });
      return { path: `/api/v1/attachments/${a.id}/signatures/${s.id}`, body: { reason: '录入错误' } };
    },
  },
  'DELETE /api/v1/attachments/{id}': {
    ok: 204,
    make: async () => ({ path: `/api/v1/attachments/${(await attachment()).id}` }),
    denied: async (c) => {
      const r = await srv.api('GET', c.path, { as: 'archivist' });
      assert.equal(r.json.removed, false, 'the attachment is still there');
    },
  },
};

const TABLE = new Map(ROUTES.map((r) => [routeKey(r.method, r.path), r]));

describe('permission matrix', () => {
  let documented = [];
  before(async () => {
    const r = await srv.api('GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    for (const [p, ops] of Object.entries(r.json.paths)) for (const m of Object.keys(ops)) documented.push(routeKey(m, p));
  });

  test('the table has a rule and a call for every documented route', () => {
    assert.deepEqual(documented.filter((k) => !TABLE.has(k)), [], 'routes without a rule in routes.mjs');
    assert.deepEqual([...TABLE.keys()].filter((k) => !CASES[k]), [], 'rules without a call here');
  });

  for (const route of ROUTES) {
    const key = routeKey(route.method, route.path);
    test(key, async () => {
      const spec = CASES[key];
      const mismatches = [];
      for (const role of [...ALL_ROLES, 'anonymous']) {
        const allowed = role === 'anonymous' ? !!route.anonymous : route.allow.includes(role);
        const c = await spec.make(role);
        let token = c.token;
        if (token === undefined && role !== 'anonymous') token = await srv.login(role);
        const r = await srv.api(route.method, c.path, { token: token ?? undefined, body: c.body, headers: c.headers });
        if (allowed) {
          if (r.status !== spec.ok) mismatches.push(`${role}: allowed, expected ${spec.ok}, got ${r.status} ${r.text.slice(0, 160)}`);
        } else {
          const want = role === 'anonymous' ? 401 : 403;
          const code = role === 'anonymous' ? 'unauthenticated' : 'forbidden';
          if (r.status !== want || r.json?.error?.code !== code)
            mismatches.push(`${role}: denied, expected ${want} ${code}, got ${r.status} ${r.text.slice(0, 160)}`);
          else if (spec.denied) {
            try {
              await spec.denied(c, role);
            } catch (e) {
              mismatches.push(`${role}: denied but changed something: ${e.message}`);
            }
          }
        }
      }
      assert.deepEqual(mismatches, []);
    });
  }
});
