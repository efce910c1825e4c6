/*
 * The sync cycle of engine.h: pushing sealed batches and settling their answers, pulling pages
 * and reconciling; the batches are built in outbox.c.
 */
#include "sync/client/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "platform/text.h"
#include "storage/replica.h"
#include "sync/client/engine_impl.h"
#include "sync/client/login.h"
#include "sync/protocol/messages.h"

/* The store reads and writes rows of as many columns as the wire carries: one limit. */
_Static_assert(ODO_READ_COLS_MAX == ODO_WIRE_COLS_MAX,
               "the store and the wire disagree on columns");

#define BATCH_ROWS_DEFAULT 2000
#define PAGE_ROWS_DEFAULT  1000

/* ---- converting between store cells and wire values ------------------------------------ */

/* A store cell for a wire value of column c; a time is formatted into buf. Returns 0 or
 * ODO_EPROTO. */
static int val_to_cell(const struct odo_wire_col *c, const struct odo_val *v, struct odo_cell *cell,
                       char buf[ODO_TIME_TEXT_LEN + 1], struct odo_err *err)
{
    memset(cell, 0, sizeof(*cell));
    if (v->kind == ODO_VAL_NULL) {
        cell->kind = ODO_CELL_NULL;
    } else if (c->type == ODO_W_TIME && v->kind == ODO_VAL_INT) {
        odo_time_format(v->i, buf);
        cell->kind = ODO_CELL_TEXT;
        cell->s = buf;
    } else if (c->type == ODO_W_DEC) {
        cell->kind = ODO_CELL_INT;
        if (odo_dec_parse(v->s, c->scale, &cell->i, c->name, err) != 0)
            return ODO_EPROTO;
    } else if (v->kind == ODO_VAL_INT) {
        cell->kind = ODO_CELL_INT;
        cell->i = v->i;
    } else {
        cell->kind = ODO_CELL_TEXT;
        cell->s = v->s;
    }
    return 0;
}

/* ---- mapping answers to errors ---------------------------------------------------------- */

/* The error an answer other than 2xx means; the wait the gateway asked for goes to rep. */
static int answer_error(int status, const struct odo_buf *body, const char *what,
                        struct odo_sync_report *rep, struct odo_err *err)
{
    enum odo_pe pe = ODO_PE_INTERNAL;
    char msg[200] = "";

    if (odo_error_decode(body->data ? body->data : "", body->len, &pe, msg, sizeof(msg),
                         &rep->retry_after_s) != 0)
        snprintf(msg, sizeof(msg), "status %d", status);
    switch (pe) {
    case ODO_PE_UNAUTHORIZED:
        return odo_err_set(err, ODO_EAUTH, "the gateway refused the %s: %s (run 'odolog login')",
                           what, msg);
    case ODO_PE_FORBIDDEN:
        return odo_err_set(err, ODO_EAUTH, "the gateway refused the %s: %s", what, msg);
    case ODO_PE_UPGRADE:
        return odo_err_set(err, ODO_EUPGRADE, "%s; nothing was lost", msg);
    case ODO_PE_THROTTLED:
    case ODO_PE_UNAVAILABLE:
    case ODO_PE_INTERNAL:
        return odo_err_set(err, ODO_ENET, "the gateway could not take the %s now: %s", what, msg);
    default:
        return odo_err_set(err, ODO_EPROTO, "the gateway refused the %s: %s", what, msg);
    }
}

/* The request body with the token added (stored batches are kept without it). */
static int with_token(const char *body, const char *token, struct odo_buf *out)
{
    odo_buf_reset(out);
    odo_buf_puts(out, "{\"token\":");
    odo_buf_json_str(out, token);
    odo_buf_putc(out, ',');
    odo_buf_puts(out, body + 1);
    return out->overflow ? ODO_ETOOBIG : 0;
}

/* ---- pushing ---------------------------------------------------------------------------- */

