// Browser test of the two-way paths in headless Chromium (playwright-core), against the real
// stack with the demo user's mailbox linked to a private Dovecot + SMTP sink and a Radicale
// calendar: a new appointment from an account's calendar day with a contact invited reaches
// Radicale after crm-sync --once and its form shows the push state; replying to a message from
// its dialog shows Sending..., then Sent. Any console error, page error or 5xx fails.
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
function expect(cond, why) { if (!cond) throw new Error(why); }
async function step(name, fn) {
  try { await fn(); ok(name); return true; } catch (e) { notOk(name, e && e.message ? e.message.split('\n').slice(0, 8).join('\n') : e); return false; }
}

// The servers: one Python process (stdlib + the test libraries) that prints one JSON line when
// ready and stops everything when its stdin closes.
const SERVE = String.raw`
import json, os, re, shutil, sys, tempfile, time
root = os.environ["CRM_ROOT"]
sys.path.insert(0, os.path.join(root, "tests", "integration"))
sys.path.insert(0, os.path.join(root, "tests", "fakes"))
import lib_web as w
from lib_caldav import start_radicale
from lib_dovecot import Dovecot
from smtp_sink import SmtpSink
tmp = tempfile.mkdtemp(prefix="crm-browser-twoway-")
st = w.Stack(bin_dir=os.environ["CRM_BIN"])
sink = SmtpSink(os.path.join(tmp, "smtp"), "demo", "secret")
srv = dc = None
try:
    st.start()
    db = st.db()
    sink_port = sink.start()
    srv = start_radicale(user="demo", password="secret")
    dc = Dovecot({"demo": "secret"})
    dc.start()
    st.allow("127.0.0.1:%d" % sink_port, "127.0.0.1:%d" % dc.port, srv.base_url)
    out = st.ctl("link-imap", "demo@example.com", "--imap-host", "127.0.0.1", "--imap-port",
                 str(dc.port), "--username", "demo", "--caldav-url", srv.base_url, input="secret\n")
    link = int(re.search(r"link (\d+) added", out).group(1))
    db.execute("UPDATE links SET settings = json_set(settings, '$.smtp_host', '127.0.0.1',"
               " '$.smtp_port', ?, '$.smtp_tls', 'starttls') WHERE id = ?", (sink_port, link))
    john, acct = w.contact(db, "john.smith@example.net")
    demo = w.user_id(db, "demo@example.com")
    now = int(time.time())
    tid, msgs = w.add_thread(db, demo, "Gate code for Tuesday", [
        {"sent_at": now - 120, "from_email": "john.smith@example.net", "from_name": "John Smith",
         "to_list": "demo@example.com", "body": "Hi,\nwhat is the gate code?\nJohn"}], contact_ids=[john])
    from datetime import datetime
    day = datetime.fromtimestamp(now - 120, w.CHICAGO).strftime("%Y-%m-%d")
    print(json.dumps({"url": st.url, "conf": st.conf, "dir": st.dir, "message": msgs[0],
                      "day": day, "radicale": srv.base_url.rstrip("/") + srv.cal_path,
                      "sink": sink.folder}), flush=True)
    sys.stdin.read()
finally:
    if dc:
        dc.stop()
    if srv:
        srv.stop()
    sink.stop()
    st.stop()
    for p in st.problems():
        print("problem: " + p, file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
`;

