/*
 * Device keys sealed at rest (AES-256-GCM, mbedtls) and held in memory: an open-addressing table
 * keyed by device id under a reader-writer lock, decoys for identities that name no device, and
 * the batched last_seen_at of devices whose handshakes completed.
 */
#define _GNU_SOURCE
#include "sync/gateway/keys.h"

#include <ctype.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/text.h"
#include "sync/protocol/buf.h"

#define SEAL_VERSION 1
#define AAD_PREFIX   "odolog device key v1:"
#define TABLE_MIN    256 /* slots of an empty table */
#define ID_TEXT_LEN  ODO_UUID_TEXT_LEN

/* ---- sealing ---------------------------------------------------------------------------- */

/* Which key sealed something: the first bytes of HMAC-SHA256(key, "key id"). */
static void key_id(const unsigned char key[ODO_GW_SEAL_KEY_LEN],
                   unsigned char out[ODO_GW_SEAL_ID_LEN])
{
    unsigned char mac[32];
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, ODO_GW_SEAL_KEY_LEN,
                    (const unsigned char *)"key id", 6, mac);
    memcpy(out, mac, ODO_GW_SEAL_ID_LEN);
}

/* The associated data: the device id, lower-case, so a sealed key moved to another row fails. */
static size_t make_aad(const char *device, char out[sizeof(AAD_PREFIX) + ID_TEXT_LEN])
{
    size_t n = sizeof(AAD_PREFIX) - 1;
    memcpy(out, AAD_PREFIX, n);
    for (size_t i = 0; device[i] && i < ID_TEXT_LEN; i++)
        out[n++] = (char)tolower((unsigned char)device[i]);
    return n;
}

int odo_gw_seal(const unsigned char key[ODO_GW_SEAL_KEY_LEN], const char *device,
                const unsigned char *psk, size_t len, unsigned char out[ODO_GW_SEALED_MAX],
                size_t *outlen, struct odo_err *err)
{
    char aad[sizeof(AAD_PREFIX) + ID_TEXT_LEN];
    size_t aad_len = make_aad(device, aad);
    unsigned char *nonce = out + 1 + ODO_GW_SEAL_ID_LEN, *body = nonce + ODO_GW_SEAL_NONCE_LEN;
    mbedtls_gcm_context gcm;
    int rc;

    if (len < ODO_GW_PSK_MIN || len > ODO_GW_PSK_MAX)
        return odo_err_set(err, ODO_EINVAL, "a device key holds %d to %d bytes", ODO_GW_PSK_MIN,
                           ODO_GW_PSK_MAX);
    out[0] = SEAL_VERSION;
    key_id(key, out + 1);
    if (odo_random_bytes(nonce, ODO_GW_SEAL_NONCE_LEN) != 0)
        return odo_err_set(err, ODO_EIO, "no randomness for sealing a device key");
    mbedtls_gcm_init(&gcm);
    rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, ODO_GW_SEAL_KEY_LEN * 8);
    if (rc == 0)
        rc = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, nonce, ODO_GW_SEAL_NONCE_LEN,
                                       (const unsigned char *)aad, aad_len, psk, body,
                                       ODO_GW_SEAL_TAG_LEN, body + len);
    mbedtls_gcm_free(&gcm);
    if (rc != 0)
        return odo_err_set(err, ODO_EINVAL, "cannot seal a device key (mbedtls -0x%04x)", -rc);
    *outlen = 1 + ODO_GW_SEAL_ID_LEN + ODO_GW_SEAL_NONCE_LEN + len + ODO_GW_SEAL_TAG_LEN;
    return 0;
}