/* Applies rows of the gateway (pull pages, push winners); within begin/end apply. */
static int apply_groups(struct odo_store *s, const char *user, const struct odo_row_group *groups,
                        size_t ngroups, int *applied, struct odo_err *err)
{
    for (size_t g = 0; g < ngroups; g++) {
        const struct odo_row_group *rg = &groups[g];
        const char *names[ODO_READ_COLS_MAX];
        int merge_groups[ODO_READ_COLS_MAX];
        for (int c = 0; c < rg->ncols; c++) {
            names[c] = rg->table->cols[rg->cols[c]].name;
            merge_groups[c] = rg->table->cols[rg->cols[c]].merge_group;
        }
        for (size_t i = 0; i < rg->nrows; i++) {
            struct odo_cell cells[ODO_READ_COLS_MAX];
            char times[ODO_READ_COLS_MAX][ODO_TIME_TEXT_LEN + 1];
            int rc;
            for (int c = 0; c < rg->ncols; c++)
                if ((rc = val_to_cell(&rg->table->cols[rg->cols[c]], &rg->rows[i].vals[c],
                                      &cells[c], times[c], err)))
                    return rc;
            if ((rc =
                     odo_replica_apply_row(s, user, rg->table->name, names, merge_groups, rg->ncols,
                                           rg->rows[i].id, rg->rows[i].rev, cells, err)))
                return rc;
            (*applied)++;
        }
    }
    return 0;
}

/* The rows of a sealed batch in body order: from its manifest, or (a batch sealed without
 * one) by decoding the stored body. */
struct batch_rows {
    size_t n;
    const struct odo_wire_table **tables;
    const char **ids;
    struct odo_push_req req; /* when decoded from the body */
    bool decoded;
};

static void batch_rows_free(struct batch_rows *b)
{
    free(b->tables);
    free(b->ids);
    if (b->decoded)
        odo_push_free(&b->req);
}

static int batch_rows_read(struct batch_rows *b, int64_t batch, const char *sent, char *manifest,
                           struct odo_err *err)
{
    size_t cap = 1;

    memset(b, 0, sizeof(*b));
    if (manifest) {
        for (const char *p = manifest; *p; p++)
            cap += *p == '\n';
    } else {
        if (odo_push_decode(sent, strlen(sent), &b->req, err))
            return odo_err_set(err, ODO_ESTORAGE, "the stored batch %lld is damaged: %s",
                               (long long)batch, err->msg);
        b->decoded = true;
        cap += b->req.nrows;
    }
    b->tables = calloc(cap, sizeof(*b->tables));
    b->ids = calloc(cap, sizeof(*b->ids));
    if (!b->tables || !b->ids)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    if (b->decoded) {
        for (size_t g = 0; g < b->req.ngroups; g++)
            for (size_t i = 0; i < b->req.groups[g].nrows; i++, b->n++) {
                b->tables[b->n] = b->req.groups[g].table;
                b->ids[b->n] = b->req.groups[g].rows[i].id;
            }
        return 0;
    }
    /* "table id\n" per row; the lines are cut in place. */
    for (char *line = manifest, *next; *line; line = next) {
        char *sp = strchr(line, ' ');
        next = strchr(line, '\n');
        if (!next || !sp || sp > next)
            return odo_err_set(err, ODO_ESTORAGE, "the manifest of batch %lld is damaged",
                               (long long)batch);
        *sp = *next++ = '\0';
        if (!(b->tables[b->n] = odo_wire_table(line)) || !odo_uuid_valid(sp + 1))
            return odo_err_set(err, ODO_ESTORAGE, "the manifest of batch %lld is damaged",
                               (long long)batch);
        b->ids[b->n++] = sp + 1;
    }
    return 0;
}

/* Settles a batch with its answer in one transaction: accepted rows take their revisions (one
 * statement per run of rows of one table), refusals are counted, the batch's outbox entries
 * go, aliases are re-keyed, winning rows applied, and the clock moves past the gateway's. */
static int settle(struct odo_store *s, const char *user, int64_t batch, const char *sent,
                  char *manifest, const struct odo_buf *answer, struct odo_sync_report *rep,
                  struct odo_err *err)
{
    struct batch_rows rows;
    struct odo_push_ans ans;
    const char **ids = NULL;
    int64_t *revs = NULL, acked = 0;
    int rc;

