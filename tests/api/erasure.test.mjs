// Erasing a patron erases them everywhere (docs/privacy.md): after
// POST /api/v1/patrons/{id}/erase nothing the person wrote or was told, and none of their
// contact data, is left in the service desk — tickets and their thread, contacts,
// board posts, on-site visits, recordings and ticket files (the blob files too), the
// portal searches — while what counts in reports stays (the tickets still count per
// channel). The erase's audit entry lists, per table, what was done to how many rows.
// Afterwards nothing new attaches to them: no ticket, message, note, contact, loan or
// visit (409 on patron_id, nothing written), and an e-mail answering their old thread
// becomes a stranger's new ticket instead of landing on theirs.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertError, auditEntries, blobDir, createPatron, startServer, uniq, wavFile } from './harness.mjs';

let srv;
let patron;
const NAME = '柳如烟';
const PHONE = '13912345678';
const EMAIL = 'liuruyan@example.cn';
const ADDRESS = '杭州市西湖区北山街88号2单元301室';
const WORD = uniq('柳氏宗谱');
// What must not be readable anywhere once the patron is erased.
const PERSONAL = [NAME, PHONE, '1234-5678', EMAIL, '北山街', WORD];

// dangan's inbound Maildir (e-mail to the desk; no SMTP: nothing is sent here).
const maildir = fs.mkdtempSync(path.join(os.tmpdir(), 'dangan-erasure-mail-'));
for (const d of ['new', 'cur', 'tmp']) fs.mkdirSync(path.join(maildir, d));