int odo_gw_unseal(const unsigned char key[ODO_GW_SEAL_KEY_LEN], const char *device,
                  const unsigned char *sealed, size_t len, unsigned char psk[ODO_GW_PSK_MAX],
                  size_t *psklen, struct odo_err *err)
{
    const size_t head = 1 + ODO_GW_SEAL_ID_LEN + ODO_GW_SEAL_NONCE_LEN;
    char aad[sizeof(AAD_PREFIX) + ID_TEXT_LEN];
    size_t aad_len = make_aad(device, aad), n;
    unsigned char id[ODO_GW_SEAL_ID_LEN];
    mbedtls_gcm_context gcm;
    int rc;

    if (len < head + ODO_GW_PSK_MIN + ODO_GW_SEAL_TAG_LEN || len > ODO_GW_SEALED_MAX ||
        sealed[0] != SEAL_VERSION)
        return odo_err_set(err, ODO_EAUTH, "the sealed key of device %.36s is malformed", device);
    key_id(key, id);
    if (memcmp(id, sealed + 1, sizeof(id)) != 0)
        return odo_err_set(err, ODO_EAUTH,
                           "the key of device %.36s was sealed under another "
                           "ODOLOG_DEVICE_KEY_SECRET",
                           device);
    n = len - head - ODO_GW_SEAL_TAG_LEN;
    mbedtls_gcm_init(&gcm);
    rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, ODO_GW_SEAL_KEY_LEN * 8);
    if (rc == 0)
        rc = mbedtls_gcm_auth_decrypt(&gcm, n, sealed + 1 + ODO_GW_SEAL_ID_LEN,
                                      ODO_GW_SEAL_NONCE_LEN, (const unsigned char *)aad, aad_len,
                                      sealed + head + n, ODO_GW_SEAL_TAG_LEN, sealed + head, psk);
    mbedtls_gcm_free(&gcm);
    if (rc != 0) {
        mbedtls_platform_zeroize(psk, ODO_GW_PSK_MAX);
        return odo_err_set(err, ODO_EAUTH,
                           "the sealed key of device %.36s does not open: altered, or moved from "
                           "another device",
                           device);
    }
    *psklen = n;
    return 0;
}

/* Reads a bytea column given in hex output ("\x..."). Returns its length or -1. */
static long bytea_value(const char *text, unsigned char *out, size_t cap)
{
    if (strncmp(text, "\\x", 2) != 0)
        return -1;
    return odo_hex_decode(text + 2, out, cap);
}

int odo_gw_device_put(PGconn *c, const unsigned char key[ODO_GW_SEAL_KEY_LEN], const char *device,
                      const unsigned char *psk, size_t len, const char *label, struct odo_err *err)
{
    unsigned char sealed[ODO_GW_SEALED_MAX];
    const char *params[3];
    int lengths[3] = {0, 0, 0}, formats[3] = {0, 1, 0};
    size_t n;
    PGresult *r;
    int rc;

    if ((rc = odo_gw_seal(key, device, psk, len, sealed, &n, err)))
        return rc;
    params[0] = device;
    params[1] = (const char *)sealed;
    lengths[1] = (int)n;
    params[2] = label;
    r = PQexecParams(c,
                     "INSERT INTO devices (device_id, psk_sealed, label) VALUES ($1, $2, $3) "
                     "ON CONFLICT (device_id) DO UPDATE SET psk = NULL, psk_sealed = "
                     "excluded.psk_sealed, label = coalesce(excluded.label, devices.label)",
                     3, NULL, params, lengths, formats, 0);
    rc = odo_pg_check(r, "registering the device", err);
    PQclear(r);
    return rc;
}

int odo_gw_seal_stored(PGconn *c, const unsigned char key[ODO_GW_SEAL_KEY_LEN], int *sealed,
                       struct odo_err *err)
{
    PGresult *r;
    int rc;

    *sealed = 0;
    if ((rc = odo_pg_exec(c, "BEGIN", err)))
        return rc;
    r = PQexec(c, "SELECT device_id::text, psk FROM devices WHERE psk IS NOT NULL FOR UPDATE");
    if ((rc = odo_pg_check(r, "reading plain device keys", err)))
        goto out_rollback;
    for (int i = 0; i < PQntuples(r); i++) {
        unsigned char psk[ODO_GW_PSK_MAX], out[ODO_GW_SEALED_MAX];
        const char *device = PQgetvalue(r, i, 0);
        long len = bytea_value(PQgetvalue(r, i, 1), psk, sizeof(psk));
        size_t n = 0;
        PGresult *u;

        if (len < ODO_GW_PSK_MIN) {
            rc = odo_err_set(err, ODO_EINVAL, "the stored key of device %s is not %d to %d bytes",
                             device, ODO_GW_PSK_MIN, ODO_GW_PSK_MAX);
            goto out_clear;
        }
        rc = odo_gw_seal(key, device, psk, (size_t)len, out, &n, err);
        mbedtls_platform_zeroize(psk, sizeof(psk));
        if (rc)
            goto out_clear;
        {
            const char *params[2] = {device, (const char *)out};
            int lengths[2] = {0, (int)n}, formats[2] = {0, 1};
            u = PQexecParams(c,
                             "UPDATE devices SET psk_sealed = $2, psk = NULL WHERE device_id = "
                             "$1::uuid",
                             2, NULL, params, lengths, formats, 0);
        }
        rc = odo_pg_check(u, "sealing a device key", err);
        PQclear(u);
        if (rc)
            goto out_clear;
        (*sealed)++;
    }
    PQclear(r);
    return odo_pg_exec(c, "COMMIT", err);
out_clear:
    PQclear(r);
out_rollback:
    odo_pg_rollback(c);
    *sealed = 0;
    return rc;
}