    memset(&ans, 0, sizeof(ans));
    if ((rc = batch_rows_read(&rows, batch, sent, manifest, err)) ||
        (rc = odo_push_ans_decode(answer->data, answer->len, &ans, err)))
        goto out;
    if (ans.batch != batch || ans.nresults != rows.n) {
        rc = odo_err_set(err, ODO_EPROTO,
                         "the gateway answered for batch %lld with %zu results; "
                         "batch %lld has %zu rows",
                         (long long)ans.batch, ans.nresults, (long long)batch, rows.n);
        goto out;
    }
    ids = calloc(rows.n + 1, sizeof(*ids));
    revs = calloc(rows.n + 1, sizeof(*revs));
    if (!ids || !revs) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = odo_replica_begin_apply(s, err)))
        goto out;
    for (size_t i = 0, n = 0; i < rows.n && rc == 0; i++) {
        const struct odo_push_result *r = &ans.results[i];
        if (r->refused) {
            rc = odo_replica_refused(s, user, rows.tables[i]->name, rows.ids[i], r->refused, err);
            rep->refused++;
            snprintf(rep->last_refusal, sizeof(rep->last_refusal), "%s", r->refused);
        } else {
            ids[n] = rows.ids[i];
            revs[n++] = r->rev;
            if (r->rev > acked)
                acked = r->rev;
        }
        rep->pushed++;
        if (rc == 0 && n && (i + 1 == rows.n || rows.tables[i + 1] != rows.tables[i])) {
            rc = odo_replica_accepted(s, user, rows.tables[i]->name, ids, revs, (int)n, err);
            n = 0;
        }
    }
    if (rc == 0)
        rc = odo_replica_settle(s, user, batch, acked, err);
    for (size_t k = 0; k < ans.nrekey && rc == 0; k++, rep->rekeyed++)
        rc = odo_replica_rekey(s, user, ans.rekey[k].table->name, ans.rekey[k].from,
                               ans.rekey[k].to, err);
    if (rc == 0)
        rc = apply_groups(s, user, ans.winners, ans.nwinners, &rep->winners, err);
    if (rc == 0)
        rc = odo_replica_receive_hlc(s, ans.hlc, err);
    if (odo_replica_end_apply(s, rc == 0, err) && rc == 0)
        rc = ODO_ESTORAGE;
out:
    free(ids);
    free(revs);
    batch_rows_free(&rows);
    odo_push_ans_free(&ans);
    return rc;
}

/* After a committed round trip: whether the caller wants the cycle to stop here. */
static int stop_requested(const struct odo_sync_options *opt, struct odo_err *err)
{
    if (opt->progress && opt->progress(opt->progress_ctx))
        return odo_err_set(err, ODO_ESTOPPED, "sync stopped on request; what was sent is kept");
    return 0;
}

static int push(struct odo_store *s, const char *user, const char *token, struct odo_transport *t,
                const struct odo_sync_options *opt, struct odo_sync_report *rep,
                struct odo_err *err)
{
    struct odo_buf out, answer;
    int rc = 0;

    odo_buf_init(&out, ODO_PUSH_BODY_MAX);
    odo_buf_init(&answer, ODO_ANSWER_BODY_MAX);
    for (;;) {
        int64_t batch;
        char *body = NULL, *manifest = NULL;
        int status;

        /* A batch sealed earlier goes first, unchanged: the gateway may have applied it. */
        if ((rc = odo_replica_inflight(s, user, &batch, &body, &manifest, err)))
            break;
        if (!batch) {
            if ((rc = odo_sync_build_batch(s, user, opt, &batch, err)) || !batch)
                break;
            if ((rc = odo_replica_inflight(s, user, &batch, &body, &manifest, err)))
                break;
        }
        if ((rc = with_token(body, token, &out))) {
            free(body);
            free(manifest);
            rc = odo_err_set(err, ODO_ETOOBIG, "the batch is too large to send");
            break;
        }
        rc = odo_transport_request(t, "/v1/sync/push", out.data, out.len, &status, &answer, err);
        if (rc == 0 && (status < 200 || status > 299)) {
            rc = answer_error(status, &answer, "batch", rep, err);
            if (rc == ODO_EPROTO)
                /* The gateway refused the batch as a whole (malformed to it): rebuild later. */
                (void)!odo_replica_unseal(s, user, batch, NULL);
        }
        if (rc == 0) {
            rep->batches++;
            rc = settle(s, user, batch, body, manifest, &answer, rep, err);
        }
        free(body);
        free(manifest);
        if (rc || (rc = stop_requested(opt, err)))
            break;
    }
    odo_buf_free(&out);
    odo_buf_free(&answer);
    return rc;
}

