// The message board and the FAQ over HTTP: public reading without a session, personal
// data masked, moderation, a post taken up as a ticket, FAQ proposals from a resolved
// consultation without personal data, approval by another manager, the FAQ searched in
// either script, and what the portal's offer of FAQ entries came to.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, auditEntries, createPatron, person, startServer, uniq } from './harness.mjs';

let srv;
let patron;
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person({ name: '欧阳修文' }));
  await srv.addUser('poster', 'patron', { patron: patron.id });
  await srv.addUser('manager2', 'manager');
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body) => srv.api(method, path, { as: role, body });
const anon = (path) => srv.api('GET', path);

describe('message board', () => {
  test('a post is public only once published, without personal data, readable without a session', async () => {
    const title = uniq('查阅退休檔案');
    const r = await as('poster', 'POST', '/api/v1/board/posts', {
      title,
      body: '我是欧阳修文，电话 138-1234-5678，邮箱 ouyang@example.cn，身份证110105199001011234',
    });
    assert.equal(r.status, 201, r.text);
    const post = r.json;
    assert.equal(post.status, 'pending');
    assert.equal(post.poster, '欧***');
    assert.equal(post.body, '我是欧***，电话 138****5678，邮箱 o***@example.cn，身份证110105********1234');

    // Not public before moderation.
    assert.equal((await anon(`/api/v1/board/posts/${post.id}`)).status, 404);
    assert.ok(!(await anon('/api/v1/board/posts?limit=100')).json.items.some((p) => p.id === post.id));
    // The poster sees it with its state.
    const mine = await as('poster', 'GET', '/api/v1/board/my-posts');
    assert.equal(mine.json.items[0].id, post.id);
    assert.equal(mine.json.items[0].status, 'pending');
    // Staff see it in the queue; the original text only on the post itself.
    const queue = await as('agent', 'GET', '/api/v1/board/moderation');
    assert.ok(queue.json.items.some((p) => p.id === post.id && p.original_body === undefined));
    const one = await as('agent', 'GET', `/api/v1/board/moderation/${post.id}`);
    assert.match(one.json.original_body, /13812345678|138-1234-5678/);

    const pub = await as('agent', 'POST', `/api/v1/board/posts/${post.id}/publish`);
    assert.equal(pub.status, 200, pub.text);
    const seen = await anon(`/api/v1/board/posts/${post.id}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.json.poster, '欧***');
    assert.doesNotMatch(JSON.stringify(seen.json), /欧阳修文|13812345678|1234-5678|ouyang@|199001011234|patron_id/);
    // Search without a session, in the other script: 档案 finds 檔案.
    const found = await anon(`/api/v1/board/posts?q=${encodeURIComponent(title.replace('檔案', '档案'))}`);
    assert.deepEqual(found.json.items.map((p) => p.id), [post.id]);

    // Staff answer on the board; a second publish is a conflict.
    const ans = await as('manager', 'PUT', `/api/v1/board/posts/${post.id}/answer`, { answer: '请致电 010-62345678 预约' });
    assert.equal(ans.status, 200, ans.text);
    assert.equal((await anon(`/api/v1/board/posts/${post.id}`)).json.answer, '请致电 010****5678 预约');
    assertError(assert, await as('agent', 'POST', `/api/v1/board/posts/${post.id}/publish`), 409);
    const audit = await auditEntries(srv, { action: 'board.publish' });
    assert.ok(audit.some((e) => e.entity_id === String(post.id)));
  });

  test('a rejected post stays private with its reason; a post becomes one ticket', async () => {
    const p = (await as('poster', 'POST', '/api/v1/board/posts', { title: uniq('广告'), body: '无关内容' })).json;
    assertError(assert, await as('agent', 'POST', `/api/v1/board/posts/${p.id}/reject`, {}), 400, 'reason');
    assert.equal((await as('agent', 'POST', `/api/v1/board/posts/${p.id}/reject`, { reason: '与档案服务无关' })).status, 200);
    assert.equal((await anon(`/api/v1/board/posts/${p.id}`)).status, 404);
    const mine = (await as('poster', 'GET', '/api/v1/board/my-posts')).json.items.find((x) => x.id === p.id);
    assert.equal(mine.status, 'rejected');
    assert.equal(mine.reject_reason, '与档案服务无关');

    const q = (await as('poster', 'POST', '/api/v1/board/posts', { title: uniq('复印收费'), body: '收费太高，要求说明' })).json;
    const t = await as('agent', 'POST', `/api/v1/board/posts/${q.id}/ticket`, { kind: 'complaint' });
    assert.equal(t.status, 201, t.text);
    assert.equal(t.json.ticket.channel, 'message_board');
    assert.equal(t.json.ticket.patron_id, patron.id);
    assertError(assert, await as('manager', 'POST', `/api/v1/board/posts/${q.id}/ticket`, {}), 409, 'ticket_id');
    const back = await as('agent', 'GET', `/api/v1/board/moderation?ticket_id=${t.json.ticket.id}`);
    assert.deepEqual(back.json.items.map((x) => x.id), [q.id]);
    // The patron sees the ticket as their own question.
    const theirs = await as('poster', 'GET', `/api/v1/tickets/${t.json.ticket.id}`);
    assert.equal(theirs.status, 200);
    // And the board steps are on their timeline.
    const tl = await as('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline?limit=50`);
    const kinds = tl.json.items.map((e) => e.kind);
    for (const k of ['board.posted', 'board.rejected', 'board.ticket']) assert.ok(kinds.includes(k), k);
  });
});

