/*
 * The gateway's guards that need no network or database: device keys sealed at rest (what a
 * reader of the database, its backups or another device's row gets), decoys for identities that
 * name no device, the token buckets behind the rate limits, and the limit settings.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/internal.h"
#include "test.h"

static const unsigned char SEAL[ODO_GW_SEAL_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const char DEVICE[] = "01a20150-80fe-766b-88b6-60908597fa61";
static const char OTHER[] = "01a20150-80fe-766b-88b6-60908597fa62";

static void test_a_sealed_key_opens_only_for_its_device_under_its_seal(void)
{
    unsigned char psk[32], sealed[ODO_GW_SEALED_MAX], out[ODO_GW_PSK_MAX], other[32];
    size_t n, len;
    struct odo_err err;

    for (size_t i = 0; i < sizeof(psk); i++)
        psk[i] = (unsigned char)(i * 7 + 1);
    ASSERT_OK(odo_gw_seal(SEAL, DEVICE, psk, sizeof(psk), sealed, &n, &err), &err);
    ASSERT_EQ(n, 1 + ODO_GW_SEAL_ID_LEN + ODO_GW_SEAL_NONCE_LEN + 32 + ODO_GW_SEAL_TAG_LEN);
    ASSERT(memmem(sealed, n, psk, sizeof(psk)) == NULL); /* the key is not in the clear */
    ASSERT_OK(odo_gw_unseal(SEAL, DEVICE, sealed, n, out, &len, &err), &err);
    ASSERT_EQ(len, sizeof(psk));
    ASSERT(memcmp(out, psk, len) == 0);
    /* The id in capitals is the same device. */
    ASSERT_OK(
        odo_gw_unseal(SEAL, "01A20150-80FE-766B-88B6-60908597FA61", sealed, n, out, &len, &err),
        &err);
    /* Moved to another device's row: refused. */
    ASSERT_EQ(odo_gw_unseal(SEAL, OTHER, sealed, n, out, &len, &err), ODO_EAUTH);
    ASSERT_CONTAINS(err.msg, "does not open");
    /* Under another seal: refused, and the sentence says which setting to look at. */
    memcpy(other, SEAL, sizeof(other));
    other[0] ^= 1;
    ASSERT_EQ(odo_gw_unseal(other, DEVICE, sealed, n, out, &len, &err), ODO_EAUTH);
    ASSERT_CONTAINS(err.msg, "ODOLOG_DEVICE_KEY_SECRET");
    /* Any byte altered: refused. */
    for (size_t i = 0; i < n; i++) {
        sealed[i] ^= 0x40;
        ASSERT_EQ(odo_gw_unseal(SEAL, DEVICE, sealed, n, out, &len, &err), ODO_EAUTH);
        sealed[i] ^= 0x40;
    }
    ASSERT_EQ(odo_gw_unseal(SEAL, DEVICE, sealed, n - 1, out, &len, &err), ODO_EAUTH);
}

static void test_two_seals_of_one_key_differ_and_keys_of_the_wrong_size_are_refused(void)
{
    unsigned char psk[ODO_GW_PSK_MAX + 1] = {0}, a[ODO_GW_SEALED_MAX], b[ODO_GW_SEALED_MAX];
    size_t na, nb;
    struct odo_err err;

    ASSERT_OK(odo_gw_seal(SEAL, DEVICE, psk, 16, a, &na, &err), &err);
    ASSERT_OK(odo_gw_seal(SEAL, DEVICE, psk, 16, b, &nb, &err), &err);
    ASSERT_EQ(na, nb);
    ASSERT(memcmp(a, b, na) != 0); /* a fresh nonce each time */
    ASSERT_OK(odo_gw_seal(SEAL, DEVICE, psk, ODO_GW_PSK_MAX, a, &na, &err), &err);
    ASSERT_EQ(odo_gw_seal(SEAL, DEVICE, psk, ODO_GW_PSK_MIN - 1, a, &na, &err), ODO_EINVAL);
    ASSERT_EQ(odo_gw_seal(SEAL, DEVICE, psk, ODO_GW_PSK_MAX + 1, a, &na, &err), ODO_EINVAL);
}

static void test_an_identity_naming_no_device_gets_the_same_decoy_every_time(void)
{
    struct odo_gw_keys *k;
    struct odo_err err;
    unsigned char a[ODO_GW_PSK_MAX], b[ODO_GW_PSK_MAX], c[ODO_GW_PSK_MAX];
    bool known = true;
    size_t na, nb, nc;

    ASSERT_OK(odo_gw_keys_create(SEAL, &k, &err), &err);
    na = odo_gw_keys_handshake(k, DEVICE, a, &known);
    ASSERT(!known);
    nb = odo_gw_keys_handshake(k, DEVICE, b, &known);
    nc = odo_gw_keys_handshake(k, OTHER, c, &known);
    ASSERT_EQ(na, ODO_GW_PSK_NEW); /* as long as the keys `device add` makes */
    ASSERT_EQ(na, nb);
    ASSERT(memcmp(a, b, na) == 0);
    ASSERT_EQ(nc, na);
    ASSERT(memcmp(a, c, na) != 0);
    /* Not even something that is not an id gets an immediate refusal. */
    ASSERT_EQ(odo_gw_keys_handshake(k, "", a, &known), ODO_GW_PSK_NEW);
    ASSERT(!known);
    odo_gw_keys_seen(k, DEVICE); /* an unknown device is never marked seen */
    odo_gw_keys_destroy(k);
}

