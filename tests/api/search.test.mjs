// Search over HTTP: the response shape scripts rely on, bad input, what each audience may
// find (a patron never learns of a secret record), the search log (a patron's searches on
// their timeline, results opened) and the unmet-demand report.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BACKEND, BIN, createPatron, person, poll, sqlite3, startServer, uniq } from './harness.mjs';

let srv;
let reader; // the portal account's patron
// A word no other test uses, so totals are exact.
const word = uniq('w').replace(/[^a-z0-9]/g, '');

before(async () => {
  srv = await startServer();
  reader = await createPatron(srv, person());
  await srv.addUser('reader', 'patron', { patron: reader.id });
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body) => srv.api(method, path, { as: role, body });
const search = (role, params) => as(role, 'GET', `/api/v1/search?${new URLSearchParams(params)}`);
const create = async (body) => {
  const r = await as('archivist', 'POST', '/api/v1/records', body);
  assert.equal(r.status, 201, r.text);
  return r.json;
};

describe('search', () => {
  let open, controlled, secret;
  before(async () => {
    open = await create({ title: `水库调度档案 ${word}`, description: '防汛抗旱的<b>记录</b>', access_level: 'open' });
    controlled = await create({ title: `水库移民档案 ${word}`, description: '补偿标准与名单', access_level: 'controlled' });
    secret = await create({ title: `水库工程图纸 ${word}`, description: '坝体结构', access_level: 'secret' });
  });

  test('GET /search answers items with id, reference_code, title, snippet and score, total and facets', async () => {
    const r = await search('agent', { q: '水库调度', limit: '5' });
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json.items));
    assert.equal(r.json.total, 1);
    const hit = r.json.items[0];
    assert.equal(hit.id, open.id);
    assert.equal(hit.reference_code, open.reference_code);
    assert.equal(hit.title, open.title);
    assert.equal(typeof hit.snippet, 'string');
    assert.match(hit.snippet, /<mark>水库调度<\/mark>|<mark>水库<\/mark>/);
    assert.equal(typeof hit.score, 'number');
    assert.equal(typeof r.json.facets, 'object');
    for (const f of ['category', 'fonds', 'year', 'access_level', 'carrier']) assert.ok(Array.isArray(r.json.facets[f]), f);
    assert.equal(typeof r.json.search_id, 'number');
  });

  test('the description is HTML-escaped in snippets; traditional characters find simplified ones', async () => {
    const r = await search('agent', { q: '防汛' });
    const hit = r.json.items.find((h) => h.id === open.id);
    assert.ok(hit, r.text);
    assert.ok(hit.snippet.includes('&lt;b&gt;记录&lt;/b&gt;'), hit.snippet);
    const t = await search('agent', { q: '水庫調度' });
    assert.deepEqual(t.json.items.map((h) => h.id), [open.id]);
  });

  test('a reference code finds its record first', async () => {
    const r = await search('agent', { q: open.reference_code });
    assert.equal(r.status, 200);
    assert.equal(r.json.items[0].id, open.id);
    assert.equal(r.json.items[0].match, 'code');
  });

  test('staff see open and controlled records; secret ones only with record_secret', async () => {
    const agent = await search('agent', { q: word });
    assert.deepEqual(agent.json.items.map((h) => h.id).sort(), [open.id, controlled.id].sort());
    assert.equal(agent.json.total, 2);
    const archivist = await search('archivist', { q: word });
    assert.equal(archivist.json.total, 3);
    assert.ok(archivist.json.items.some((h) => h.id === secret.id));
    const controlledHit = agent.json.items.find((h) => h.id === controlled.id);
    assert.equal(controlledHit.content_hidden, false);
  });

  test('a patron never learns that a secret record exists, and sees controlled records by their entry only', async () => {
    const token = await srv.login('reader');
    const r = await srv.api('GET', `/api/v1/search?q=${word}`, { token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.items.map((h) => h.id).sort(), [open.id, controlled.id].sort());
    assert.equal(r.json.total, 2);
    assert.ok(!JSON.stringify(r.json.facets).includes('secret'), JSON.stringify(r.json.facets));
    assert.ok(!JSON.stringify(r.json).includes('图纸'));
    const c = r.json.items.find((h) => h.id === controlled.id);
    assert.equal(c.content_hidden, true);
    assert.ok(!c.snippet.includes('补偿'), c.snippet);
    // Not through the description of the controlled record, nor by asking for secret ones.
    const byContent = await srv.api('GET', `/api/v1/search?q=${encodeURIComponent('补偿标准')}`, { token });
    assert.equal(byContent.json.total, 0);
    const asked = await srv.api('GET', `/api/v1/search?q=${word}&access_level=secret`, { token });
    assert.equal(asked.json.total, 0);
    const byCode = await srv.api('GET', `/api/v1/search?q=${encodeURIComponent(secret.reference_code)}`, { token });
    assert.equal(byCode.json.total, 0);
  });

  test('auditors may not search', async () => {
    const r = await search('auditor', { q: word });
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'forbidden');
  });

  test('filters by access level, carrier and year', async () => {
    const a = await search('archivist', { q: word, access_level: 'open,secret' });
    assert.equal(a.json.total, 2);
    const y = await search('archivist', { q: word, year_from: '1900', year_to: '1901' });
    assert.equal(y.json.total, 0);
    const c = await search('archivist', { q: word, carrier: 'paper' });
    assert.equal(c.json.total, 3);
  });

  test('bad input answers 400 with the field', async () => {
    for (const [params, field] of [
      [{}, 'q'],
      [{ q: '' }, 'q'],
      [{ q: '   ' }, 'q'],
      [{ q: 'x'.repeat(201) }, 'q'],
      [{ q: '档案', limit: '0' }, 'limit'],
      [{ q: '档案', limit: '101' }, 'limit'],
      [{ q: '档案', limit: 'ten' }, 'limit'],
      [{ q: '档案', offset: '-1' }, 'offset'],
      [{ q: '档案', access_level: 'public' }, 'access_level'],
      [{ q: '档案', carrier: 'stone' }, 'carrier'],
      [{ q: '档案', fonds_id: 'abc' }, 'fonds_id'],
      [{ q: '档案', year_from: '2020', year_to: '2010' }, 'year_to'],
      [{ q: '档案', sort: 'title' }, 'sort'],
    ]) {
      const r = await search('agent', params);
      assert.equal(r.status, 400, `${JSON.stringify(params)}: ${r.text}`);
      assert.equal(r.json.error.field, field, JSON.stringify(params));
    }
  });

  test('a query that finds nothing suggests one that does', async () => {
    const r = await search('agent', { q: '水庫 火箭发射' });
    assert.equal(r.json.total, 0);
    assert.equal(r.json.suggestion, '水库');
  });

  test('a change to a record is searchable at once', async () => {
    const rec = await create({ title: `旧题名${word}`, access_level: 'open' });
    const patched = await srv.api('PATCH', `/api/v1/records/${rec.id}`, {
      as: 'archivist',
      body: { title: `新题名 ${word} 灌溉渠` },
      headers: { 'If-Match': `"${rec.version}"` },
    });
    assert.equal(patched.status, 200, patched.text);
    const r = await search('agent', { q: '灌溉渠' });
    assert.deepEqual(r.json.items.map((h) => h.id), [rec.id]);
  });
});

