// harness.mjs — a real `dangan serve` on a fresh SQLite database with the demo data,
// and Debian's chromium driven by playwright-core.
//
// Environment: DANGAN_BIN (default build/dangan of this checkout),
// DANGAN_SHOTS (default /tmp/dangan-shots) for screenshots.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.DANGAN_BIN || path.resolve(here, '../../build/dangan');
export const SHOTS = process.env.DANGAN_SHOTS || '/tmp/dangan-shots';

function run(args, { cwd, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`dangan ${args.join(' ')} failed (${code}): ${out}`))));
    child.stdin.end(input ?? '');
  });
}

// Starts a server with the demo data. Returns {url, password, db, addUser(), stop()}.
export async function startServer() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dangan-browser-'));
  const db = `sqlite:${path.join(dir, 'db.sqlite')}`;
  await run(['migrate', '--database', db], { cwd: dir });
  await run(['demo', '--database', db], { cwd: dir });
  const logins = await readFile(path.join(dir, 'data', 'demo-logins.txt'), 'utf8');
  const password = logins.trim().split(': ').pop();

  // Uploads are virus-scanned: the test signatures (EICAR and a test pattern) stand in for
  // freshclam's database.
  const env = { ...process.env, DANGAN_CLAMAV_DB: path.resolve(here, '../fixtures/clamav') };
  const child = spawn(BIN, ['serve', '--database', db, '--listen', '127.0.0.1:0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 20000);
    const onData = (d) => {
      log += d;
      const m = /event=serving listen=([\d.]+):(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}:${m[2]}`);
      }
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
  child.stderr.on('data', (d) => (log += d));
  return {
    url,
    password,
    db,
    log: () => log,
    // A portal or staff account made with the CLI (the password comes on stdin).
    addUser: (username, role, { patron, password: pw } = {}) =>
      run(['user', 'add', username, '--role', role, ...(patron ? ['--patron', String(patron)] : []), '--database', db], { cwd: dir, input: `${pw}\n` }),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => {
        if (child.exitCode !== null) return r();
        const t = setTimeout(() => (child.kill('SIGKILL'), r()), 5000);
        child.on('exit', () => (clearTimeout(t), r()));
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// One server and one browser for a test file: started before its first test, stopped
// after its last. Call inside describe(); use ctx.server and ctx.browser in the tests.
export function useServer() {
  const ctx = { server: null, browser: null };
  before(async () => {
    ctx.server = await startServer();
    ctx.browser = await launch();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.stop();
  });
  return ctx;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// A fresh browser context and page that records script errors, failed requests to
// our own files and CSP violations: a test ends with expectClean(page). Takes
// (browser, server) or the ctx of useServer().
export async function newPage(browser, server) {
  if (!server && browser?.browser) ({ browser, server } = browser);
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) page.problems.push(`console: ${m.text()}`);
    if (/Content Security Policy/i.test(m.text())) page.problems.push(`CSP: ${m.text()}`);
  });
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (!u.pathname.startsWith('/api/') && r.status() >= 400) page.problems.push(`${r.status()} ${u.pathname}`);
  });
  // Generous: CI machines may be busy with other work.
  page.setDefaultTimeout(30000);
  page.setDefaultNavigationTimeout(30000);
  return page;
}

export function expectClean(page, assert) {
  assert.deepEqual(page.problems, [], 'no script errors, CSP violations or missing files');
}

export async function login(page, username, password) {
  await page.goto('/login');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录 Log in' }).click();
  await page.getByTestId('current-user').waitFor();
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

// The API as the browser's session sees it (cookie + CSRF token), for test set-up.
export async function apiAs(page, method, url, body) {
  return page.evaluate(
    async ([m, u, b]) => {
      const headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': sessionStorage.getItem('dangan.csrf') || '' };
      const r = await fetch(u, { method: m, headers, body: b === undefined ? undefined : JSON.stringify(b) });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    [method, url, body],
  );
}

// Runs axe-core (if installed) on the page; returns the serious and critical violations.
export async function axe(page) {
  let source;
  try {
    source = await readFile(path.resolve(here, '../../node_modules/axe-core/axe.min.js'), 'utf8');
  } catch {
    return null;
  }
  // page.evaluate runs outside the page's CSP, so the strict policy stays in force.
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
