// contacts.test.mjs — contacts on every channel (issue 5): an agent logs a call on a
// patron's page; an unknown caller becomes a prospect, listed on /prospects and merged into
// the patron; a fax arrives as a scanned PDF on a ticket, shown in the thread with a link,
// and the ticket's e-mail card shows a reply waiting (no SMTP server here); the patron
// sees the file on the portal and adds one. axe on every new page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PATRON = 14;
const PORTAL_PASSWORD = 'Portal-Contacts-Pass-2024!';

describe('contacts', () => {
  const ctx = useServer();
  let ticketId;

  test('an agent logs a call on the patron page; a stranger becomes a prospect and is merged', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    await page.goto(`/patrons/${PATRON}`);
    const form = page.locator('form.interaction-form');
    await form.getByLabel('渠道 Channel').selectOption('phone');
    await form.getByLabel('事由 Subject').fill('询问开放时间');
    await form.getByLabel('内容 What was said').fill('已告知周一至周五开放');
    await form.getByRole('button', { name: '记录来往 Log contact' }).click();
    await page.locator('ol.interactions li', { hasText: '询问开放时间' }).waitFor();
    await shot(page, '60-patron-contacts');
    assert.deepEqual((await axe(page)) ?? [], [], 'patron page with contacts: no serious accessibility violations');

    // A call from a number no patron has.
    const logged = await apiAs(page, 'POST', '/api/v1/interactions', { channel: 'phone', direction: 'in', address: '13900007777', name: '陈先生', subject: '查询婚姻档案' });
    assert.equal(logged.status, 201);
    assert.ok(logged.body.prospect_id);
    await page.getByRole('link', { name: /未识别联系人/ }).click();
    await page.waitForURL('**/prospects');
    const row = page.locator('.prospects-table tbody tr', { hasText: '陈先生' });
    await row.waitFor();
    assert.match(await row.textContent(), /13900007777/);
    await shot(page, '61-prospects');
    assert.deepEqual((await axe(page)) ?? [], [], 'prospects: no serious accessibility violations');
    await row.getByRole('button', { name: /合并到用户/ }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('用户编号').fill(String(PATRON));
    await dlg.getByLabel('依据').fill('回电核实为本人');
    await dlg.getByRole('button', { name: '合并 Merge' }).click();
    await page.locator(`.prospects-table tbody tr[data-status="merged"] a[href="/patrons/${PATRON}"]`).waitFor();
    // The call is now on the patron.
    await page.goto(`/patrons/${PATRON}`);
    await page.locator('ol.interactions li', { hasText: '查询婚姻档案' }).waitFor();
    expectClean(page, assert);
    await page.context().close();
  });

  test('a fax on a ticket: the scan in the thread, the e-mail card with a waiting reply', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    const t = await apiAs(page, 'POST', '/api/v1/tickets', { kind: 'request', channel: 'fax', subject: '传真：查档申请', body: '收到传真申请一份，附扫描件。', patron_id: PATRON });
    assert.equal(t.status, 201);
    ticketId = t.body.id;
    await page.goto(`/tickets/${ticketId}`);
    await page.locator('form.upload-form input[type=file]').setInputFiles({ name: '传真扫描.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%\xE2\xE3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1') });
    await page.getByRole('button', { name: '上传附件 Attach' }).click();
    await page.locator('ul.msg-files a', { hasText: '传真扫描.pdf' }).waitFor();
    // The patron has an e-mail address: a reply by e-mail waits in the outbox.
    const patron = await apiAs(page, 'GET', `/api/v1/patrons/${PATRON}`);
    if (!(patron.body.emails || []).length) {
      const upd = await apiAs(page, 'PATCH', `/api/v1/patrons/${PATRON}`, { emails: ['fax.patron@example.cn'] });
      assert.equal(upd.status, 200, JSON.stringify(upd.body));
    }
    const r = await apiAs(page, 'POST', `/api/v1/tickets/${ticketId}/messages`, { kind: 'reply', channel: 'email', body: '已收到您的传真，正在办理。' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await page.reload();
    await page.locator('ul.mail-out li[data-status="queued"]').waitFor();
    await shot(page, '62-ticket-fax-mail');
    assert.deepEqual((await axe(page)) ?? [], [], 'ticket with files and mail: no serious accessibility violations');
    expectClean(page, assert);
    await page.context().close();
  });

  test('the patron sees the file on the portal and attaches one of their own', async () => {
    await ctx.server.addUser('contacts-portal', 'patron', { patron: PATRON, password: PORTAL_PASSWORD });
    const page = await newPage(ctx);
    await login(page, 'contacts-portal', PORTAL_PASSWORD);
    await page.goto(`/portal/questions/${ticketId}`);
    await page.locator('ul.msg-files a', { hasText: '传真扫描.pdf' }).waitFor();
    await page.locator('form.upload-form input[type=file]').setInputFiles({ name: '身份证复印件.txt', mimeType: 'text/plain', buffer: Buffer.from('身份证复印件（测试）') });
    await page.getByRole('button', { name: '上传附件 Attach' }).click();
    await page.locator('ul.msg-files a', { hasText: '身份证复印件.txt' }).waitFor();
    await shot(page, '63-portal-files');
    assert.deepEqual((await axe(page)) ?? [], [], 'portal question with files: no serious accessibility violations');
    expectClean(page, assert);
    await page.context().close();
  });
});
