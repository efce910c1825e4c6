-- Device keys sealed at rest. `psk_sealed` holds the key encrypted with AES-256-GCM under the
-- gateway's ODOLOG_DEVICE_KEY_SECRET and bound to the device id (version, key id, nonce,
-- ciphertext, tag). SQL cannot seal, since only the gateway holds that key: right after this
-- file, `odolog-gateway migrate` (and `serve`) seal every key still in `psk` and clear it, in
-- one transaction.
--
-- The gateway keeps every device key in memory; a change of a key tells it at once
-- (NOTIFY odolog_devices, with the device id), so handshakes never read the table.

ALTER TABLE devices ADD COLUMN psk_sealed bytea
  CHECK (psk_sealed IS NULL OR length(psk_sealed) BETWEEN 49 AND 97);
ALTER TABLE devices ALTER COLUMN psk DROP NOT NULL;
ALTER TABLE devices ADD CONSTRAINT devices_has_a_key CHECK (psk IS NOT NULL OR psk_sealed IS NOT NULL);

CREATE FUNCTION devices_notify_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('odolog_devices', coalesce(NEW.device_id, OLD.device_id)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER devices_key_changed
  AFTER INSERT OR DELETE OR UPDATE OF psk, psk_sealed ON devices
  FOR EACH ROW EXECUTE FUNCTION devices_notify_key();
