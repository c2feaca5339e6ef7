// One strict cursor for every list: each list route, walked two items at a time over data
// made here, joins its pages without gaps or repeats (the same items, in the same order, as
// one large page), and refuses a malformed cursor with 400 naming `cursor` (never a 500,
// never a silent first page). Id-ordered lists take the last id ("42"); lists ordered by a
// time or other key take [key, id] of the last row. The patron list by name takes the last
// id too: a name in the cursor would give it to viewers it is hidden from (analysts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, createPatron, mobile, person, sleep, startServer, uniq } from './harness.mjs';

let srv;
let patron;
let me;
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person({ phones: [mobile()], emails: [`${uniq('c')}@example.com`] }));
  await srv.addUser('cursor_portal', 'patron', { patron: patron.id });
  me = {};
  for (const role of ['agent', 'manager']) me[role] = (await as(role, 'GET', '/api/v1/me')).json.id;
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body) => srv.api(method, path, { as: role, body });
const ok = async (role, method, path, body, status = 201) => {
  const r = await as(role, method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
};
const times = async (n, make) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await make(i));
  return out;
};
const ticket = (extra = {}) =>
  ok('agent', 'POST', '/api/v1/tickets', { kind: 'consultation', channel: 'counter', subject: uniq('翻页工单'), body: '问题', patron_id: patron.id, ...extra });
const record = (extra = {}) =>
  ok('archivist', 'POST', '/api/v1/records', { title: uniq('翻页档案'), description: '案卷', access_level: 'open', ...extra });

const keyOf = (item) => item.id ?? item.seq ?? item.contact_id;
const get = (path, role) => (role ? as(role, 'GET', path) : srv.api('GET', path));

