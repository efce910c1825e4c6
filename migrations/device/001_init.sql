-- odolog device schema, version 1.
--
-- Every user row carries id (UUIDv7 made where the row is born), user_id (never changed),
-- created_at/updated_at (UTC, informational), deleted_at (soft delete: NULL is live) and rev (the
-- last server revision this device knows; 0 for a row never synced). Exact quantities are
-- scaled integers: distances and odometers in tenths, volumes and unit prices in thousandths,
-- money in hundredths. Timestamps are 'YYYY-MM-DDTHH:MM:SS.mmmZ', calendar dates 'YYYY-MM-DD'.
--
-- Local changes are captured by triggers into the outbox in the same transaction as the change.
-- The triggers call odo_capture(), odo_hlc_next() and odo_now(), which the store registers on
-- every connection it opens: writes must go through the store (a plain sqlite3 shell can read
-- but not write user rows), and the sync engine switches capture off while applying what it
-- pulled.

PRAGMA application_id = 1329876812; -- 'ODOL'

CREATE TABLE sync_state (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  device_id   TEXT NOT NULL,
  hlc         TEXT NOT NULL,                 -- persisted hybrid logical clock, 16 hex digits
  next_batch  INTEGER NOT NULL DEFAULT 1     -- number of the next push batch with new content
) STRICT;
INSERT INTO sync_state (id, device_id, hlc) VALUES (1, odo_uuid(), '0000000000000000');

CREATE TABLE sync_users (
  user_id         TEXT PRIMARY KEY,
  cursor          INTEGER NOT NULL DEFAULT 0, -- highest server revision pulled and applied
  last_success_at TEXT,
  last_error      TEXT,
  last_error_at   TEXT
) STRICT;

-- One entry per changed row while it waits to be pushed: which columns changed (a JSON object
-- from column name to the HLC of its last local change; "*" stands for every column, as an insert
-- writes them all), accumulated until the entry joins a push batch. Values are read from the row
-- when it is pushed. An entry in flight (batch set) is frozen; later changes open a new entry.
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY,
  tbl        TEXT NOT NULL,
  row_id     TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  cols       TEXT NOT NULL CHECK (json_valid(cols)),
  hlc        TEXT NOT NULL,
  base_rev   INTEGER NOT NULL,
  batch      INTEGER,
  queued_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX outbox_pending ON outbox (tbl, row_id) WHERE batch IS NULL;
CREATE INDEX outbox_batch ON outbox (batch) WHERE batch IS NOT NULL;

