import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertError,
  assertPatronNames,
  auditEntries,
  countPatrons,
  createPatron,
  listAll,
  mobile,
  person,
  residentId,
  startServer,
  uniq,
} from './harness.mjs';

let srv;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv?.stop();
});

const get = (id, as = 'manager') => srv.api('GET', `/api/v1/patrons/${id}`, { as });
const patch = (id, body, as = 'manager', headers = {}) => srv.api('PATCH', `/api/v1/patrons/${id}`, { as, body, headers });
const ids = (items) => items.map((p) => p.id);
const search = async (query, as = 'manager') => {
  const r = await srv.api('GET', `/api/v1/patrons?${new URLSearchParams(query)}`, { as });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
const timeline = async (id, query = '', as = 'manager') => {
  const r = await srv.api('GET', `/api/v1/patrons/${id}/timeline${query}`, { as });
  assert.equal(r.status, 200, r.text);
  return r.json;
};

const kCreditChars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const kCreditWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
function socialCreditCode() {
  let s = '91110105';
  while (s.length < 17) s += kCreditChars[Math.floor(Math.random() * 10)];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += kCreditChars.indexOf(s[i]) * kCreditWeights[i];
  return s + kCreditChars[(31 - (sum % 31)) % 31];
}

describe('create and read', () => {
  test('a person: 201, Location, every field back as stored', async () => {
    const phone = mobile('138');
    const rid = residentId({ check: 'X' });
    const body = {
      type: 'person',
      name: '赵敏',
      name_latin: 'Zhao Min',
      gender: 'female',
      birth_date: '1985-03-14',
      phones: [phone],
      emails: ['Zhao.Min@Example.cn'],
      id_document: { type: 'resident_id', number: rid.toLowerCase() },
      region: '北京',
      postcode: '100005',
      address: '北京市东城区东四十条甲22号',
      tags: ['vip', 'researcher'],
      interests: ['地方志', '家谱'],
      consents: { contact: true, marketing: false },
      staff_notes: 'prefers morning calls',
    };
    const r = await srv.api('POST', '/api/v1/patrons', { as: 'manager', body });
    assert.equal(r.status, 201, r.text);
    const p = r.json;
    assert.ok(Number.isInteger(p.id) && p.id > 0);
    assert.equal(r.headers.get('location'), `/api/v1/patrons/${p.id}`);
    assert.equal(p.type, 'person');
    assert.equal(p.status, 'active');
    assert.equal(p.version, 1);
    assert.equal(p.name, '赵敏');
    assert.equal(p.name_latin, 'Zhao Min');
    assert.deepEqual(p.phones, [phone]);
    assert.deepEqual(p.emails, ['Zhao.Min@Example.cn']);
    assert.deepEqual(p.id_document, { type: 'resident_id', number: rid }, 'resident ID upper-cased');
    assert.equal(p.birth_date, '1985-03-14');
    assert.equal(p.address, body.address);
    assert.deepEqual(p.tags, ['researcher', 'vip']);
    assert.deepEqual(p.interests, ['地方志', '家谱']);
    assert.equal(p.consents.contact.given, true);
    assert.equal(p.consents.marketing.given, false);
    assert.equal(p.staff_notes, 'prefers morning calls');
    assert.deepEqual(p.masked, []);
    assert.deepEqual(p.duplicate_candidates, []);
    assert.equal(p.contacts.length, 2);

    const g = await get(p.id);
    assert.equal(g.status, 200);
    assert.equal(g.headers.get('etag'), '"1"');
    const { duplicate_candidates, ...created } = p;
    assert.deepEqual(g.json, created, 'GET returns what POST returned');
  });

  test('an organisation with a unified social credit code', async () => {
    const code = socialCreditCode();
    const r = await srv.api('POST', '/api/v1/patrons', {
      as: 'agent',
      body: {
        type: 'organisation',
        name: uniq('北京市某某研究院'),
        sector: 'research',
        organisation_size: 'large',
        id_document: { type: 'social_credit_code', number: code },
      },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.type, 'organisation');
    assert.equal(r.json.organisation_size, 'large');
    const g = await get(r.json.id);
    assert.deepEqual(g.json.id_document, { type: 'social_credit_code', number: code });
    const bad = code.slice(0, 17) + (code[17] === '0' ? '1' : '0');
    const r2 = await srv.api('POST', '/api/v1/patrons', {
      as: 'agent',
      body: { type: 'organisation', name: 'x', id_document: { type: 'social_credit_code', number: bad } },
    });
    assertError(assert, r2, 400, 'id_document.number');
  });

  test('type and name are required; the type cannot change later', async () => {
    assertError(assert, await srv.api('POST', '/api/v1/patrons', { as: 'agent', body: { name: 'x' } }), 400, 'type');
    assertError(assert, await srv.api('POST', '/api/v1/patrons', { as: 'agent', body: { type: 'person' } }), 400, 'name');
    assertError(assert, await srv.api('POST', '/api/v1/patrons', { as: 'agent', body: { type: 'robot', name: 'x' } }), 400, 'type');
    assertError(assert, await srv.api('POST', '/api/v1/patrons', { as: 'agent', body: { type: 'person', name: '   ' } }), 400, 'name');
    const p = await createPatron(srv, person());
    assertError(assert, await patch(p.id, { type: 'organisation' }), 400, 'type');
  });

  test('an unknown id is 404', async () => {
    assertError(assert, await get(987654321), 404, undefined, 'not_found');
  });
});

describe('list, search and paging', () => {
  const tag = uniq('t');
  let zhang, li, wang, org;
  const zhangPhone = mobile('138');
  const zhangRid = residentId({ check: 'X' });
  const zhangEmail = `${uniq('zw')}@example.org`;
  before(async () => {
    zhang = await createPatron(srv, {
      type: 'person',
      name: '张伟',
      phones: [zhangPhone],
      emails: [zhangEmail],
      id_document: { type: 'resident_id', number: zhangRid },
      region: `R-${tag}`,
      tags: [tag],
    });
    li = await createPatron(srv, { type: 'person', name: '李娜', region: `R-${tag}`, tags: [tag] });
    wang = await createPatron(srv, { type: 'person', name: '王伟', tags: [tag] });
    org = await createPatron(srv, { type: 'organisation', name: '张家口市档案馆', tags: [tag] });
  });

  const found = async (q) => ids((await search({ q, tag })).items);

  test('simplified Chinese name', async () => {
    const r = await found('张伟');
    assert.ok(r.includes(zhang.id));
    assert.ok(!r.includes(li.id) && !r.includes(wang.id));
  });

  test('traditional 張偉 finds 张伟', async () => {
    const r = await found('張偉');
    assert.deepEqual(r, [zhang.id]);
  });

  test('full pinyin zhangwei and with a space', async () => {
    assert.deepEqual(await found('zhangwei'), [zhang.id]);
    assert.deepEqual(await found('Zhang Wei'), [zhang.id]);
  });

  test('pinyin initials', async () => {
    const r = await found('zw');
    assert.ok(r.includes(zhang.id), 'zw finds 张伟');
    assert.ok(!r.includes(li.id) && !r.includes(wang.id));
    assert.ok((await found('ln')).includes(li.id), 'ln finds 李娜');
  });

  test('phone in any common notation', async () => {
    for (const q of [zhangPhone, `+86 ${zhangPhone.slice(0, 3)} ${zhangPhone.slice(3, 7)} ${zhangPhone.slice(7)}`, `${zhangPhone.slice(0, 3)}-${zhangPhone.slice(3, 7)}-${zhangPhone.slice(7)}`])
      assert.deepEqual(await found(q), [zhang.id], q);
  });

  test('e-mail, case-insensitive', async () => {
    assert.deepEqual(await found(zhangEmail), [zhang.id]);
    assert.deepEqual(await found(zhangEmail.toUpperCase()), [zhang.id]);
  });

  test('ID number, lower-case x too', async () => {
    assert.deepEqual(await found(zhangRid), [zhang.id]);
    assert.deepEqual(await found(zhangRid.toLowerCase()), [zhang.id]);
  });

  test('filters: type, region, tag', async () => {
    const orgs = await search({ tag, type: 'organisation' });
    assert.deepEqual(ids(orgs.items), [org.id]);
    const persons = await search({ tag, type: 'person' });
    assert.deepEqual(ids(persons.items).sort((a, b) => a - b), [zhang.id, li.id, wang.id].sort((a, b) => a - b));
    const region = await search({ region: `R-${tag}` });
    assert.deepEqual(ids(region.items).sort((a, b) => a - b), [zhang.id, li.id].sort((a, b) => a - b));
    const none = await search({ tag: uniq('none') });
    assert.deepEqual(none.items, []);
    assert.equal(none.next_cursor, null);
    const combined = await search({ tag, q: '伟', type: 'person' });
    assert.deepEqual(ids(combined.items).sort((a, b) => a - b), [zhang.id, wang.id].sort((a, b) => a - b));
  });

  test('list items carry the summary fields', async () => {
    const item = (await search({ tag, q: '张伟' })).items[0];
    for (const k of ['id', 'type', 'name', 'status', 'region', 'phones', 'emails', 'tags', 'created_at', 'updated_at', 'masked'])
      assert.ok(k in item, k);
    assert.deepEqual(item.phones, [zhangPhone]);
  });

  test('sort and cursor paging walk every item once, in order', async () => {
    const t = uniq('page');
    const names = ['b', 'a', 'c', 'a', 'd', 'e', 'b'].map((n) => `${t}-${n}`);
    const made = [];
    for (const name of names) made.push(await createPatron(srv, { type: 'person', name, tags: [t] }));
    const byName = [...made].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : x.id - y.id));
    for (const [sort, expected] of [
      ['name', byName],
      ['-name', [...byName].reverse()],
      ['id', [...made].sort((x, y) => x.id - y.id)],
      ['-id', [...made].sort((x, y) => y.id - x.id)],
      ['created_at', [...made].sort((x, y) => x.id - y.id)],
      ['-updated_at', [...made].sort((x, y) => y.id - x.id)],
    ]) {
      const seen = [];
      let cursor = null;
      let pages = 0;
      do {
        const q = { tag: t, sort, limit: '2', ...(cursor ? { cursor } : {}) };
        const page = await search(q);
        assert.ok(page.items.length <= 2);
        seen.push(...ids(page.items));
        cursor = page.next_cursor;
        pages++;
        if (cursor) assert.equal(page.items.length, 2, 'only the last page is short');
      } while (cursor && pages < 20);
      assert.equal(cursor, null, `${sort}: next_cursor null at the end`);
      assert.equal(pages, 4, `${sort}: 7 items in pages of 2`);
      assert.equal(new Set(seen).size, seen.length, `${sort}: no duplicates`);
      assert.deepEqual(seen, ids(expected), `${sort}: order, no gaps`);
    }
  });

  test('a page of exactly the remaining items ends with next_cursor null', async () => {
    const page = await search({ tag, limit: '4' });
    assert.equal(page.items.length, 4);
    assert.equal(page.next_cursor, null);
  });

  test('an unknown sort key is a 400 naming sort', async () => {
    assertError(assert, await srv.api('GET', '/api/v1/patrons?sort=password', { as: 'manager' }), 400, 'sort');
  });
});