describe('search log and unmet demand', () => {
  test("a patron's searches land on their timeline", async () => {
    const token = await srv.login('reader');
    const q = `族谱 ${word}`;
    const r = await srv.api('GET', `/api/v1/search?q=${encodeURIComponent(q)}`, { token });
    assert.equal(r.status, 200);
    const tl = await srv.api('GET', `/api/v1/patrons/${reader.id}/timeline`, { token });
    assert.equal(tl.status, 200, tl.text);
    const ev = tl.json.items.find((e) => e.kind === 'search' && e.detail?.query === q);
    assert.ok(ev, JSON.stringify(tl.json.items.slice(0, 3)));
    assert.match(ev.summary, /found/);
    assert.equal(ev.detail.search_id, r.json.search_id);
  });

  test('only the searcher marks a search as opened', async () => {
    const r = await search('agent', { q: '水库调度' });
    const id = r.json.search_id;
    const other = await as('archivist', 'POST', `/api/v1/search/${id}/opened`, { record_id: r.json.items[0].id });
    assert.equal(other.status, 404);
    const bad = await as('agent', 'POST', `/api/v1/search/${id}/opened`, { record_id: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'record_id');
    const ok = await as('agent', 'POST', `/api/v1/search/${id}/opened`, { record_id: r.json.items[0].id });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.opened, true);
  });

  test('searches that found nothing, or nothing opened, make the unmet-demand report', async () => {
    const term = `敦煌 ${word}`;
    for (const role of ['agent', 'archivist']) assert.equal((await search(role, { q: term })).json.total, 0);
    const found = await search('agent', { q: `${word} 水库调度` });
    await as('agent', 'POST', `/api/v1/search/${found.json.search_id}/opened`, { record_id: found.json.items[0].id });
    const r = await as('analyst', 'GET', '/api/v1/search/unmet-demand?limit=500');
    assert.equal(r.status, 200, r.text);
    const item = r.json.items.find((i) => i.term === term);
    assert.ok(item, JSON.stringify(r.json.items.slice(0, 5)));
    assert.equal(item.searches, 2);
    assert.equal(item.found_nothing, 2);
    assert.equal(item.weekly.length, 1);
    assert.equal(item.weekly[0].count, 2);
    assert.ok(!r.json.items.some((i) => i.term === `${word} 水库调度`), 'an opened search is met demand');
    const future = await as('analyst', 'GET', '/api/v1/search/unmet-demand?from=2999-01-01');
    assert.deepEqual(future.json.items, []);
    const bad = await as('analyst', 'GET', '/api/v1/search/unmet-demand?from=yesterday');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.field, 'from');
    const denied = await as('agent', 'GET', '/api/v1/search/unmet-demand');
    assert.equal(denied.status, 403);
  });
});

