// Service quality over HTTP: problem management (causes, problems, improvement actions,
// cause trends), quality inspection (recordings, QA reviews, coaching, training) and
// cases replayed across channels with the touchpoint report.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, assertPatronNames, auditEntries, createPatron, person, startServer, uniq, unitScopedAgent, wavFile } from './harness.mjs';

let srv;
let patron;
let me; // id per role account
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person());
  me = {};
  for (const role of ['agent', 'manager', 'archivist']) me[role] = (await as(role, 'GET', '/api/v1/me')).json.id;
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body) => srv.api(method, path, { as: role, body });
const ok = async (role, method, path, body, status = 200) => {
  const r = await as(role, method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
};
const ticket = (kind, subject, extra = {}) =>
  ok('agent', 'POST', '/api/v1/tickets', { kind, channel: 'phone', subject, body: subject, patron_id: patron.id, ...extra }, 201);
const cause = async (code) => (await ok('agent', 'GET', '/api/v1/cause-codes')).items.find((c) => c.code === code);

// A second of 8 kHz 8-bit mono silence as a WAV file.

describe('problem management', () => {
  test('tickets grouped by cause become a problem with an improvement action', async () => {
    const steps = await cause('process.steps');
    assert.equal(steps.path, '流程 / 手续繁琐');
    const t1 = await ticket('complaint', '复印要三处签字');
    // The recovery's cause picks a code.
    await ok('agent', 'PUT', `/api/v1/tickets/${t1.id}/recovery`, { cause: '审批环节重复', remedy: '当场办结', cause_id: steps.id });
    assert.equal((await ok('agent', 'GET', `/api/v1/tickets/${t1.id}/cause`)).cause.code, 'process.steps');
    const t2 = await ticket('consultation', '查档要跑三个窗口');
    await ok('archivist', 'PUT', `/api/v1/tickets/${t2.id}/cause`, { cause_id: steps.id });
    const grouped = await ok('agent', 'GET', `/api/v1/cause-codes/${(await cause('process')).id}/tickets?unlinked=true`);
    assert.deepEqual(grouped.items.map((t) => t.id).sort(), [t1.id, t2.id].sort());

    assertError(assert, await as('agent', 'POST', '/api/v1/problems', { title: 'x', cause_id: steps.id }), 403);
    const p = await ok('manager', 'POST', '/api/v1/problems', { title: '办事手续繁琐', cause_id: steps.id, ticket_ids: [t1.id, t2.id] }, 201);
    assert.equal(p.ticket_count, 2);
    const other = await ticket('complaint', '系统打不开');
    await ok('agent', 'PUT', `/api/v1/tickets/${other.id}/cause`, { cause_id: (await cause('system.outage')).id });
    assertError(assert, await as('manager', 'POST', `/api/v1/problems/${p.id}/tickets`, { ticket_id: other.id }), 400, 'ticket_id');

    const unit = await ok('administrator', 'POST', '/api/v1/units', { code: uniq('Q'), name: '利用服务部' }, 201);
    assertError(assert, await as('manager', 'POST', `/api/v1/problems/${p.id}/actions`, { title: '合并签字', unit_id: unit.id, owner_id: me.agent, due_on: '2026-13-01' }), 400, 'due_on');
    // Due yesterday: overdue at once.
    const yesterday = new Date(Date.now() - 36 * 3600e3).toISOString().slice(0, 10);
    const a = await ok('manager', 'POST', `/api/v1/problems/${p.id}/actions`, { title: '合并签字环节', unit_id: unit.id, owner_id: me.agent, due_on: yesterday }, 201);
    assert.equal(a.overdue, true);
    assert.equal(a.unit_name, '利用服务部');
    const overdue = await ok('agent', 'GET', '/api/v1/improvement-actions?overdue=true&mine=true');
    assert.ok(overdue.items.some((x) => x.id === a.id));
    // The owner reports progress; another member of staff may not.
    assertError(assert, await as('archivist', 'PATCH', `/api/v1/improvement-actions/${a.id}`, { status: 'done', result: 'x' }), 403);
    assertError(assert, await as('agent', 'PATCH', `/api/v1/improvement-actions/${a.id}`, { status: 'done' }), 400, 'result');
    const done = await ok('agent', 'PATCH', `/api/v1/improvement-actions/${a.id}`, { status: 'done', result: '签字合并为一处' });
    assert.equal(done.overdue, false);
    const full = await ok('agent', 'GET', `/api/v1/problems/${p.id}`);
    assert.equal(full.actions[0].status, 'done');
    assert.equal(full.tickets.length, 2);
    const audit = await auditEntries(srv, { action: 'improvement_action.update' });
    assert.ok(audit.some((e) => e.action === 'improvement_action.update' && e.entity_id === String(a.id)));

    const trends = await ok('analyst', 'GET', '/api/v1/reports/cause-trends?period=week');
    assert.equal(trends.buckets.length, 12);
    const row = trends.items.find((i) => i.code === 'process.steps');
    assert.equal(row.latest, 2);
    const top = await ok('manager', 'GET', '/api/v1/reports/cause-trends?period=month&level=top');
    assert.ok(top.items.some((i) => i.code === 'process' && i.latest === 2), JSON.stringify(top.items));
    assertError(assert, await as('agent', 'GET', '/api/v1/reports/cause-trends'), 403);
    assertError(assert, await as('manager', 'GET', '/api/v1/reports/cause-trends?period=day'), 400, 'period');
  });
});

describe('quality inspection', () => {
  test('a recording is stored, played (audited) and transcribed; other files are refused', async () => {
    const t = await ticket('consultation', '电话咨询婚姻档案');
    const up = await srv.api('POST', `/api/v1/tickets/${t.id}/recordings?filename=call.wav`, { as: 'agent', body: wavFile(), headers: { 'content-type': 'audio/wav' } });
    assert.equal(up.status, 201, up.text);
    assert.match(up.json.content_type, /^audio\//);
    const notAudio = await srv.api('POST', `/api/v1/tickets/${t.id}/recordings?filename=x.txt`, { as: 'agent', body: 'plain words', headers: { 'content-type': 'text/plain' } });
    assertError(assert, notAudio, 400, 'file');
    const play = await srv.api('GET', `/api/v1/recordings/${up.json.id}/content`, { as: 'manager' });
    assert.equal(play.status, 200);
    assert.match(play.headers.get('content-type'), /^audio\//);
    const audit = await auditEntries(srv, { action: 'recording.play' });
    assert.ok(audit.some((e) => e.entity_id === String(up.json.id) && e.patron_id === patron.id));
    const tr = await ok('agent', 'PUT', `/api/v1/recordings/${up.json.id}/transcript`, { transcript: '您好，请问需要查询哪一年的婚姻档案？' });
    assert.equal(tr.transcript_by, me.agent);
    const list = await ok('agent', 'GET', `/api/v1/tickets/${t.id}/recordings`);
    assert.equal(list.items.length, 1);
    assert.ok(list.items[0].transcript.includes('婚姻档案'));
    assertError(assert, await as('analyst', 'GET', `/api/v1/recordings/${up.json.id}/content`), 403);
  });

  test('a review is scored on the scorecard by someone else; the agent sees it and is coached', async () => {
    const t = await ticket('consultation', '查询学籍档案');
    await ok('agent', 'POST', `/api/v1/tickets/${t.id}/messages`, { kind: 'reply', body: '请到二楼窗口' }, 201);
    await ok('agent', 'POST', `/api/v1/tickets/${t.id}/resolve`, { resolution: '已答复' });
    await ok('agent', 'POST', `/api/v1/tickets/${t.id}/close`, {});
    const answer = await ok('manager', 'POST', '/api/v1/standard-answers', { title: '学籍查询指引', scenario: '学籍查询', body: '您好，学籍档案可在一楼服务台查询。' }, 201);

    assertError(assert, await as('agent', 'POST', '/api/v1/qa/reviews', { ticket_id: t.id }), 403);
    const review = await ok('manager', 'POST', '/api/v1/qa/reviews', { ticket_id: t.id }, 201);
    assert.equal(review.agent_id, me.agent);
    assert.equal(review.status, 'pending');
    assert.ok(review.messages.some((m) => m.body === '请到二楼窗口'));
    assert.ok(review.scenarios.includes('学籍查询'));
    const crit = review.criteria;
    assert.deepEqual(crit.map((c) => c.name), ['礼貌用语', '准确', '时效']);
    // The agent does not see a pending review; every criterion must be scored.
    assertError(assert, await as('agent', 'GET', `/api/v1/qa/reviews/${review.id}`), 403);
    assertError(assert, await as('manager', 'POST', `/api/v1/qa/reviews/${review.id}/score`, { scores: [{ criterion_id: crit[0].id, score: 5 }] }), 400, 'scores');
    // 礼貌 30×5/5 + 准确 40×2/5 + 时效 30×5/5 = 76 of 100.
    const scored = await ok('manager', 'POST', `/api/v1/qa/reviews/${review.id}/score`, {
      scenario: '学籍查询',
      comments: '地点答错',
      scores: [{ criterion_id: crit[0].id, score: 5 }, { criterion_id: crit[1].id, score: 2, note: '应为一楼' }, { criterion_id: crit[2].id, score: 5 }],
    });
    assert.equal(scored.score, 76);
    assert.equal(scored.standard_answers[0].id, answer.id);
    assertError(assert, await as('manager', 'POST', `/api/v1/qa/reviews/${review.id}/score`, { scores: [] }), 409);

    const mine = await ok('agent', 'GET', '/api/v1/qa/reviews');
    assert.ok(mine.items.some((r) => r.id === review.id && r.score === 76));
    assertError(assert, await as('agent', 'GET', `/api/v1/qa/reviews?agent_id=${me.archivist}`), 403);
    const scores = await ok('agent', 'GET', '/api/v1/reports/agent-scores?period=month');
    assert.equal(scores.items.length, 1);
    assert.equal(scores.items[0].agent_id, me.agent);
    assert.equal(scores.items[0].scores.at(-1), 76);

    const note = await ok('manager', 'POST', '/api/v1/coaching-notes', { agent_id: me.agent, review_id: review.id, answer_id: answer.id, body: '学籍查询在一楼，请熟悉话术' }, 201);
    assert.equal(note.answer_title, '学籍查询指引');
    assert.equal((await ok('archivist', 'GET', '/api/v1/coaching-notes')).items.length, 0);
    assertError(assert, await as('archivist', 'POST', `/api/v1/coaching-notes/${note.id}/acknowledge`), 403);
    const ack = await ok('agent', 'POST', `/api/v1/coaching-notes/${note.id}/acknowledge`);
    assert.ok(ack.acknowledged_at);

    const tr = await ok('manager', 'POST', '/api/v1/training-records', { user_id: me.agent, course: '档案查询业务培训', taken_on: '2026-11-20', result: 'passed', score: 92 }, 201);
    assert.equal(tr.user_id, me.agent);
    assert.equal((await ok('agent', 'GET', '/api/v1/training-records')).items[0].course, '档案查询业务培训');
    assertError(assert, await as('agent', 'GET', `/api/v1/training-records?user_id=${me.archivist}`), 403);
  });
});

describe('cases', () => {
  test('a matter across phone, counter and a back-office step replays in order with waits', async () => {
    const phone = await ticket('request', '申请复印招工档案');
    await ok('agent', 'POST', `/api/v1/tickets/${phone.id}/messages`, { kind: 'reply', body: '请到馆办理' }, 201);
    const counter = await ticket('request', '到馆复印招工档案', { channel: 'counter' });
    const unit = await ok('administrator', 'POST', '/api/v1/units', { code: uniq('S'), name: '库房' }, 201);
    const c = await ok('agent', 'POST', '/api/v1/cases', { title: '招工档案复印', links: [{ kind: 'ticket', id: phone.id }] }, 201);
    assert.equal(c.patron_id, patron.id, 'the case takes the patron of what it links');
    await ok('agent', 'POST', `/api/v1/cases/${c.id}/links`, { kind: 'ticket', id: counter.id });
    assertError(assert, await as('agent', 'POST', `/api/v1/cases/${c.id}/links`, { kind: 'fax', id: 1 }), 400, 'kind');
    const stranger = await createPatron(srv, person());
    const theirs = await ok('agent', 'POST', '/api/v1/tickets', { kind: 'request', channel: 'phone', subject: '别人的', body: 'x', patron_id: stranger.id }, 201);
    assertError(assert, await as('agent', 'POST', `/api/v1/cases/${c.id}/links`, { kind: 'ticket', id: theirs.id }), 400, 'id');
    await ok('archivist', 'POST', `/api/v1/cases/${c.id}/steps`, { what: '库房调档', unit_id: unit.id }, 201);

    const r = await ok('agent', 'GET', `/api/v1/cases/${c.id}/replay`);
    const at = r.steps.map((s) => s.at);
    assert.deepEqual(at, [...at].sort(), 'chronological');
    assert.deepEqual(r.steps.map((s) => s.channel), ['phone', 'phone', 'counter', 'back_office']);
    assert.equal(r.steps[0].wait_seconds, null);
    assert.ok(r.steps.slice(1).every((s) => s.wait_seconds >= 0));
    assert.equal(r.steps[3].what, '库房调档 (库房)');
    assert.equal(r.summary.contacts, 3);
    assert.deepEqual(r.summary.channels.sort(), ['counter', 'phone']);

    await ok('agent', 'PATCH', `/api/v1/cases/${c.id}`, { status: 'resolved' });
    const tl = (await ok('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline`)).items;
    assert.ok(tl.some((e) => e.kind === 'case.opened'));
    assert.ok(tl.some((e) => e.kind === 'case.step'));

    const tp = await ok('analyst', 'GET', '/api/v1/reports/touchpoints');
    const ph = tp.channels.find((x) => x.channel === 'phone');
    assert.ok(ph.tickets >= 2);
    assert.ok(tp.cases.cases >= 1);
    assertError(assert, await as('agent', 'GET', '/api/v1/reports/touchpoints'), 403);
  });

  test('the list, a case and its replay name the patron as the patron list does, the read audited', async () => {
    const p = await createPatron(srv, person({ name: uniq('案件用户') }));
    const c = await ok('agent', 'POST', '/api/v1/cases', { title: '婚姻档案查询', patron_id: p.id }, 201);
    await assertPatronNames(assert, srv, { path: `/api/v1/cases?patron_id=${p.id}`, pick: (items) => items.find((i) => i.id === c.id), patron: p, list: 'cases' });
    assert.equal((await ok('agent', 'GET', `/api/v1/cases/${c.id}`)).patron_name, p.name);
    assert.equal((await ok('agent', 'GET', `/api/v1/cases/${c.id}/replay`)).case.patron_name, p.name);
    const scoped = await unitScopedAgent(srv);
    const theirs = await ok(scoped, 'GET', `/api/v1/cases/${c.id}`);
    assert.equal(theirs.patron_name, null, 'no name outside the viewer\'s unit');
  });
});
