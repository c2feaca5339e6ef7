import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertError,
  auditEntries,
  createPatron,
  mobile,
  passwordFor,
  person,
  poll,
  residentId,
  sleep,
  startServer,
  uniq,
} from './harness.mjs';

let srv;
let p; // a fully filled person
const PHONE = '13812345678';
const RID = residentId({ region: '110105', seq: '123', check: 'X' });
const EMAIL = 'zhangsan@example.cn';
const ADDRESS = '北京市朝阳区建国路88号';

before(async () => {
  srv = await startServer();
  p = await createPatron(srv, {
    type: 'person',
    name: '张三',
    name_latin: 'Zhang San',
    gender: 'male',
    birth_date: '1990-05-17',
    phones: [PHONE],
    emails: [EMAIL],
    id_document: { type: 'resident_id', number: RID },
    address: ADDRESS,
    household_registration: '河北省保定市莲池区',
    postcode: '100020',
    region: '北京',
    occupation: 'engineer',
    economic_status: 'low income',
    special_needs: 'wheelchair access',
    staff_notes: 'called twice about the same file',
  });
});
after(async () => {
  await srv?.stop();
});

const get = (id, as) => srv.api('GET', `/api/v1/patrons/${id}`, { as });

describe('what each role sees', () => {
  test('the manager sees everything', async () => {
    const r = await get(p.id, 'manager');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.phones, [PHONE]);
    assert.deepEqual(r.json.emails, [EMAIL]);
    assert.deepEqual(r.json.id_document, { type: 'resident_id', number: RID });
    assert.equal(r.json.address, ADDRESS);
    assert.equal(r.json.birth_date, '1990-05-17');
    assert.equal(r.json.economic_status, 'low income');
    assert.equal(r.json.staff_notes, 'called twice about the same file');
    assert.deepEqual(r.json.masked, []);
  });

  for (const role of ['agent', 'archivist', 'administrator']) {
    test(`the ${role} sees masked contacts, ID, address and birth date`, async () => {
      const r = await get(p.id, role);
      assert.equal(r.status, 200);
      const x = r.json;
      assert.equal(x.name, '张三');
      assert.deepEqual(x.phones, ['138****5678']);
      assert.deepEqual(x.emails, ['z***@example.cn']);
      assert.deepEqual(x.id_document, { type: 'resident_id', number: `110105********123X` });
      assert.equal(x.address, '北京市朝阳区****');
      assert.equal(x.household_registration, '河北省保定市****');
      assert.equal(x.birth_date, '1990-**-**');
      assert.equal(x.economic_status, null);
      assert.equal(x.staff_notes, 'called twice about the same file');
      assert.equal(x.contacts.find((c) => c.kind === 'phone').value, '138****5678');
      for (const k of ['phones', 'emails', 'id_document', 'address', 'birth_date', 'economic_status'])
        assert.ok(x.masked.includes(k), `masked lists ${k}`);
      assert.ok(!r.text.includes(PHONE) && !r.text.includes(RID) && !r.text.includes('zhangsan@'), 'no raw value anywhere');
    });
  }

  test('the analyst sees no direct identifier of a person', async () => {
    const r = await get(p.id, 'analyst');
    assert.equal(r.status, 200);
    const x = r.json;
    assert.equal(x.name, null);
    assert.equal(x.name_latin, null);
    assert.deepEqual(x.phones, []);
    assert.deepEqual(x.emails, []);
    assert.deepEqual(x.contacts, []);
    assert.equal(x.id_document, null);
    assert.equal(x.address, null);
    assert.equal(x.household_registration, null);
    assert.equal(x.postcode, null);
    assert.equal(x.special_needs, null);
    assert.equal(x.staff_notes, null);
    assert.equal(x.economic_status, null);
    assert.equal(x.birth_date, '1990-**-**');
    assert.equal(x.region, '北京', 'statistical fields stay');
    assert.equal(x.occupation, 'engineer');
    for (const k of ['name', 'phones', 'emails', 'id_document', 'address'])
      assert.ok(x.masked.includes(k), `masked lists ${k}`);
    for (const raw of [PHONE, RID, 'zhangsan', '张三', '138****', '建国路']) assert.ok(!r.text.includes(raw), `no ${raw}`);
  });

  test('the analyst sees organisations by name, persons without', async () => {
    const tag = uniq('a');
    const org = await createPatron(srv, { type: 'organisation', name: uniq('国家图书馆'), tags: [tag] });
    const per = await createPatron(srv, person({ tags: [tag], phones: [mobile()] }));
    const r = await srv.api('GET', `/api/v1/patrons?tag=${tag}`, { as: 'analyst' });
    assert.equal(r.status, 200);
    const byId = Object.fromEntries(r.json.items.map((i) => [i.id, i]));
    assert.equal(byId[org.id].name, org.name);
    assert.equal(byId[per.id].name, null);
    assert.deepEqual(byId[per.id].phones, []);
    const rel = await srv.api('POST', `/api/v1/patrons/${per.id}/relations`, { as: 'agent', body: { related_id: org.id, kind: 'member_of' } });
    assert.equal(rel.status, 201);
    const seen = await srv.api('GET', `/api/v1/patrons/${org.id}/relations`, { as: 'analyst' });
    assert.equal(seen.json.items[0].name, null, 'a related person stays nameless to the analyst');
  });

  test('the auditor sees no patron at all', async () => {
    assertError(assert, await get(p.id, 'auditor'), 403, undefined, 'forbidden');
    assertError(assert, await srv.api('GET', '/api/v1/patrons', { as: 'auditor' }), 403);
  });

  test('key-change values are shown as each role sees the field', async () => {
    const q = await createPatron(srv, person({ name: uniq('原名') }));
    const r = await srv.api('PATCH', `/api/v1/patrons/${q.id}`, { as: 'agent', body: { name: '新名', reason: 'typo fix' } });
    assert.equal(r.status, 200);
    // Archivists decide on corrections, so they see the names they decide on.
    const asArchivist = await srv.api('GET', `/api/v1/key-changes?patron_id=${q.id}`, { as: 'archivist' });
    assert.equal(asArchivist.json.items[0].old_value, q.name);
    assert.equal(asArchivist.json.items[0].new_value, '新名');
    const asManager = await srv.api('GET', `/api/v1/key-changes?patron_id=${q.id}`, { as: 'manager' });
    assert.equal(asManager.json.items[0].old_value, q.name);
    assert.equal(asManager.json.items[0].new_value, '新名');
    // An ID number correction: masked for agents and archivists, in full for managers.
    const doc = await srv.api('PATCH', `/api/v1/patrons/${q.id}`, {
      as: 'agent',
      body: { id_document: { type: 'passport', number: 'G12345678' }, reason: 'new passport' },
    });
    assert.equal(doc.status, 200, doc.text);
    const masked = await srv.api('GET', `/api/v1/key-changes?patron_id=${q.id}&status=pending`, { as: 'archivist' });
    const docChange = masked.json.items.find((c) => c.field === 'id_document');
    assert.equal(docChange.new_value.number, 'G******78');
    const full = await srv.api('GET', `/api/v1/key-changes?patron_id=${q.id}&status=pending`, { as: 'manager' });
    assert.equal(full.json.items.find((c) => c.field === 'id_document').new_value.number, 'G12345678');
  });
});