// Walks `path` with limit=2 for up to three pages and compares with one page of 100.
async function walk(path, role, { min = 3 } = {}) {
  const sep = path.includes('?') ? '&' : '?';
  const one = await get(`${path}${sep}limit=100`, role);
  assert.equal(one.status, 200, `${path}: ${one.text}`);
  const all = one.json.items.map(keyOf);
  assert.ok(all.length >= min, `${path}: ${min} items to page through, got ${all.length}`);
  const seen = [];
  let cursor = null;
  let pages = 0;
  do {
    const r = await get(`${path}${sep}limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, role);
    assert.equal(r.status, 200, `${path} page ${pages + 1}: ${r.text}`);
    pages++;
    seen.push(...r.json.items.map(keyOf));
    cursor = r.json.next_cursor;
    if (cursor !== null) {
      assert.equal(typeof cursor, 'string', `${path}: next_cursor is a string`);
      assert.equal(r.json.items.length, 2, `${path}: only the last page is short`);
    }
  } while (cursor && pages < 3);
  assert.equal(new Set(seen).size, seen.length, `${path}: no item twice: ${seen}`);
  assert.deepEqual(seen, all.slice(0, seen.length), `${path}: the pages join without gaps`);
  if (!cursor) assert.equal(seen.length, all.length, `${path}: the last page ends the list`);
  assert.ok(pages >= Math.min(2, Math.ceil(all.length / 2)), `${path}: walked ${pages} pages`);
  return cursor;
}

// Cursors no list wrote: every route refuses them with 400 on `cursor`. Raw query text
// (%00 is a NUL byte, `cursor=` an empty one).
const kBad = ['12abc', '-1', '0', '99999999999999999999', '%00', '', '%2B5', '%5B1%2C2%5D', '%5B%22x%22%5D',
  '%5B%222026-01-01%22%2C-3%5D', '%5B%222026-01-01%22%2C99999999999999999999%5D', '%7B%7D'];
async function refuses(path, role, extra = []) {
  const sep = path.includes('?') ? '&' : '?';
  for (const bad of [...kBad, ...extra]) {
    const r = await get(`${path}${sep}cursor=${bad}`, role);
    assertError(assert, r, 400, 'cursor', 'invalid');
  }
}
// Lists ordered by id alone also refuse a key cursor; lists by time refuse a key not a time.
const kKeyCursor = ['%5B%222026-01-01T00%3A00%3A00Z%22%2C5%5D'];
const kNotATime = ['%5B%22soon%22%2C5%5D', '42'];

describe('service desk lists', () => {
  test('tickets, by id and by time, both ways', async () => {
    await times(5, () => ticket());
    for (const sort of ['', '&sort=id', '&sort=created_at', '&sort=-created_at', '&sort=resolution_due', '&sort=-resolution_due'])
      await walk(`/api/v1/tickets?patron_id=${patron.id}${sort}`, 'agent');
    await refuses('/api/v1/tickets', 'agent', kKeyCursor);
    await refuses('/api/v1/tickets?sort=-created_at', 'agent', kNotATime);
    // The patron's own list on the portal.
    await walk('/api/v1/tickets', 'cursor_portal');
  });

  test('follow-up visits, soonest due first', async () => {
    await times(4, () => ok('agent', 'POST', '/api/v1/follow-up-visits', { patron_id: patron.id }));
    await walk(`/api/v1/follow-up-visits?patron_id=${patron.id}`, 'agent');
    await refuses('/api/v1/follow-up-visits', 'agent', kNotATime);
  });

  test('alerts, newest first', async () => {
    for (let i = 0; i < 3; i++) {
      const p = await createPatron(srv, person());
      for (const subject of ['排队太久', '态度差']) await ticket({ kind: 'complaint', channel: 'phone', subject, patron_id: p.id });
    }
    await walk('/api/v1/alerts', 'agent');
    await refuses('/api/v1/alerts', 'agent', kKeyCursor);
  });

  test('interactions, prospects and the mail outbox', async () => {
    await times(4, () => ok('agent', 'POST', '/api/v1/interactions', { channel: 'phone', direction: 'in', patron_id: patron.id, subject: uniq('来电') }));
    await walk(`/api/v1/interactions?patron_id=${patron.id}`, 'agent');
    await refuses('/api/v1/interactions', 'agent', kNotATime);

    await times(4, () => ok('agent', 'POST', '/api/v1/interactions', { channel: 'sms', direction: 'in', address: mobile(), body: uniq('陌生号码') }));
    await walk('/api/v1/prospects', 'agent');
    await refuses('/api/v1/prospects', 'agent', kNotATime);

    for (let i = 0; i < 3; i++) {
      const t = await ticket({ channel: 'email' });
      await ok('agent', 'POST', `/api/v1/tickets/${t.id}/messages`, { kind: 'reply', channel: 'email', body: '邮件答复' });
    }
    await walk('/api/v1/mail/outbox', 'agent');
    await refuses('/api/v1/mail/outbox', 'agent', kKeyCursor);
  });

  test('on-site visits, soonest window first', async () => {
    for (let i = 0; i < 4; i++) {
      const d = new Date(Date.now() + 8 * 3600e3 + (21 + i) * 86400e3);
      while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
      const day = d.toISOString().slice(0, 10);
      await ok('agent', 'POST', '/api/v1/onsite-visits', {
        patron_id: patron.id, purpose: 'consultation', address: '北京市东城区某街1号',
        starts_at: `${day}T0${1 + i}:00:00+08:00`, ends_at: `${day}T0${2 + i}:00:00+08:00`,
      });
    }
    await walk(`/api/v1/onsite-visits?patron_id=${patron.id}`, 'agent');
    await refuses('/api/v1/onsite-visits', 'agent', kNotATime);
  });

  test('the message board: public, own and moderation lists; FAQ entries', async () => {
    const posts = await times(6, () => ok('cursor_portal', 'POST', '/api/v1/board/posts', { title: uniq('翻页留言'), body: '请问开放时间' }));
    for (const p of posts.slice(0, 3)) await ok('agent', 'POST', `/api/v1/board/posts/${p.id}/publish`, undefined, 200);
    await walk('/api/v1/board/posts');
    await refuses('/api/v1/board/posts', undefined, kKeyCursor);
    await walk('/api/v1/board/my-posts', 'cursor_portal');
    await refuses('/api/v1/board/my-posts', 'cursor_portal');
    await walk('/api/v1/board/moderation', 'agent'); // pending: oldest first
    await walk('/api/v1/board/moderation?status=all', 'agent');
    await refuses('/api/v1/board/moderation', 'agent', kKeyCursor);

    await times(3, () => ok('agent', 'POST', '/api/v1/faq-entries', { question: uniq('怎么查档？'), answer: '带身份证到一楼查询。' }));
    await walk('/api/v1/faq-entries', 'agent');
    await refuses('/api/v1/faq-entries', 'agent', kKeyCursor);
  });

  test('knowledge services, problems, actions, causes, QA, coaching, training, cases', async () => {
    await times(3, (i) => ok('agent', 'POST', '/api/v1/knowledge-services', { patron_id: patron.id, topic: uniq('课题'), specialist_id: me.agent, delivery_interval_days: 7 + i }));
    await walk(`/api/v1/knowledge-services?patron_id=${patron.id}`, 'agent');
    await refuses('/api/v1/knowledge-services', 'agent', kKeyCursor);

    const causes = (await ok('agent', 'GET', '/api/v1/cause-codes', undefined, 200)).items;
    const steps = causes.find((c) => c.code === 'process.steps');
    for (let i = 0; i < 3; i++) {
      const t = await ticket();
      await ok('agent', 'PUT', `/api/v1/tickets/${t.id}/cause`, { cause_id: steps.id }, 200);
    }
    await walk(`/api/v1/cause-codes/${steps.id}/tickets`, 'agent');
    await refuses(`/api/v1/cause-codes/${steps.id}/tickets`, 'agent', kKeyCursor);

    const problems = await times(3, () => ok('manager', 'POST', '/api/v1/problems', { title: uniq('问题'), cause_id: steps.id }));
    await walk('/api/v1/problems', 'agent');
    await refuses('/api/v1/problems', 'agent', kKeyCursor);
    const unit = await ok('administrator', 'POST', '/api/v1/units', { code: uniq('C'), name: '利用服务部' });
    await times(3, () => ok('manager', 'POST', `/api/v1/problems/${problems[0].id}/actions`, { title: uniq('整改'), unit_id: unit.id, owner_id: me.agent, due_on: '2027-03-01' }));
    await walk(`/api/v1/improvement-actions?problem_id=${problems[0].id}`, 'agent');
    await refuses('/api/v1/improvement-actions', 'agent', kKeyCursor);

    await times(3, async () => ok('manager', 'POST', '/api/v1/qa/reviews', { ticket_id: (await ticket()).id }));
    await walk('/api/v1/qa/reviews', 'manager');
    await refuses('/api/v1/qa/reviews', 'manager', kKeyCursor);
    await times(3, () => ok('manager', 'POST', '/api/v1/coaching-notes', { agent_id: me.agent, body: uniq('注意礼貌用语') }));
    await walk('/api/v1/coaching-notes', 'manager');
    await refuses('/api/v1/coaching-notes', 'manager', kKeyCursor);
    await times(3, () => ok('manager', 'POST', '/api/v1/training-records', { user_id: me.agent, course: uniq('业务培训'), taken_on: '2026-11-20', result: 'passed', score: 90 }));
    await walk('/api/v1/training-records', 'manager');
    await refuses('/api/v1/training-records', 'manager', kKeyCursor);

    await times(3, async () => ok('agent', 'POST', '/api/v1/cases', { title: uniq('案件'), links: [{ kind: 'ticket', id: (await ticket()).id }] }));
    await walk('/api/v1/cases', 'agent');
    await refuses('/api/v1/cases', 'agent', kKeyCursor);
  });

  test('the staff directory and loans', async () => {
    // By name, then id: the cursor is [name, id].
    await walk('/api/v1/staff', 'agent');
    await refuses('/api/v1/staff', 'agent');

    for (let i = 0; i < 4; i++) {
      const rec = await record();
      await ok('agent', 'POST', '/api/v1/loans', { record_id: rec.id, patron_id: patron.id, due_at: new Date(Date.now() + [9, 3, 7, 5][i] * 86400e3).toISOString() });
    }
    for (const sort of ['', '&sort=id', '&sort=due_at', '&sort=-due_at', '&sort=lent_at', '&sort=-lent_at'])
      await walk(`/api/v1/loans?patron_id=${patron.id}${sort}`, 'agent');
    await refuses('/api/v1/loans', 'agent', kKeyCursor);
    await refuses('/api/v1/loans?sort=due_at', 'agent', kNotATime);
  });
});

describe('patrons, audit, catalogue and transfer lists', () => {
  test('patrons by every sort, a timeline, contacts due, the audit trail', async () => {
    await times(4, (i) => createPatron(srv, person({ name: `翻页${'甲乙丙丁'[i]}${uniq()}`, phones: [mobile()] })));
    for (const sort of ['', '&sort=id', '&sort=-id', '&sort=name', '&sort=-name', '&sort=created_at', '&sort=-updated_at'])
      await walk(`/api/v1/patrons?q=${encodeURIComponent('翻页')}${sort}`, 'manager');
    await refuses('/api/v1/patrons', 'manager', kKeyCursor);
    await refuses('/api/v1/patrons?sort=created_at', 'manager', kNotATime);
    // By name: a bare id of a patron that exists; [name, id] (the old form) is refused.
    await refuses('/api/v1/patrons?sort=-name', 'manager', [...kKeyCursor, '%5B%22%E7%BF%BB%E9%A1%B5%22%2C5%5D', '999999999']);

    await times(3, () => ticket());
    await walk(`/api/v1/patrons/${patron.id}/timeline`, 'manager');
    await refuses(`/api/v1/patrons/${patron.id}/timeline`, 'manager', kNotATime);

    await walk('/api/v1/contacts/due-for-verification?days=1', 'agent');
    await refuses('/api/v1/contacts/due-for-verification', 'agent', kKeyCursor);

    // Up to now: entries written while walking (reads are audited) stay out of the pages.
    const to = new Date().toISOString();
    await sleep(1100);
    await walk(`/api/v1/audit?to=${encodeURIComponent(to)}`, 'auditor');
    await refuses('/api/v1/audit', 'auditor', kKeyCursor);
  });

  test('patrons by name, as a role the names are hidden from: the cursor is the last id, never the name', async () => {
    // Names without digits, so that no character of a name can hide in an id cursor.
    const tok = uniq('nc').replace(/[0-9]/g, (d) => 'abcdefghij'[d]);
    const names = ['张', '李', '张', '王', '赵', '刘'].map((s) => `${s}${tok}游标`);
    const made = await times(names.length, (i) => createPatron(srv, person({ name: names[i] })));
    const list = `/api/v1/patrons?q=${tok}`;
    const ids = async (role, sort, extra = '') =>
      (await ok(role, 'GET', `${list}&sort=${sort}&limit=100${extra}`, undefined, 200)).items.map((i) => i.id);
    const byName = await ids('manager', 'name');
    assert.deepEqual(new Set(byName), new Set(made.map((p) => p.id)));
    // Analysts see persons de-identified (no name); agents see names, and page the same way.
    for (const role of ['analyst', 'agent']) {
      for (const sort of ['name', '-name']) {
        const all = await ids(role, sort);
        assert.deepEqual(all, sort === 'name' ? byName : [...byName].reverse(), `${role} ${sort}: the same order`);
        const seen = [];
        let cursor = null;
        do {
          const page = await ok(role, 'GET', `${list}&sort=${sort}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, 200);
          for (const item of page.items) {
            if (role === 'analyst') assert.equal(item.name, null, `the analyst sees ${item.name}`);
            seen.push(item.id);
          }
          cursor = page.next_cursor;
          if (cursor !== null) {
            assert.equal(cursor, String(seen.at(-1)), `${role} ${sort}: the cursor is the last id`);
            for (const ch of new Set(names.join(''))) assert.ok(!cursor.includes(ch), `${cursor} holds ${ch}`);
          }
        } while (cursor !== null);
        assert.deepEqual(seen, all, `${role} ${sort}: the pages join without gaps or repeats`);
      }
    }

    // The last patron of a page merged away: it keeps its name, the next page follows it.
    const p1 = await ok('agent', 'GET', `${list}&sort=name&limit=2`, undefined, 200);
    const survivor = byName.at(-1);
    await ok('manager', 'POST', `/api/v1/patrons/${survivor}/merge`, { from: Number(p1.next_cursor), reason: '同一人重复建档' }, 200);
    const p2 = await ok('agent', 'GET', `${list}&sort=name&limit=2&cursor=${p1.next_cursor}`, undefined, 200);
    assert.deepEqual(p2.items.map((i) => i.id), byName.slice(2, 4));
    // Erased: its name and so its place are gone; 409 on `cursor` (start again), no page that
    // silently repeats or skips patrons, never a 500.
    await ok('manager', 'POST', `/api/v1/patrons/${p2.next_cursor}/erase`, { reason: '本人要求删除' }, 200);
    for (const sort of ['name', '-name']) {
      const r = await as('agent', 'GET', `${list}&sort=${sort}&limit=2&cursor=${p2.next_cursor}`);
      assertError(assert, r, 409, 'cursor', 'conflict');
    }
  });

  test('records by every sort, accessions, appraisal, disposal, imports and exports', async () => {
    const fonds = await ok('archivist', 'POST', '/api/v1/fonds', { code: uniq('CF'), name: '翻页全宗' });
    const recs = await times(7, (i) => record({ fonds_id: fonds.id, year: i === 3 ? undefined : 1990 + (i % 3), retention: 'D10' }));
    for (const sort of ['', '&sort=id', '&sort=-id', '&sort=year', '&sort=-year', '&sort=title', '&sort=reference_code', '&sort=-updated_at'])
      await walk(`/api/v1/records?fonds_id=${fonds.id}${sort}`, 'agent');
    await refuses('/api/v1/records', 'agent', kKeyCursor);
    await refuses('/api/v1/records?sort=year', 'agent', ['%5B%22199x%22%2C5%5D']);

    await times(3, () => ok('archivist', 'POST', '/api/v1/accessions', { method: 'transfer', received_on: '2025-02-03', source: uniq('移交'), item_count: 1 }));
    await walk('/api/v1/accessions', 'archivist');
    await refuses('/api/v1/accessions', 'archivist', kKeyCursor);

    await walk('/api/v1/appraisal/due?as_of=2099-12-31', 'archivist', { min: 7 });
    await refuses('/api/v1/appraisal/due', 'archivist', kNotATime);
    for (const rec of recs.slice(0, 3)) {
      const p = await ok('archivist', 'POST', `/api/v1/records/${rec.id}/appraisals`, { outcome: 'dispose', reason: '保管期满' });
      await ok('manager', 'POST', `/api/v1/appraisals/${p.id}/decision`, { approve: true, note: '同意' }, 200);
    }
    await walk('/api/v1/appraisals', 'archivist');
    await refuses('/api/v1/appraisals', 'archivist', kKeyCursor);
    await walk('/api/v1/disposal-register', 'auditor');
    await refuses('/api/v1/disposal-register', 'auditor', kKeyCursor);

    await times(3, async () => {
      const r = await as('manager', 'POST', '/api/v1/records/exports', { format: 'json', purpose: uniq('核对') });
      assert.ok(r.status === 201 || r.status === 202, r.text);
    });
    await walk('/api/v1/records/exports', 'manager');
    await refuses('/api/v1/records/exports', 'manager', kKeyCursor);
    // Dry runs: jobs to list without writing records (the list does not wait for them).
    await times(3, () => srv.api('POST', '/api/v1/records/imports?format=csv&dry_run=true', {
      as: 'archivist', body: `题名\n${uniq('翻页导入')}\n`, headers: { 'content-type': 'application/octet-stream' },
    }).then((r) => assert.equal(r.status, 202, r.text)));
    await walk('/api/v1/records/imports', 'archivist');
    await refuses('/api/v1/records/imports', 'archivist', kKeyCursor);
  });
});
