// Backup while the server writes, restore into an empty database, and find every patron
// created before the backup, with an intact audit chain; on both backends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { BACKEND, cli, createDatabase, createPatron, person, startServer, uniq } from './harness.mjs';

describe('backup and restore', () => {
  let srv;
  let dir;
  before(async () => {
    srv = await startServer();
    dir = await mkdtemp(path.join(os.tmpdir(), 'dangan-backup-'));
  });
  after(async () => {
    await srv?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('an online backup restores every patron acknowledged before it, chain intact', async () => {
    const before = [];
    for (let i = 0; i < 20; i++) before.push((await createPatron(srv, person({ name: uniq('备份') }))).id);
    // Writes keep arriving while the backup runs.
    let writing = true;
    const writer = (async () => {
      while (writing) await createPatron(srv, person({ name: uniq('并发') }));
    })();
    const file = path.join(dir, 'dangan.backup');
    const b = await cli(srv.db, ['backup', file]);
    writing = false;
    await writer;
    assert.equal(b.code, 0, b.stderr);
    assert.ok((await stat(file)).size > 0);

    const target = await createDatabase();
    try {
      const r = await cli(target, ['restore', file]);
      assert.equal(r.code, 0, r.stderr);
      const verify = await cli(target, ['audit', 'verify']);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /intact/);
      const restored = await startServer({ db: target });
      try {
        for (const id of before) {
          const got = await restored.api('GET', `/api/v1/patrons/${id}`, { as: 'manager' });
          assert.equal(got.status, 200, `patron ${id} after restore`);
        }
      } finally {
        await restored.stop({ keepDb: true });
      }
    } finally {
      await target.drop();
    }
  });

  test('restore refuses a database the server has open, and the server loses nothing', async () => {
    const kept = (await createPatron(srv, person({ name: uniq('在用') }))).id;
    const file = path.join(dir, 'in-use.backup');
    assert.equal((await cli(srv.db, ['backup', file])).code, 0);
    const later = (await createPatron(srv, person({ name: uniq('之后') }))).id;

    const r = await cli(srv.db, ['restore', file]);
    assert.notEqual(r.code, 0, 'restore under a running server must fail');
    assert.match(r.stderr, /stop the server/);
    // The server still has both patrons and keeps writing to the same database.
    for (const id of [kept, later]) {
      assert.equal((await srv.api('GET', `/api/v1/patrons/${id}`, { as: 'manager' })).status, 200);
    }
    const after = (await createPatron(srv, person({ name: uniq('再写') }))).id;
    assert.equal((await srv.api('GET', `/api/v1/patrons/${after}`, { as: 'manager' })).status, 200);
  });

  test('commands that read a database refuse a path where there is none, creating nothing', { skip: BACKEND !== 'sqlite' }, async () => {
    const missing = path.join(dir, 'typo', 'dangan.db');
    const db = { url: `sqlite:${missing}`, file: missing };
    for (const args of [['export', 'records', path.join(dir, 'out.csv')], ['audit', 'verify'], ['reindex'], ['backup', path.join(dir, 'x.backup')], ['user', 'list']]) {
      const r = await cli(db, args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, /no database at .*typo/, args.join(' '));
    }
    await assert.rejects(access(missing), 'no database file was created');
    await assert.rejects(access(path.dirname(missing)), 'nor its directory');
    // migrate is how a new database is made on purpose.
    assert.equal((await cli(db, ['migrate'])).code, 0);
    await access(missing);
  });

  test('restore refuses a file that is not a backup, and changes nothing', async () => {
    const junk = path.join(dir, 'junk.backup');
    await import('node:fs/promises').then((fs) => fs.writeFile(junk, 'not a database'));
    const target = await createDatabase();
    try {
      const r = await cli(target, ['restore', junk]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /dangan:/);
    } finally {
      await target.drop();
    }
  });
});
