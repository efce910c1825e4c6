// The head unit's touch UI in Debian's chromium, as a driver and a technician use it: an
// 800x480 touch screen, fill-ups entered by tapping the on-screen keypad, the rows and their
// outbox entries read back from the SQLite file, the CLI's refusals shown beside their fields,
// scans from a scanner on a pseudo-terminal, cross-site requests refused, every screen checked
// with axe-core in both themes and kept as a screenshot (ODO_UI_SHOTS, in the build folder).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Daemon, Device, ODOLOGD, browser, screens, signIn, touchScreen } from './harness.mjs';

const VIN = '1FTFW5L86RFB45612';
const SHOTS = process.env.ODO_UI_SHOTS || join(process.cwd(), 'screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let dev, daemon, b, ctx, page;
const consoleErrors = [];

function day(offset) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

before(async () => {
  dev = new Device('alice');
  dev.ok(['init', '--units', 'metric']);
  dev.ok(['init', '--units', 'us'], 'bob'); // a second driver: someone has to pick
  dev.ok(['vehicle', 'add', '--name', 'Golf']);
  dev.ok(['fuel', 'add', '--odometer', '1000', '--volume', '40', '--price', '1.8', '--station',
    'Shell', '--date', day(-3)]);
  dev.ok(['maint', 'add', '--type', 'oil_change', '--due-date', day(-1)]);
  dev.ok(['maint', 'add', '--type', 'inspection', '--due-date', day(200)]);
  dev.ok(['renewal', 'add', '--kind', 'insurance', '--until', day(20), '--number', 'POL-1']);
  daemon = await Daemon.start(dev, { scanner: true });
  b = await browser();
  ctx = await touchScreen(b, 'day');
  page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
});

after(async () => {
  if (process.exitCode) console.error(daemon?.log);
  await b?.close();
  if (daemon) assert.equal(await daemon.stop(), 0, 'odologd stops cleanly on SIGTERM');
  dev?.remove();
});

/** Taps the field labelled `label`, then the keypad's keys for `keys`. */
async function tapKeys(label, keys) {
  await page.getByLabel(label, { exact: true }).tap();
  for (const k of keys) await page.locator(`.keypad button[data-key="${k}"]`).tap();
}

function newestFill() {
  return dev.sql('SELECT * FROM fuel_logs WHERE deleted_at IS NULL ORDER BY filled_at DESC, odometer DESC LIMIT 1')[0];
}

function outboxOf(table, id) {
  return dev.sql(`SELECT cols FROM outbox WHERE tbl = '${table}' AND row_id = '${id}'`);
}

/** The console errors so far that match re, removed from the list (expected ones). */
function takeConsole(re) {
  const hits = consoleErrors.filter((e) => re.test(e));
  for (const h of hits) consoleErrors.splice(consoleErrors.indexOf(h), 1);
  return hits;
}

test('a driver picks who is driving, then logs a full fill-up by tapping, with the last price and station offered', async () => {
  await page.goto(daemon.url + '/');
  assert.equal(new URL(page.url()).pathname, '/who');
  await page.getByRole('button', { name: 'alice', exact: true }).tap();
  await page.waitForURL(daemon.url + '/');
  for (const label of ['Odometer', 'Volume', 'Price per unit', 'Total', 'Full tank', 'Missed previous fill-up'])
    assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `a field labelled ${label}`);
  assert.equal(await page.getByLabel('Price per unit', { exact: true }).inputValue(), '1.8');
  assert.equal(await page.getByLabel('Station', { exact: true }).inputValue(), 'Shell');
  assert.equal(await page.getByLabel('Vehicle').inputValue(), dev.sql('SELECT id FROM vehicles')[0].id);
  assert.ok(await page.getByLabel('Full tank', { exact: true }).isChecked());
  await tapKeys('Odometer', '1500.5');
  await page.locator('.keypad button[data-key="next"]').tap();
  for (const k of '40.5') await page.locator(`.keypad button[data-key="${k}"]`).tap();
  assert.equal(await page.getByLabel('Total', { exact: true }).getAttribute('placeholder'), '72.90');
  await page.getByRole('button', { name: 'Save', exact: true }).tap();
  await page.waitForURL(daemon.url + '/history');
  await page.getByText('Saved fill-up: 40.5 L at 1500.5 km').waitFor();
  const f = newestFill();
  assert.deepEqual([f.odometer, f.volume, f.volume_unit, f.unit_price, f.total_cost, f.currency, f.is_full, f.missed, f.station],
    [15005, 40500, 'L', 1800, 7290, 'EUR', 1, 0, 'Shell']);
  assert.equal(outboxOf('fuel_logs', f.id).length, 1, 'the fill-up waits in the outbox');
});