describe('reveal', () => {
  test('with a reason: the full value, and an audit entry the auditor can read', async () => {
    const reason = `patron on the phone, identity check ${uniq()}`;
    const r = await srv.api('POST', `/api/v1/patrons/${p.id}/reveal`, {
      as: 'agent',
      body: { fields: ['phones', 'id_document'], reason },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.phones, [PHONE]);
    assert.deepEqual(r.json.id_document, { type: 'resident_id', number: RID });
    assert.equal(r.json.emails, undefined, 'only what was asked');
    const entries = await auditEntries(srv, { patron_id: String(p.id), action: 'patron.reveal' });
    const e = entries.find((x) => x.reason === reason);
    assert.ok(e, 'audit entry with the reason');
    assert.equal(e.actor, 'agent');
    assert.equal(e.actor_role, 'agent');
    assert.deepEqual(e.detail.fields, ['phones', 'id_document']);
    assert.ok(!JSON.stringify(e).includes(PHONE), 'the audit entry holds no personal value');
  });

  test('without a reason, with a too short one, or for an unknown field: 400', async () => {
    const reveal = (body) => srv.api('POST', `/api/v1/patrons/${p.id}/reveal`, { as: 'agent', body });
    const before = (await auditEntries(srv, { patron_id: String(p.id), action: 'patron.reveal' })).length;
    const r = await reveal({ fields: ['phones'] });
    assertError(assert, r, 400, 'reason', 'invalid');
    assert.equal(r.json.phones, undefined);
    assertError(assert, await reveal({ fields: ['phones'], reason: '' }), 400, 'reason');
    assertError(assert, await reveal({ fields: ['phones'], reason: 'x' }), 400, 'reason');
    assertError(assert, await reveal({ fields: ['password_hash'], reason: 'just checking' }), 400, 'fields');
    assertError(assert, await reveal({ fields: [], reason: 'just checking' }), 400, 'fields');
    assertError(assert, await reveal({ reason: 'just checking' }), 400, 'fields');
    const after = (await auditEntries(srv, { patron_id: String(p.id), action: 'patron.reveal' })).length;
    assert.equal(after, before, 'refused reveals are not recorded as reveals');
  });

  test('roles without the permission cannot reveal', async () => {
    for (const role of ['analyst', 'auditor', 'administrator']) {
      const r = await srv.api('POST', `/api/v1/patrons/${p.id}/reveal`, { as: role, body: { fields: ['phones'], reason: 'curious about it' } });
      assertError(assert, r, 403, undefined, 'forbidden');
      assert.ok(!r.text.includes(PHONE));
    }
  });
});

describe('read audit', () => {
  const readsBy = async (actor, id) =>
    (await auditEntries(srv, { patron_id: String(id), action: 'patron.read', actor })).length;

  test('every GET of a patron by an agent is audited', async () => {
    const q = await createPatron(srv, person({ phones: [mobile()] }));
    assert.equal(await readsBy('agent', q.id), 0);
    for (let i = 0; i < 3; i++) assert.equal((await get(q.id, 'agent')).status, 200);
    const n = await poll(async () => ((await readsBy('agent', q.id)) >= 3 ? readsBy('agent', q.id) : 0));
    assert.equal(n, 3, 'three reads, three entries');
    const e = (await auditEntries(srv, { patron_id: String(q.id), action: 'patron.read' }))[0];
    assert.equal(e.actor_role, 'agent');
    assert.ok(e.detail.fields.includes('name') && e.detail.fields.includes('phones'), `fields: ${e.detail.fields}`);
  });

  test('list and timeline reads are audited too; the de-identified analyst view is not a personal read', async () => {
    const tag = uniq('r');
    const q = await createPatron(srv, person({ tags: [tag] }));
    assert.equal((await srv.api('GET', `/api/v1/patrons?tag=${tag}`, { as: 'archivist' })).status, 200);
    assert.equal((await srv.api('GET', `/api/v1/patrons/${q.id}/timeline`, { as: 'archivist' })).status, 200);
    assert.equal((await get(q.id, 'analyst')).status, 200);
    const found = await poll(async () => {
      const es = await auditEntries(srv, { patron_id: String(q.id), actor: 'archivist' });
      const acts = es.map((x) => x.action);
      return acts.includes('patron.list_read') && acts.includes('patron.timeline_read') ? acts : null;
    });
    assert.ok(found, 'list_read and timeline_read recorded');
    await sleep(150);
    assert.equal((await auditEntries(srv, { patron_id: String(q.id), actor: 'analyst' })).length, 0);
  });

  test('the audit trail gains patron_name, null for the auditor (who may not read patrons)', async () => {
    const q = await createPatron(srv, person({ name: uniq('审计用户') }));
    assert.equal((await get(q.id, 'agent')).status, 200);
    const r = await poll(async () => {
      const a = await srv.api('GET', `/api/v1/audit?patron_id=${q.id}`, { as: 'auditor' });
      return a.json.items.some((e) => e.action === 'patron.read') ? a : null;
    });
    assert.ok(r, 'the read is in the trail');
    assert.ok(r.json.items.length > 0 && r.json.items.every((e) => e.patron_id === q.id && e.patron_name === null));
    assert.ok(!r.text.includes(q.name), 'no name in the trail');
  });

  test('only the auditor reads the audit trail', async () => {
    for (const role of ['administrator', 'manager', 'agent', 'analyst', 'archivist'])
      assertError(assert, await srv.api('GET', '/api/v1/audit', { as: role }), 403);
  });
});

describe('portal (patron) accounts', () => {
  let self;
  let other;
  let username;
  before(async () => {
    self = await createPatron(srv, {
      type: 'person',
      name: '刘洋',
      phones: ['13987654321'],
      id_document: { type: 'resident_id', number: residentId({ region: '310101' }) },
      economic_status: 'retired',
      staff_notes: 'internal remark',
    });
    other = await createPatron(srv, person({ phones: [mobile()] }));
    username = uniq('portal-');
    await srv.addUser(username, 'patron', { patron: self.id });
  });

  test('sees its own record unmasked, without staff notes', async () => {
    const r = await get(self.id, username);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.phones, ['13987654321']);
    assert.equal(r.json.id_document.number, self.id_document.number);
    assert.equal(r.json.economic_status, 'retired');
    assert.ok(!('staff_notes' in r.json), 'no staff_notes key');
    assert.ok(!r.text.includes('internal remark'));
    const me = await srv.api('GET', '/api/v1/me', { as: username });
    assert.equal(me.json.role, 'patron');
    assert.equal(me.json.patron_id, self.id);
  });

  test("gets 403 on another patron's record and on the list", async () => {
    const r = await get(other.id, username);
    assertError(assert, r, 403, undefined, 'forbidden');
    assert.ok(!r.text.includes(other.name));
    assertError(assert, await srv.api('GET', '/api/v1/patrons', { as: username }), 403);
    assertError(assert, await srv.api('GET', `/api/v1/patrons/${other.id}/timeline`, { as: username }), 403);
    assertError(assert, await srv.api('GET', `/api/v1/patrons/${other.id}/export`, { as: username }), 403);
    assertError(assert, await srv.api('PATCH', `/api/v1/patrons/${other.id}`, { as: username, body: { region: 'x' } }), 403);
    assertError(assert, await srv.api('POST', '/api/v1/patrons', { as: username, body: person() }), 403);
    assertError(assert, await srv.api('GET', `/api/v1/patrons/duplicates?phone=13987654321`, { as: username }), 403);
  });

  test('may correct its own phones and contact fields, not its name or staff fields', async () => {
    const r = await srv.api('PATCH', `/api/v1/patrons/${self.id}`, { as: username, body: { phones: ['13987654321', '13700001111'], region: '上海' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.phones, ['13987654321', '13700001111']);
    assert.ok(!('staff_notes' in r.json));
    assert.deepEqual((await get(self.id, 'manager')).json.phones, ['13987654321', '13700001111']);
    const name = await srv.api('PATCH', `/api/v1/patrons/${self.id}`, { as: username, body: { name: '刘阳', reason: 'my name is wrong' } });
    assertError(assert, name, 403, 'name', 'forbidden');
    for (const [field, value] of [['staff_notes', 'hi'], ['economic_status', 'rich'], ['unit_id', 1], ['id_document', null]]) {
      const x = await srv.api('PATCH', `/api/v1/patrons/${self.id}`, { as: username, body: { [field]: value } });
      assertError(assert, x, 403, field);
    }
    const m = (await get(self.id, 'manager')).json;
    assert.equal(m.name, '刘洋');
    assert.equal(m.staff_notes, 'internal remark');
    assert.equal(m.economic_status, 'retired');
  });

  test('reads its own timeline and export, cannot reveal or erase', async () => {
    assert.equal((await srv.api('GET', `/api/v1/patrons/${self.id}/timeline`, { as: username })).status, 200);
    const x = await srv.api('GET', `/api/v1/patrons/${self.id}/export`, { as: username });
    assert.equal(x.status, 200);
    assert.ok(!('staff_notes' in x.json.patron), 'export to the patron omits staff notes');
    assertError(assert, await srv.api('POST', `/api/v1/patrons/${self.id}/reveal`, { as: username, body: { fields: ['phones'], reason: 'my own data' } }), 403);
    assertError(assert, await srv.api('POST', `/api/v1/patrons/${self.id}/erase`, { as: username, body: { reason: 'forget me now' } }), 403);
  });

  test('a portal account made through the API needs its patron', async () => {
    const u = uniq('portal2-');
    const bad = await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username: u, password: passwordFor(u), role: 'patron' } });
    assertError(assert, bad, 400, 'patron_id');
    const ok = await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username: u, password: passwordFor(u), role: 'patron', patron_id: other.id } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await get(other.id, u)).status, 200);
    assert.equal((await get(self.id, u)).status, 403);
  });
});

