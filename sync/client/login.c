/*
 * The login and the device-wide sync settings of login.h: the checks a gateway URL, a key and a
 * token pass before they are stored, and the keys under which the store keeps the settings.
 */
#include "sync/client/login.h"

#include <stdlib.h>
#include <string.h>

#include "platform/fs.h"
#include "platform/text.h"
#include "storage/replica.h"
#include "sync/client/transport_impl.h"
#include "sync/protocol/messages.h"

/* The keys of the device-wide settings in the store: named here and nowhere else. */
static const char KEY_GATEWAY[] = "gateway";
static const char KEY_PSK[] = "psk";
static const char KEY_CA[] = "ca";

/* A URL the transports open (scheme, host, port, no path) that fits its setting. */
static int check_gateway(const char *url, struct odo_err *err)
{
    struct odo_url parsed;

    if (!odo_url_known_scheme(url))
        return odo_err_set(err, ODO_EINVAL, "the gateway is a coaps:// or https:// URL");
    if (strlen(url) > ODO_SYNC_GATEWAY_MAX)
        return odo_err_set(err, ODO_EINVAL, "the gateway URL is too long");
    return odo_url_parse(url, &parsed, err);
}

static int check_psk(const char *hex, struct odo_err *err)
{
    unsigned char key[ODO_PSK_MAX];
    long n = odo_hex_decode(hex, key, sizeof(key));

    memset(key, 0, sizeof(key));
    if (n < ODO_PSK_MIN)
        return odo_err_set(err, ODO_EINVAL,
                           "a pre-shared key is %d to %d hex digits (%d to %d bytes)",
                           2 * ODO_PSK_MIN, 2 * ODO_PSK_MAX, ODO_PSK_MIN, ODO_PSK_MAX);
    return 0;
}

/* The device-wide settings l gives, checked. */
static int check_settings(const struct odo_sync_login *l, struct odo_err *err)
{
    int rc;

    if (l->gateway && (rc = check_gateway(l->gateway, err)))
        return rc;
    if (l->psk_hex && (rc = check_psk(l->psk_hex, err)))
        return rc;
    if (l->ca_file && strlen(l->ca_file) > ODO_SYNC_CA_MAX)
        return odo_err_set(err, ODO_EINVAL, "the CA file's path is too long: at most %d bytes",
                           ODO_SYNC_CA_MAX);
    return 0;
}

/* A token file: the whole file, without the line break (or spaces) an editor leaves at its
 * end. */
static int read_token_file(const char *path, char out[ODO_TOKEN_MAX + 1], struct odo_err *err)
{
    char *text;
    size_t len;
    int rc;

    if ((rc = odo_fs_read_all(path, ODO_TOKEN_MAX, &text, &len, err)))
        return rc;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    memcpy(out, text, len + 1);
    memset(text, 0, len);
    free(text);
    return 0;
}

/* header.payload.signature, each part base64url. */
static bool looks_like_jwt(const char *t)
{
    const char *a = strchr(t, '.'), *b = a ? strchr(a + 1, '.') : NULL;
    return a && b && !strchr(b + 1, '.') &&
           strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
                     "pqrstuvwxyz0123456789-_.") == strlen(t);
}

/* The token l gives into out ("" when none), checked. The caller wipes out either way. */
static int token_of(const struct odo_sync_login *l, char out[ODO_TOKEN_MAX + 1],
                    struct odo_err *err)
{
    int rc;

    out[0] = '\0';
    if (l->token && l->token_file)
        return odo_err_set(err, ODO_EINVAL, "give a token or a token file, not both");
    if (l->token_file && (rc = read_token_file(l->token_file, out, err)))
        return rc;
    if (l->token) {
        if (strlen(l->token) > ODO_TOKEN_MAX)
            return odo_err_set(err, ODO_EINVAL, "the token is too long: at most %d bytes",
                               ODO_TOKEN_MAX);
        memcpy(out, l->token, strlen(l->token) + 1);
    }
    if (out[0] && !looks_like_jwt(out))
        return odo_err_set(err, ODO_EINVAL, "the token is not a JWT (header.payload.signature)");
    return 0;
}

int odo_sync_login_check(const struct odo_sync_login *l, struct odo_err *err)
{
    char token[ODO_TOKEN_MAX + 1];
    int rc = check_settings(l, err);

    if (rc == 0)
        rc = token_of(l, token, err);
    memset(token, 0, sizeof(token));
    return rc;
}

int odo_sync_login(struct odo_store *s, const char *user, const struct odo_sync_login *l,
                   struct odo_err *err)
{
    char token[ODO_TOKEN_MAX + 1];
    int rc;

    token[0] = '\0';
    if ((rc = check_settings(l, err)) || (rc = token_of(l, token, err)) ||
        (rc = odo_store_begin(s, err)))
        goto out_wipe;
    if ((l->gateway && (rc = odo_replica_config_set(s, KEY_GATEWAY, l->gateway, err))) ||
        (l->psk_hex && (rc = odo_replica_config_set(s, KEY_PSK, l->psk_hex, err))) ||
        (l->ca_file && (rc = odo_replica_config_set(s, KEY_CA, l->ca_file, err))) ||
        (token[0] && (rc = odo_replica_login(s, user, token, err)))) {
        odo_store_rollback(s);
        goto out_wipe;
    }
    rc = odo_store_commit(s, err);
out_wipe:
    memset(token, 0, sizeof(token));
    return rc;
}

int odo_sync_config_get(struct odo_store *s, struct odo_sync_config *out, struct odo_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = odo_replica_config_get(s, KEY_GATEWAY, out->gateway, sizeof(out->gateway), err)) ||
        (rc = odo_replica_config_get(s, KEY_PSK, out->psk_hex, sizeof(out->psk_hex), err)) ||
        (rc = odo_replica_config_get(s, KEY_CA, out->ca_file, sizeof(out->ca_file), err)))
        odo_sync_config_clear(out);
    return rc;
}

void odo_sync_config_clear(struct odo_sync_config *c)
{
    memset(c, 0, sizeof(*c));
}
