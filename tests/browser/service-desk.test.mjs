// service-desk.test.mjs — the service desk's screens (issue 5): a manager writes a
// standard answer and a holiday; an agent opens a ticket for a patron, replies with the
// answer filled in, notes, resolves and closes; a patron asks on the portal and sees the
// staff's reply but never an internal note, answers the remedy offered on a complaint; the
// follow-up visit that closing the complaint schedules is recorded; axe on every new page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PORTAL_PASSWORD = 'Portal-Desk-Pass-2024!';
const PATRON = 14;

describe('service desk', () => {
  const ctx = useServer();
  let patronName;
  let ticketId;

  test('a manager adds a standard answer and a holiday in the service settings', async () => {
    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    await page.getByRole('link', { name: /服务台设置/ }).click();
    await page.waitForURL('**/service-settings');
    await page.locator('.policies-table tbody tr[data-kind="complaint"][data-priority="normal"]').waitFor();
    // The defaults: a normal complaint has 120 working minutes to the first response.
    assert.equal(await page.locator('tr[data-kind="complaint"][data-priority="normal"] input').first().inputValue(), '120');

    await page.getByRole('button', { name: '新建话术 New standard answer' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('标题').fill('查档预约答复');
    await dlg.getByLabel('场景').fill('查档 预约');
    await dlg.getByLabel('内容').fill('{patron_name}您好：您的工单{ticket_number}（{subject}）已受理，请携带身份证件到馆查阅。{agent_name}');
    await dlg.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('.answers-table tr', { hasText: '查档预约答复' }).waitFor();

    const dayForm = page.locator('form.day-form');
    await dayForm.getByLabel('日期').fill('2027-01-01');
    await dayForm.getByLabel('名称').fill('元旦');
    await page.locator('form.day-form').getByRole('button', { name: '添加 Add' }).click();
    await page.locator('.days-table tr[data-date="2027-01-01"]').waitFor();
    assert.match(await page.locator('.days-table tr[data-date="2027-01-01"]').textContent(), /节假日.*元旦/);
    await shot(page, '40-service-settings');
    assert.deepEqual((await axe(page)) ?? [], [], 'service settings: no serious accessibility violations');

    // An agent has no settings entry in the navigation and the page refuses them.
    expectClean(page, assert);
    await page.context().close();
    const agent = await newPage(ctx);
    await login(agent, 'agent', ctx.server.password);
    assert.equal(await agent.getByRole('link', { name: /服务台设置/ }).count(), 0);
    assert.equal(await agent.getByRole('link', { name: /工单 Tickets/ }).count(), 1);
    await agent.context().close();
  });

  test('an agent opens a ticket for a patron, replies with a filled-in standard answer, notes, resolves and closes', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    const patron = await apiAs(page, 'GET', `/api/v1/patrons/${PATRON}`);
    patronName = patron.body.name;
    await page.getByRole('link', { name: /工单 Tickets/ }).click();
    await page.waitForURL('**/tickets');
    await page.getByRole('button', { name: '新建工单 New ticket' }).click();
    const form = page.locator('form.new-ticket');
    await form.getByLabel('类型').selectOption('consultation');
    await form.getByLabel('渠道').selectOption('phone');
    await form.getByLabel('优先级').selectOption('high');
    // The patron picked from a search by name.
    await form.getByLabel('查找用户 Find a patron').fill(patronName);
    await form.getByRole('button', { name: '查找 Find' }).click();
    await form.locator(`button[data-patron="${PATRON}"]`).click();
    assert.equal(await form.getByLabel('用户编号').inputValue(), String(PATRON));
    // The server's message lands next to the field it names.
    await form.getByRole('button', { name: '创建工单 Open ticket' }).click();
    await form.locator('.field[data-field="subject"].has-error').waitFor();
    await form.getByLabel('主题').fill('预约查阅1985年婚姻登记档案');
    await form.getByLabel('内容').fill('来电询问如何预约查阅本人1985年的婚姻登记档案。');
    await form.getByRole('button', { name: '创建工单 Open ticket' }).click();
    await page.waitForURL(/\/tickets\/\d+$/);
    ticketId = Number(new URL(page.url()).pathname.split('/').pop());
    const number = await page.getByTestId('ticket-number').textContent();
    assert.match(number, /^T\d{4}-\d{6}$/);
    // On the phone, opening the ticket is the first response: it is open at once.
    assert.match(await page.locator('.ticket-meta').textContent(), /处理中.*咨询.*高/);
    assert.equal(await page.locator(`.ticket-meta a[href="/patrons/${PATRON}"]`).count(), 1, 'links to the patron');
    assert.equal(await page.locator('.thread .msg-patron').count(), 1);

    // The standard answer, found by a word of its scenario and filled in for this ticket.
    const composer = page.locator('form.composer');
    await composer.getByLabel('查找话术 Find a standard answer').fill('预约');
    await composer.getByRole('button', { name: '查找话术 Find answers' }).click();
    await composer.locator('button.answer-pick', { hasText: '查档预约答复' }).click();
    await page.waitForFunction(() => document.querySelector('form.composer textarea').value.length > 0);
    const text = await composer.getByLabel('内容').inputValue();
    assert.ok(text.startsWith(`${patronName}您好`), text);
    assert.ok(text.includes(number) && text.includes('预约查阅1985年婚姻登记档案') && text.includes('张受理员'), text);
    await composer.getByRole('button', { name: '发送答复 Send reply' }).click();
    await page.locator('.thread .msg-reply').waitFor();
    assert.match(await page.locator('.ticket-side').textContent(), /已响应 answered/);

    await composer.getByText('内部备注 Internal note').click();
    await composer.getByLabel('内容').fill('来电人语气急，需优先安排。');
    await composer.getByRole('button', { name: '添加备注 Add note' }).click();
    await page.locator('.thread .msg-note').waitFor();
    assert.match(await page.locator('.thread .msg-note').textContent(), /用户看不到/);

    // Assign to me.
    await page.getByRole('button', { name: '分派给我 Assign to me' }).click();
    await page.locator('.assign-form', { hasText: '当前负责人 Assignee: 我' }).waitFor();
    await shot(page, '41-ticket');
    assert.deepEqual((await axe(page)) ?? [], [], 'ticket: no serious accessibility violations');

    // Only the moves the state allows.
    assert.equal(await page.locator('[data-action="close"]').count(), 0);
    assert.equal(await page.locator('[data-action="reopen"]').count(), 0);
    await page.locator('[data-action="resolve"]').click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('处理结果').fill('已告知预约方式及所需证件。');
    await dlg.getByRole('button', { name: '解决 Resolve' }).click();
    await page.locator('.ticket-meta .badge[data-status="resolved"]').waitFor();
    await page.locator('[data-action="close"]').click();
    await page.locator('.ticket-meta .badge[data-status="closed"]').waitFor();
    assert.equal(await page.locator('[data-action="reopen"]').count(), 1);
    assert.equal(await page.locator('[data-action="resolve"]').count(), 0);
    assert.deepEqual(
      await page.locator('.thread .msg').evaluateAll((els) => els.map((e) => e.dataset.kind)),
      ['patron', 'reply', 'note', 'system', 'system'],
      'the thread in order: the call, the reply, the note, resolved, closed',
    );

    // The list shows it with the filters; a reload keeps the page.
    await page.goto('/tickets?status=all&kind=consultation');
    const row = page.locator(`.tickets-table tr[data-id="${ticketId}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /已关闭/);
    assert.match(await row.textContent(), /我/);
    await page.goto('/tickets');
    await page.waitForFunction(() => {
      const s = document.querySelector('.pager-status');
      return s && !s.textContent.includes('Loading') && (s.textContent || document.querySelector('.tickets-table tbody tr'));
    });
    assert.equal(await page.locator(`.tickets-table tr[data-id="${ticketId}"]`).count(), 0, 'a closed ticket is not in the active queue');
    assert.deepEqual((await axe(page)) ?? [], [], 'tickets: no serious accessibility violations');
    await page.reload();
    await page.getByRole('heading', { name: /工单/ }).waitFor();
    expectClean(page, assert);
    await page.context().close();
  });

  test('a patron asks on the portal, sees the reply but not the note, and answers the remedy on a complaint', async () => {
    await ctx.server.addUser('reader.desk', 'patron', { patron: PATRON, password: PORTAL_PASSWORD });
    const portal = await newPage(ctx);
    await login(portal, 'reader.desk', PORTAL_PASSWORD);
    await portal.getByRole('link', { name: /我的咨询/ }).click();
    await portal.waitForURL('**/portal/questions');
    // The ticket the agent opened for them is listed too.
    await portal.locator(`.questions-table tr[data-id="${ticketId}"]`).waitFor();
    await portal.getByLabel('类型').selectOption('complaint');
    await portal.getByLabel('主题').fill('阅览室复印收费不合理');
    await portal.getByLabel('内容').fill('上周复印档案时被多收了费用，希望核实。');
    await portal.getByRole('button', { name: '提交 Send' }).click();
    await portal.waitForURL(/\/portal\/questions\/\d+$/);
    const qid = Number(new URL(portal.url()).pathname.split('/').pop());
    await portal.locator('.thread .msg[data-from="you"]').waitFor();
    assert.deepEqual((await axe(portal)) ?? [], [], 'portal question: no serious accessibility violations');

    // Staff answer, note and offer a remedy in their own session.
    const staff = await newPage(ctx);
    await login(staff, 'agent', ctx.server.password);
    await staff.goto(`/tickets/${qid}`);
    const composer = staff.locator('form.composer');
    await composer.getByLabel('内容').fill('您好，我们正在核实收费记录，请稍候。');
    await composer.getByRole('button', { name: '发送答复 Send reply' }).click();
    await staff.locator('.thread .msg-reply').waitFor().catch(async (e) => {
      await shot(staff, 'debug-staff');
      throw e;
    });
    await composer.getByText('内部备注 Internal note').click();
    await composer.getByLabel('内容').fill('收费员操作失误，系统单价设错。');
    await composer.getByRole('button', { name: '添加备注 Add note' }).click();
    await staff.locator('.thread .msg-note').waitFor();
    // A complaint cannot be resolved before a service recovery.
    await staff.locator('.recovery [data-action="offer"]').click();
    let dlg = staff.getByRole('dialog');
    await dlg.getByLabel('原因（内部）').fill('收费单价设置错误');
    await dlg.getByLabel('补救措施').fill('退还多收的复印费 12 元，并赠送两次免费复印。');
    await dlg.getByRole('button', { name: '提出补救 Offer remedy' }).click();
    await staff.locator('.recovery', { hasText: '待用户答复' }).waitFor();

    await portal.reload();
    await portal.locator('.thread .msg[data-from="staff"]').waitFor();
    const thread = await portal.locator('.thread').textContent();
    assert.match(thread, /正在核实收费记录/);
    assert.doesNotMatch(thread, /收费员操作失误/, 'no internal note on the portal');
    assert.equal(await portal.locator('.msg-note').count(), 0);
    const remedy = portal.locator('.recovery');
    assert.match(await remedy.textContent(), /退还多收的复印费/);
    assert.doesNotMatch(await portal.locator('#main').textContent(), /收费单价设置错误/, 'the cause stays internal');
    await shot(portal, '42-portal-question');
    await remedy.getByLabel('意见').fill('可以接受。');
    await remedy.getByRole('button', { name: '接受 Accept' }).click();
    await portal.locator('.recovery', { hasText: '您已接受' }).waitFor().catch(async (e) => {
      await shot(portal, 'debug-portal');
      throw e;
    });
    await portal.getByLabel('回复').fill('谢谢，已收到。');
    await portal.getByRole('button', { name: '发送 Send' }).click();
    await portal.locator('.thread .msg[data-from="you"]').nth(1).waitFor();
    assert.deepEqual((await axe(portal)) ?? [], [], 'portal question after answers: no serious accessibility violations');
    await portal.goto('/portal/questions');
    await portal.locator(`.questions-table tr[data-id="${qid}"]`).waitFor();
    assert.deepEqual((await axe(portal)) ?? [], [], 'portal questions: no serious accessibility violations');
    expectClean(portal, assert);

    // Staff see the answer, resolve and close: closing a complaint schedules a visit.
    await staff.reload();
    await staff.locator('.recovery', { hasText: '用户接受' }).waitFor();
    await staff.locator('[data-action="resolve"]').click();
    dlg = staff.getByRole('dialog');
    await dlg.getByLabel('处理结果').fill('已退还 12 元。');
    await dlg.getByRole('button', { name: '解决 Resolve' }).click();
    await staff.locator('.ticket-meta .badge[data-status="resolved"]').waitFor();
    await staff.locator('[data-action="close"]').click();
    await staff.locator('.ticket-meta .badge[data-status="closed"]').waitFor();

    await staff.getByRole('link', { name: /回访/ }).click();
    await staff.waitForURL('**/follow-up-visits');
    const row = staff.locator('.visits-table tbody tr', { has: staff.locator(`a[href="/tickets/${qid}"]`) });
    await row.waitFor();
    assert.match(await row.textContent(), /投诉回访.*待回访/);
    assert.deepEqual((await axe(staff)) ?? [], [], 'follow-up visits: no serious accessibility violations');
    await row.getByRole('button', { name: '记录回访 Record' }).click();
    dlg = staff.getByRole('dialog');
    await dlg.getByLabel('满意度').selectOption('4');
    await dlg.getByLabel('用户意见').fill('处理及时。');
    await dlg.getByRole('button', { name: '保存 Save' }).click();
    const done = staff.locator('.visits-table tbody tr[data-status="done"]');
    await done.waitFor();
    assert.match(await done.textContent(), /4\/5.*处理及时/);
    await shot(staff, '43-follow-up-visits');
    expectClean(staff, assert);
    await staff.context().close();

    // The patron's closed question: no reply box.
    await portal.goto(`/portal/questions/${qid}`);
    await portal.locator('.ticket-meta .badge[data-status="closed"]').waitFor();
    assert.equal(await portal.getByLabel('回复').count(), 0);
    await portal.context().close();
  });
});
