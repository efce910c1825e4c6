-- Schema 2: what a VIN decode tells about a vehicle beyond make, model, year and trim
-- (docs/vin.md). Synced: the wire schema carries them from schema 2 (sync/protocol/schema.c),
-- and a gateway leaves them untouched for devices of schema 1.

ALTER TABLE vehicles ADD COLUMN body_class TEXT CHECK (body_class IS NULL OR length(body_class) <= 64);
ALTER TABLE vehicles ADD COLUMN engine     TEXT CHECK (engine IS NULL OR length(engine) <= 96);
ALTER TABLE vehicles ADD COLUMN fuel_type  TEXT CHECK (fuel_type IS NULL OR length(fuel_type) <= 64);

-- The capture of updates compares every synced column: it learns the new ones.
DROP TRIGGER vehicles_capture_update;
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
        UNION ALL SELECT 'deleted_at' WHERE OLD.deleted_at IS NOT NEW.deleted_at
        UNION ALL SELECT 'body_class' WHERE OLD.body_class IS NOT NEW.body_class
        UNION ALL SELECT 'engine' WHERE OLD.engine IS NOT NEW.engine
        UNION ALL SELECT 'fuel_type' WHERE OLD.fuel_type IS NOT NEW.fuel_type) AS ch
    WHERE h.id = 1 HAVING count(*) > 0) WHERE true
  ON CONFLICT (tbl, row_id) WHERE batch IS NULL
  DO UPDATE SET cols = json_patch(cols, excluded.cols), hlc = excluded.hlc;
END;
