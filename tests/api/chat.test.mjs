// Live chat over HTTP: a patron starts a chat, an agent accepts it, both read the
// ticket's event stream (server-sent events, read with node's fetch) while lines are
// posted — through the same process (the bell: at once) and through a second server
// process on the same database (the poll: within its interval). Also Last-Event-ID
// resume, the per-user stream cap, routing rules and service tiers with portal notices.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, createPatron, person, startServer } from './harness.mjs';

let srv;
let second; // another process on the same database
let patron;
let other;
before(async () => {
  srv = await startServer();
  second = await startServer({ db: srv.db });
  patron = await createPatron(srv, person({ preferred_language: 'zh-Hans' }));
  other = await createPatron(srv, person());
  await srv.addUser('chatter', 'patron', { patron: patron.id });
  await srv.addUser('chatter2', 'patron', { patron: other.id });
  const all = '00:00-24:00';
  const h = await srv.api('PUT', '/api/v1/service/hours', { as: 'manager', body: { mon: all, tue: all, wed: all, thu: all, fri: all, sat: all, sun: all } });
  assert.equal(h.status, 200, h.text);
});
after(async () => {
  await second?.stop();
  await srv?.stop();
});

const as = (role, method, path, body, on = srv) => on.api(method, path, { as: role, body });

