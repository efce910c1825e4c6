/*
 * Gateway configuration, state and the request handler shared by both transports.
 */
#define _GNU_SOURCE
#include "sync/gateway/gateway.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "platform/fs.h"
#include "platform/text.h"
#include "platform/uuid.h"
#include "storage/vin/vpic.h"
#include "sync/gateway/apply.h"

#define THROTTLE_SLOTS         1024
#define THROTTLE_FREE_FAILURES 5      /* failures before any wait */
#define THROTTLE_MAX_WAIT_MS   300000 /* the backoff cap: five minutes */

struct throttle_slot {
    char key[80];
    int failures;
    int64_t until_ms;
};

struct odo_gw {
    struct odo_gw_config cfg;
    struct odo_log log;
    struct odo_pg_pool *pool;
    struct odo_jwt_config jwt;
    pthread_mutex_t lock; /* the clock and the throttle table */
    odo_hlc clock;
    struct throttle_slot throttle[THROTTLE_SLOTS];
    struct odo_vpic *vpic;     /* NULL: this gateway has no VIN data */
    pthread_mutex_t vpic_lock; /* one SQLite connection, one decode at a time */
};

static int64_t now_ms(void)
{
    return odo_clock_now(NULL);
}

/* ---- configuration ---------------------------------------------------------------------- */

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

/* ---- state ------------------------------------------------------------------------------ */

int odo_gw_create(const struct odo_gw_config *cfg, struct odo_gw **out, struct odo_err *err)
{
    struct odo_gw *gw = calloc(1, sizeof(*gw));
    int rc;

    *out = NULL;
    if (!gw)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    gw->cfg = *cfg;
    odo_log_init(&gw->log, "odolog-gateway", cfg->log_level);
    gw->jwt.key = gw->cfg.jwt_key;
    gw->jwt.key_len = gw->cfg.jwt_key_len;
    gw->jwt.issuer = gw->cfg.jwt_issuer;
    gw->jwt.audience = gw->cfg.jwt_audience;
    gw->jwt.leeway_s = 30;
    pthread_mutex_init(&gw->lock, NULL);
    pthread_mutex_init(&gw->vpic_lock, NULL);
    gw->clock = odo_hlc_tick(0, now_ms());
    if (cfg->vpic[0]) {
        struct odo_err e2;
        if (odo_vpic_open(cfg->vpic, &gw->vpic, &e2) != 0)
            odo_log(&gw->log, ODO_LOG_WARN, "no VIN decoding: %s", e2.msg);
    }
    if ((rc = odo_pg_pool_open(cfg->database_url, cfg->pool_size, &gw->pool, err))) {
        odo_gw_destroy(gw);
        return rc;
    }
    *out = gw;
    return 0;
}

void odo_gw_destroy(struct odo_gw *gw)
{
    if (!gw)
        return;
    odo_pg_pool_close(gw->pool);
    odo_vpic_close(gw->vpic);
    pthread_mutex_destroy(&gw->vpic_lock);
    pthread_mutex_destroy(&gw->lock);
    memset(gw->cfg.jwt_key, 0, sizeof(gw->cfg.jwt_key));
    free(gw);
}

const struct odo_gw_config *odo_gw_cfg(const struct odo_gw *gw)
{
    return &gw->cfg;
}

const struct odo_log *odo_gw_log(const struct odo_gw *gw)
{
    return &gw->log;
}

/* ---- throttling ------------------------------------------------------------------------- */

static struct throttle_slot *slot_for(struct odo_gw *gw, const char *key)
{
    unsigned h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &gw->throttle[h % THROTTLE_SLOTS];
}

/* Milliseconds the key must still wait, 0 when it may try. */
static int64_t throttle_wait(struct odo_gw *gw, const char *key)
{
    int64_t wait = 0, now = now_ms();
    pthread_mutex_lock(&gw->lock);
    struct throttle_slot *s = slot_for(gw, key);
    if (strcmp(s->key, key) == 0 && s->until_ms > now)
        wait = s->until_ms - now;
    pthread_mutex_unlock(&gw->lock);
    return wait;
}

