/*
 * The sync cycle of engine.h.
 */
#include "sync/client/engine.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "platform/text.h"
#include "storage/replica.h"
#include "sync/client/login.h"
#include "sync/protocol/messages.h"

/* The store reads and writes rows of as many columns as the wire carries: one limit. */
_Static_assert(ODO_READ_COLS_MAX == ODO_WIRE_COLS_MAX,
               "the store and the wire disagree on columns");

#define BATCH_ROWS_DEFAULT 2000
#define PAGE_ROWS_DEFAULT  1000
#define MAX_GROUPS         32

/* ---- converting between store cells and wire values ------------------------------------ */

/* A wire value for a store cell of column c; decimals are formatted into buf. */
static void cell_to_val(const struct odo_wire_col *c, const struct odo_cell *cell, char *buf,
                        size_t cap, struct odo_val *v)
{
    memset(v, 0, sizeof(*v));
    if (cell->kind == ODO_CELL_NULL) {
        v->kind = ODO_VAL_NULL;
    } else if (c->type == ODO_W_DEC && cell->kind == ODO_CELL_INT) {
        v->kind = ODO_VAL_STR;
        v->s = odo_dec_format(cell->i, c->scale, c->scale, buf, cap);
    } else if (c->type == ODO_W_INT || c->type == ODO_W_BOOL) {
        v->kind = ODO_VAL_INT;
        v->i = cell->kind == ODO_CELL_INT ? cell->i : atoll(cell->s);
    } else if (c->type == ODO_W_TIME && cell->kind == ODO_CELL_TEXT &&
               odo_time_parse(cell->s, &v->i, NULL) == 0) {
        v->kind = ODO_VAL_INT; /* stored as text, sent as milliseconds */
    } else {
        v->kind = ODO_VAL_STR;
        v->s = cell->kind == ODO_CELL_TEXT ? cell->s : "";
    }
}

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

/* ---- building a batch ------------------------------------------------------------------- */

struct entry {
    int64_t seq;
    const struct odo_wire_table *table;
    char id[ODO_UUID_TEXT_LEN + 1];
    odo_hlc hlc;
    odo_hlc *col_hlc; /* per column, where it differs from hlc; NULL when none does */
    int64_t base_rev;
    uint64_t mask; /* columns of the table in this change */
    int group;
};

struct batch {
    struct entry *entries;
    int n, cap;
    struct odo_err *err;
    int rc;
};

/* Column c of e was changed at h. */
static int set_col_hlc(struct entry *e, size_t c, odo_hlc h)
{
    if (h == e->hlc && !e->col_hlc)
        return 0;
    if (!e->col_hlc && !(e->col_hlc = calloc(e->table->ncols, sizeof(*e->col_hlc))))
        return ODO_ENOMEM;
    e->col_hlc[c] = h;
    return 0;
}

/* The HLC of column c's change in e. */
static odo_hlc col_hlc(const struct entry *e, int c)
{
    return e->col_hlc && e->col_hlc[c] ? e->col_hlc[c] : e->hlc;
}

/* Reads an outbox entry's column map into e (mask and per-column HLCs). */
static int parse_cols(const char *json, struct entry *e, int schema, struct odo_err *err)
{
    cJSON *o, *it;
    int rc = 0;

    /* The common case, a row inserted (or all of it changed) since the last push, without
     * building a JSON tree for each of thousands of entries: {"*":"<hlc>"}. */
    if (strncmp(json, "{\"*\":\"", 6) == 0 && strlen(json) == 6 + ODO_HLC_TEXT_LEN + 2 &&
        strcmp(json + 6 + ODO_HLC_TEXT_LEN, "\"}") == 0) {
        char text[ODO_HLC_TEXT_LEN + 1];
        odo_hlc h;
        memcpy(text, json + 6, ODO_HLC_TEXT_LEN);
        text[ODO_HLC_TEXT_LEN] = '\0';
        if (odo_hlc_parse(text, &h) != 0)
            h = e->hlc;
        for (size_t c = 0; c < e->table->ncols; c++)
            if (e->table->cols[c].since_schema <= schema) {
                e->mask |= 1ULL << c;
                rc |= set_col_hlc(e, c, h);
            }
        return rc ? odo_err_set(err, ODO_ENOMEM, "out of memory") : 0;
    }
    o = cJSON_Parse(json);

    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return odo_err_set(err, ODO_ESTORAGE, "an outbox entry is damaged");
    }
    cJSON_ArrayForEach(it, o)
    {
        odo_hlc h = e->hlc;
        if (cJSON_IsString(it) && odo_hlc_parse(it->valuestring, &h) != 0)
            h = e->hlc;
        if (strcmp(it->string, "*") == 0) {
            for (size_t c = 0; c < e->table->ncols; c++)
                if (e->table->cols[c].since_schema <= schema && !(e->mask >> c & 1)) {
                    e->mask |= 1ULL << c;
                    rc |= set_col_hlc(e, c, h);
                }
            continue;
        }
        int c = odo_wire_col_index(e->table, it->string);
        if (c < 0)
            continue; /* a local column the protocol does not carry */
        e->mask |= 1ULL << c;
        rc |= set_col_hlc(e, (size_t)c, h);
    }
    cJSON_Delete(o);
    return rc ? odo_err_set(err, ODO_ENOMEM, "out of memory") : 0;
}

