import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { addUser, assertError, auditEntries, passwordFor, startServer, uniq } from './harness.mjs';

let srv;
before(async () => {
  srv = await startServer({ env: { DANGAN_LOCKOUT_THRESHOLD: '3', DANGAN_LOCKOUT_MINUTES: '15' } });
});
after(async () => {
  await srv?.stop();
});

const login = (s, username, password, extra = {}) =>
  s.api('POST', '/api/v1/auth/login', { body: { username, password, ...extra } });

// A new staff account through the API (as the administrator); returns it.
async function newUser(role = 'agent', extra = {}) {
  const username = uniq('user-');
  const r = await srv.api('POST', '/api/v1/users', {
    as: 'administrator',
    body: { username, password: passwordFor(username), role, ...extra },
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

describe('log-in', () => {
  test('the right password gives a token, the CSRF token, expiry and the user', async () => {
    const r = await login(srv, 'agent', passwordFor('agent'));
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.token, /^[0-9a-f]{64}$/);
    assert.match(r.json.csrf_token, /^[0-9a-f]{64}$/);
    assert.ok(Date.parse(r.json.expires_at) > Date.now() + 3600e3, 'expires in more than an hour');
    assert.equal(r.json.user.username, 'agent');
    assert.equal(r.json.user.role, 'agent');
    assert.equal(r.headers.get('set-cookie'), null, 'no cookie unless asked');
    const me = await srv.api('GET', '/api/v1/me', { token: r.json.token });
    assert.equal(me.status, 200);
    assert.equal(me.json.username, 'agent');
    assert.ok(me.json.permissions.includes('patron_write'));
    assert.ok(!me.json.permissions.includes('audit_read'));
  });

  test('two log-ins give two different tokens', async () => {
    const a = await login(srv, 'analyst', passwordFor('analyst'));
    const b = await login(srv, 'analyst', passwordFor('analyst'));
    assert.notEqual(a.json.token, b.json.token);
  });

  test('wrong password and unknown user get the same 401 answer', async () => {
    const wrong = await login(srv, 'archivist', 'not-the-password-at-all');
    const unknown = await login(srv, uniq('ghost-'), 'not-the-password-at-all');
    assertError(assert, wrong, 401, undefined, 'unauthenticated');
    assertError(assert, unknown, 401, undefined, 'unauthenticated');
    assert.deepEqual(wrong.json, unknown.json);
    assert.equal(wrong.json.token, undefined);
  });

  test('a bad log-in request names the field', async () => {
    assertError(assert, await srv.api('POST', '/api/v1/auth/login', { body: { username: 'agent' } }), 400, 'password');
    assertError(assert, await srv.api('POST', '/api/v1/auth/login', { body: { password: 'x' } }), 400, 'username');
    assertError(assert, await srv.api('POST', '/api/v1/auth/login', { body: { username: 1, password: 'x' } }), 400, 'username');
    assertError(
      assert,
      await srv.api('POST', '/api/v1/auth/login', { body: { username: 'agent', password: passwordFor('agent'), remember: true } }),
      400,
      'remember',
    );
  });

  test('failed and successful log-ins are audited', async () => {
    await login(srv, 'auditor', 'wrong-password-here');
    const failed = await auditEntries(srv, { action: 'user.login_failed', actor: 'auditor' });
    assert.ok(failed.length >= 1);
    const ok = await auditEntries(srv, { action: 'user.login', actor: 'agent' });
    assert.ok(ok.length >= 1);
  });
});

describe('password policy', () => {
  test('creating a user with a password under 12 characters is refused', async () => {
    const username = uniq('short-');
    const r = await srv.api('POST', '/api/v1/users', {
      as: 'administrator',
      body: { username, password: 'elevenchars', role: 'agent' },
    });
    assertError(assert, r, 400, 'password', 'invalid');
    assert.equal((await login(srv, username, 'elevenchars')).status, 401, 'no account was made');
  });

  test('12 characters are enough; 12 Chinese characters count as 12', async () => {
    const a = uniq('twelve-');
    const r = await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username: a, password: 'twelve-chars', role: 'agent' } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await login(srv, a, 'twelve-chars')).status, 200);
    const b = uniq('hanzi-');
    const pw = '档案信息服务客户关系管'; // 11 characters, 33 bytes
    const r2 = await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username: b, password: pw, role: 'agent' } });
    assertError(assert, r2, 400, 'password');
    const r3 = await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username: b, password: pw + '理', role: 'agent' } });
    assert.equal(r3.status, 201, r3.text);
  });

  test('the password may not be the username', async () => {
    const username = 'same-as-password';
    const r = await srv.api('POST', '/api/v1/users', { as: 'administrator', body: { username, password: username, role: 'agent' } });
    assertError(assert, r, 400, 'password');
  });

  test('the command line refuses a short password too', async () => {
    const r = await srv.cli(['user', 'add', uniq('cli-'), '--role', 'agent'], 'short\n');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /12/);
  });

  test('a duplicate username is a 409 naming username', async () => {
    const r = await srv.api('POST', '/api/v1/users', {
      as: 'administrator',
      body: { username: 'agent', password: 'another-password-1', role: 'agent' },
    });
    assertError(assert, r, 409, 'username', 'conflict');
  });
});

