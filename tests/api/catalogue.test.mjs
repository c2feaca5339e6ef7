// The catalogue over HTTP: records and their reference codes, structure, visibility by
// role, optimistic concurrency, locations, appraisal and disposal, and parallel
// creation by two server processes on one database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createPatron, person, startServer, uniq } from './harness.mjs';

let srv;
let portalPatron;
before(async () => {
  srv = await startServer();
  portalPatron = await createPatron(srv, person());
  await srv.addUser('reader', 'patron', { patron: portalPatron.id });
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body, headers) => srv.api(method, path, { as: role, body, headers });
const create = async (body) => {
  const r = await as('archivist', 'POST', '/api/v1/records', body);
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const thisYear = new Date().getUTCFullYear();

describe('records', () => {
  test('POST /records with only title, description and access_level returns id and reference_code', async () => {
    const r = await as('archivist', 'POST', '/api/v1/records', { title: '关于馆藏数字化的请示', description: '二〇二四年数字化项目', access_level: 'open' });
    assert.equal(r.status, 201, r.text);
    assert.equal(typeof r.json.id, 'number');
    assert.match(r.json.reference_code, new RegExp(`^QZ01-WS-${thisYear}-D30-\\d{4}$`));
    assert.equal(r.headers.get('location'), `/api/v1/records/${r.json.id}`);
    assert.equal(r.headers.get('etag'), `"${r.json.version}"`);
    assert.equal(r.json.fonds.code, 'QZ01');
    assert.equal(r.json.category.code, 'WS');
    const next = await create({ title: '第二件', access_level: 'open' });
    const n1 = Number(r.json.reference_code.split('-').pop());
    assert.equal(Number(next.reference_code.split('-').pop()), n1 + 1, 'numbers follow each other');
    const got = await as('agent', 'GET', `/api/v1/records/${r.json.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.json.title, '关于馆藏数字化的请示');
    const byCode = await as('agent', 'GET', `/api/v1/records/by-code/${encodeURIComponent(r.json.reference_code)}`);
    assert.equal(byCode.json.id, r.json.id);
  });

  test('bad input answers 400 with the field and writes nothing', async () => {
    for (const [body, field] of [
      [{ description: 'x', access_level: 'open' }, 'title'],
      [{ title: 'x' }, 'access_level'],
      [{ title: 'x', access_level: 'public' }, 'access_level'],
      [{ title: 'x', access_level: 'open', year: 99 }, 'year'],
      [{ title: 'x', access_level: 'open', date_from: '2024-13-01' }, 'date_from'],
      [{ title: 'x', access_level: 'open', fonds: 'NOPE' }, 'fonds'],
      [{ title: 'x', access_level: 'open', carrier: 'stone' }, 'carrier'],
      [{ title: 'x', access_level: 'open', keywords: [1, 2] }, 'keywords'],
      [{ title: 'x', access_level: 'open', shelf: 3 }, 'shelf'],
      [{ title: 'x'.repeat(501), access_level: 'open' }, 'title'],
    ]) {
      const r = await as('archivist', 'POST', '/api/v1/records', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error.code, 'invalid');
      assert.equal(r.json.error.field, field, JSON.stringify(body));
      assert.ok(r.json.error.message.length > 0);
    }
    const notJson = await srv.api('POST', '/api/v1/records', { as: 'archivist', body: '{title', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const list = await as('archivist', 'GET', '/api/v1/records?limit=200&sort=-id');
    assert.ok(!list.json.items.some((x) => x.title === 'x'), 'nothing was written');
    const badSort = await as('archivist', 'GET', '/api/v1/records?sort=colour');
    assert.equal(badSort.status, 400);
    assert.equal(badSort.json.error.field, 'sort');
  });

  test('PATCH checks If-Match, keeps the code, and refuses to change it', async () => {
    const rec = await create({ title: '原题名', access_level: 'open', year: 2001 });
    const stale = await as('archivist', 'PATCH', `/api/v1/records/${rec.id}`, { title: '新' }, { 'if-match': `"${rec.version + 5}"` });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.error.field, 'version');
    const ok = await as('archivist', 'PATCH', `/api/v1/records/${rec.id}`, { title: '新题名', retention: 'D10' }, { 'if-match': `"${rec.version}"` });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.title, '新题名');
    assert.equal(ok.json.reference_code, rec.reference_code);
    assert.equal(ok.json.retention_until, '2011-12-31');
    const code = await as('archivist', 'PATCH', `/api/v1/records/${rec.id}`, { reference_code: 'X-1' });
    assert.equal(code.status, 400);
    assert.equal(code.json.error.field, 'reference_code');
  });

  test('list filters, sorts and pages with a cursor', async () => {
    const fonds = await as('archivist', 'POST', '/api/v1/fonds', { code: uniq('LF'), name: '分页全宗' });
    assert.equal(fonds.status, 201);
    for (let i = 0; i < 5; i++) await create({ title: `分页 ${i}`, access_level: 'open', fonds_id: fonds.json.id, year: 2000 + i });
    const page1 = await as('agent', 'GET', `/api/v1/records?fonds_id=${fonds.json.id}&sort=-year&limit=2`);
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.json.items.map((x) => x.year), [2004, 2003]);
    const page2 = await as('agent', 'GET', `/api/v1/records?fonds_id=${fonds.json.id}&sort=-year&limit=2&cursor=${encodeURIComponent(page1.json.next_cursor)}`);
    assert.deepEqual(page2.json.items.map((x) => x.year), [2002, 2001]);
    const range = await as('agent', 'GET', `/api/v1/records?fonds_id=${fonds.json.id}&year_from=2001&year_to=2002`);
    assert.equal(range.json.items.length, 2);
  });
});

describe('visibility', () => {
  test('patrons see open records, the catalogue entry of controlled ones, and never secret ones', async () => {
    const open = await create({ title: '开放的档案', description: '公开内容', access_level: 'open' });
    const controlled = await create({ title: '控制的档案', description: '受控内容', access_level: 'controlled', keywords: ['土地'] });
    const secret = await create({ title: '涉密的档案', description: '秘密内容', access_level: 'secret' });
    const o = await as('reader', 'GET', `/api/v1/records/${open.id}`);
    assert.equal(o.status, 200);
    assert.equal(o.json.description, '公开内容');
    const c = await as('reader', 'GET', `/api/v1/records/${controlled.id}`);
    assert.equal(c.status, 200);
    assert.equal(c.json.content_hidden, true);
    assert.equal(c.json.description, undefined);
    assert.deepEqual(c.json.keywords, ['土地']);
    for (const who of ['reader', 'agent', 'analyst', 'administrator']) {
      const s = await as(who, 'GET', `/api/v1/records/${secret.id}`);
      assert.equal(s.status, 404, `${who} must not learn the secret record exists`);
      const list = await as(who, 'GET', '/api/v1/records?limit=200&sort=-id');
      assert.ok(!list.json.items.some((x) => x.id === secret.id), `${who} list`);
    }
    for (const who of ['archivist', 'manager']) {
      const s = await as(who, 'GET', `/api/v1/records/${secret.id}`);
      assert.equal(s.status, 200, who);
      assert.equal(s.json.description, '秘密内容');
    }
    assert.equal((await as('auditor', 'GET', `/api/v1/records/${open.id}`)).status, 403);
    // Nor through a list's cursor, which is made of the last row's sort key: walked a record
    // at a time by title, no cursor names the secret record, and the walk meets the others.
    for (const who of ['reader', 'agent']) {
      let cursor = null;
      const seen = new Set();
      for (let page = 0; page < 500; page++) {
        const r = await as(who, 'GET', `/api/v1/records?sort=title&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        assert.equal(r.status, 200, r.text);
        for (const x of r.json.items) seen.add(x.id);
        cursor = r.json.next_cursor;
        if (!cursor) break;
        assert.ok(!cursor.includes('涉密'), `${who}: the cursor ${cursor} names the secret record`);
      }
      assert.ok(seen.has(open.id) && seen.has(controlled.id) && !seen.has(secret.id), who);
    }
  });

  test('a customer file linked to a patron lands on the timeline, and staff reads are audited', async () => {
    const p = await createPatron(srv, person());
    const rec = await create({ title: '客户档案', access_level: 'controlled', patron_id: p.id });
    const tl = await as('manager', 'GET', `/api/v1/patrons/${p.id}/timeline`);
    assert.ok(tl.json.items.some((e) => e.kind === 'record.created' && e.ref_id === String(rec.id)), JSON.stringify(tl.json.items));
    assert.equal((await as('agent', 'GET', `/api/v1/records/${rec.id}`)).status, 200);
    let found = false;
    for (let i = 0; i < 50 && !found; i++) {
      const audit = await as('auditor', 'GET', `/api/v1/audit?patron_id=${p.id}&limit=50`);
      found = audit.json.items.some((e) => e.action === 'record.read' && e.actor === 'agent');
      if (!found) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(found, 'the read of a customer file is in the audit trail');
  });
});

describe('structure', () => {
  test('schemes: a category scheme, its preview, and template errors', async () => {
    const cat = await as('archivist', 'POST', '/api/v1/categories', { code: uniq('K'), name: '会计' });
    assert.equal(cat.status, 201);
    const bad = await as('archivist', 'POST', '/api/v1/reference-schemes', { code: uniq('s'), name: 'x', template: '{fonds}-{year}', category_id: cat.json.id });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'template');
    const s = await as('archivist', 'POST', '/api/v1/reference-schemes', { code: uniq('s'), name: '会计档案', template: 'KJ-{year}-{seq:03}', category_id: cat.json.id });
    assert.equal(s.status, 201, s.text);
    const preview = await as('archivist', 'POST', '/api/v1/reference-schemes/preview', { category_id: cat.json.id, year: 2019 });
    assert.equal(preview.json.reference_code, 'KJ-2019-001');
    const rec = await create({ title: '凭证', access_level: 'open', category_id: cat.json.id, year: 2019 });
    assert.equal(rec.reference_code, 'KJ-2019-001');
    const sub = await as('archivist', 'POST', '/api/v1/categories', { code: 'PZ', name: '凭证', parent_id: cat.json.id });
    const inSub = await create({ title: '子类凭证', access_level: 'open', category_id: sub.json.id, year: 2019 });
    assert.equal(inSub.reference_code, 'KJ-2019-002', 'a category scheme covers its subtree');
    const cats = await as('reader', 'GET', '/api/v1/categories');
    const child = cats.json.items.find((c) => c.id === sub.json.id);
    assert.equal(child.depth, 1);
    assert.equal(child.parent_id, cat.json.id);
  });

  test('a category counts only the records its viewer may see: patrons and agents never count a secret one', async () => {
    const cat = await as('archivist', 'POST', '/api/v1/categories', { code: uniq('C'), name: '计数' });
    assert.equal(cat.status, 201, cat.text);
    await create({ title: '公开件', access_level: 'open', category_id: cat.json.id, year: 2020 });
    await create({ title: '涉密件', access_level: 'secret', category_id: cat.json.id, year: 2020 });
    const count = async (who) => (await as(who, 'GET', '/api/v1/categories')).json.items.find((c) => c.id === cat.json.id).records;
    assert.equal(await count('archivist'), 2);
    assert.equal(await count('reader'), 1, 'a patron must not learn a secret record exists');
    assert.equal(await count('agent'), 1);
  });

  test('retention periods are configurable and records follow a changed length', async () => {
    const code = uniq('R');
    const put = await as('administrator', 'PUT', `/api/v1/retention-periods/${code}`, { name: '定期15年', years: 15 });
    assert.equal(put.status, 200, put.text);
    const rec = await create({ title: '十五年', access_level: 'open', year: 2000, retention: code });
    assert.equal(rec.retention_until, '2015-12-31');
    await as('administrator', 'PUT', `/api/v1/retention-periods/${code}`, { name: '定期20年', years: 20 });
    assert.equal((await as('agent', 'GET', `/api/v1/records/${rec.id}`)).json.retention_until, '2020-12-31');
    const periods = await as('reader', 'GET', '/api/v1/retention-periods');
    assert.ok(periods.json.items.some((p) => p.code === 'Y' && p.years === null && p.name === '永久'));
  });
});

describe('appraisal and disposal', () => {
  test('a permanent record, or one still within its retention period, is not disposed of', async () => {
    const forever = await create({ title: '永久保存的决议', access_level: 'open', year: 1980, retention: 'Y' });
    const young = await create({ title: '未到期的凭证', access_level: 'open', year: thisYear, retention: 'D10' });
    for (const rec of [forever, young]) {
      const r = await as('archivist', 'POST', `/api/v1/records/${rec.id}/appraisals`, { outcome: 'dispose', reason: '想销毁' });
      assert.equal(r.status, 409, r.text);
      assert.equal(r.json.error.field, 'outcome');
      assert.match(r.json.error.message, rec === forever ? /permanently/ : new RegExp(`until ${thisYear + 10}-12-31`));
      // Keeping or extending it is an appraisal too, and allowed.
      assert.equal((await as('archivist', 'POST', `/api/v1/records/${rec.id}/appraisals`, { outcome: 'keep', reason: '继续保存' })).status, 201);
    }
    assert.equal((await as('agent', 'GET', `/api/v1/records/${forever.id}`)).json.status, 'active');
  });

  test('due list → proposal → a manager approves → content gone, register kept', async () => {
    const rec = await create({ title: '过期会议记录', description: '要销毁的内容', access_level: 'open', year: 1990, retention: 'D10' });
    const due = await as('archivist', 'GET', '/api/v1/appraisal/due?limit=200');
    assert.ok(due.json.items.some((x) => x.id === rec.id));
    const p = await as('archivist', 'POST', `/api/v1/records/${rec.id}/appraisals`, { outcome: 'dispose', reason: '保管期满', worksheet: { appraisers: ['甲', '乙'] } });
    assert.equal(p.status, 201, p.text);
    const missing = await as('archivist', 'POST', `/api/v1/records/${rec.id}/appraisals`, { outcome: 'dispose' });
    assert.equal(missing.status, 400);
    const d = await as('manager', 'POST', `/api/v1/appraisals/${p.json.id}/decision`, { approve: true, note: '同意' });
    assert.equal(d.status, 200, d.text);
    const after = await as('archivist', 'GET', `/api/v1/records/${rec.id}`);
    assert.equal(after.json.status, 'disposed');
    assert.equal(after.json.description, '');
    const reg = await as('auditor', 'GET', '/api/v1/disposal-register?limit=50');
    const entry = reg.json.items.find((x) => x.record_id === rec.id);
    assert.ok(entry);
    assert.equal(entry.proposed_by, 'archivist');
    assert.equal(entry.approved_by, 'manager');
    assert.equal(entry.reason, '保管期满');
    const again = await as('manager', 'POST', `/api/v1/appraisals/${p.json.id}/decision`, { approve: true });
    assert.equal(again.status, 409);
  });

  test('the appraisal group (D18): opinions are recorded, a disagreement blocks a disposal, and a third appraiser can be required', async () => {
    const group = await startServer({ env: { DANGAN_DISPOSAL_APPRAISERS: '3' } });
    try {
      await group.addUser('appraiser-b', 'archivist');
      const gas = (role, method, path, body) => group.api(method, path, { as: role, body });
      const rec = (await gas('archivist', 'POST', '/api/v1/records', { title: '过期来往文书', description: '要销毁', access_level: 'open', year: 1985, retention: 'D10' })).json;
      const p = await gas('archivist', 'POST', `/api/v1/records/${rec.id}/appraisals`, { outcome: 'dispose', reason: '保管期满', worksheet: { criteria: '无查考价值' } });
      assert.equal(p.status, 201, p.text);
      assert.deepEqual(p.json.opinions, []);
      // The proposer's view is the proposal; an agent is not an appraiser.
      assert.equal((await gas('archivist', 'POST', `/api/v1/appraisals/${p.json.id}/opinions`, { opinion: 'agree' })).status, 409);
      assert.equal((await gas('agent', 'POST', `/api/v1/appraisals/${p.json.id}/opinions`, { opinion: 'agree' })).status, 403);
      const few = await gas('manager', 'POST', `/api/v1/appraisals/${p.json.id}/decision`, { approve: true });
      assert.equal(few.status, 409, few.text);
      assert.equal(few.json.error.field, 'opinions');
      assert.match(few.json.error.message, /needs 3 appraisers/);

      const noWhy = await gas('appraiser-b', 'POST', `/api/v1/appraisals/${p.json.id}/opinions`, { opinion: 'disagree' });
      assert.equal(noWhy.status, 400);
      assert.equal(noWhy.json.error.field, 'comment');
      const against = await gas('appraiser-b', 'POST', `/api/v1/appraisals/${p.json.id}/opinions`, { opinion: 'disagree', comment: '仍有查考价值' });
      assert.equal(against.status, 200, against.text);
      assert.deepEqual(against.json.opinions.map((o) => [o.appraiser, o.role, o.opinion]), [['appraiser-b', 'archivist', 'disagree']]);
      const blocked = await gas('manager', 'POST', `/api/v1/appraisals/${p.json.id}/decision`, { approve: true });
      assert.equal(blocked.status, 409);
      assert.match(blocked.json.error.message, /appraiser-b/);
      assert.equal((await gas('agent', 'GET', `/api/v1/records/${rec.id}`)).json.status, 'active', 'nothing was disposed of');

      assert.equal((await gas('appraiser-b', 'POST', `/api/v1/appraisals/${p.json.id}/opinions`, { opinion: 'agree', comment: '复核后同意' })).status, 200);
      const listed = (await gas('manager', 'GET', '/api/v1/appraisals?status=proposed')).json.items.find((a) => a.id === p.json.id);
      assert.deepEqual(listed.opinions.map((o) => [o.opinion, o.comment]), [['agree', '复核后同意']], 'the later opinion replaced the earlier one');
      const d = await gas('manager', 'POST', `/api/v1/appraisals/${p.json.id}/decision`, { approve: true, note: '同意销毁' });
      assert.equal(d.status, 200, d.text);
      const entry = (await gas('auditor', 'GET', '/api/v1/disposal-register?limit=5')).json.items.find((x) => x.record_id === rec.id);
      const ev = await gas('auditor', 'GET', `/api/v1/disposal-register/${entry.id}/evidence`);
      assert.deepEqual(ev.json.evidence.appraisal.opinions.map((o) => o.appraiser), ['appraiser-b']);
      assert.equal(ev.json.evidence.audit.filter((e) => e.action === 'appraisal.opinion').length, 2);
    } finally {
      await group.stop();
    }
  });

  test('a legal hold blocks disposal', async () => {
    const rec = await create({ title: '诉讼中的合同', access_level: 'open', year: 1980, retention: 'D10' });
    assert.equal((await as('manager', 'POST', `/api/v1/records/${rec.id}/legal-hold`, { hold: true, reason: '诉讼' })).status, 200);
    const p = await as('archivist', 'POST', `/api/v1/records/${rec.id}/appraisals`, { outcome: 'dispose', reason: '到期' });
    assert.equal(p.status, 409);
  });
});

describe('two server processes on one database', () => {
  test('create records in parallel and never share a reference code', async () => {
    const other = await startServer({ db: srv.db });
    try {
      const fonds = await as('archivist', 'POST', '/api/v1/fonds', { code: uniq('PF'), name: '并发全宗' });
      const body = (i) => ({ title: `并发档案 ${i}`, access_level: 'open', fonds_id: fonds.json.id, year: 2021 });
      const calls = [];
      for (let i = 0; i < 30; i++) {
        calls.push(srv.api('POST', '/api/v1/records', { as: 'archivist', body: body(i) }));
        calls.push(other.api('POST', '/api/v1/records', { as: 'archivist', body: body(100 + i) }));
      }
      const results = await Promise.all(calls);
      for (const r of results) assert.equal(r.status, 201, r.text);
      const codes = results.map((r) => r.json.reference_code);
      assert.equal(new Set(codes).size, 60, 'every code is unique');
      const numbers = codes.map((c) => Number(c.split('-').pop())).sort((a, b) => a - b);
      assert.deepEqual(numbers, Array.from({ length: 60 }, (_, i) => i + 1), 'no number skipped or doubled');
    } finally {
      await other.stop({ keepDb: true });
    }
  });
});

describe('locations', () => {
  test('a building, a full box, and the vacant-slot finder', async () => {
    const b = await as('archivist', 'POST', '/api/v1/locations', { kind: 'building', code: uniq('A'), name: '库房楼' });
    const box = await as('archivist', 'POST', '/api/v1/locations', { kind: 'box', code: '1', parent_id: b.json.id, capacity: 1 });
    assert.equal(box.status, 201, box.text);
    const r1 = await create({ title: '盒中一', access_level: 'open', location_id: box.json.id });
    assert.equal(r1.location.id, box.json.id);
    const r2 = await create({ title: '盒中二', access_level: 'open' });
    const full = await as('archivist', 'POST', `/api/v1/records/${r2.id}/move`, { location_id: box.json.id, reason: '上架' });
    assert.equal(full.status, 409);
    const vacant = await as('agent', 'GET', `/api/v1/locations/vacant?under=${b.json.id}&needed=1`);
    assert.equal(vacant.json.enough, false);
    await as('archivist', 'POST', `/api/v1/records/${r1.id}/close`, { reason: '销户' });
    const now = await as('agent', 'GET', `/api/v1/locations/vacant?under=${b.json.id}&needed=1`);
    assert.equal(now.json.enough, true, 'closing freed the place');
  });
});

describe('accessions, storerooms and labels', () => {
  test('an accession under a donor agreement, with records linked', async () => {
    const donor = await as('archivist', 'POST', '/api/v1/donors', { kind: 'organisation', name: uniq('市规划局') });
    assert.equal(donor.status, 201, donor.text);
    const ag = await as('archivist', 'POST', '/api/v1/agreements', { donor_id: donor.json.id, kind: 'deposit', signed_on: '2024-05-01', expires_on: '2034-04-30', access_conditions: '寄存期内需经寄存单位同意方可利用' });
    assert.equal(ag.status, 201, ag.text);
    const bad = await as('archivist', 'POST', '/api/v1/accessions', { method: 'deposit', received_on: '2024-05-20', source: '规划局', item_count: 0 });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'item_count');
    const acc = await as('archivist', 'POST', '/api/v1/accessions', { method: 'deposit', agreement_id: ag.json.id, received_on: '2024-05-20', source: '规划局寄存', item_count: 12, condition: '良好' });
    assert.equal(acc.status, 201, acc.text);
    assert.match(acc.json.accession_number, /^JS-2024-\d{4}$/);
    const rec = await create({ title: '城市总体规划图（寄存）', access_level: 'controlled' });
    const linked = await as('archivist', 'POST', `/api/v1/accessions/${acc.json.id}/records`, { record_ids: [rec.id] });
    assert.equal(linked.status, 200, linked.text);
    assert.deepEqual(linked.json.records.map((r) => r.id), [rec.id]);
  });

  test('readings out of range raise an alert that is acknowledged and resolved', async () => {
    const b = await as('archivist', 'POST', '/api/v1/locations', { kind: 'building', code: uniq('E') });
    const room = await as('archivist', 'POST', '/api/v1/locations', { kind: 'room', code: '201', parent_id: b.json.id });
    const r = await as('archivist', 'POST', `/api/v1/locations/${room.json.id}/readings`, { temperature: 21, humidity: 72 });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.alerts_raised.map((a) => a.kind), ['humidity_high']);
    const list = await as('agent', 'GET', '/api/v1/environment-alerts?status=active');
    const alert = list.json.items.find((a) => a.id === r.json.alerts_raised[0].id);
    assert.equal(alert.location.id, room.json.id);
    assert.equal((await as('agent', 'POST', `/api/v1/environment-alerts/${alert.id}/acknowledge`, {})).status, 403);
    assert.equal((await as('archivist', 'POST', `/api/v1/environment-alerts/${alert.id}/resolve`, { note: '除湿后恢复' })).json.status, 'resolved');
    const readings = await as('agent', 'GET', `/api/v1/locations/${room.json.id}/readings`);
    assert.equal(readings.json.items[0].humidity, 72);
    assert.equal(readings.json.thresholds.humidity_max, 60);
  });

  test('a record label is an SVG with the reference code', async () => {
    const rec = await create({ title: '标签测试', access_level: 'open' });
    const label = await as('agent', 'GET', `/api/v1/records/${rec.id}/label`);
    assert.equal(label.status, 200);
    assert.match(label.headers.get('content-type'), /^image\/svg\+xml/);
    assert.ok(label.text.includes(rec.reference_code));
    assert.ok(label.text.includes('<rect'));
  });
});
