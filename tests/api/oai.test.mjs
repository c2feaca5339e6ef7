// OAI-PMH over the open catalogue, checked with an independent harvester (Debian's
// libhttp-oai-perl: the oai_pmh command and the HTTP::OAI library).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { run, startServer, uniq } from './harness.mjs';

let srv;
let fonds;
const open = [];
let secret;
let disposed;

before(async () => {
  srv = await startServer();
  const f = await srv.api('POST', '/api/v1/fonds', { as: 'archivist', body: { code: uniq('OAI'), name: '开放全宗' } });
  assert.equal(f.status, 201, f.text);
  fonds = f.json;
  // 120 open records: more than one page (100), so the harvester must resume.
  for (let i = 0; i < 120; i++) {
    const r = await srv.api('POST', '/api/v1/records', {
      as: 'archivist',
      // The one disposed of below is past its retention (10 years from 2000).
      body: { title: `开放档案 ${i}`, description: `第 ${i} 件`, access_level: 'open', fonds_id: fonds.id, year: 2000, keywords: ['城市', '规划'], ...(i === 5 ? { retention: 'D10' } : {}) },
    });
    assert.equal(r.status, 201, r.text);
    open.push(r.json);
  }
  const s = await srv.api('POST', '/api/v1/records', { as: 'archivist', body: { title: '涉密档案', access_level: 'secret', fonds_id: fonds.id } });
  secret = s.json;
  await srv.api('POST', '/api/v1/records', { as: 'archivist', body: { title: '控制档案', access_level: 'controlled', fonds_id: fonds.id } });
  // One open record disposed of: harvesters must learn it is gone.
  disposed = open[5];
  const a = await srv.api('POST', `/api/v1/records/${disposed.id}/appraisals`, { as: 'archivist', body: { outcome: 'dispose', reason: '期满' } });
  assert.equal(a.status, 201, a.text);
  assert.equal((await srv.api('POST', `/api/v1/appraisals/${a.json.id}/decision`, { as: 'manager', body: { approve: true } })).status, 200);
});
after(async () => {
  await srv?.stop();
});

const harvest = (args) => run('oai_pmh', [...args, `${srv.url}/oai`], { timeoutMs: 120000 });
const oai = async (query) => (await srv.api('GET', `/oai?${query}`)).text;

describe('OAI-PMH', () => {
  test('the harvester identifies the repository', async () => {
    const r = await harvest(['-X', 'Identify']);
    assert.equal(r.code, 0, r.stderr);
    const xml = await oai('verb=Identify');
    assert.match(xml, /<protocolVersion>2\.0<\/protocolVersion>/);
    assert.match(xml, /<deletedRecord>transient<\/deletedRecord>/);
  });

  test('ListRecords over a set follows resumption tokens and returns exactly the open records', async () => {
    const r = await harvest(['-X', 'ListRecords', '--metadataPrefix', 'oai_dc', '--set', `fonds:${fonds.code}`]);
    assert.equal(r.code, 0, r.stderr);
    const ids = [...r.stdout.matchAll(/identifier: oai:[^:]+:record\/(\d+)/g)].map((m) => Number(m[1]));
    assert.equal(ids.length, 120, 'all open records, across two pages');
    assert.deepEqual([...new Set(ids)].sort((a, b) => a - b), open.map((x) => x.id).sort((a, b) => a - b));
    assert.ok(!ids.includes(secret.id), 'secret records are never harvested');
    assert.match(r.stdout, /<dc:title>开放档案 0<\/dc:title>/);
    assert.match(r.stdout, /<dc:identifier>[^<]+<\/dc:identifier>/);
    assert.match(r.stdout, /<dc:subject>城市<\/dc:subject>/);
    const deleted = r.stdout.split('\f').find((chunk) => chunk.includes(`record/${disposed.id}\n`));
    assert.match(deleted, /status: deleted/, 'the disposed record is reported deleted');
    assert.ok(!deleted.includes('<dc:title>'), 'with no metadata');
  });

  test('GetRecord, ListSets and errors', async () => {
    const one = await harvest(['-X', 'GetRecord', '--metadataPrefix', 'oai_dc', '--identifier', `oai:dangan.local:record/${open[0].id}`]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`<dc:identifier>${open[0].reference_code}</dc:identifier>`));
    assert.match(await oai(`verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:dangan.local:record/${secret.id}`), /<error code="idDoesNotExist">/);
    const sets = await run('perl', ['-MHTTP::OAI', '-e', `my $h = HTTP::OAI::Harvester->new(baseURL => '${srv.url}/oai'); my $r = $h->ListSets; die $r->message unless $r->is_success; while (my $s = $r->next) { print $s->setSpec, "\\n" }`]);
    assert.equal(sets.code, 0, sets.stderr);
    assert.ok(sets.stdout.split('\n').includes(`fonds:${fonds.code}`), sets.stdout);
    assert.ok(sets.stdout.split('\n').includes('category:WS'), sets.stdout);
    assert.match(await oai('verb=Nope'), /<error code="badVerb">/);
    assert.match(await oai('verb=ListRecords'), /<error code="badArgument">/);
    assert.match(await oai('verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc'), /<error code="badArgument">/);
    assert.match(await oai('verb=ListRecords&metadataPrefix=marc21'), /<error code="cannotDisseminateFormat">/);
    assert.match(await oai('verb=ListRecords&metadataPrefix=oai_dc&from=2099-01-01'), /<error code="noRecordsMatch">/);
    assert.match(await oai('verb=ListRecords&resumptionToken=zz'), /<error code="badResumptionToken">/);
    assert.match(await oai('verb=ListRecords&metadataPrefix=oai_dc&from=yesterday'), /<error code="badArgument">/);
    const post = await srv.api('POST', '/oai', { body: 'verb=Identify', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.match(post.text, /<Identify>/);
  });
});