describe('lockout', () => {
  test('after 3 failures the account is locked: 429 even with the right password', async () => {
    const u = await newUser();
    for (let i = 0; i < 3; i++) {
      const r = await login(srv, u.username, `wrong-password-${i}`);
      assert.equal(r.status, 401, `attempt ${i + 1}`);
    }
    const r = await login(srv, u.username, passwordFor(u.username));
    assertError(assert, r, 429, undefined, 'too_many_requests');
    assert.equal(r.json.token, undefined);
    assert.ok(r.headers.get('retry-after'), 'Retry-After');
    assert.match(r.json.error.message, /lock/i);
    const entries = await auditEntries(srv, { action: 'user.locked' });
    assert.ok(entries.some((e) => e.entity_id === String(u.id)), 'user.locked audited');
  });

  test('the lock holds for that account only', async () => {
    const u = await newUser();
    for (let i = 0; i < 3; i++) await login(srv, u.username, 'wrong-password-x');
    assert.equal((await login(srv, u.username, passwordFor(u.username))).status, 429);
    const other = await newUser();
    assert.equal((await login(srv, other.username, passwordFor(other.username))).status, 200);
  });

  test('a success before the threshold resets the count', async () => {
    const u = await newUser();
    for (let i = 0; i < 2; i++) assert.equal((await login(srv, u.username, 'wrong-password-y')).status, 401);
    assert.equal((await login(srv, u.username, passwordFor(u.username))).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await login(srv, u.username, 'wrong-password-z')).status, 401);
    assert.equal((await login(srv, u.username, passwordFor(u.username))).status, 200, 'not locked: 2 + 2 failures with a success between');
  });
});

describe('per-address rate limit', () => {
  test('more log-in attempts than the limit per minute get 429, even right ones', async () => {
    const limited = await startServer({ roles: ['agent'], env: { DANGAN_LOGIN_RATE_PER_MINUTE: '5' } });
    try {
      // The limit counts in fixed one-minute windows: start again if the minute turned.
      for (let attempt = 0; attempt < 3; attempt++) {
        const minute = Math.floor(Date.now() / 60000);
        const statuses = [];
        for (let i = 0; i < 5; i++) statuses.push((await login(limited, uniq('nobody-'), 'wrong-password')).status);
        const last = await login(limited, 'agent', passwordFor('agent'));
        if (Math.floor(Date.now() / 60000) !== minute) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
        assertError(assert, last, 429, undefined, 'too_many_requests');
        assert.equal(last.headers.get('retry-after'), '60');
        assert.equal(last.json.token, undefined);
        return;
      }
      assert.fail('could not stay within one minute');
    } finally {
      await limited.stop();
    }
  });
});

