// harness.mjs — start a real `dangan serve` on a fresh database and talk to it over HTTP.
//
// Environment:
//   DANGAN_BIN            the binary (default: build/dangan of this checkout)
//   DANGAN_TEST_BACKEND   sqlite (default) or postgres
//   DANGAN_TEST_PG_URL    for postgres: a superuser URL on a throwaway cluster; each server
//                         gets its own database t_<random>, dropped at stop
//
// A server started by startServer() owns its database unless one is passed in
// (`{db}`), which is how a test runs a second process on the same data.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.DANGAN_BIN || path.resolve(here, '../../build/dangan');
export const BACKEND = process.env.DANGAN_TEST_BACKEND || 'sqlite';
export const PG_URL = process.env.DANGAN_TEST_PG_URL || '';
if (BACKEND !== 'sqlite' && BACKEND !== 'postgres')
  throw new Error(`DANGAN_TEST_BACKEND must be sqlite or postgres, not ${BACKEND}`);
if (BACKEND === 'postgres' && !PG_URL)
  throw new Error('DANGAN_TEST_BACKEND=postgres needs DANGAN_TEST_PG_URL');

export const STAFF_ROLES = ['administrator', 'archivist', 'agent', 'manager', 'analyst', 'auditor'];
export const ALL_ROLES = [...STAFF_ROLES, 'patron'];
export const passwordFor = (username) => `${username}-Pass-2024!`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
// Unique per process and call: test data never collides within one database.
export const uniq = (prefix = 'u') =>
  `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;

// ---------------------------------------------------------------- processes

export function run(cmd, args, { input, env, timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function findPsql() {
  for (const dir of (process.env.PATH || '').split(':')) {
    if (dir && existsSync(path.join(dir, 'psql'))) return path.join(dir, 'psql');
  }
  const fallback = '/usr/lib/postgresql/15/bin/psql';
  if (existsSync(fallback)) return fallback;
  throw new Error('psql not found in PATH or /usr/lib/postgresql/15/bin');
}

export async function psql(url, sql) {
  const r = await run(findPsql(), [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  if (r.code !== 0) throw new Error(`psql failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

