// staff.test.mjs — the agent's day (search, masked values, reveal, create, edit),
// log-in errors, log-out, and the auditor's view of it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

// A valid resident ID number (GB 11643 check digit) for a given 17-digit body.
function residentId(body17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body17].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return body17 + '10X98765432'[sum % 11];
}
// The same body with a wrong check digit.
function badResidentId(body17) {
  const good = residentId(body17);
  return body17 + (good.endsWith('0') ? '1' : '0');
}

let revealedPatron;

describe('staff console', () => {
  const ctx = useServer();

  test('wrong password and lock-out are explained on the log-in page', async () => {
    const page = await newPage(ctx);
    await page.goto('/patrons');
    await page.waitForURL(/\/login\?next=%2Fpatrons/);
    await shot(page, '01-login');
    for (let i = 0; i < 5; i++) {
      await page.getByLabel('用户名').fill('agent.east');
      await page.getByLabel('密码').fill(`wrong-password-${i}`);
      await page.getByRole('button', { name: '登录 Log in' }).click();
      await assert.doesNotReject(page.getByTestId('login-error').getByText('用户名或密码错误').waitFor());
      await page.getByTestId('login-error').evaluate((el) => (el.hidden = true));
    }
    await page.getByLabel('密码').fill(ctx.server.password);
    await page.getByRole('button', { name: '登录 Log in' }).click();
    const err = page.getByTestId('login-error');
    await err.getByText('锁定').waitFor();
    assert.match(await err.textContent(), /locked/);
    await shot(page, '01-login-locked');
    expectClean(page, assert);
    await page.context().close();
  });

  test('agent searches 张, sees masked phones, opens a patron and reveals the phone with a reason', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    assert.equal(new URL(page.url()).pathname, '/patrons');
    assert.match(await page.getByTestId('current-role').textContent(), /受理员/);
    await page.locator('.patrons-table tbody tr').first().waitFor();
    assert.equal(await page.locator('.patrons-table tbody tr').count(), 50, 'the first page of the list');
    await shot(page, '02-patrons-list');
    await page.getByRole('button', { name: '加载更多 Load more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.patrons-table tbody tr').length === 100);
    // Filters narrow the list and stay in the address.
    await page.getByLabel('类型 Type').selectOption('organisation');
    await page.waitForURL(/type=organisation/);
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('.patrons-table tbody tr')];
      return rows.length > 0 && rows.length < 50 && rows.every((r) => r.children[2].textContent === '机构');
    });
    await page.getByLabel('类型 Type').selectOption('');
    await page.getByRole('searchbox').fill('张');
    await page.getByRole('button', { name: '搜索 Search' }).click();
    await page.waitForURL(/q=%E5%BC%A0/);
    const rows = page.locator('.patrons-table tbody tr');
    // The URL changes before the new rows arrive: wait for the filtered list itself.
    await page.waitForFunction(() => {
      const links = [...document.querySelectorAll('.patrons-table tbody tr .name-link')];
      return links.length > 0 && links.length < 50;
    });
    const names = await rows.locator('.name-link').allTextContents();
    assert.ok(names.length > 0, 'some patrons are called 张');
    for (const n of names) assert.ok(n.includes('张'), `${n} matches 张`);
    const phones = (await rows.locator('td.mono .masked-value').allTextContents()).filter((t) => /^1/.test(t));
    assert.ok(phones.length > 0);
    for (const p of phones) assert.match(p, /^1\d{2}\*{4}\d{4}$/, 'phones are shown masked as given');
    await shot(page, '02-patrons-search');


    await rows.first().locator('.name-link').click();
    await page.waitForURL(/\/patrons\/\d+$/);
    revealedPatron = Number(new URL(page.url()).pathname.split('/').pop());
    await page.locator('.timeline .event').first().waitFor();
    const phone = page.locator('.contact[data-kind="phone"] .contact-value').first();
    const masked = await phone.textContent();
    assert.match(masked, /^1\d{2}\*{4}\d{4}$/);
    assert.ok(await page.locator('.badge.mask').first().isVisible(), 'masked fields are marked');
    await shot(page, '03-patron-360');

    await page.locator('button[data-reveal="phones"]').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: '显示 Reveal' }).click();
    await dialog.locator('.field-error').getByText(/reason|理由|4/).waitFor();
    await dialog.getByLabel('理由').fill('回访核对电话 call-back check');
    await shot(page, '04-reveal-dialog');
    await dialog.getByRole('button', { name: '显示 Reveal' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.contact[data-kind="phone"] .contact-value.revealed-value').first().waitFor();
    const full = await phone.textContent();
    assert.match(full, /^1\d{10}$/, 'the phone is shown in full');
    assert.equal(full.slice(0, 3), masked.slice(0, 3));
    assert.equal(full.slice(-4), masked.slice(-4));
    await page.locator('.timeline .event[data-kind="patron.revealed"]').first().waitFor();
    await shot(page, '05-patron-revealed');
    expectClean(page, assert);
    await page.context().close();
  });

  test('a bad resident ID is shown under its field; fixed, the new patron page opens', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    await page.getByRole('link', { name: '新建用户 New patron' }).first().click();
    await page.waitForURL('**/patrons/new');
    await page.getByLabel('姓名 / 名称').fill('欧阳测试');
    await page.getByLabel('证件类型').selectOption('resident_id');
    await page.getByLabel('证件号码').fill(badResidentId('11010519900307123'));
    await page.getByLabel('电话').fill('13912345678');
    await page.getByLabel('职业').fill('教师');
    await page.getByRole('button', { name: '建档 Create' }).click();
    const docField = page.locator('.field[data-field="id_document.number"]');
    await docField.locator('.field-error').getByText(/resident ID/).waitFor();
    assert.equal(await page.getByLabel('证件号码').getAttribute('aria-invalid'), 'true');
    assert.match(new URL(page.url()).pathname, /\/patrons\/new$/);
    await shot(page, '06-new-patron-error');

    await page.getByLabel('证件号码').fill(residentId('11010519900307123'));
    await page.getByRole('button', { name: '建档 Create' }).click();
    await page.waitForURL(/\/patrons\/\d+$/);
    await page.getByRole('heading', { level: 1 }).getByText('欧阳测试').waitFor();
    await page.getByText('已建档。Patron created.').waitFor();
    assert.match(await page.locator('[data-field="occupation"]').textContent(), /教师/);
    await page.locator('.timeline .event[data-kind="patron.created"]').waitFor();
    await shot(page, '07-new-patron-created');
    const firstId = new URL(page.url()).pathname.split('/').pop();

    // A second patron with the same phone: created, with the first one named as a likely duplicate.
    await page.goto('/patrons/new');
    await page.getByLabel('姓名 / 名称').fill('欧阳测试二');
    await page.getByLabel('电话').fill('139-1234-5678');
    await page.getByRole('button', { name: '建档 Create' }).click();
    await page.waitForURL(/\/patrons\/\d+$/);
    const dups = page.getByTestId('duplicates');
    await dups.waitFor();
    assert.match(await dups.textContent(), new RegExp(`#${firstId} 欧阳测试`));
    assert.match(await dups.textContent(), /电话/);
    expectClean(page, assert);
    await page.context().close();
  });

  test('editing a non-key field shows on the page and on the timeline', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    await page.goto(`/patrons/${revealedPatron}`);
    await page.locator('.timeline .event').first().waitFor();
    await page.getByRole('button', { name: '编辑 Edit' }).click();
    await page.getByLabel('职业').fill('地方志编纂');
    // A masked phone cannot be typed over: it has to be revealed first.
    assert.equal(await page.getByLabel('电话').isDisabled(), true);
    await shot(page, '08-patron-edit');
    await page.getByRole('button', { name: '保存 Save' }).click();
    await page.locator('[data-field="occupation"]').getByText('地方志编纂').waitFor();
    const first = page.locator('.timeline .event').first();
    await first.getByText('资料变更').waitFor();
    assert.match(await first.textContent(), /occupation/);
    expectClean(page, assert);
    await page.context().close();
  });

  test('relations: add by patron id and kind, then remove', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    await page.goto(`/patrons/${revealedPatron}`);
    const card = page.locator('.card', { has: page.getByRole('heading', { name: '关系 Relations' }) });
    await card.waitFor();
    const before = await card.locator('tbody tr').count();
    const other = revealedPatron === 20 ? 21 : 20;
    await card.getByLabel('对方用户编号').fill(String(other));
    await card.getByLabel('关系 Kind', { exact: true }).selectOption('colleague');
    await card.getByLabel('角色').fill('同事');
    await card.getByRole('button', { name: '添加 Add' }).click();
    await card.locator('tbody tr', { hasText: `#${other}` }).first().waitFor();
    assert.equal(await card.locator('tbody tr').count(), before + 1);
    await card.getByLabel('对方用户编号').fill(String(revealedPatron));
    await card.getByRole('button', { name: '添加 Add' }).click();
    await card.locator('.field[data-field="related_id"] .field-error').getByText(/itself/).waitFor();
    await card.locator('tbody tr', { hasText: `#${other}` }).first().getByRole('button', { name: /移除/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: '移除 Remove' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('table.relations tbody tr').length === n, before);
    expectClean(page, assert);
    await page.context().close();
  });

  test('the analyst sees patrons de-identified, with nothing to reveal or edit', async () => {
    const page = await newPage(ctx);
    await login(page, 'analyst', ctx.server.password);
    await page.locator('.patrons-table tbody tr').first().waitFor();
    const person = page.locator('.patrons-table tbody tr', { hasText: '个人' }).first();
    assert.match(await person.textContent(), /已去标识/);
    assert.doesNotMatch(await person.textContent(), /\d{3}\*{4}\d{4}/);
    await person.click();
    await page.waitForURL(/\/patrons\/\d+$/);
    await page.locator('.timeline .event').first().waitFor();
    assert.equal(await page.locator('button[data-reveal]').count(), 0);
    assert.equal(await page.getByRole('button', { name: '编辑 Edit' }).count(), 0);
    await shot(page, '17-analyst-patron');
    expectClean(page, assert);
    await page.context().close();
  });

  test('a reload keeps the session; log-out ends it', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    await page.reload();
    await page.getByTestId('current-user').waitFor();
    assert.equal(new URL(page.url()).pathname, '/patrons');
    await page.getByRole('button', { name: '退出 Log out' }).click();
    await page.waitForURL('**/login');
    await page.goto('/patrons');
    await page.waitForURL(/\/login/);
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    assert.equal(me, 401);
    expectClean(page, assert);
    await page.context().close();
  });

  test('the auditor sees the reveal in the audit trail and cannot open the patron list', async () => {
    const page = await newPage(ctx);
    await login(page, 'auditor', ctx.server.password);
    assert.equal(new URL(page.url()).pathname, '/audit');
    assert.equal(await page.getByRole('link', { name: '用户 Patrons' }).count(), 0, 'no patron list in the navigation');
    await page.getByLabel('用户编号').fill(String(revealedPatron));
    await page.getByLabel('操作 Action', { exact: true }).fill('patron.reveal');
    await page.getByRole('button', { name: '查询 Search' }).click();
    const row = page.locator('table.audit tbody tr[data-action="patron.reveal"]').first();
    await row.waitFor();
    assert.match(await row.textContent(), /回访核对电话/);
    assert.match(await row.textContent(), /agent/);
    assert.match(await row.textContent(), /phones/);
    await shot(page, '09-audit');
    assert.deepEqual((await axe(page)) ?? [], [], 'audit trail: no serious accessibility violations');

    await page.goto('/patrons');
    await page.getByRole('heading', { name: /无权访问/ }).waitFor();
    assert.equal(await page.locator('.patrons-table').count(), 0);
    const api = await apiAs(page, 'GET', '/api/v1/patrons');
    assert.equal(api.status, 403, 'the server refuses too');
    await page.goto(`/patrons/${revealedPatron}`);
    await page.getByRole('heading', { name: /无权访问/ }).waitFor();
    expectClean(page, assert);
    await page.context().close();
  });

  test('main screens have no serious accessibility violations (axe-core)', async (t) => {
    const page = await newPage(ctx);
    await page.goto('/login');
    await page.getByLabel('用户名').waitFor();
    const results = { login: await axe(page) };
    if (results.login === null) return t.skip('axe-core is not installed');
    await login(page, 'manager', ctx.server.password);
    await page.locator('.patrons-table tbody tr').first().waitFor();
    results.patrons = await axe(page);
    await page.goto(`/patrons/${revealedPatron}`);
    await page.locator('.timeline .event').first().waitFor();
    results.patron = await axe(page);
    await page.goto('/patrons/new');
    await page.getByLabel('姓名 / 名称').waitFor();
    results.newPatron = await axe(page);
    await page.goto('/key-changes');
    await page.locator('table.key-changes').waitFor();
    results.keyChanges = await axe(page);
    for (const [screen, v] of Object.entries(results)) assert.deepEqual(v, [], `${screen}: ${JSON.stringify(v, null, 1)}`);
    await page.context().close();
  });
});
