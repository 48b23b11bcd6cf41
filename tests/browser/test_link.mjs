// Browser test in headless Chromium (playwright-core) of Link External Calendar/Email against
// the fake providers: from the profile menu, pick Google, click Allow on the fake's consent page,
// see the success message; the same for Microsoft 365 (another user); then a mail from a demo
// contact arrives in the Google mailbox, crm-sync --once runs, and the mail is on the calendar.
// Any console error, page error or 5xx fails.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.CRM_ROOT || path.resolve(here, '..', '..');
const bin = process.env.CRM_BIN || path.join(root, 'build-san', 'bin');
const shots = path.join(path.dirname(bin), 'screenshots');
mkdirSync(shots, { recursive: true });

let failed = 0;
const ok = (name) => console.log(`ok - ${name}`);
const notOk = (name, why) => { failed++; console.log(`not ok - ${name}\n    ${String(why).split('\n').join('\n    ')}`); };

function startStack() {
  const child = spawn('python3', [path.join(root, 'tests/integration/lib_link.py'), 'serve', '--bin', bin],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, CRM_ROOT: root, CRM_BIN: bin } });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('stack did not start in 30 s')), 30000);
    rl.once('line', (line) => { clearTimeout(timer); resolve({ child, info: JSON.parse(line) }); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`stack helper exited ${code}`)); });
  });
}

function stopStack(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.stdin.end();
  });
}

async function step(name, fn) {
  try { await fn(); ok(name); return true; } catch (e) { notOk(name, e && e.message ? e.message.split('\n').slice(0, 6).join('\n') : e); return false; }
}

function expect(cond, why) { if (!cond) throw new Error(why); }

let stack;
try {
  stack = await startStack();
  ok('the stack starts with the fake providers');
} catch (e) {
  notOk('the stack starts with the fake providers', e.message);
  process.exit(1);
}
const { url, conf, fake } = stack.info;

async function ctl(op, body) {
  const r = await fetch(`${fake}/_control/${op}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`fake ${op}: ${r.status} ${await r.text()}`);
  return r.json();
}

function syncOnce() {
  const r = spawnSync(path.join(bin, 'crm-sync'), ['-c', conf, '--once', '--no-push'],
    { encoding: 'utf8', timeout: 120000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  expect(r.status === 0, `crm-sync --once exited ${r.status}: ${(r.stderr || '').slice(-800)}`);
}

const GOOGLE_BOX = 'aliena.somers@gmail.com';
const MS_BOX = 'dave.pike@contoso.example';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const problems = [];

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The fake provider serves no favicon; the browser's 404 for it is not ours to fail on.
  await context.route(`${fake}/favicon.ico`, (r) => r.fulfill({ status: 204, body: '' }));
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} for ${r.url()}`); });
  return page;
}

async function login(page, email) {
  await page.goto(`${url}/login`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'demo');
  await Promise.all([page.waitForURL(/\/calendar/), page.press('input[name=password]', 'Enter')]);
}

// Profile menu -> Link External Calendar/Email -> provider -> Allow at the fake -> success.
async function linkThroughBrowser(page, label, box, shot) {
  await page.click('header.topbar button.profile');
  await Promise.all([page.waitForURL(/\/profile\/link$/), page.click('#profile-menu >> text=Link External Calendar/Email')]);
  await page.screenshot({ path: path.join(shots, 'link-choose-1280.png') });
  await Promise.all([page.waitForURL((u) => u.href.startsWith(fake)),
    page.click(`ul.provider-list button.provider:has-text("${label}")`)]);
  await page.selectOption('select[name=account]', box);
  await Promise.all([page.waitForURL(/\/oauth\/callback\//), page.click('#allow')]);
  const note = await page.locator('main p.notice').textContent();
  await page.screenshot({ path: path.join(shots, shot) });
  expect(note.trim() === `Linked ${box} (${label}). Sync has started.`, `success message: ${note}`);
}

try {
  await ctl('config', { auto_consent: false });
  await ctl('accounts', { provider: 'google', email: GOOGLE_BOX, name: 'Aliena Somers' });
  await ctl('accounts', { provider: 'microsoft', email: MS_BOX, name: 'Dave Pike' });
  const page = await newPage();

  await step('Google: profile menu, pick Google, Allow at Google, linked and syncing', async () => {
    await login(page, 'demo@example.com');
    await linkThroughBrowser(page, 'Google', GOOGLE_BOX, 'link-google-1280.png');
  });

  await step('Microsoft 365: the same for another user', async () => {
    const p2 = await newPage();
    await login(p2, 'dave@example.com');
    await linkThroughBrowser(p2, 'Microsoft 365', MS_BOX, 'link-microsoft-1280.png');
    await p2.context().close();
  });

  await step('Sync settings shows the link and its health', async () => {
    await page.goto(`${url}/settings/sync`);
    expect((await page.locator('dd.link-address').textContent()).trim() === GOOGLE_BOX, 'address');
    expect((await page.locator('dd.link-provider').textContent()).trim() === 'Google', 'provider');
    await page.screenshot({ path: path.join(shots, 'sync-settings-1280.png'), fullPage: true });
  });

  await step('a mail from a demo contact arrives, crm-sync runs, the mail is on the calendar', async () => {
    syncOnce();   // the first pass records where the mailbox stands
    const subject = `Container swap request ${Date.now()}`;
    const raw = `From: John Smith <john.smith@example.net>\r\nTo: Aliena Somers <${GOOGLE_BOX}>\r\n` +
      `Subject: ${subject}\r\nDate: ${new Date().toUTCString().replace('GMT', '+0000')}\r\n` +
      `Message-ID: <swap.${Date.now()}@example.net>\r\nContent-Type: text/plain\r\n\r\nCan we swap the container?\r\n`;
    await ctl('deliver', { provider: 'google', email: GOOGLE_BOX, raw });
    await page.click('button.sync-now');   // Sync now wakes the link
    await page.waitForURL(/done=woken/);
    syncOnce();
    await page.goto(`${url}/calendar`);
    const item = page.locator('table.month a.item.email', { hasText: subject });
    await item.first().waitFor();
    await page.screenshot({ path: path.join(shots, 'link-mail-on-calendar-1280.png') });
  });

  await step('no console errors, page errors or 5xx', async () => {
    expect(problems.length === 0, problems.join('\n'));
  });
} finally {
  await browser.close();
  await stopStack(stack.child);
}
process.exit(failed ? 1 : 0);
