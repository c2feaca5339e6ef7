// Erasing a patron erases them everywhere (docs/privacy.md): after
// POST /api/v1/patrons/{id}/erase nothing the person wrote or was told, and none of their
// contact data, is left in the service desk — tickets and their thread, contacts,
// board posts, on-site visits, recordings and ticket files (the blob files too), the
// portal searches — while what counts in reports stays (the tickets still count per
// channel). The erase's audit entry lists, per table, what was done to how many rows.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { auditEntries, blobDir, createPatron, startServer, uniq, wavFile } from './harness.mjs';

let srv;
let patron;
const NAME = '柳如烟';
const PHONE = '13912345678';
const EMAIL = 'liuruyan@example.cn';
const ADDRESS = '杭州市西湖区北山街88号2单元301室';
const WORD = uniq('柳氏宗谱');
// What must not be readable anywhere once the patron is erased.
const PERSONAL = [NAME, PHONE, '1234-5678', EMAIL, '北山街', WORD];

before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, { type: 'person', name: NAME, phones: [PHONE], emails: [EMAIL], address: ADDRESS });
  await srv.addUser('erasee', 'patron', { patron: patron.id });
});
after(async () => {
  await srv?.stop();
});

const as = (who, method, p, body, headers) => srv.api(method, p, { as: who, body, headers });
async function ok(who, method, p, body, headers) {
  const r = await as(who, method, p, body, headers);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${p}: ${r.status} ${r.text}`);
  return r.json;
}
function assertNothingPersonal(what, value) {
  const s = JSON.stringify(value);
  for (const p of PERSONAL) assert.ok(!s.includes(p), `${what} still holds "${p}": ${s.slice(0, 600)}`);
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const blobFile = (dir, sha) => path.join(dir, sha.slice(0, 2), sha.slice(2, 4), sha);

function workday(weeks) {
  const d = new Date(Date.now() + 8 * 3600e3 + weeks * 7 * 86400e3);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

describe('erasing a patron', () => {
  const made = {};
  let snapshot;

  before(async () => {
    // A complaint by phone with a reply, and a consultation the patron opened on the portal.
    made.ticket = await ok('agent', 'POST', '/api/v1/tickets', {
      kind: 'complaint',
      channel: 'phone',
      subject: `${NAME}查询${WORD}`,
      body: `来电 ${PHONE}，邮箱 ${EMAIL}，住${ADDRESS}`,
      patron_id: patron.id,
    });
    await ok('agent', 'POST', `/api/v1/tickets/${made.ticket.id}/messages`, { kind: 'reply', body: `${NAME}女士您好，${WORD}已查到`, channel: 'phone' });
    await ok('agent', 'POST', `/api/v1/tickets/${made.ticket.id}/messages`, { kind: 'note', body: `回电 ${PHONE}` });
    made.own = await ok('erasee', 'POST', '/api/v1/tickets', { kind: 'consultation', subject: `${WORD}的下落`, body: `我是${NAME}` });
    made.interaction = await ok('agent', 'POST', '/api/v1/interactions', { channel: 'phone', direction: 'in', patron_id: patron.id, subject: `询问${WORD}`, body: `${NAME}来电，回拨 ${PHONE}` });
    made.post = await ok('erasee', 'POST', '/api/v1/board/posts', { title: `求助：${WORD}`, body: `我是${NAME}，电话 139-1234-5678` });
    const day = workday(3);
    made.visit = await ok('agent', 'POST', '/api/v1/onsite-visits', {
      patron_id: patron.id,
      purpose: 'collection',
      address: ADDRESS,
      contact_phone: PHONE,
      starts_at: `${day}T09:00:00+08:00`,
      ends_at: `${day}T10:00:00+08:00`,
      notes: `${NAME}家中有${WORD}`,
    });
    made.audio = wavFile(1, WORD);
    made.recording = await ok('agent', 'POST', `/api/v1/tickets/${made.ticket.id}/recordings?filename=call.wav`, made.audio, { 'content-type': 'audio/wav' });
    await ok('agent', 'PUT', `/api/v1/recordings/${made.recording.id}/transcript`, { transcript: `您好，我是${NAME}，想查${WORD}` });
    made.file = Buffer.from(`${NAME} 身份证复印件 ${WORD}\n`);
    made.attachment = await ok('agent', 'POST', `/api/v1/tickets/${made.ticket.id}/attachments?filename=id.txt`, made.file, { 'content-type': 'text/plain' });
    made.search = await ok('erasee', 'GET', `/api/v1/search?q=${encodeURIComponent(WORD)}`);
    snapshot = {
      touchpoints: await ok('manager', 'GET', '/api/v1/reports/touchpoints'),
      ticket: await ok('manager', 'GET', `/api/v1/tickets/${made.ticket.id}`),
    };
  });

  test('the files exist before: the recording and the ticket file are stored', async () => {
    assert.ok(fs.existsSync(blobFile(`${blobDir(srv.db)}-recordings`, sha256(made.audio))));
    assert.ok(fs.existsSync(blobFile(`${blobDir(srv.db)}-service`, sha256(made.file))));
    const demand = await ok('manager', 'GET', '/api/v1/search/unmet-demand?limit=500');
    assert.ok(demand.items.some((i) => i.term.includes(WORD.slice(0, 4))), 'the search is logged');
  });

  test('erase: the audit entry lists what was done per table', async () => {
    const r = await ok('manager', 'POST', `/api/v1/patrons/${patron.id}/erase`, { reason: 'the patron asked to be forgotten (PIPL art. 47)' });
    assert.equal(r.status, 'erased');
    const [entry] = await auditEntries(srv, { action: 'patron.erase', patron_id: String(patron.id) });
    assert.ok(entry, 'an audit entry');
    const detail = typeof entry.detail === 'string' ? JSON.parse(entry.detail) : entry.detail;
    const rows = {};
    for (const e of detail.erased) {
      assert.ok(['deleted', 'redacted', 'unlinked'].includes(e.action), JSON.stringify(e));
      rows[e.table] = (rows[e.table] ?? 0) + e.rows;
    }
    assert.equal(rows.tickets, 2);
    assert.ok(rows.ticket_messages >= 4, `messages: ${rows.ticket_messages}`);
    assert.equal(rows.interactions, 1);
    assert.equal(rows.board_posts, 1);
    assert.equal(rows.onsite_visits, 1);
    assert.equal(rows.recordings, 1);
    assert.equal(rows.ticket_attachments, 1);
    assert.equal(rows.search_log, 1);
    assert.equal(rows.patron_contacts, 2);
    assert.equal(rows.users, 1);
    assertNothingPersonal('the audit entry', entry);
  });

  test('the tickets stay, with kind, channel and thread length, and without any text', async () => {
    const t = await ok('manager', 'GET', `/api/v1/tickets/${made.ticket.id}`);
    assert.equal(t.subject, '(erased)');
    assert.equal(t.kind, 'complaint');
    assert.equal(t.channel, 'phone');
    assert.equal(t.patron_id, patron.id);
    assert.equal(t.messages.length, snapshot.ticket.messages.length);
    assert.deepEqual(t.messages.map((m) => m.kind), snapshot.ticket.messages.map((m) => m.kind));
    assert.ok(t.messages.every((m) => m.body === '(erased)'), JSON.stringify(t.messages));
    assertNothingPersonal('the ticket', t);
    const own = await ok('manager', 'GET', `/api/v1/tickets/${made.own.id}`);
    assert.equal(own.subject, '(erased)');
    assertNothingPersonal('the portal ticket', own);
    // They still count in the reports.
    const tp = await ok('manager', 'GET', '/api/v1/reports/touchpoints');
    assert.deepEqual(tp.channels, snapshot.touchpoints.channels);
  });

  test('the contact, the board post and the on-site visit keep their kind and lose their text', async () => {
    const i = await ok('manager', 'GET', `/api/v1/interactions/${made.interaction.id}`);
    assert.equal(i.channel, 'phone');
    assert.equal(i.direction, 'in');
    assert.equal(i.subject, '(erased)');
    assertNothingPersonal('the interaction', i);
    const p = await ok('manager', 'GET', `/api/v1/board/moderation/${made.post.id}`);
    assert.equal(p.original_title, '(erased)');
    assert.equal(p.original_body, '(erased)');
    assert.equal(p.poster, '(erased)');
    assertNothingPersonal('the board post', p);
    const v = await ok('manager', 'GET', `/api/v1/onsite-visits/${made.visit.id}`);
    assert.equal(v.purpose, 'collection');
    assert.equal(v.address, '(erased)');
    assert.equal(v.contact_phone, '(erased)');
    assert.equal(v.notes, '(erased)');
    assertNothingPersonal('the on-site visit', v);
  });

  test('the recording and the ticket file are gone, their blob files too', async () => {
    assert.deepEqual((await ok('manager', 'GET', `/api/v1/tickets/${made.ticket.id}/recordings`)).items, []);
    assert.equal((await as('manager', 'GET', `/api/v1/recordings/${made.recording.id}/content`)).status, 404);
    assert.deepEqual((await ok('manager', 'GET', `/api/v1/tickets/${made.ticket.id}/attachments`)).items, []);
    assert.ok(!fs.existsSync(blobFile(`${blobDir(srv.db)}-recordings`, sha256(made.audio))), 'recording blob removed');
    assert.ok(!fs.existsSync(blobFile(`${blobDir(srv.db)}-service`, sha256(made.file))), 'ticket file blob removed');
  });

  test('the portal search is gone from the log, the patron record and timeline say nothing', async () => {
    const demand = await ok('manager', 'GET', '/api/v1/search/unmet-demand?limit=500');
    assertNothingPersonal('the unmet-demand report', demand);
    assert.ok(!demand.items.some((i) => i.term.includes(WORD.slice(0, 4))), 'the search is no longer logged');
    const p = await ok('manager', 'GET', `/api/v1/patrons/${patron.id}`);
    assert.equal(p.status, 'erased');
    assertNothingPersonal('the patron', p);
    const tl = await ok('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline?limit=200`);
    assert.ok(tl.items.length > 5, 'the events stay (kinds and times)');
    assertNothingPersonal('the timeline', tl);
    const list = await ok('manager', 'GET', `/api/v1/interactions?patron_id=${patron.id}`);
    assertNothingPersonal('the contacts list', list);
    // The portal account is closed.
    const login = await srv.api('POST', '/api/v1/auth/login', { body: { username: 'erasee', password: 'erasee-Pass-2024!' } });
    assert.notEqual(login.status, 200);
  });
});
