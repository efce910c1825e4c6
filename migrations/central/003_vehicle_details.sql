-- Device schema 2: what a VIN decode tells about a vehicle (body class, engine, fuel type).
-- Devices of schema 1 neither see nor change these columns (docs/protocol.md, "Versions").

ALTER TABLE vehicles ADD COLUMN body_class text CHECK (body_class IS NULL OR length(body_class) <= 64);
ALTER TABLE vehicles ADD COLUMN engine     text CHECK (engine IS NULL OR length(engine) <= 96);
ALTER TABLE vehicles ADD COLUMN fuel_type  text CHECK (fuel_type IS NULL OR length(fuel_type) <= 64);