test('a partial fill and a fill after a missed one are stored as such, a typed total beating the offered price', async () => {
  await page.goto(daemon.url + '/');
  await tapKeys('Odometer', '1800');
  await tapKeys('Volume', '20');
  await tapKeys('Total', '37.00');
  await page.getByLabel('Full tank', { exact: true }).tap();
  await page.getByRole('button', { name: 'Save', exact: true }).tap();
  await page.getByText('Saved fill-up: 20 L at 1800 km, partial').waitFor();
  const partial = newestFill();
  assert.deepEqual([partial.is_full, partial.missed, partial.total_cost, partial.unit_price], [0, 0, 3700, 1850]);
  assert.equal(outboxOf('fuel_logs', partial.id).length, 1);

  await page.goto(daemon.url + '/');
  await tapKeys('Odometer', '2500');
  await tapKeys('Volume', '45');
  await page.getByLabel('Missed previous fill-up', { exact: true }).tap();
  await page.getByRole('button', { name: 'Save', exact: true }).tap();
  await page.getByText('Saved fill-up: 45 L at 2500 km, after a missed fill-up').waitFor();
  const missed = newestFill();
  assert.deepEqual([missed.is_full, missed.missed, missed.unit_price], [1, 1, 1850]);
  assert.equal(outboxOf('fuel_logs', missed.id).length, 1);
  const kinds = await page.locator('table.history tbody tr td:nth-child(7)').allTextContents();
  assert.deepEqual(kinds.slice(0, 2), ['missed', 'partial']);
});

