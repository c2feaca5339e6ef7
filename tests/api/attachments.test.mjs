// Attachments over HTTP: upload (MIME from the bytes, virus scan, size limit), list,
// metadata, download with a watermark, access by role and level, limits, removal,
// encryption at rest, fixity with repair from a replica.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertError, auditEntries, blobDir, createPatron, person, run, startServer, uniq } from './harness.mjs';

const LIMIT = 256 * 1024;
let srv;
let portal;
before(async () => {
  srv = await startServer({ env: { DANGAN_MAX_ATTACHMENT_BYTES: String(LIMIT), DANGAN_DOWNLOAD_LIMIT_CONTROLLED: '3' } });
  portal = await createPatron(srv, person());
  await srv.addUser('reader', 'patron', { patron: portal.id });
});
after(async () => {
  await srv?.stop();
});

const record = async (s, access_level, title = uniq('附件测试 '), extra = {}) => {
  const r = await s.api('POST', '/api/v1/records', { as: 'archivist', body: { title, description: '附件', access_level, ...extra } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const upload = (s, recordId, filename, body, as = 'archivist') =>
  s.api('POST', `/api/v1/records/${recordId}/attachments?filename=${encodeURIComponent(filename)}`, {
    as,
    body: typeof body === 'string' ? Buffer.from(body) : body,
    headers: { 'content-type': 'application/octet-stream' },
  });
const uploaded = async (s, recordId, filename, body) => {
  const r = await upload(s, recordId, filename, body);
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const blobFile = (s, sha) => path.join(blobDir(s.db), sha.slice(0, 2), sha.slice(2, 4), sha);

// A one-page PDF showing `lines`, with a correct cross-reference table.
function makePdf(lines) {
  const content = `BT /F1 14 Tf 72 720 Td 16 TL\n${lines.map((l) => `(${l}) Tj T*\n`).join('')}ET\n`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  objects.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) pdf += `${String(off).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
// EICAR, assembled at run time.
const eicar = () => 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

async function pdfText(buf) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dangan-pdf-'));
  const file = path.join(dir, 'x.pdf');
  writeFileSync(file, buf);
  const r = await run('pdftotext', [file, '-']);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe('upload and download', () => {
  test('upload, list, metadata and a watermarked download', async () => {
    const rec = await record(srv, 'open');
    const text = '档案说明\nsecond line\n';
    const r = await upload(srv, rec.id, '说明.txt', text);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers.get('location'), `/api/v1/attachments/${r.json.id}`);
    assert.equal(r.json.record_id, rec.id);
    assert.equal(r.json.filename, '说明.txt');
    assert.equal(r.json.mime, 'text/plain');
    assert.equal(r.json.format, 'UTF-8 text');
    assert.equal(r.json.size, Buffer.byteLength(text));
    assert.equal(r.json.sha256, sha256(Buffer.from(text)));
    assert.equal(r.json.scan_status, 'clean');
    assert.equal(r.json.text_status, 'extracted');
    assert.equal(r.json.encrypted, false);

    const list = await srv.api('GET', `/api/v1/records/${rec.id}/attachments`, { as: 'agent' });
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.items.map((a) => a.id), [r.json.id]);
    assert.equal(list.json.next_cursor, null);
    const meta = await srv.api('GET', `/api/v1/attachments/${r.json.id}`, { as: 'agent' });
    assert.equal(meta.status, 200);
    assert.equal(meta.json.filename, '说明.txt');

    const d = await srv.api('GET', `/api/v1/attachments/${r.json.id}/content`, { as: 'agent' });
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(d.headers.get('content-disposition'), /^attachment; filename="__\.txt"; filename\*=UTF-8''%E8%AF%B4%E6%98%8E\.txt$/);
    const mark = d.headers.get('x-dangan-watermark');
    assert.match(mark, /^dangan: downloaded by agent \(user \d+\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, attachment \d+ of record \d+$/);
    assert.equal(d.headers.get('x-dangan-watermark-method'), 'text');
    assert.equal(d.text, `[${mark}]\n${text}`);
    assert.equal(d.headers.get('cache-control'), 'no-store');

    const audit = await auditEntries(srv, { action: 'attachment.download' });
    assert.ok(audit.some((e) => e.entity_id === String(r.json.id) && e.actor === 'agent'), 'the download is audited');
    const created = await auditEntries(srv, { action: 'attachment.create' });
    assert.ok(created.some((e) => e.entity_id === String(r.json.id)));
  });

  test('the MIME type comes from the bytes; a PDF is stamped on its page', async () => {
    const rec = await record(srv, 'open');
    const pdf = makePdf(['Deed of gift 1998']);
    const a = await uploaded(srv, rec.id, 'photo.png', pdf);
    assert.equal(a.mime, 'application/pdf');
    assert.equal(a.format, 'PDF 1.4');
    const d = await fetch(`${srv.url}/api/v1/attachments/${a.id}/content`, {
      headers: { authorization: `Bearer ${await srv.login('manager')}` },
    });
    assert.equal(d.status, 200);
    assert.equal(d.headers.get('content-type'), 'application/pdf');
    assert.equal(d.headers.get('x-dangan-watermark-method'), 'pdf');
    const shown = await pdfText(Buffer.from(await d.arrayBuffer()));
    assert.match(shown, /Deed of gift 1998/);
    assert.match(shown, /downloaded by manager \(user \d+\)/);
  });

  test('HTML gets a banner; other formats carry the watermark in headers only', async () => {
    const rec = await record(srv, 'open');
    const h = await uploaded(srv, rec.id, 'page.html', '<html><body><p>捐赠协议</p></body></html>');
    assert.equal(h.mime, 'text/html');
    const d = await srv.api('GET', `/api/v1/attachments/${h.id}/content`, { as: 'archivist' });
    assert.equal(d.headers.get('x-dangan-watermark-method'), 'html');
    assert.match(d.text, /<body><div [^>]*>dangan: downloaded by archivist/);
    assert.match(d.headers.get('content-security-policy'), /sandbox/);
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de', 'hex');
    const i = await uploaded(srv, rec.id, 'scan.bin', png);
    assert.equal(i.mime, 'image/png');
    const di = await fetch(`${srv.url}/api/v1/attachments/${i.id}/content`, {
      headers: { authorization: `Bearer ${await srv.login('archivist')}` },
    });
    assert.equal(di.headers.get('x-dangan-watermark-method'), 'header');
    assert.match(di.headers.get('x-dangan-watermark'), /downloaded by archivist/);
    assert.deepEqual(Buffer.from(await di.arrayBuffer()), png);
  });

  test('bad input: no file name, empty body, unknown parameter, unknown record', async () => {
    const rec = await record(srv, 'open');
    assertError(assert, await srv.api('POST', `/api/v1/records/${rec.id}/attachments`, { as: 'archivist', body: 'x' }), 400, 'filename', 'invalid');
    assertError(assert, await upload(srv, rec.id, 'a/b.txt', 'x'), 400, 'filename', 'invalid');
    assertError(assert, await upload(srv, rec.id, 'empty.txt', ''), 400, 'file', 'invalid');
    assertError(assert, await srv.api('POST', `/api/v1/records/${rec.id}/attachments?filename=a.txt&x=1`, { as: 'archivist', body: 'x' }), 400, 'x', 'invalid');
    assertError(assert, await upload(srv, 99999999, 'a.txt', 'x'), 404, undefined, 'not_found');
    assertError(assert, await srv.api('GET', '/api/v1/attachments/99999999', { as: 'archivist' }), 404, undefined, 'not_found');
    assertError(assert, await srv.api('GET', '/api/v1/attachments/abc/content', { as: 'archivist' }), 404, undefined, 'not_found');
    assertError(assert, await srv.api('GET', `/api/v1/records/${rec.id}/attachments?include_removed=maybe`, { as: 'archivist' }), 400, 'include_removed');
  });

  test('a file over the size limit answers 413 naming the limit', async () => {
    const rec = await record(srv, 'open');
    const r = await upload(srv, rec.id, 'big.bin', Buffer.alloc(LIMIT + 1, 0x41));
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json.error.code, 'invalid');
    assert.match(r.json.error.message, new RegExp(String(LIMIT)));
    const list = await srv.api('GET', `/api/v1/records/${rec.id}/attachments`, { as: 'archivist' });
    assert.deepEqual(list.json.items, []);
    assert.equal((await upload(srv, rec.id, 'fits.bin', Buffer.alloc(LIMIT, 0x41))).status, 201);
  });

  test('an infected file is refused with 422 naming the signature, and audited', async () => {
    const rec = await record(srv, 'open');
    const r = await upload(srv, rec.id, 'eicar.com', eicar());
    assertError(assert, r, 422, 'file', 'invalid');
    assert.match(r.json.error.message, /Dangan\.Test\.EICAR/);
    const list = await srv.api('GET', `/api/v1/records/${rec.id}/attachments`, { as: 'archivist' });
    assert.deepEqual(list.json.items, []);
    const refused = await auditEntries(srv, { action: 'attachment.refused' });
    assert.ok(refused.some((e) => e.entity_id === String(rec.id)), 'the refusal is audited');
  });
});

describe('access levels', () => {
  let att;
  before(async () => {
    att = {};
    for (const level of ['open', 'controlled', 'secret']) {
      const rec = await record(srv, level);
      att[level] = await uploaded(srv, rec.id, `${level}.txt`, `${level} content ${uniq()}`);
    }
  });

  // role → expected status for [open, controlled, secret]
  const EXPECT = {
    administrator: [200, 200, 404],
    archivist: [200, 200, 200],
    agent: [200, 200, 404],
    manager: [200, 200, 200],
    analyst: [200, 200, 404],
    auditor: [403, 403, 403],
    reader: [200, 403, 404], // the portal patron
  };
  for (const [who, statuses] of Object.entries(EXPECT)) {
    test(`${who}: content, metadata and list by access level`, async () => {
      const got = [];
      for (const level of ['open', 'controlled', 'secret']) {
        const a = att[level];
        const c = await srv.api('GET', `/api/v1/attachments/${a.id}/content`, { as: who });
        const m = await srv.api('GET', `/api/v1/attachments/${a.id}`, { as: who });
        const l = await srv.api('GET', `/api/v1/records/${a.record_id}/attachments`, { as: who });
        assert.equal(m.status, c.status, `metadata like content for ${level}`);
        assert.equal(l.status, c.status, `list like content for ${level}`);
        if (c.status === 404) {
          const absent = await srv.api('GET', '/api/v1/attachments/99999998', { as: who });
          assert.equal(m.json.error.message, absent.json.error.message, 'a hidden attachment looks absent');
        }
        got.push(c.status);
      }
      assert.deepEqual(got, statuses);
    });
  }

  test('secret and controlled content is encrypted on disk; open content is not', async () => {
    for (const level of ['controlled', 'secret']) {
      const a = att[level];
      assert.equal(a.encrypted, true);
      const raw = readFileSync(blobFile(srv, a.sha256));
      assert.equal(raw.subarray(0, 8).toString(), 'DGNBLOB1');
      assert.ok(!raw.includes(Buffer.from(`${level} content`)), `${level} plaintext is not on disk`);
    }
    assert.ok(readFileSync(blobFile(srv, att.open.sha256)).includes(Buffer.from('open content')));
  });

  test('controlled downloads stop at the daily limit with 429', async () => {
    const rec = await record(srv, 'controlled');
    const a = await uploaded(srv, rec.id, 'limited.txt', 'limited');
    await srv.addUser('limited-agent', 'agent');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await srv.api('GET', `/api/v1/attachments/${a.id}/content`, { as: 'limited-agent' })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const r = await srv.api('GET', `/api/v1/attachments/${a.id}/content`, { as: 'limited-agent' });
    assertError(assert, r, 429, undefined, 'too_many_requests');
    assert.match(r.json.error.message, /limit/);
  });
});

describe('removal', () => {
  test('DELETE marks removed, keeps shared content, destroys unused content', async () => {
    const r1 = await record(srv, 'open');
    const r2 = await record(srv, 'open');
    const body = `shared ${uniq()}`;
    const a = await uploaded(srv, r1.id, 'a.txt', body);
    const b = await uploaded(srv, r2.id, 'b.txt', body);
    assert.equal(a.sha256, b.sha256);
    assertError(assert, await srv.api('DELETE', `/api/v1/attachments/${a.id}`, { as: 'agent' }), 403, undefined, 'forbidden');
    const del = await srv.api('DELETE', `/api/v1/attachments/${a.id}`, { as: 'archivist', body: { reason: 'duplicate' } });
    assert.equal(del.status, 204, del.text);
    assert.ok(existsSync(blobFile(srv, a.sha256)), 'still used by the other record');
    const meta = await srv.api('GET', `/api/v1/attachments/${a.id}`, { as: 'archivist' });
    assert.equal(meta.json.removed, true);
    assert.equal((await srv.api('GET', `/api/v1/attachments/${a.id}/content`, { as: 'archivist' })).status, 404);
    assert.deepEqual((await srv.api('GET', `/api/v1/records/${r1.id}/attachments`, { as: 'archivist' })).json.items, []);
    const withRemoved = await srv.api('GET', `/api/v1/records/${r1.id}/attachments?include_removed=true`, { as: 'archivist' });
    assert.equal(withRemoved.json.items.length, 1);
    assertError(assert, await srv.api('DELETE', `/api/v1/attachments/${a.id}`, { as: 'archivist' }), 404, undefined, 'not_found');
    assertError(assert, await srv.api('DELETE', `/api/v1/attachments/${b.id}`, { as: 'archivist', body: { why: 'x' } }), 400, 'why', 'invalid');

    assert.equal((await srv.api('DELETE', `/api/v1/attachments/${b.id}`, { as: 'archivist' })).status, 204);
    assert.ok(!existsSync(blobFile(srv, a.sha256)), 'no attachment uses it: the file is gone');
    const removed = await auditEntries(srv, { action: 'attachment.remove' });
    assert.ok(removed.some((e) => e.entity_id === String(b.id)));
  });
});

describe('search', () => {
  test('a record is found by its attachments\' text; patrons do not search controlled content', async () => {
    const word = `zebra${uniq().replace(/[^a-z0-9]/g, '')}`;
    const open = await record(srv, 'open', uniq('开放档案 '));
    const controlled = await record(srv, 'controlled', uniq('控制档案 '));
    await uploaded(srv, open.id, 'report.pdf', makePdf([`fixity report ${word}`]));
    const c = await uploaded(srv, controlled.id, 'note.html', `<html><body><p>${word}</p><script>quokka${word}</script></body></html>`);
    const ids = async (q, as) => {
      const r = await srv.api('GET', `/api/v1/search?q=${encodeURIComponent(q)}&limit=50`, { as });
      assert.equal(r.status, 200, r.text);
      return r.json.items.map((h) => h.id).sort((a, b) => a - b);
    };
    assert.deepEqual(await ids(word, 'archivist'), [open.id, controlled.id].sort((a, b) => a - b));
    assert.deepEqual(await ids(word, 'reader'), [open.id], 'a controlled record\'s content is not searchable by patrons');
    assert.deepEqual(await ids(`quokka${word}`, 'archivist'), [], 'scripts are not indexed');
    assert.equal((await srv.api('DELETE', `/api/v1/attachments/${c.id}`, { as: 'archivist' })).status, 204);
    assert.deepEqual(await ids(word, 'archivist'), [open.id], 'removed content leaves the index');
  });
});

describe('disposal', () => {
  test('an approved disposal destroys content no other record uses, fast', async () => {
    const doomed = await record(srv, 'controlled', uniq('到期 '), { year: 1990, retention: 'D10' });
    const keeper = await record(srv, 'open');
    const own = await uploaded(srv, doomed.id, 'own.txt', `only here ${uniq()}`);
    const shared = `shared ${uniq()}`;
    const a = await uploaded(srv, doomed.id, 'shared.txt', shared);
    const b = await uploaded(srv, keeper.id, 'shared.txt', shared);
    const p = await srv.api('POST', `/api/v1/records/${doomed.id}/appraisals`, { as: 'archivist', body: { outcome: 'dispose', reason: '保管期满' } });
    assert.equal(p.status, 201, p.text);
    const started = Date.now();
    const d = await srv.api('POST', `/api/v1/appraisals/${p.json.id}/decision`, { as: 'manager', body: { approve: true, note: '同意' } });
    assert.equal(d.status, 200, d.text);
    assert.ok(Date.now() - started < 2000, `the decision took ${Date.now() - started} ms`);
    assert.ok(!existsSync(blobFile(srv, own.sha256)), 'the disposed record\'s own content is gone');
    assert.ok(existsSync(blobFile(srv, a.sha256)), 'content another record uses stays');
    assert.equal((await srv.api('GET', `/api/v1/attachments/${own.id}/content`, { as: 'archivist' })).status, 404);
    assert.equal((await srv.api('GET', `/api/v1/attachments/${b.id}/content`, { as: 'archivist' })).status, 200);
    const reg = await srv.api('GET', '/api/v1/disposal-register?limit=50', { as: 'auditor' });
    const entry = reg.json.items.find((x) => x.record_id === doomed.id);
    assert.ok(entry, 'the register keeps the disposal');
  });
});

describe('fixity', () => {
  test('dangan fixity finds a flipped byte; the report names it and the record', async () => {
    const rec = await record(srv, 'open');
    const a = await uploaded(srv, rec.id, 'fixity.txt', `fixity ${uniq()}`);
    const file = blobFile(srv, a.sha256);
    const raw = readFileSync(file);
    raw[0] ^= 0x01;
    writeFileSync(file, raw);
    const r = await srv.cli(['fixity', '--all']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`${a.sha256}\\tprimary\\tmismatch\\tNOT REPAIRED`));
    const report = await srv.api('GET', '/api/v1/attachments/fixity', { as: 'manager' });
    assert.equal(report.status, 200, report.text);
    assert.ok(report.json.blobs.failed >= 1);
    const item = report.json.items.find((i) => i.sha256 === a.sha256);
    assert.ok(item, 'the damaged blob is listed');
    assert.match(item.detail, /mismatch/);
    assert.deepEqual(item.attachments.map((x) => x.record_id), [rec.id]);
    assert.equal(report.json.runs[0].failed >= 1, true);
    assertError(assert, await srv.api('GET', '/api/v1/attachments/fixity', { as: 'agent' }), 403, undefined, 'forbidden');
    const d = await srv.api('GET', `/api/v1/attachments/${a.id}/content`, { as: 'archivist' });
    assert.equal(d.status, 500, 'damaged content is never served');
  });

  test('with a replica, fixity repairs a damaged and a missing copy', async () => {
    const replica = await mkdtemp(path.join(os.tmpdir(), 'dangan-replica-'));
    const s2 = await startServer({ env: { DANGAN_BLOB_REPLICA_DIR: replica } });
    try {
      const rec = await record(s2, 'secret');
      const a = await uploaded(s2, rec.id, 'a.txt', `alpha ${uniq()}`);
      const b = await uploaded(s2, rec.id, 'b.txt', `beta ${uniq()}`);
      const replicaFile = (sha) => path.join(replica, sha.slice(0, 2), sha.slice(2, 4), sha);
      assert.deepEqual(readFileSync(blobFile(s2, a.sha256)), readFileSync(replicaFile(a.sha256)));
      const raw = readFileSync(blobFile(s2, a.sha256));
      raw[raw.length - 5] ^= 0x40;
      writeFileSync(blobFile(s2, a.sha256), raw);
      rmSync(replicaFile(b.sha256));
      const r = await s2.cli(['fixity', '--all'], undefined, { DANGAN_BLOB_REPLICA_DIR: replica });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`${a.sha256}\\tprimary\\tmismatch\\trepaired`));
      assert.match(r.stdout, new RegExp(`${b.sha256}\\treplica\\tmissing\\trepaired`));
      const report = await s2.api('GET', '/api/v1/attachments/fixity', { as: 'archivist' });
      assert.equal(report.json.replica, true);
      assert.equal(report.json.runs[0].repaired, 2);
      assert.deepEqual(report.json.items, []);
      for (const x of [a, b]) {
        const d = await s2.api('GET', `/api/v1/attachments/${x.id}/content`, { as: 'archivist' });
        assert.equal(d.status, 200);
      }
    } finally {
      await s2.stop();
      rmSync(replica, { recursive: true, force: true });
    }
  });
});