static void test_a_bucket_allows_its_burst_then_names_the_wait_and_refills(void)
{
    struct odo_gw_buckets b;
    const double per_ms = 60 / 60000.0; /* 60 a minute: one a second */

    ASSERT_EQ(odo_gw_buckets_init(&b, 16), 0);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(odo_gw_bucket_take(&b, "device:a", per_ms, 3, 1000), 0);
    ASSERT_INT(odo_gw_bucket_take(&b, "device:a", per_ms, 3, 1000), >, 990);
    ASSERT_INT(odo_gw_bucket_take(&b, "device:a", per_ms, 3, 1000), <=, 1001);
    /* Another key has its own bucket. */
    ASSERT_EQ(odo_gw_bucket_take(&b, "device:b", per_ms, 3, 1000), 0);
    /* Half a second later, half a token: the wait is the other half. */
    ASSERT_INT(odo_gw_bucket_take(&b, "device:a", per_ms, 3, 1500), <=, 501);
    ASSERT_EQ(odo_gw_bucket_take(&b, "device:a", per_ms, 3, 2100), 0);
    /* Refilled up to the burst and no further. */
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(odo_gw_bucket_take(&b, "device:a", per_ms, 3, 60000), 0);
    ASSERT_INT(odo_gw_bucket_take(&b, "device:a", per_ms, 3, 60000), >, 0);
    odo_gw_buckets_free(&b);
}

static void test_a_full_table_gives_a_newcomer_the_least_recent_slot_and_its_burst(void)
{
    struct odo_gw_buckets b;
    const double per_ms = 1 / 60000.0; /* one a minute */
    char key[32];

    ASSERT_EQ(odo_gw_buckets_init(&b, 4), 0);
    /* "busy" spends its only token first; three others after it. */
    ASSERT_EQ(odo_gw_bucket_take(&b, "busy", per_ms, 1, 1000), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof(key), "idle-%d", i);
        ASSERT_EQ(odo_gw_bucket_take(&b, key, per_ms, 1, 1000 + i), 0);
    }
    /* A newcomer takes the least recent slot (busy's: a table this small forgets it) and gets
     * its burst, and no more. */
    ASSERT_EQ(odo_gw_bucket_take(&b, "new", per_ms, 1, 2000), 0);
    ASSERT_INT(odo_gw_bucket_take(&b, "new", per_ms, 1, 2000), >, 0);
    /* The idle keys kept their slots: they still wait. */
    ASSERT_INT(odo_gw_bucket_take(&b, "idle-2", per_ms, 1, 2000), >, 0);
    odo_gw_buckets_free(&b);
}

static void test_limits_have_defaults_take_the_environment_and_refuse_nonsense(void)
{
    struct odo_gw_config cfg, other;
    struct odo_err err;

    setenv("ODOLOG_JWT_SECRET", "unit-test-secret-0123456789abcdef0123", 1);
    unsetenv("ODOLOG_DEVICE_KEY_SECRET");
    unsetenv("ODOLOG_HTTPS_MAX_PER_ADDRESS");
    ASSERT_OK(odo_gw_config_load(&cfg, NULL, &err), &err);
    ASSERT_EQ(cfg.limits.https_per_address, 64);
    ASSERT_EQ(cfg.limits.request_deadline_s, 120);
    ASSERT_EQ(cfg.limits.device_rate, 1200);
    ASSERT(cfg.seal_key_derived);
    setenv("ODOLOG_HTTPS_MAX_PER_ADDRESS", "8", 1);
    setenv("ODOLOG_DEVICE_KEY_SECRET",
           "hex:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
    ASSERT_OK(odo_gw_config_load(&other, NULL, &err), &err);
    ASSERT_EQ(other.limits.https_per_address, 8);
    ASSERT(!other.seal_key_derived);
    ASSERT(memcmp(cfg.seal_key, other.seal_key, ODO_GW_SEAL_KEY_LEN) != 0);
    /* The seal is never the JWT key itself. */
    ASSERT(memcmp(cfg.seal_key, cfg.jwt_key, ODO_GW_SEAL_KEY_LEN) != 0);
    setenv("ODOLOG_HTTPS_MAX_PER_ADDRESS", "0", 1);
    ASSERT_EQ(odo_gw_config_load(&other, NULL, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "ODOLOG_HTTPS_MAX_PER_ADDRESS must be a whole number from 1");
    unsetenv("ODOLOG_HTTPS_MAX_PER_ADDRESS");
    setenv("ODOLOG_DEVICE_KEY_SECRET", "short", 1);
    ASSERT_EQ(odo_gw_config_load(&other, NULL, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "ODOLOG_DEVICE_KEY_SECRET must hold at least 32 bytes");
    unsetenv("ODOLOG_DEVICE_KEY_SECRET");
}

RUN_TESTS(TEST_CASE(test_a_sealed_key_opens_only_for_its_device_under_its_seal),
          TEST_CASE(test_two_seals_of_one_key_differ_and_keys_of_the_wrong_size_are_refused),
          TEST_CASE(test_an_identity_naming_no_device_gets_the_same_decoy_every_time),
          TEST_CASE(test_a_bucket_allows_its_burst_then_names_the_wait_and_refills),
          TEST_CASE(test_a_full_table_gives_a_newcomer_the_least_recent_slot_and_its_burst),
          TEST_CASE(test_limits_have_defaults_take_the_environment_and_refuse_nonsense))
