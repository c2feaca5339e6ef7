// onsite-visits.test.mjs — on-site visits (上门服务): an agent books a visit for a patron
// from the list screen (a weekend is refused beside the date), records the outcome of one
// that has happened, and sees the patron's visits on the patron page; a patron in the VIP
// tier requests a visit on the portal and cancels it. Screenshots and axe on each screen.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PORTAL_PASSWORD = 'Portal-Onsite-Pass-2024!';
const PATRON = 16;

// A Monday–Friday in Beijing `days` days from today (moved forward past a weekend).
function workday(days) {
  const d = new Date(Date.now() + 8 * 3600e3 + days * 86400e3);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
function saturday(days) {
  const d = new Date(Date.now() + 8 * 3600e3 + days * 86400e3);
  while (d.getUTCDay() !== 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

describe('on-site visits', () => {
  const ctx = useServer();

  test('an agent books a visit, records one that happened, and sees them on the patron page', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    const me = (await apiAs(page, 'GET', '/api/v1/me')).body;
    // One that happened last week, booked for this agent.
    const past = workday(-9);
    const done = await apiAs(page, 'POST', '/api/v1/onsite-visits', {
      patron_id: PATRON,
      purpose: 'collection',
      address: '北京市海淀区学院路35号6号楼201',
      contact_phone: '13912345678',
      starts_at: `${past}T09:00:00+08:00`,
      ends_at: `${past}T11:00:00+08:00`,
      staff_ids: [me.id],
    });
    assert.equal(done.status, 201, JSON.stringify(done.body));

    await page.getByRole('link', { name: /上门服务/ }).click();
    await page.waitForURL('**/onsite-visits');
    await page.locator(`.onsite-table tr[data-id="${done.body.id}"]`).waitFor();

    await page.getByRole('button', { name: '预约上门 Book a visit' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('用户编号').fill(String(PATRON));
    await dlg.getByLabel('事由').selectOption('delivery');
    await dlg.getByLabel('日期').fill(saturday(7));
    await dlg.getByLabel('开始').fill('14:00');
    await dlg.getByLabel('结束').fill('15:30');
    await dlg.getByLabel('地址').fill('北京市海淀区学院路35号6号楼201');
    await dlg.getByLabel('联系电话').fill('13912345678');
    await dlg.getByLabel('内部备注').fill('送达婚姻登记档案复印件两份');
    await dlg.getByRole('button', { name: '预约 Book' }).click();
    // A Saturday is not a working day: the message is beside the date.
    await dlg.locator('.field.has-error[data-field="starts_at"] .field-error', { hasText: '工作日' }).or(dlg.locator('.field.has-error[data-field="starts_at"] .field-error', { hasText: 'working day' })).waitFor();
    const day = workday(7);
    await dlg.getByLabel('日期').fill(day);
    await shot(page, '70-onsite-book');
    assert.deepEqual((await axe(page)) ?? [], [], 'booking dialog: no serious accessibility violations');
    await dlg.getByRole('button', { name: '预约 Book' }).click();
    await dlg.waitFor({ state: 'detached' });
    const booked = page.locator('.onsite-table tbody tr[data-status="booked"]', { hasText: `${day} 14:00–15:30` });
    await booked.waitFor();
    assert.match(await booked.textContent(), /送达复印件/);
    assert.ok((await booked.textContent()).includes(me.display_name || me.username), 'the agent goes (checked by default)');

    // Record the one that happened.
    const row = page.locator(`.onsite-table tr[data-id="${done.body.id}"]`);
    await row.getByRole('button', { name: '记录结果 Record' }).click();
    const rec = page.getByRole('dialog');
    await rec.getByLabel('经过与结果').fill('接收家属捐赠的家书与照片，已开具接收凭证。');
    await rec.getByLabel('用时').fill('95');
    await rec.getByLabel('满意度').selectOption('5');
    await rec.getByLabel('接收/送达物品').fill('家书（1950–1962）\n老照片 12 张');
    await rec.getByRole('button', { name: '保存 Save' }).click();
    await page.locator(`.onsite-table tr[data-id="${done.body.id}"][data-status="done"]`).waitFor();
    assert.match(await page.locator(`.onsite-table tr[data-id="${done.body.id}"]`).textContent(), /老照片 12 张/);
    // The patron by name, also on the row redrawn from the answer to "record".
    const patron = (await apiAs(page, 'GET', `/api/v1/patrons/${PATRON}`)).body;
    assert.equal(await page.locator(`.onsite-table tr[data-id="${done.body.id}"] a.patron-link`).textContent(), patron.name);
    assert.equal(await booked.locator('a.patron-link').textContent(), patron.name);
    await shot(page, '71-onsite-list');
    assert.deepEqual((await axe(page)) ?? [], [], 'on-site list: no serious accessibility violations');

    // The patron page lists them.
    await page.goto(`/patrons/${PATRON}`);
    const block = page.locator('ol.onsite-visits');
    await block.locator(`li[data-id="${done.body.id}"][data-status="done"]`).waitFor();
    await block.locator('li[data-status="booked"]', { hasText: '送达复印件' }).waitFor();
    await block.scrollIntoViewIfNeeded();
    await shot(page, '72-onsite-patron-page');
    expectClean(page, assert);
    await page.context().close();
  });

  test('a VIP patron requests a visit on the portal and cancels it', async () => {
    await ctx.server.addUser('reader.onsite', 'patron', { patron: PATRON, password: PORTAL_PASSWORD });
    const staff = await newPage(ctx);
    await login(staff, 'manager', ctx.server.password);
    const tier = await apiAs(staff, 'PUT', `/api/v1/patrons/${PATRON}/service-tier`, { tier: 'vip' });
    assert.equal(tier.status, 200, JSON.stringify(tier.body));
    await staff.context().close();

    const page = await newPage(ctx);
    await login(page, 'reader.onsite', PORTAL_PASSWORD);
    await page.getByRole('link', { name: /上门服务/ }).click();
    await page.waitForURL('**/portal/onsite-visits');
    const form = page.locator('form.onsite-request');
    await form.getByLabel('事由').selectOption('consultation');
    const day = workday(10);
    await form.getByLabel('日期').fill(day);
    await form.getByLabel('开始').fill('10:00');
    await form.getByLabel('结束').fill('11:00');
    await form.getByLabel('上门地址').fill('北京市海淀区学院路35号6号楼201');
    await form.getByLabel('说明').fill('老人行动不便，想咨询退休档案补办。');
    await form.getByRole('button', { name: '提交申请 Send request' }).click();
    const item = page.locator('ol.onsite-visits li[data-status="requested"]', { hasText: day });
    await item.waitFor();
    await shot(page, '73-portal-onsite');
    assert.deepEqual((await axe(page)) ?? [], [], 'portal on-site visits: no serious accessibility violations');
    await item.getByRole('button', { name: '取消 Cancel' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('原因').fill('已自行到馆');
    await dlg.getByRole('button', { name: '取消上门 Cancel visit' }).click();
    await page.locator('ol.onsite-visits li[data-status="cancelled"]', { hasText: day }).waitFor();
    expectClean(page, assert);
    await page.context().close();
  });
});