describe('sessions end', () => {
  test('logout ends the session', async () => {
    const token = (await login(srv, 'archivist', passwordFor('archivist'))).json.token;
    assert.equal((await srv.api('GET', '/api/v1/me', { token })).status, 200);
    const out = await srv.api('POST', '/api/v1/auth/logout', { token });
    assert.equal(out.status, 204);
    assertError(assert, await srv.api('GET', '/api/v1/me', { token }), 401, undefined, 'unauthenticated');
    assert.equal((await srv.api('POST', '/api/v1/auth/logout', { token })).status, 401);
    const other = await srv.login('archivist');
    assert.equal((await srv.api('GET', '/api/v1/me', { token: other })).status, 200, 'other sessions live on');
  });

  test('a password change ends every session of the user', async () => {
    const u = await newUser();
    const t1 = (await login(srv, u.username, passwordFor(u.username))).json.token;
    const t2 = (await login(srv, u.username, passwordFor(u.username))).json.token;
    const wrong = await srv.api('POST', '/api/v1/auth/password', {
      token: t1,
      body: { current_password: 'not-my-password', new_password: 'a-brand-new-password' },
    });
    assertError(assert, wrong, 400, 'current_password');
    assert.equal((await srv.api('GET', '/api/v1/me', { token: t1 })).status, 200, 'a failed change keeps the session');
    const r = await srv.api('POST', '/api/v1/auth/password', {
      token: t1,
      body: { current_password: passwordFor(u.username), new_password: 'a-brand-new-password' },
    });
    assert.equal(r.status, 204, r.text);
    assert.equal((await srv.api('GET', '/api/v1/me', { token: t1 })).status, 401);
    assert.equal((await srv.api('GET', '/api/v1/me', { token: t2 })).status, 401);
    assert.equal((await login(srv, u.username, passwordFor(u.username))).status, 401, 'old password');
    assert.equal((await login(srv, u.username, 'a-brand-new-password')).status, 200, 'new password');
  });

  test('a new password must follow the policy, and the error names new_password', async () => {
    const u = await newUser();
    const token = (await login(srv, u.username, passwordFor(u.username))).json.token;
    const r = await srv.api('POST', '/api/v1/auth/password', {
      token,
      body: { current_password: passwordFor(u.username), new_password: 'short' },
    });
    assertError(assert, r, 400, 'new_password');
    assert.equal((await login(srv, u.username, passwordFor(u.username))).status, 200, 'password unchanged');
  });

  test('a disabled user cannot log in and its sessions end; enabling lets it back', async () => {
    const u = await newUser();
    const token = (await login(srv, u.username, passwordFor(u.username))).json.token;
    const d = await srv.api('POST', `/api/v1/users/${u.id}/disable`, { as: 'administrator' });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.disabled, true);
    assert.equal((await srv.api('GET', '/api/v1/me', { token })).status, 401);
    const again = await login(srv, u.username, passwordFor(u.username));
    const wrong = await login(srv, u.username, 'certainly-wrong-pw');
    assertError(assert, again, 401, undefined, 'unauthenticated');
    assert.deepEqual(again.json, wrong.json, 'a disabled account looks like a wrong password');
    const e = await srv.api('POST', `/api/v1/users/${u.id}/enable`, { as: 'administrator' });
    assert.equal(e.status, 200);
    assert.equal(e.json.disabled, false);
    assert.equal((await srv.api('GET', '/api/v1/me', { token })).status, 401, 'old session stays ended');
    assert.equal((await login(srv, u.username, passwordFor(u.username))).status, 200);
  });

  test('an administrator cannot disable themself; unknown users are 404', async () => {
    const me = await srv.api('GET', '/api/v1/me', { as: 'administrator' });
    assertError(assert, await srv.api('POST', `/api/v1/users/${me.json.id}/disable`, { as: 'administrator' }), 409);
    assertError(assert, await srv.api('POST', '/api/v1/users/987654/disable', { as: 'administrator' }), 404);
  });

  test('idle and absolute timeouts, checked by other processes on the same database', async () => {
    const token = (await login(srv, 'analyst', passwordFor('analyst'))).json.token;
    const later = async (offset, env = {}) => {
      const s = await startServer({
        db: srv.db,
        env: { DANGAN_SESSION_IDLE_MINUTES: '1', DANGAN_FAKE_NOW_OFFSET_S: String(offset), ...env },
      });
      try {
        return (await s.api('GET', '/api/v1/me', { token })).status;
      } finally {
        await s.stop();
      }
    };
    // Sessions live in the database: another process accepts the token while it is fresh…
    assert.equal(await later(20), 200, '20 s later, idle limit 1 min');
    // …and refuses it after a minute without use.
    assert.equal(await later(120), 401, '2 min later, idle limit 1 min');
    // Absolute expiry (12 h) holds however long the idle limit is.
    assert.equal(await later(13 * 3600, { DANGAN_SESSION_IDLE_MINUTES: '100000' }), 401, '13 h later');
    assert.equal(await later(11 * 3600, { DANGAN_SESSION_IDLE_MINUTES: '100000' }), 200, '11 h later');
  });
});

