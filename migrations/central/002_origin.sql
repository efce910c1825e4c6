-- Which device wrote each row's current version (NULL: written centrally). A pull leaves out
-- the rows the asking device wrote itself at or below the revision it says it was answered
-- with (`acked`): it holds them already, and sending 100,000 pushed rows straight back would
-- double every first sync (docs/protocol.md, "Pull").

ALTER TABLE vehicles ADD COLUMN origin uuid;
ALTER TABLE maintenance ADD COLUMN origin uuid;
ALTER TABLE fuel_logs ADD COLUMN origin uuid;
ALTER TABLE odometer_readings ADD COLUMN origin uuid;
ALTER TABLE service_records ADD COLUMN origin uuid;
ALTER TABLE renewals ADD COLUMN origin uuid;
