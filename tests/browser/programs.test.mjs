// programs.test.mjs — knowledge services (定题服务, D27) and the feature-use report of
// the trace points (D33): a manager turns the portal-page point on; an agent starts a
// research service from a patron's page, records a delivery of a catalogue record and a
// milestone; the patron sees it under 我的定题服务 in the portal (which traces the pages
// they open); the manager reads the feature use. Screenshots and axe on every new page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PORTAL_PASSWORD = 'Portal-Research-Pass-2024!';
const PATRON = 14;

describe('knowledge services and feature use', () => {
  const ctx = useServer();
  let serviceId;
  let topic;

  test('a manager turns the portal-page trace point on', async () => {
    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    await page.getByRole('link', { name: /功能使用/ }).click();
    await page.waitForURL('**/feature-use*');
    const row = page.locator('.trace-points tr[data-kind="portal_page"]');
    await row.waitFor();
    await row.getByRole('checkbox').check();
    await row.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('.trace-points tr[data-kind="portal_page"] .badge.ok').waitFor();
    assert.deepEqual((await axe(page)) ?? [], [], 'feature use: no serious accessibility violations');
    expectClean(page, assert);
    await page.context().close();
  });

  test('an agent starts a research service from the patron page, delivers a record and reaches a milestone', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    const records = await apiAs(page, 'GET', '/api/v1/records?access_level=open&limit=1');
    assert.equal(records.status, 200);
    const record = records.body.items[0];
    await page.goto(`/patrons/${PATRON}`);
    const section = page.locator('section.research-projects');
    await section.getByText('当前没有定题服务').waitFor();
    await section.getByRole('button', { name: '新建 Start one' }).click();
    const dlg = page.getByRole('dialog');
    topic = '近代盐业史专题';
    await dlg.getByLabel('课题').fill(topic);
    await dlg.getByLabel('范围').fill('1912–1949 年盐务机构的档案与出版物');
    await dlg.getByLabel('首个里程碑').fill('检索目录');
    await dlg.getByLabel('里程碑期限').fill('2027-01-10');
    await dlg.getByRole('button', { name: '开始 Start' }).click();
    await page.waitForURL(/\/knowledge-services\/\d+$/);
    serviceId = Number(new URL(page.url()).pathname.split('/').pop());
    await page.getByRole('heading', { name: new RegExp(topic) }).waitFor();

    await page.getByRole('button', { name: '记录交付 Record delivery' }).click();
    const d = page.getByRole('dialog');
    await d.getByLabel('交付内容').fill('第一批：盐务署档案目录及复印件 12 页');
    await d.getByLabel('档案编号').fill(String(record.id));
    await d.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('ol.deliveries > li', { hasText: record.reference_code }).waitFor();
    await page.locator('ul.milestones li', { hasText: '检索目录' }).getByRole('button', { name: '完成 Done' }).click();
    await page.locator('ul.milestones li[data-done="true"]').waitFor();
    await shot(page, '60-knowledge-service');
    assert.deepEqual((await axe(page)) ?? [], [], 'knowledge service: no serious accessibility violations');

    // The list, and the project on the patron's page.
    await page.getByRole('link', { name: /定题服务 Knowledge services/ }).click();
    await page.waitForURL('**/knowledge-services*');
    await page.locator(`.knowledge-table tr[data-id="${serviceId}"]`).waitFor();
    assert.match(await page.locator(`.knowledge-table tr[data-id="${serviceId}"]`).textContent(), /近代盐业史专题.*1/);
    await shot(page, '61-knowledge-services');
    assert.deepEqual((await axe(page)) ?? [], [], 'knowledge services: no serious accessibility violations');
    await page.goto(`/patrons/${PATRON}`);
    await page.locator('section.research-projects a', { hasText: topic }).waitFor();
    expectClean(page, assert);
    await page.context().close();
  });

  test('the patron sees the project in the portal; the manager sees the portal pages used', async () => {
    await ctx.server.addUser('reader.research', 'patron', { patron: PATRON, password: PORTAL_PASSWORD });
    const portal = await newPage(ctx);
    await login(portal, 'reader.research', PORTAL_PASSWORD);
    await portal.getByRole('link', { name: /我的定题服务/ }).click();
    await portal.waitForURL('**/portal/research');
    const card = portal.locator(`article.research[data-id="${serviceId}"]`);
    await card.waitFor();
    assert.match(await card.textContent(), /近代盐业史专题/);
    assert.match(await card.textContent(), /盐务署档案目录/);
    await shot(portal, '62-portal-research');
    assert.deepEqual((await axe(portal)) ?? [], [], 'portal research: no serious accessibility violations');
    expectClean(portal, assert);
    await portal.context().close();

    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    await page.goto('/feature-use?kind=portal_page');
    const row = page.locator('.feature-targets tr', { hasText: '/portal/research' });
    await row.waitFor();
    assert.match(await row.textContent(), /\/portal\/research\s*1\s*1/);
    assert.ok(Number(await page.locator('[data-stat="total"]').textContent()) >= 2);
    await shot(page, '63-feature-use');
    assert.deepEqual((await axe(page)) ?? [], [], 'feature use report: no serious accessibility violations');
    expectClean(page, assert);
    await page.context().close();
  });
});
