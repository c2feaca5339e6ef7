// corrections.test.mjs — a key-field correction: the archivist asks (with a reason),
// the page says it waits for approval, the manager approves, the name changes; and the
// manager's export, merge and erase.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, expectClean, login, newPage, shot, useServer } from './harness.mjs';

let patronId;
let oldName;

describe('key-field corrections and manager actions', () => {
  const ctx = useServer();

  test('the archivist requests a name correction; it waits for approval', async () => {
    const page = await newPage(ctx);
    await login(page, 'archivist', ctx.server.password);
    const list = await apiAs(page, 'GET', '/api/v1/patrons?q=%E7%8E%8B&type=person&limit=1');
    patronId = list.body.items[0].id;
    oldName = list.body.items[0].name;
    await page.goto(`/patrons/${patronId}`);
    await page.getByRole('button', { name: '编辑 Edit' }).click();
    await page.getByLabel('姓名 / 名称').fill(`${oldName}新`);
    await page.getByRole('button', { name: '保存 Save' }).click();
    // Without a reason the server refuses, next to the reason field.
    await page.locator('.field[data-field="reason"] .field-error').getByText(/reason/).waitFor();
    await page.getByLabel('更正理由').fill('户籍登记更名，凭派出所证明 name changed at the registry');
    await shot(page, '10-name-correction-form');
    await page.getByRole('button', { name: '保存 Save' }).click();
    const pending = page.getByTestId('pending-changes');
    await pending.waitFor();
    assert.match(await pending.textContent(), /姓名/);
    assert.match(await page.locator('.notice.warn').first().textContent(), /待审批|Pending approval/);
    // The name itself is unchanged until a second person approves.
    assert.match(await page.getByRole('heading', { level: 1 }).textContent(), new RegExp(`^${oldName} `));
    await page.locator('.timeline .event[data-kind="patron.key_change_requested"]').waitFor();
    await shot(page, '11-pending-approval');

    // The archivist cannot approve their own request.
    await page.goto('/key-changes');
    const row = page.locator(`tr:has(a[href="/patrons/${patronId}"])`).first();
    await row.waitFor();
    assert.equal(await row.getByRole('button', { name: '批准 Approve' }).isDisabled(), true);
    expectClean(page, assert);
    await page.context().close();
  });

  test('the manager approves it and the patron carries the new name', async () => {
    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    await page.getByRole('link', { name: /关键字段更正/ }).click();
    await page.waitForURL('**/key-changes');
    const row = page.locator(`tr:has(a[href="/patrons/${patronId}"])`).first();
    await row.waitFor();
    assert.match(await row.textContent(), new RegExp(`${oldName}新`), 'the manager sees old and new value');
    assert.match(await row.textContent(), /archivist/);
    await shot(page, '12-key-changes');
    await row.getByRole('button', { name: '批准 Approve' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('备注').fill('证明已核对');
    await dialog.getByRole('button', { name: '批准 Approve' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('没有待审批的更正').waitFor();
    await page.getByRole('link', { name: '已批准 Approved' }).click();
    await page.locator(`tr:has(a[href="/patrons/${patronId}"])`).first().getByText(/已批准/).waitFor();

    await page.goto(`/patrons/${patronId}`);
    await page.getByRole('heading', { level: 1 }).getByText(`${oldName}新`).waitFor();
    await page.locator('.timeline .event[data-kind="patron.key_change_approved"]').waitFor();
    assert.equal(await page.getByTestId('pending-changes').count(), 0);
    expectClean(page, assert);
    await page.context().close();
  });

  test('the manager sees everything unmasked, exports, merges and erases', async () => {
    const page = await newPage(ctx);
    await login(page, 'manager', ctx.server.password);
    await page.goto(`/patrons/${patronId}`);
    await page.locator('.timeline .event').first().waitFor();
    assert.equal(await page.locator('.badge.mask').count(), 0, 'a manager sees no masks');
    assert.match(await page.locator('.contact[data-kind="phone"] .contact-value').first().textContent(), /^1\d{10}$/);
    await shot(page, '13-manager-patron');

    await page.getByRole('button', { name: '导出 Export' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('dialog').getByRole('button', { name: '导出 Export' }).click()]);
    assert.equal(download.suggestedFilename(), `patron-${patronId}.json`);
    const file = JSON.parse(await (await import('node:fs/promises')).readFile(await download.path(), 'utf8'));
    assert.equal(file.format, 'dangan.patron-export/1');
    assert.equal(file.patron.id, patronId);

    // Merge a fresh duplicate into this patron.
    const dup = await apiAs(page, 'POST', '/api/v1/patrons', { type: 'person', name: `${oldName}新`, phones: ['13700001111'] });
    assert.equal(dup.status, 201);
    await page.getByRole('button', { name: '合并 Merge' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('要并入的用户编号').fill(String(dup.body.id));
    await dialog.getByLabel('理由').fill('同一人重复建档 duplicate');
    await dialog.getByRole('button', { name: '合并 Merge' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.timeline .event[data-kind="patron.merged"]').waitFor();
    await page.locator('.contact-value', { hasText: '13700001111' }).waitFor();
    // The merged id now leads to the survivor.
    await page.goto(`/patrons/${dup.body.id}`);
    await page.getByText(`#${dup.body.id} 已合并到 #${patronId}`).waitFor();
    assert.equal(new URL(page.url()).pathname, `/patrons/${patronId}`);

    // Erase a new patron.
    const gone = await apiAs(page, 'POST', '/api/v1/patrons', { type: 'person', name: '待删除用户', phones: ['13700002222'] });
    await page.goto(`/patrons/${gone.body.id}`);
    await page.getByRole('button', { name: '删除个人信息 Erase' }).click();
    const erase = page.getByRole('dialog');
    await erase.getByLabel('理由').fill('本人申请删除 PIPL request');
    await erase.getByRole('button', { name: '确认删除 Erase' }).click();
    await page.getByText('此用户的个人信息已删除').waitFor();
    assert.match(await page.getByRole('heading', { level: 1 }).textContent(), /erased/);
    assert.equal(await page.getByRole('button', { name: '编辑 Edit' }).count(), 0);
    expectClean(page, assert);
    await page.context().close();
  });
});
