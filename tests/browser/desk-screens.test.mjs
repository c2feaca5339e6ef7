// desk-screens.test.mjs — the service desk's configuration and loans screens: routing
// rules (create with a team or an agent picked by name, disable, reorder, delete with a
// confirmation) and service tiers; a patron's tier on the patron page; the loans desk
// (lend by a typed reference code to a patron found by name, renew, return with a note,
// an overdue loan marked with its days) and the loans on the patron page; the ticket's
// assignee picked by name; the portal's notices and "my loans"; and the pager never
// adding a page twice when a filter changes while a page is loading. axe on every page.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PATRON = 14;
const PORTAL_PASSWORD = 'Portal-Loans-Pass-2024!';

function sql(ctx, statement) {
  const file = ctx.server.db.replace(/^sqlite:/, '');
  return execFileSync('sqlite3', [file, statement], { encoding: 'utf8' }).trim();
}

describe('desk screens', () => {
  const ctx = useServer();
  let loanRecord;
  let loanId;

  test('a manager builds routing rules (team and agent by name), switches, moves and deletes them, and edits a tier', async () => {
    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    const staff = await apiAs(page, 'GET', '/api/v1/staff?q=zsly');
    assert.equal(staff.status, 200);
    assert.deepEqual(staff.body.items.map((s) => s.name), ['张受理员']);
    const agentId = staff.body.items[0].id;
    const team = await apiAs(page, 'POST', '/api/v1/teams', { name: '查档专线组', member_ids: [agentId] });
    assert.equal(team.status, 201, JSON.stringify(team.body));

    await page.getByRole('link', { name: /分派规则/ }).click();
    await page.waitForURL('**/routing-rules');
    await page.locator('table.service-tiers tr[data-tier="vip"]').waitFor();

    // A rule to a team.
    await page.getByRole('button', { name: '新建规则 New rule' }).click();
    let dlg = page.getByRole('dialog');
    await dlg.getByLabel('名称').fill('电话查档');
    await dlg.getByLabel('渠道').selectOption('phone');
    await dlg.getByLabel('关键词').fill('查档 预约');
    await dlg.getByLabel('班组').selectOption({ label: '查档专线组' });
    await dlg.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('table.routing-rules tr', { hasText: '电话查档' }).waitFor();

    // A rule to an agent, chosen by name from the staff directory; without a target the
    // dialog says what is missing.
    await page.getByRole('button', { name: '新建规则 New rule' }).click();
    dlg = page.getByRole('dialog');
    await dlg.getByLabel('名称').fill('VIP 专线');
    await dlg.getByLabel('服务等级').selectOption('vip');
    await dlg.getByLabel('分派给').selectOption('agent');
    await dlg.getByRole('button', { name: '保存 Save' }).click();
    await dlg.locator('.field[data-field="agent_id"].has-error').waitFor();
    await dlg.locator('select[name="agent_id"][data-loaded="1"]').waitFor();
    const option = await dlg.locator('select[name="agent_id"] option', { hasText: '张受理员' }).getAttribute('value');
    assert.equal(Number(option), agentId);
    await dlg.getByLabel('受理员').selectOption(option);
    await dlg.getByRole('button', { name: '保存 Save' }).click();
    const vipRow = page.locator('table.routing-rules tr', { hasText: 'VIP 专线' });
    await vipRow.waitFor();
    assert.match(await vipRow.textContent(), /受理员 Agent: 张受理员/);
    assert.match(await vipRow.textContent(), /等级 VIP/);

    // Order: the VIP rule moves up to be tried first; the server keeps the order.
    let names = await page.locator('table.routing-rules tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(names, ['电话查档', 'VIP 专线']);
    await vipRow.getByRole('button', { name: /上移/ }).click();
    await page.waitForFunction(() => document.querySelector('table.routing-rules tbody tr td:nth-child(2)')?.textContent === 'VIP 专线');
    const rules = await apiAs(page, 'GET', '/api/v1/routing-rules');
    assert.deepEqual(
      [...rules.body.items].sort((a, b) => a.position - b.position).map((r) => r.name),
      ['VIP 专线', '电话查档'],
    );

    // Disable, and delete (after a confirmation; cancelling keeps it).
    const phoneRow = page.locator('table.routing-rules tr', { hasText: '电话查档' });
    await phoneRow.getByRole('button', { name: '停用 Disable' }).click();
    await phoneRow.getByText('停用 Off').waitFor();
    assert.equal((await apiAs(page, 'GET', '/api/v1/routing-rules')).body.items.find((r) => r.name === '电话查档').enabled, false);
    await shot(page, '70-routing-rules');
    assert.deepEqual((await axe(page)) ?? [], [], 'routing rules: no serious accessibility violations');
    await phoneRow.getByRole('button', { name: /删除 Delete/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: '取消 Cancel' }).click();
    assert.equal(await phoneRow.count(), 1);
    await phoneRow.getByRole('button', { name: /删除 Delete/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: '删除 Delete' }).click();
    await phoneRow.waitFor({ state: 'detached' });
    assert.equal((await apiAs(page, 'GET', '/api/v1/routing-rules')).body.items.length, 1);

    // Tiers: VIP gets 40 % of the SLA budgets.
    await page.locator('tr[data-tier="vip"]').getByRole('button', { name: /修改/ }).click();
    dlg = page.getByRole('dialog');
    await dlg.getByLabel('时限比例').fill('5');
    await dlg.getByRole('button', { name: '保存 Save' }).click();
    await dlg.locator('.field[data-field="sla_percent"].has-error').waitFor();
    await dlg.getByLabel('时限比例').fill('40');
    await dlg.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('tr[data-tier="vip"]', { hasText: '40%' }).waitFor();
    const vip = (await apiAs(page, 'GET', '/api/v1/service-tiers')).body.items.find((t) => t.code === 'vip');
    assert.equal(vip.sla_percent, 40);
    assert.equal(vip.notify, true);
    assert.equal(vip.on_site, true, 'editing a tier keeps what the form did not change');
    expectClean(page, assert);
    await page.context().close();

    // An agent reads the rules but has no buttons to change them.
    const agent = await newPage(ctx);
    await login(agent, 'agent', ctx.server.password);
    await agent.goto('/routing-rules');
    await agent.locator('table.routing-rules tr', { hasText: 'VIP 专线' }).waitFor();
    assert.equal(await agent.getByRole('button', { name: '新建规则 New rule' }).count(), 0);
    expectClean(agent, assert);
    await agent.context().close();
  });

  test('an agent sets the patron tier, lends, renews and takes back a record; an overdue loan is marked', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    const records = await apiAs(page, 'GET', '/api/v1/records?access_level=open&status=active&limit=20');
    loanRecord = records.body.items.find((r) => r.reference_code);
    assert.ok(loanRecord, 'an open record in the demo data');
    const patron = (await apiAs(page, 'GET', `/api/v1/patrons/${PATRON}`)).body;

    // The tier on the patron page.
    await page.goto(`/patrons/${PATRON}`);
    const tier = page.locator('section.patron-tier');
    await tier.getByLabel('等级').selectOption('vip');
    await tier.getByRole('button', { name: '保存 Save' }).click();
    await tier.locator('.badge', { hasText: 'VIP' }).waitFor();
    assert.equal((await apiAs(page, 'GET', `/api/v1/patrons/${PATRON}/service-tier`)).body.tier, 'vip');

    // Lend: the code typed as a scanner would (Enter goes on to the patron search).
    await page.getByRole('link', { name: /借阅/ }).first().click();
    await page.waitForURL('**/loans');
    const form = page.locator('form.lend-form');
    await form.getByLabel('档号或记录编号').fill(loanRecord.reference_code);
    await form.getByLabel('档号或记录编号').press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), '查找用户 Find a patron');
    // The search sits beside the patron number it fills in, with room to type a name.
    const idBox = await form.getByLabel('用户编号').boundingBox();
    const findBox = await form.getByLabel('查找用户 Find a patron').boundingBox();
    assert.ok(Math.abs(idBox.y - findBox.y) < 4 && findBox.x > idBox.x + idBox.width, `search beside the number: ${JSON.stringify({ idBox, findBox })}`);
    assert.ok(findBox.width >= 300, `search box ${findBox.width}px wide`);
    await form.getByLabel('查找用户 Find a patron').fill(patron.name);
    await form.getByRole('button', { name: '查找 Find' }).click();
    await form.locator(`button[data-patron="${PATRON}"]`).click();
    await form.getByRole('button', { name: '借出 Lend' }).click();
    const row = page.locator('table.loans-table tbody tr', { hasText: loanRecord.reference_code });
    await row.waitFor();
    loanId = Number(await row.getAttribute('data-loan'));
    assert.match(await row.textContent(), /借出中 Open/);
    assert.equal(await row.locator(`a.patron-link[href="/patrons/${PATRON}"]`).textContent(), patron.name, 'the borrower by name');
    // The same record again: the server's refusal is shown in the form.
    await form.getByLabel('档号或记录编号').fill(loanRecord.reference_code);
    await form.getByLabel('用户编号').fill(String(PATRON));
    await form.getByRole('button', { name: '借出 Lend' }).click();
    await form.locator('.form-error:not([hidden]), .field.has-error').first().waitFor();

    // The patron's history names the due time as staff read times (Beijing, to the minute),
    // not in its stored UTC form.
    await page.goto(`/patrons/${PATRON}`);
    const lent = page.locator('.timeline .event[data-kind="loan.lent"] .event-summary').first();
    await lent.waitFor();
    const lentText = await lent.textContent();
    assert.match(lentText, /due \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, lentText);
    await page.goto('/loans');

    // Renew.
    const dueBefore = (await apiAs(page, 'GET', `/api/v1/loans/${loanId}`)).body.due_at;
    await row.getByRole('button', { name: '续借 Renew' }).click();
    await page.locator(`table.loans-table tr[data-loan="${loanId}"] td:nth-child(5)`, { hasText: '1' }).waitFor();
    assert.equal(await page.locator(`table.loans-table tr[data-loan="${loanId}"] a.patron-link`).textContent(), patron.name, 'the renewed row keeps the name');
    const renewed = (await apiAs(page, 'GET', `/api/v1/loans/${loanId}`)).body;
    assert.equal(renewed.renewals, 1);
    assert.ok(renewed.due_at > dueBefore);

    // Overdue: the due time moved 3 days into the past (as if time had passed).
    sql(ctx, `UPDATE loans SET due_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days', '-1 hours') WHERE id = ${loanId}`);
    await page.getByLabel('状态').selectOption('overdue');
    const late = page.locator(`table.loans-table tr.overdue[data-loan="${loanId}"]`);
    await late.waitFor();
    assert.match(await late.textContent(), /逾期 4 天/);
    await shot(page, '71-loans-overdue');
    assert.deepEqual((await axe(page)) ?? [], [], 'loans: no serious accessibility violations');

    // The pager: a filter changed twice while a page is on its way adds each loan once.
    await page.route('**/api/v1/loans?*', async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    });
    await page.getByLabel('状态').selectOption('');
    await page.getByLabel('排序').selectOption('due_at');
    await page.getByLabel('排序').selectOption('-id');
    await page.waitForFunction(() => {
      const p = document.querySelector('.pager');
      return p && p.dataset.loaded === p.dataset.generation;
    });
    await page.waitForTimeout(600);
    const ids = await page.locator('table.loans-table tbody tr[data-loan]').evaluateAll((trs) => trs.map((t) => t.dataset.loan));
    assert.ok(ids.length >= 1);
    assert.equal(new Set(ids).size, ids.length, `no loan twice: ${ids}`);
    await page.unroute('**/api/v1/loans?*');

    // Return with a note on the record's condition.
    await page.locator(`tr[data-loan="${loanId}"]`).getByRole('button', { name: '归还 Return' }).click();
    const dlg = page.getByRole('dialog');
    assert.match(await dlg.textContent(), /逾期 4 天/);
    await dlg.getByLabel('档案状况').fill('完好，封面轻微磨损');
    await dlg.getByRole('button', { name: '确认归还 Take back' }).click();
    await page.locator(`tr[data-loan="${loanId}"][data-status="returned"]`, { hasText: '封面轻微磨损' }).waitFor();

    // The patron page shows the loan.
    await page.goto(`/patrons/${PATRON}`);
    await page.locator(`section.patron-loans tr[data-loan="${loanId}"]`, { hasText: '已归还' }).waitFor();
    await page.locator('section.patron-tier').scrollIntoViewIfNeeded();
    await shot(page, '72-patron-tier-loans');
    assert.deepEqual((await axe(page)) ?? [], [], 'patron page: no serious accessibility violations');
    expectClean(page, assert);
    await page.context().close();
  });

  test('the assignee is picked by name; the VIP patron sees notices and their loans on the portal', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    const opened = await apiAs(page, 'POST', '/api/v1/tickets', { kind: 'consultation', channel: 'phone', subject: '借阅到期咨询', body: '想续借档案', patron_id: PATRON });
    assert.equal(opened.status, 201, JSON.stringify(opened.body));
    const id = opened.body.id;
    await page.goto(`/tickets/${id}`);
    const assign = page.locator('form.assign-form');
    await assign.locator('select[name="assignee_id"][data-loaded="1"]').waitFor();
    const archivist = await assign.locator('select[name="assignee_id"] option', { hasText: '王档案员' }).getAttribute('value');
    await assign.getByLabel('负责人').selectOption(archivist);
    await assign.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('form.assign-form .staff-name', { hasText: '王档案员' }).waitFor();
    assert.equal((await apiAs(page, 'GET', `/api/v1/tickets/${id}`)).body.assignee_id, Number(archivist));
    await shot(page, '73-ticket-assignee');
    // A VIP patron (tier with notify) is told when the ticket is resolved.
    const resolved = await apiAs(page, 'POST', `/api/v1/tickets/${id}/resolve`, { resolution: '已告知续借办法' });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    expectClean(page, assert);
    await page.context().close();

    await ctx.server.addUser('reader.loans', 'patron', { patron: PATRON, password: PORTAL_PASSWORD });
    const portal = await newPage(ctx);
    await login(portal, 'reader.loans', PORTAL_PASSWORD);
    await portal.goto('/portal');
    const notices = portal.locator('section.portal-notices');
    await notices.locator('.notice-item.unread').first().waitFor();
    assert.match(await notices.locator('h2').textContent(), /\d+ 条未读/);
    assert.match(await notices.textContent(), new RegExp(opened.body.number));
    await portal.locator(`section.patron-loans tr[data-loan="${loanId}"]`).waitFor();
    assert.equal(await portal.locator('section.patron-loans table button').count(), 0, 'no staff actions on the portal');
    await shot(portal, '74-portal-notices-loans');
    assert.deepEqual((await axe(portal)) ?? [], [], 'portal: no serious accessibility violations');
    await notices.getByRole('button', { name: /全部标为已读/ }).click();
    await notices.getByText('无未读').waitFor();
    assert.equal(await notices.locator('.notice-item.unread').count(), 0);
    expectClean(portal, assert);
    await portal.context().close();
  });
});