before(async () => {
  srv = await startServer({ env: { DANGAN_MAILDIR: maildir } });
  patron = await createPatron(srv, { type: 'person', name: NAME, phones: [PHONE], emails: [EMAIL], address: ADDRESS });
  await srv.addUser('erasee', 'patron', { patron: patron.id });
});
after(async () => {
  await srv?.stop();
  fs.rmSync(maildir, { recursive: true, force: true });
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

describe('after erasure nothing new attaches to the patron', () => {
  const MAIL = `${uniq('chen')}@example.cn`;
  const SECRET = uniq('陈氏家谱');
  const firstId = `${uniq('m')}@mail.example.cn`;
  let gone, ticket, record, thread;

  let seq = 0;
  function drop(raw) {
    const name = `${Date.now()}.${process.pid}_${seq++}.erasure`;
    fs.writeFileSync(path.join(maildir, 'tmp', name), raw);
    fs.renameSync(path.join(maildir, 'tmp', name), path.join(maildir, 'new', name));
  }
  const mail = ({ subject, id, headers = '', body }) =>
    `From: Chen <${MAIL}>\r\nTo: desk@archives.example.cn\r\nSubject: ${subject}\r\nMessage-ID: <${id}>\r\n` +
    `Date: ${new Date().toUTCString()}\r\n${headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`;
  const sweep = () => ok('manager', 'POST', '/api/v1/mail/sweep');
  const messagesOf = async (id) => (await ok('manager', 'GET', `/api/v1/tickets/${id}`)).messages;
  function refused(r) {
    assertError(assert, r, 409, 'patron_id', 'conflict');
    assert.match(r.json.error.message, new RegExp(`patron ${gone.id} has been erased`));
  }

  before(async () => {
    gone = await createPatron(srv, { type: 'person', name: '陈默', emails: [MAIL] });
    // The patron writes to the desk by e-mail: a ticket of theirs, answered by staff.
    drop(mail({ subject: 'Enquiry', id: firstId, body: 'Where is my family tree?' }));
    await sweep();
    const mine = (await ok('manager', 'GET', `/api/v1/tickets?patron_id=${gone.id}`)).items;
    assert.equal(mine.length, 1, JSON.stringify(mine));
    ticket = mine[0];
    await ok('agent', 'POST', `/api/v1/tickets/${ticket.id}/messages`, { kind: 'reply', body: 'We found it.', channel: 'email' });
    record = await ok('archivist', 'POST', '/api/v1/records', { title: uniq('族谱档案'), description: '案卷', access_level: 'open' });
    await ok('manager', 'POST', `/api/v1/patrons/${gone.id}/erase`, { reason: 'the patron asked to be forgotten' });
    thread = await messagesOf(ticket.id);
    assert.ok(thread.every((m) => m.body === '(erased)'), JSON.stringify(thread));
  });

  test('staff cannot add a reply, a note, a ticket, a contact, a loan or a visit: 409, nothing written', async () => {
    refused(await as('agent', 'POST', `/api/v1/tickets/${ticket.id}/messages`, { kind: 'reply', body: `${SECRET} 已找到` }));
    refused(await as('agent', 'POST', `/api/v1/tickets/${ticket.id}/messages`, { kind: 'note', body: `回电讲了${SECRET}` }));
    refused(await as('agent', 'PATCH', `/api/v1/tickets/${ticket.id}`, { subject: `${SECRET}的查询` }));
    refused(await as('agent', 'POST', '/api/v1/tickets', { kind: 'consultation', channel: 'phone', subject: SECRET, body: SECRET, patron_id: gone.id }));
    refused(await as('agent', 'POST', '/api/v1/interactions', { channel: 'phone', direction: 'in', patron_id: gone.id, body: SECRET }));
    refused(await as('agent', 'POST', '/api/v1/interactions', { channel: 'phone', direction: 'out', ticket_id: ticket.id, body: SECRET }));
    refused(await as('agent', 'POST', '/api/v1/loans', { record_id: record.id, patron_id: gone.id }));
    const day = workday(4);
    refused(
      await as('agent', 'POST', '/api/v1/onsite-visits', {
        patron_id: gone.id,
        purpose: 'collection',
        address: SECRET,
        starts_at: `${day}T09:00:00+08:00`,
        ends_at: `${day}T10:00:00+08:00`,
      }),
    );
    refused(await as('agent', 'POST', '/api/v1/follow-up-visits', { patron_id: gone.id }));
    refused(await as('agent', 'POST', `/api/v1/tickets/${ticket.id}/attachments?filename=note.txt`, Buffer.from(`${SECRET}\n`), { 'content-type': 'text/plain' }));
    refused(await as('agent', 'PUT', `/api/v1/patrons/${gone.id}/service-tier`, { tier: 'vip' }));

    // Nothing was written; reads keep working and show the redacted data.
    assert.deepEqual(await messagesOf(ticket.id), thread);
    assert.equal((await ok('manager', 'GET', `/api/v1/tickets?patron_id=${gone.id}`)).items.length, 1);
    assert.deepEqual((await ok('manager', 'GET', `/api/v1/interactions?patron_id=${gone.id}`)).items.filter((i) => i.body !== '(erased)'), []);
    assert.deepEqual((await ok('manager', 'GET', `/api/v1/loans?record_id=${record.id}`)).items, []);
    assert.deepEqual((await ok('manager', 'GET', `/api/v1/onsite-visits?patron_id=${gone.id}`)).items, []);
    assert.deepEqual((await ok('manager', 'GET', `/api/v1/follow-up-visits?patron_id=${gone.id}`)).items, []);
    assert.deepEqual((await ok('manager', 'GET', `/api/v1/tickets/${ticket.id}/attachments`)).items, []);
    const tl = await ok('manager', 'GET', `/api/v1/patrons/${gone.id}/timeline?limit=200`);
    assert.ok(!JSON.stringify(tl).includes(SECRET));
  });

  test('an e-mail answering the erased thread opens a stranger\'s ticket instead of landing on theirs', async () => {
    const answer = uniq('I will come on Monday ');
    drop(mail({ subject: `Re: Enquiry [${ticket.number}]`, id: `${uniq('m')}@mail.example.cn`, headers: `In-Reply-To: <${firstId}>\r\nReferences: <${firstId}>\r\n`, body: answer }));
    await sweep();
    assert.deepEqual(await messagesOf(ticket.id), thread, 'nothing new on the erased ticket');
    assert.notEqual((await ok('manager', 'GET', `/api/v1/tickets/${ticket.id}`)).status, 'reopened');
    const fresh = (await ok('manager', 'GET', '/api/v1/tickets?channel=email&limit=100')).items.filter((t) => t.id > ticket.id && t.subject === 'Re: Enquiry');
    assert.equal(fresh.length, 1, 'a new ticket, its subject without the old ticket number');
    assert.equal(fresh[0].patron_id, null, 'not linked to the erased patron');
    const t = await ok('manager', 'GET', `/api/v1/tickets/${fresh[0].id}`);
    assert.ok(t.messages.some((m) => m.body === answer), JSON.stringify(t.messages));
    const m = await ok('manager', 'GET', `/api/v1/tickets/${fresh[0].id}/mail`);
    assert.equal(m.prospect?.email, MAIL.toLowerCase(), 'the sender is a stranger (prospect) now');
    assert.ok(!JSON.stringify(m.inbound).includes(firstId), 'no header leads back to the erased thread');
  });

  test('the ticket can still be settled without a text; a text or reopening is refused', async () => {
    refused(await as('agent', 'POST', `/api/v1/tickets/${ticket.id}/resolve`, { resolution: `告知了${SECRET}` }));
    const resolved = await ok('agent', 'POST', `/api/v1/tickets/${ticket.id}/resolve`, {});
    assert.equal(resolved.status, 'resolved');
    assert.equal((await ok('agent', 'POST', `/api/v1/tickets/${ticket.id}/close`, {})).status, 'closed');
    refused(await as('agent', 'POST', `/api/v1/tickets/${ticket.id}/reopen`, { reason: SECRET }));
    const after = await messagesOf(ticket.id);
    assert.deepEqual(after.slice(0, thread.length), thread);
    assert.deepEqual(after.slice(thread.length).map((x) => x.body), ['resolved', 'closed']);
    assert.deepEqual((await ok('manager', 'GET', `/api/v1/follow-up-visits?patron_id=${gone.id}`)).items, [], 'nobody calls them back');
    // Settling counts on the timeline as the erased events do: the kind, nothing said.
    const events = (await ok('manager', 'GET', `/api/v1/patrons/${gone.id}/timeline?limit=200`)).items.filter((e) => e.ref_type === 'ticket' && ['ticket.resolved', 'ticket.closed'].includes(e.kind));
    assert.equal(events.length, 2, JSON.stringify(events));
    for (const e of events) assert.ok(!e.summary && !JSON.stringify(e.detail ?? {}).includes(ticket.number), JSON.stringify(e));
  });
});
