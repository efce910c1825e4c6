-- odolog central schema, version 1 (PostgreSQL 15).
--
-- The user tables mirror the device's in PostgreSQL types. Every accepted change takes the next
-- value of one global revision sequence; pulls read (user_id, rev) ranges. `hlcs` keeps, per
-- column, the key of the write that holds it: 16 hex digits of HLC, ':', the writing device's
-- id; under "*" the key of the row's first write, which holds every column not named. Keys
-- compare as text in (HLC, device) order, which is the last-writer-wins order.
-- Foreign keys are deferred so that a batch may carry a child before its parent.

CREATE SEQUENCE rev_seq;

CREATE TABLE vehicles (
  id            uuid PRIMARY KEY,
  user_id       text NOT NULL,
  vin           text CHECK (vin IS NULL OR length(vin) = 17),
  name          text NOT NULL,
  make          text,
  model         text,
  model_year    integer CHECK (model_year IS NULL OR model_year BETWEEN 1900 AND 2100),
  trim          text,
  plate         text,
  odometer_unit text NOT NULL CHECK (odometer_unit IN ('km', 'mi')),
  notes         text,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  deleted_at    timestamptz,
  rev           bigint NOT NULL,
  hlcs          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX vehicles_user_rev ON vehicles (user_id, rev);
CREATE UNIQUE INDEX vehicles_live_vin ON vehicles (user_id, vin)
  WHERE deleted_at IS NULL AND vin IS NOT NULL;

-- A vehicle registered twice (the same VIN on two offline devices): the second id is an alias
-- of the first, and anything that arrives naming the alias is re-pointed.
CREATE TABLE vehicle_aliases (
  alias_id     uuid PRIMARY KEY,
  canonical_id uuid NOT NULL REFERENCES vehicles (id),
  user_id      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE maintenance (
  id                 uuid PRIMARY KEY,
  user_id            text NOT NULL,
  vehicle_id         uuid NOT NULL REFERENCES vehicles (id) DEFERRABLE INITIALLY DEFERRED,
  type               text NOT NULL,
  category           text NOT NULL,
  description        text,
  due_date           date,
  due_odometer       numeric(9,1),
  interval_months    integer,
  interval_distance  numeric(9,1),
  last_done_date     date,
  last_done_odometer numeric(9,1),
  notes              text,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  deleted_at         timestamptz,
  rev                bigint NOT NULL,
  hlcs               jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX maintenance_user_rev ON maintenance (user_id, rev);

CREATE TABLE fuel_logs (
  id          uuid PRIMARY KEY,
  user_id     text NOT NULL,
  vehicle_id  uuid NOT NULL REFERENCES vehicles (id) DEFERRABLE INITIALLY DEFERRED,
  filled_at   timestamptz NOT NULL,
  odometer    numeric(9,1) NOT NULL,
  volume      numeric(10,3) NOT NULL CHECK (volume > 0),
  volume_unit text NOT NULL CHECK (volume_unit IN ('L', 'gal_us', 'gal_imp')),
  unit_price  numeric(12,3),
  total_cost  numeric(12,2),
  currency    text,
  is_full     boolean NOT NULL,
  missed      boolean NOT NULL,
  station_id  uuid,
  station     text,
  notes       text,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  deleted_at  timestamptz,
  rev         bigint NOT NULL,
  hlcs        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX fuel_logs_user_rev ON fuel_logs (user_id, rev);
CREATE INDEX fuel_logs_vehicle ON fuel_logs (vehicle_id);

CREATE TABLE odometer_readings (
  id          uuid PRIMARY KEY,
  user_id     text NOT NULL,
  vehicle_id  uuid NOT NULL REFERENCES vehicles (id) DEFERRABLE INITIALLY DEFERRED,
  read_at     timestamptz NOT NULL,
  odometer    numeric(9,1) NOT NULL,
  forced      boolean NOT NULL,
  notes       text,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  deleted_at  timestamptz,
  rev         bigint NOT NULL,
  hlcs        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX odometer_readings_user_rev ON odometer_readings (user_id, rev);

CREATE TABLE service_records (
  id             uuid PRIMARY KEY,
  user_id        text NOT NULL,
  vehicle_id     uuid NOT NULL REFERENCES vehicles (id) DEFERRABLE INITIALLY DEFERRED,
  maintenance_id uuid REFERENCES maintenance (id) DEFERRABLE INITIALLY DEFERRED,
  performed_at   timestamptz NOT NULL,
  odometer       numeric(9,1),
  description    text NOT NULL,
  cost           numeric(12,2),
  currency       text,
  shop           text,
  notes          text,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  deleted_at     timestamptz,
  rev            bigint NOT NULL,
  hlcs           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX service_records_user_rev ON service_records (user_id, rev);

CREATE TABLE renewals (
  id              uuid PRIMARY KEY,
  user_id         text NOT NULL,
  vehicle_id      uuid NOT NULL REFERENCES vehicles (id) DEFERRABLE INITIALLY DEFERRED,
  kind            text NOT NULL,
  document_number text,
  issuer          text,
  valid_from      date NOT NULL,
  valid_until     date NOT NULL,
  cost            numeric(12,2),
  currency        text,
  notes           text,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  deleted_at      timestamptz,
  rev             bigint NOT NULL,
  hlcs            jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX renewals_user_rev ON renewals (user_id, rev);

-- Reference data: pulled by every device, maintained centrally.
CREATE TABLE stations (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  brand      text,
  address    text,
  latitude   text,
  longitude  text,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  rev        bigint NOT NULL DEFAULT nextval('rev_seq')
);
CREATE INDEX stations_rev ON stations (rev);

-- Devices and their per-device DTLS pre-shared keys.
CREATE TABLE devices (
  device_id    uuid PRIMARY KEY,
  psk          bytea NOT NULL CHECK (length(psk) >= 16),
  label        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz
);

-- Exactly-once push: per device and user, the last applied batch and the answer it got. The
-- record commits with the batch's effects.
CREATE TABLE device_batches (
  device_id  uuid NOT NULL,
  user_id    text NOT NULL,
  last_batch bigint NOT NULL DEFAULT 0,
  answer     text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, user_id)
);

-- Decoded VINs (30-day expiry), the gateway's own cache.
CREATE TABLE vin_cache (
  vin        text PRIMARY KEY CHECK (length(vin) = 17),
  source     text NOT NULL,
  payload    jsonb NOT NULL,
  fetched_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);

-- Gateway state: the purge watermark (revisions at or below it may have lost tombstones).
CREATE TABLE sync_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
INSERT INTO sync_meta (key, value) VALUES ('purge_watermark', '0');
