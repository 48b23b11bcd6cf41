// Browser test in headless Chromium (playwright-core): the message dialog lists a mail's
// attachments; clicking one downloads it with its UTF-8 name and exact bytes, a small one from
// the app and a large one through nginx's internal location; an HTML attachment downloads and
// never renders; any console error or page error fails.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, failed, launch, notOk, ok, root, shots, startStack, step, stopStack } from './harness.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');

// Attachments added to the first message of the seeded thread, as crm-sync stores them.
const files = {
  pdf: { name: 'Angebot Müller.pdf', type: 'application/pdf', data: Buffer.from('%PDF-1.4\n%%EOF\n') },
  big: { name: 'site survey.bin', type: 'application/octet-stream', data: randomBytes(200 * 1024) },
  html: { name: 'page.html', type: 'text/html', data: Buffer.from('<script>document.title="owned"</script>') },
};

function addAttachments(info, msg) {
  const py = `
import json, os, sys
sys.path.insert(0, os.path.join(${JSON.stringify(root)}, "tests", "integration"))
import lib_db, lib_web
spec = json.load(sys.stdin)
db = lib_db.connect(${JSON.stringify(info.db)})
out = {}
for k, f in spec.items():
    out[k] = lib_web.add_attachment(db, os.path.join(${JSON.stringify(info.dir)}, "files"), ${msg},
                                    f["name"], f["type"], bytes.fromhex(f["hex"]))
print(json.dumps(out))`;
  const spec = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, { name: f.name, type: f.type, hex: f.data.toString('hex') }]));
  const r = spawnSync('python3', ['-c', py], { input: JSON.stringify(spec), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`adding attachments failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

let stack, ids;
try {
  stack = await startStack('--seed', 'july');
  ids = addAttachments(stack.info, stack.info.ids.thread_msgs[0]);
  ok('the stack starts with July 2023 seeded and a mail with attachments');
} catch (e) {
  notOk('the stack starts with July 2023 seeded and a mail with attachments', e.message);
  if (stack) await stopStack(stack.child);
  process.exit(1);
}
const { url } = stack.info;
const browser = await launch();
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(5000);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} for ${r.url()}`); });

  await page.goto(`${url}/login`);
  await page.fill('input[name=email]', 'demo@example.com');
  await page.fill('input[name=password]', 'demo');
  await Promise.all([page.waitForURL(/\/calendar/), page.press('input[name=password]', 'Enter')]);

  const dlg = page.locator('dialog#message-dialog');
  await step('the message dialog lists the attachments with name, type and size', async () => {
    await page.goto(`${url}/calendar?month=2023-07`);
    await page.locator('td[data-date="2023-07-12"] a.item.email', { hasText: 'Container swap request' }).click();
    await dlg.waitFor({ state: 'visible' });
    const items = dlg.locator('li.attachment');
    expect(await items.count() === 3, `${await items.count()} attachments listed`);
    const text = await dlg.locator('section.attachments').innerText();
    for (const f of Object.values(files)) expect(text.includes(f.name), `${f.name} not listed: ${text}`);
    expect(text.includes('200 KB') && text.includes('application/pdf'), text);
  });

  for (const [key, what] of [['pdf', 'a small PDF (the app sends it)'], ['big', 'a 200 KB file (nginx sends it)'],
    ['html', 'an HTML file (never rendered)']]) {
    await step(`${what}: a click downloads its exact bytes under its name`, async () => {
      const f = files[key];
      const link = dlg.locator(`a.download[href="/attachments/${ids[key]}"]`);
      const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
      expect(dl.suggestedFilename() === f.name, `saved as ${dl.suggestedFilename()}`);
      const got = readFileSync(await dl.path());
      expect(sha(got) === sha(f.data), `bytes differ: ${got.length} vs ${f.data.length}`);
      expect(page.url().includes('/calendar'), `navigated to ${page.url()}`);
      expect(await page.title() !== 'owned', 'the HTML attachment ran');
    });
  }

  await step('opening the HTML attachment in a tab renders nothing of it', async () => {
    const tab = await context.newPage();
    let downloaded = false;
    tab.on('download', () => { downloaded = true; });
    await tab.goto(`${url}/attachments/${ids.html}?inline=1`).catch(() => {});
    await tab.waitForTimeout(300);
    const title = await tab.title().catch(() => '');
    expect(title !== 'owned', 'the script ran');
    expect(downloaded, 'it was not handled as a download');
    await tab.close();
  });

  if (problems.length) notOk('no console errors, page errors or 5xx responses', problems.join('\n'));
  else ok('no console errors, page errors or 5xx responses');
} finally {
  await browser.close();
  await stopStack(stack.child);
}
process.exit(failed() ? 1 : 0);
