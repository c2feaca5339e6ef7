// Bulk import and export of catalogue records over HTTP and from the command line:
// CSV and XLSX imports as background jobs, dry runs, errors by row and column,
// all-or-nothing, a batch job continued after the server was killed part-way, exports
// in every format read back, and `dangan import/export records`.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { auditEntries, exportRecords, exportRequestId, poll, startServer, uniq } from './harness.mjs';

let srv;
let tmp;
before(async () => {
  srv = await startServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dangan-transfer-'));
});
after(async () => {
  await srv?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const BOM = '\ufeff';
const csvCell = (v) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csv = (header, rows) => BOM + [header, ...rows].map((r) => r.map((v) => csvCell(String(v))).join(',')).join('\r\n') + '\r\n';

// POSTs a file and waits for its job to finish.
async function importFile(server, body, params, { as = 'archivist', timeoutMs = 20000 } = {}) {
  const qs = new URLSearchParams(params).toString();
  const r = await server.api('POST', `/api/v1/records/imports?${qs}`, { as, body, headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(r.status, 202, r.text);
  assert.ok(['queued', 'running'].includes(r.json.status), r.text);
  return waitFor(server, r.json.id, timeoutMs);
}

async function waitFor(server, id, timeoutMs = 20000) {
  const job = await poll(async () => {
    const g = await server.api('GET', `/api/v1/records/imports/${id}`, { as: 'archivist' });
    assert.equal(g.status, 200, g.text);
    return ['queued', 'running'].includes(g.json.status) ? null : g.json;
  }, timeoutMs);
  assert.ok(job, `import job ${id} did not finish in ${timeoutMs} ms`);
  return job;
}

// Every record whose title starts with `prefix`, through the export (NDJSON).
async function recordsTitled(server, prefix) {
  const r = await exportRecords(server, 'format=ndjson&status=all', 'archivist');
  assert.equal(r.status, 200, r.text);
  return r.text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((x) => x.title.startsWith(prefix));
}

const HEADER = ['档号', '题名', '年度', '责任者', '关键词', '保管期限', '密级', '载体', '页数', '内容提要'];

describe('import', () => {
  test('a CSV with Chinese headers, quotes and line breaks imports as a background job', async () => {
    const tag = uniq('导入');
    const body = csv(HEADER, [
      ['', `${tag} 城市建设档案 "第一卷"`, 1998, '市建委', '城建；规划', '30年', '开放', '纸质', 12, '多行\n提要, 有逗号'],
      ['', `${tag} 檔案管理辦法`, 2001, '档案局', '', '永久', '控制', '电子', '', ''],
    ]);
    const job = await importFile(srv, body, { format: 'csv', filename: '目录.csv' });
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal(job.rows_total, 2);
    assert.equal(job.rows_imported, 2);
    assert.equal(job.filename, '目录.csv');
    const recs = await recordsTitled(srv, tag);
    assert.equal(recs.length, 2);
    const first = recs.find((x) => x.title.endsWith('"第一卷"'));
    assert.deepEqual(first.keywords, ['城建', '规划']);
    assert.equal(first.description, '多行\n提要, 有逗号');
    assert.equal(first.retention, 'D30');
    assert.equal(first.pages, 12);
    assert.match(first.reference_code, /^QZ01-WS-1998-D30-\d{4}$/);
    // The list of jobs has it, newest first.
    const list = await srv.api('GET', '/api/v1/records/imports?limit=5', { as: 'manager' });
    assert.equal(list.status, 200);
    assert.equal(list.json.items[0].id, job.id);
  });

  test('a dry run reports what would happen and writes no record', async () => {
    const tag = uniq('试运行');
    const body = csv(HEADER, [['', `${tag} 一`, 2000, '', '', '', '开放', '', '', '']]);
    const job = await importFile(srv, body, { format: 'csv', dry_run: 'true' });
    assert.equal(job.status, 'succeeded');
    assert.equal(job.dry_run, true);
    assert.equal(job.rows_imported, 1);
    assert.deepEqual(await recordsTitled(srv, tag), []);
  });

  test('one bad row leaves nothing behind; every error names its row and column', async () => {
    const tag = uniq('全有或全无');
    const body = csv(['题名', '年度', '全宗号', '密级'], [
      [`${tag} 好`, 1999, 'QZ01', '开放'],
      [`${tag} 年度错`, '九八', 'QZ01', '开放'],
      [`${tag} 全宗错`, 2001, 'QZ99', '开放'],
      [`${tag} 也好`, 2002, '', 'open'],
    ]);
    const job = await importFile(srv, body, { format: 'csv' });
    assert.equal(job.status, 'failed');
    assert.equal(job.rows_imported, 0);
    assert.equal(job.rows_failed, 2);
    assert.deepEqual(
      job.errors.map((e) => [e.row, e.column, e.message]),
      [
        [3, '年度', 'must be a year between 1000 and 9999'],
        [4, '全宗号', 'no fonds with code QZ99'],
      ],
    );
    assert.deepEqual(await recordsTitled(srv, tag), []);
  });

  test('batch mode imports the good rows and reports the bad', async () => {
    const tag = uniq('分批');
    const rows = [];
    for (let i = 1; i <= 12; i++) rows.push(['', `${tag} ${i}`, i === 5 ? '不详' : 2000 + i, '', '', '', '开放', '', '', '']);
    const job = await importFile(srv, csv(HEADER, rows), { format: 'csv', mode: 'batch', batch_size: '5' });
    assert.equal(job.status, 'completed_with_errors');
    assert.equal(job.mode, 'batch');
    assert.equal(job.rows_imported, 11);
    assert.deepEqual(job.errors, [{ row: 6, column: '年度', message: 'must be a year between 1000 and 9999' }]);
    assert.equal((await recordsTitled(srv, tag)).length, 11);
  });

  test('bad requests are refused before a job starts', async () => {
    const post = (qs, body = 'title\nx\n', as = 'archivist') => srv.api('POST', `/api/v1/records/imports?${qs}`, { as, body });
    let r = await post('format=xls');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.field, 'format');
    r = await post('format=csv&mode=sometimes');
    assert.equal(r.json.error.field, 'mode');
    r = await post(`format=csv&mapping=${encodeURIComponent('{"a": "titel"}')}`);
    assert.equal(r.status, 400);
    assert.equal(r.json.error.message, "column 'a': unknown record field 'titel'");
    r = await post('format=csv', '');
    assert.equal(r.json.error.field, 'body');
    r = await post('format=csv&job=1');
    assert.equal(r.json.error.field, 'job');
    r = await post('format=csv', 'title\nx\n', 'manager');
    assert.equal(r.status, 403);
    r = await srv.api('GET', '/api/v1/records/imports/999999', { as: 'archivist' });
    assert.equal(r.status, 404);
  });

  test('a batch job killed part-way continues after its last batch and imports no row twice', async () => {
    const server = await startServer();
    try {
      const tag = uniq('续传');
      const rows = [];
      for (let i = 1; i <= 6000; i++) rows.push([`${tag}-${i}`, `${tag} 第${i}卷`, 1950 + (i % 70), '', '', '', '开放', '', '', '']);
      const body = csv(HEADER, rows);
      const qs = 'format=csv&mode=batch&batch_size=200';
      const r = await server.api('POST', `/api/v1/records/imports?${qs}`, { as: 'archivist', body });
      assert.equal(r.status, 202, r.text);
      const id = r.json.id;
      const part = await poll(async () => {
        const g = await server.api('GET', `/api/v1/records/imports/${id}`, { as: 'archivist' });
        return g.json.last_row > 0 ? g.json : null;
      }, 20000);
      assert.ok(part, 'a first batch committed');
      await server.kill();
      const again = await startServer({ db: server.db });
      try {
        const seen = await again.api('GET', `/api/v1/records/imports/${id}`, { as: 'archivist' });
        assert.ok(seen.json.last_row > 0 && seen.json.last_row < 6001, JSON.stringify(seen.json));
        assert.notEqual(seen.json.status, 'succeeded', 'the kill came before the end');
        const before = (await recordsTitled(again, tag)).length;
        assert.equal(before, seen.json.rows_imported, 'committed rows are the ones the job counted');
        // Another file cannot continue it.
        const other = await again.api('POST', `/api/v1/records/imports?${qs}&job=${id}`, { as: 'archivist', body: body + 'x,y,2000,,,,开放,,,\r\n' });
        assert.equal(other.status, 409, other.text);
        const cont = await again.api('POST', `/api/v1/records/imports?${qs}&job=${id}`, { as: 'archivist', body });
        assert.equal(cont.status, 202, cont.text);
        const job = await waitFor(again, id, 60000);
        assert.equal(job.status, 'succeeded', JSON.stringify({ ...job, errors: job.errors.slice(0, 3) }));
        assert.equal(job.rows_done, 6000);
        assert.equal(job.rows_imported, 6000);
        assert.equal(job.rows_failed, 0);
        const recs = await recordsTitled(again, tag);
        assert.equal(recs.length, 6000);
        assert.equal(new Set(recs.map((x) => x.reference_code)).size, 6000);
      } finally {
        await again.stop({ keepDb: true });
      }
    } finally {
      await server.db.drop();
    }
  });
});

describe('export', () => {
  let tag;
  before(async () => {
    tag = uniq('导出');
    const body = csv(HEADER, [
      ['', `${tag} 城市建设档案 "第一卷"`, 1998, '市建委', '城建；规划', '30年', '开放', '纸质', 12, '多行\n提要'],
      ['', `${tag} 檔案管理辦法 <2001> & more`, 2001, '档案局', '', '永久', '控制', '电子', '', ''],
      ['', `${tag} Annual report`, 2003, 'Office', 'report', 'D10', '涉密', 'photo', 3, '=1+1'],
    ]);
    const job = await importFile(srv, body, { format: 'csv' });
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
  });

  const get = (qs, as = 'manager') => exportRecords(srv, qs, as);
  const today = () => new Date().toISOString().slice(0, 10);
  const ignoreCodes = encodeURIComponent(JSON.stringify({ columns: { reference_code: null, id: null } }));

  test('CSV: UTF-8 with a BOM, dated filename, and it imports again', async () => {
    const r = await get('format=csv&year_from=1998&year_to=2003');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.equal(r.headers.get('content-disposition'), `attachment; filename="records-${today()}.csv"`);
    // (fetch's text() drops a BOM, so the bytes are looked at.)
    const raw = await fetch(`${srv.url}/api/v1/records/exports/${exportRequestId(r)}/file`, {
      headers: { authorization: `Bearer ${await srv.login('manager')}` },
    });
    const bytes = Buffer.from(await raw.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.ok(r.text.startsWith('id,reference_code,title,'), r.text.slice(0, 60));
    assert.ok(r.text.includes(`"${tag} 城市建设档案 ""第一卷"""`));
    assert.ok(r.text.includes('"\'=1+1"'), 'a formula is guarded');
    const job = await importFile(srv, r.text, { format: 'csv', dry_run: 'true', mapping: decodeURIComponent(ignoreCodes) });
    assert.equal(job.status, 'succeeded', JSON.stringify(job.errors));
  });

  test('XLSX is a real workbook that imports again', async () => {
    const r = await get('format=xlsx&year_from=1998&year_to=2003', 'archivist');
    assert.equal(r.status, 200, r.text);
    const res = await fetch(`${srv.url}/api/v1/records/exports/${exportRequestId(r)}/file`, {
      headers: { authorization: `Bearer ${await srv.login('archivist')}` },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.subarray(0, 2).toString(), 'PK');
    const job = await importFile(srv, bytes, { format: 'xlsx', dry_run: 'true', mapping: decodeURIComponent(ignoreCodes) });
    assert.equal(job.status, 'succeeded', JSON.stringify(job.errors));
    assert.ok(job.rows_imported >= 3);
    // Into an empty catalogue, and the records match the originals.
    const fresh = await startServer({ roles: ['archivist'] });
    try {
      const j2 = await importFile(fresh, bytes, { format: 'xlsx' });
      assert.equal(j2.status, 'succeeded', JSON.stringify(j2.errors));
      const mine = (await recordsTitled(srv, tag)).map(({ id, created_at, updated_at, ...rest }) => rest);
      const theirs = (await recordsTitled(fresh, tag)).map(({ id, created_at, updated_at, ...rest }) => rest);
      assert.deepEqual(theirs, mine);
    } finally {
      await fresh.stop();
    }
  });

  test('JSON, NDJSON and Dublin Core parse; filters apply; each export is audited', async () => {
    let r = await get('format=json&access_level=secret');
    assert.equal(r.headers.get('content-type'), 'application/json');
    const secret = r.json.filter((x) => x.title.startsWith(tag));
    assert.equal(secret.length, 1);
    assert.equal(secret[0].access_level, 'secret');
    assert.deepEqual(secret[0].keywords, ['report']);

    r = await get('format=ndjson&year_to=2001');
    assert.equal(r.headers.get('content-type'), 'application/x-ndjson');
    const lines = r.text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((x) => x.title.startsWith(tag));
    assert.equal(lines.length, 2);

    r = await get('format=dc&fonds=QZ01&category=WS');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/xml');
    assert.match(r.headers.get('content-disposition'), /filename="records-\d{4}-\d{2}-\d{2}\.xml"/);
    assert.ok(r.text.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
    assert.ok(r.text.includes('xmlns:dc="http://purl.org/dc/elements/1.1/"'));
    assert.ok(r.text.includes(`<dc:title>${tag} 檔案管理辦法 &lt;2001&gt; &amp; more</dc:title>`));
    assert.ok(r.text.includes('<dc:subject>城建</dc:subject>'));
    const records = r.text.match(/<oai_dc:dc /g).length;
    assert.ok(records >= 3);
    assert.equal(r.text.match(/<\/oai_dc:dc>/g).length, records);

    r = await get('format=csv&fonds=NOPE');
    assert.equal(r.status, 400);
    assert.equal(r.json.error.field, 'fonds');
    r = await get('format=csv&year_from=99');
    assert.equal(r.json.error.field, 'year_from');
    r = await get('format=csv', 'agent');
    assert.equal(r.status, 403);

    const entries = await auditEntries(srv, { action: 'record.export' });
    assert.ok(entries.length >= 3);
    // The newest is the Dublin Core export (the refused ones wrote nothing).
    const detail = typeof entries[0].detail === 'string' ? JSON.parse(entries[0].detail) : entries[0].detail;
    assert.deepEqual(detail.filter, { fonds: 'QZ01', category: 'WS' });
    assert.equal(detail.format, 'dc');
    assert.equal(detail.rows, records);
  });
});

describe('command line', () => {
  test('dangan import records and export records', async () => {
    const tag = uniq('命令行');
    const file = path.join(tmp, 'in.csv');
    await writeFile(file, csv(HEADER, [
      ['', `${tag} 一`, 1998, '', '', '', '开放', '', '', ''],
      ['', `${tag} 二`, 1999, '', '', '', '控制', '', '', ''],
    ]));
    let r = await srv.cli(['import', 'records', file, '--as', 'archivist']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /job \d+ succeeded: 2 rows checked, 2 imported, 0 skipped, 0 failed/);
    assert.match(r.stderr, /importing: 100%/);

    const bad = path.join(tmp, 'bad.csv');
    await writeFile(bad, csv(['题名', '年度', '密级'], [[`${tag} 坏`, '九八', '开放']]));
    r = await srv.cli(['import', 'records', bad, '--dry-run']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /row 2, column 年度: must be a year between 1000 and 9999/);
    r = await srv.cli(['import', 'records', bad, '--as', 'agent']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /may not/);

    const out = path.join(tmp, 'out.json');
    r = await srv.cli(['export', 'records', out, '--year-from', '1998', '--year-to', '1999', '--access-level', 'controlled']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /exported \d+ records to/);
    const exported = JSON.parse(await readFile(out, 'utf8')).filter((x) => x.title.startsWith(tag));
    assert.deepEqual(exported.map((x) => x.title), [`${tag} 二`]);
    r = await srv.cli(['export', 'records', path.join(tmp, 'x.xlsx'), '--fonds', 'NOPE']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no fonds with code NOPE/);
  });
});
