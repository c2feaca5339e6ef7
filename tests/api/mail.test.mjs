// Contacts and e-mail over HTTP, with a real SMTP server on loopback (Debian's
// python3-aiosmtpd, delivering into a Maildir): a staff reply arrives there with our
// Message-ID; the patron's answer, dropped into dangan's inbound Maildir with
// In-Reply-To, lands in the same ticket; an unknown sender becomes a prospect, and the
// merge moves their ticket to the patron. Also the SMS/social gateway webhook (HMAC
// signature, timestamp, replay) and files on tickets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertError, createPatron, person, poll, sleep, startServer, uniq } from './harness.mjs';

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SECRET = 'gateway-shared-secret-for-tests';

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

let tmp, smtp, smtpPort, srv, patron;
const outMaildir = () => path.join(tmp, 'smtp-out');
const inMaildir = () => path.join(tmp, 'inbound');

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'dangan-mail-'));
  for (const d of ['new', 'cur', 'tmp']) await mkdir(path.join(inMaildir(), d), { recursive: true });
  smtpPort = await freePort();
  smtp = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', outMaildir()], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let smtpErr = '';
  smtp.stderr.on('data', (d) => (smtpErr += d));
  // Up when it accepts connections.
  const up = await poll(
    () =>
      new Promise((resolve) => {
        const c = net.connect(smtpPort, '127.0.0.1', () => {
          c.end();
          resolve(true);
        });
        c.on('error', () => resolve(false));
      }),
    10000,
  );
  if (!up) throw new Error(`aiosmtpd did not start: ${smtpErr}`);
  srv = await startServer({
    env: {
      DANGAN_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      DANGAN_MAIL_FROM: 'desk@archives.example.cn',
      DANGAN_MAILDIR: inMaildir(),
      DANGAN_CHANNEL_WEBHOOK_SECRET: SECRET,
    },
  });
  patron = await createPatron(srv, person({ emails: ['Li.Si@Example.cn'], phones: ['13812345678'] }));
  await srv.addUser('portal', 'patron', { patron: patron.id });
});
after(async () => {
  await srv?.stop();
  smtp?.kill('SIGTERM');
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const as = (role, method, p, body) => srv.api(method, p, { as: role, body });
const sweep = async () => {
  const r = await as('manager', 'POST', '/api/v1/mail/sweep');
  assert.equal(r.status, 200, r.text);
  return r.json;
};
async function delivered() {
  const dir = path.join(outMaildir(), 'new');
  if (!existsSync(dir)) return [];
  const names = await readdir(dir);
  return Promise.all(names.map((n) => readFile(path.join(dir, n), 'utf8')));
}
let seq = 0;
async function drop(raw) {
  const name = `${Date.now()}.${process.pid}_${seq++}.test`;
  await writeFile(path.join(inMaildir(), 'tmp', name), raw);
  const { rename } = await import('node:fs/promises');
  await rename(path.join(inMaildir(), 'tmp', name), path.join(inMaildir(), 'new', name));
  return name;
}
const mail = ({ from, subject, id, headers = '', body }) =>
  `From: ${from}\r\nTo: desk@archives.example.cn\r\nSubject: ${subject}\r\nMessage-ID: <${id}>\r\n` +
  `Date: ${new Date().toUTCString()}\r\n${headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n` +
  `Content-Transfer-Encoding: 8bit\r\n\r\n${body}\r\n`;

describe('e-mail', () => {
  test('a reply goes out by SMTP with our Message-ID; the answer threads back into the ticket', async () => {
    // A stranger writes first.
    const firstId = `${uniq('m')}@mail.example.net`;
    await drop(mail({ from: '"Zhou" <zhou@mail.example.net>', subject: '=?UTF-8?B?5p+l5qGj6aKE57qm?=', id: firstId, body: '我想预约查档，需要什么材料？' }));
    // (The server also sweeps every 10 s by itself: tests check effects, not counts.)
    await sweep();
    const list = (await as('agent', 'GET', '/api/v1/tickets?channel=email')).json.items;
    const t = list.find((x) => x.subject === '查档预约');
    assert.ok(t, JSON.stringify(list));
    assert.equal(t.patron_id, null);
    const tm = (await as('agent', 'GET', `/api/v1/tickets/${t.id}/mail`)).json;
    assert.equal(tm.inbound[0].message_id, firstId);
    assert.equal(tm.prospect.email, 'zhou@mail.example.net');

    // The stranger is a prospect, findable by address.
    const ps = (await as('agent', 'GET', '/api/v1/prospects?q=zhou@mail.example.net')).json.items;
    assert.equal(ps.length, 1);
    assert.equal(ps[0].display_name, 'Zhou');
    assert.equal(ps[0].tickets, 1);

    // Staff reply: queued in the reply's transaction, sent by the sweep.
    const reply = await as('agent', 'POST', `/api/v1/tickets/${t.id}/messages`, { kind: 'reply', body: '请携带身份证原件。' });
    assert.equal(reply.status, 201, reply.text);
    const queued = (await as('agent', 'GET', `/api/v1/tickets/${t.id}/mail`)).json.outbound;
    assert.equal(queued.length, 1);
    assert.equal(queued[0].in_reply_to, firstId);
    const ours = queued[0].message_id;
    await sweep();
    const out = await poll(async () => (await delivered()).find((m) => m.includes(`<${ours}>`)), 5000);
    assert.match(out, new RegExp(`In-Reply-To: <${firstId.replace(/\./g, '\\.')}>`));
    assert.match(out, /To: .*zhou@mail\.example\.net/);
    assert.match(out, /Subject: Re: =\?UTF-8\?B\?[^?]+\?= \[T\d{4}-\d{6}\]/i, 'a Chinese subject is encoded (RFC 2047)');
    const sent = await poll(async () => {
      const o = (await as('agent', 'GET', `/api/v1/tickets/${t.id}/mail`)).json.outbound[0];
      return o.status === 'sent' && o;
    }, 5000);
    assert.ok(sent?.sent_at, 'the reply was not marked sent');

    // The answer, with In-Reply-To our Message-ID, lands in the same ticket, resolved or not.
    assert.equal((await as('agent', 'POST', `/api/v1/tickets/${t.id}/resolve`, { resolution: '已答复' })).status, 200);
    const answer = await drop(
      mail({ from: 'zhou@mail.example.net', subject: 'Re: 查档预约', id: `${uniq('m')}@mail.example.net`, headers: `In-Reply-To: <${ours}>\r\nReferences: <${firstId}> <${ours}>\r\n`, body: '还需要户口本吗？' }),
    );
    await sweep();
    // A second sweep (or process) finds nothing new.
    assert.equal((await sweep()).received, 0);
    const ticket = (await as('agent', 'GET', `/api/v1/tickets/${t.id}`)).json;
    assert.equal(ticket.status, 'reopened');
    assert.deepEqual(ticket.messages.filter((m) => m.kind === 'patron').map((m) => m.body), ['我想预约查档，需要什么材料？', '还需要户口本吗？']);
    assert.ok(existsSync(path.join(inMaildir(), 'cur', `${answer}:2,S`)));
    assert.equal((await as('agent', 'GET', '/api/v1/tickets?channel=email')).json.items.filter((x) => x.subject === '查档预约').length, 1);

    // The prospect turns out to be our patron: the ticket moves, the merge is on the timeline.
    const merge = await as('agent', 'POST', `/api/v1/prospects/${ps[0].id}/merge`, { patron_id: patron.id, reason: '电话核实为同一人' });
    assert.equal(merge.status, 200, merge.text);
    assert.deepEqual(merge.json.moved.tickets, [t.number]);
    assert.equal((await as('agent', 'GET', `/api/v1/tickets/${t.id}`)).json.patron_id, patron.id);
    const tl = (await as('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline`)).json.items;
    assert.ok(tl.some((e) => e.kind === 'prospect.merged'), JSON.stringify(tl.slice(0, 3)));
    assertError(assert, await as('analyst', 'POST', `/api/v1/prospects/${ps[0].id}/merge`, { patron_id: patron.id }), 403);
  });

  test('a known patron writing gets a ticket of their own; bad files go to error/', async () => {
    await drop(mail({ from: 'LI.SI@example.cn', subject: '开放时间', id: `${uniq('m')}@example.cn`, body: '周六开放吗？' }));
    const bad = await drop('this is not a message at all');
    await sweep();
    assert.ok(existsSync(path.join(inMaildir(), 'error', bad)));
    assert.ok((await readFile(path.join(inMaildir(), 'error', `${bad}.reason`), 'utf8')).length > 0);
    const mine = (await as('portal', 'GET', '/api/v1/tickets')).json.items;
    assert.ok(mine.some((x) => x.subject === '开放时间' && x.channel === 'email'), JSON.stringify(mine));
  });
});

describe('gateway webhook (D31)', () => {
  const sign = (ts, body) => createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
  const post = (channel, obj, { ts = Math.floor(Date.now() / 1000), sig } = {}) => {
    const body = JSON.stringify(obj);
    return srv.api('POST', `/api/v1/channels/${channel}/inbound`, {
      body,
      headers: { 'x-dangan-timestamp': String(ts), 'x-dangan-signature': `sha256=${sig ?? sign(ts, body)}`, 'content-type': 'application/json' },
    });
  };

  test('signed SMS is matched by phone; bad signatures, old timestamps are 401; replays record nothing', async () => {
    const id = uniq('sms');
    const r = await post('sms', { message_id: id, from: '+86 138 1234 5678', text: '我的档案查好了吗？' });
    assert.equal(r.status, 201, r.text);
    const again = await post('sms', { message_id: id, from: '+86 138 1234 5678', text: '我的档案查好了吗？' });
    assert.equal(again.status, 200);
    assert.equal(again.json.duplicate, true);
    assert.equal(again.json.interaction_id, r.json.interaction_id);
    const i = (await as('agent', 'GET', `/api/v1/interactions/${r.json.interaction_id}`)).json;
    assert.equal(i.patron_id, patron.id);
    assert.equal(i.channel, 'sms');

    const bad = await post('sms', { message_id: uniq('sms'), from: '13800000000', text: 'x' }, { sig: 'ab'.repeat(32) });
    assertError(assert, bad, 401);
    const old = await post('sms', { message_id: uniq('sms'), from: '13800000000', text: 'x' }, { ts: Math.floor(Date.now() / 1000) - 3600 });
    assertError(assert, old, 401);
    const unsigned = await srv.api('POST', '/api/v1/channels/sms/inbound', { body: { message_id: 'x', from: '1', text: 'x' } });
    assertError(assert, unsigned, 401);
    assertError(assert, await post('fax', { message_id: 'x', from: '1', text: 'x' }), 404);
  });

  test('a social message from a stranger makes a prospect; staff open a ticket from it', async () => {
    const r = await post('social', { message_id: uniq('wb'), from: 'ArchiveFan', platform: 'weibo', name: '档案迷', text: '你们周末开门吗？' });
    assert.equal(r.status, 201, r.text);
    const i = (await as('agent', 'GET', `/api/v1/interactions/${r.json.interaction_id}`)).json;
    assert.equal(i.patron_id, null);
    assert.ok(i.prospect_id);
    const t = await as('agent', 'POST', `/api/v1/interactions/${i.id}/ticket`, { kind: 'consultation' });
    assert.equal(t.status, 201, t.text);
    assert.equal(t.json.channel, 'social');
    const p = (await as('agent', 'GET', `/api/v1/prospects/${i.prospect_id}`)).json;
    assert.equal(p.handle, 'weibo:archivefan');
    assert.equal(p.tickets[0].id, t.json.id);
  });
});

describe('interactions and files', () => {
  test('staff log a call on the patron; it is on the timeline and in the filtered list', async () => {
    const r = await as('agent', 'POST', '/api/v1/interactions', { channel: 'phone', direction: 'in', patron_id: patron.id, subject: '询问复印收费', body: '已告知收费标准' });
    assert.equal(r.status, 201, r.text);
    const list = (await as('agent', 'GET', `/api/v1/interactions?patron_id=${patron.id}&channel=phone`)).json.items;
    assert.ok(list.some((x) => x.id === r.json.id));
    const tl = (await as('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline`)).json.items;
    assert.ok(tl.some((e) => e.kind === 'interaction.recorded'));
    assertError(assert, await as('analyst', 'GET', '/api/v1/interactions'), 403);
    assertError(assert, await as('agent', 'POST', '/api/v1/interactions', { channel: 'phone', direction: 'sideways', body: 'x' }), 400);
  });

  test('a fax arrives as a scanned PDF on a fax ticket; the patron downloads it, not internal files', async () => {
    const t = (await as('agent', 'POST', '/api/v1/tickets', { kind: 'request', channel: 'fax', subject: '传真：查档申请', body: '收到传真申请一份', patron_id: patron.id })).json;
    const pdf = Buffer.from('%PDF-1.4\n%\xE2\xE3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1');
    const up = await srv.api('POST', `/api/v1/tickets/${t.id}/attachments?filename=${encodeURIComponent('传真.pdf')}`, { as: 'agent', body: pdf, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(up.status, 201, up.text);
    assert.equal(up.json.mime, 'application/pdf');
    await as('agent', 'POST', `/api/v1/tickets/${t.id}/messages`, { kind: 'note', body: '内部核对' });
    const note = (await as('agent', 'GET', `/api/v1/tickets/${t.id}`)).json.messages.at(-1);
    const internal = await srv.api('POST', `/api/v1/tickets/${t.id}/attachments?filename=check.txt&message_id=${note.id}`, { as: 'agent', body: 'internal only', headers: { 'content-type': 'text/plain' } });
    assert.equal(internal.status, 201, internal.text);
    const seen = (await as('portal', 'GET', `/api/v1/tickets/${t.id}/attachments`)).json.items;
    assert.deepEqual(seen.map((f) => f.filename), ['传真.pdf']);
    const d = await srv.api('GET', `/api/v1/ticket-attachments/${up.json.id}/content`, { as: 'portal' });
    assert.equal(d.status, 200);
    assert.match(d.headers.get('content-disposition'), /filename\*=UTF-8''/);
    assertError(assert, await srv.api('GET', `/api/v1/ticket-attachments/${internal.json.id}/content`, { as: 'portal' }), 404);
    assertError(assert, await srv.api('GET', `/api/v1/ticket-attachments/${up.json.id}/content`, { as: 'analyst' }), 403);
  });
});