describe('unit scope', () => {
  let bj, sh, bjAgent, bjPatrons, shPatron;
  before(async () => {
    const u1 = await srv.api('POST', '/api/v1/units', { as: 'administrator', body: { code: uniq('BJ'), name: '北京分馆' } });
    const u2 = await srv.api('POST', '/api/v1/units', { as: 'administrator', body: { code: uniq('SH'), name: '上海分馆' } });
    assert.equal(u1.status, 201, u1.text);
    assert.equal(u2.status, 201, u2.text);
    bj = u1.json.id;
    sh = u2.json.id;
    bjAgent = uniq('bj-agent-');
    const r = await srv.api('POST', '/api/v1/users', {
      as: 'administrator',
      body: { username: bjAgent, password: passwordFor(bjAgent), role: 'agent', unit_id: bj, unit_scoped: true },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.unit_scoped, true);
    bjPatrons = [await createPatron(srv, person({ unit_id: bj })), await createPatron(srv, person({ unit_id: bj, phones: [mobile()] }))];
    shPatron = await createPatron(srv, person({ unit_id: sh, phones: [mobile()] }));
  });

  test('the list shows only the unit’s patrons', async () => {
    const r = await srv.api('GET', '/api/v1/patrons?limit=200', { as: bjAgent });
    assert.equal(r.status, 200);
    assert.ok(r.json.items.length >= 2);
    assert.ok(r.json.items.every((i) => i.unit_id === bj), 'all in the unit');
    const got = r.json.items.map((i) => i.id);
    for (const q of bjPatrons) assert.ok(got.includes(q.id));
    assert.ok(!got.includes(shPatron.id));
    const other = await srv.api('GET', `/api/v1/patrons?unit_id=${sh}`, { as: bjAgent });
    assert.deepEqual(other.json.items, [], 'asking for another unit gives nothing');
    const dq = await srv.api('GET', '/api/v1/reports/data-quality', { as: bjAgent });
    assert.equal(dq.json.patrons, r.json.items.length);
  });

  test('the data-quality report of a unit-scoped user counts only its unit’s contacts', async () => {
    const items = (await srv.api('GET', '/api/v1/patrons?limit=200', { as: bjAgent })).json.items;
    const contacts = items.reduce((n, i) => n + i.phones.length + i.emails.length, 0);
    const dq = (await srv.api('GET', '/api/v1/reports/data-quality', { as: bjAgent })).json;
    const all = (await srv.api('GET', '/api/v1/reports/data-quality', { as: 'manager' })).json;
    assert.ok(all.contacts.total > contacts, 'other units have contacts too');
    assert.equal(dq.contacts.total, contacts, 'contacts of the unit only');
  });

  test('the key-field corrections list shows only the unit’s patrons', async () => {
    const mine = bjPatrons[0];
    const theirs = await createPatron(srv, person({ unit_id: sh }));
    const renamed = uniq('更名');
    for (const p of [mine, theirs]) {
      const r = await srv.api('PATCH', `/api/v1/patrons/${p.id}`, { as: 'manager', body: { name: `${renamed}${p.id}`, reason: 'name changed at the registry' } });
      assert.equal(r.status, 200, r.text);
    }
    const r = await srv.api('GET', '/api/v1/key-changes?status=pending', { as: bjAgent });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.items.some((c) => c.patron_id === mine.id && c.patron_name === mine.name), 'the unit’s own, by name');
    assert.ok(r.json.items.every((c) => c.patron_id !== theirs.id), 'not another unit’s');
    assert.ok(!r.text.includes(theirs.name) && !r.text.includes(`${renamed}${theirs.id}`));
  });

  test('another unit’s patron is 403 for reads and writes', async () => {
    const id = shPatron.id;
    assertError(assert, await get(id, bjAgent), 403, undefined, 'forbidden');
    assertError(assert, await srv.api('PATCH', `/api/v1/patrons/${id}`, { as: bjAgent, body: { region: 'x' } }), 403);
    assertError(assert, await srv.api('GET', `/api/v1/patrons/${id}/timeline`, { as: bjAgent }), 403);
    assertError(assert, await srv.api('POST', `/api/v1/patrons/${id}/reveal`, { as: bjAgent, body: { fields: ['phones'], reason: 'curious about it' } }), 403);
    assertError(assert, await srv.api('POST', `/api/v1/patrons/${id}/relations`, { as: bjAgent, body: { related_id: bjPatrons[0].id, kind: 'colleague' } }), 403);
    assert.equal((await get(bjPatrons[0].id, bjAgent)).status, 200);
    // Relations name the other patrons: they are as private as the record.
    const mate = await createPatron(srv, person({ unit_id: sh, name: uniq('上海同事') }));
    const rel = await srv.api('POST', `/api/v1/patrons/${id}/relations`, { as: 'manager', body: { related_id: mate.id, kind: 'colleague' } });
    assert.equal(rel.status, 201);
    const leak = await srv.api('GET', `/api/v1/patrons/${id}/relations`, { as: bjAgent });
    assertError(assert, leak, 403);
    assert.ok(!leak.text.includes(mate.name));
  });

  test('new patrons land in the unit; other units and moving are refused', async () => {
    const r = await srv.api('POST', '/api/v1/patrons', { as: bjAgent, body: person() });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.unit_id, bj);
    assertError(assert, await srv.api('POST', '/api/v1/patrons', { as: bjAgent, body: person({ unit_id: sh }) }), 403);
    assertError(assert, await srv.api('PATCH', `/api/v1/patrons/${r.json.id}`, { as: bjAgent, body: { unit_id: sh } }), 403);
    assert.equal((await get(r.json.id, 'manager')).json.unit_id, bj);
  });

  test('unscoped staff see every unit', async () => {
    const r = await srv.api('GET', `/api/v1/patrons?unit_id=${sh}`, { as: 'agent' });
    assert.ok(r.json.items.map((i) => i.id).includes(shPatron.id));
    assert.ok(r.json.items.every((i) => i.unit_id === sh));
    assert.equal((await get(shPatron.id, 'agent')).status, 200);
  });
});

