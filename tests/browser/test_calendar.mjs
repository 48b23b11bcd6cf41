// Browser test in headless Chromium (playwright-core): log in, open a month, open an email in
// the dialog and close it, edit an appointment's note and save; any console error or page error
// fails. Screenshots at 1280 px and 400 px go to <build>/screenshots/ (build = dirname of CRM_BIN).
import path from 'node:path';
import { expect, failed, launch, notOk, ok, root, shots, startStack, step, stopStack } from './harness.mjs';

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

  await step('the login page renders and logs in with the form', async () => {
    await page.goto(`${url}/login`);
    await page.screenshot({ path: path.join(shots, 'login-1280.png') });
    await page.fill('input[name=email]', 'demo@example.com');
    await page.fill('input[name=password]', 'demo');
    await Promise.all([page.waitForURL(/\/calendar/), page.press('input[name=password]', 'Enter')]);
    await page.locator('header.topbar button.profile').waitFor();
  });

  await step('the profile menu opens from the top bar', async () => {
    await page.click('header.topbar button.profile');
    await page.locator('header.topbar a[href="/settings/sync"]').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
  });

  await step('a month shows its grid with appointments and emails', async () => {
    await page.goto(`${url}/calendar?month=2023-07`);
    await page.locator('table.month').waitFor();
    expect((await page.locator('h1').first().innerText()).includes('July 2023'), 'h1 is not July 2023');
    const appt = page.locator('td[data-date="2023-07-31"] a.item.appt');
    expect(await appt.count() >= 1, 'no appointment on 2023-07-31');
    await page.screenshot({ path: path.join(shots, 'month-1280.png'), fullPage: true });
  });

  await step('clicking an email subject opens the message in a dialog, and it closes', async () => {
    const mail = page.locator('td[data-date="2023-07-12"] a.item.email', { hasText: 'Container swap request' });
    await mail.click();
    const dlg = page.locator('dialog#message-dialog');
    await dlg.waitFor({ state: 'visible' });
    await dlg.locator('article.message').waitFor();
    expect((await dlg.innerText()).includes('Can we swap the 20 yd container?'), 'the first message body is not in the dialog');
    expect((await dlg.locator('section.thread-msg').count()) === 2, 'the dialog does not hold the whole thread');
    expect(page.url().includes('/calendar'), `the click navigated away to ${page.url()}`);
    await page.screenshot({ path: path.join(shots, 'message-dialog-1280.png') });
    const close = dlg.locator('button', { hasText: /close/i });
    if (await close.count()) await close.first().click(); else await page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'hidden' });
  });

  await step('the hostile subject shows as text and runs nothing', async () => {
    const hostile = page.locator('td[data-date="2023-07-06"] a.item.email');
    expect((await hostile.first().innerText()).includes('<img src=x onerror=alert(1)> Invoice'), 'subject not shown as text');
    expect(await page.locator('td[data-date="2023-07-06"] img').count() === 0, 'the subject became an <img>');
  });

  await step('an appointment opens, its note saves and "Saved" shows', async () => {
    await page.locator(`td[data-date="2023-07-31"] a.item.appt[href="/appointments/${ids.appt}"]`).click();
    const form = page.locator('form.appointment');
    await form.waitFor();
    await page.screenshot({ path: path.join(shots, 'appointment-1280.png'), fullPage: true });
    await form.locator('[name=note]').fill('Bring the new rate sheet\nand the contract');
    const save = form.locator('button[type=submit], input[type=submit]').filter({ hasText: /save/i });
    const btn = (await save.count()) ? save.first() : form.locator('button[type=submit], input[type=submit]').first();
    await Promise.all([page.waitForURL(/saved=1/), btn.click()]);
    await page.locator('p.notice', { hasText: 'Saved' }).waitFor();
    expect((await page.locator('form.appointment [name=note]').inputValue()).includes('and the contract'), 'note not kept after save');
  });

  await step('an imported appointment shows its provider fields read-only', async () => {
    await page.goto(`${url}/appointments/${ids.imported}`);
    const title = page.locator('form.appointment [name=title]');
    expect(!(await title.isEditable()), 'title is editable');
    expect(await page.locator('form.appointment [name=note]').isEditable(), 'note is not editable');
  });

  await step('the account calendar shows its header', async () => {
    await page.goto(`${url}/accounts/48958001/calendar?week=2023-07-30`);
    await page.locator('section.account-header').waitFor();
    await page.screenshot({ path: path.join(shots, 'account-1280.png'), fullPage: true });
  });

  await step('the day list shows every item', async () => {
    await page.goto(`${url}/calendar/day?date=2023-07-18`);
    await page.locator('table.day-events').waitFor();
    await page.screenshot({ path: path.join(shots, 'day-1280.png'), fullPage: true });
  });

  // Phone width: nothing wider than the screen, and the same pages still work.
  await step('pages fit a 400 px wide screen', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    const wide = [];
    for (const [name, p] of [['month', '/calendar?month=2023-07'], ['appointment', `/appointments/${ids.appt}`],
      ['account', '/accounts/48958001/calendar?week=2023-07-30'], ['day', '/calendar/day?date=2023-07-18'],
      ['message', `/messages/${ids.thread_msgs[0]}`]]) {
      await page.goto(url + p);
      await page.screenshot({ path: path.join(shots, `${name}-400.png`), fullPage: true });
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      if (w > 402) wide.push(`${name} is ${w} px wide`);
    }
    await page.goto(`${url}/calendar?month=2023-07`);
    const mail = page.locator('td[data-date="2023-07-12"] a.item.email', { hasText: 'Container swap request' });
    await mail.click();
    await page.locator('dialog#message-dialog').waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(shots, 'message-dialog-400.png') });
    expect(wide.length === 0, wide.join('; '));
  });

  await step('the month is keyboard reachable (Tab reaches an appointment link)', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${url}/calendar?month=2023-07`);
    let found = false;
    for (let i = 0; i < 80 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate(() => document.activeElement && document.activeElement.matches('a.item.appt'));
    }
    expect(found, 'no a.item.appt reached within 80 Tab presses');
  });

  await step('logging out from the menu returns to the login page', async () => {
    await page.click('header.topbar button.profile');
    const out = page.locator('header.topbar form[action="/logout"] button, header.topbar form[action="/logout"] input[type=submit]');
    await Promise.all([page.waitForURL(/\/login/), out.first().click()]);
  });

  if (problems.length) notOk('no console errors, page errors or 5xx responses', problems.join('\n'));
  else ok('no console errors, page errors or 5xx responses');
} finally {
  await browser.close();
  await stopStack(stack.child);
}
console.log(`# screenshots in ${shots}`);
process.exit(failed() ? 1 : 0);