/* ---- the keys in memory ----------------------------------------------------------------- */

struct slot {
    char id[ID_TEXT_LEN + 1]; /* "" free; the id with gone set: a deleted slot */
    bool gone;
    bool seen; /* a handshake completed since the last batch of last_seen_at */
    unsigned char len;
    unsigned char key[ODO_GW_PSK_MAX];
};

struct odo_gw_keys {
    pthread_rwlock_t lock;
    pthread_mutex_t seen_lock; /* `seen` flags, which readers set */
    unsigned char seal[ODO_GW_SEAL_KEY_LEN];
    unsigned char decoy[32]; /* made at start: the decoys are no one's keys */
    struct slot *slots;
    size_t cap, used; /* used counts gone slots too: they lengthen probes until a rebuild */
};

int odo_gw_keys_create(const unsigned char key[ODO_GW_SEAL_KEY_LEN], struct odo_gw_keys **out,
                       struct odo_err *err)
{
    struct odo_gw_keys *k = calloc(1, sizeof(*k));

    *out = NULL;
    if (!k || !(k->slots = calloc(TABLE_MIN, sizeof(*k->slots)))) {
        free(k);
        return odo_err_set(err, ODO_ENOMEM, "out of memory for device keys");
    }
    k->cap = TABLE_MIN;
    memcpy(k->seal, key, sizeof(k->seal));
    if (odo_random_bytes(k->decoy, sizeof(k->decoy)) != 0) {
        free(k->slots);
        free(k);
        return odo_err_set(err, ODO_EIO, "no randomness for the gateway's decoy keys");
    }
    pthread_rwlock_init(&k->lock, NULL);
    pthread_mutex_init(&k->seen_lock, NULL);
    *out = k;
    return 0;
}

void odo_gw_keys_destroy(struct odo_gw_keys *k)
{
    if (!k)
        return;
    mbedtls_platform_zeroize(k->slots, k->cap * sizeof(*k->slots));
    free(k->slots);
    pthread_rwlock_destroy(&k->lock);
    pthread_mutex_destroy(&k->seen_lock);
    mbedtls_platform_zeroize(k, sizeof(*k));
    free(k);
}

/* The id in canonical form (lower-case), or false when it is not a UUID. */
static bool normal_id(const char *identity, char out[ID_TEXT_LEN + 1])
{
    if (!identity || strlen(identity) != ID_TEXT_LEN || !odo_uuid_valid(identity))
        return false;
    for (size_t i = 0; i <= ID_TEXT_LEN; i++)
        out[i] = (char)tolower((unsigned char)identity[i]);
    return true;
}

static size_t hash_id(const char *id, size_t cap)
{
    unsigned h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h & (cap - 1);
}

/* The slot holding id (live or gone), or the free slot where it would go. */
static struct slot *probe(struct slot *slots, size_t cap, const char *id)
{
    for (size_t i = hash_id(id, cap);; i = (i + 1) & (cap - 1))
        if (!slots[i].id[0] || strcmp(slots[i].id, id) == 0)
            return &slots[i];
}

/* Puts id's key into a table (caller holds the write lock, and the table has room). */
static void put(struct slot *slots, size_t cap, size_t *used, const char *id,
                const unsigned char *key, size_t len, bool seen)
{
    struct slot *s = probe(slots, cap, id);
    if (!s->id[0]) {
        memcpy(s->id, id, ID_TEXT_LEN + 1);
        (*used)++;
    }
    s->gone = false;
    s->seen = s->seen || seen;
    s->len = (unsigned char)len;
    memcpy(s->key, key, len);
}

/* Makes a table twice as large as the live slots need, holding them (write lock held). */
static int rebuild(struct odo_gw_keys *k)
{
    struct slot *slots;
    size_t cap = TABLE_MIN, used = 0, live = 0;

    for (size_t i = 0; i < k->cap; i++)
        live += k->slots[i].id[0] && !k->slots[i].gone;
    while (cap < (live + 1) * 2)
        cap *= 2;
    if (!(slots = calloc(cap, sizeof(*slots))))
        return ODO_ENOMEM;
    for (size_t i = 0; i < k->cap; i++)
        if (k->slots[i].id[0] && !k->slots[i].gone)
            put(slots, cap, &used, k->slots[i].id, k->slots[i].key, k->slots[i].len,
                k->slots[i].seen);
    mbedtls_platform_zeroize(k->slots, k->cap * sizeof(*k->slots));
    free(k->slots);
    k->slots = slots;
    k->cap = cap;
    k->used = used;
    return 0;
}

