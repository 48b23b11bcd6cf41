// Browser test in headless Chromium (playwright-core): Maria opens Dave's Private calendar. His
// appointment shows as a Busy block with its time and nothing else (no title, no link, nothing
// happens on a click), his private mail is not there at all, and the day list says Busy only;
// once Dave shares his calendar with Maria, the same day shows the appointment. Any console or
// page error fails. A screenshot goes to <build>/screenshots/.
import path from 'node:path';
import { dbExec, expect, failed, launch, notOk, ok, shots, startStack, step, stopStack } from './harness.mjs';

let stack;
try {
  stack = await startStack('--seed', 'july');
  ok('the stack starts with July 2023 seeded');
} catch (e) {
  notOk('the stack starts with July 2023 seeded', e.message);
  process.exit(1);
}
const { url, ids } = stack.info;
const browser = await launch();
const problems = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(5000);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error on ${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 500) problems.push(`${r.status()} for ${r.url()}`); });

  await step('Maria logs in with the form', async () => {
    await page.goto(`${url}/login`);
    await page.fill('input[name=email]', 'maria@example.com');
    await page.fill('input[name=password]', 'demo');
    await Promise.all([page.waitForURL(/\/calendar/), page.press('input[name=password]', 'Enter')]);
  });

  const month = `${url}/calendar?month=2023-07&user=${ids.dave}`;
  await step("a Private colleague's appointment is a Busy block with its time only", async () => {
    await page.goto(month);
    await page.locator('table.month').waitFor();
    const cell = page.locator('td[data-date="2023-07-20"]');
    const busy = cell.locator('.item.busy');
    expect(await busy.count() === 1, `expected one Busy block, found ${await busy.count()}`);
    const text = await busy.innerText();
    expect(text.includes('Busy') && text.includes('11:30'), `Busy block reads "${text}"`);
    expect(await busy.evaluate((e) => !e.closest('a') && !e.querySelector('a')), 'the Busy block is a link');
    expect(await cell.locator('a.item').count() === 0, 'the day holds a link to an item');
    await page.screenshot({ path: path.join(shots, 'private-busy-1280.png'), fullPage: true });
  });

  await step('nothing of the private items is on the page, not even in its markup', async () => {
    const html = await page.content();
    for (const secret of ['Secret contract talk', 'Private pricing'])
      expect(!html.includes(secret), `"${secret}" is in the page`);
    expect(await page.locator(`a[href="/appointments/${ids.dave_appt}"]`).count() === 0, 'a link to the private appointment');
  });

  await step('a click on the Busy block opens nothing', async () => {
    const before = page.url();
    await page.locator('td[data-date="2023-07-20"] .item.busy').click();
    await page.waitForTimeout(300);
    expect(page.url() === before, `the click went to ${page.url()}`);
    expect(await page.locator('dialog[open]').count() === 0, 'a dialog opened');
  });

  await step('the day list says Busy and nothing more', async () => {
    await page.goto(`${url}/calendar/day?date=2023-07-20&user=${ids.dave}`);
    const text = await page.locator('main').innerText();
    expect(text.includes('Busy'), `no Busy in the day list: ${text.slice(0, 300)}`);
    for (const secret of ['Secret contract talk', 'Private pricing'])
      expect(!text.includes(secret), `"${secret}" is in the day list`);
  });

  await step('shared with Maria, the same day shows the appointment', async () => {
    const r = await page.request.get(`${url}/`);   // a request of Maria's session, for the cookie
    expect(r.status() < 500, 'the app is not up');
    await share(true);
    try {
      await page.goto(month);
      const cell = page.locator('td[data-date="2023-07-20"]');
      expect((await cell.innerText()).includes('Secret contract talk'), 'the shared appointment is not shown');
      expect(await cell.locator('.item.busy').count() === 0, 'still a Busy block once shared');
    } finally {
      await share(false);
    }
  });

  if (problems.length) notOk('no console errors, page errors or 5xx answers', problems.join('\n'));
  else ok('no console errors, page errors or 5xx answers');
} finally {
  await browser.close();
  await stopStack(stack.child);
}

// Dave's share of his calendar with Maria, written as Sync settings would (the sharing form is
// Dave's; the test only needs the row).
async function share(on) {
  const sql = on ? `INSERT OR IGNORE INTO calendar_shares VALUES (${ids.dave}, ${ids.maria})`
    : `DELETE FROM calendar_shares WHERE owner_id = ${ids.dave} AND viewer_id = ${ids.maria}`;
  dbExec(stack.info, sql);
}
process.exit(failed() ? 1 : 0);
