// Browser test in headless Chromium (playwright-core): a file attached in Compose (the file
// input of the multipart form) is listed on the Sent message the form leads to and downloads
// byte for byte; after crm-sync --once the mail the SMTP sink received carries it; a file over
// the limit gives the form back with a sentence naming the limit. Any console error, page error
// or 5xx fails.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { bin, expect, failed, launch, notOk, ok, root, shots, step } from './harness.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');

const SERVE = String.raw`
import json, os, re, shutil, sys, tempfile
root = os.environ["CRM_ROOT"]
sys.path.insert(0, os.path.join(root, "tests", "integration"))
sys.path.insert(0, os.path.join(root, "tests", "fakes"))
import lib_web as w
from lib_dovecot import Dovecot
from smtp_sink import SmtpSink
tmp = tempfile.mkdtemp(prefix="crm-browser-send-")
st = w.Stack(bin_dir=os.environ["CRM_BIN"], extra_core="\n[web]\nsend_file_max_mb = 1\n")
sink = SmtpSink(os.path.join(tmp, "smtp"), "demo", "secret")
dc = None
try:
    st.start()
    db = st.db()
    sink_port = sink.start()
    dc = Dovecot({"demo": "secret"})
    dc.start()
    st.allow("127.0.0.1:%d" % sink_port, "127.0.0.1:%d" % dc.port)
    out = st.ctl("link-imap", "demo@example.com", "--imap-host", "127.0.0.1", "--imap-port",
                 str(dc.port), "--username", "demo", input="secret\n")
    link = int(re.search(r"link (\d+) added", out).group(1))
    db.execute("UPDATE links SET settings = json_set(settings, '$.smtp_host', '127.0.0.1',"
               " '$.smtp_port', ?, '$.smtp_tls', 'starttls') WHERE id = ?", (sink_port, link))
    john, acct = w.contact(db, "john.smith@example.net")
    print(json.dumps({"url": st.url, "conf": st.conf, "dir": st.dir, "john": john,
                      "sink": sink.folder}), flush=True)
    sys.stdin.read()
finally:
    if dc:
        dc.stop()
    sink.stop()
    st.stop()
    for p in st.problems():
        print("problem: " + p, file=sys.stderr)
    shutil.rmtree(tmp, ignore_errors=True)
`;

// The attachments of every mail the sink received: [[{name, sha256, size}]].
const DELIVERED = String.raw`
import email, email.policy, hashlib, json, os, sys
folder = sys.argv[1]
out = []
for n in sorted(os.listdir(folder)):
    if n.startswith("msg-") and n.endswith(".json"):
        m = email.message_from_string(json.load(open(os.path.join(folder, n)))["data"],
                                      policy=email.policy.default)
        out.append([{"name": p.get_filename(), "sha256": hashlib.sha256(p.get_payload(decode=True)).hexdigest(),
                     "size": len(p.get_payload(decode=True))} for p in m.iter_attachments()])
print(json.dumps(out))`;

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

const files = [
  { name: 'Angebot Müller.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(200 * 1024)]) },
  { name: 'photo.png', mimeType: 'image/png', buffer: randomBytes(3000) },
];

let servers;
try {
  servers = await startServers();
  ok('the stack, Dovecot and the SMTP sink start; the demo mailbox is linked');
} catch (e) {
  notOk('the stack, Dovecot and the SMTP sink start; the demo mailbox is linked', e.message);
  process.exit(1);
}
const info = servers.info;
const url = info.url;
const browser = await launch();
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  let refusing = false;   // the form given back with its errors answers 400, as it should
  page.on('console', (m) => {
    if (m.type() === 'error' && !(refusing && m.text().includes('status of 400'))) problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} for ${r.url()}`); });

  await step('log in', async () => {
    await page.goto(`${url}/login`);
    await page.fill('input[name=email]', 'demo@example.com');
    await page.fill('input[name=password]', 'demo');
    await Promise.all([page.waitForURL(/\/calendar/), page.press('input[name=password]', 'Enter')]);
    syncOnce(info);
  });

  await step('a file over the limit gives the form back with the limit named and what was typed kept', async () => {
    await page.goto(`${url}/compose?contact=${info.john}`);
    await page.fill('input[name=subject]', 'Too large');
    await page.setInputFiles('input[type=file][name=file]', [{ name: 'huge.zip', mimeType: 'application/zip', buffer: randomBytes(1024 * 1024 + 1) }]);
    refusing = true;
    const [resp] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/compose') && r.request().method() === 'POST'),
      page.click('form.compose button[type=submit]')]);
    await page.waitForLoadState('load');
    refusing = false;
    expect(resp.status() === 400, `status ${resp.status()}`);
    const err = await page.locator('p.error').allInnerTexts();
    expect(err.some((t) => t.includes('huge.zip') && t.includes('larger than the 1 MB')), `errors: ${err}`);
    expect(await page.inputValue('input[name=subject]') === 'Too large', 'the subject was lost');
  });

  let sentUrl = '';
  await step('files attached in Compose are listed on the Sent message with name and size', async () => {
    await page.goto(`${url}/compose?contact=${info.john}`);
    await page.fill('input[name=subject]', 'Quote and photo');
    await page.locator('textarea[name=body]').fill('Both files attached.');
    await page.setInputFiles('input[type=file][name=file]', files);
    await page.screenshot({ path: path.join(shots, 'send-attachments-compose.png') });
    await Promise.all([page.waitForURL(/\/messages\/\d+$/), page.click('form.compose button[type=submit]')]);
    sentUrl = page.url();
    const items = page.locator('li.attachment');
    expect(await items.count() === 2, `${await items.count()} attachments listed`);
    const text = await page.locator('section.attachments').innerText();
    for (const f of files) expect(text.includes(f.name), `${f.name} not listed: ${text}`);
    expect(text.includes('application/pdf') && text.includes('KB'), text);
    await page.screenshot({ path: path.join(shots, 'send-attachments-sent.png') });
  });

  await step('a click on a listed file downloads its exact bytes under its name', async () => {
    for (const f of files) {
      const [dl] = await Promise.all([page.waitForEvent('download'),
        page.locator('a.download', { hasText: f.name }).click()]);
      expect(dl.suggestedFilename() === f.name, `name ${dl.suggestedFilename()}`);
      const got = readFileSync(await dl.path());
      expect(sha(got) === sha(f.buffer), `${f.name}: ${got.length} bytes, not the ${f.buffer.length} attached`);
    }
  });

  await step('after crm-sync the delivered mail carries both files byte for byte and the message still lists them', async () => {
    const log = syncOnce(info);
    const r = spawnSync('python3', ['-c', DELIVERED, info.sink], { encoding: 'utf8' });
    expect(r.status === 0, r.stderr);
    const got = JSON.parse(r.stdout);
    expect(got.length === 1, `${got.length} mails delivered\n${log.slice(-800)}`);
    expect(JSON.stringify(got[0]) === JSON.stringify(files.map((f) => ({ name: f.name, sha256: sha(f.buffer), size: f.buffer.length }))),
      `delivered ${JSON.stringify(got[0])}`);
    await page.goto(sentUrl);
    expect(await page.locator('li.attachment').count() === 2, 'the Sent message lost its files');
    expect((await page.locator('div.send-state').innerText()).startsWith('Sent'), await page.locator('div.send-state').innerText());
  });

  if (problems.length) notOk('no console errors, page errors or 5xx responses', problems.join('\n'));
  else ok('no console errors, page errors or 5xx responses');
} finally {
  await browser.close();
  await stopServers(servers.child);
}
process.exit(failed() ? 1 : 0);
