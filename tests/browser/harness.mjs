// What the browser tests share: where the binaries and screenshots are, the "ok - " / "not ok - "
// lines tests/run counts, the web stack of tests/integration/lib_web.py (serve) and Chromium
// launched headless with the machine's closed network in mind, and dbExec on the stack's database.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = process.env.CRM_ROOT || path.resolve(here, '..', '..');
export const bin = process.env.CRM_BIN || path.join(root, 'build-san', 'bin');
export const shots = path.join(path.dirname(bin), 'screenshots');
mkdirSync(shots, { recursive: true });

let failures = 0;
export const failed = () => failures;
export const ok = (name) => console.log(`ok - ${name}`);
export const notOk = (name, why) => {
  failures++;
  console.log(`not ok - ${name}\n    ${String(why).split('\n').join('\n    ')}`);
};
export function expect(cond, why) { if (!cond) throw new Error(why); }
export async function step(name, fn) {
  try { await fn(); ok(name); return true; } catch (e) { notOk(name, e && e.message ? e.message.split('\n').slice(0, 6).join('\n') : e); return false; }
}

// tests/integration/lib_web.py serve (with extra arguments such as --seed july) prints one JSON
// line when ready and stops everything when its stdin closes.
export function startStack(...extra) {
  const child = spawn('python3', [path.join(root, 'tests/integration/lib_web.py'), 'serve', '--bin', bin, ...extra],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, CRM_ROOT: root, CRM_BIN: bin } });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('stack did not start in 30 s')), 30000);
    rl.once('line', (line) => { clearTimeout(timer); resolve({ child, info: JSON.parse(line) }); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`stack helper exited ${code}`)); });
  });
}

// Runs one SQL statement on the stack's database (info.db: the crm.db path, or a PostgreSQL URL
// when the run is on PostgreSQL) through tests/integration/lib_db.py.
export function dbExec(info, sql) {
  const py = 'import sys; sys.path.insert(0, sys.argv[1]); import lib_db\n' +
    'c = lib_db.connect(sys.argv[2], foreign_keys=True); c.execute(sys.argv[3]); c.close()';
  const r = spawnSync('python3', ['-c', py, path.join(root, 'tests/integration'), info.db, sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${sql}: ${r.stderr}`);
}

export function stopStack(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.stdin.end();
  });
}

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
}
