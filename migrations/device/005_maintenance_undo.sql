-- Undoing a completion. 'odolog maint done' moves an item's schedule on (last done, next due);
-- removing the service record it made puts the schedule back as it was before. What it was is
-- kept here, one row per completion, on this device only: it is no synced data (a completion
-- made on another device is undone from the item's remaining service records instead).

CREATE TABLE maintenance_undo (
  service_id         TEXT PRIMARY KEY REFERENCES service_records (id),
  maintenance_id     TEXT NOT NULL REFERENCES maintenance (id),
  due_date           TEXT,
  due_odometer       INTEGER,
  last_done_date     TEXT,
  last_done_odometer INTEGER
) STRICT;
CREATE INDEX maintenance_undo_item ON maintenance_undo (maintenance_id);