// Reads a text/event-stream response into parsed events as they arrive.
async function openStream(on, path, who, headers = {}) {
  const ac = new AbortController();
  const token = await on.login(who);
  const res = await fetch(on.url + path, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: ac.signal });
  const stream = { res, events: [], comments: 0, ended: false };
  if (res.status !== 200 || !res.body) {
    stream.text = await res.text();
    stream.ended = true;
    return stream;
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  stream.done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = { id: '', event: 'message', data: [] };
          let fields = 0;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              stream.comments++;
              continue;
            }
            const colon = line.indexOf(':');
            const name = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (name === 'id') ev.id = value;
            else if (name === 'event') ev.event = value;
            else if (name === 'data') ev.data.push(value);
            else continue;
            fields++;
          }
          if (fields) stream.events.push({ ...ev, data: JSON.parse(ev.data.join('\n')), at: Date.now() });
        }
      }
    } catch {
      // aborted
    }
    stream.ended = true;
  })();
  stream.close = () => ac.abort();
  // The first event after `from` that satisfies `pred`.
  stream.next = async (pred, timeoutMs = 5000, from = 0) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = stream.events.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() > until) throw new Error(`no such event in ${timeoutMs} ms; got ${JSON.stringify(stream.events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return stream;
}

describe('live chat', () => {
  test('patron and agent chat live, through one process and across two', async () => {
    assert.equal((await as('agent', 'PUT', '/api/v1/agents/me/availability', { status: 'available' })).status, 200);
    const started = await as('chatter', 'POST', '/api/v1/chats', { body: '你好，我想查询父亲的招工档案' });
    assert.equal(started.status, 201, started.text);
    const chat = started.json;
    assert.equal(chat.channel, 'chat');
    assert.equal(chat.kind, 'consultation');
    assert.equal(chat.status, 'new');

    const queue = (await as('agent', 'GET', '/api/v1/chats')).json;
    assert.equal(queue.availability, 'available');
    const waiting = queue.waiting.find((c) => c.id === chat.id);
    assert.ok(waiting, 'the chat waits for an agent');
    assert.equal(waiting.last_patron_line, '你好，我想查询父亲的招工档案');

    const p = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'chatter');
    assert.equal(p.res.status, 200);
    assert.match(p.res.headers.get('content-type'), /^text\/event-stream/);
    assert.match(p.res.headers.get('cache-control'), /no-store/);
    const first = await p.next((e) => e.event === 'message');
    assert.equal(first.data.from, 'you');
    assert.equal((await p.next((e) => e.event === 'state')).data.accepted, false);

    // The agent works through the second process: the patron's stream (first process)
    // sees it by polling the database.
    const accepted = await as('agent', 'POST', `/api/v1/chats/${chat.id}/accept`, undefined, second);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal((await as('manager', 'POST', `/api/v1/chats/${chat.id}/accept`, undefined, second)).status, 409);
    const a = await openStream(second, `/api/v1/tickets/${chat.id}/events`, 'agent');
    await a.next((e) => e.event === 'message' && e.data.kind === 'system');
    const state = await p.next((e) => e.event === 'state' && e.data.accepted, 5000);
    assert.equal(state.data.agent_name, 'agent');

    const t0 = Date.now();
    assert.equal((await as('agent', 'POST', `/api/v1/chats/${chat.id}/messages`, { body: '您好，请问父亲的姓名？' }, second)).status, 201);
    const across = await p.next((e) => e.event === 'message' && e.data.from === 'staff', 5000);
    assert.equal(across.data.body, '您好，请问父亲的姓名？');
    assert.ok(across.at - t0 < 3500, `across processes within the poll interval: ${across.at - t0} ms`);

    // The patron writes through the first process; the agent's stream is on the second.
    const t1 = Date.now();
    assert.equal((await as('chatter', 'POST', `/api/v1/chats/${chat.id}/messages`, { body: '张三，1958年' })).status, 201);
    const back = await a.next((e) => e.event === 'message' && e.data.kind === 'patron' && e.data.body === '张三，1958年', 5000);
    assert.ok(back.at - t1 < 3500, `${back.at - t1} ms`);

    // Same process as the stream: the bell makes it immediate.
    const a1 = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'agent');
    await a1.next((e) => e.data.body === '张三，1958年');
    const t2 = Date.now();
    assert.equal((await as('chatter', 'POST', `/api/v1/chats/${chat.id}/messages`, { body: '还在吗？' })).status, 201);
    const now = await a1.next((e) => e.data.body === '还在吗？', 3000);
    assert.ok(now.at - t2 < 1000, `same process: ${now.at - t2} ms`);

    // Notes stay with staff.
    assert.equal((await as('agent', 'POST', `/api/v1/chats/${chat.id}/messages`, { kind: 'note', body: '内部备注' })).status, 201);
    await a1.next((e) => e.data.kind === 'note');

    // Resolving ends the chat: a last state event, then the stream closes.
    assert.equal((await as('agent', 'POST', `/api/v1/tickets/${chat.id}/resolve`, { resolution: '已告知到馆查询' })).status, 200);
    await p.next((e) => e.event === 'state' && e.data.status === 'resolved', 5000);
    await p.done;
    assert.ok(p.ended);
    assert.ok(!p.events.some((e) => e.data.kind === 'note' || e.data.kind === 'system'), 'no notes or system lines for the patron');
    for (const s of [a, a1]) s.close();

    // The conversation is the ticket's thread.
    const t = (await as('agent', 'GET', `/api/v1/tickets/${chat.id}`)).json;
    assert.deepEqual(
      t.messages.filter((m) => m.kind === 'patron' || m.kind === 'reply').map((m) => [m.kind, m.channel, m.body]),
      [
        ['patron', 'chat', '你好，我想查询父亲的招工档案'],
        ['reply', 'chat', '您好，请问父亲的姓名？'],
        ['patron', 'chat', '张三，1958年'],
        ['patron', 'chat', '还在吗？'],
      ],
    );
  });

  test('Last-Event-ID resumes after the last message seen; others may not watch', async () => {
    const chat = (await as('chatter', 'POST', '/api/v1/chats', { body: '第一句', subject: '续传' })).json;
    await as('chatter', 'POST', `/api/v1/chats/${chat.id}/messages`, { body: '第二句' });
    await as('chatter', 'POST', `/api/v1/chats/${chat.id}/messages`, { body: '第三句' });
    const all = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'chatter');
    await all.next((e) => e.data.body === '第三句');
    const firstId = all.events.find((e) => e.data.body === '第一句').id;
    all.close();
    const resumed = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'chatter', { 'last-event-id': firstId });
    await resumed.next((e) => e.event === 'state');
    assert.deepEqual(resumed.events.filter((e) => e.event === 'message').map((e) => e.data.body), ['第二句', '第三句']);
    resumed.close();

    const foreign = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'chatter2');
    assert.equal(foreign.res.status, 404);
    const anonymous = await fetch(`${srv.url}/api/v1/tickets/${chat.id}/events`);
    assert.equal(anonymous.status, 401);
    const bad = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'chatter', { 'last-event-id': 'x' });
    assert.equal(bad.res.status, 400);
    assert.equal(JSON.parse(bad.text).error.field, 'Last-Event-ID');
  });

  test('a user may hold four streams at once; the fifth is refused with 429', async () => {
    const chat = (await as('chatter2', 'POST', '/api/v1/chats', { body: '多开' })).json;
    const open = [];
    for (let i = 0; i < 4; i++) {
      const s = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'chatter2');
      assert.equal(s.res.status, 200);
      open.push(s);
    }
    const fifth = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'chatter2');
    assert.equal(fifth.res.status, 429);
    assert.equal(JSON.parse(fifth.text).error.code, 'too_many_requests');
    // Another user is not affected, and a closed stream frees its place.
    const agent = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'manager');
    assert.equal(agent.res.status, 200);
    agent.close();
    open.pop().close();
    let again;
    for (let i = 0; i < 50; i++) {
      again = await openStream(srv, `/api/v1/tickets/${chat.id}/events`, 'chatter2');
      if (again.res.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(again.res.status, 200);
    for (const s of [...open, again]) s.close();
  });

  test('staff may not start a chat; a bad availability is refused with its field', async () => {
    assertError(assert, await as('agent', 'POST', '/api/v1/chats', { body: 'x' }), 403, '', 'forbidden');
    assertError(assert, await as('agent', 'PUT', '/api/v1/agents/me/availability', { status: 'busy' }), 400, 'status');
    const list = (await as('manager', 'GET', '/api/v1/agents/availability')).json.items;
    assert.equal(list.find((u) => u.username === 'agent')?.status, 'available');
  });
});

describe('routing and tiers', () => {
  test('a VIP patron is routed to the VIP desk, gets its SLA and priority, and notices', async () => {
    const team = await as('manager', 'POST', '/api/v1/teams', { name: 'VIP 服务组', member_ids: [] });
    assert.equal(team.status, 201, team.text);
    const me = (await as('archivist', 'GET', '/api/v1/me')).json;
    await as('manager', 'PATCH', `/api/v1/teams/${team.json.id}`, { member_ids: [me.user?.id ?? me.id] });
    assert.equal((await as('archivist', 'PUT', '/api/v1/agents/me/availability', { status: 'available' })).status, 200);
    const rule = await as('manager', 'POST', '/api/v1/routing-rules', { name: 'VIP 专线', tier: 'vip', team_id: team.json.id, position: 1 });
    assert.equal(rule.status, 201, rule.text);
    assert.equal((await as('agent', 'PUT', `/api/v1/patrons/${patron.id}/service-tier`, { tier: 'vip' })).status, 200);
    assert.equal((await as('agent', 'GET', `/api/v1/patrons/${patron.id}/service-tier`)).json.name, 'VIP');

    const chat = (await as('chatter', 'POST', '/api/v1/chats', { body: '加急查询' })).json;
    const t = (await as('manager', 'GET', `/api/v1/tickets/${chat.id}`)).json;
    assert.equal(t.team_id, team.json.id);
    assert.equal(t.priority, 'high');
    assert.match(t.routed_by, /VIP 专线.*tier=vip/);
    // consultation/high at 50%: 30 minutes to the first response (round-the-clock hours).
    assert.equal(Math.round((Date.parse(t.first_response_due) - Date.parse(t.created_at)) / 60000), 30);

    assert.equal((await as('archivist', 'POST', `/api/v1/tickets/${chat.id}/resolve`, { resolution: '已办结' })).status, 200);
    const notices = await as('chatter', 'GET', '/api/v1/notices');
    assert.equal(notices.status, 200, notices.text);
    assert.ok(notices.json.unread >= 1);
    assert.match(notices.json.items[0].text, /已解决/);
    assert.equal((await as('chatter', 'POST', '/api/v1/notices/read')).status, 204);
    assert.equal((await as('chatter', 'GET', '/api/v1/notices')).json.unread, 0);

    const tiers = (await as('manager', 'GET', '/api/v1/service-tiers')).json.items;
    assert.deepEqual(tiers.map((x) => x.code).slice(0, 3), ['standard', 'key', 'vip']);
    assertError(assert, await as('manager', 'PUT', '/api/v1/service-tiers/vip', { name: 'VIP', sla_percent: 1 }), 400, 'sla_percent');
    assert.equal((await as('manager', 'DELETE', `/api/v1/routing-rules/${rule.json.id}`)).status, 204);
    await as('agent', 'PUT', `/api/v1/patrons/${patron.id}/service-tier`, { tier: null });
  });
});
