// chat.test.mjs — live chat in two pages: a patron starts a chat on the portal; an agent,
// available in the chat console, sees it waiting, accepts it and sees the patron's
// summary beside the conversation; lines typed on either side appear on the other
// without a reload (server-sent events); an internal note stays with staff; resolving
// the ticket ends the chat on the portal. Screenshots and axe on both screens.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiAs, axe, expectClean, login, newPage, shot, useServer } from './harness.mjs';

const PORTAL_PASSWORD = 'Portal-Chat-Pass-2024!';
const PATRON = 15;

describe('live chat', () => {
  const ctx = useServer();

  test('a patron and an agent chat live, with the patron summary beside the conversation', async () => {
    await ctx.server.addUser('reader.chat', 'patron', { patron: PATRON, password: PORTAL_PASSWORD });
    const agent = await newPage(ctx);
    await login(agent, 'agent', ctx.server.password);
    const patron = (await apiAs(agent, 'GET', `/api/v1/patrons/${PATRON}`)).body;
    await agent.getByRole('link', { name: /在线咨询/ }).click();
    await agent.waitForURL('**/chats');
    await agent.getByLabel('接待状态').selectOption('available');
    await agent.locator('.toast').first().waitFor();

    const portal = await newPage(ctx);
    await login(portal, 'reader.chat', PORTAL_PASSWORD);
    await portal.getByRole('link', { name: /在线咨询/ }).click();
    await portal.waitForURL('**/portal/chat');
    await portal.getByLabel('您想咨询什么？').fill('您好，我想查询父亲1958年的招工档案。');
    await portal.getByRole('button', { name: '开始对话 Start the chat' }).click();
    await portal.locator('.chat-status[data-state="waiting"]').waitFor();
    await portal.locator('.chat-thread .msg', { hasText: '1958年的招工档案' }).waitFor();
    assert.deepEqual((await axe(portal)) ?? [], [], 'portal chat: no serious accessibility violations');

    // The console refreshes its waiting list every 5 s.
    const waiting = agent.locator('.chat-item', { hasText: '1958年的招工档案' });
    await waiting.waitFor({ timeout: 15000 });
    await waiting.getByRole('button', { name: '接入 Accept' }).click();
    await agent.locator('.chat-conversation .msg', { hasText: '1958年的招工档案' }).waitFor();
    // The patron's summary beside the conversation.
    const side = agent.locator('.chat-side');
    await side.locator('.chat-patron-name').waitFor();
    assert.match(await side.textContent(), new RegExp(patron.name.replace(/\*/g, '\\*')));
    await side.locator('[data-summary="active_tickets"]', { hasText: /\d/ }).waitFor();
    await portal.locator('.chat-status[data-state="accepted"]').waitFor();

    // Agent → patron, live.
    await agent.getByLabel('输入消息').fill('您好，请问父亲的姓名和当时的单位？');
    await agent.getByRole('button', { name: '发送 Send' }).click();
    await portal.locator('.chat-thread .msg-reply', { hasText: '父亲的姓名' }).waitFor({ timeout: 10000 });
    // Patron → agent, live (Enter sends).
    await portal.getByLabel('输入消息').fill('张建国，第一机械厂');
    await portal.getByLabel('输入消息').press('Enter');
    await agent.locator('.chat-thread .msg-patron', { hasText: '第一机械厂' }).waitFor({ timeout: 10000 });
    // A note stays with staff.
    await agent.getByLabel('输入消息').fill('内部：核对劳动局移交目录');
    await agent.getByLabel('内部备注').check();
    await agent.getByRole('button', { name: '发送 Send' }).click();
    await agent.locator('.chat-thread .msg-note', { hasText: '劳动局' }).waitFor();
    await agent.getByLabel('输入消息').fill('已查到，请携带户口簿到馆查阅。');
    await agent.getByLabel('内部备注').uncheck();
    await agent.getByRole('button', { name: '发送 Send' }).click();
    await portal.locator('.chat-thread .msg-reply', { hasText: '户口簿' }).waitFor({ timeout: 10000 });
    assert.doesNotMatch(await portal.locator('.chat-thread').textContent(), /劳动局/);

    await shot(agent, '60-chat-console');
    await shot(portal, '61-portal-chat');
    assert.deepEqual((await axe(agent)) ?? [], [], 'chat console: no serious accessibility violations');

    // Resolving ends the chat on the portal.
    const chatId = Number(await agent.locator('.chat-conversation').getAttribute('data-ticket'));
    const resolved = await apiAs(agent, 'POST', `/api/v1/tickets/${chatId}/resolve`, { resolution: '已告知查阅方式' });
    assert.equal(resolved.status, 200);
    await portal.locator('.chat-status[data-state="over"]').waitFor({ timeout: 10000 });
    assert.equal(await portal.locator('form.chat-composer').isHidden(), true);

    expectClean(agent, assert);
    expectClean(portal, assert);
    await agent.context().close();
    await portal.context().close();
  });
});