function startServers() {
  const child = spawn('python3', ['-c', SERVE], { stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CRM_ROOT: root, CRM_BIN: bin } });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('servers did not start in 60 s')), 60000);
    rl.once('line', (line) => { clearTimeout(timer); resolve({ child, info: JSON.parse(line) }); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server helper exited ${code}`)); });
  });
}

function stopServers(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.stdin.end();
  });
}

function syncOnce(info) {
  const r = spawnSync(path.join(bin, 'crm-sync'), ['-c', info.conf, '--once'], { cwd: info.dir, encoding: 'utf8', timeout: 120000 });
  if (r.status !== 0) throw new Error(`crm-sync exited ${r.status}: ${(r.stderr || '').slice(-1500)}`);
  return r.stderr;
}

// Every calendar object's text in the Radicale collection.
async function calendarObjects(calUrl) {
  const auth = 'Basic ' + Buffer.from('demo:secret').toString('base64');
  const res = await fetch(calUrl, { method: 'PROPFIND', headers: { Authorization: auth, Depth: '1', 'Content-Type': 'application/xml' },
    body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>' });
  const xml = await res.text();
  const hrefs = [...xml.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => m[1]);
  const base = new URL(calUrl);
  const out = [];
  for (const h of hrefs) {
    const r = await fetch(new URL(h, base), { headers: { Authorization: auth } });
    out.push(await r.text());
  }
  return out;
}

let servers;
try {
  servers = await startServers();
  ok('the stack, Dovecot, Radicale and the SMTP sink start; the demo mailbox is linked');
} catch (e) {
  notOk('the stack, Dovecot, Radicale and the SMTP sink start; the demo mailbox is linked', e.message);
  process.exit(1);
}
const info = servers.info;
const url = info.url;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} for ${r.url()}`); });

  await step('log in', async () => {
    await page.goto(`${url}/login`);
    await page.fill('input[name=email]', 'demo@example.com');
    await page.fill('input[name=password]', 'demo');
    await Promise.all([page.waitForURL(/\/calendar/), page.press('input[name=password]', 'Enter')]);
    syncOnce(info);   // the link's first pass: cursors and the calendar
  });

  let apptUrl = '';
  await step('New appointment from an account calendar day invites the ticked contact and shows Pending', async () => {
    await page.goto(`${url}/accounts/48958001/calendar`);
    await Promise.all([page.waitForURL(/\/appointments\/new/), page.click('a.new-appt')]);
    await page.fill('input[name=date]', info.day);
    await page.fill('input[name=time]', '2:30 PM');
    await page.fill('input[name=duration]', '45m');
    await page.fill('input[name=title]', 'Browser site visit');
    const john = page.locator('label.check', { hasText: 'John Smith' }).locator('input[name=contact]');
    await john.check();
    await Promise.all([page.waitForURL(/\/appointments\/\d+$/), page.click('form.appointment button[type=submit]')]);
    apptUrl = page.url();
    const state = page.locator('div.push-state');
    expect(await state.count() === 1, 'no push state on the form');
    expect((await state.getAttribute('class')).includes('pending'), `state ${await state.getAttribute('class')}`);
    await page.screenshot({ path: path.join(shots, 'twoway-appointment-pending.png') });
  });

  await step('after crm-sync the appointment is in Radicale with the contact, and the form says Sent', async () => {
    const log = syncOnce(info);
    const objs = await calendarObjects(info.radicale);
    const mine = objs.filter((t) => t.includes('Browser site visit'));
    expect(mine.length === 1, `Radicale holds ${mine.length} copies\n${log.slice(-800)}`);
    expect(mine[0].toLowerCase().includes('john.smith@example.net'), 'John is not invited');
    await page.goto(apptUrl);
    const state = page.locator('div.push-state');
    expect((await state.getAttribute('class')).includes('done') && (await state.innerText()).includes('Sent to'),
      `state: ${await state.innerText()}`);
  });

  let sentUrl = '';
  await step('Reply from the message dialog opens compose with To, Re: and the quote, and sends', async () => {
    await page.goto(`${url}/calendar/day?date=${info.day}`);
    const link = page.locator(`a.item.email[href="/messages/${info.message}"]`);
    await link.click();
    const dlg = page.locator('dialog#message-dialog');
    await dlg.waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(shots, 'twoway-dialog-reply.png') });
    await Promise.all([page.waitForURL(/\/compose\?reply=/), dlg.locator('a.reply').click()]);
    expect(await page.inputValue('input[name=to]') === 'John Smith <john.smith@example.net>', `to ${await page.inputValue('input[name=to]')}`);
    expect(await page.inputValue('input[name=subject]') === 'Re: Gate code for Tuesday', 'subject');
    const body = await page.inputValue('textarea[name=body]');
    expect(body.includes('> what is the gate code?'), `body ${body}`);
    await page.locator('textarea[name=body]').fill('It is 4321.\n' + body);
    await Promise.all([page.waitForURL(/\/messages\/\d+$/), page.click('form.compose button[type=submit]')]);
    sentUrl = page.url();
    const state = page.locator('div.send-state');
    expect((await state.innerText()).includes('Sending...'), `state ${await state.innerText()}`);
    expect(await page.locator('section.thread-msg').count() === 2, 'the reply is not in the thread');
    await page.screenshot({ path: path.join(shots, 'twoway-sending.png') });
  });

  await step('after crm-sync the reply shows Sent', async () => {
    syncOnce(info);
    await page.goto(sentUrl);
    const state = page.locator('div.send-state');
    expect((await state.getAttribute('class')).includes('done') && (await state.innerText()).startsWith('Sent'),
      `state ${await state.innerText()}`);
    await page.screenshot({ path: path.join(shots, 'twoway-sent.png') });
  });

  if (problems.length) notOk('no console errors, page errors or 5xx responses', problems.join('\n'));
  else ok('no console errors, page errors or 5xx responses');
} finally {
  await browser.close();
  await stopServers(servers.child);
}
process.exit(failed ? 1 : 0);
