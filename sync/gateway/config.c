/*
 * The gateway's configuration: defaults, then a KEY=VALUE file, then the environment; the JWT
 * secret and the device key seal (plain or hex), the limits, and what serving needs beyond that.
 */
#define _GNU_SOURCE
#include "sync/gateway/gateway.h"

#include <ctype.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/platform_util.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/fs.h"
#include "platform/text.h"

/* A secret: "hex:..." or plain text (all of its bytes are the key). */
static int read_secret(const char *key, const char *v, unsigned char *out, size_t cap, size_t *len,
                       struct odo_err *err)
{
    if (strncmp(v, "hex:", 4) == 0) {
        long n = odo_hex_decode(v + 4, out, cap);
        if (n < 0)
            return odo_err_set(err, ODO_EINVAL, "%s is not valid hex", key);
        *len = (size_t)n;
        return 0;
    }
    if (strlen(v) > cap)
        return odo_err_set(err, ODO_EINVAL, "%s is too long", key);
    *len = strlen(v);
    memcpy(out, v, *len);
    return 0;
}

/* The key device keys are sealed with: HKDF-SHA256 of a secret, so that the JWT secret can serve
 * as one without the two keys ever being the same bytes. */
static int derive_seal_key(const unsigned char *secret, size_t len, unsigned char *out)
{
    static const char info[] = "odolog device keys v1";
    return mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), NULL, 0, secret, len,
                        (const unsigned char *)info, sizeof(info) - 1, out, ODO_GW_SEAL_KEY_LEN);
}

static int set_seal_secret(struct odo_gw_config *cfg, const char *key, const char *v,
                           struct odo_err *err)
{
    unsigned char secret[256];
    size_t n = 0;
    int rc = read_secret(key, v, secret, sizeof(secret), &n, err);

    if (rc == 0 && n < ODO_JWT_KEY_MIN)
        rc = odo_err_set(err, ODO_EINVAL, "%s must hold at least %d bytes (256 bits)", key,
                         ODO_JWT_KEY_MIN);
    if (rc == 0 && derive_seal_key(secret, n, cfg->seal_key) != 0)
        rc = odo_err_set(err, ODO_EINVAL, "%s: cannot derive a key from it", key);
    if (rc == 0)
        cfg->seal_key_derived = false;
    mbedtls_platform_zeroize(secret, sizeof(secret));
    return rc;
}

static int set_int(const char *key, const char *v, int min, int max, int *out, struct odo_err *err)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < min || n > max)
        return odo_err_set(err, ODO_EINVAL, "%s must be a whole number from %d to %d", key, min,
                           max);
    *out = (int)n;
    return 0;
}

#define COPY_STR(field, v)                                                                         \
    (strlen(v) >= sizeof(field) ? odo_err_set(err, ODO_EINVAL, "%s is too long", key)              \
                                : (snprintf(field, sizeof(field), "%s", v), 0))

/* The whole-number settings: name, where in the configuration, default and range. */
#define INT_SETTING(name, field, def, min, max)                                                    \
    {                                                                                              \
        name, offsetof(struct odo_gw_config, field), def, min, max                                 \
    }