describe('updates', () => {
  test('non-key fields change at once; version and ETag follow; If-Match guards', async () => {
    const p = await createPatron(srv, person({ region: '天津' }));
    const r = await patch(p.id, { region: '上海', occupation: 'teacher' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, 2);
    assert.equal(r.headers.get('etag'), '"2"');
    assert.equal(r.json.region, '上海');
    assert.equal(r.json.occupation, 'teacher');
    assert.deepEqual(r.json.pending_key_changes, []);
    assert.equal((await get(p.id)).json.region, '上海');

    const stale = await patch(p.id, { region: '广州' }, 'manager', { 'if-match': '"1"' });
    assertError(assert, stale, 409, 'version', 'conflict');
    assert.equal((await get(p.id)).json.region, '上海', 'a stale write changes nothing');

    const fresh = await patch(p.id, { region: '广州' }, 'manager', { 'if-match': '"2"' });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.json.version, 3);
    assertError(assert, await patch(p.id, { region: 'x' }, 'manager', { 'if-match': 'W/"abc"' }), 400, 'If-Match');
  });

  test('a PATCH that changes nothing keeps the version', async () => {
    const p = await createPatron(srv, person({ region: '天津' }));
    const r = await patch(p.id, { region: '天津' });
    assert.equal(r.status, 200);
    assert.equal(r.json.version, 1);
  });

  test('phones and e-mails are replaced as a list; null clears a field', async () => {
    const a = mobile();
    const b = mobile();
    const p = await createPatron(srv, person({ phones: [a], occupation: 'x' }));
    const r = await patch(p.id, { phones: [b, a], occupation: null });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.phones, [b, a]);
    assert.equal(r.json.occupation, null);
    assert.deepEqual(ids((await search({ q: b })).items), [p.id], 'the new phone is searchable');
  });

  test('a key field without a reason is refused; nothing changes', async () => {
    const p = await createPatron(srv, person());
    const r = await patch(p.id, { name: '新名字' });
    assertError(assert, r, 400, 'reason', 'invalid');
    const g = await get(p.id);
    assert.equal(g.json.name, p.name);
    assert.equal(g.json.version, 1);
  });

  test('key-field correction: pending, not by the requester, applied by a second person, old value kept', async () => {
    const p = await createPatron(srv, person({ name: uniq('旧名') }));
    const newName = uniq('新名');
    const r = await patch(p.id, { name: newName, reason: 'typo in the registration form' }, 'archivist');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.name, p.name, 'name unchanged until approved');
    assert.equal(r.json.pending_key_changes.length, 1);
    const change = r.json.pending_key_changes[0];
    assert.equal(change.field, 'name');
    assert.equal(change.status, 'pending');
    assert.equal((await get(p.id)).json.name, p.name);

    const pending = await srv.api('GET', `/api/v1/key-changes?patron_id=${p.id}&status=pending`, { as: 'manager' });
    assert.equal(pending.status, 200);
    assert.deepEqual(ids(pending.json.items), [change.id]);
    assert.equal(pending.json.items[0].requested_by, 'archivist');

    const self = await srv.api('POST', `/api/v1/key-changes/${change.id}/approve`, { as: 'archivist' });
    assertError(assert, self, 403, undefined, 'forbidden');
    const agent = await srv.api('POST', `/api/v1/key-changes/${change.id}/approve`, { as: 'agent' });
    assertError(assert, agent, 403);
    assert.equal((await get(p.id)).json.name, p.name);

    const ok = await srv.api('POST', `/api/v1/key-changes/${change.id}/approve`, { as: 'manager', body: { note: 'checked the ID card' } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.status, 'approved');
    assert.equal(ok.json.decided_by, 'manager');
    const after = (await get(p.id)).json;
    assert.equal(after.name, newName);
    assert.ok(after.version > 1);

    const history = await srv.api('GET', `/api/v1/key-changes?patron_id=${p.id}`, { as: 'manager' });
    const h = history.json.items.find((c) => c.id === change.id);
    assert.equal(h.status, 'approved');
    assert.equal(h.old_value, p.name, 'the old value stays visible');
    assert.equal(h.new_value, newName);
    assert.equal(h.reason, 'typo in the registration form');
    assert.equal(h.decision_note, 'checked the ID card');

    const twice = await srv.api('POST', `/api/v1/key-changes/${change.id}/approve`, { as: 'manager' });
    assertError(assert, twice, 409);
    assert.deepEqual(ids((await search({ q: newName })).items), [p.id], 'search follows the new name');
    assert.deepEqual((await search({ q: p.name })).items, [], 'and forgets the old one');
    const kinds = (await timeline(p.id)).items.map((e) => e.kind);
    assert.ok(kinds.includes('patron.key_change_requested'));
    assert.ok(kinds.includes('patron.key_change_approved'));
  });

  test('the corrections list names the patron as the patron list does; erased: the redacted name', async () => {
    const p = await createPatron(srv, person({ name: uniq('更正用户'), id_document: { type: 'resident_id', number: residentId() } }));
    const r = await patch(p.id, { id_document: { type: 'resident_id', number: residentId() }, reason: 'digits swapped' }, 'archivist');
    assert.equal(r.status, 200, r.text);
    const id = r.json.pending_key_changes[0].id;
    await assertPatronNames(assert, srv, {
      path: `/api/v1/key-changes?patron_id=${p.id}`,
      pick: (items) => items.find((c) => c.id === id),
      patron: p,
      list: 'key_changes',
    });
    assert.equal((await srv.api('POST', `/api/v1/patrons/${p.id}/erase`, { as: 'manager', body: { reason: '本人要求删除个人信息' } })).status, 200);
    const after = (await srv.api('GET', `/api/v1/key-changes?patron_id=${p.id}`, { as: 'archivist' })).json.items;
    assert.equal(after.find((c) => c.id === id).patron_name, `(erased ${p.id})`);
  });

  test('a rejected correction changes nothing', async () => {
    const rid = residentId();
    const p = await createPatron(srv, person({ id_document: { type: 'resident_id', number: rid } }));
    const other = residentId();
    const r = await patch(p.id, { id_document: { type: 'resident_id', number: other }, reason: 'wrong digits' }, 'agent');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id_document.number.length, 18);
    const id = r.json.pending_key_changes[0].id;
    const rej = await srv.api('POST', `/api/v1/key-changes/${id}/reject`, { as: 'archivist', body: { note: 'documents do not match' } });
    assert.equal(rej.status, 200, rej.text);
    assert.equal(rej.json.status, 'rejected');
    assert.deepEqual((await get(p.id)).json.id_document, { type: 'resident_id', number: rid });
    assertError(assert, await srv.api('POST', `/api/v1/key-changes/${id}/approve`, { as: 'manager' }), 409);
  });
});

