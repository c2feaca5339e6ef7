// board.test.mjs — the message board and FAQ screens (issue 5): a patron posts on the
// portal; the post is not public until an agent publishes it from the moderation queue
// (with personal data masked) and answers it; anyone reads it without signing in; an
// agent proposes a resolved consultation as an FAQ entry (prefilled without personal
// data), a manager approves it; the portal's question form offers it as the patron
// types, "this answered my question" is counted for managers; axe on every new page.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PORTAL_PASSWORD = 'Portal-Board-Pass-2024!';
const PATRON = 14;

describe('message board and FAQ', () => {
  const ctx = useServer();
  let patronName;
  let title;
  let faqQuestion;

  test('a patron posts on the portal; it waits for moderation', async () => {
    await ctx.server.addUser('reader.board', 'patron', { patron: PATRON, password: PORTAL_PASSWORD });
    const page = await newPage(ctx);
    await login(page, 'reader.board', PORTAL_PASSWORD);
    const me = await apiAs(page, 'GET', `/api/v1/patrons/${PATRON}`);
    patronName = me.body.name;
    await page.getByRole('link', { name: /我的留言/ }).click();
    await page.waitForURL('**/portal/board');
    title = `查阅祖父的民国地契档案 ${Date.now() % 10000}`;
    const form = page.locator('form.post-form');
    await form.getByLabel('标题').fill(title);
    await form.getByLabel('内容').fill(`我是${patronName}，想查祖父的民国地契档案，请回电 13812345678 或发邮件 reader@example.cn。`);
    await form.getByRole('button', { name: '提交留言 Post' }).click();
    const row = page.locator('table.my-posts tbody tr[data-status="pending"]', { hasText: title });
    await row.waitFor();
    assert.match(await row.textContent(), /待审核/);
    await shot(page, '60-portal-board');
    assert.deepEqual((await axe(page)) ?? [], [], 'portal board: no serious accessibility violations');
    expectClean(page, assert);
    await page.context().close();

    // Not on the public board yet.
    const anon = await newPage(ctx);
    await anon.goto('/board');
    await anon.locator('.pager-status').filter({ hasText: /没有找到留言|^$/ }).first().waitFor({ state: 'attached' });
    await anon.waitForLoadState('networkidle');
    assert.equal(await anon.locator('.board-post', { hasText: title }).count(), 0);
    await anon.context().close();
  });

  test('an agent publishes it with personal data masked and answers; anyone reads it without signing in', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    await page.getByRole('link', { name: /留言审核/ }).click();
    await page.waitForURL('**/board-moderation');
    const card = page.locator('.board-post[data-status="pending"]', { hasText: title });
    await card.waitFor();
    // The queue shows the public text: phone and e-mail already masked.
    const text = await card.textContent();
    assert.match(text, /138\*\*\*\*5678/);
    assert.doesNotMatch(text, /13812345678|reader@example/);
    assert.ok(!text.includes(patronName), 'the poster’s name is masked in the text');
    await card.getByRole('button', { name: '审核发布 Publish' }).click();
    const dlg = page.getByRole('dialog');
    // The original is there for the moderator.
    assert.match(await dlg.locator('.original-text').textContent(), /13812345678/);
    await shot(page, '61-board-publish-dialog');
    await dlg.getByRole('button', { name: '发布 Publish' }).click();
    await dlg.waitFor({ state: 'detached' });
    await page.getByLabel('状态').selectOption('published');
    const pub = page.locator('.board-post[data-status="published"]', { hasText: title });
    await pub.waitFor();
    await pub.getByRole('button', { name: '答复 Answer' }).click();
    await page.getByRole('dialog').getByLabel('答复').fill('民国地契档案可在二楼查阅大厅查阅，请携带身份证件并提前预约。');
    await page.getByRole('dialog').getByRole('button', { name: '保存答复 Save answer' }).click();
    await pub.locator('.board-answer').waitFor();
    await shot(page, '62-board-moderation');
    assert.deepEqual((await axe(page)) ?? [], [], 'moderation: no serious accessibility violations');

    // Taken up as a ticket: the ticket page links back to the post, and the post to it.
    await pub.getByRole('button', { name: '转为工单 Make a ticket' }).click();
    await page.getByRole('dialog').getByRole('button', { name: '建立工单 Open ticket' }).click();
    await page.waitForURL(/\/tickets\/\d+$/);
    const ticketUrl = page.url();
    await page.getByRole('link', { name: '来源留言 The board post' }).click();
    await page.waitForURL(/\/board-moderation\?ticket_id=\d+$/);
    const linked = page.locator('.board-post', { hasText: title });
    await linked.waitFor();
    assert.equal(await page.locator('.board-post').count(), 1);
    assert.equal(await linked.getByRole('button', { name: '转为工单 Make a ticket' }).count(), 0);
    await linked.getByRole('link', { name: '对应工单 Its ticket' }).click();
    await page.waitForURL(ticketUrl);
    expectClean(page, assert);
    await page.context().close();

    const anon = await newPage(ctx);
    await anon.goto('/board');
    const post = anon.locator('.board-post', { hasText: title });
    await post.waitFor();
    const shown = await post.textContent();
    assert.match(shown, /138\*\*\*\*5678/);
    assert.match(shown, /r\*\*\*@example\.cn/);
    assert.match(shown, /二楼查阅大厅/);
    assert.ok(!shown.includes(patronName));
    await shot(anon, '63-public-board');
    assert.deepEqual((await axe(anon)) ?? [], [], 'public board: no serious accessibility violations');
    // Search in traditional characters finds the simplified post.
    await anon.getByLabel('搜索留言').fill('民國地契檔案');
    await anon.getByRole('button', { name: '搜索 Search' }).click();
    await anon.waitForURL(/\/board\?q=/);
    await post.waitFor();
    await post.getByRole('link', { name: title }).click();
    await anon.waitForURL(/\/board\/\d+$/);
    await anon.locator('.board-answer').waitFor();
    expectClean(anon, assert);
    await anon.context().close();
  });

  test('an agent proposes a resolved consultation as an FAQ entry without personal data; a manager approves it', async () => {
    const page = await newPage(ctx);
    await login(page, 'agent', ctx.server.password);
    const t = await apiAs(page, 'POST', '/api/v1/tickets', {
      kind: 'consultation',
      channel: 'phone',
      patron_id: PATRON,
      subject: '如何查询婚姻登记檔案',
      body: `${patronName}来电（13912345678）询问如何查询婚姻登记档案。`,
    });
    assert.equal(t.status, 201);
    const r = await apiAs(page, 'POST', `/api/v1/tickets/${t.body.id}/resolve`, { resolution: `${patronName}您好：婚姻登记档案可持本人身份证件到一楼查档窗口查询，工单${t.body.number}已办结。` });
    assert.equal(r.status, 200);
    await page.goto(`/tickets/${t.body.id}`);
    await page.getByRole('link', { name: '提议为常见问题 Propose as FAQ' }).click();
    await page.waitForURL(/\/faq-entries\?ticket_id=/);
    const dlg = page.getByRole('dialog');
    const question = dlg.getByLabel('问题');
    await question.waitFor();
    const q = await question.inputValue();
    const a = await dlg.getByLabel('答案').inputValue();
    assert.match(q, /\[姓名\]来电（\[电话\]）/);
    assert.ok(!q.includes(patronName) && !a.includes(patronName), 'no name');
    assert.match(a, /工单\[工单号\]已办结/);
    faqQuestion = '如何查询婚姻登记檔案？';
    await question.fill(faqQuestion);
    await dlg.getByLabel('答案').fill('婚姻登记档案可持本人身份证件到一楼查档窗口查询。');
    await shot(page, '64-faq-propose');
    await dlg.getByRole('button', { name: '提交审批 Submit for approval' }).click();
    await dlg.waitFor({ state: 'detached' });
    const row = page.locator('.faq-table tr', { hasText: faqQuestion });
    await row.waitFor();
    assert.match(await row.textContent(), /待审批/);
    // An agent cannot approve.
    assert.equal(await row.getByRole('button', { name: '批准 Approve' }).count(), 0);
    expectClean(page, assert);
    await page.context().close();

    const mgr = await newPage(ctx);
    await login(mgr, 'manager', ctx.server.password);
    await mgr.getByRole('link', { name: /常见问题/ }).click();
    await mgr.waitForURL('**/faq-entries');
    const mrow = mgr.locator('.faq-table tr[data-status="proposed"]', { hasText: faqQuestion });
    await mrow.waitFor();
    await mrow.getByRole('button', { name: '批准 Approve' }).click();
    await mgr.getByLabel('状态').selectOption('published');
    await mgr.locator('.faq-table tr[data-status="published"]', { hasText: faqQuestion }).waitFor();
    await shot(mgr, '65-faq-entries');
    assert.deepEqual((await axe(mgr)) ?? [], [], 'FAQ entries: no serious accessibility violations');
    expectClean(mgr, assert);
    await mgr.context().close();
  });

  test('the portal offers the FAQ while the patron types; "this answered my question" is counted', async () => {
    const page = await newPage(ctx);
    await login(page, 'reader.board', PORTAL_PASSWORD);
    await page.goto('/portal/questions');
    const form = page.locator('form.ask-form');
    await form.getByLabel('主题').fill('婚姻登记档案在哪里查');
    const offer = form.locator('.faq-offer');
    await offer.waitFor();
    const item = offer.locator('.faq-offer-item', { hasText: '婚姻登记' }).first();
    await item.locator('summary').click();
    await shot(page, '66-portal-faq-offer');
    assert.deepEqual((await axe(page)) ?? [], [], 'portal question form with the FAQ offer: no serious accessibility violations');
    await item.getByRole('button', { name: '这解答了我的问题 This answered my question' }).click();
    await offer.getByText('很高兴能帮到您').waitFor();
    expectClean(page, assert);
    await page.context().close();

    // The public FAQ finds it in either script, without signing in.
    const anon = await newPage(ctx);
    await anon.goto('/faq');
    await anon.getByLabel(/搜索常见问题/).fill('婚姻登记档案');
    await anon.locator('.faq-item', { hasText: '婚姻登记' }).first().waitFor();
    await shot(anon, '67-public-faq');
    assert.deepEqual((await axe(anon)) ?? [], [], 'public FAQ: no serious accessibility violations');
    expectClean(anon, assert);
    await anon.context().close();

    const mgr = await newPage(ctx);
    await login(mgr, 'manager', ctx.server.password);
    await mgr.goto('/faq-entries?status=published');
    const row = mgr.locator('.faq-table tr', { hasText: faqQuestion });
    await row.waitFor();
    assert.equal((await row.locator('td[data-count="deflected"]').textContent()).trim(), '1');
    await mgr.context().close();
  });
});