static const struct int_setting {
    const char *name;
    size_t offset;
    int def, min, max;
} int_settings[] = {
    INT_SETTING("ODOLOG_HTTPS_PORT", https_port, 8443, 0, 65535),
    INT_SETTING("ODOLOG_COAPS_PORT", coaps_port, 5684, 0, 65535),
    INT_SETTING("ODOLOG_COAP_PORT", coap_port, 0, 0, 65535),
    INT_SETTING("ODOLOG_POOL_SIZE", pool_size, 4, 1, 64),
    INT_SETTING("ODOLOG_HTTP_THREADS", http_threads, 4, 1, 64),
    INT_SETTING("ODOLOG_SCHEMA_MIN", schema_min, ODO_SCHEMA_MIN, 1, 1000),
    INT_SETTING("ODOLOG_HTTPS_MAX_CONNECTIONS", limits.https_connections, 4000, 1, 1000000),
    INT_SETTING("ODOLOG_HTTPS_MAX_PER_ADDRESS", limits.https_per_address, 64, 1, 1000000),
    INT_SETTING("ODOLOG_IDLE_TIMEOUT", limits.idle_timeout_s, 30, 1, 3600),
    INT_SETTING("ODOLOG_REQUEST_DEADLINE", limits.request_deadline_s, 120, 1, 3600),
    INT_SETTING("ODOLOG_COAPS_MAX_SESSIONS", limits.coaps_sessions, 4000, 1, 1000000),
    INT_SETTING("ODOLOG_COAPS_MAX_PER_ADDRESS", limits.coaps_per_address, 256, 1, 1000000),
    INT_SETTING("ODOLOG_HANDSHAKE_RATE", limits.handshake_rate, 20, 1, 1000000),
    INT_SETTING("ODOLOG_HANDSHAKE_BURST", limits.handshake_burst, 200, 1, 1000000),
    INT_SETTING("ODOLOG_HANDSHAKE_TIMEOUT", limits.handshake_timeout_s, 15, 1, 300),
    INT_SETTING("ODOLOG_BLOCKWISE_MAX_PER_ADDRESS", limits.blockwise_per_address, 32, 1, 100000),
    INT_SETTING("ODOLOG_BLOCKWISE_MEMORY_MB", limits.blockwise_memory_mb, 256, 4, 65536),
    INT_SETTING("ODOLOG_DEVICE_RATE", limits.device_rate, 1200, 1, 100000000),
    INT_SETTING("ODOLOG_DEVICE_BURST", limits.device_burst, 600, 1, 1000000),
    INT_SETTING("ODOLOG_USER_RATE", limits.user_rate, 2400, 1, 100000000),
    INT_SETTING("ODOLOG_USER_BURST", limits.user_burst, 1200, 1, 1000000),
    INT_SETTING("ODOLOG_SUMMARY_INTERVAL", limits.summary_interval_s, 60, 1, 86400),
    INT_SETTING("ODOLOG_LAST_SEEN_INTERVAL", limits.last_seen_interval_s, 60, 1, 86400),
};

/* Applies one KEY=VALUE setting. Keys are the environment variable names. */
static int apply_setting(struct odo_gw_config *cfg, const char *key, const char *v,
                         struct odo_err *err)
{
    for (size_t i = 0; i < sizeof(int_settings) / sizeof(int_settings[0]); i++)
        if (strcmp(key, int_settings[i].name) == 0)
            return set_int(key, v, int_settings[i].min, int_settings[i].max,
                           (int *)((char *)cfg + int_settings[i].offset), err);
    if (strcmp(key, "DATABASE_URL") == 0)
        return COPY_STR(cfg->database_url, v);
    if (strcmp(key, "ODOLOG_JWT_SECRET") == 0)
        return read_secret(key, v, cfg->jwt_key, sizeof(cfg->jwt_key), &cfg->jwt_key_len, err);
    if (strcmp(key, "ODOLOG_DEVICE_KEY_SECRET") == 0)
        return set_seal_secret(cfg, key, v, err);
    if (strcmp(key, "ODOLOG_JWT_ISSUER") == 0)
        return COPY_STR(cfg->jwt_issuer, v);
    if (strcmp(key, "ODOLOG_JWT_AUDIENCE") == 0)
        return COPY_STR(cfg->jwt_audience, v);
    if (strcmp(key, "ODOLOG_LISTEN") == 0)
        return COPY_STR(cfg->listen, v);
    if (strcmp(key, "ODOLOG_TLS_CERT") == 0)
        return COPY_STR(cfg->tls_cert, v);
    if (strcmp(key, "ODOLOG_TLS_KEY") == 0)
        return COPY_STR(cfg->tls_key, v);
    if (strcmp(key, "ODOLOG_VPIC") == 0)
        return COPY_STR(cfg->vpic, v);
    if (strcmp(key, "ODOLOG_LOG_LEVEL") == 0)
        return odo_log_level_parse(v, &cfg->log_level)
                   ? odo_err_set(err, ODO_EINVAL, "ODOLOG_LOG_LEVEL is error, warn, info or debug")
                   : 0;
    return odo_err_set(err, ODO_EINVAL, "unknown setting '%s'", key);
}

static const char *const env_keys[] = {
    "DATABASE_URL",
    "ODOLOG_JWT_SECRET",
    "ODOLOG_JWT_ISSUER",
    "ODOLOG_JWT_AUDIENCE",
    "ODOLOG_LISTEN",
    "ODOLOG_TLS_CERT",
    "ODOLOG_TLS_KEY",
    "ODOLOG_LOG_LEVEL",
    "ODOLOG_VPIC",
    "ODOLOG_DEVICE_KEY_SECRET",
    NULL,
};