test('an odometer going backwards is refused beside the field, in the words of the CLI, and nothing is stored', async () => {
  const before = dev.sql('SELECT count(*) AS n FROM fuel_logs')[0].n;
  const queued = dev.sql('SELECT count(*) AS n FROM outbox')[0].n;
  await page.goto(daemon.url + '/');
  await tapKeys('Odometer', '900');
  await tapKeys('Volume', '10');
  await page.getByRole('button', { name: 'Save', exact: true }).tap();
  const error = page.locator('#e-odometer');
  await error.waitFor();
  const cli = dev.odolog(['fuel', 'add', '--odometer', '900', '--volume', '10']);
  assert.equal(cli.code, 2);
  assert.equal(`odolog: ${await error.textContent()}\n`, cli.stderr);
  assert.equal(await page.getByLabel('Odometer', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Odometer', { exact: true }).inputValue(), '900', 'what was typed stays');
  assert.equal(dev.sql('SELECT count(*) AS n FROM fuel_logs')[0].n, before);
  assert.equal(dev.sql('SELECT count(*) AS n FROM outbox')[0].n, queued);
  assert.equal(takeConsole(/status of 422/).length, 1, 'the refusal is a 422');
  await page.getByLabel('Volume', { exact: true }).fill('abc');
  await page.getByLabel('Odometer', { exact: true }).fill('3000');
  await page.getByRole('button', { name: 'Save', exact: true }).tap();
  const cli2 = dev.odolog(['fuel', 'add', '--odometer', '3000', '--volume', 'abc']);
  assert.equal(`odolog: ${await page.locator('#e-volume').textContent()}\n`, cli2.stderr);
  takeConsole(/status of 422/);
});

test('"Done" on an overdue item, listed first, records the service', async () => {
  await page.goto(daemon.url + '/due');
  const first = page.locator('li.due').first();
  assert.match(await first.textContent(), /Overdue.*oil_change/);
  await first.getByRole('button', { name: /^Done/ }).tap();
  await page.getByText('Recorded oil_change; it does not recur').waitFor();
  const rec = dev.sql('SELECT s.id, m.type FROM service_records s JOIN maintenance m ON m.id = s.maintenance_id');
  assert.deepEqual(rec.map((r) => r.type), ['oil_change']);
  assert.equal(outboxOf('service_records', rec[0].id).length, 1);
  assert.doesNotMatch(await page.locator('main').textContent(), /Overdue/);
});

test('a fill-up is edited (a new total recomputes the price) and deleted from the history', async () => {
  const f = newestFill();
  await page.goto(daemon.url + '/history');
  await page.locator(`a[href="/fill/${f.id}"]`).tap();
  await page.getByLabel('Total', { exact: true }).fill('90');
  await page.getByRole('button', { name: 'Save', exact: true }).tap();
  await page.getByText('Updated fill-up').waitFor();
  const edited = dev.sql(`SELECT total_cost, unit_price, volume FROM fuel_logs WHERE id = '${f.id}'`)[0];
  assert.deepEqual(edited, { total_cost: 9000, unit_price: 2000, volume: 45000 });
  await page.locator(`a[href="/fill/${f.id}"]`).tap();
  await page.getByRole('link', { name: 'Delete' }).tap();
  await page.getByRole('button', { name: 'Delete' }).tap();
  await page.getByText('Fill-up deleted.').waitFor();
  assert.notEqual(dev.sql(`SELECT deleted_at FROM fuel_logs WHERE id = '${f.id}'`)[0].deleted_at, null);
  assert.match(outboxOf('fuel_logs', f.id)[0].cols, /deleted_at|\*/);
});

test('a VIN is checked as it is typed, in the words of the CLI', async () => {
  await page.goto(daemon.url + '/vin');
  await page.getByLabel('VIN', { exact: true }).pressSequentially('1FTFW5L86RFB45613');
  const why = page.locator('#vin-why');
  await why.waitFor();
  const cli = dev.odolog(['vin', 'check', '1FTFW5L86RFB45613']);
  assert.ok(cli.stdout.includes(await why.textContent()), `${cli.stdout} says what the page says`);
  await page.getByLabel('VIN', { exact: true }).fill(VIN);
  await page.getByText(`${VIN} is a valid VIN.`).waitFor();
});

test('a scan from the pseudo-terminal scanner appears on the VIN screen as it happens, and registers the vehicle when confirmed', async () => {
  await page.goto(daemon.url + '/vin');
  await page.evaluate(() => { window.sameDocument = true; });
  daemon.scan('NOT-A-VIN');
  await page.locator('#scans').getByText('Not a VIN').waitFor();
  daemon.scan(VIN);
  const card = page.locator('#scans li.scan').filter({ hasText: VIN });
  await card.getByText('F-150').waitFor();
  assert.equal(await page.evaluate(() => window.sameDocument), true, 'the scan arrived without a reload');
  assert.match(await card.textContent(), /Ford.*F-150.*2024|2024.*Ford.*F-150/s);
  assert.equal(dev.sql(`SELECT count(*) AS n FROM vehicles WHERE vin = '${VIN}'`)[0].n, 0, 'nothing registered before the confirmation');
  await card.getByRole('button', { name: `Register ${VIN}` }).tap();
  await page.getByRole('status').getByText(`Registered ${VIN} as '2024 Ford F-150' for alice`).waitFor();
  assert.match(await page.locator('#scans').textContent(), /Registered/, 'the scan card says so too');
  const v = dev.sql(`SELECT id, user_id, make, model, model_year FROM vehicles WHERE vin = '${VIN}'`);
  assert.deepEqual(v.map((x) => [x.user_id, x.make, x.model, x.model_year]), [['alice', 'Ford', 'F-150', 2024]]);
  assert.equal(outboxOf('vehicles', v[0].id).length, 1);
});

/** A raw HTTP request to the UI (headers as given, no browser rules). */
function raw(method, path, headers, body) {
  return new Promise((ok, fail) => {
    const req = request(daemon.url + path, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode));
    });
    req.on('error', fail);
    req.end(body);
  });
}

