/*
 * Device keys. At rest each DTLS pre-shared key is sealed with AES-256-GCM under the gateway's
 * seal key (ODOLOG_DEVICE_KEY_SECRET), bound to its device id, so the database, its backups and
 * the role that serves requests hold nothing a handshake can use. In memory the gateway keeps
 * every device's key, refreshed when the devices table changes: a handshake costs no database
 * round trip and keeps working while PostgreSQL is down. An identity that names no device gets a
 * decoy key derived from it, so its handshake fails exactly as one with a wrong key does.
 * Nothing outside sync/gateway/ includes this header.
 */
#ifndef ODO_GATEWAY_KEYS_H
#define ODO_GATEWAY_KEYS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "platform/error.h"
#include "platform/uuid.h"
#include "sync/gateway/gateway.h"

#define ODO_GW_PSK_MIN        16 /* bytes of a device key: 32 to 128 hex digits */
#define ODO_GW_PSK_MAX        64
#define ODO_GW_PSK_NEW        32 /* bytes of a key `device add` makes (and of a decoy) */
#define ODO_GW_SEAL_NONCE_LEN 12
#define ODO_GW_SEAL_TAG_LEN   16
#define ODO_GW_SEAL_ID_LEN    4 /* which seal key: the first bytes of an HMAC of it */
/* version, key id, nonce, the sealed key, tag */
#define ODO_GW_SEALED_MAX                                                                          \
    (1 + ODO_GW_SEAL_ID_LEN + ODO_GW_SEAL_NONCE_LEN + ODO_GW_PSK_MAX + ODO_GW_SEAL_TAG_LEN)

/*
 * Seals psk (ODO_GW_PSK_MIN..MAX bytes) for device (a UUID in text) under key into out; *outlen
 * receives its length. Returns 0, ODO_EINVAL for a key of the wrong size, or ODO_EIO when there
 * is no randomness for the nonce.
 */
int odo_gw_seal(const unsigned char key[ODO_GW_SEAL_KEY_LEN], const char *device,
                const unsigned char *psk, size_t len, unsigned char out[ODO_GW_SEALED_MAX],
                size_t *outlen, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Opens what odo_gw_seal made for the same device. Returns 0 with psk and *psklen set, or
 * ODO_EAUTH when it was sealed under another key, for another device, or altered.
 */
int odo_gw_unseal(const unsigned char key[ODO_GW_SEAL_KEY_LEN], const char *device,
                  const unsigned char *sealed, size_t len, unsigned char psk[ODO_GW_PSK_MAX],
                  size_t *psklen, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Registers device with psk, sealed, or replaces its key (rotation); label may be NULL.
 * Returns 0 or ODO_ESTORAGE.
 */
int odo_gw_device_put(PGconn *c, const unsigned char key[ODO_GW_SEAL_KEY_LEN], const char *device,
                      const unsigned char *psk, size_t len, const char *label,
                      struct odo_err *err) ODO_MUST_CHECK;

/*
 * Seals every device key still stored in plain text, in one transaction: what migration 004
 * leaves to the gateway, which alone holds the seal key. *sealed receives how many.
 */
int odo_gw_seal_stored(PGconn *c, const unsigned char key[ODO_GW_SEAL_KEY_LEN], int *sealed,
                       struct odo_err *err) ODO_MUST_CHECK;

/* The keys in memory. Lookups may come from any thread while another one reloads. */
struct odo_gw_keys;

int odo_gw_keys_create(const unsigned char key[ODO_GW_SEAL_KEY_LEN], struct odo_gw_keys **out,
                       struct odo_err *err) ODO_MUST_CHECK;
/* Wipes and frees every key; NULL is fine. */
void odo_gw_keys_destroy(struct odo_gw_keys *k);

/*
 * Replaces the keys in memory with the devices table's. *unreadable receives how many could not
 * be opened (sealed under another key): those devices cannot connect until re-keyed. Returns 0
 * or ODO_ESTORAGE (the keys in memory stay as they were).
 */
int odo_gw_keys_load(struct odo_gw_keys *k, PGconn *c, int *loaded, int *unreadable,
                     struct odo_err *err) ODO_MUST_CHECK;

/* Reads one device's key again after the table told of a change (or forgets the device when
 * it is gone). */
int odo_gw_keys_reload(struct odo_gw_keys *k, PGconn *c, const char *device,
                       struct odo_err *err) ODO_MUST_CHECK;

/*
 * The key a handshake naming identity must prove: the device's own, or, for an identity that
 * names no device, a decoy derived from it (*known false) that no client can hold. Returns its
 * length; out holds ODO_GW_PSK_MAX bytes.
 */
size_t odo_gw_keys_handshake(struct odo_gw_keys *k, const char *identity,
                             unsigned char out[ODO_GW_PSK_MAX], bool *known);

/* A handshake as identity completed: its last_seen_at is written with the next batch. */
void odo_gw_keys_seen(struct odo_gw_keys *k, const char *identity);

/* Writes last_seen_at of every device seen since the last batch, in one statement; on failure
 * they stay marked for the next one. *written receives how many. */
int odo_gw_keys_flush_seen(struct odo_gw_keys *k, PGconn *c, int *written,
                           struct odo_err *err) ODO_MUST_CHECK;

#endif