/* Reads the KEY=VALUE file at path into cfg. */
static int load_file(struct odo_gw_config *cfg, const char *path, struct odo_err *err)
{
    char *text, *line, *save = NULL;
    size_t len;
    int lineno = 0, rc;

    if ((rc = odo_fs_read_all(path, 1u << 20, &text, &len, err)))
        return rc;
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq, *k = line, *v;
        lineno++;
        while (isspace((unsigned char)*k))
            k++;
        if (!*k || *k == '#')
            continue;
        eq = strchr(k, '=');
        if (!eq) {
            rc = odo_err_set(err, ODO_EINVAL, "%s:%d: expected KEY=VALUE", path, lineno);
            break;
        }
        *eq = '\0';
        v = eq + 1;
        for (char *e = eq - 1; e >= k && isspace((unsigned char)*e); e--)
            *e = '\0';
        while (isspace((unsigned char)*v))
            v++;
        for (char *e = v + strlen(v) - 1; e >= v && isspace((unsigned char)*e); e--)
            *e = '\0';
        if ((rc = apply_setting(cfg, k, v, err))) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            rc = odo_err_set(err, rc, "%s:%d: %s", path, lineno, msg);
            break;
        }
    }
    mbedtls_platform_zeroize(text, len);
    free(text);
    return rc;
}

int odo_gw_config_load(struct odo_gw_config *cfg, const char *path, struct odo_err *err)
{
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->jwt_issuer, sizeof(cfg->jwt_issuer), "odolog");
    snprintf(cfg->jwt_audience, sizeof(cfg->jwt_audience), "odolog-sync");
    snprintf(cfg->listen, sizeof(cfg->listen), "0.0.0.0");
    cfg->log_level = ODO_LOG_INFO;
    cfg->seal_key_derived = true;
    for (size_t i = 0; i < sizeof(int_settings) / sizeof(int_settings[0]); i++)
        *(int *)((char *)cfg + int_settings[i].offset) = int_settings[i].def;

    if (path && (rc = load_file(cfg, path, err)))
        return rc;
    for (const char *const *k = env_keys; *k; k++) {
        const char *v = getenv(*k);
        if (v && *v && (rc = apply_setting(cfg, *k, v, err)))
            return rc;
    }
    for (size_t i = 0; i < sizeof(int_settings) / sizeof(int_settings[0]); i++) {
        const char *v = getenv(int_settings[i].name);
        if (v && *v && (rc = apply_setting(cfg, int_settings[i].name, v, err)))
            return rc;
    }
    if (cfg->jwt_key_len < ODO_JWT_KEY_MIN)
        return odo_err_set(err, ODO_EINVAL,
                           "ODOLOG_JWT_SECRET must hold at least %d bytes (256 bits)",
                           ODO_JWT_KEY_MIN);
    if (cfg->seal_key_derived && derive_seal_key(cfg->jwt_key, cfg->jwt_key_len, cfg->seal_key))
        return odo_err_set(err, ODO_EINVAL, "cannot derive the device key seal");
    return 0;
}

int odo_gw_config_check_serve(const struct odo_gw_config *cfg, struct odo_err *err)
{
    if (!cfg->database_url[0])
        return odo_err_set(err, ODO_EINVAL, "no database: set DATABASE_URL");
    if (cfg->coap_port && !cfg->allow_insecure)
        return odo_err_set(err, ODO_EINVAL,
                           "plain coap (ODOLOG_COAP_PORT) is for tests only: pass "
                           "--insecure-coap");
    if (cfg->https_port && (!cfg->tls_cert[0] || !cfg->tls_key[0]))
        return odo_err_set(err, ODO_EINVAL,
                           "HTTPS needs ODOLOG_TLS_CERT and ODOLOG_TLS_KEY (or "
                           "ODOLOG_HTTPS_PORT=0)");
    if (!cfg->https_port && !cfg->coaps_port && !cfg->coap_port)
        return odo_err_set(err, ODO_EINVAL,
                           "no port to serve: set ODOLOG_HTTPS_PORT or "
                           "ODOLOG_COAPS_PORT");
    return 0;
}
