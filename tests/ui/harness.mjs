// Real parts for the UI tests and the demo's screenshots: a device database made with the real
// odolog, the real odologd serving the touch UI on a free loopback port (with a scanner on a
// pseudo-terminal), Debian's chromium through playwright-core, and the database read back with
// the sqlite3 shell. Binaries come from ODOLOG_BIN and ODOLOGD (ctest sets them).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(new URL('.', import.meta.url).pathname, '..', '..');
export const ODOLOG = process.env.ODOLOG_BIN || join(ROOT, 'build/firmware/odolog/odolog');
export const ODOLOGD = process.env.ODOLOGD || join(ROOT, 'build/firmware/odologd');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// The flags this machine's chromium needs: no sandbox as root, no GPU, nothing from outside.
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

/** A device database in a fresh directory, used through the real odolog. */
export class Device {
  constructor(user = 'alice') {
    this.dir = mkdtempSync(join(tmpdir(), 'odolog-ui-'));
    this.db = join(this.dir, 'odolog.db');
    this.user = user;
  }

  env(user) {
    return { ...process.env, ODOLOG_DB: this.db, ODOLOG_USER: user || this.user, TZ: process.env.TZ || 'UTC' };
  }

  /** Runs odolog; returns {code, stdout, stderr}. */
  odolog(args, user) {
    try {
      const stdout = execFileSync(ODOLOG, args, { env: this.env(user), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { code: 0, stdout, stderr: '' };
    } catch (e) {
      return { code: e.status, stdout: e.stdout || '', stderr: e.stderr || '' };
    }
  }

  ok(args, user) {
    const r = this.odolog(args, user);
    if (r.code !== 0) throw new Error(`odolog ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Rows of a query, as objects (the sqlite3 shell's JSON mode). */
  sql(query) {
    const out = execFileSync('sqlite3', ['-json', this.db, query], { encoding: 'utf8' });
    return out.trim() ? JSON.parse(out) : [];
  }

  remove() { rmSync(this.dir, { recursive: true, force: true }); }
}

/** odologd with the touch UI on a free port; with scanner true, a scanner on a pseudo-terminal
 *  (scan(text) types a scan into it). */
export class Daemon {
  static async start(device, { scanner = false, extra = [] } = {}) {
    const d = new Daemon();
    d.port = await freePort();
    d.url = `http://127.0.0.1:${d.port}`;
    d.log = '';
    const args = ['--db', device.db, '--interval', '3600', '--ui-port', String(d.port), ...extra];
    if (scanner) {
      d.pty = spawn('python3', [join(ROOT, 'tests/ui/ptyscanner.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
      const path = await new Promise((ok) => d.pty.stdout.once('data', (b) => ok(b.toString().trim())));
      args.push('--scanner', path, '--scanner-type', 'tty');
    }
    d.proc = spawn(ODOLOGD, args, { env: device.env(), stdio: ['ignore', 'ignore', 'pipe'] });
    d.proc.stderr.on('data', (b) => { d.log += b.toString(); });
    d.exited = new Promise((ok) => d.proc.on('exit', (code) => ok(code)));
    await d.waitLog(/touch UI at/, 20000);
    if (scanner) await d.waitLog(/reading VIN scans from/, 20000);
    return d;
  }

  async waitLog(re, ms) {
    const end = Date.now() + ms;
    while (!re.test(this.log)) {
      if (Date.now() > end || this.proc.exitCode !== null) throw new Error(`odologd log never matched ${re}:\n${this.log}`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
  }

  scan(text) { this.pty.stdin.write(text + '\n'); }

  /** SIGTERM; resolves to the exit code. */
  async stop() {
    if (this.pty) this.pty.stdin.end();
    this.proc.kill('SIGTERM');
    return this.exited;
  }
}

/** Debian's chromium, headless, through playwright-core (a fresh profile each time). */
export async function browser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** An 800x480 touch screen, the head unit's smallest. */
export async function touchScreen(b, theme) {
  return b.newContext({ viewport: { width: 800, height: 480 }, hasTouch: true, isMobile: false,
    deviceScaleFactor: 1, colorScheme: theme === 'night' ? 'dark' : 'light' });
}

/** Every screen a driver and a technician see, by name and path (edit and delete of fill-up id). */
export function screens(fillId) {
  return [['who', '/who'], ['fill-up', '/'], ['odometer', '/odometer'], ['due', '/due'],
    ['history', '/history'], ['stats', '/stats'], ['documents', '/renewals'], ['sync', '/sync'],
    ['vin', '/vin'], ['settings', '/settings'], ['edit-fill-up', `/fill/${fillId}`],
    ['delete-fill-up', `/delete/${fillId}`]];
}

/** Signs in as user on the who-is-driving screen by tapping their name. */
export async function signIn(page, base, user) {
  await page.goto(base + '/who');
  if (page.url() === base + '/') return; /* the only driver, without a PIN: no picking */
  await page.getByRole('button', { name: user, exact: true }).tap();
  await page.waitForURL(base + '/');
}

/** Screenshots of every screen in both themes into dir/day and dir/night, as an 800x480 screen
 *  shows them. */
export async function screenshotAll(b, base, user, fillId, dir) {
  for (const theme of ['day', 'night']) {
    const ctx = await touchScreen(b, theme);
    await ctx.addCookies([{ name: 'theme', value: theme, url: base }]);
    const page = await ctx.newPage();
    await signIn(page, base, user);
    for (const [name, path] of screens(fillId)) {
      await page.goto(base + path);
      await page.screenshot({ path: join(dir, theme, `${name}.png`) });
    }
    await ctx.close();
  }
}