test('requests from another origin, without the token or for another host name change nothing', async () => {
  const cookie = (await ctx.cookies()).find((c) => c.name === 'odo');
  await page.goto(daemon.url + '/');
  const csrf = await page.locator('input[name="csrf"]').first().inputValue();
  const host = `127.0.0.1:${daemon.port}`;
  const form = `csrf=${csrf}&odometer=5000&volume=10&vehicle=${dev.sql('SELECT id FROM vehicles LIMIT 1')[0].id}`;
  const base = { Cookie: `odo=${cookie.value}`, 'Content-Type': 'application/x-www-form-urlencoded', Host: host };
  const count = () => dev.sql('SELECT count(*) AS n FROM fuel_logs')[0].n;
  const n = count();
  assert.equal(await raw('POST', '/fill', { ...base, Origin: 'http://evil.example' }, form), 403);
  assert.equal(await raw('POST', '/fill', { ...base, 'Sec-Fetch-Site': 'cross-site' }, form), 403);
  assert.equal(await raw('POST', '/fill', { ...base, Origin: `http://${host}` }, form.replace(/csrf=\w+/, 'csrf=0')), 403);
  assert.equal(await raw('POST', '/fill', { ...base, Origin: `http://${host}`, 'Content-Type': 'text/plain' }, form), 403);
  assert.equal(await raw('GET', '/', { Host: `evil.example:${daemon.port}` }), 421, 'DNS rebinding');
  assert.equal(count(), n);
  assert.equal(await raw('POST', '/fill', { ...base, Origin: `http://${host}` }, form), 303, 'the same request from the page is taken');
  assert.equal(count(), n + 1);
  const open = spawnSync(ODOLOGD, ['--db', dev.db, '--ui-port', '1', '--ui-listen', '0.0.0.0'], { encoding: 'utf8' });
  assert.equal(open.status, 1);
  assert.match(open.stderr, /--ui-pairing-file/);
});

test('every screen, day and night, fits 800x480 with touch targets of 48 px, passes axe-core, and is kept as a screenshot', async () => {
  const fill = newestFill().id;
  const problems = [];
  for (const theme of ['day', 'night']) {
    const c = await touchScreen(b, theme);
    await c.addCookies([{ name: 'theme', value: theme, url: daemon.url }]);
    const p = await c.newPage();
    p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${theme}: ${m.text()}`); });
    p.on('pageerror', (e) => consoleErrors.push(String(e)));
    await signIn(p, daemon.url, 'alice');
    for (const [name, path] of screens(fill)) {
      await p.goto(daemon.url + path);
      assert.equal(await p.evaluate(() => document.documentElement.dataset.theme), theme);
      await p.screenshot({ path: join(SHOTS, theme, `${name}.png`) });
      const small = await p.evaluate(() => Array.from(document.querySelectorAll(
        'button, a, input:not([type=hidden]):not([type=checkbox]), select, label.check, summary'))
        .filter((e) => e.offsetParent !== null && !e.closest('p, td small, dd, .notice, figcaption'))
        .map((e) => [e.textContent.trim() || e.name || e.id, e.getBoundingClientRect()])
        .filter(([, r]) => r.height < 48 || r.width < 48).map(([t, r]) => `${t} ${Math.round(r.width)}x${Math.round(r.height)}`));
      if (small.length) problems.push(`${theme} ${name}: small targets ${small.join(', ')}`);
      if (await p.evaluate(() => document.documentElement.scrollWidth > 800))
        problems.push(`${theme} ${name}: wider than 800 px`);
      await p.evaluate(AXE);
      const v = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      for (const x of v.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical'))
        problems.push(`${theme} ${name}: ${x.id} (${x.impact}) ${x.nodes.map((n) => n.target.join(' ')).join('; ')}`);
    }
    await c.close();
  }
  assert.deepEqual(problems, []);
});

test('no page wrote an error to the console', () => {
  assert.deepEqual(consoleErrors, []);
});