/* Opens row i of r (device_id, psk_sealed, psk) into key; false when it cannot be opened. */
static bool open_row(struct odo_gw_keys *k, PGresult *r, int i, unsigned char key[ODO_GW_PSK_MAX],
                     size_t *len)
{
    unsigned char sealed[ODO_GW_SEALED_MAX];
    const char *device = PQgetvalue(r, i, 0);
    struct odo_err err;
    long n;

    if (!PQgetisnull(r, i, 1)) {
        n = bytea_value(PQgetvalue(r, i, 1), sealed, sizeof(sealed));
        return n > 0 && odo_gw_unseal(k->seal, device, sealed, (size_t)n, key, len, &err) == 0;
    }
    /* A key written by an older odolog-gateway, before `migrate` sealed it. */
    n = PQgetisnull(r, i, 2) ? -1 : bytea_value(PQgetvalue(r, i, 2), key, ODO_GW_PSK_MAX);
    if (n < ODO_GW_PSK_MIN)
        return false;
    *len = (size_t)n;
    return true;
}

static const char load_sql[] = "SELECT device_id::text, psk_sealed, psk FROM devices";

int odo_gw_keys_load(struct odo_gw_keys *k, PGconn *c, int *loaded, int *unreadable,
                     struct odo_err *err)
{
    PGresult *r = PQexec(c, load_sql);
    struct slot *slots;
    size_t cap = TABLE_MIN, used = 0;
    int rc;

    *loaded = *unreadable = 0;
    if ((rc = odo_pg_check(r, "reading device keys", err))) {
        PQclear(r);
        return rc;
    }
    while (cap < (size_t)PQntuples(r) * 2)
        cap *= 2;
    if (!(slots = calloc(cap, sizeof(*slots)))) {
        PQclear(r);
        return odo_err_set(err, ODO_ENOMEM, "out of memory for device keys");
    }
    for (int i = 0; i < PQntuples(r); i++) {
        unsigned char key[ODO_GW_PSK_MAX];
        size_t len = 0;
        if (open_row(k, r, i, key, &len)) {
            put(slots, cap, &used, PQgetvalue(r, i, 0), key, len, false);
            (*loaded)++;
        } else {
            (*unreadable)++;
        }
        mbedtls_platform_zeroize(key, sizeof(key));
    }
    PQclear(r);
    pthread_rwlock_wrlock(&k->lock);
    /* Devices seen but not yet written keep their mark. */
    for (size_t i = 0; i < k->cap; i++)
        if (k->slots[i].seen && !k->slots[i].gone) {
            struct slot *s = probe(slots, cap, k->slots[i].id);
            if (s->id[0])
                s->seen = true;
        }
    mbedtls_platform_zeroize(k->slots, k->cap * sizeof(*k->slots));
    free(k->slots);
    k->slots = slots;
    k->cap = cap;
    k->used = used;
    pthread_rwlock_unlock(&k->lock);
    return 0;
}

int odo_gw_keys_reload(struct odo_gw_keys *k, PGconn *c, const char *device, struct odo_err *err)
{
    char id[ID_TEXT_LEN + 1];
    unsigned char key[ODO_GW_PSK_MAX];
    size_t len = 0;
    bool have = false;
    PGresult *r;
    int rc = 0;

    if (!normal_id(device, id))
        return 0;
    {
        const char *params[1] = {id};
        r = PQexecParams(c,
                         "SELECT device_id::text, psk_sealed, psk FROM devices WHERE device_id = "
                         "$1::uuid",
                         1, NULL, params, NULL, NULL, 0);
    }
    if ((rc = odo_pg_check(r, "reading a device key", err))) {
        PQclear(r);
        return rc;
    }
    have = PQntuples(r) == 1 && open_row(k, r, 0, key, &len);
    PQclear(r);
    pthread_rwlock_wrlock(&k->lock);
    if (have) {
        if ((k->used + 1) * 4 > k->cap * 3 && rebuild(k) != 0)
            rc = odo_err_set(err, ODO_ENOMEM, "out of memory for device keys");
        else
            put(k->slots, k->cap, &k->used, id, key, len, false);
    } else {
        struct slot *s = probe(k->slots, k->cap, id);
        if (s->id[0]) {
            s->gone = true;
            mbedtls_platform_zeroize(s->key, sizeof(s->key));
        }
    }
    pthread_rwlock_unlock(&k->lock);
    mbedtls_platform_zeroize(key, sizeof(key));
    return rc;
}

