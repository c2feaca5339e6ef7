import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { BACKEND, auditAll, httpText, listAll, passwordFor, person, rawExchange, sleep, startServer, uniq } from './harness.mjs';

describe('crash', () => {
  test('SIGKILL during concurrent creates loses no acknowledged patron', async () => {
    const srv = await startServer({ roles: ['manager', 'agent', 'auditor'] });
    let again;
    try {
      const token = await srv.login('agent');
      const acked = new Map(); // id → name
      let stop = false;
      let errors = 0;
      const writer = async (w) => {
        for (let i = 0; !stop; i++) {
          const name = `crash-${w}-${i}`;
          try {
            const r = await fetch(`${srv.url}/api/v1/patrons`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ type: 'person', name, phones: [`139${String(w).padStart(2, '0')}${String(i).padStart(6, '0')}`] }),
            });
            const body = await r.json();
            if (r.status === 201) acked.set(body.id, name);
            else assert.fail(`unexpected ${r.status}: ${JSON.stringify(body)}`);
          } catch (e) {
            if (e.code === 'ERR_ASSERTION') throw e;
            errors++;
            return; // the server is gone
          }
        }
      };
      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      await sleep(1500);
      srv.proc.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await srv.exited;
      assert.equal(srv.exitSignal, 'SIGKILL');
      assert.ok(acked.size >= 20, `only ${acked.size} creates acknowledged in 1.5 s`);

      again = await startServer({ db: srv.db });
      const present = new Map((await listAll(again, '/api/v1/patrons')).map((p) => [p.id, p.name]));
      const missing = [...acked].filter(([id, name]) => present.get(id) !== name);
      assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged patrons lost`);
      // Each create committed with its audit entry: one per acknowledged patron.
      const audited = new Set((await auditAll(again, { action: 'patron.create' })).map((e) => e.patron_id));
      const unaudited = [...acked.keys()].filter((id) => !audited.has(id));
      assert.deepEqual(unaudited, [], 'every acknowledged create has its audit entry');
      await again.stop();
      again = null;
      const v = await srv.cli(['audit', 'verify']);
      assert.equal(v.code, 0, `audit chain after the crash: ${v.stdout}${v.stderr}`);
    } finally {
      if (again) await again.stop();
      await srv.db.drop();
    }
  });
});

describe('graceful stop', () => {
  test('SIGTERM lets in-flight requests finish, then the process exits 0', async () => {
    const srv = await startServer({ roles: ['agent', 'manager'] });
    let again;
    try {
      const manager = await srv.login('manager');
      // Log-ins are slow (argon2): they are in the handlers when the signal comes. Raw
      // sockets, so that every request is known to be written before the signal.
      const logins = Array.from({ length: 8 }, () =>
        rawExchange(srv.port, httpText('POST', '/api/v1/auth/login', { username: 'agent', password: passwordFor('agent') })),
      );
      const creates = Array.from({ length: 4 }, () =>
        rawExchange(srv.port, httpText('POST', '/api/v1/patrons', person({ name: uniq('term-') }), { Authorization: `Bearer ${manager}` })),
      );
      await Promise.all([...logins, ...creates].map((x) => x.sent));
      await sleep(50);
      const termAt = Date.now();
      srv.proc.kill('SIGTERM');
      const answered = await Promise.all(logins.map((x) => x.done));
      const made = await Promise.all(creates.map((x) => x.done));
      const exit = await srv.exited;
      assert.equal(exit.code, 0, `exit status after SIGTERM; stderr:\n${srv.stderr.slice(-2000)}`);
      assert.deepEqual(answered.map((l) => l.status), Array(8).fill(200), 'every in-flight log-in completed');
      assert.ok(answered.some((l) => l.at > termAt), 'some log-ins were still running at SIGTERM');
      assert.deepEqual(made.map((m) => m.status), Array(4).fill(201));
      assert.match(srv.stderr, /event=stopped/);
      await assert.rejects(fetch(`${srv.url}/healthz`), 'no new connections after the stop');
      const tokens = answered.map((l) => JSON.parse(l.body).token);
      const patrons = made.map((m) => JSON.parse(m.body));

      // What they answered was committed.
      again = await startServer({ db: srv.db });
      for (const token of tokens) assert.equal((await again.api('GET', '/api/v1/me', { token })).status, 200);
      for (const p of patrons) assert.equal((await again.api('GET', `/api/v1/patrons/${p.id}`, { as: 'manager' })).json.name, p.name);
    } finally {
      if (again) await again.stop();
      await srv.db.drop();
    }
  });
});

describe('two server processes on one database', { skip: BACKEND !== 'postgres' && 'PostgreSQL only' }, () => {
  test('share sessions, lockouts, patrons and one audit chain', async () => {
    const env = { DANGAN_LOCKOUT_THRESHOLD: '3' };
    const a = await startServer({ env });
    let b;
    try {
      b = await startServer({ db: a.db, env });
      assert.notEqual(a.url, b.url);

      const token = await a.login('agent');
      const me = await b.api('GET', '/api/v1/me', { token });
      assert.equal(me.status, 200, 'a token from one process works on the other');
      assert.equal(me.json.username, 'agent');
      const other = await b.login('archivist', passwordFor('archivist'));
      assert.equal((await a.api('POST', '/api/v1/auth/logout', { token: other })).status, 204);
      assert.equal((await b.api('GET', '/api/v1/me', { token: other })).status, 401, 'a logout on one ends the session on both');

      const u = uniq('two-');
      assert.equal((await a.api('POST', '/api/v1/users', { as: 'administrator', body: { username: u, password: passwordFor(u), role: 'agent' } })).status, 201);
      for (let i = 0; i < 3; i++) {
        const r = await a.api('POST', '/api/v1/auth/login', { body: { username: u, password: 'wrong-password-1' } });
        assert.equal(r.status, 401);
      }
      const locked = await b.api('POST', '/api/v1/auth/login', { body: { username: u, password: passwordFor(u) } });
      assert.equal(locked.status, 429, 'a lockout on one process holds on the other');

      const pa = await a.api('POST', '/api/v1/patrons', { as: 'agent', body: person() });
      const pb = await b.api('POST', '/api/v1/patrons', { as: 'agent', body: person() });
      assert.equal(pa.status, 201);
      assert.equal(pb.status, 201);
      assert.equal((await b.api('GET', `/api/v1/patrons/${pa.json.id}`, { as: 'manager' })).json.name, pa.json.name);
      assert.equal((await a.api('GET', `/api/v1/patrons/${pb.json.id}`, { as: 'manager' })).json.name, pb.json.name);

      // Concurrent writes through both: every change lands on one unbroken chain.
      const writes = Array.from({ length: 40 }, (_, i) => {
        const s = i % 2 ? a : b;
        return i % 4 < 2
          ? s.api('POST', '/api/v1/patrons', { as: 'agent', body: person() })
          : s.api('PATCH', `/api/v1/patrons/${(i % 4 === 2 ? pa : pb).json.id}`, { as: 'manager', body: { region: `r${i}` } });
      });
      const statuses = (await Promise.all(writes)).map((r) => r.status);
      assert.ok(statuses.every((s) => s === 201 || s === 200), `statuses: ${statuses}`);
      const listedA = (await listAll(a, '/api/v1/patrons')).map((p) => p.id).sort((x, y) => x - y);
      const listedB = (await listAll(b, '/api/v1/patrons')).map((p) => p.id).sort((x, y) => x - y);
      assert.deepEqual(listedA, listedB);
      assert.equal(listedA.length, 22);
      await sleep(100); // read entries are written in batches
      const entries = await auditAll(a);
      for (let i = 1; i < entries.length; i++) assert.equal(entries[i].seq, entries[i - 1].seq - 1, 'no gap in seq');
      const v = await a.cli(['audit', 'verify']);
      assert.equal(v.code, 0, v.stdout + v.stderr);
    } finally {
      if (b) await b.stop();
      await a.stop();
    }
  });
});
