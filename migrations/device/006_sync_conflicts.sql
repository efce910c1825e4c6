-- What sync could not keep, where a person sees it (`odolog sync status`, docs/protocol.md,
-- "Collisions: a rule per constraint"): a local change the gateway refused, a local value that
-- gave way to a pulled row, a row merged into another one or dropped with its vehicle, a pulled
-- row set aside because it broke a rule nothing resolves. One entry per (user, table, row,
-- reason), the newest replacing an older one; the store keeps a bounded number per user.
--
-- vals: a JSON object of the values concerned (the local values that lost, or the values a row
-- set aside carried), so nothing is lost without a trace.

CREATE TABLE sync_conflicts (
  user_id TEXT NOT NULL,
  tbl     TEXT NOT NULL,
  row_id  TEXT NOT NULL,
  reason  TEXT NOT NULL,
  vals    TEXT CHECK (vals IS NULL OR json_valid(vals)),
  at      TEXT NOT NULL,
  PRIMARY KEY (user_id, tbl, row_id, reason)
) STRICT;
CREATE INDEX sync_conflicts_at ON sync_conflicts (user_id, at);