describe('ID documents and duplicates', () => {
  test('a resident ID with a bad check digit is refused, naming id_document.number', async () => {
    const rid = residentId();
    const bad = rid.slice(0, 17) + (rid[17] === '1' ? '2' : '1');
    const name = uniq('Bad ID ');
    const r = await srv.api('POST', '/api/v1/patrons', {
      as: 'agent',
      body: { type: 'person', name, id_document: { type: 'resident_id', number: bad } },
    });
    assertError(assert, r, 400, 'id_document.number', 'invalid');
    assert.deepEqual((await search({ q: name })).items, [], 'nothing created');
    const badDate = '110105' + '19991332' + '123';
    const r2 = await srv.api('POST', '/api/v1/patrons', {
      as: 'agent',
      body: { type: 'person', name, id_document: { type: 'resident_id', number: badDate + 'X' } },
    });
    assertError(assert, r2, 400, 'id_document.number');
    const r3 = await srv.api('POST', '/api/v1/patrons', {
      as: 'agent',
      body: { type: 'person', name, id_document: { type: 'diplomatic', number: '123' } },
    });
    assertError(assert, r3, 400, 'id_document.type');
  });

  test('the same ID document twice is a 409', async () => {
    const rid = residentId({ check: 'X' });
    const first = await createPatron(srv, person({ id_document: { type: 'resident_id', number: rid } }));
    const r = await srv.api('POST', '/api/v1/patrons', {
      as: 'agent',
      body: person({ id_document: { type: 'resident_id', number: rid.toLowerCase() } }),
    });
    assertError(assert, r, 409, 'id_document.number', 'conflict');
    assert.match(r.json.error.message, new RegExp(String(first.id)));
    const other = await createPatron(srv, person());
    const p = await patch(other.id, { id_document: { type: 'resident_id', number: rid }, reason: 'set the ID' });
    assertError(assert, p, 409, 'id_document.number');
  });

  test('a shared phone or e-mail comes back as duplicate candidates', async () => {
    const phone = mobile('136');
    const email = `${uniq('dup')}@example.com`;
    const first = await createPatron(srv, person({ phones: [phone], emails: [email] }));
    const r = await srv.api('POST', '/api/v1/patrons', {
      as: 'agent',
      body: person({ phones: [`+86 ${phone}`], emails: [email.toUpperCase()] }),
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.duplicate_candidates.length, 1);
    const c = r.json.duplicate_candidates[0];
    assert.equal(c.id, first.id);
    assert.deepEqual(c.matched_on, ['emails', 'phones']);
    assert.equal(c.name, first.name);

    const d = await srv.api('GET', `/api/v1/patrons/duplicates?phone=${encodeURIComponent(phone)}`, { as: 'agent' });
    assert.equal(d.status, 200);
    assert.deepEqual(ids(d.json.items).sort((a, b) => a - b), [first.id, r.json.id].sort((a, b) => a - b));
    const e = await srv.api('GET', `/api/v1/patrons/duplicates?email=${encodeURIComponent(email)}`, { as: 'agent' });
    assert.equal(e.json.items.length, 2);
    const none = await srv.api('GET', `/api/v1/patrons/duplicates?phone=${mobile('135')}`, { as: 'agent' });
    assert.deepEqual(none.json.items, []);
  });

  test('duplicates by ID number and by name within an organisation', async () => {
    const rid = residentId();
    const p = await createPatron(srv, person({ id_document: { type: 'resident_id', number: rid } }));
    const d = await srv.api('GET', `/api/v1/patrons/duplicates?id_number=${rid.toLowerCase()}`, { as: 'agent' });
    assert.deepEqual(ids(d.json.items), [p.id]);
    assert.deepEqual(d.json.items[0].matched_on, ['id_document']);
    const orgName = uniq('某大学');
    const m = await createPatron(srv, person({ name: '陈静', organisation_name: orgName }));
    const byName = await srv.api('GET', `/api/v1/patrons/duplicates?${new URLSearchParams({ name: '陳靜', organisation_name: orgName })}`, { as: 'agent' });
    assert.deepEqual(ids(byName.json.items), [m.id], 'traditional spelling, same organisation');
    const elsewhere = await srv.api('GET', `/api/v1/patrons/duplicates?${new URLSearchParams({ name: '陈静', organisation_name: uniq('别处') })}`, { as: 'agent' });
    assert.deepEqual(elsewhere.json.items, []);
  });
});

describe('merge', () => {
  test('moves contacts and timeline to the survivor; the merged id redirects', async () => {
    const tag = uniq('m');
    const sPhone = mobile();
    const mPhone = mobile();
    const survivor = await createPatron(srv, person({ phones: [sPhone], tags: [tag] }));
    const merged = await createPatron(srv, person({ phones: [mPhone], emails: [`${uniq('m')}@example.net`], occupation: 'historian', tags: [tag, 'extra'] }));
    assert.equal((await patch(merged.id, { region: '南京' })).status, 200);
    const mEvents = (await timeline(merged.id)).items;
    assert.equal(mEvents.length, 2);

    const r = await srv.api('POST', `/api/v1/patrons/${survivor.id}/merge`, { as: 'archivist', body: { from: merged.id, reason: 'same person: same phone and ID' } });
    assert.equal(r.status, 200, r.text);
    const s = (await get(survivor.id)).json;
    assert.deepEqual([...s.phones].sort(), [sPhone, mPhone].sort());
    assert.equal(s.emails.length, 1);
    assert.equal(s.occupation, 'historian', 'fields the survivor lacked are filled');
    assert.equal(s.region, '南京');
    assert.deepEqual(s.tags, ['extra', tag].sort());

    const g = await get(merged.id);
    assert.equal(g.status, 301);
    assert.equal(g.headers.get('location'), `/api/v1/patrons/${survivor.id}`);
    assert.equal(g.json.merged_into, survivor.id);
    assert.equal(g.json.error.code, 'moved');

    const token = await srv.login('manager');
    const followed = await fetch(`${srv.url}/api/v1/patrons/${merged.id}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(followed.status, 200);
    assert.equal((await followed.json()).id, survivor.id, 'following the redirect lands on the survivor');
    const t = await srv.api('GET', `/api/v1/patrons/${merged.id}/timeline`, { as: 'manager' });
    assert.equal(t.status, 301);
    assert.equal(t.headers.get('location'), `/api/v1/patrons/${survivor.id}/timeline`);

    const listed = ids(await listAll(srv, `/api/v1/patrons?tag=${tag}`));
    assert.deepEqual(listed, [survivor.id], 'the merged patron is not listed');

    const events = (await timeline(survivor.id)).items;
    const mIds = ids(mEvents);
    for (const id of mIds) assert.ok(ids(events).includes(id), `event ${id} moved to the survivor`);
    const m = events.find((e) => e.kind === 'patron.merged');
    assert.ok(m, 'a merged event');
    assert.equal(m.detail.merged, merged.id);
    assert.equal(events[0].kind, 'patron.merged', 'newest first');

    const audit = await auditEntries(srv, { patron_id: String(survivor.id), action: 'patron.merge' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0].reason, 'same person: same phone and ID');
  });

  test('refuses: itself, a person with an organisation, an already merged patron, no reason', async () => {
    const a = await createPatron(srv, person());
    const b = await createPatron(srv, person());
    const o = await createPatron(srv, { type: 'organisation', name: uniq('Org ') });
    const merge = (into, body) => srv.api('POST', `/api/v1/patrons/${into}/merge`, { as: 'manager', body });
    assertError(assert, await merge(a.id, { from: a.id, reason: 'same one' }), 400, 'from');
    assertError(assert, await merge(a.id, { from: o.id, reason: 'really the same' }), 400, 'from');
    assertError(assert, await merge(a.id, { from: b.id }), 400, 'reason');
    assertError(assert, await merge(a.id, { from: 987654321, reason: 'not there' }), 400, 'from');
    assert.equal((await get(b.id)).json.status, 'active', 'refused merges change nothing');
    assert.equal((await merge(a.id, { from: b.id, reason: 'duplicates' })).status, 200);
    const again = await merge(a.id, { from: b.id, reason: 'duplicates' });
    assert.ok(again.status === 409 || again.status === 400, `merging an already merged patron again: expected 409/400, got ${again.status} (Location: ${again.headers.get('location')})`);
  });
});

describe('merged ids', () => {
  test('every read of a merged id points to the survivor', async () => {
    const s = await createPatron(srv, person());
    const m = await createPatron(srv, person());
    assert.equal((await srv.api('POST', `/api/v1/patrons/${s.id}/merge`, { as: 'manager', body: { from: m.id, reason: 'duplicates' } })).status, 200);
    for (const sub of ['', '/timeline', '/export', '/relations']) {
      const r = await srv.api('GET', `/api/v1/patrons/${m.id}${sub}`, { as: 'manager' });
      assert.equal(r.status, 301, `GET /api/v1/patrons/{merged}${sub}: ${r.status} ${r.text}`);
      assert.equal(r.headers.get('location'), `/api/v1/patrons/${s.id}${sub}`);
    }
  });
});

describe('erasure', () => {
  test('anonymises personal fields, keeps events without their text, audits', async () => {
    const rid = residentId();
    const phone = mobile();
    const name = uniq('Erase Me ');
    const p = await createPatron(srv, person({
      name,
      phones: [phone],
      emails: [`${uniq('e')}@example.com`],
      id_document: { type: 'resident_id', number: rid },
      birth_date: '1970-06-01',
      address: '上海市黄浦区',
      region: '上海',
      staff_notes: 'note',
    }));
    await patch(p.id, { occupation: 'writer' });
    const before = (await timeline(p.id)).items;
    assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/erase`, { as: 'manager', body: {} }), 400, 'reason');

    const r = await srv.api('POST', `/api/v1/patrons/${p.id}/erase`, { as: 'manager', body: { reason: 'patron asked for erasure (PIPL art. 47)' } });
    assert.equal(r.status, 200, r.text);
    const e = (await get(p.id)).json;
    assert.equal(e.status, 'erased');
    assert.equal(e.name, `(erased ${p.id})`);
    assert.deepEqual(e.phones, []);
    assert.deepEqual(e.emails, []);
    assert.equal(e.id_document, null);
    assert.equal(e.address, null);
    assert.equal(e.staff_notes, null);
    assert.equal(e.birth_date, '1970-01-01', 'only the birth year stays');
    assert.equal(e.region, '上海', 'statistics stay');

    const after = (await timeline(p.id)).items;
    for (const ev of before) {
      const kept = after.find((x) => x.id === ev.id);
      assert.ok(kept, `event ${ev.kind} kept`);
      assert.equal(kept.kind, ev.kind);
      assert.equal(kept.summary, '', 'summary cleared');
      assert.deepEqual(kept.detail, {});
    }
    assert.ok(after.some((x) => x.kind === 'patron.erased'));

    const audit = await auditEntries(srv, { patron_id: String(p.id), action: 'patron.erase' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor, 'manager');
    assert.match(audit[0].reason, /PIPL/);

    assert.deepEqual((await search({ q: name })).items, [], 'not found by the old name');
    assert.deepEqual((await search({ q: phone })).items, [], 'not found by the old phone');
    assert.ok(ids(await listAll(srv, '/api/v1/patrons?status=erased')).includes(p.id));
    assertError(assert, await srv.api('POST', `/api/v1/patrons/${p.id}/erase`, { as: 'manager', body: { reason: 'again please' } }), 409);
    assertError(assert, await patch(p.id, { region: '北京' }), 409);
    const reuse = await srv.api('POST', '/api/v1/patrons', { as: 'agent', body: person({ id_document: { type: 'resident_id', number: rid } }) });
    assert.equal(reuse.status, 201, 'the erased ID number is free again');
  });
});

describe('erasure and the portal', () => {
  test("erasing a patron ends its portal account's sessions and log-ins", async () => {
    const q = await createPatron(srv, person());
    const username = uniq('portal-');
    const made = await srv.api('POST', '/api/v1/users', {
      as: 'administrator',
      body: { username, password: 'portal-password-1', role: 'patron', patron_id: q.id },
    });
    assert.equal(made.status, 201, made.text);
    const token = await srv.login(username, 'portal-password-1');
    assert.equal((await srv.api('GET', `/api/v1/patrons/${q.id}`, { token })).status, 200);
    const r = await srv.api('POST', `/api/v1/patrons/${q.id}/erase`, { as: 'manager', body: { reason: 'erasure requested' } });
    assert.equal(r.status, 200);
    assert.equal((await srv.api('GET', '/api/v1/me', { token })).status, 401);
    const again = await srv.api('POST', '/api/v1/auth/login', { body: { username, password: 'portal-password-1' } });
    assert.equal(again.status, 401);
  });
});

describe('export', () => {
  test('contains the patron, the timeline and who accessed the data', async () => {
    const phone = mobile();
    const p = await createPatron(srv, person({ phones: [phone] }), 'agent');
    await patch(p.id, { region: '杭州' }, 'agent');
    const r = await srv.api('GET', `/api/v1/patrons/${p.id}/export`, { as: 'manager' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-disposition'), new RegExp(`attachment; filename="patron-${p.id}\\.json"`));
    const x = r.json;
    assert.equal(x.format, 'dangan.patron-export/1');
    assert.equal(x.patron.id, p.id);
    assert.deepEqual(x.patron.phones, [phone], 'unmasked');
    assert.equal(x.patron.region, '杭州');
    const kinds = x.timeline.map((e) => e.kind);
    assert.ok(kinds.includes('patron.created') && kinds.includes('patron.changed'), `timeline: ${kinds}`);
    const actions = x.access_log.map((a) => a.action);
    assert.ok(actions.includes('patron.create') && actions.includes('patron.update'), `access_log: ${actions}`);
    assert.ok(x.access_log.every((a) => typeof a.at === 'string' && typeof a.role === 'string'));
    assert.ok(x.access_log.some((a) => a.role === 'agent'));
    const audit = await auditEntries(srv, { patron_id: String(p.id), action: 'patron.export' });
    assert.equal(audit.length, 1);
  });
});

describe('relations', () => {
  test('add, list from both sides, refuse duplicates, remove', async () => {
    const a = await createPatron(srv, person());
    const o = await createPatron(srv, { type: 'organisation', name: uniq('研究所') });
    const b = await createPatron(srv, person());
    const add = (id, body) => srv.api('POST', `/api/v1/patrons/${id}/relations`, { as: 'agent', body });
    const r = await add(a.id, { related_id: o.id, kind: 'member_of', role: '研究员' });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual({ ...r.json, id: 0 }, { id: 0, patron_id: a.id, related_id: o.id, kind: 'member_of', role: '研究员' });

    const fromA = (await srv.api('GET', `/api/v1/patrons/${a.id}/relations`, { as: 'agent' })).json.items;
    assert.equal(fromA.length, 1);
    assert.equal(fromA[0].patron_id, o.id);
    assert.equal(fromA[0].direction, 'outgoing');
    assert.equal(fromA[0].name, o.name);
    assert.equal(fromA[0].type, 'organisation');
    const fromO = (await srv.api('GET', `/api/v1/patrons/${o.id}/relations`, { as: 'agent' })).json.items;
    assert.equal(fromO.length, 1);
    assert.equal(fromO[0].patron_id, a.id);
    assert.equal(fromO[0].direction, 'incoming');
    assert.equal(fromO[0].id, r.json.id);

    assertError(assert, await add(a.id, { related_id: o.id, kind: 'member_of' }), 409);
    assertError(assert, await add(a.id, { related_id: b.id, kind: 'member_of' }), 400, 'related_id');
    assertError(assert, await add(a.id, { related_id: a.id, kind: 'colleague' }), 400, 'related_id');
    assertError(assert, await add(a.id, { related_id: b.id, kind: 'enemy' }), 400, 'kind');
    assertError(assert, await add(a.id, { related_id: 987654321, kind: 'colleague' }), 400, 'related_id');
    assert.equal((await add(b.id, { related_id: a.id, kind: 'household' })).status, 201);
    const both = (await srv.api('GET', `/api/v1/patrons/${a.id}/relations`, { as: 'agent' })).json.items;
    assert.equal(both.length, 2);

    const del = await srv.api('DELETE', `/api/v1/patrons/${o.id}/relations/${r.json.id}`, { as: 'agent' });
    assert.equal(del.status, 204, del.text);
    assert.deepEqual((await srv.api('GET', `/api/v1/patrons/${o.id}/relations`, { as: 'agent' })).json.items, []);
    const left = (await srv.api('GET', `/api/v1/patrons/${a.id}/relations`, { as: 'agent' })).json.items;
    assert.deepEqual(left.map((x) => x.kind), ['household']);
    assertError(assert, await srv.api('DELETE', `/api/v1/patrons/${o.id}/relations/${r.json.id}`, { as: 'agent' }), 404);
    const stranger = await createPatron(srv, person());
    const rel2 = left[0].id;
    assertError(assert, await srv.api('DELETE', `/api/v1/patrons/${stranger.id}/relations/${rel2}`, { as: 'agent' }), 404, undefined, 'not_found');
  });
});

describe('contact validity and data quality', () => {
  test('invalidate needs a reason; verify restores and stamps the date; the report counts', async () => {
    const dq0 = (await srv.api('GET', '/api/v1/reports/data-quality', { as: 'agent' })).json;
    const p = await createPatron(srv, person({ phones: [mobile(), mobile()], emails: [`${uniq('c')}@example.com`] }));
    const contact = p.contacts.find((c) => c.kind === 'phone');
    const url = (verb) => `/api/v1/patrons/${p.id}/contacts/${contact.id}/${verb}`;
    assertError(assert, await srv.api('POST', url('invalidate'), { as: 'agent' }), 400, 'reason');
    const inv = await srv.api('POST', url('invalidate'), { as: 'agent', body: { reason: 'failed_call' } });
    assert.equal(inv.status, 200, inv.text);
    const c1 = inv.json.contacts.find((c) => c.id === contact.id);
    assert.equal(c1.valid, false);
    assert.equal(c1.invalid_reason, 'failed_call');
    const dq1 = (await srv.api('GET', '/api/v1/reports/data-quality', { as: 'agent' })).json;
    assert.equal(dq1.contacts.invalid, dq0.contacts.invalid + 1);
    assert.equal(dq1.contacts.total, dq0.contacts.total + 3);

    const ver = await srv.api('POST', url('verify'), { as: 'agent' });
    assert.equal(ver.status, 200);
    const c2 = ver.json.contacts.find((c) => c.id === contact.id);
    assert.equal(c2.valid, true);
    assert.equal(c2.invalid_reason, null);
    assert.ok(Math.abs(Date.parse(c2.last_verified_at) - Date.now()) < 60000, 'verified now');
    const dq2 = (await srv.api('GET', '/api/v1/reports/data-quality', { as: 'agent' })).json;
    assert.equal(dq2.contacts.invalid, dq0.contacts.invalid);
    const kinds = (await timeline(p.id)).items.map((e) => e.kind);
    assert.ok(kinds.includes('patron.contact_invalidated') && kinds.includes('patron.contact_verified'));

    const other = await createPatron(srv, person({ phones: [mobile()] }));
    assertError(assert, await srv.api('POST', `/api/v1/patrons/${other.id}/contacts/${contact.id}/verify`, { as: 'agent' }), 404);
  });

  test('re-verification tasks list unverified valid contacts, masked, paged', async () => {
    const p = await createPatron(srv, person({ phones: [mobile()], emails: [`${uniq('rv')}@example.com`] }));
    const phone = p.contacts.find((c) => c.kind === 'phone');
    const email = p.contacts.find((c) => c.kind === 'email');
    const all = [];
    let cursor = '';
    for (let page = 0; page < 1000; page++) {
      const r = await srv.api('GET', `/api/v1/contacts/due-for-verification?limit=50${cursor ? `&cursor=${cursor}` : ''}`, { as: 'agent' });
      assert.equal(r.status, 200, r.text);
      all.push(...r.json.items);
      if (!r.json.next_cursor) break;
      cursor = r.json.next_cursor;
    }
    const ids = all.map((c) => c.contact_id);
    assert.equal(new Set(ids).size, ids.length, 'no contact twice across pages');
    const mine = all.find((c) => c.contact_id === phone.id);
    assert.ok(mine, 'a never-verified contact is due');
    assert.match(mine.value, /^\d{3}\*{4}\d{4}$/, 'masked for an agent');
    assert.equal(mine.patron_id, p.id);
    // Verified now: no longer due; invalid contacts are not re-verification tasks either.
    await srv.api('POST', `/api/v1/patrons/${p.id}/contacts/${phone.id}/verify`, { as: 'agent' });
    await srv.api('POST', `/api/v1/patrons/${p.id}/contacts/${email.id}/invalidate`, { as: 'agent', body: { reason: 'bounce' } });
    const after = [];
    cursor = '';
    for (let page = 0; page < 1000; page++) {
      const r = await srv.api('GET', `/api/v1/contacts/due-for-verification?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { as: 'agent' });
      after.push(...r.json.items.map((c) => c.contact_id));
      if (!r.json.next_cursor) break;
      cursor = r.json.next_cursor;
    }
    assert.ok(!after.includes(phone.id) && !after.includes(email.id));
    assertError(assert, await srv.api('GET', '/api/v1/contacts/due-for-verification?days=0', { as: 'agent' }), 400, 'days');
    assertError(assert, await srv.api('GET', '/api/v1/contacts/due-for-verification?days=4294967297', { as: 'agent' }), 400, 'days');
  });

  test('the data-quality report: counts and fill rates of active patrons', async () => {
    const r = await srv.api('GET', '/api/v1/reports/data-quality', { as: 'analyst' });
    assert.equal(r.status, 200);
    const dq = r.json;
    assert.equal(dq.patrons, await countPatrons(srv));
    assert.equal(dq.fill_rate.name, 1, 'every patron has a name');
    for (const [k, v] of Object.entries(dq.fill_rate)) assert.ok(v >= 0 && v <= 1, `${k}: ${v}`);
    assert.ok('phones' in dq.fill_rate && 'emails' in dq.fill_rate);
    assert.ok(!('staff_notes' in dq.fill_rate));
    assert.equal(dq.stale_after_days, 365);
    assert.ok(Number.isInteger(dq.contacts.total) && dq.contacts.total >= dq.contacts.invalid);
  });
});

describe('timeline', () => {
  test('created and changed events, newest first, paged by cursor, filtered by kind', async () => {
    const p = await createPatron(srv, person(), 'agent');
    for (const region of ['一', '二', '三']) assert.equal((await patch(p.id, { region }, 'agent')).status, 200);
    const all = (await timeline(p.id)).items;
    assert.deepEqual(all.map((e) => e.kind), ['patron.changed', 'patron.changed', 'patron.changed', 'patron.created']);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].at >= all[i].at, 'newest first');
    assert.equal(all[3].actor, 'agent');
    assert.deepEqual(all[0].detail.fields, ['region']);

    const walked = [];
    let cursor = null;
    let pages = 0;
    do {
      const page = await timeline(p.id, `?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(page.items.length, 1);
      walked.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && ++pages < 10);
    assert.deepEqual(ids(walked), ids(all), 'paging walks the same events once each');
    assert.equal(cursor, null);

    const created = await timeline(p.id, '?kind=patron.created');
    assert.deepEqual(created.items.map((e) => e.kind), ['patron.created']);
    const two = await timeline(p.id, '?kind=patron.created,patron.changed&limit=2');
    assert.equal(two.items.length, 2);
    assert.ok(two.next_cursor);
    assertError(assert, await srv.api('GET', `/api/v1/patrons/${p.id}/timeline?cursor=garbage`, { as: 'manager' }), 400, 'cursor');
    assertError(assert, await srv.api('GET', '/api/v1/patrons/987654321/timeline', { as: 'manager' }), 404);
  });
});
