-- Sync state for the engine of sync/client (docs/protocol.md).
--
-- sync_state.next_batch of 001 is unused: batches are numbered per user, because the gateway
-- keeps its exactly-once record per (device, user).

ALTER TABLE sync_users ADD COLUMN token TEXT;                          -- the user's JWT
ALTER TABLE sync_users ADD COLUMN next_batch INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sync_users ADD COLUMN swept INTEGER NOT NULL DEFAULT 0;    -- watermark reconciled to
ALTER TABLE sync_users ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;  -- changes refused so far
ALTER TABLE sync_users ADD COLUMN last_refusal TEXT;

-- A push batch, stored before it is sent so that a retry sends the same batch (without the
-- token, which is added when sending). Deleted with its outbox entries when the answer lands.
CREATE TABLE sync_batches (
  user_id    TEXT NOT NULL,
  batch      INTEGER NOT NULL,
  body       TEXT NOT NULL,
  rows       INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (user_id, batch)
) STRICT;

-- Device-wide sync settings: gateway URL, DTLS pre-shared key, CA file.
CREATE TABLE sync_config (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Ids of live rows the gateway listed during a reconcile, until the sweep.
CREATE TABLE sync_seen (
  user_id TEXT NOT NULL,
  tbl     TEXT NOT NULL,
  row_id  TEXT NOT NULL,
  PRIMARY KEY (user_id, tbl, row_id)
) STRICT, WITHOUT ROWID;
