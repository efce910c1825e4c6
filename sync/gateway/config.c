/*
 * The gateway's configuration: defaults, then a KEY=VALUE file, then the environment; the JWT
 * secret (plain or hex), and what serving needs beyond that.
 */
#define _GNU_SOURCE
#include "sync/gateway/gateway.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/fs.h"
#include "platform/text.h"

/* The JWT secret: "hex:..." or plain text (all of its bytes are the key). */
static int set_secret(struct odo_gw_config *cfg, const char *v, struct odo_err *err)
{
    size_t n = 0;

    if (strncmp(v, "hex:", 4) == 0) {
        long len = odo_hex_decode(v + 4, cfg->jwt_key, sizeof(cfg->jwt_key));
        if (len < 0)
            return odo_err_set(err, ODO_EINVAL, "the JWT secret is not valid hex");
        n = (size_t)len;
    } else {
        n = strlen(v);
        if (n > sizeof(cfg->jwt_key))
            return odo_err_set(err, ODO_EINVAL, "the JWT secret is too long");
        memcpy(cfg->jwt_key, v, n);
    }
    cfg->jwt_key_len = n;
    return 0;
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

/* Applies one KEY=VALUE setting. Keys are the environment variable names. */
static int apply_setting(struct odo_gw_config *cfg, const char *key, const char *v,
                         struct odo_err *err)
{
    if (strcmp(key, "DATABASE_URL") == 0)
        return COPY_STR(cfg->database_url, v);
    if (strcmp(key, "ODOLOG_JWT_SECRET") == 0)
        return set_secret(cfg, v, err);
    if (strcmp(key, "ODOLOG_JWT_ISSUER") == 0)
        return COPY_STR(cfg->jwt_issuer, v);
    if (strcmp(key, "ODOLOG_JWT_AUDIENCE") == 0)
        return COPY_STR(cfg->jwt_audience, v);
    if (strcmp(key, "ODOLOG_LISTEN") == 0)
        return COPY_STR(cfg->listen, v);
    if (strcmp(key, "ODOLOG_HTTPS_PORT") == 0)
        return set_int(key, v, 0, 65535, &cfg->https_port, err);
    if (strcmp(key, "ODOLOG_COAPS_PORT") == 0)
        return set_int(key, v, 0, 65535, &cfg->coaps_port, err);
    if (strcmp(key, "ODOLOG_COAP_PORT") == 0)
        return set_int(key, v, 0, 65535, &cfg->coap_port, err);
    if (strcmp(key, "ODOLOG_TLS_CERT") == 0)
        return COPY_STR(cfg->tls_cert, v);
    if (strcmp(key, "ODOLOG_TLS_KEY") == 0)
        return COPY_STR(cfg->tls_key, v);
    if (strcmp(key, "ODOLOG_POOL_SIZE") == 0)
        return set_int(key, v, 1, 64, &cfg->pool_size, err);
    if (strcmp(key, "ODOLOG_HTTP_THREADS") == 0)
        return set_int(key, v, 1, 64, &cfg->http_threads, err);
    if (strcmp(key, "ODOLOG_SCHEMA_MIN") == 0)
        return set_int(key, v, 1, 1000, &cfg->schema_min, err);
    if (strcmp(key, "ODOLOG_VPIC") == 0)
        return COPY_STR(cfg->vpic, v);
    if (strcmp(key, "ODOLOG_LOG_LEVEL") == 0)
        return odo_log_level_parse(v, &cfg->log_level)
                   ? odo_err_set(err, ODO_EINVAL, "ODOLOG_LOG_LEVEL is error, warn, info or debug")
                   : 0;
    return odo_err_set(err, ODO_EINVAL, "unknown setting '%s'", key);
}

static const char *const env_keys[] = {
    "DATABASE_URL",      "ODOLOG_JWT_SECRET", "ODOLOG_JWT_ISSUER", "ODOLOG_JWT_AUDIENCE",
    "ODOLOG_LISTEN",     "ODOLOG_HTTPS_PORT", "ODOLOG_COAPS_PORT", "ODOLOG_COAP_PORT",
    "ODOLOG_TLS_CERT",   "ODOLOG_TLS_KEY",    "ODOLOG_POOL_SIZE",  "ODOLOG_HTTP_THREADS",
    "ODOLOG_SCHEMA_MIN", "ODOLOG_LOG_LEVEL",  "ODOLOG_VPIC",       NULL,
};

int odo_gw_config_load(struct odo_gw_config *cfg, const char *path, struct odo_err *err)
{
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->jwt_issuer, sizeof(cfg->jwt_issuer), "odolog");
    snprintf(cfg->jwt_audience, sizeof(cfg->jwt_audience), "odolog-sync");
    snprintf(cfg->listen, sizeof(cfg->listen), "0.0.0.0");
    cfg->https_port = 8443;
    cfg->coaps_port = 5684;
    cfg->pool_size = 4;
    cfg->http_threads = 4;
    cfg->schema_min = ODO_SCHEMA_MIN;
    cfg->log_level = ODO_LOG_INFO;

    if (path) {
        char *text, *line, *save = NULL;
        size_t len;
        int lineno = 0;
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
                free(text);
                return odo_err_set(err, ODO_EINVAL, "%s:%d: expected KEY=VALUE", path, lineno);
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
                free(text);
                return odo_err_set(err, rc, "%s:%d: %s", path, lineno, msg);
            }
        }
        free(text);
    }
    for (const char *const *k = env_keys; *k; k++) {
        const char *v = getenv(*k);
        if (v && *v && (rc = apply_setting(cfg, *k, v, err)))
            return rc;
    }
    if (cfg->jwt_key_len < ODO_JWT_KEY_MIN)
        return odo_err_set(err, ODO_EINVAL,
                           "ODOLOG_JWT_SECRET must hold at least %d bytes (256 bits)",
                           ODO_JWT_KEY_MIN);
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