/* ---- pulling ---------------------------------------------------------------------------- */

/* One pull round trip: pr (its since, swept, acked or reconcile part set by the caller) is
 * completed with the device, schema, token and page size, sent, and its answer decoded. */
static int pull_page(struct odo_store *s, const char *token, struct odo_transport *t,
                     const struct odo_sync_options *opt, struct odo_pull_req *pr,
                     struct odo_buf *req, struct odo_buf *answer, const char *what,
                     struct odo_pull_ans *ans, struct odo_sync_report *rep, struct odo_err *err)
{
    int status, rc;

    snprintf(pr->device, sizeof(pr->device), "%s", odo_store_device_id(s));
    pr->schema = opt->schema;
    pr->token = token;
    pr->limit = opt->page_rows;
    odo_buf_reset(req);
    odo_pull_encode(req, pr);
    if ((rc = odo_transport_request(t, "/v1/sync/pull", req->data, req->len, &status, answer, err)))
        return rc;
    if (status < 200 || status > 299)
        return answer_error(status, answer, what, rep, err);
    return odo_pull_ans_decode(answer->data, answer->len, ans, err);
}

static int reconcile(struct odo_store *s, const char *user, const char *token,
                     struct odo_transport *t, const struct odo_sync_options *opt, int64_t watermark,
                     struct odo_sync_report *rep, struct odo_err *err)
{
    struct odo_buf req, answer;
    char after[96] = "";
    int rc = 0;

    odo_buf_init(&req, ODO_SMALL_BODY_MAX);
    odo_buf_init(&answer, ODO_ANSWER_BODY_MAX);
    for (;;) {
        struct odo_pull_req pr;
        struct odo_pull_ans ans;

        memset(&pr, 0, sizeof(pr));
        pr.reconcile = true;
        pr.after = after;
        if ((rc = pull_page(s, token, t, opt, &pr, &req, &answer, "reconcile", &ans, rep, err)))
            break;
        if (!ans.is_reconcile) {
            odo_pull_ans_free(&ans);
            rc = odo_err_set(err, ODO_EPROTO, "the gateway answered a reconcile with a page");
            break;
        }
        for (size_t g = 0; g < ans.nlive && rc == 0; g++)
            rc = odo_replica_mark_live(s, user, ans.live[g].table->name, ans.live[g].ids,
                                       (int)ans.live[g].nids, err);
        snprintf(after, sizeof(after), "%s", ans.next ? ans.next : "");
        odo_pull_ans_free(&ans);
        if (rc || !after[0] || (rc = stop_requested(opt, err)))
            break;
    }
    if (rc == 0 && (rc = odo_replica_sweep(s, user, watermark, &rep->dropped, err)) == 0)
        rep->reconciled = true;
    odo_buf_free(&req);
    odo_buf_free(&answer);
    return rc;
}

static int pull(struct odo_store *s, const char *user, const char *token, struct odo_transport *t,
                const struct odo_sync_options *opt, struct odo_sync_report *rep,
                struct odo_err *err)
{
    struct odo_buf req, answer;
    int rc = 0;

    odo_buf_init(&req, ODO_SMALL_BODY_MAX);
    odo_buf_init(&answer, ODO_ANSWER_BODY_MAX);
    for (;;) {
        struct odo_sync_state st;
        struct odo_pull_req pr;
        struct odo_pull_ans ans;

        if ((rc = odo_replica_state(s, user, &st, err)))
            break;
        memset(&pr, 0, sizeof(pr));
        pr.since = st.cursor;
        pr.swept = st.swept;
        pr.acked = st.acked;
        if ((rc = pull_page(s, token, t, opt, &pr, &req, &answer, "pull", &ans, rep, err)))
            break;
        if (ans.reconcile_required) {
            int64_t w = ans.reconcile_required;
            odo_pull_ans_free(&ans);
            if (st.swept >= w) {
                rc = odo_err_set(err, ODO_EPROTO, "the gateway keeps asking to reconcile");
                break;
            }
            if ((rc = reconcile(s, user, token, t, opt, w, rep, err)))
                break;
            continue;
        }
        if ((rc = odo_replica_begin_apply(s, err)) == 0) {
            rc = apply_groups(s, user, ans.groups, ans.ngroups, &rep->pulled, err);
            if (rc == 0 && ans.cursor > st.cursor)
                rc = odo_replica_set_cursor(s, user, ans.cursor, err);
            if (rc == 0)
                rc = odo_replica_receive_hlc(s, ans.hlc, err);
            if (odo_replica_end_apply(s, rc == 0, err) && rc == 0)
                rc = ODO_ESTORAGE;
        }
        rep->pages++;
        rep->cursor = ans.cursor > st.cursor ? ans.cursor : st.cursor;
        bool more = ans.more;
        odo_pull_ans_free(&ans);
        if (rc || !more || (rc = stop_requested(opt, err)))
            break;
    }
    odo_buf_free(&req);
    odo_buf_free(&answer);
    return rc;
}