static int collect(const struct odo_pending *p, void *ctx)
{
    struct batch *b = ctx;
    struct entry *e;

    if (b->n == b->cap) {
        b->rc = odo_err_set(b->err, ODO_ENOMEM, "batch full");
        return 1;
    }
    e = &b->entries[b->n];
    memset(e, 0, sizeof(*e));
    e->seq = p->seq;
    e->table = odo_wire_table(p->tbl);
    snprintf(e->id, sizeof(e->id), "%s", p->row_id);
    e->hlc = p->hlc;
    e->base_rev = p->base_rev;
    if (!e->table || !e->table->user_scoped) {
        b->rc = odo_err_set(b->err, ODO_ESTORAGE, "the outbox names an unknown table '%s'", p->tbl);
        return 1;
    }
    if ((b->rc = parse_cols(p->cols, e, ODO_SCHEMA_CURRENT, b->err)))
        return 1;
    b->n++;
    return 0;
}

/* The rows of one group being written into a batch: values are converted as the store reads
 * them. */
struct rows_out {
    struct odo_push_writer *w;
    struct odo_buf *manifest;
    const struct odo_wire_table *table;
    const struct entry *const *entries; /* the group's entries, in the order of the ids read */
    const int *cols;
    int ncols;
};

static int write_row(int index, const struct odo_cell *cells, void *ctx)
{
    struct rows_out *r = ctx;
    const struct entry *e = r->entries[index];
    struct odo_val vals[ODO_READ_COLS_MAX];
    char decs[ODO_READ_COLS_MAX][ODO_DEC_TEXT_MAX];

    for (int c = 0; c < r->ncols; c++) {
        cell_to_val(&r->table->cols[r->cols[c]], &cells[c], decs[c], sizeof(decs[c]), &vals[c]);
        vals[c].hlc = col_hlc(e, r->cols[c]);
    }
    odo_push_write_row(r->w, e->id, e->base_rev, e->hlc, vals, r->ncols);
    odo_buf_printf(r->manifest, "%s %s\n", r->table->name, e->id);
    return 0;
}

/*
 * Builds the next batch of user's pending changes and seals it, in one write transaction so
 * that another process syncing the same user cannot interleave. *batch is 0 when there was
 * nothing to push.
 */