size_t odo_gw_keys_handshake(struct odo_gw_keys *k, const char *identity,
                             unsigned char out[ODO_GW_PSK_MAX], bool *known)
{
    char id[ID_TEXT_LEN + 1];
    unsigned char mac[32];
    size_t len = 0;

    *known = false;
    if (normal_id(identity, id)) {
        pthread_rwlock_rdlock(&k->lock);
        struct slot *s = probe(k->slots, k->cap, id);
        if (s->id[0] && !s->gone) {
            len = s->len;
            memcpy(out, s->key, len);
            *known = true;
        }
        pthread_rwlock_unlock(&k->lock);
    }
    if (*known)
        return len;
    /* Derived from the identity so a retry meets the same key, as it would a device's own. */
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), k->decoy, sizeof(k->decoy),
                    (const unsigned char *)(identity ? identity : ""),
                    identity ? strlen(identity) : 0, mac);
    memcpy(out, mac, ODO_GW_PSK_NEW);
    return ODO_GW_PSK_NEW;
}

void odo_gw_keys_seen(struct odo_gw_keys *k, const char *identity)
{
    char id[ID_TEXT_LEN + 1];

    if (!normal_id(identity, id))
        return;
    pthread_rwlock_rdlock(&k->lock);
    struct slot *s = probe(k->slots, k->cap, id);
    if (s->id[0] && !s->gone) {
        pthread_mutex_lock(&k->seen_lock);
        s->seen = true;
        pthread_mutex_unlock(&k->seen_lock);
    }
    pthread_rwlock_unlock(&k->lock);
}

/* Collects the seen devices into a PostgreSQL array literal and clears nothing yet. */
static size_t collect_seen(struct odo_gw_keys *k, struct odo_buf *ids)
{
    size_t n = 0;
    odo_buf_putc(ids, '{');
    pthread_rwlock_rdlock(&k->lock);
    pthread_mutex_lock(&k->seen_lock);
    for (size_t i = 0; i < k->cap; i++)
        if (k->slots[i].seen && !k->slots[i].gone) {
            if (n++)
                odo_buf_putc(ids, ',');
            odo_buf_puts(ids, k->slots[i].id);
        }
    pthread_mutex_unlock(&k->seen_lock);
    pthread_rwlock_unlock(&k->lock);
    odo_buf_putc(ids, '}');
    return n;
}

static void clear_seen(struct odo_gw_keys *k, const char *ids)
{
    char id[ID_TEXT_LEN + 1];

    pthread_rwlock_rdlock(&k->lock);
    pthread_mutex_lock(&k->seen_lock);
    for (const char *p = ids + 1; strlen(p) >= ID_TEXT_LEN; p += ID_TEXT_LEN + 1) {
        memcpy(id, p, ID_TEXT_LEN);
        id[ID_TEXT_LEN] = '\0';
        struct slot *s = probe(k->slots, k->cap, id);
        if (s->id[0])
            s->seen = false;
    }
    pthread_mutex_unlock(&k->seen_lock);
    pthread_rwlock_unlock(&k->lock);
}

int odo_gw_keys_flush_seen(struct odo_gw_keys *k, PGconn *c, int *written, struct odo_err *err)
{
    struct odo_buf ids;
    PGresult *r;
    size_t n;
    int rc = 0;

    *written = 0;
    odo_buf_init(&ids, (size_t)1 << 30);
    n = collect_seen(k, &ids);
    if (n > 0 && !ids.overflow) {
        const char *params[1] = {ids.data};
        r = PQexecParams(
            c, "UPDATE devices SET last_seen_at = now() WHERE device_id = ANY($1::uuid[])", 1, NULL,
            params, NULL, NULL, 0);
        rc = odo_pg_check(r, "writing last_seen_at", err);
        PQclear(r);
        if (rc == 0) {
            clear_seen(k, ids.data);
            *written = (int)n;
        }
    } else if (ids.overflow) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory for last_seen_at");
    }
    odo_buf_free(&ids);
    return rc;
}