static void throttle_failed(struct odo_gw *gw, const char *key)
{
    pthread_mutex_lock(&gw->lock);
    struct throttle_slot *s = slot_for(gw, key);
    if (strcmp(s->key, key) != 0) {
        snprintf(s->key, sizeof(s->key), "%s", key);
        s->failures = 0;
        s->until_ms = 0;
    }
    s->failures++;
    if (s->failures > THROTTLE_FREE_FAILURES) {
        int64_t wait = 1000LL << (s->failures - THROTTLE_FREE_FAILURES - 1 > 20
                                      ? 20
                                      : s->failures - THROTTLE_FREE_FAILURES - 1);
        s->until_ms = now_ms() + (wait > THROTTLE_MAX_WAIT_MS ? THROTTLE_MAX_WAIT_MS : wait);
    }
    pthread_mutex_unlock(&gw->lock);
}

static void throttle_ok(struct odo_gw *gw, const char *key)
{
    pthread_mutex_lock(&gw->lock);
    struct throttle_slot *s = slot_for(gw, key);
    if (strcmp(s->key, key) == 0) {
        s->failures = 0;
        s->until_ms = 0;
    }
    pthread_mutex_unlock(&gw->lock);
}

/* ---- handling --------------------------------------------------------------------------- */

/* What the request log line tells about a sync call. */
struct call_info {
    char user[65];
    char device[ODO_UUID_TEXT_LEN + 1];
    size_t rows;
};

static void fail(struct odo_gw_response *resp, enum odo_pe e, const char *message)
{
    resp->http = odo_pe_http(e);
    resp->coap = odo_pe_coap(e);
    odo_buf_reset(&resp->body);
    odo_error_encode(&resp->body, e, message);
}

static void ok(struct odo_gw_response *resp)
{
    resp->http = 200;
    resp->coap = 205;
}

/*
 * Verifies the token (body field or bearer header). Failed validations are counted per user once
 * the signature verified (an expired token, say), and per transport identity or address before
 * that; past a few, that key is answered 429 with a capped, growing wait, and a success resets
 * it. A token that verifies is never held back by its address: that is what keeps one abuser
 * behind a shared address from locking out everyone else there.
 */
static int authenticate(struct odo_gw *gw, const struct odo_gw_request *req, const char *token,
                        struct odo_jwt_claims *claims, struct odo_gw_response *resp)
{
    char peer_key[80], user_key[80], msg[96];
    struct odo_err err;
    int sig_ok;
    int64_t wait;

    snprintf(peer_key, sizeof(peer_key), "peer:%s",
             req->psk_identity ? req->psk_identity
             : req->peer       ? req->peer
                               : "?");
    if (!token)
        token = req->bearer;
    if (odo_jwt_verify(&gw->jwt, token, now_ms() / 1000, claims, &sig_ok, &err) == 0) {
        snprintf(user_key, sizeof(user_key), "user:%s", claims->sub);
        if ((wait = throttle_wait(gw, user_key)) > 0) {
            snprintf(msg, sizeof(msg), "too many failed attempts: retry in %lld s",
                     (long long)(wait + 999) / 1000);
            fail(resp, ODO_PE_THROTTLED, msg);
            return -1;
        }
        throttle_ok(gw, peer_key);
        throttle_ok(gw, user_key);
        return 0;
    }
    if (sig_ok)
        snprintf(user_key, sizeof(user_key), "user:%s", claims->sub[0] ? claims->sub : "?");
    const char *key = sig_ok && claims->sub[0] ? user_key : peer_key;
    if ((wait = throttle_wait(gw, key)) > 0) {
        snprintf(msg, sizeof(msg), "too many failed attempts: retry in %lld s",
                 (long long)(wait + 999) / 1000);
        fail(resp, ODO_PE_THROTTLED, msg);
        return -1;
    }
    throttle_failed(gw, key);
    fail(resp, ODO_PE_UNAUTHORIZED, err.msg);
    return -1;
}

/* The device a request speaks for must be the one DTLS authenticated (coaps). */
static int check_device(const struct odo_gw_request *req, const char *device,
                        struct odo_gw_response *resp)
{
    if (req->transport == ODO_GW_COAPS &&
        (!req->psk_identity || strcasecmp(req->psk_identity, device) != 0)) {
        fail(resp, ODO_PE_FORBIDDEN, "the device in the request is not the DTLS identity");
        return -1;
    }
    return 0;
}

