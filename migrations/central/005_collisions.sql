-- A rule for every natural key (docs/protocol.md, "Collisions: a rule per constraint").
--
-- Maintenance items are merged like VINs: one live item per vehicle and type. A new item of a
-- type its vehicle already has becomes an alias of the existing one (maintenance_aliases), and
-- whatever arrives naming the alias is re-pointed. Duplicates that exist already are merged
-- here first: per (vehicle, type) the oldest live item (UUIDv7 ids order by creation) stays,
-- the others become its aliases and tombstones, and their service records move to it. Each row
-- changed takes a new revision so that every device pulls the merge.
--
-- The multi-column rules the devices check are checked here too (NOT VALID: rows written
-- before are not re-checked), so a merge that would break one is refused for that change alone.

-- Foreign keys checked as each statement runs: an index cannot be built on a table with checks
-- still pending in the transaction.
SET CONSTRAINTS ALL IMMEDIATE;

CREATE TABLE maintenance_aliases (
  alias_id     uuid PRIMARY KEY,
  canonical_id uuid NOT NULL REFERENCES maintenance (id),
  user_id      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

INSERT INTO maintenance_aliases (alias_id, canonical_id, user_id)
SELECT id, canonical, user_id FROM (
  SELECT id, user_id,
         first_value(id) OVER (PARTITION BY vehicle_id, type ORDER BY id) AS canonical
  FROM maintenance WHERE deleted_at IS NULL) d
WHERE id <> canonical;

UPDATE service_records s SET maintenance_id = a.canonical_id, rev = nextval('rev_seq'),
       origin = NULL
FROM maintenance_aliases a WHERE s.maintenance_id = a.alias_id;

-- The tombstone's key is "now", written centrally (the nil device), so no earlier write from a
-- device undoes it.
UPDATE maintenance m SET deleted_at = now(), rev = nextval('rev_seq'), origin = NULL,
       hlcs = m.hlcs || jsonb_build_object('deleted_at',
         lpad(to_hex((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) << 16), 16, '0')
         || ':00000000-0000-0000-0000-000000000000')
FROM maintenance_aliases a WHERE a.alias_id = m.id;

CREATE UNIQUE INDEX maintenance_live_type ON maintenance (vehicle_id, type)
  WHERE deleted_at IS NULL;
-- What hangs off a row, found by index: purge keeps a tombstone with rows under it, and a
-- reconcile lists it.
CREATE INDEX service_records_maintenance ON service_records (maintenance_id);
CREATE INDEX maintenance_vehicle ON maintenance (vehicle_id);
CREATE INDEX odometer_readings_vehicle ON odometer_readings (vehicle_id);
CREATE INDEX service_records_vehicle ON service_records (vehicle_id);
CREATE INDEX renewals_vehicle ON renewals (vehicle_id);

ALTER TABLE maintenance ADD CONSTRAINT maintenance_schedule
  CHECK (due_date IS NOT NULL OR due_odometer IS NOT NULL OR last_done_date IS NOT NULL) NOT VALID;
ALTER TABLE renewals ADD CONSTRAINT renewals_validity
  CHECK (valid_until >= valid_from) NOT VALID;