// SQLite has one writer: an all-or-nothing import holds it until it commits. A search only
// reads; its log entry (and a patron's timeline event) waits for the import instead of the
// search waiting, or failing after the busy timeout.
describe('searching while a long import holds the database', { skip: BACKEND !== 'sqlite' }, () => {
  test('the search answers at once; its log entry and timeline event are written after the import', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dangan-search-import-'));
    try {
      const file = path.join(dir, 'big.csv');
      const lines = ['题名,年度,密级,内容提要'];
      for (let i = 0; i < 120000; i++) lines.push(`导入测试案卷${i},2001,开放,关于城市供水管网改造工程的请示与批复第${i}号`);
      await writeFile(file, lines.join('\n') + '\n');
      const token = await srv.login('reader');
      const importer = spawn(BIN, ['import', 'records', file, '--database', srv.db.url], { stdio: 'ignore' });
      const done = new Promise((resolve) => importer.on('exit', resolve));
      // The import holds the database once another writer cannot begin.
      const locked = async () => sqlite3(srv.db.file, 'BEGIN IMMEDIATE; ROLLBACK;').then(() => false, () => true);
      assert.ok(await poll(async () => importer.exitCode === null && (await locked()), 20000), 'the import took the database');
      const q = `族谱 ${word} 导入中`;
      const started = Date.now();
      const r = await srv.api('GET', `/api/v1/search?q=${encodeURIComponent(q)}`, { token });
      const took = Date.now() - started;
      const stillImporting = importer.exitCode === null;
      assert.equal(r.status, 200, r.text);
      assert.ok(took < 2000, `the search took ${took} ms while the import ran`);
      assert.ok(stillImporting, 'the import was still running (make the file bigger if not)');
      assert.equal(r.json.search_id, null, 'not logged yet: no id to mark as opened');
      assert.equal(await done, 0, 'the import succeeded');
      // Once the import committed, the entry is written: the search is on the timeline.
      const ev = await poll(async () => {
        const tl = await srv.api('GET', `/api/v1/patrons/${reader.id}/timeline`, { token });
        return tl.json.items.find((e) => e.kind === 'search' && e.detail?.query === q) ?? null;
      }, 10000);
      assert.ok(ev, 'the deferred search reached the timeline');
      assert.equal(typeof ev.detail.search_id, 'number');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