describe('audit chain', () => {
  test('`dangan audit verify` passes on an intact chain and finds an edited or deleted entry', async () => {
    const s = await startServer({ roles: ['manager', 'agent'] });
    let stopped = false;
    try {
      for (let i = 0; i < 3; i++) await createPatron(s, person({ phones: [mobile()] }), 'agent');
      await s.api('GET', '/api/v1/patrons', { as: 'manager' });
      await s.stop({ keepDb: true });
      stopped = true;
      const ok = await s.cli(['audit', 'verify']);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /intact: \d+ entries/);
      const total = Number(/intact: (\d+)/.exec(ok.stdout)[1]);
      assert.ok(total >= 6, `${total} entries`);

      const db = s.db;
      const original = await db.sql('SELECT reason FROM audit_log WHERE seq = 3');
      // The database itself refuses edits…
      await assert.rejects(db.sql("UPDATE audit_log SET reason = 'tampered' WHERE seq = 3"), /append-only|audit/i);
      // …so an attacker disables the protection first.
      if (db.backend === 'sqlite') {
        await db.sql("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; UPDATE audit_log SET reason = 'tampered' WHERE seq = 3;");
      } else {
        await db.sql("ALTER TABLE audit_log DISABLE TRIGGER ALL; UPDATE audit_log SET reason = 'tampered' WHERE seq = 3;");
      }
      const broken = await s.cli(['audit', 'verify']);
      assert.notEqual(broken.code, 0, 'an edited entry is found');
      assert.match(broken.stdout, /BROKEN at entry 3/);

      await db.sql(`UPDATE audit_log SET reason = '${original.replaceAll("'", "''")}' WHERE seq = 3`);
      assert.equal((await s.cli(['audit', 'verify'])).code, 0, 'restoring the value restores the chain');

      await db.sql('DELETE FROM audit_log WHERE seq = 4');
      const gap = await s.cli(['audit', 'verify']);
      assert.notEqual(gap.code, 0, 'a deleted entry is found');
      assert.match(gap.stdout, /BROKEN at entry (4|5)/);
    } finally {
      if (!stopped) await s.stop({ keepDb: true });
      await s.db.drop();
    }
  });
});
