// admin-portal.test.mjs — the administrator manages accounts; a portal account sees
// and corrects its own record and nothing else.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PORTAL_PASSWORD = 'Portal-Pass-2024!x';

describe('administrator and portal', () => {
  const ctx = useServer();

  test('the administrator creates, disables and enables accounts', async () => {
    const page = await newPage(ctx);
    await login(page, 'admin', ctx.server.password);
    await page.getByRole('link', { name: /账号管理/ }).click();
    await page.waitForURL('**/users');
    await page.locator('tr[data-username="agent"]').waitFor();

    const form = page.locator('form.create-user');
    await form.getByLabel('用户名').fill('agent.new');
    await form.getByLabel('姓名').fill('孙新坐席');
    await form.getByLabel('初始密码').fill('short');
    await form.getByLabel('角色').selectOption('agent');
    await form.getByLabel('单位 Unit', { exact: true }).selectOption({ index: 1 });
    await form.getByRole('button', { name: '创建账号 Create account' }).click();
    await form.locator('.field[data-field="password"] .field-error').waitFor({ state: 'visible' });
    assert.match(await form.locator('.field[data-field="password"] .field-error').textContent(), /12/);
    await form.getByLabel('初始密码').fill('Agent-New-Pass-2024');
    await form.getByRole('button', { name: '创建账号 Create account' }).click();
    const row = page.locator('tr[data-username="agent.new"]');
    await row.waitFor();
    assert.match(await row.textContent(), /受理员/);
    assert.match(await row.textContent(), /孙新坐席/);

    // A portal account needs the patron it belongs to.
    await form.getByLabel('用户名').fill('reader.one');
    await form.getByLabel('初始密码').fill('Reader-One-Pass-2024');
    await form.getByLabel('角色').selectOption('patron');
    await form.getByRole('button', { name: '创建账号 Create account' }).click();
    await form.locator('.field[data-field="patron_id"] .field-error').getByText(/用户编号|patron id/).waitFor();
    await shot(page, '14-users');
    assert.deepEqual((await axe(page)) ?? [], [], 'users: no serious accessibility violations');

    await row.getByRole('button', { name: '停用 Disable' }).click();
    await row.getByText('已停用').waitFor();
    await row.getByRole('button', { name: '启用 Enable' }).click();
    await row.getByText('正常').waitFor();
    expectClean(page, assert);
    await page.context().close();
  });

  test('a portal user sees their own record unmasked, edits contacts, exports, and cannot open another patron', async () => {
    await ctx.server.addUser('reader.zhang', 'patron', { patron: 14, password: PORTAL_PASSWORD });
    const page = await newPage(ctx);
    await login(page, 'reader.zhang', PORTAL_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/portal');
    await page.getByRole('heading', { name: /我的档案/ }).waitFor();
    assert.equal(await page.getByRole('link', { name: '用户 Patrons' }).count(), 0);
    assert.equal(await page.locator('.badge.mask').count(), 0, 'nothing masked for the patron themself');
    const phone = await page.locator('.contact[data-kind="phone"] .contact-value').first().textContent();
    assert.match(phone, /^1\d{10}$/);
    assert.match(await page.locator('[data-field="id_document"]').textContent(), /\d{17}[\dX]/);
    await page.locator('.timeline .event').first().waitFor();
    await shot(page, '15-portal');
    assert.deepEqual((await axe(page)) ?? [], [], 'portal: no serious accessibility violations');

    await page.getByRole('button', { name: '修改联系信息 Edit my details' }).click();
    assert.equal(await page.getByLabel('姓名 / 名称').count(), 0, 'the name is not self-editable');
    await page.getByLabel('电话').fill(`${phone}\n13800138000`);
    await page.getByLabel('电子邮件').fill('not-an-email');
    await page.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('.field[data-field="emails"] .field-error').getByText(/e-mail/).waitFor();
    await page.getByLabel('电子邮件').fill('zhang.reader@example.cn');
    await page.getByLabel('同意推广').check();
    await shot(page, '16-portal-edit');
    await page.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('.contact-value', { hasText: '13800138000' }).waitFor();
    await page.locator('.contact-value', { hasText: 'zhang.reader@example.cn' }).waitFor();
    assert.match(await page.locator('li[data-consent="marketing"]').textContent(), /已同意/);
    await page.locator('.timeline .event[data-kind="patron.changed"]').first().waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出我的数据 Export my data' }).click()]);
    const data = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(data.patron.id, 14);
    assert.ok(!('staff_notes' in data.patron));

    await page.goto('/patrons/15');
    await page.getByRole('heading', { name: /无权访问/ }).waitFor();
    assert.match(await page.locator('.error-page').textContent(), /own record/);
    const other = await apiAs(page, 'GET', '/api/v1/patrons/15');
    assert.equal(other.status, 403);
    await page.goto('/patrons');
    await page.getByRole('heading', { name: /无权访问/ }).waitFor();
    // Their own patron page is the portal.
    await page.goto('/patrons/14');
    await page.waitForURL('**/portal');
    expectClean(page, assert);
    await page.context().close();
  });
});
