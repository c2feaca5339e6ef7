// Bulk exports need approval (D42), over HTTP: an export over the threshold (here 2
// records) or with controlled records becomes a pending request; the requester cannot
// decide it, nor can a manager decide their own; another manager approves or rejects
// it with a reason; the approved export runs and only the requester downloads it; every
// step is audited. The command line stays unrestricted, and audited.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { assertError, auditEntries, poll, startServer, uniq } from './harness.mjs';

let srv;
let tag;
before(async () => {
  srv = await startServer({ env: { DANGAN_EXPORT_APPROVAL_THRESHOLD: '2' } });
  await srv.addUser('manager2', 'manager');
  tag = uniq('导出审批');
  for (const [i, access_level] of ['open', 'open', 'open', 'controlled'].entries()) {
    const r = await srv.api('POST', '/api/v1/records', { as: 'archivist', body: { title: `${tag} ${i}`, access_level, year: 1990 + i } });
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => {
  await srv?.stop();
});

test('an export over the threshold waits for another manager; only its requester downloads it', async () => {
  // Small and open: the file at once, as before.
  let r = await srv.api('GET', '/api/v1/records/export?format=csv&year_from=1990&year_to=1991', { as: 'archivist' });
  assert.equal(r.status, 200, r.text);
  assert.ok(r.text.includes(`${tag} 1`));

  // Three open records: over 2, a request.
  r = await srv.api('GET', '/api/v1/records/export?format=csv&access_level=open', { as: 'archivist' });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.status, 'pending');
  assert.deepEqual(r.json.reasons, ['more than 2 records']);
  assert.equal(r.headers.get('location'), `/api/v1/records/exports/${r.json.id}`);
  const id = r.json.id;
  // The same export asked for again (now with POST): the same request.
  r = await srv.api('POST', '/api/v1/records/exports', { as: 'archivist', body: { format: 'csv', access_level: 'open', purpose: '移交' } });
  assert.equal(r.status, 202);
  assert.equal(r.json.id, id);

  r = await srv.api('GET', `/api/v1/records/exports/${id}/file`, { as: 'archivist' });
  assertError(assert, r, 409, '', 'conflict');
  r = await srv.api('POST', `/api/v1/records/exports/${id}/approve`, { as: 'archivist', body: { reason: '自己批' } });
  assertError(assert, r, 403, '', 'forbidden');
  r = await srv.api('POST', `/api/v1/records/exports/${id}/approve`, { as: 'manager', body: {} });
  assertError(assert, r, 400, 'reason', 'invalid');

  // A manager's own request goes to another manager.
  const own = await srv.api('POST', '/api/v1/records/exports', { as: 'manager', body: { format: 'json' } });
  assert.equal(own.status, 202, own.text);
  r = await srv.api('POST', `/api/v1/records/exports/${own.json.id}/approve`, { as: 'manager', body: { reason: '我自己的' } });
  assertError(assert, r, 403, '', 'forbidden');

  // The queue: managers see every pending request; the archivist only their own.
  r = await srv.api('GET', '/api/v1/records/exports?status=pending', { as: 'manager2' });
  assert.deepEqual(r.json.items.map((x) => x.id).sort(), [id, own.json.id].sort());
  r = await srv.api('GET', '/api/v1/records/exports', { as: 'archivist' });
  assert.ok(r.json.items.every((x) => x.requested_by.username === 'archivist'));

  r = await srv.api('POST', `/api/v1/records/exports/${id}/approve`, { as: 'manager', body: { reason: '年度移交，同意' } });
  assert.equal(r.status, 200, r.text);
  const ready = await poll(async () => {
    const g = await srv.api('GET', `/api/v1/records/exports/${id}`, { as: 'archivist' });
    return g.json.status === 'ready' ? g.json : null;
  }, 10000);
  assert.ok(ready, 'the approved export became ready');
  assert.equal(ready.rows >= 3, true);
  assert.equal(ready.decided_by.username, 'manager');
  assert.equal(ready.decision_reason, '年度移交，同意');

  r = await srv.api('GET', `/api/v1/records/exports/${id}/file`, { as: 'manager' });
  assertError(assert, r, 403, '', 'forbidden');
  r = await srv.api('GET', `/api/v1/records/exports/${id}/file`, { as: 'archivist' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
  for (const i of [0, 1, 2]) assert.ok(r.text.includes(`${tag} ${i}`));
  assert.ok(!r.text.includes(`${tag} 3`), 'only open records');

  // Controlled records: a request even when few; rejected with a reason, it never runs.
  r = await srv.api('POST', '/api/v1/records/exports', { as: 'archivist', body: { format: 'json', year_from: 1993, year_to: 1993 } });
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(r.json.reasons, ['includes controlled records']);
  const cid = r.json.id;
  r = await srv.api('POST', `/api/v1/records/exports/${cid}/reject`, { as: 'manager2', body: { reason: '用途不明' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'rejected');
  r = await srv.api('POST', `/api/v1/records/exports/${cid}/approve`, { as: 'manager', body: { reason: '改主意' } });
  assertError(assert, r, 409, '', 'conflict');
  r = await srv.api('GET', `/api/v1/records/exports/${cid}/file`, { as: 'archivist' });
  assertError(assert, r, 409, '', 'conflict');

  // Every step is in the audit log.
  for (const action of ['record.export_request', 'record.export_approve', 'record.export_reject', 'record.export_download']) {
    const entries = await auditEntries(srv, { action });
    assert.ok(entries.length >= 1, `${action} audited`);
  }
  const approvals = await auditEntries(srv, { action: 'record.export_approve' });
  assert.equal(approvals[0].reason, '年度移交，同意');
  const exports = await auditEntries(srv, { action: 'record.export' });
  const detail = typeof exports[0].detail === 'string' ? JSON.parse(exports[0].detail) : exports[0].detail;
  assert.ok(exports.some((e) => (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail).request_id === id) || detail.request_id);
});

test('the command line exports controlled records without approval, and is audited', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dangan-export-cli-'));
  try {
    const out = path.join(tmp, 'all.json');
    const r = await srv.cli(['export', 'records', out, '--access-level', 'controlled']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(await readFile(out, 'utf8'));
    assert.ok(rows.some((x) => x.title === `${tag} 3`));
    const entries = await auditEntries(srv, { action: 'record.export' });
    const detail = typeof entries[0].detail === 'string' ? JSON.parse(entries[0].detail) : entries[0].detail;
    assert.deepEqual(detail.filter, { access_level: 'controlled' });
    assert.equal(detail.request_id, undefined);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
