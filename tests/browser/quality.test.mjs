// quality.test.mjs — the service-quality screens (issue 5, D13, D14, D32): a manager sees
// the cause trends, opens a problem from the tickets of a cause and assigns an overdue
// improvement action; reviews an agent's closed ticket with its recording on the
// scorecard against a scenario's standard answer and coaches the agent, who sees the score
// and acknowledges; an agent gathers a patron's phone and counter tickets into a case
// and replays it with a back-office step. axe on every new page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PATRON = 14;

// A WAV file (a second of silence), uploaded from the page's session.
async function uploadRecording(page, ticketId) {
  return page.evaluate(async (id) => {
    const n = 8000;
    const b = new Uint8Array(44 + n).fill(0x80);
    const v = new DataView(b.buffer);
    const str = (at, s) => [...s].forEach((c, i) => (b[at + i] = c.charCodeAt(0)));
    str(0, 'RIFF');
    v.setUint32(4, 36 + n, true);
    str(8, 'WAVEfmt ');
    v.setUint32(16, 16, true);
    v.setUint16(20, 1, true);
    v.setUint16(22, 1, true);
    v.setUint32(24, 8000, true);
    v.setUint32(28, 8000, true);
    v.setUint16(32, 1, true);
    v.setUint16(34, 8, true);
    str(36, 'data');
    v.setUint32(40, n, true);
    const r = await fetch(`/api/v1/tickets/${id}/recordings?filename=call.wav`, { method: 'POST', headers: { 'Content-Type': 'audio/wav', 'X-CSRF-Token': sessionStorage.getItem('dangan.csrf') || '' }, body: b });
    return { status: r.status, body: await r.json() };
  }, ticketId);
}

