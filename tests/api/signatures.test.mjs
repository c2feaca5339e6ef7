// Electronic-signature metadata over HTTP (D41): PDFs signed at test time with the
// openssl command (a fresh key and self-signed certificate, `openssl cms -sign` over the
// /ByteRange) are uploaded; the attachment shows the signer and an intact signature; a
// copy with one byte changed, and one with bytes appended after signing, are reported
// as not intact — on the attachment, in the fixity report and in the JSON export.
// poppler's pdfsig, an independent verifier, agrees. Staff record signatures that are not
// embedded; both are audited.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { appended, makeSignedPdf, tampered } from '../fixtures/signed-pdf.mjs';
import { assertError, auditEntries, exportRecords, run, startServer, uniq } from './harness.mjs';

const which = (cmd) => (process.env.PATH || '').split(':').some((d) => d && existsSync(path.join(d, cmd)));

let srv;
let tmp;
let signed;
before(async () => {
  srv = await startServer();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dangan-signatures-'));
  signed = await makeSignedPdf(tmp);
});
after(async () => {
  await srv?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const record = async (access_level = 'open') => {
  const r = await srv.api('POST', '/api/v1/records', { as: 'archivist', body: { title: uniq('签名测试 '), access_level } });
  assert.equal(r.status, 201, r.text);
  return r.json;
};
const upload = async (recordId, filename, body) => {
  const r = await srv.api('POST', `/api/v1/records/${recordId}/attachments?filename=${encodeURIComponent(filename)}`, {
    as: 'archivist',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
};

describe('embedded signatures', () => {
  test('pdfsig, an independent verifier, agrees with the test files', { skip: !which('pdfsig') && 'pdfsig not installed' }, async () => {
    const good = path.join(tmp, 'good.pdf');
    const bad = path.join(tmp, 'bad.pdf');
    await writeFile(good, signed);
    await writeFile(bad, tampered(signed));
    let r = await run('pdfsig', ['-nocert', good]);
    assert.match(r.stdout, /Signature is Valid/);
    assert.match(r.stdout, /Total document signed/);
    r = await run('pdfsig', ['-nocert', bad]);
    assert.doesNotMatch(r.stdout, /Signature is Valid/);
  });

  test('a signed PDF shows its signer and an intact signature; changed copies do not', async () => {
    const rec = await record();
    const good = await upload(rec.id, '批复.pdf', signed);
    assert.equal(good.signatures.length, 1);
    const s = good.signatures[0];
    assert.equal(s.source, 'embedded');
    assert.equal(s.signer, '张三');
    assert.equal(s.signed_at, '2026-11-26T10:30:00+08:00');
    assert.equal(s.method, 'adbe.pkcs7.detached');
    assert.equal(s.integrity, 'intact');
    assert.equal(s.trust, 'not_verified');
    assert.equal(s.detail.reason, '同意归档');
    assert.equal(s.detail.location, 'Shanghai');
    assert.equal(s.detail.coverage, 'complete');
    assert.equal(s.detail.digest, 'match');
    assert.equal(s.detail.signature, 'valid');
    assert.equal(s.detail.certificate.subject, 'CN=张三,O=上海市档案馆');
    assert.equal(s.detail.certificate.self_signed, true);
    assert.match(s.detail.certificate.not_after, /^\d{4}-\d\d-\d\dT/);

    const bad = await upload(rec.id, '批复-改.pdf', tampered(signed));
    assert.equal(bad.signatures[0].integrity, 'not_intact');
    assert.equal(bad.signatures[0].detail.digest, 'mismatch');
    const later = await upload(rec.id, '批复-追加.pdf', appended(signed));
    assert.equal(later.signatures[0].integrity, 'not_intact');
    assert.equal(later.signatures[0].detail.coverage, 'incomplete');
    assert.match(later.signatures[0].detail.problems[0], /incomplete coverage/);

    // On the record's list, and in the signatures route.
    const list = await srv.api('GET', `/api/v1/records/${rec.id}/attachments`, { as: 'agent' });
    assert.deepEqual(list.json.items.map((a) => a.signatures[0].integrity), ['intact', 'not_intact', 'not_intact']);
    const sigs = await srv.api('GET', `/api/v1/attachments/${good.id}/signatures`, { as: 'analyst' });
    assert.equal(sigs.status, 200);
    assert.equal(sigs.json.items[0].signer, '张三');

    // The fixity report names the two not intact.
    const report = await srv.api('GET', '/api/v1/attachments/fixity', { as: 'manager' });
    const mine = report.json.signatures.items.filter((x) => x.record_id === rec.id);
    assert.deepEqual(mine.map((x) => x.filename), ['批复-改.pdf', '批复-追加.pdf']);
    assert.ok(report.json.signatures.intact >= 1);

    // The JSON export carries them.
    const out = await exportRecords(srv, 'format=json&access_level=open&status=active', 'archivist');
    assert.equal(out.status, 200, out.text);
    const exported = out.json.find((x) => x.id === rec.id);
    assert.deepEqual(exported.attachments.map((a) => [a.filename, a.signatures[0].integrity]), [
      ['批复.pdf', 'intact'],
      ['批复-改.pdf', 'not_intact'],
      ['批复-追加.pdf', 'not_intact'],
    ]);

    const audit = await auditEntries(srv, { action: 'attachment.create' });
    const entry = audit.find((e) => e.entity_id === String(bad.id));
    const detail = typeof entry.detail === 'string' ? JSON.parse(entry.detail) : entry.detail;
    assert.deepEqual(detail.signatures, [{ field: 'Approval', integrity: 'not_intact' }]);
  });
});

describe('recorded signatures', () => {
  test('staff record a paper sign-off; bad input is refused; withdrawal needs a reason', async () => {
    const rec = await record('controlled');
    const scan = await upload(rec.id, '签字页.txt', Buffer.from(uniq('扫描的签字页 ')));
    let r = await srv.api('POST', `/api/v1/attachments/${scan.id}/signatures`, {
      as: 'archivist',
      body: { signer: '王主任', method: 'paper', signed_at: '2019-03-05', certificate_ref: '登记簿第12页', note: '手写签字' },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.source, 'recorded');
    assert.equal(r.json.integrity, null);
    const sid = r.json.id;
    r = await srv.api('POST', `/api/v1/attachments/${scan.id}/signatures`, { as: 'archivist', body: { signer: '王', method: 'telepathy' } });
    assertError(assert, r, 400, 'method', 'invalid');
    r = await srv.api('POST', `/api/v1/attachments/${scan.id}/signatures`, { as: 'archivist', body: { method: 'paper' } });
    assertError(assert, r, 400, 'signer', 'invalid');
    r = await srv.api('POST', `/api/v1/attachments/${scan.id}/signatures`, { as: 'archivist', body: { signer: '王', method: 'paper', extra: 1 } });
    assertError(assert, r, 400, 'extra', 'invalid');
    r = await srv.api('GET', `/api/v1/attachments/${scan.id}`, { as: 'agent' });
    assert.equal(r.json.signatures[0].signer, '王主任');
    assert.equal(r.json.signatures[0].certificate_ref, '登记簿第12页');

    r = await srv.api('DELETE', `/api/v1/attachments/${scan.id}/signatures/${sid}`, { as: 'archivist', body: {} });
    assertError(assert, r, 400, 'reason', 'invalid');
    r = await srv.api('DELETE', `/api/v1/attachments/${scan.id}/signatures/${sid}`, { as: 'archivist', body: { reason: '录错了' } });
    assert.equal(r.status, 204);
    r = await srv.api('GET', `/api/v1/attachments/${scan.id}/signatures?include_removed=true`, { as: 'agent' });
    assert.equal(r.json.items[0].removed, true);
    const audit = await auditEntries(srv, { action: 'attachment.signature_withdraw' });
    assert.equal(audit[0].reason, '录错了');
  });
});
