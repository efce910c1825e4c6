/*
 * How this device reaches the gateway, and which users are logged in on it: the rules of what
 * `odolog login` accepts (a gateway URL the transports can open, a pre-shared key, a token of
 * the right shape), and the one place that names the settings in the store. `odolog login`,
 * `odolog sync status` and the engine's connect (engine.h) read and write them only through
 * here, so a setting is spelled once and checked before it is stored.
 */
#ifndef ODO_SYNC_LOGIN_H
#define ODO_SYNC_LOGIN_H

#include "storage/store.h"
#include "sync/client/transport.h"

#define ODO_SYNC_GATEWAY_MAX 299 /* bytes of a gateway URL */
#define ODO_SYNC_CA_MAX      511 /* bytes of the CA file's path */

/* What to change; a NULL field is left as it is stored. */
struct odo_sync_login {
    const char *gateway;    /* coaps://host[:port] or https://host[:port] (coap:// for tests) */
    const char *psk_hex;    /* this device's coaps pre-shared key, in hex */
    const char *ca_file;    /* PEM file of the CA that signed the gateway's certificate */
    const char *token;      /* the user's JWT; "" stores nothing */
    const char *token_file; /* or a file holding it (trailing line breaks and spaces trimmed) */
};

/*
 * Checks everything in l that needs no store, in this order: the gateway URL (one the
 * transports open), the pre-shared key (ODO_PSK_MIN to ODO_PSK_MAX bytes in hex), the CA path's
 * length, then the token (read from token_file when one is given; at most ODO_TOKEN_MAX bytes;
 * header.payload.signature in base64url). Returns 0, or ODO_EINVAL / ODO_ETOOBIG / ODO_EIO with
 * a sentence that says what to give instead. A caller uses it to refuse bad input before it
 * opens (or creates) a store; odo_sync_login checks again.
 */
int odo_sync_login_check(const struct odo_sync_login *l, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Checks l as odo_sync_login_check does and stores what it gives in one transaction: the
 * device-wide settings and, when a token is given, user's token. Nothing is stored when any
 * part is refused. The token is wiped from memory once stored.
 */
int odo_sync_login(struct odo_store *s, const char *user, const struct odo_sync_login *l,
                   struct odo_err *err) ODO_MUST_CHECK;

/* The device-wide settings as stored; "" for what was never given. */
struct odo_sync_config {
    char gateway[ODO_SYNC_GATEWAY_MAX + 1];
    char psk_hex[2 * ODO_PSK_MAX + 1];
    char ca_file[ODO_SYNC_CA_MAX + 1];
};

/* Reads the settings into out; the caller wipes them with odo_sync_config_clear. */
int odo_sync_config_get(struct odo_store *s, struct odo_sync_config *out,
                        struct odo_err *err) ODO_MUST_CHECK;

/* Wipes c, the pre-shared key with it. */
void odo_sync_config_clear(struct odo_sync_config *c);

#endif