CREATE TABLE vehicles (
  id            TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL,
  vin           TEXT CHECK (vin IS NULL OR length(vin) = 17),
  name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  make          TEXT,
  model         TEXT,
  model_year    INTEGER CHECK (model_year IS NULL OR model_year BETWEEN 1900 AND 2100),
  trim          TEXT,
  plate         TEXT,
  odometer_unit TEXT NOT NULL CHECK (odometer_unit IN ('km', 'mi')),
  notes         TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  deleted_at    TEXT,
  rev           INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX vehicles_live_vin ON vehicles (user_id, vin)
  WHERE deleted_at IS NULL AND vin IS NOT NULL;
CREATE INDEX vehicles_user ON vehicles (user_id, created_at);

CREATE TABLE fuel_logs (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  vehicle_id  TEXT NOT NULL REFERENCES vehicles (id),
  filled_at   TEXT NOT NULL,
  odometer    INTEGER NOT NULL CHECK (odometer >= 0),           -- tenths, vehicle's unit
  volume      INTEGER NOT NULL CHECK (volume > 0),              -- thousandths of volume_unit
  volume_unit TEXT NOT NULL CHECK (volume_unit IN ('L', 'gal_us', 'gal_imp')),
  unit_price  INTEGER CHECK (unit_price IS NULL OR unit_price >= 0), -- thousandths per unit
  total_cost  INTEGER CHECK (total_cost IS NULL OR total_cost >= 0), -- hundredths
  currency    TEXT CHECK (currency IS NULL OR length(currency) = 3),
  is_full     INTEGER NOT NULL CHECK (is_full IN (0, 1)),
  missed      INTEGER NOT NULL DEFAULT 0 CHECK (missed IN (0, 1)),
  station_id  TEXT,
  station     TEXT,
  notes       TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  deleted_at  TEXT,
  rev         INTEGER NOT NULL DEFAULT 0
) STRICT;
-- Ordered like the odometer rule reads them: latest (or earliest) value around a time.
CREATE INDEX fuel_logs_vehicle ON fuel_logs (vehicle_id, filled_at, odometer);

CREATE TABLE odometer_readings (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  vehicle_id  TEXT NOT NULL REFERENCES vehicles (id),
  read_at     TEXT NOT NULL,
  odometer    INTEGER NOT NULL CHECK (odometer >= 0),
  forced      INTEGER NOT NULL DEFAULT 0 CHECK (forced IN (0, 1)), -- a cluster swap: a new series
  notes       TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  deleted_at  TEXT,
  rev         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX odometer_readings_vehicle ON odometer_readings (vehicle_id, read_at, odometer);
CREATE INDEX odometer_readings_forced ON odometer_readings (vehicle_id, read_at)
  WHERE forced = 1 AND deleted_at IS NULL;

CREATE TABLE maintenance (
  id                 TEXT PRIMARY KEY,
  user_id            TEXT NOT NULL,
  vehicle_id         TEXT NOT NULL REFERENCES vehicles (id),
  type               TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 40),
  category           TEXT NOT NULL CHECK (category IN ('engine', 'transmission', 'brakes',
                       'tires', 'suspension', 'electrical', 'climate', 'body', 'fluids',
                       'filters', 'inspection', 'other')),
  description        TEXT,
  due_date           TEXT,
  due_odometer       INTEGER CHECK (due_odometer IS NULL OR due_odometer >= 0),
  interval_months    INTEGER CHECK (interval_months IS NULL OR interval_months > 0),
  interval_distance  INTEGER CHECK (interval_distance IS NULL OR interval_distance > 0),
  last_done_date     TEXT,
  last_done_odometer INTEGER,
  notes              TEXT,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  deleted_at         TEXT,
  rev                INTEGER NOT NULL DEFAULT 0,
  CHECK (due_date IS NOT NULL OR due_odometer IS NOT NULL OR last_done_date IS NOT NULL)
) STRICT;
CREATE UNIQUE INDEX maintenance_live_type ON maintenance (vehicle_id, type)
  WHERE deleted_at IS NULL;
CREATE INDEX maintenance_user ON maintenance (user_id, vehicle_id);

CREATE TABLE service_records (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  vehicle_id     TEXT NOT NULL REFERENCES vehicles (id),
  maintenance_id TEXT REFERENCES maintenance (id),
  performed_at   TEXT NOT NULL,
  odometer       INTEGER CHECK (odometer IS NULL OR odometer >= 0),
  description    TEXT NOT NULL,
  cost           INTEGER CHECK (cost IS NULL OR cost >= 0),
  currency       TEXT CHECK (currency IS NULL OR length(currency) = 3),
  shop           TEXT,
  notes          TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  deleted_at     TEXT,
  rev            INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX service_records_vehicle ON service_records (vehicle_id, performed_at, odometer);
CREATE INDEX service_records_maintenance ON service_records (maintenance_id);

CREATE TABLE renewals (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL,
  vehicle_id      TEXT NOT NULL REFERENCES vehicles (id),
  kind            TEXT NOT NULL CHECK (kind IN ('insurance', 'registration', 'emissions')),
  document_number TEXT,
  issuer          TEXT,
  valid_from      TEXT NOT NULL,
  valid_until     TEXT NOT NULL,
  cost            INTEGER CHECK (cost IS NULL OR cost >= 0),
  currency        TEXT CHECK (currency IS NULL OR length(currency) = 3),
  notes           TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  deleted_at      TEXT,
  rev             INTEGER NOT NULL DEFAULT 0,
  CHECK (valid_until >= valid_from)
) STRICT;
CREATE INDEX renewals_vehicle ON renewals (vehicle_id, kind, valid_until);
CREATE INDEX renewals_user ON renewals (user_id, vehicle_id);

-- Reference data, pulled only.
CREATE TABLE stations (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  brand      TEXT,
  address    TEXT,
  latitude   TEXT,
  longitude  TEXT,
  updated_at TEXT NOT NULL,
  deleted_at TEXT,
  rev        INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Decoded VINs, kept 30 days; a cache, never synced as user data.
CREATE TABLE vin_cache (
  vin        TEXT PRIMARY KEY CHECK (length(vin) = 17),
  source     TEXT NOT NULL CHECK (source IN ('vpic', 'offline', 'gateway')),
  payload    TEXT NOT NULL CHECK (json_valid(payload)),
  fetched_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;

-- Per-user preferences (units, currency, reminder thresholds); local to the device.
CREATE TABLE settings (
  user_id    TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (user_id, key)
) STRICT;

-- Every odometer value the vehicle has shown, whatever recorded it: the monotonic-odometer rule
-- and the vehicle's current odometer are read from here.
CREATE VIEW odometer_events AS
  SELECT id, user_id, vehicle_id, filled_at AS at, odometer, 0 AS forced, 'fuel' AS source
    FROM fuel_logs WHERE deleted_at IS NULL
  UNION ALL
  SELECT id, user_id, vehicle_id, read_at, odometer, forced, 'reading'
    FROM odometer_readings WHERE deleted_at IS NULL
  UNION ALL
  SELECT id, user_id, vehicle_id, performed_at, odometer, 0, 'service'
    FROM service_records WHERE deleted_at IS NULL AND odometer IS NOT NULL;

-- Outbox capture. Generated by scripts/gen-capture-triggers; columns are every synced column
-- but id, user_id and rev.
CREATE TRIGGER vehicles_capture_insert AFTER INSERT ON vehicles WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT 'vehicles', NEW.id, NEW.user_id, json_object('*', h.hlc), h.hlc, NEW.rev, odo_now()
  FROM sync_state AS h WHERE h.id = 1
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER vehicles_capture_update AFTER UPDATE ON vehicles WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT * FROM (
    SELECT 'vehicles', NEW.id, NEW.user_id, json_group_object(ch.c, h.hlc), h.hlc, OLD.rev, odo_now()
    FROM sync_state AS h, (
        SELECT 'vin' AS c WHERE OLD.vin IS NOT NEW.vin
        UNION ALL SELECT 'name' WHERE OLD.name IS NOT NEW.name
        UNION ALL SELECT 'make' WHERE OLD.make IS NOT NEW.make
        UNION ALL SELECT 'model' WHERE OLD.model IS NOT NEW.model
        UNION ALL SELECT 'model_year' WHERE OLD.model_year IS NOT NEW.model_year
        UNION ALL SELECT 'trim' WHERE OLD.trim IS NOT NEW.trim
        UNION ALL SELECT 'plate' WHERE OLD.plate IS NOT NEW.plate
        UNION ALL SELECT 'odometer_unit' WHERE OLD.odometer_unit IS NOT NEW.odometer_unit
        UNION ALL SELECT 'notes' WHERE OLD.notes IS NOT NEW.notes
        UNION ALL SELECT 'created_at' WHERE OLD.created_at IS NOT NEW.created_at
        UNION ALL SELECT 'updated_at' WHERE OLD.updated_at IS NOT NEW.updated_at
        UNION ALL SELECT 'deleted_at' WHERE OLD.deleted_at IS NOT NEW.deleted_at) AS ch
    WHERE h.id = 1 HAVING count(*) > 0) WHERE true
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER vehicles_no_hard_delete BEFORE DELETE ON vehicles WHEN odo_capture()
BEGIN
  SELECT RAISE(ABORT, 'vehicles rows are never deleted outright: set deleted_at');
END;

CREATE TRIGGER fuel_logs_capture_insert AFTER INSERT ON fuel_logs WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT 'fuel_logs', NEW.id, NEW.user_id, json_object('*', h.hlc), h.hlc, NEW.rev, odo_now()
  FROM sync_state AS h WHERE h.id = 1
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER fuel_logs_capture_update AFTER UPDATE ON fuel_logs WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT * FROM (
    SELECT 'fuel_logs', NEW.id, NEW.user_id, json_group_object(ch.c, h.hlc), h.hlc, OLD.rev, odo_now()
    FROM sync_state AS h, (
        SELECT 'vehicle_id' AS c WHERE OLD.vehicle_id IS NOT NEW.vehicle_id
        UNION ALL SELECT 'filled_at' WHERE OLD.filled_at IS NOT NEW.filled_at
        UNION ALL SELECT 'odometer' WHERE OLD.odometer IS NOT NEW.odometer
        UNION ALL SELECT 'volume' WHERE OLD.volume IS NOT NEW.volume
        UNION ALL SELECT 'volume_unit' WHERE OLD.volume_unit IS NOT NEW.volume_unit
        UNION ALL SELECT 'unit_price' WHERE OLD.unit_price IS NOT NEW.unit_price
        UNION ALL SELECT 'total_cost' WHERE OLD.total_cost IS NOT NEW.total_cost
        UNION ALL SELECT 'currency' WHERE OLD.currency IS NOT NEW.currency
        UNION ALL SELECT 'is_full' WHERE OLD.is_full IS NOT NEW.is_full
        UNION ALL SELECT 'missed' WHERE OLD.missed IS NOT NEW.missed
        UNION ALL SELECT 'station_id' WHERE OLD.station_id IS NOT NEW.station_id
        UNION ALL SELECT 'station' WHERE OLD.station IS NOT NEW.station
        UNION ALL SELECT 'notes' WHERE OLD.notes IS NOT NEW.notes
        UNION ALL SELECT 'created_at' WHERE OLD.created_at IS NOT NEW.created_at
        UNION ALL SELECT 'updated_at' WHERE OLD.updated_at IS NOT NEW.updated_at
        UNION ALL SELECT 'deleted_at' WHERE OLD.deleted_at IS NOT NEW.deleted_at) AS ch
    WHERE h.id = 1 HAVING count(*) > 0) WHERE true
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER fuel_logs_no_hard_delete BEFORE DELETE ON fuel_logs WHEN odo_capture()
BEGIN
  SELECT RAISE(ABORT, 'fuel_logs rows are never deleted outright: set deleted_at');
END;

CREATE TRIGGER odometer_readings_capture_insert AFTER INSERT ON odometer_readings WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT 'odometer_readings', NEW.id, NEW.user_id, json_object('*', h.hlc), h.hlc, NEW.rev, odo_now()
  FROM sync_state AS h WHERE h.id = 1
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER odometer_readings_capture_update AFTER UPDATE ON odometer_readings WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT * FROM (
    SELECT 'odometer_readings', NEW.id, NEW.user_id, json_group_object(ch.c, h.hlc), h.hlc, OLD.rev, odo_now()
    FROM sync_state AS h, (
        SELECT 'vehicle_id' AS c WHERE OLD.vehicle_id IS NOT NEW.vehicle_id
        UNION ALL SELECT 'read_at' WHERE OLD.read_at IS NOT NEW.read_at
        UNION ALL SELECT 'odometer' WHERE OLD.odometer IS NOT NEW.odometer
        UNION ALL SELECT 'forced' WHERE OLD.forced IS NOT NEW.forced
        UNION ALL SELECT 'notes' WHERE OLD.notes IS NOT NEW.notes
        UNION ALL SELECT 'created_at' WHERE OLD.created_at IS NOT NEW.created_at
        UNION ALL SELECT 'updated_at' WHERE OLD.updated_at IS NOT NEW.updated_at
        UNION ALL SELECT 'deleted_at' WHERE OLD.deleted_at IS NOT NEW.deleted_at) AS ch
    WHERE h.id = 1 HAVING count(*) > 0) WHERE true
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER odometer_readings_no_hard_delete BEFORE DELETE ON odometer_readings WHEN odo_capture()
BEGIN
  SELECT RAISE(ABORT, 'odometer_readings rows are never deleted outright: set deleted_at');
END;

CREATE TRIGGER maintenance_capture_insert AFTER INSERT ON maintenance WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT 'maintenance', NEW.id, NEW.user_id, json_object('*', h.hlc), h.hlc, NEW.rev, odo_now()
  FROM sync_state AS h WHERE h.id = 1
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER maintenance_capture_update AFTER UPDATE ON maintenance WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT * FROM (
    SELECT 'maintenance', NEW.id, NEW.user_id, json_group_object(ch.c, h.hlc), h.hlc, OLD.rev, odo_now()
    FROM sync_state AS h, (
        SELECT 'vehicle_id' AS c WHERE OLD.vehicle_id IS NOT NEW.vehicle_id
        UNION ALL SELECT 'type' WHERE OLD.type IS NOT NEW.type
        UNION ALL SELECT 'category' WHERE OLD.category IS NOT NEW.category
        UNION ALL SELECT 'description' WHERE OLD.description IS NOT NEW.description
        UNION ALL SELECT 'due_date' WHERE OLD.due_date IS NOT NEW.due_date
        UNION ALL SELECT 'due_odometer' WHERE OLD.due_odometer IS NOT NEW.due_odometer
        UNION ALL SELECT 'interval_months' WHERE OLD.interval_months IS NOT NEW.interval_months
        UNION ALL SELECT 'interval_distance' WHERE OLD.interval_distance IS NOT NEW.interval_distance
        UNION ALL SELECT 'last_done_date' WHERE OLD.last_done_date IS NOT NEW.last_done_date
        UNION ALL SELECT 'last_done_odometer' WHERE OLD.last_done_odometer IS NOT NEW.last_done_odometer
        UNION ALL SELECT 'notes' WHERE OLD.notes IS NOT NEW.notes
        UNION ALL SELECT 'created_at' WHERE OLD.created_at IS NOT NEW.created_at
        UNION ALL SELECT 'updated_at' WHERE OLD.updated_at IS NOT NEW.updated_at
        UNION ALL SELECT 'deleted_at' WHERE OLD.deleted_at IS NOT NEW.deleted_at) AS ch
    WHERE h.id = 1 HAVING count(*) > 0) WHERE true
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER maintenance_no_hard_delete BEFORE DELETE ON maintenance WHEN odo_capture()
BEGIN
  SELECT RAISE(ABORT, 'maintenance rows are never deleted outright: set deleted_at');
END;

CREATE TRIGGER service_records_capture_insert AFTER INSERT ON service_records WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT 'service_records', NEW.id, NEW.user_id, json_object('*', h.hlc), h.hlc, NEW.rev, odo_now()
  FROM sync_state AS h WHERE h.id = 1
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER service_records_capture_update AFTER UPDATE ON service_records WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT * FROM (
    SELECT 'service_records', NEW.id, NEW.user_id, json_group_object(ch.c, h.hlc), h.hlc, OLD.rev, odo_now()
    FROM sync_state AS h, (
        SELECT 'vehicle_id' AS c WHERE OLD.vehicle_id IS NOT NEW.vehicle_id
        UNION ALL SELECT 'maintenance_id' WHERE OLD.maintenance_id IS NOT NEW.maintenance_id
        UNION ALL SELECT 'performed_at' WHERE OLD.performed_at IS NOT NEW.performed_at
        UNION ALL SELECT 'odometer' WHERE OLD.odometer IS NOT NEW.odometer
        UNION ALL SELECT 'description' WHERE OLD.description IS NOT NEW.description
        UNION ALL SELECT 'cost' WHERE OLD.cost IS NOT NEW.cost
        UNION ALL SELECT 'currency' WHERE OLD.currency IS NOT NEW.currency
        UNION ALL SELECT 'shop' WHERE OLD.shop IS NOT NEW.shop
        UNION ALL SELECT 'notes' WHERE OLD.notes IS NOT NEW.notes
        UNION ALL SELECT 'created_at' WHERE OLD.created_at IS NOT NEW.created_at
        UNION ALL SELECT 'updated_at' WHERE OLD.updated_at IS NOT NEW.updated_at
        UNION ALL SELECT 'deleted_at' WHERE OLD.deleted_at IS NOT NEW.deleted_at) AS ch
    WHERE h.id = 1 HAVING count(*) > 0) WHERE true
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER service_records_no_hard_delete BEFORE DELETE ON service_records WHEN odo_capture()
BEGIN
  SELECT RAISE(ABORT, 'service_records rows are never deleted outright: set deleted_at');
END;

CREATE TRIGGER renewals_capture_insert AFTER INSERT ON renewals WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT 'renewals', NEW.id, NEW.user_id, json_object('*', h.hlc), h.hlc, NEW.rev, odo_now()
  FROM sync_state AS h WHERE h.id = 1
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER renewals_capture_update AFTER UPDATE ON renewals WHEN odo_capture()
BEGIN
  UPDATE sync_state SET hlc = odo_hlc_next(hlc) WHERE id = 1;
  INSERT INTO outbox (tbl, row_id, user_id, cols, hlc, base_rev, queued_at)
  SELECT * FROM (
    SELECT 'renewals', NEW.id, NEW.user_id, json_group_object(ch.c, h.hlc), h.hlc, OLD.rev, odo_now()
    FROM sync_state AS h, (
        SELECT 'vehicle_id' AS c WHERE OLD.vehicle_id IS NOT NEW.vehicle_id
        UNION ALL SELECT 'kind' WHERE OLD.kind IS NOT NEW.kind
        UNION ALL SELECT 'document_number' WHERE OLD.document_number IS NOT NEW.document_number
        UNION ALL SELECT 'issuer' WHERE OLD.issuer IS NOT NEW.issuer
        UNION ALL SELECT 'valid_from' WHERE OLD.valid_from IS NOT NEW.valid_from
        UNION ALL SELECT 'valid_until' WHERE OLD.valid_until IS NOT NEW.valid_until
        UNION ALL SELECT 'cost' WHERE OLD.cost IS NOT NEW.cost
        UNION ALL SELECT 'currency' WHERE OLD.currency IS NOT NEW.currency
        UNION ALL SELECT 'notes' WHERE OLD.notes IS NOT NEW.notes
        UNION ALL SELECT 'created_at' WHERE OLD.created_at IS NOT NEW.created_at
        UNION ALL SELECT 'updated_at' WHERE OLD.updated_at IS NOT NEW.updated_at
        UNION ALL SELECT 'deleted_at' WHERE OLD.deleted_at IS NOT NEW.deleted_at) AS ch
    WHERE h.id = 1 HAVING count(*) > 0) WHERE true
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;

CREATE TRIGGER renewals_no_hard_delete BEFORE DELETE ON renewals WHEN odo_capture()
BEGIN
  SELECT RAISE(ABORT, 'renewals rows are never deleted outright: set deleted_at');
END;