describe('service quality', () => {
  const ctx = useServer();
  const tickets = {};

  test('a manager sees cause trends, opens a problem from a cause and assigns an overdue action', async () => {
    const agent = await newPage(ctx);
    await login(agent, 'agent', ctx.server.password);
    const causes = (await apiAs(agent, 'GET', '/api/v1/cause-codes')).body.items;
    const steps = causes.find((c) => c.code === 'process.steps');
    for (const subject of ['复印要三处签字', '查档要跑三个窗口', '预约手续繁琐']) {
      const t = await apiAs(agent, 'POST', '/api/v1/tickets', { kind: 'complaint', channel: 'counter', subject, body: subject, patron_id: PATRON });
      assert.equal(t.status, 201, JSON.stringify(t.body));
      assert.equal((await apiAs(agent, 'PUT', `/api/v1/tickets/${t.body.id}/cause`, { cause_id: steps.id })).status, 200);
      tickets[subject] = t.body.id;
    }
    // The ticket page shows the cause.
    await agent.goto(`/tickets/${tickets['复印要三处签字']}`);
    await agent.locator('.cause-card', { hasText: '流程 / 手续繁琐' }).waitFor();
    await agent.context().close();

    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    await page.getByRole('link', { name: /问题管理/ }).click();
    await page.waitForURL(/\/problems(\?.*)?$/);
    const row = page.locator('.trends-table tr[data-code="process.steps"]');
    await row.waitFor();
    assert.match(await row.textContent(), /流程 \/ 手续繁琐/);
    assert.match(await row.locator('td').last().textContent(), /3/);

    await page.getByRole('button', { name: '新建问题 New problem' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('标题').fill('办事手续繁琐');
    await dlg.getByLabel('原因').selectOption({ label: '流程 / 手续繁琐' });
    await dlg.locator('.pick-tickets li').nth(2).waitFor();
    assert.equal(await dlg.locator('.pick-tickets input:checked').count(), 3);
    await dlg.getByRole('button', { name: '创建 Create' }).click();
    await page.waitForURL(/\/problems\/\d+$/);
    await page.getByRole('heading', { name: '办事手续繁琐' }).waitFor();
    assert.equal(await page.locator('table[aria-label="相关工单 Tickets"] tbody tr').count(), 3);

    const yesterday = new Date(Date.now() - 36 * 3600e3).toISOString().slice(0, 10);
    const me = (await apiAs(page, 'GET', '/api/v1/me')).body.id;
    await page.getByRole('button', { name: '添加措施 Add action' }).click();
    const act = page.getByRole('dialog');
    await act.getByLabel('措施').fill('合并签字环节，一窗受理');
    await act.getByLabel('责任部门').selectOption({ label: '市档案馆' });
    await act.locator('select[name="owner_id"][data-loaded="1"]').waitFor();
    await act.getByLabel('负责人').selectOption(String(me));
    await act.getByLabel('完成期限').fill(yesterday);
    await act.getByRole('button', { name: '添加 Add' }).click();
    const action = page.locator('.actions-table tbody tr').first();
    await action.locator('.badge.bad', { hasText: '逾期' }).waitFor();
    await shot(page, '60-problem');
    assert.deepEqual((await axe(page)) ?? [], [], 'problem page: no serious accessibility violations');

    await page.getByRole('link', { name: /问题管理/ }).click();
    await page.locator('.problems-table tbody tr', { hasText: '办事手续繁琐' }).locator('.badge.bad', { hasText: '1 逾期' }).waitFor();
    await shot(page, '61-problems');
    assert.deepEqual((await axe(page)) ?? [], [], 'problems page: no serious accessibility violations');
    expectClean(page, assert);
    await page.context().close();
  });

  test('a manager scores a review with its recording against a standard answer and coaches the agent', async () => {
    const agent = await newPage(ctx);
    await login(agent, 'agent', ctx.server.password);
    const t = await apiAs(agent, 'POST', '/api/v1/tickets', { kind: 'consultation', channel: 'phone', subject: '电话查询学籍档案', body: '想查询1992年的学籍档案', patron_id: PATRON });
    const id = t.body.id;
    await apiAs(agent, 'POST', `/api/v1/tickets/${id}/messages`, { kind: 'reply', body: '请到二楼窗口办理' });
    const rec = await uploadRecording(agent, id);
    assert.equal(rec.status, 201, JSON.stringify(rec.body));
    await apiAs(agent, 'PUT', `/api/v1/recordings/${rec.body.id}/transcript`, { transcript: '坐席：您好，学籍档案请到二楼窗口。' });
    await apiAs(agent, 'POST', `/api/v1/tickets/${id}/resolve`, { resolution: '已答复' });
    await apiAs(agent, 'POST', `/api/v1/tickets/${id}/close`, {});
    // The ticket page lists the recording.
    await agent.goto(`/tickets/${id}`);
    await agent.locator('.recordings-card audio').waitFor();

    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    await apiAs(page, 'POST', '/api/v1/standard-answers', { title: '学籍查询指引', scenario: '学籍查询', body: '您好，学籍档案请到一楼服务台查询。' });
    await page.getByRole('link', { name: /服务质检/ }).click();
    await page.waitForURL('**/qa');
    await page.getByRole('button', { name: '抽检工单 Pick a ticket' }).click();
    const pick = page.getByRole('dialog');
    await pick.getByLabel('工单编号').fill(String(id));
    await pick.getByRole('button', { name: '抽检 Review' }).click();
    await page.waitForURL(/\/qa\/reviews\/\d+$/);
    const reviewUrl = page.url();
    await page.locator('.recording audio').waitFor();
    assert.match(await page.locator('.transcript').first().textContent(), /二楼窗口/);
    await page.getByLabel('对照场景').selectOption('学籍查询');
    await page.locator('.answers .answer', { hasText: '学籍查询指引' }).waitFor();
    await page.getByLabel('准确 得分 score').selectOption('2');
    await page.getByLabel('准确 说明 note').fill('应为一楼服务台');
    assert.equal(await page.locator('output.total-score').textContent(), '76 / 100');
    await shot(page, '62-qa-review-scoring');
    assert.deepEqual((await axe(page)) ?? [], [], 'review page: no serious accessibility violations');
    await page.getByRole('button', { name: '提交评分 Submit the scores' }).click();
    await page.locator('p.total-score', { hasText: '76' }).waitFor();

    await page.getByRole('button', { name: '辅导坐席 Coach the agent' }).click();
    const coach = page.getByRole('dialog');
    await coach.getByLabel('辅导内容').fill('学籍查询在一楼服务台，请熟悉话术。');
    await coach.getByLabel('学习话术').selectOption({ label: '学籍查询指引' });
    await coach.getByRole('button', { name: '发送 Send' }).click();
    await page.getByText('辅导已发送').waitFor();
    await shot(page, '63-qa-review-scored');
    expectClean(page, assert);
    await page.context().close();

    // The agent sees the score and the note, and acknowledges it.
    await agent.getByRole('link', { name: /服务质检/ }).click();
    await agent.waitForURL('**/qa');
    await agent.locator('.reviews-table tbody tr', { hasText: '电话查询学籍档案' }).locator('.badge', { hasText: '76' }).waitFor();
    await agent.locator('.scores-table tbody tr').first().waitFor();
    const note = agent.locator('.coaching-list li', { hasText: '一楼服务台' });
    await note.getByRole('button', { name: '确认已读 Acknowledge' }).click();
    await agent.locator('.coaching-list li', { hasText: '一楼服务台' }).locator('.badge', { hasText: '已确认' }).waitFor();
    await shot(agent, '64-qa-agent');
    assert.deepEqual((await axe(agent)) ?? [], [], 'QA page: no serious accessibility violations');
    // The agent may read the scored review but sees no scorecard to fill in.
    await agent.goto(reviewUrl);
    await agent.locator('p.total-score').waitFor();
    assert.equal(await agent.getByRole('button', { name: '提交评分 Submit the scores' }).count(), 0);
    expectClean(agent, assert);
    await agent.context().close();
  });

  test('an agent gathers a matter across channels into a case and replays it', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    const phone = await apiAs(page, 'POST', '/api/v1/tickets', { kind: 'request', channel: 'phone', subject: '申请复印招工档案', body: '来电申请复印父亲的招工登记表', patron_id: PATRON });
    await apiAs(page, 'POST', `/api/v1/tickets/${phone.body.id}/messages`, { kind: 'reply', body: '请携带身份证到馆办理' });
    const counter = await apiAs(page, 'POST', '/api/v1/tickets', { kind: 'request', channel: 'counter', subject: '到馆复印招工档案', body: '已到馆，出示身份证', patron_id: PATRON });

    await page.getByRole('link', { name: /案件/ }).click();
    await page.waitForURL('**/cases');
    await page.getByRole('button', { name: '新建案件 New case' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('事项').fill('招工档案复印');
    await dlg.getByLabel('关联工单编号').fill(`${phone.body.id}, ${counter.body.id}`);
    await dlg.getByRole('button', { name: '创建 Create' }).click();
    await page.waitForURL(/\/cases\/\d+$/);
    await page.getByRole('button', { name: '后台处理 Back-office step' }).click();
    const step = page.getByRole('dialog');
    await step.getByLabel('处理内容').fill('库房调档并复印 3 页');
    await step.getByRole('button', { name: '记录 Record' }).click();
    await page.locator('.scene .step[data-kind="step"]').waitFor();
    const channels = await page.locator('.scene .step').evaluateAll((els) => els.map((e) => e.dataset.channel));
    assert.deepEqual(channels, ['phone', 'phone', 'counter', 'back_office']);
    assert.match(await page.locator('.case-summary .contacts').textContent(), /^3/);
    await page.getByRole('button', { name: '已解决 Resolved' }).click();
    await page.getByText('已更新').waitFor();
    await shot(page, '65-case-replay');
    assert.deepEqual((await axe(page)) ?? [], [], 'case page: no serious accessibility violations');
    expectClean(page, assert);
    await page.context().close();

    // The touchpoint report for a manager.
    const mgr = await newPage(ctx);
    await login(mgr, 'manager', ctx.server.password);
    await mgr.goto('/cases');
    await mgr.locator('.touchpoints-table tr[data-channel="phone"]').waitFor();
    await shot(mgr, '66-cases');
    assert.deepEqual((await axe(mgr)) ?? [], [], 'cases page: no serious accessibility violations');
    expectClean(mgr, assert);
    await mgr.context().close();
  });
});
