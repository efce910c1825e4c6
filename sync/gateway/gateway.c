/*
 * The gateway's state and the one request handler both transports call: routing by path and
 * method, the push, pull, VIN and health handlers, and one log line per request (refusals past
 * a budget per interval are counted into the summary instead).
 */
#define _GNU_SOURCE
#include "sync/gateway/gateway.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "platform/text.h"
#include "platform/uuid.h"
#include "storage/vin/vpic.h"
#include "sync/gateway/apply.h"
#include "sync/gateway/internal.h"

#define RATE_SLOTS       16384 /* devices and users with a rate bucket of their own at once */
#define HEALTH_REUSE_MS  1000  /* a health check answers from the last one this young */
#define DB_RETRY_AFTER_S 10    /* what a request is told while PostgreSQL is away */

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
    pthread_mutex_init(&gw->health_lock, NULL);
    pthread_mutex_init(&gw->events.lock, NULL);
    gw->clock = odo_hlc_tick(0, odo_clock_now(NULL));
    if (odo_gw_buckets_init(&gw->device_rate, RATE_SLOTS) != 0 ||
        odo_gw_buckets_init(&gw->user_rate, RATE_SLOTS) != 0) {
        odo_gw_destroy(gw);
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    }
    if (cfg->vpic[0]) {
        struct odo_err e2;
        if (odo_vpic_open(cfg->vpic, &gw->vpic, &e2) != 0)
            odo_log(&gw->log, ODO_LOG_WARN, "no VIN decoding: %s", e2.msg);
    }
    if ((rc = odo_pg_pool_open(cfg->database_url, cfg->pool_size, &gw->pool, err)) ||
        (rc = odo_gw_keys_create(cfg->seal_key, &gw->keys, err)) ||
        (rc = odo_gw_keeper_start(gw, &gw->keeper, err))) {
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
    odo_gw_keeper_stop(gw->keeper);
    odo_gw_keys_destroy(gw->keys);
    odo_pg_pool_close(gw->pool);
    odo_vpic_close(gw->vpic);
    odo_gw_buckets_free(&gw->device_rate);
    odo_gw_buckets_free(&gw->user_rate);
    pthread_mutex_destroy(&gw->events.lock);
    pthread_mutex_destroy(&gw->health_lock);
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

/* ---- handling --------------------------------------------------------------------------- */

/* What the request log line tells about a sync call. */
struct call_info {
    char user[65];
    char device[ODO_UUID_TEXT_LEN + 1];
    size_t rows;
};

void odo_gw_fail_retry(struct odo_gw_response *resp, enum odo_pe e, const char *message,
                       int retry_after_s)
{
    char text[256];

    /* The wait is in the sentence too, for whoever reads it without knowing the field. */
    if (retry_after_s > 0)
        snprintf(text, sizeof(text), "%s; retry in %d s", message, retry_after_s);
    resp->http = odo_pe_http(e);
    resp->coap = odo_pe_coap(e);
    resp->retry_after = retry_after_s;
    odo_buf_reset(&resp->body);
    odo_error_encode(&resp->body, e, retry_after_s > 0 ? text : message, retry_after_s);
}

void odo_gw_fail(struct odo_gw_response *resp, enum odo_pe e, const char *message)
{
    odo_gw_fail_retry(resp, e, message, 0);
}

static void ok(struct odo_gw_response *resp)
{
    resp->http = 200;
    resp->coap = 205;
}

static int check_schema(struct odo_gw *gw, int schema, struct odo_gw_response *resp)
{
    char msg[128];
    if (schema >= gw->cfg.schema_min)
        return 0;
    snprintf(msg, sizeof(msg),
             "device schema %d is older than this gateway serves (%d and later): upgrade odolog",
             schema, gw->cfg.schema_min);
    odo_gw_fail(resp, ODO_PE_UPGRADE, msg);
    return -1;
}

/* The answer while PostgreSQL is away (devices keep everything and retry). */
static void database_unavailable(struct odo_gw_response *resp)
{
    odo_gw_fail_retry(resp, ODO_PE_UNAVAILABLE,
                      "the gateway's database is unavailable; nothing was changed",
                      DB_RETRY_AFTER_S);
}

static PGconn *take_conn(struct odo_gw *gw, struct odo_gw_response *resp)
{
    struct odo_err err;
    PGconn *c = odo_pg_acquire(gw->pool, 5000, &err);
    if (!c) {
        if (odo_gw_events_may_log(gw))
            odo_gw_log_line(gw, ODO_LOG_ERROR, "%s", err.msg);
        database_unavailable(resp);
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

/* What push and pull check before they reach the database: the token, the device (coaps), the
 * rate limits and the schema. Returns 0, or -1 when resp holds the refusal. */
static int admit_call(struct odo_gw *gw, const struct odo_gw_request *req,
                      struct odo_gw_response *resp, struct call_info *info, const char *token,
                      const char *device, int schema, struct odo_jwt_claims *claims)
{
    snprintf(info->device, sizeof(info->device), "%s", device);
    if (odo_gw_authenticate(gw, req, token, claims, resp) ||
        odo_gw_check_device(req, device, resp) ||
        odo_gw_check_rate(gw, device, claims->sub, resp) || check_schema(gw, schema, resp))
        return -1;
    snprintf(info->user, sizeof(info->user), "%s", claims->sub);
    return 0;
}

/* A pooled connection and the call around it, with a copy of the gateway's clock that
 * end_call() merges back. Returns the connection, or NULL when resp holds the refusal. */
static PGconn *open_call(struct odo_gw *gw, struct odo_gw_response *resp,
                         const struct odo_jwt_claims *claims, const char *device,
                         struct odo_gw_call *call, odo_hlc *clock)
{
    PGconn *c = take_conn(gw, resp);

    if (!c)
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
    call->now_ms = odo_clock_now(NULL);
    return c;
}

/* Whether a failed call lost its connection (the database went away or restarted): its
 * transaction is gone with it, so the call may run once more on a connection made anew. libpq
 * marks a connection dead only when it is used after the failure, hence the empty query. */
static bool connection_lost(const struct odo_gw_call *call, int rc)
{
    if (rc == 0)
        return false;
    if (PQstatus(call->pg) == CONNECTION_OK)
        PQclear(PQexec(call->pg, ""));
    return PQstatus(call->pg) != CONNECTION_OK;
}

static void end_call(struct odo_gw *gw, struct odo_gw_call *call)
{
    odo_pg_release(gw->pool, call->pg);
    pthread_mutex_lock(&gw->lock);
    if (*call->clock > gw->clock)
        gw->clock = *call->clock;
    pthread_mutex_unlock(&gw->lock);
}

/* What a call does on its connection: a push or a pull, writing its answer into out. */
typedef int (*call_fn)(struct odo_gw_call *call, void *arg, struct odo_buf *out, enum odo_pe *pe,
                       struct odo_err *err);

/*
 * Runs fn on a pooled connection, and once more on a fresh one when the first was lost under it
 * (the database restarted: the transaction went with it, so nothing was applied). Returns false
 * when no connection could be had (resp holds the refusal); else true, with fn's result in *rc
 * and *lost saying whether the connection was lost under it.
 */
static bool run_call(struct odo_gw *gw, struct odo_gw_response *resp,
                     const struct odo_jwt_claims *claims, const char *device, call_fn fn, void *arg,
                     int *rc, bool *lost, enum odo_pe *pe, struct odo_err *err)
{
    struct odo_gw_call call;
    odo_hlc clock;

    for (int tries = 0;; tries++) {
        if (!open_call(gw, resp, claims, device, &call, &clock))
            return false;
        *rc = fn(&call, arg, &resp->body, pe, err);
        *lost = connection_lost(&call, *rc);
        end_call(gw, &call);
        if (!*lost || tries > 0)
            return true;
        odo_buf_reset(&resp->body);
    }
}

static int push_call(struct odo_gw_call *call, void *arg, struct odo_buf *out, enum odo_pe *pe,
                     struct odo_err *err)
{
    return odo_gw_push(call, arg, out, pe, err);
}

static void handle_push(struct odo_gw *gw, const struct odo_gw_request *req,
                        struct odo_gw_response *resp, struct call_info *info)
{
    struct odo_push_req push;
    struct odo_jwt_claims claims;
    struct odo_err err;
    enum odo_pe pe;
    bool lost = false;
    int rc;

    if ((rc = odo_push_decode(req->body, req->len, &push, &err))) {
        odo_gw_fail(resp, rc == ODO_ETOOBIG ? ODO_PE_TOO_LARGE : ODO_PE_BAD_REQUEST, err.msg);
        return;
    }
    info->rows = push.nrows;
    /* The same row twice in one batch is a malformed batch. */
    if ((rc = has_duplicate_row(&push)) != 0) {
        snprintf(info->device, sizeof(info->device), "%s", push.device);
        odo_gw_fail(resp, rc > 0 ? ODO_PE_BAD_REQUEST : ODO_PE_INTERNAL,
                    rc > 0 ? "a row appears twice in the batch" : "out of memory");
        goto out;
    }
    if (admit_call(gw, req, resp, info, push.token, push.device, push.schema, &claims) ||
        !run_call(gw, resp, &claims, push.device, push_call, &push, &rc, &lost, &pe, &err))
        goto out;
    if (rc) {
        if (odo_gw_events_may_log(gw))
            odo_gw_log_line(gw, pe == ODO_PE_CONFLICT ? ODO_LOG_WARN : ODO_LOG_ERROR, "push: %s",
                            err.msg);
        if (lost)
            database_unavailable(resp);
        else
            odo_gw_fail(resp, pe,
                        pe == ODO_PE_UNAVAILABLE ? "the batch could not be applied; retry"
                                                 : err.msg);
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
    for (int i = 0; i < d->nerrors && a.nerrors < ODO_VIN_ERRORS_MAX; i++)
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
        odo_gw_fail(resp, ODO_PE_BAD_REQUEST, err.msg);
        return;
    }
    if (strcmp(req->method, "POST") == 0) {
        if (req->content_type && strncasecmp(req->content_type, "application/json", 16) != 0) {
            odo_gw_fail(resp, ODO_PE_MEDIA, "send application/json");
            return;
        }
        if (odo_vin_req_decode(req->body, req->len, &vr, &err) != 0) {
            odo_gw_fail(resp, err.code == ODO_ETOOBIG ? ODO_PE_TOO_LARGE : ODO_PE_BAD_REQUEST,
                        err.msg);
            return;
        }
        token = vr.token;
        snprintf(info->device, sizeof(info->device), "%s", vr.device);
        if (odo_gw_check_device(req, vr.device, resp))
            goto out;
    } else if (req->psk_identity) {
        snprintf(info->device, sizeof(info->device), "%.36s", req->psk_identity);
    }
    if (token || req->bearer || req->transport != ODO_GW_COAPS) {
        if (odo_gw_authenticate(gw, req, token, &claims, resp) ||
            odo_gw_check_rate(gw, info->device[0] ? info->device : "-", claims.sub, resp))
            goto out;
        snprintf(info->user, sizeof(info->user), "%s", claims.sub);
    } else if (!req->psk_identity) {
        /* Plain coap (tests only) has no identity: a token is needed. */
        odo_gw_fail(resp, ODO_PE_UNAUTHORIZED, "send a token");
        goto out;
    } else if (odo_gw_check_rate(gw, req->psk_identity, NULL, resp)) {
        goto out;
    }
    if (!gw->vpic) {
        odo_gw_fail(resp, ODO_PE_NOT_FOUND, "VIN decoding is not available on this gateway");
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
        odo_gw_fail(resp, ODO_PE_INTERNAL, "the VIN could not be decoded here");
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

/* A pull and where its row count goes. */
struct pull_arg {
    const struct odo_pull_req *pull;
    size_t *rows;
};

static int pull_call(struct odo_gw_call *call, void *arg, struct odo_buf *out, enum odo_pe *pe,
                     struct odo_err *err)
{
    struct pull_arg *a = arg;
    call->rows_out = a->rows;
    return odo_gw_pull(call, a->pull, out, pe, err);
}

static void handle_pull(struct odo_gw *gw, const struct odo_gw_request *req,
                        struct odo_gw_response *resp, struct call_info *info)
{
    struct odo_pull_req pull;
    struct odo_jwt_claims claims;
    struct pull_arg arg = {&pull, &info->rows};
    struct odo_err err;
    enum odo_pe pe;
    bool lost = false;
    int rc;

    if ((rc = odo_pull_decode(req->body, req->len, &pull, &err))) {
        odo_gw_fail(resp, rc == ODO_ETOOBIG ? ODO_PE_TOO_LARGE : ODO_PE_BAD_REQUEST, err.msg);
        return;
    }
    if (admit_call(gw, req, resp, info, pull.token, pull.device, pull.schema, &claims) ||
        !run_call(gw, resp, &claims, pull.device, pull_call, &arg, &rc, &lost, &pe, &err))
        goto out;
    if (rc == ODO_EPROTO) {
        odo_gw_fail(resp, ODO_PE_BAD_REQUEST, err.msg);
        goto out;
    }
    if (rc) {
        if (odo_gw_events_may_log(gw))
            odo_gw_log_line(gw, ODO_LOG_ERROR, "pull: %s", err.msg);
        if (lost)
            database_unavailable(resp);
        else
            odo_gw_fail(resp, pe, "the page could not be read; retry");
        goto out;
    }
    ok(resp);
out:
    odo_pull_free(&pull);
}

/* Whether PostgreSQL answers; a check made in the last second is reused, so a flood of health
 * checks (which need no token) costs no more than one a second. */
static bool database_ok(struct odo_gw *gw)
{
    struct odo_err err;
    int64_t now = odo_mono_ms();
    PGconn *c;
    bool db = false;

    pthread_mutex_lock(&gw->health_lock);
    if (gw->health_at_ms && now - gw->health_at_ms < HEALTH_REUSE_MS) {
        db = gw->health_db;
        pthread_mutex_unlock(&gw->health_lock);
        return db;
    }
    if ((c = odo_pg_acquire(gw->pool, 1000, &err)) != NULL) {
        PGresult *r = PQexec(c, "SELECT 1");
        db = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        odo_pg_release(gw->pool, c);
    }
    gw->health_db = db;
    gw->health_at_ms = odo_mono_ms();
    pthread_mutex_unlock(&gw->health_lock);
    return db;
}

static void handle_health(struct odo_gw *gw, struct odo_gw_response *resp)
{
    bool db = database_ok(gw);

    odo_health_encode(&resp->body, db, gw->cfg.schema_min, ODO_SCHEMA_CURRENT);
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
    resp->retry_after = 0;
    if (strcmp(req->path, "/health") == 0) {
        if (get)
            handle_health(gw, resp);
        else
            odo_gw_fail(resp, ODO_PE_METHOD, "use GET");
    } else if (strcmp(req->path, "/v1/sync/push") == 0 || strcmp(req->path, "/v1/sync/pull") == 0) {
        bool is_push = strcmp(req->path, "/v1/sync/push") == 0;
        if (!post)
            odo_gw_fail(resp, ODO_PE_METHOD, "use POST");
        else if (req->too_large)
            odo_gw_fail(resp, ODO_PE_TOO_LARGE, "the body is over the limit");
        else if (req->content_type && strncasecmp(req->content_type, "application/json", 16) != 0)
            odo_gw_fail(resp, ODO_PE_MEDIA, "send application/json");
        else if (is_push)
            handle_push(gw, req, resp, &info);
        else
            handle_pull(gw, req, resp, &info);
    } else if (strncmp(req->path, "/v1/vin/", 8) == 0) {
        if (!post && !get)
            odo_gw_fail(resp, ODO_PE_METHOD, "use GET or POST");
        else if (req->too_large)
            odo_gw_fail(resp, ODO_PE_TOO_LARGE, "the body is over the limit");
        else
            handle_vin(gw, req, resp, &info);
    } else {
        odo_gw_fail(resp, ODO_PE_NOT_FOUND, "no such path");
    }
    if (resp->body.overflow)
        odo_gw_fail(resp, ODO_PE_INTERNAL, "the answer is too large");
    if (resp->http == 429)
        odo_gw_event(gw, ODO_GW_EV_RATE_LIMITED, req->peer);
    /* One line per request: what, who, the outcome and how long it took. Refusals have a budget
     * per interval; past it they are counted into the summary line. */
    if (resp->http >= 400 && resp->http != 500 && !odo_gw_events_may_log(gw))
        return;
    odo_log(&gw->log, ODO_LOG_INFO,
            "%s %s %s %d peer=%s user=%s device=%s rows=%zu in=%zu out=%zu %.1fms",
            transport_name(req->transport), req->method, req->path, resp->http,
            req->peer ? req->peer : "-", info.user[0] ? info.user : "-",
            info.device[0] ? info.device : "-", info.rows, req->len, resp->body.len,
            (double)(odo_mono_us() - t0) / 1e3);
}