static int check_schema(struct odo_gw *gw, int schema, struct odo_gw_response *resp)
{
    char msg[128];
    if (schema >= gw->cfg.schema_min)
        return 0;
    snprintf(msg, sizeof(msg),
             "device schema %d is older than this gateway serves (%d and later): upgrade odolog",
             schema, gw->cfg.schema_min);
    fail(resp, ODO_PE_UPGRADE, msg);
    return -1;
}

static PGconn *take_conn(struct odo_gw *gw, struct odo_gw_response *resp)
{
    struct odo_err err;
    PGconn *c = odo_pg_acquire(gw->pool, 5000, &err);
    if (!c) {
        odo_log(&gw->log, ODO_LOG_ERROR, "%s", err.msg);
        fail(resp, ODO_PE_UNAVAILABLE, "the database is unavailable; retry later");
    }
    return c;
}

struct row_key {
    const struct odo_wire_table *table;
    const char *id;
};

static int cmp_row_key(const void *a, const void *b)
{
    const struct row_key *x = a, *y = b;
    if (x->table != y->table)
        return x->table < y->table ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* 1 when a row (table and id) appears twice in the batch, 0 when not, -1 out of memory. */
static int has_duplicate_row(const struct odo_push_req *push)
{
    struct row_key *keys = malloc((push->nrows + 1) * sizeof(*keys));
    size_t n = 0;
    int dup = 0;

    if (!keys)
        return -1;
    for (size_t g = 0; g < push->ngroups; g++)
        for (size_t i = 0; i < push->groups[g].nrows && n < push->nrows; i++)
            keys[n++] = (struct row_key){push->groups[g].table, push->groups[g].rows[i].id};
    qsort(keys, n, sizeof(*keys), cmp_row_key);
    for (size_t i = 1; i < n && !dup; i++)
        dup = cmp_row_key(&keys[i - 1], &keys[i]) == 0;
    free(keys);
    return dup;
}

/*
 * What push and pull share before they reach the database: the token, the device (coaps), the
 * schema, then a pooled connection and the call around it, with a copy of the gateway's clock
 * that end_call() merges back. Returns the connection, or NULL when resp already holds the
 * refusal.
 */
static PGconn *begin_call(struct odo_gw *gw, const struct odo_gw_request *req,
                          struct odo_gw_response *resp, struct call_info *info, const char *token,
                          const char *device, int schema, struct odo_jwt_claims *claims,
                          struct odo_gw_call *call, odo_hlc *clock)
{
    PGconn *c;

    snprintf(info->device, sizeof(info->device), "%s", device);
    if (authenticate(gw, req, token, claims, resp) || check_device(req, device, resp) ||
        check_schema(gw, schema, resp))
        return NULL;
    snprintf(info->user, sizeof(info->user), "%s", claims->sub);
    if (!(c = take_conn(gw, resp)))
        return NULL;
    memset(call, 0, sizeof(*call));
    call->pg = c;
    call->user = claims->sub;
    call->device = device;
    call->log = &gw->log;
    call->schema_min = gw->cfg.schema_min;
    /* The gateway's clock is shared; batches of one user are serialised in the database. */
    pthread_mutex_lock(&gw->lock);
    *clock = gw->clock;
    pthread_mutex_unlock(&gw->lock);
    call->clock = clock;
    call->now_ms = now_ms();
    return c;
}

static void end_call(struct odo_gw *gw, struct odo_gw_call *call)
{
    odo_pg_release(gw->pool, call->pg);
    pthread_mutex_lock(&gw->lock);
    if (*call->clock > gw->clock)
        gw->clock = *call->clock;
    pthread_mutex_unlock(&gw->lock);
}

static void handle_push(struct odo_gw *gw, const struct odo_gw_request *req,
                        struct odo_gw_response *resp, struct call_info *info)
{
    struct odo_push_req push;
    struct odo_jwt_claims claims;
    struct odo_gw_call call;
    struct odo_err err;
    enum odo_pe pe;
    odo_hlc clock;
    int rc;

    if ((rc = odo_push_decode(req->body, req->len, &push, &err))) {
        fail(resp, rc == ODO_ETOOBIG ? ODO_PE_TOO_LARGE : ODO_PE_BAD_REQUEST, err.msg);
        return;
    }
    info->rows = push.nrows;
    /* The same row twice in one batch is a malformed batch. */
    if ((rc = has_duplicate_row(&push)) != 0) {
        snprintf(info->device, sizeof(info->device), "%s", push.device);
        fail(resp, rc > 0 ? ODO_PE_BAD_REQUEST : ODO_PE_INTERNAL,
             rc > 0 ? "a row appears twice in the batch" : "out of memory");
        goto out;
    }
    if (!begin_call(gw, req, resp, info, push.token, push.device, push.schema, &claims, &call,
                    &clock))
        goto out;
    rc = odo_gw_push(&call, &push, &resp->body, &pe, &err);
    end_call(gw, &call);
    if (rc) {
        odo_log(&gw->log, pe == ODO_PE_CONFLICT ? ODO_LOG_WARN : ODO_LOG_ERROR, "push: %s",
                err.msg);
        fail(resp, pe,
             pe == ODO_PE_UNAVAILABLE ? "the batch could not be applied; retry" : err.msg);
        goto out;
    }
    ok(resp);
    resp->coap = 204; /* 2.04 Changed */
out:
    odo_push_free(&push);
}

/* ---- VIN decoding -------------------------------------------------------------------------- */

static int utc_year(void)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

/* The answer for d, as the protocol writes it. */
static void vin_answer(const struct odo_vin_decoded *d, struct odo_buf *b)
{
    struct odo_vin_answer a;
    size_t count;
    const struct odo_vin_field *f = odo_vin_fields(&count);

    memset(&a, 0, sizeof(a));
    snprintf(a.vin, sizeof(a.vin), "%s", d->vin);
    snprintf(a.source, sizeof(a.source), "%s", d->source);
    a.model_year = d->model_year;
    for (size_t i = 0; i < count && a.nfields < ODO_VIN_FIELDS_MAX; i++) {
        a.names[a.nfields] = f[i].name;
        a.values[a.nfields++] = (const char *)d + f[i].offset;
    }
    for (int i = 0; i < d->nerrors && a.nerrors < 8; i++)
        a.errors[a.nerrors++] = d->errors[i];
    a.error_text = d->error_text;
    odo_vin_answer_encode(b, &a);
}

/*
 * GET or POST /v1/vin/{vin}: the decode from this gateway's vPIC database, through the central
 * vin_cache (30 days). A POST body ({"v", "device", "token"}) names the device and carries the
 * token; a GET authenticates at the transport: a bearer token over HTTPS, the DTLS identity of a
 * registered device over coaps.
 */
static void handle_vin(struct odo_gw *gw, const struct odo_gw_request *req,
                       struct odo_gw_response *resp, struct call_info *info)
{
    struct odo_vin_req vr;
    struct odo_jwt_claims claims;
    struct odo_vin_decoded d;
    struct odo_err err;
    char vin[ODO_VIN_LEN + 1];
    const char *token = NULL;
    PGconn *c = NULL;
    PGresult *r;
    int rc;

    memset(&vr, 0, sizeof(vr));
    if (odo_vin_normalize(req->path + 8, vin, &err) != 0) {
        fail(resp, ODO_PE_BAD_REQUEST, err.msg);
        return;
    }
    if (strcmp(req->method, "POST") == 0) {
        if (req->content_type && strncasecmp(req->content_type, "application/json", 16) != 0) {
            fail(resp, ODO_PE_MEDIA, "send application/json");
            return;
        }
        if (odo_vin_req_decode(req->body, req->len, &vr, &err) != 0) {
            fail(resp, err.code == ODO_ETOOBIG ? ODO_PE_TOO_LARGE : ODO_PE_BAD_REQUEST, err.msg);
            return;
        }
        token = vr.token;
        snprintf(info->device, sizeof(info->device), "%s", vr.device);
        if (check_device(req, vr.device, resp))
            goto out;
    } else if (req->psk_identity) {
        snprintf(info->device, sizeof(info->device), "%.36s", req->psk_identity);
    }
    if (token || req->bearer || req->transport != ODO_GW_COAPS) {
        if (authenticate(gw, req, token, &claims, resp))
            goto out;
        snprintf(info->user, sizeof(info->user), "%s", claims.sub);
    } else if (!req->psk_identity) {
        /* Plain coap (tests only) has no identity: a token is needed. */
        fail(resp, ODO_PE_UNAUTHORIZED, "send a token");
        goto out;
    }
    if (!gw->vpic) {
        fail(resp, ODO_PE_NOT_FOUND, "VIN decoding is not available on this gateway");
        goto out;
    }
    if (!(c = take_conn(gw, resp)))
        goto out;
    {
        const char *p1[1] = {vin};
        r = PQexecParams(c,
                         "SELECT payload::text FROM vin_cache WHERE vin = $1 AND source = 'vpic' "
                         "AND expires_at > now()",
                         1, NULL, p1, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
            odo_buf_puts(&resp->body, PQgetvalue(r, 0, 0));
            PQclear(r);
            info->rows = 1;
            ok(resp);
            goto out;
        }
        PQclear(r);
    }
    pthread_mutex_lock(&gw->vpic_lock);
    rc = odo_vpic_decode(gw->vpic, vin, utc_year(), &d, &err);
    pthread_mutex_unlock(&gw->vpic_lock);
    if (rc) {
        odo_log(&gw->log, ODO_LOG_ERROR, "decoding %s: %s", vin, err.msg);
        fail(resp, ODO_PE_INTERNAL, "the VIN could not be decoded here");
        goto out;
    }
    vin_answer(&d, &resp->body);
    {
        const char *p2[2] = {vin, resp->body.data};
        r = PQexecParams(c,
                         "INSERT INTO vin_cache (vin, source, payload, fetched_at, expires_at) "
                         "VALUES ($1, 'vpic', $2::jsonb, now(), now() + interval '30 days') "
                         "ON CONFLICT (vin) DO UPDATE SET source = excluded.source, payload = "
                         "excluded.payload, fetched_at = excluded.fetched_at, expires_at = "
                         "excluded.expires_at",
                         2, NULL, p2, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) /* a cache miss later, nothing worse */
            odo_log(&gw->log, ODO_LOG_WARN, "caching the decode of %s: %s", vin, PQerrorMessage(c));
        PQclear(r);
    }
    info->rows = 1;
    ok(resp);
out:
    if (c)
        odo_pg_release(gw->pool, c);
    odo_vin_req_free(&vr);
}

static void handle_pull(struct odo_gw *gw, const struct odo_gw_request *req,
                        struct odo_gw_response *resp, struct call_info *info)
{
    struct odo_pull_req pull;
    struct odo_jwt_claims claims;
    struct odo_gw_call call;
    struct odo_err err;
    enum odo_pe pe;
    odo_hlc clock;
    int rc;

    if ((rc = odo_pull_decode(req->body, req->len, &pull, &err))) {
        fail(resp, rc == ODO_ETOOBIG ? ODO_PE_TOO_LARGE : ODO_PE_BAD_REQUEST, err.msg);
        return;
    }
    if (!begin_call(gw, req, resp, info, pull.token, pull.device, pull.schema, &claims, &call,
                    &clock))
        goto out;
    call.rows_out = &info->rows;
    rc = odo_gw_pull(&call, &pull, &resp->body, &pe, &err);
    end_call(gw, &call);
    if (rc == ODO_EPROTO) {
        fail(resp, ODO_PE_BAD_REQUEST, err.msg);
        goto out;
    }
    if (rc) {
        odo_log(&gw->log, ODO_LOG_ERROR, "pull: %s", err.msg);
        fail(resp, pe, "the page could not be read; retry");
        goto out;
    }
    ok(resp);
out:
    odo_pull_free(&pull);
}

static void handle_health(struct odo_gw *gw, struct odo_gw_response *resp)
{
    struct odo_err err;
    PGconn *c = odo_pg_acquire(gw->pool, 1000, &err);
    bool db = false;

    if (c) {
        PGresult *r = PQexec(c, "SELECT 1");
        db = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        odo_pg_release(gw->pool, c);
    }
    odo_buf_printf(&resp->body,
                   "{\"status\":\"%s\",\"database\":\"%s\",\"protocol\":%d,\"schema\":[%d,%d]}",
                   db ? "ok" : "degraded", db ? "ok" : "unreachable", ODO_PROTOCOL_VERSION,
                   gw->cfg.schema_min, ODO_SCHEMA_CURRENT);
    resp->http = db ? 200 : 503;
    resp->coap = db ? 205 : 503;
}

static const char *transport_name(enum odo_gw_transport t)
{
    return t == ODO_GW_HTTPS ? "https" : t == ODO_GW_COAPS ? "coaps" : "coap";
}

void odo_gw_handle(struct odo_gw *gw, const struct odo_gw_request *req,
                   struct odo_gw_response *resp)
{
    struct call_info info = {"", "", 0};
    int64_t t0 = odo_mono_us();
    bool post = strcmp(req->method, "POST") == 0, get = strcmp(req->method, "GET") == 0;

    odo_buf_init(&resp->body, ODO_ANSWER_BODY_MAX);
    if (strcmp(req->path, "/health") == 0) {
        if (get)
            handle_health(gw, resp);
        else
            fail(resp, ODO_PE_METHOD, "use GET");
    } else if (strcmp(req->path, "/v1/sync/push") == 0 || strcmp(req->path, "/v1/sync/pull") == 0) {
        bool is_push = strcmp(req->path, "/v1/sync/push") == 0;
        if (!post)
            fail(resp, ODO_PE_METHOD, "use POST");
        else if (req->too_large)
            fail(resp, ODO_PE_TOO_LARGE, "the body is over the limit");
        else if (req->content_type && strncasecmp(req->content_type, "application/json", 16) != 0)
            fail(resp, ODO_PE_MEDIA, "send application/json");
        else if (is_push)
            handle_push(gw, req, resp, &info);
        else
            handle_pull(gw, req, resp, &info);
    } else if (strncmp(req->path, "/v1/vin/", 8) == 0) {
        if (!post && !get)
            fail(resp, ODO_PE_METHOD, "use GET or POST");
        else if (req->too_large)
            fail(resp, ODO_PE_TOO_LARGE, "the body is over the limit");
        else
            handle_vin(gw, req, resp, &info);
    } else {
        fail(resp, ODO_PE_NOT_FOUND, "no such path");
    }
    if (resp->body.overflow)
        fail(resp, ODO_PE_INTERNAL, "the answer is too large");
    /* One line per request: what, who, the outcome and how long it took. */
    odo_log(&gw->log, ODO_LOG_INFO,
            "%s %s %s %d peer=%s user=%s device=%s rows=%zu in=%zu out=%zu %.1fms",
            transport_name(req->transport), req->method, req->path, resp->http,
            req->peer ? req->peer : "-", info.user[0] ? info.user : "-",
            info.device[0] ? info.device : "-", info.rows, req->len, resp->body.len,
            (double)(odo_mono_us() - t0) / 1e3);
}

size_t odo_gw_device_psk(struct odo_gw *gw, const char *identity, unsigned char *key, size_t cap)
{
    struct odo_err err;
    PGconn *c;
    PGresult *r;
    size_t n = 0;
    char id[ODO_UUID_TEXT_LEN + 1];

    if (!identity || strlen(identity) != ODO_UUID_TEXT_LEN || !odo_uuid_valid(identity))
        return 0;
    snprintf(id, sizeof(id), "%s", identity);
    c = odo_pg_acquire(gw->pool, 2000, &err);
    if (!c)
        return 0;
    {
        const char *params[1] = {id};
        r = PQexecParams(c,
                         "UPDATE devices SET last_seen_at = now() WHERE device_id = $1::uuid "
                         "RETURNING encode(psk, 'hex')",
                         1, NULL, params, NULL, NULL, 0);
    }
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        long len = odo_hex_decode(PQgetvalue(r, 0, 0), key, cap);
        n = len > 0 ? (size_t)len : 0;
    }
    PQclear(r);
    odo_pg_release(gw->pool, c);
    return n;
}