describe('FAQ', () => {
  test('proposed from a resolved consultation without personal data, approved by another manager, found in either script', async () => {
    const open = await as('agent', 'POST', '/api/v1/tickets', {
      kind: 'consultation', channel: 'phone', patron_id: patron.id,
      subject: '婚姻登记檔案怎么查', body: '欧阳先生来电（13912345678）问婚姻登记檔案',
    });
    assert.equal(open.status, 201, open.text);
    const t = open.json;
    assertError(assert, await as('agent', 'GET', `/api/v1/faq-entries/draft?ticket_id=${t.id}`), 400, 'ticket_id');
    await as('agent', 'POST', `/api/v1/tickets/${t.id}/resolve`, { resolution: `欧阳修文您好，工单${t.number}：婚姻登记档案由民政局保管，持身份证查询。` });
    const draft = await as('agent', 'GET', `/api/v1/faq-entries/draft?ticket_id=${t.id}`);
    assert.equal(draft.status, 200, draft.text);
    assert.equal(draft.json.question, '婚姻登记檔案怎么查\n[姓名]来电（[电话]）问婚姻登记檔案');
    assert.equal(draft.json.answer, '[姓名]您好，工单[工单号]：婚姻登记档案由民政局保管，持身份证查询。');

    const e = await as('manager', 'POST', '/api/v1/faq-entries', { ticket_id: t.id, question: '婚姻登记檔案怎么查？' });
    assert.equal(e.status, 201, e.text);
    assert.equal(e.json.answer, draft.json.answer);
    // Not public until approved, and never by the manager who proposed it.
    assert.equal((await anon(`/api/v1/faq/${e.json.id}`)).status, 404);
    assertError(assert, await as('manager', 'POST', `/api/v1/faq-entries/${e.json.id}/approve`), 403);
    assertError(assert, await as('agent', 'POST', `/api/v1/faq-entries/${e.json.id}/approve`), 403);
    const ok = await as('manager2', 'POST', `/api/v1/faq-entries/${e.json.id}/approve`);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.status, 'published');

    // Public search, no session: simplified finds traditional, pinyin finds the question.
    for (const q of ['婚姻登记档案', '婚姻登記檔案', 'hunyin']) {
      const r = await anon(`/api/v1/faq?q=${encodeURIComponent(q)}`);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.items.some((i) => i.id === e.json.id), `${q} finds the entry`);
    }
    const r = await anon(`/api/v1/faq?q=${encodeURIComponent('婚姻')}`);
    assert.match(r.json.items[0].snippet, /<mark>/);
    // The catalogue's own search never returns it.
    const cat = await as('agent', 'GET', `/api/v1/search?q=${encodeURIComponent('婚姻登记档案')}`);
    assert.ok(!cat.json.items.some((i) => i.title === '婚姻登记檔案怎么查？'));
  });

  test('what the offer came to is counted per entry and shown to managers', async () => {
    const mk = async (question) => {
      const p = (await as('agent', 'POST', '/api/v1/faq-entries', { question, answer: '带身份证到一楼查询。' })).json;
      return (await as('manager', 'POST', `/api/v1/faq-entries/${p.id}/approve`)).json;
    };
    const a = await mk(uniq('如何查询退休档案'));
    const b = await mk(uniq('退休档案能否邮寄'));
    assertError(assert, await srv.api('POST', '/api/v1/faq/feedback', { body: { shown: [a.id] } }), 401);
    assert.equal((await as('poster', 'POST', '/api/v1/faq/feedback', { shown: [a.id, b.id], answered_by: a.id })).status, 200);
    assert.equal((await as('poster', 'POST', '/api/v1/faq/feedback', { shown: [a.id, b.id] })).status, 200);
    assertError(assert, await as('poster', 'POST', '/api/v1/faq/feedback', { shown: [a.id], answered_by: b.id }), 400, 'answered_by');
    const ea = (await as('manager', 'GET', `/api/v1/faq-entries/${a.id}`)).json;
    assert.deepEqual(ea.counts, { shown: 2, deflected: 1, ticket_after: 1 });
    const eb = (await as('manager', 'GET', `/api/v1/faq-entries/${b.id}`)).json;
    assert.deepEqual(eb.counts, { shown: 2, deflected: 0, ticket_after: 1 });

    // Editing a published entry keeps it live until approved; retiring removes it.
    await as('agent', 'PATCH', `/api/v1/faq-entries/${a.id}`, { answer: '预约后带身份证到一楼查询。' });
    assert.equal((await anon(`/api/v1/faq/${a.id}`)).json.answer, '带身份证到一楼查询。');
    const awaiting = (await as('manager', 'GET', '/api/v1/faq-entries?status=awaiting&limit=200')).json.items;
    assert.ok(awaiting.some((x) => x.id === a.id && x.pending.answer === '预约后带身份证到一楼查询。'));
    await as('manager', 'POST', `/api/v1/faq-entries/${a.id}/approve`);
    assert.equal((await anon(`/api/v1/faq/${a.id}`)).json.answer, '预约后带身份证到一楼查询。');
    assert.equal((await as('manager', 'POST', `/api/v1/faq-entries/${a.id}/retire`)).status, 200);
    assert.equal((await anon(`/api/v1/faq/${a.id}`)).status, 404);
  });
});
