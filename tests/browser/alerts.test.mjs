// alerts.test.mjs — the risk alerts screen: a second complaint raises a repeat-complaint
// alert, which a manager finds under "unresolved", assigns to an agent picked by name,
// acknowledges and resolves with a note (the server keeps each step), then finds under
// "resolved"; the alert rules' thresholds are changed on the same page. axe on the page.
// The patron shows by name, not number.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PATRON = 15;

describe('risk alerts', () => {
  const ctx = useServer();

  test('a manager assigns, acknowledges and resolves an alert, and changes a rule', async () => {
    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    const on = await apiAs(page, 'PUT', '/api/v1/alert-rules/repeat_complaint', { enabled: true, params: { days: 90 } });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    for (const subject of ['查档等候时间太长', '复印收费不明'])
      assert.equal((await apiAs(page, 'POST', '/api/v1/tickets', { kind: 'complaint', channel: 'phone', subject, body: '来电投诉', patron_id: PATRON })).status, 201);
    const raised = (await apiAs(page, 'GET', `/api/v1/alerts?kind=repeat_complaint&patron_id=${PATRON}`)).body.items;
    assert.equal(raised.length, 1, 'the second complaint raised one alert');
    const id = raised[0].id;

    await page.getByRole('link', { name: /风险预警/ }).click();
    await page.waitForURL('**/alerts');
    const row = page.locator(`tr[data-alert="${id}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /再次投诉/);
    // The patron by name (the list's patron_name), linking to the patron's page.
    const patron = (await apiAs(page, 'GET', `/api/v1/patrons/${PATRON}`)).body;
    const who = row.locator(`a.patron-link[href="/patrons/${PATRON}"]`);
    assert.equal(await who.textContent(), `用户 ${patron.name}`);
    assert.deepEqual((await axe(page)) ?? [], [], 'alerts: no serious accessibility violations');
    await shot(page, '80-alerts');

    // Assign to the agent, chosen by name; without a choice the dialog says so.
    await row.getByRole('button', { name: /指派/ }).click();
    let dlg = page.getByRole('dialog');
    await dlg.getByRole('button', { name: '指派 Assign' }).click();
    await dlg.locator('.field[data-field="assignee_id"].has-error').waitFor();
    await dlg.locator('select[data-loaded="1"]').waitFor();
    const agent = await dlg.locator('option', { hasText: '张受理员' }).getAttribute('value');
    await dlg.getByLabel('指派给').selectOption(agent);
    await dlg.getByRole('button', { name: '指派 Assign' }).click();
    await page.locator(`tr[data-alert="${id}"][data-status="assigned"]`, { hasText: '张受理员' }).waitFor();
    assert.equal(await page.locator(`tr[data-alert="${id}"] a.patron-link`).textContent(), `用户 ${patron.name}`, 'the redrawn row keeps the name');

    await page.locator(`tr[data-alert="${id}"]`).getByRole('button', { name: /确认/ }).click();
    await page.locator(`tr[data-alert="${id}"][data-status="acknowledged"]`).waitFor();

    await page.locator(`tr[data-alert="${id}"]`).getByRole('button', { name: /解决/ }).click();
    dlg = page.getByRole('dialog');
    await dlg.getByLabel('处理结果').fill('已电话回访致歉，并说明收费标准');
    await dlg.getByRole('button', { name: '解决 Resolve' }).click();
    await page.locator(`tr[data-alert="${id}"][data-status="resolved"]`).waitFor();
    const done = (await apiAs(page, 'GET', `/api/v1/alerts?status=resolved&patron_id=${PATRON}`)).body.items.find((a) => a.id === id);
    assert.equal(done.resolution, '已电话回访致歉，并说明收费标准');
    assert.ok(done.assignee_id, 'the assignee is kept');

    // Resolved alerts leave the default (unresolved) list and show under "resolved".
    await page.goto('/alerts');
    await page.locator('.pager[data-loaded]').waitFor();
    assert.equal(await page.locator(`tr[data-alert="${id}"]`).count(), 0);
    await page.getByLabel('状态').selectOption('resolved');
    await page.locator(`tr[data-alert="${id}"]`, { hasText: '已电话回访致歉' }).waitFor();
    assert.match(page.url(), /status=resolved/);

    // A rule's threshold, saved from the rules card.
    const rule = page.locator('tr[data-rule="repeat_contact"]');
    await rule.getByLabel(/Times/).fill('4');
    await rule.getByRole('button', { name: /保存/ }).click();
    await page.getByText('规则已保存').waitFor();
    const rules = (await apiAs(page, 'GET', '/api/v1/alert-rules')).body.items;
    assert.equal(rules.find((r) => r.kind === 'repeat_contact').params.count, 4);
    expectClean(page, assert);
    await page.context().close();
  });
});
