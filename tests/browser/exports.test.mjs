// exports.test.mjs — D41 and D42 screens: an archivist asks for an export of the whole
// catalogue (it has controlled records, so it waits); another manager approves it from
// the queue with a reason; the archivist downloads the file. On a record page, a signed
// PDF shows its signer and "intact", a changed copy "not intact", and a signature that
// is not in the file is recorded through the dialog. axe on both pages.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import { makeSignedPdf, tampered } from '../fixtures/signed-pdf.mjs';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

describe('exports and signatures', () => {
  const ctx = useServer();

  test('a big export waits for another manager, who approves it; the requester downloads it', async () => {
    await ctx.server.addUser('manager2', 'manager', { password: ctx.server.password });
    const page = await newPage(ctx);
    await login(page, 'archivist', ctx.server.password);
    await page.getByRole('link', { name: '导出 Exports' }).click();
    await page.waitForURL('**/exports?tab=all');
    await page.getByLabel('用途').fill('年度移交市档案馆');
    await page.getByRole('button', { name: '导出 Export' }).click();
    const row = page.locator('tr[data-status="pending"]').first();
    await row.waitFor();
    assert.match(await row.textContent(), /年度移交市档案馆/);
    assert.match(await row.textContent(), /includes controlled records|more than/);
    const id = await row.getAttribute('data-export-id');
    await shot(page, 'exp-01-requested');
    expectClean(page, assert);

    const mgr = await newPage(ctx);
    await login(mgr, 'manager2', ctx.server.password);
    await mgr.goto('/exports');
    const queued = mgr.locator(`tr[data-export-id="${id}"]`);
    await queued.waitFor();
    await shot(mgr, 'exp-02-queue');
    const violations = await axe(mgr);
    if (violations) assert.deepEqual(violations, [], 'axe: no serious or critical violations on the exports page');
    await queued.getByRole('button', { name: '批准 Approve' }).click();
    const dlg = mgr.getByRole('dialog');
    await dlg.getByLabel('理由').fill('移交已获批准');
    await dlg.getByRole('button', { name: '批准 Approve' }).click();
    await dlg.waitFor({ state: 'detached' });
    await queued.waitFor({ state: 'detached' }); // left the pending queue
    expectClean(mgr, assert);

    // Ready after the background run; only the requester has the download.
    for (let i = 0; i < 100; i++) {
      const r = await apiAs(page, 'GET', `/api/v1/records/exports/${id}`);
      if (r.body.status === 'ready') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await page.goto('/exports?tab=all');
    const ready = page.locator(`tr[data-export-id="${id}"][data-status="ready"]`);
    await ready.waitFor();
    assert.match(await ready.textContent(), /manager2/);
    const [download] = await Promise.all([page.waitForEvent('download'), ready.getByRole('link', { name: '下载 Download' }).click()]);
    const file = await readFile(await download.path(), 'utf8');
    assert.ok(file.startsWith('\ufeffid,reference_code,title,'), file.slice(0, 40));
    await shot(page, 'exp-03-ready');
    expectClean(page, assert);
  });

  test('the record page shows embedded signatures and records one that is not embedded', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'dangan-browser-sig-'));
    try {
      const signed = await makeSignedPdf(tmp);
      const page = await newPage(ctx);
      await login(page, 'archivist', ctx.server.password);
      const rec = await apiAs(page, 'POST', '/api/v1/records', { title: '签名附件测试', access_level: 'open' });
      assert.equal(rec.status, 201);
      // Uploads are the raw body.
      const upload = (name, bytes) =>
        page.evaluate(
          async ([id, n, b64]) => {
            const body = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const r = await fetch(`/api/v1/records/${id}/attachments?filename=${encodeURIComponent(n)}`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/octet-stream', 'X-CSRF-Token': sessionStorage.getItem('dangan.csrf') || '' },
              body,
            });
            return r.status;
          },
          [rec.body.id, name, bytes.toString('base64')],
        );
      assert.equal(await upload('批复.pdf', signed), 201);
      assert.equal(await upload('批复-改.pdf', tampered(signed)), 201);
      await page.goto(`/records/${rec.body.id}`);
      const good = page.locator('.signature-list li[data-integrity="intact"]');
      await good.waitFor();
      assert.match(await good.textContent(), /张三/);
      assert.match(await good.textContent(), /完整 Intact/);
      assert.match(await good.getAttribute('title'), /Not checked: trust/);
      const bad = page.locator('.signature-list li[data-integrity="not_intact"]');
      assert.match(await bad.textContent(), /签名后被改动 Not intact/);

      // A paper sign-off recorded on the first attachment.
      await page.locator('table.attachments tbody tr').first().getByRole('button', { name: '登记签名 Record a signature' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByLabel('签署人').fill('王主任');
      await dlg.getByLabel('方式').selectOption('paper');
      await dlg.getByLabel('签署日期').fill('2019-03-05');
      await dlg.getByRole('button', { name: '登记 Record' }).click();
      await dlg.waitFor({ state: 'detached' });
      const recorded = page.locator('.signature-list li[data-integrity="recorded"]');
      await recorded.waitFor();
      assert.match(await recorded.textContent(), /王主任.*2019-03-05.*纸质签字/);
      await shot(page, 'exp-04-signatures');
      const violations = await axe(page);
      if (violations) assert.deepEqual(violations, [], 'axe: no serious or critical violations on the record page');
      expectClean(page, assert);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
