// Knowledge services (定题服务, D27) and trace points (D33) over HTTP: a research service
// from start to close as staff and the patron see it; page paths, record views,
// downloads and IVR key paths recorded only when their point is on and the patron
// consented; the feature-use report.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertError, assertPatronNames, auditEntries, createPatron, person, startServer, uniq } from './harness.mjs';

let srv;
let patron; // consented to processing
let other; // did not
before(async () => {
  srv = await startServer();
  patron = await createPatron(srv, person({ phones: ['13812340001'], consents: { processing: true } }));
  other = await createPatron(srv, person({ phones: ['13812340002'], consents: { processing: false } }));
  await srv.addUser('portal', 'patron', { patron: patron.id });
  await srv.addUser('portal2', 'patron', { patron: other.id });
});
after(async () => {
  await srv?.stop();
});

const as = (role, method, path, body) => srv.api(method, path, { as: role, body });
const ok = async (role, method, path, body, status = 200) => {
  const r = await as(role, method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
  return r.json;
};

describe('knowledge services', () => {
  test('a research service: milestones, deliveries of records, close with satisfaction', async () => {
    const rec = await ok('archivist', 'POST', '/api/v1/records', { title: uniq('盐务档案'), access_level: 'open' }, 201);
    const me = await ok('archivist', 'GET', '/api/v1/me');
    const k = await ok('agent', 'POST', '/api/v1/knowledge-services', {
      patron_id: patron.id,
      topic: '近代盐业史',
      scope: '1912–1949 年盐务机构',
      specialist_id: me.id ?? me.user?.id,
      delivery_interval_days: 7,
      milestones: [{ title: '检索目录', due_on: '2027-01-10' }],
    }, 201);
    assert.equal(k.status, 'active');
    assert.equal(k.milestones.length, 1);
    assert.ok(k.next_delivery_due > k.started_at);

    assertError(assert, await as('agent', 'POST', `/api/v1/knowledge-services/${k.id}/deliveries`, { summary: 'x', record_ids: [99999999] }), 400, 'record_ids');
    const d = await ok('agent', 'POST', `/api/v1/knowledge-services/${k.id}/deliveries`, { summary: '第一批目录', record_ids: [rec.id] }, 201);
    assert.deepEqual(d.deliveries[0].records, [{ id: rec.id, reference_code: rec.reference_code, title: rec.title }]);
    await ok('agent', 'POST', `/api/v1/knowledge-services/${k.id}/milestones/${k.milestones[0].id}/done`);
    assertError(assert, await as('agent', 'POST', `/api/v1/knowledge-services/${k.id}/milestones/${k.milestones[0].id}/done`), 409, 'milestone');

    // The patron sees it among their current research projects on the portal; the other
    // patron does not see it at all.
    const mine = await ok('portal', 'GET', '/api/v1/knowledge-services?status=active');
    assert.deepEqual(mine.items.map((i) => i.id), [k.id]);
    assert.equal(mine.items[0].delivery_count, 1);
    assert.equal((await ok('portal', 'GET', `/api/v1/knowledge-services/${k.id}`)).deliveries.length, 1);
    assert.equal((await as('portal2', 'GET', `/api/v1/knowledge-services/${k.id}`)).status, 404);
    assert.deepEqual((await ok('portal2', 'GET', '/api/v1/knowledge-services')).items, []);
    // Staff see the patron's projects on the patron's page.
    const onPage = await ok('agent', 'GET', `/api/v1/knowledge-services?patron_id=${patron.id}&status=active`);
    assert.deepEqual(onPage.items.map((i) => i.id), [k.id]);

    assertError(assert, await as('agent', 'POST', `/api/v1/knowledge-services/${k.id}/close`, { outcome: 'completed' }), 400, 'satisfaction');
    const closed = await ok('agent', 'POST', `/api/v1/knowledge-services/${k.id}/close`, { outcome: 'completed', satisfaction: 4, comment: '资料详实' });
    assert.equal(closed.status, 'completed');
    assert.equal(closed.next_delivery_due, null);
    assertError(assert, await as('agent', 'POST', `/api/v1/knowledge-services/${k.id}/deliveries`, { summary: '再来' }), 409, 'status');

    const tl = await ok('manager', 'GET', `/api/v1/patrons/${patron.id}/timeline?limit=50`);
    const kinds = tl.items.map((e) => e.kind);
    for (const kind of ['knowledge.started', 'knowledge.delivered', 'knowledge.milestone_done', 'knowledge.closed']) assert.ok(kinds.includes(kind), kind);
    const audits = await auditEntries(srv, { action: 'knowledge.close' });
    assert.equal(audits.length, 1);
  });

  test('the list names the patron as the patron list does', async () => {
    const p = await createPatron(srv, person({ name: uniq('课题用户'), consents: { processing: true } }));
    const k = await ok('agent', 'POST', '/api/v1/knowledge-services', { patron_id: p.id, topic: '地方志编纂', delivery_interval_days: 14 }, 201);
    await assertPatronNames(assert, srv, {
      path: `/api/v1/knowledge-services?patron_id=${p.id}`,
      pick: (items) => items.find((i) => i.id === k.id),
      patron: p,
      list: 'knowledge_services',
    });
    // The unfiltered list too; the portal's own list stays as it was.
    const all = await ok('manager', 'GET', '/api/v1/knowledge-services?limit=200');
    assert.equal(all.items.find((i) => i.id === k.id).patron_name, p.name);
    const mine = await ok('portal', 'GET', '/api/v1/knowledge-services');
    assert.ok(mine.items.every((i) => !('patron_name' in i)));
    // One service names the patron too; the portal's view of its own does not.
    assert.equal((await ok('agent', 'GET', `/api/v1/knowledge-services/${k.id}`)).patron_name, p.name);
    if (mine.items.length) assert.ok(!('patron_name' in (await ok('portal', 'GET', `/api/v1/knowledge-services/${mine.items[0].id}`))));
  });

  test('bad input names its field', async () => {
    assertError(assert, await as('agent', 'POST', '/api/v1/knowledge-services', { topic: '无人' }), 400, 'patron_id');
    assertError(assert, await as('agent', 'POST', '/api/v1/knowledge-services', { patron_id: patron.id, topic: 't', delivery_interval_days: 0 }), 400, 'delivery_interval_days');
    assertError(assert, await as('agent', 'POST', '/api/v1/knowledge-services', { patron_id: patron.id, topic: 't', colour: 'red' }), 400);
    assertError(assert, await as('agent', 'GET', '/api/v1/knowledge-services?status=maybe'), 400, 'status');
  });
});

describe('trace points', () => {
  const report = (kind, role = 'analyst') => ok(role, 'GET', `/api/v1/reports/feature-use?kind=${kind}`);

  test('off by default: nothing is recorded', async () => {
    const points = await ok('manager', 'GET', '/api/v1/trace-points');
    assert.deepEqual(points.items.map((p) => [p.kind, p.enabled]).sort(), [['download', false], ['ivr', false], ['portal_page', false], ['record_view', false]]);
    assert.equal((await ok('portal', 'POST', '/api/v1/traces/page', { path: '/portal' }, 202)).queued, false);
    assert.equal((await report('portal_page')).total, 0);
  });

  test('portal pages, record views, downloads and IVR paths, within consent', async () => {
    for (const kind of ['portal_page', 'record_view', 'download', 'ivr'])
      await ok('administrator', 'PUT', `/api/v1/trace-points/${kind}`, { enabled: true, retention_days: 90 });
    assert.ok((await auditEntries(srv, { action: 'trace_point.update' })).length >= 4);

    assert.equal((await ok('portal', 'POST', '/api/v1/traces/page', { path: '/portal/questions/12?x=1' }, 202)).path, '/portal/questions/{id}');
    await ok('portal', 'POST', '/api/v1/traces/page', { path: '/portal/questions/13' }, 202);
    await ok('portal', 'POST', '/api/v1/traces/page', { path: '/portal' }, 202);
    await ok('portal2', 'POST', '/api/v1/traces/page', { path: '/portal' }, 202); // no consent
    assertError(assert, await as('portal', 'POST', '/api/v1/traces/page', { path: '/tickets' }), 400, 'path');

    const pages = await report('portal_page');
    assert.equal(pages.total, 3);
    assert.equal(pages.unique_patrons, 1);
    assert.deepEqual(pages.targets[0], { target: '/portal/questions/{id}', count: 2, patrons: 1 });
    assert.equal(pages.trend.length, 30);
    assert.equal(pages.trend.at(-1).count, 3);

    // A patron viewing an open record and downloading its attachment.
    const rec = await ok('archivist', 'POST', '/api/v1/records', { title: uniq('开放档案'), access_level: 'open' }, 201);
    const att = await ok('archivist', 'POST', `/api/v1/records/${rec.id}/attachments?filename=a.txt`, uniq('内容 '), 201);
    await ok('portal', 'GET', `/api/v1/records/${rec.id}`);
    await ok('agent', 'GET', `/api/v1/records/${rec.id}`); // staff are not traced
    const dl = await as('portal', 'GET', `/api/v1/attachments/${att.id}/content`);
    assert.equal(dl.status, 200, dl.text);
    const views = await report('record_view', 'manager');
    assert.deepEqual(views.targets, [{ target: `record:${rec.id}`, count: 1, patrons: 1 }]);
    assert.deepEqual((await report('download')).targets, [{ target: `attachment:${att.id}`, count: 1, patrons: 1 }]);

    // The call system posts key paths; the caller is recognised by phone.
    await ok('agent', 'POST', '/api/v1/traces/ivr', { caller: '138 1234 0001', keys: '2>1>3', call_id: 'c-1' }, 202);
    await ok('agent', 'POST', '/api/v1/traces/ivr', { caller: '13812340002', keys: '2' }, 202); // no consent
    await ok('agent', 'POST', '/api/v1/traces/ivr', { caller: '13600000000', keys: '9' }, 202); // unknown
    assertError(assert, await as('agent', 'POST', '/api/v1/traces/ivr', { caller: '13812340001', keys: '2>x' }), 400, 'keys');
    assert.deepEqual((await report('ivr')).targets, [{ target: '2>1>3', count: 1, patrons: 1 }]);

    // Turning a point off stops it at once in this process.
    await ok('manager', 'PUT', '/api/v1/trace-points/portal_page', { enabled: false });
    assert.equal((await ok('portal', 'POST', '/api/v1/traces/page', { path: '/portal' }, 202)).queued, false);
    assert.equal((await report('portal_page')).total, 3);
    assertError(assert, await as('analyst', 'GET', '/api/v1/reports/feature-use?kind=clicks'), 400, 'kind');
    assertError(assert, await as('manager', 'PUT', '/api/v1/trace-points/ivr', { retention_days: 0 }), 400, 'retention_days');
  });

  test('erasing a patron removes what the trace points recorded of them', async () => {
    const before = (await report('ivr')).total;
    assert.ok(before >= 1, 'the test above recorded a key path of this patron');
    const r = await as('manager', 'POST', `/api/v1/patrons/${patron.id}/erase`, { reason: 'the patron asked to be erased' });
    assert.equal(r.status, 200, r.text);
    for (const kind of ['portal_page', 'record_view', 'download', 'ivr']) {
      const rep = await report(kind);
      assert.equal(rep.unique_patrons, 0, kind);
      assert.deepEqual(rep.targets, [], kind);
    }
  });
});
