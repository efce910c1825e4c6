// Screenshots of every screen of a running touch UI, in both themes, as an 800x480 head unit
// shows them (the demo's; the browser tests take their own).
//   node tests/ui/shots.mjs URL USER DB OUTDIR
import { execFileSync } from 'node:child_process';
import { browser, screenshotAll } from './harness.mjs';

const [url, user, db, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node tests/ui/shots.mjs URL USER DB OUTDIR');
  process.exit(1);
}
const fill = execFileSync('sqlite3', [db, `SELECT id FROM fuel_logs WHERE user_id = '${user.replace(/'/g, "''")}' AND deleted_at IS NULL ORDER BY filled_at DESC LIMIT 1`], { encoding: 'utf8' }).trim();
const b = await browser();
try {
  await screenshotAll(b, url.replace(/\/$/, ''), user, fill, out);
} finally {
  await b.close();
}
