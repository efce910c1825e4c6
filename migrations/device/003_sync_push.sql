-- Push bookkeeping for the engine of sync/client (docs/protocol.md).
--
-- sync_batches.manifest: the rows of a sealed batch, in the order of its body, one
-- "table id" line per row. Settling the answer needs only which row each result is for;
-- reading that from here rather than parsing the whole stored body again keeps a sync's memory
-- small (docs/PERFORMANCE.md). NULL for a batch sealed before this migration: its body is
-- parsed instead.
--
-- sync_users.acked: the highest revision the gateway gave this device for its own changes. A
-- pull sends it, and the gateway leaves out rows whose current version this device wrote at or
-- below it: the device already holds them, from its push answers.

ALTER TABLE sync_batches ADD COLUMN manifest TEXT;
ALTER TABLE sync_users ADD COLUMN acked INTEGER NOT NULL DEFAULT 0;