export async function sqlite3(file, sql) {
  const r = await run('sqlite3', [file], { input: sql });
  if (r.code !== 0) throw new Error(`sqlite3 failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

// A fresh, empty database: { url, backend, file (sqlite), name (postgres), sql(text), drop() }.
export async function createDatabase() {
  if (BACKEND === 'sqlite') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dangan-api-'));
    const file = path.join(dir, 'db.sqlite');
    return {
      backend: 'sqlite',
      url: `sqlite:${file}`,
      file,
      sql: (text) => sqlite3(file, text),
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const name = `t_${randomBytes(6).toString('hex')}`;
  await psql(PG_URL, `CREATE DATABASE ${name}`);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  // Attachment content: beside the SQLite file by default; for PostgreSQL a directory of
  // its own, shared by every process on this database.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dangan-api-blobs-'));
  return {
    backend: 'postgres',
    url,
    name,
    blobDir: path.join(dir, 'blobs'),
    sql: (text) => psql(url, text),
    drop: async () => {
      await psql(PG_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// `dangan ARGS --database URL`, the password (or other input) on stdin.
export function cli(db, args, input, env) {
  return run(BIN, [...args, '--database', db.url], { input, env: { ...storageEnv(db), ...env } });
}

// Where the server keeps attachment content, and the test ClamAV signatures (EICAR and
// a test pattern) so uploads are scanned without freshclam's database.
export const CLAMAV_TEST_DB = path.resolve(here, '../fixtures/clamav');
function storageEnv(db) {
  return { DANGAN_CLAMAV_DB: CLAMAV_TEST_DB, ...(db.blobDir ? { DANGAN_BLOB_DIR: db.blobDir } : {}) };
}
// The blob directory of a database's servers.
export function blobDir(db) {
  return db.blobDir ?? path.join(path.dirname(db.file), 'blobs');
}

export async function addUser(db, username, role, { patron, unit, password } = {}) {
  const pw = password ?? passwordFor(username);
  const args = ['user', 'add', username, '--role', role];
  if (patron) args.push('--patron', String(patron));
  if (unit) args.push('--unit', String(unit));
  const r = await cli(db, args, `${pw}\n`);
  if (r.code !== 0) throw new Error(`dangan user add ${username} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return pw;
}

// ---------------------------------------------------------------- server

// Starts `dangan serve` on a fresh database (or options.db) with one account per staff
// role, named after the role. options.env: extra DANGAN_* variables for the process.
export async function startServer(options = {}) {
  const owned = !options.db;
  const db = options.db ?? (await createDatabase());
  try {
    if (owned) {
      const m = await cli(db, ['migrate']);
      if (m.code !== 0) throw new Error(`dangan migrate failed (${m.code}): ${m.stderr}`);
      await Promise.all((options.roles ?? STAFF_ROLES).map((role) => addUser(db, role, role)));
    }
    const env = {
      // Every test logs in from 127.0.0.1; the per-address limit has its own test.
      DANGAN_LOGIN_RATE_PER_MINUTE: '10000',
      DANGAN_LOG_LEVEL: 'info',
      ...storageEnv(db),
      ...options.env,
    };
    const proc = spawn(BIN, ['serve', '--database', db.url, '--listen', '127.0.0.1:0'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const srv = new Server(proc, db, owned, env);
    await srv.ready();
    return srv;
  } catch (e) {
    if (owned) await db.drop().catch(() => {});
    throw e;
  }
}

class Server {
  constructor(proc, db, owned, env) {
    this.proc = proc;
    this.db = db;
    this.owned = owned;
    this.env = env;
    this.url = '';
    this.stderr = '';
    this.tokens = new Map();
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve({ code, signal });
      });
    });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      this.stderr += d;
      if (this.stderr.length > 200000) this.stderr = this.stderr.slice(-100000);
    });
  }

  ready(timeoutMs = 15000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.proc.kill('SIGKILL');
        reject(new Error(`dangan serve did not report its port in ${timeoutMs} ms:\n${this.stderr}`));
      }, timeoutMs);
      const check = () => {
        const m = /event=serving listen=(\S+):(\d+)/.exec(this.stderr);
        if (m) {
          cleanup();
          this.url = `http://${m[1]}:${m[2]}`;
          this.port = Number(m[2]);
          resolve();
        }
      };
      const onExit = (code, signal) => {
        cleanup();
        reject(new Error(`dangan serve exited (${code ?? signal}) before serving:\n${this.stderr}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.proc.stderr.off('data', check);
        this.proc.off('exit', onExit);
      };
      this.proc.stderr.on('data', check);
      this.proc.on('exit', onExit);
      check();
    });
  }

  // Sends a request; never throws for HTTP errors. opts: token, as (a role or username
  // to log in as), body (object → JSON; Buffer or string sent as is), headers, redirect.
  async api(method, urlPath, opts = {}) {
    const headers = { ...(opts.headers ?? {}) };
    let token = opts.token;
    if (!token && opts.as) token = await this.login(opts.as);
    if (token) headers.authorization = `Bearer ${token}`;
    let body;
    if (opts.body !== undefined) {
      if (Buffer.isBuffer(opts.body) || typeof opts.body === 'string') body = opts.body;
      else body = JSON.stringify(opts.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json';
    }
    const res = await fetch(this.url + urlPath, { method, headers, body, redirect: opts.redirect ?? 'manual' });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  }

  // A bearer token for `who` (a role account created at start, or any username whose
  // password follows passwordFor), cached.
  async login(who, password) {
    if (!password && this.tokens.has(who)) return this.tokens.get(who);
    const r = await this.api('POST', '/api/v1/auth/login', {
      body: { username: who, password: password ?? passwordFor(who) },
    });
    if (r.status !== 200 || !r.json?.token)
      throw new Error(`login as ${who} failed: ${r.status} ${r.text}`);
    if (!password) this.tokens.set(who, r.json.token);
    return r.json.token;
  }

  // `dangan ARGS --database URL` against this server's database.
  cli(args, input, env) {
    return cli(this.db, args, input, env);
  }

  addUser(username, role, opts) {
    return addUser(this.db, username, role, opts);
  }

  // SIGTERM (or `signal`), then waits for the exit; drops the database when this
  // server created it (unless keepDb).
  async stop({ signal = 'SIGTERM', keepDb = false, timeoutMs = 15000 } = {}) {
    if (this.exitCode === undefined && this.exitSignal === undefined) {
      this.proc.kill(signal);
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.owned && !keepDb) await this.db.drop();
    return { code: this.exitCode, signal: this.exitSignal };
  }

  kill() {
    return this.stop({ signal: 'SIGKILL', keepDb: true });
  }
}

// ---------------------------------------------------------------- helpers

// A raw HTTP/1.1 exchange, for targets fetch would normalise ("/../x") and for exact
// timing: `sent` resolves once the whole request is written to the socket, `done` with
// the response when the server closes the connection (send "Connection: close").
export function rawExchange(port, text, timeoutMs = 10000) {
  let markSent;
  const sent = new Promise((r) => (markSent = r));
  const done = new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(text, () => markSent()));
    let data = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`raw request timed out; got: ${data}`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d) => (data += d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      markSent();
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      const split = data.indexOf('\r\n\r\n');
      resolve({
        status: m ? Number(m[1]) : 0,
        head: split >= 0 ? data.slice(0, split) : data,
        body: split >= 0 ? data.slice(split + 4) : '',
        at: Date.now(),
      });
    });
  });
  done.catch(() => {});
  return { sent, done };
}

export function rawRequest(port, text, timeoutMs = 5000) {
  return rawExchange(port, text, timeoutMs).done;
}

// A complete HTTP/1.1 request text with a JSON body, closing the connection after.
export function httpText(method, urlPath, body, headers = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const lines = [`${method} ${urlPath} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`);
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
}

// Polls fn() (async, returns a truthy value when done) every 25 ms up to timeoutMs.
export async function poll(fn, timeoutMs = 2000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > until) return v;
    await sleep(25);
  }
}

// GET /api/v1/records/export?QS as `as`; when the export needs approval (202, D42), a
// second manager account ("approver") approves it, and the file is downloaded once it is
// ready. Answers like srv.api, plus `request` (the export request, when there was one).
export async function exportRecords(srv, qs, as = 'manager', { timeoutMs = 20000 } = {}) {
  const r = await srv.api('GET', `/api/v1/records/export?${qs}`, { as });
  if (r.status !== 202) return r;
  const id = r.json.id;
  if (!srv.approverAdded) {
    srv.approverAdded = srv.addUser('approver', 'manager');
  }
  await srv.approverAdded;
  const ok = await srv.api('POST', `/api/v1/records/exports/${id}/approve`, {
    as: 'approver',
    body: { reason: 'approved by the test harness' },
  });
  if (ok.status !== 200) throw new Error(`approving export ${id} failed: ${ok.status} ${ok.text}`);
  const ready = await poll(async () => {
    const g = await srv.api('GET', `/api/v1/records/exports/${id}`, { as });
    return ['approved', 'running'].includes(g.json.status) ? null : g.json;
  }, timeoutMs);
  if (!ready || ready.status !== 'ready') throw new Error(`export ${id} did not become ready: ${JSON.stringify(ready)}`);
  const file = await srv.api('GET', `/api/v1/records/exports/${id}/file`, { as });
  return { ...file, request: ready };
}

// The export request behind an exportRecords() answer (approved, or run at once).
export const exportRequestId = (r) => r.request?.id ?? Number(r.headers.get('x-dangan-export-request'));


// Audit entries (newest first) matching `query`, as the auditor sees them.
export async function auditEntries(srv, query = {}) {
  const qs = new URLSearchParams({ limit: '500', ...query }).toString();
  const r = await srv.api('GET', `/api/v1/audit?${qs}`, { as: 'auditor' });
  if (r.status !== 200) throw new Error(`GET /api/v1/audit failed: ${r.status} ${r.text}`);
  return r.json.items;
}

// Every audit entry matching `query`, all pages.
export async function auditAll(srv, query = {}) {
  const out = [];
  let cursor = null;
  for (;;) {
    const qs = new URLSearchParams({ limit: '500', ...query, ...(cursor ? { cursor } : {}) }).toString();
    const r = await srv.api('GET', `/api/v1/audit?${qs}`, { as: 'auditor' });
    if (r.status !== 200) throw new Error(`GET /api/v1/audit failed: ${r.status} ${r.text}`);
    out.push(...r.json.items);
    cursor = r.json.next_cursor;
    if (!cursor) return out;
  }
}

// Creates a patron (as a manager unless `as`), failing loudly on anything but 201.
export async function createPatron(srv, body, as = 'manager') {
  const r = await srv.api('POST', '/api/v1/patrons', { as, body });
  if (r.status !== 201) throw new Error(`create patron failed: ${r.status} ${r.text}`);
  return r.json;
}

export function person(extra = {}) {
  return { type: 'person', name: uniq('Person '), ...extra };
}

// Walks every page of a list endpoint; returns all items in order.
export async function listAll(srv, urlPath, as = 'manager', limit = 200) {
  const items = [];
  let cursor = null;
  for (let pages = 0; pages < 1000; pages++) {
    const sep = urlPath.includes('?') ? '&' : '?';
    const q = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const r = await srv.api('GET', `${urlPath}${sep}${q}`, { as });
    if (r.status !== 200) throw new Error(`GET ${urlPath} failed: ${r.status} ${r.text}`);
    items.push(...r.json.items);
    cursor = r.json.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('list did not end');
}

// Number of active patrons (every page of the list).
export async function countPatrons(srv) {
  return (await listAll(srv, '/api/v1/patrons')).length;
}

const kWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const kCheck = '10X98765432';
export function residentCheck(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * kWeights[i];
  return kCheck[sum % 11];
}

// A valid 18-character resident ID number: 6-digit region, a birth date, 3-digit
// sequence; `check` asks for a given check character (the birth date is varied).
export function residentId({ region = '110105', seq, check } = {}) {
  const s = seq ?? String(Math.floor(Math.random() * 1000)).padStart(3, '0');
  const start = Date.UTC(1960, 0, 1) + Math.floor(Math.random() * 15000) * 86400000;
  for (let d = 0; d < 4000; d++) {
    const date = new Date(start + d * 86400000).toISOString().slice(0, 10).replaceAll('-', '');
    const first17 = region + date + s;
    const c = residentCheck(first17);
    if (!check || c === check) return first17 + c;
  }
  throw new Error('no resident ID found');
}

// A mainland mobile number not used before in this process.
let phoneSeq = Math.floor(Math.random() * 1e6);
export function mobile(prefix = '139') {
  phoneSeq = (phoneSeq + 7919) % 1e8;
  return prefix + String(phoneSeq).padStart(8, '0');
}

export function assertError(assert, r, status, field, code) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.ok(r.json && typeof r.json.error === 'object', `error body expected: ${r.text}`);
  const e = r.json.error;
  assert.equal(typeof e.code, 'string');
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length > 0, 'error message is empty');
  assert.equal(typeof e.field, 'string');
  if (field !== undefined) assert.equal(e.field, field, `error field: ${r.text}`);
  if (code !== undefined) assert.equal(e.code, code, `error code: ${r.text}`);
}

// A WAV file of `seconds` of 8 kHz 8-bit mono silence (a call recording for uploads);
// `mark`, when given, is written over the first samples so the content (and its blob) is
// the caller's alone.
export function wavFile(seconds = 1, mark = '') {
  const n = 8000 * seconds;
  const b = Buffer.alloc(44 + n, 0x80);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(8000, 28);
  b.writeUInt16LE(1, 32);
  b.writeUInt16LE(8, 34);
  b.write('data', 36);
  b.writeUInt32LE(n, 40);
  if (mark) b.write(mark, 44);
  return b;
}

// ---------------------------------------------------------------- patron names in staff lists

// A unit-scoped agent of a new unit (D6): patrons outside that unit are out of their view.
// Returns the username (password: passwordFor).
export async function unitScopedAgent(srv) {
  const u = await srv.api('POST', '/api/v1/units', { as: 'administrator', body: { code: uniq('U'), name: uniq('分馆') } });
  if (u.status !== 201) throw new Error(`create unit failed: ${u.status} ${u.text}`);
  const username = uniq('scoped-agent-');
  const r = await srv.api('POST', '/api/v1/users', {
    as: 'administrator',
    body: { username, password: passwordFor(username), role: 'agent', unit_id: u.json.id, unit_scoped: true },
  });
  if (r.status !== 201) throw new Error(`create user failed: ${r.status} ${r.text}`);
  return username;
}

// A staff list's `patron_name` (docs/api.md): `staff` sees `patron`'s name as the patron
// list shows it, and that read is audited (`readAction`, detail.list = `list` unless null);
// the analyst (who sees persons de-identified) is refused the list; a unit-scoped agent
// of another unit gets no name (or no row). `pick(items)` finds the row of `patron`.
export async function assertPatronNames(assert, srv, { path, pick, patron, list, readAction = 'patron.list_read', staff = 'agent' }) {
  const mine = await srv.api('GET', path, { as: staff });
  assert.equal(mine.status, 200, mine.text);
  const row = pick(mine.json.items);
  assert.ok(row, `${path}: the patron's row is listed`);
  assert.equal(row.patron_id, patron.id);
  assert.equal(row.patron_name, patron.name, `${path}: ${staff} sees the name`);
  assert.ok(mine.json.items.every((i) => 'patron_name' in i), `${path}: every row has patron_name`);

  const analyst = await srv.api('GET', path, { as: 'analyst' });
  assert.equal(analyst.status, 403, `${path}: analysts are refused`);
  assert.ok(!analyst.text.includes(patron.name));

  const scoped = await unitScopedAgent(srv);
  const theirs = await srv.api('GET', path, { as: scoped });
  assert.equal(theirs.status, 200, theirs.text);
  assert.ok(!theirs.text.includes(patron.name), `${path}: no name outside the viewer's unit`);
  const seen = pick(theirs.json.items);
  if (seen) assert.equal(seen.patron_name, null);

  const read = await poll(async () => {
    const es = await auditEntries(srv, { patron_id: String(patron.id), actor: staff, action: readAction });
    return es.find((e) => e.action === readAction && (list === null || e.detail?.list === list)) ?? null;
  }, 3000);
  assert.ok(read, `${path}: the name read is audited as ${readAction}`);
  return row;
}
