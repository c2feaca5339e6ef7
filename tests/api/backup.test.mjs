// Backup while the server writes, restore into an empty database, and find every patron
// created before the backup, with an intact audit chain; on both backends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { cli, createDatabase, createPatron, person, startServer, uniq } from './harness.mjs';

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