describe('cookie sessions', () => {
  let cookie;
  let csrf;
  before(async () => {
    const r = await login(srv, 'agent', passwordFor('agent'), { cookie: true });
    assert.equal(r.status, 200, r.text);
    const set = r.headers.get('set-cookie');
    assert.ok(set, 'Set-Cookie');
    cookie = set.split(';')[0];
    csrf = r.json.csrf_token;
  });

  test('cookie log-in sets an HttpOnly SameSite=Strict cookie and returns no token', async () => {
    const r = await login(srv, 'agent', passwordFor('agent'), { cookie: true });
    const set = r.headers.get('set-cookie');
    assert.match(set, /^dangan_session=[0-9a-f]{64};/);
    assert.match(set, /;\s*HttpOnly/i);
    assert.match(set, /;\s*SameSite=Strict/i);
    assert.match(set, /;\s*Path=\//);
    assert.doesNotMatch(set, /;\s*Secure/i, 'not Secure over plain HTTP');
    assert.equal(r.json.token, undefined);
    assert.match(r.json.csrf_token, /^[0-9a-f]{64}$/);
  });

  test('GET with the cookie works without the CSRF header', async () => {
    const r = await srv.api('GET', '/api/v1/me', { headers: { cookie } });
    assert.equal(r.status, 200);
    assert.equal(r.json.username, 'agent');
  });

  test('a state-changing request with the cookie needs the CSRF header', async () => {
    const body = { type: 'person', name: uniq('Cookie ') };
    const none = await srv.api('POST', '/api/v1/patrons', { headers: { cookie }, body });
    assertError(assert, none, 403, 'X-CSRF-Token', 'forbidden');
    const wrong = await srv.api('POST', '/api/v1/patrons', { headers: { cookie, 'x-csrf-token': 'f'.repeat(64) }, body });
    assertError(assert, wrong, 403, 'X-CSRF-Token');
    const list = await srv.api('GET', `/api/v1/patrons?q=${encodeURIComponent(body.name)}`, { as: 'manager' });
    assert.equal(list.json.items.length, 0, 'refused requests created nothing');
    const ok = await srv.api('POST', '/api/v1/patrons', { headers: { cookie, 'x-csrf-token': csrf }, body });
    assert.equal(ok.status, 201, ok.text);
    const patch = await srv.api('PATCH', `/api/v1/patrons/${ok.json.id}`, { headers: { cookie }, body: { region: 'x' } });
    assertError(assert, patch, 403, 'X-CSRF-Token');
  });

  test('a bearer token needs no CSRF header', async () => {
    const r = await srv.api('POST', '/api/v1/patrons', { as: 'agent', body: { type: 'person', name: uniq('Bearer ') } });
    assert.equal(r.status, 201);
  });

  test('cookie logout clears the cookie and ends the session', async () => {
    const r = await login(srv, 'agent', passwordFor('agent'), { cookie: true });
    const c = r.headers.get('set-cookie').split(';')[0];
    const noCsrf = await srv.api('POST', '/api/v1/auth/logout', { headers: { cookie: c } });
    assert.equal(noCsrf.status, 403);
    const out = await srv.api('POST', '/api/v1/auth/logout', { headers: { cookie: c, 'x-csrf-token': r.json.csrf_token } });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie'), /^dangan_session=;.*Max-Age=0/);
    assert.equal((await srv.api('GET', '/api/v1/me', { headers: { cookie: c } })).status, 401);
  });

  test('a malformed or unknown token is 401', async () => {
    for (const token of ['abc', '0'.repeat(64), 'g'.repeat(64)]) {
      assertError(assert, await srv.api('GET', '/api/v1/me', { token }), 401, undefined, 'unauthenticated');
    }
    assert.equal((await srv.api('GET', '/api/v1/me', { headers: { cookie: 'dangan_session=' + '1'.repeat(64) } })).status, 401);
    assert.equal((await srv.api('GET', '/api/v1/me', { headers: { authorization: 'Basic YWdlbnQ6eA==' } })).status, 401);
  });
});

describe('accounts made at the same time', () => {
  test('sixteen `dangan user add` at once all succeed, and each can log in', async () => {
    // Each hashes its password (argon2id) before taking the write lock; hashing inside
    // the transaction made them queue behind each other past the busy timeout.
    const names = Array.from({ length: 16 }, () => uniq('batch-'));
    await Promise.all(names.map((n) => addUser(srv.db, n, 'agent')));
    for (const n of names.slice(0, 3)) {
      const r = await login(srv, n, passwordFor(n));
      assert.equal(r.status, 200, r.text);
    }
  });
});