int odo_sync_cycle(struct odo_store *s, const char *user, struct odo_transport *t,
                   const struct odo_sync_options *opt_in, struct odo_sync_report *rep,
                   struct odo_err *err)
{
    struct odo_sync_options opt = *opt_in;
    char token[ODO_TOKEN_MAX + 1], started[ODO_TIME_TEXT_LEN + 1];
    int64_t conflicts = 0;
    int rc;

    memset(rep, 0, sizeof(*rep));
    odo_replica_now(s, started);
    if (opt.batch_rows <= 0)
        opt.batch_rows = BATCH_ROWS_DEFAULT;
    if (opt.batch_rows > ODO_PUSH_ROWS_MAX)
        opt.batch_rows = ODO_PUSH_ROWS_MAX;
    if (opt.page_rows <= 0)
        opt.page_rows = PAGE_ROWS_DEFAULT;
    if (opt.page_rows > ODO_PULL_LIMIT_MAX)
        opt.page_rows = ODO_PULL_LIMIT_MAX;
    if (opt.schema <= 0)
        opt.schema = ODO_SCHEMA_CURRENT;
    if ((rc = odo_replica_token(s, user, token, sizeof(token), err)))
        return rc;
    rc = 0;
    if (opt.push)
        rc = push(s, user, token, t, &opt, rep, err);
    if (rc == 0 && opt.pull)
        rc = pull(s, user, token, t, &opt, rep, err);
    memset(token, 0, sizeof(token));
    if (odo_replica_conflict_count(s, user, started, &conflicts, NULL) == 0)
        rep->conflicts = (int)conflicts;
    if (odo_replica_record(s, user, rc ? err->msg : NULL, NULL) != 0 && rc == 0)
        rc = odo_err_set(err, ODO_ESTORAGE, "the outcome could not be recorded");
    return rc;
}

int odo_sync_connect(struct odo_store *s, struct odo_transport **out, struct odo_err *err)
{
    return odo_sync_connect_timeout(s, 0, out, err);
}

int odo_sync_connect_timeout(struct odo_store *s, int timeout_ms, struct odo_transport **out,
                             struct odo_err *err)
{
    struct odo_transport_options o;
    struct odo_sync_config cfg;
    unsigned char psk[ODO_PSK_MAX];
    long n = 0;
    int rc;

    *out = NULL;
    if ((rc = odo_sync_config_get(s, &cfg, err)))
        return rc;
    if (!cfg.gateway[0]) {
        rc = odo_err_set(err, ODO_EINVAL,
                         "no gateway configured: run 'odolog login --gateway URL ...'");
        goto out_wipe;
    }
    if ((n = odo_hex_decode(cfg.psk_hex, psk, sizeof(psk))) < 0) {
        rc = odo_err_set(err, ODO_EINVAL, "the stored pre-shared key is not hex");
        goto out_wipe;
    }
    memset(&o, 0, sizeof(o));
    o.url = cfg.gateway;
    o.psk_identity = odo_store_device_id(s);
    o.psk = n ? psk : NULL;
    o.psk_len = (size_t)n;
    o.ca_file = cfg.ca_file[0] ? cfg.ca_file : NULL;
    o.timeout_ms = timeout_ms;
    rc = odo_transport_open(&o, out, err);
out_wipe:
    memset(psk, 0, sizeof(psk));
    odo_sync_config_clear(&cfg);
    return rc;
}