static int build_batch(struct odo_store *s, const char *user, const struct odo_sync_options *opt,
                       int64_t *batch, struct odo_err *err)
{
    struct batch b = {NULL, 0, 0, err, 0};
    struct {
        const struct odo_wire_table *table;
        uint64_t mask;
    } groups[MAX_GROUPS];
    int ngroups = 0, rc;
    struct odo_push_writer w;
    struct odo_buf body, manifest;
    int64_t *seqs = NULL, number = 0;
    const char **ids = NULL;
    const struct entry **members = NULL;
    odo_hlc now;
    char device[ODO_UUID_TEXT_LEN + 1];

    *batch = 0;
    b.cap = opt->batch_rows;
    b.entries = calloc((size_t)b.cap, sizeof(*b.entries));
    seqs = calloc((size_t)b.cap, sizeof(*seqs));
    ids = calloc((size_t)b.cap, sizeof(*ids));
    members = calloc((size_t)b.cap, sizeof(*members));
    odo_buf_init(&body, ODO_PUSH_BODY_MAX - ODO_TOKEN_MAX - 64);
    odo_buf_init(&manifest, (size_t)b.cap * 64 + 1);
    if (!b.entries || !seqs || !ids || !members) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = odo_store_begin(s, err)))
        goto out;
    if ((rc = odo_replica_next_batch(s, user, &number, err)) ||
        (rc = odo_replica_pending(s, user, b.cap, collect, &b, err)) || (rc = b.rc))
        goto out_rollback;
    if (b.n == 0)
        goto out_rollback;
    /* Rows of one table with the same columns travel together. */
    for (int i = 0; i < b.n; i++) {
        struct entry *e = &b.entries[i];
        e->group = -1;
        for (int g = 0; g < ngroups && e->group < 0; g++)
            if (groups[g].table == e->table && groups[g].mask == e->mask)
                e->group = g;
        if (e->group < 0) {
            if (ngroups == MAX_GROUPS) {
                b.n = i; /* the rest waits for the next batch */
                break;
            }
            groups[ngroups].table = e->table;
            groups[ngroups].mask = e->mask;
            e->group = ngroups++;
        }
    }
    if ((rc = odo_replica_hlc(s, &now, err)))
        goto out_rollback;
    snprintf(device, sizeof(device), "%s", odo_store_device_id(s));
    odo_push_write_begin(&w, &body, device, number, opt->schema, NULL, now);
    for (int g = 0; g < ngroups; g++) {
        const struct odo_wire_table *t = groups[g].table;
        int cols[ODO_READ_COLS_MAX], ncols = 0;
        const char *names[ODO_READ_COLS_MAX];
        for (size_t c = 0; c < t->ncols; c++)
            if (groups[g].mask >> c & 1) {
                cols[ncols] = (int)c;
                names[ncols++] = t->cols[c].name;
            }
        odo_push_write_group(&w, t, cols, ncols);
        /* The group's rows in one read; a row gone locally (swept) is not in the batch. */
        int n = 0;
        for (int i = 0; i < b.n; i++)
            if (b.entries[i].group == g) {
                ids[n] = b.entries[i].id;
                members[n++] = &b.entries[i];
            }
        struct rows_out r = {&w, &manifest, t, members, cols, ncols};
        if ((rc =
                 odo_replica_read_rows(s, user, t->name, ids, n, names, ncols, write_row, &r, err)))
            goto out_rollback;
    }
    odo_push_write_end(&w);
    if (body.overflow || manifest.overflow) {
        rc = odo_err_set(err, ODO_ETOOBIG, "a batch of %d rows is over the body limit", b.n);
        goto out_rollback;
    }
    for (int i = 0; i < b.n; i++)
        seqs[i] = b.entries[i].seq;
    if ((rc = odo_replica_seal(s, user, seqs, b.n, body.data, manifest.data ? manifest.data : "",
                               number, err)))
        goto out_rollback;
    if ((rc = odo_store_commit(s, err)) == 0)
        *batch = number;
    goto out;
out_rollback:
    odo_store_rollback(s);
out:
    for (int i = 0; b.entries && i < b.cap; i++)
        free(b.entries[i].col_hlc);
    free(b.entries);
    free(seqs);
    free(ids);
    free(members);
    odo_buf_free(&body);
    odo_buf_free(&manifest);
    return rc;
}

/* ---- pushing ---------------------------------------------------------------------------- */

/* Applies rows of the gateway (pull pages, push winners); within begin/end apply. */
static int apply_groups(struct odo_store *s, const char *user, const struct odo_row_group *groups,
                        size_t ngroups, int *applied, struct odo_err *err)
{
    for (size_t g = 0; g < ngroups; g++) {
        const struct odo_row_group *rg = &groups[g];
        const char *names[ODO_READ_COLS_MAX];
        for (int c = 0; c < rg->ncols; c++)
            names[c] = rg->table->cols[rg->cols[c]].name;
        for (size_t i = 0; i < rg->nrows; i++) {
            struct odo_cell cells[ODO_READ_COLS_MAX];
            char times[ODO_READ_COLS_MAX][ODO_TIME_TEXT_LEN + 1];
            int rc;
            for (int c = 0; c < rg->ncols; c++)
                if ((rc = val_to_cell(&rg->table->cols[rg->cols[c]], &rg->rows[i].vals[c],
                                      &cells[c], times[c], err)))
                    return rc;
            if ((rc = odo_replica_apply_row(s, user, rg->table->name, names, rg->ncols,
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
            if ((rc = build_batch(s, user, opt, &batch, err)) || !batch)
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
    char token[ODO_TOKEN_MAX + 1];
    int rc;

    memset(rep, 0, sizeof(*rep));
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
