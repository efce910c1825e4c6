/*
 * The in-process gateway of memgateway.h.
 */
#include "memgateway.h"

#include "test.h"

#include "store_fixture.h"

struct gw_row *gw_find(struct gateway *gw, const struct odo_wire_table *t, const char *id)
{
    for (int i = 0; i < gw->nrows; i++)
        if (gw->rows[i].t == t && strcmp(gw->rows[i].id, id) == 0)
            return &gw->rows[i];
    return NULL;
}

void gw_set(struct gw_row *r, const char *col, const struct odo_val *v)
{
    int c = odo_wire_col_index(r->t, col);
    ASSERT(c >= 0);
    r->vals[c] = *v;
    r->vals[c].hlc = 0;
    if (v->kind == ODO_VAL_STR) {
        snprintf(r->text[c], GW_TEXT, "%s", v->s);
        r->vals[c].s = r->text[c];
    }
}

void gw_set_text(struct gw_row *r, const char *col, const char *text)
{
    struct odo_val v = {text ? ODO_VAL_STR : ODO_VAL_NULL, 0, text, 0};
    gw_set(r, col, &v);
}

static struct gw_row *gw_new(struct gateway *gw, const struct odo_wire_table *t, const char *id)
{
    struct gw_row *r;

    ASSERT(gw->nrows < GW_ROWS);
    r = &gw->rows[gw->nrows++];
    memset(r, 0, sizeof(*r));
    r->t = t;
    snprintf(r->id, sizeof(r->id), "%s", id);
    for (size_t c = 0; c < t->ncols; c++)
        r->vals[c].kind = ODO_VAL_NULL;
    return r;
}

struct gw_row *gw_vehicle(struct gateway *gw, const char *id, const char *name, const char *vin)
{
    struct gw_row *r = gw_new(gw, odo_wire_table("vehicles"), id);
    struct odo_val when = {ODO_VAL_INT, gw->device->now_ms - 86400000, NULL, 0};

    gw_set_text(r, "name", name);
    gw_set_text(r, "vin", vin);
    gw_set_text(r, "odometer_unit", "km");
    gw_set(r, "created_at", &when);
    gw_set(r, "updated_at", &when);
    r->rev = ++gw->rev;
    return r;
}

void gw_touch(struct gateway *gw, struct gw_row *r)
{
    r->rev = ++gw->rev;
    r->origin[0] = '\0';
}

static bool gw_live(const struct gw_row *r)
{
    int del = odo_wire_col_index(r->t, "deleted_at");
    return !r->purged && r->t->user_scoped && r->vals[del].kind == ODO_VAL_NULL;
}

/* What the gateway answers; see write_answer. */
struct answer {
    enum { PUSH_ANSWER, PULL_PAGE, RECONCILE_REQUIRED, LIVE_PAGE } kind;
    int64_t batch; /* push */
    size_t nresults;
    int64_t revs[GW_ROWS];
    const char *refused[GW_ROWS];
    const char *rekey_from, *rekey_to;
    const struct gw_row *rows[GW_ROWS]; /* push winners, page rows, live ids */
    size_t nrows;
    int64_t cursor; /* page */
    bool more;
    int64_t watermark; /* reconcile_required */
    const char *next;  /* live page: NULL at the last */
};

/* Every column of t, in order: the rows here are whole. */
static int all_cols(const struct odo_wire_table *t, int *cols)
{
    for (size_t c = 0; c < t->ncols; c++)
        cols[c] = (int)c;
    return (int)t->ncols;
}

/* The gateway's answers, through the protocol module's encoders (the gateway uses the same). */
static void write_answer(struct odo_buf *b, odo_hlc hlc, const struct answer *a)
{
    int cols[ODO_WIRE_COLS_MAX], ncols = 0;

    switch (a->kind) {
    case PUSH_ANSWER: {
        struct odo_push_ans_writer w;
        odo_push_ans_write_begin(&w, b, a->batch, hlc);
        for (size_t i = 0; i < a->nresults; i++)
            odo_push_ans_write_rev(&w, a->refused[i] ? 0 : a->revs[i]);
        for (size_t i = 0; i < a->nresults; i++)
            if (a->refused[i])
                odo_push_ans_write_refused(&w, i, a->refused[i]);
        for (size_t i = 0; i < a->nrows; i++) {
            if (i == 0 || a->rows[i]->t != a->rows[i - 1]->t) {
                ncols = all_cols(a->rows[i]->t, cols);
                odo_push_ans_write_winners(&w, a->rows[i]->t, cols, ncols);
            }
            odo_push_ans_write_winner(&w, a->rows[i]->id, a->rows[i]->rev, a->rows[i]->vals, ncols);
        }
        if (a->rekey_from)
            odo_push_ans_write_rekey(&w, odo_wire_table("vehicles"), a->rekey_from, a->rekey_to);
        odo_push_ans_write_end(&w);
        break;
    }
    case PULL_PAGE: {
        struct odo_pull_page_writer w;
        odo_pull_page_write_begin(&w, b, hlc);
        for (size_t i = 0; i < a->nrows; i++) {
            if (i == 0 || a->rows[i]->t != a->rows[i - 1]->t) {
                ncols = all_cols(a->rows[i]->t, cols);
                odo_pull_page_write_group(&w, a->rows[i]->t, cols, ncols);
            }
            odo_pull_page_write_row(&w, a->rows[i]->id, a->rows[i]->rev, a->rows[i]->vals, ncols);
        }
        odo_pull_page_write_end(&w, a->cursor, a->more);
        break;
    }
    case RECONCILE_REQUIRED:
        odo_reconcile_required_encode(b, hlc, a->watermark);
        break;
    case LIVE_PAGE: {
        struct odo_reconcile_writer w;
        odo_reconcile_write_begin(&w, b, hlc);
        for (size_t i = 0; i < a->nrows; i++) {
            if (i == 0 || a->rows[i]->t != a->rows[i - 1]->t)
                odo_reconcile_write_table(&w, a->rows[i]->t);
            odo_reconcile_write_id(&w, a->rows[i]->id);
        }
        odo_reconcile_write_end(&w, a->next);
        break;
    }
    }
}

static int answer_error(struct odo_buf *resp, int *status, enum odo_pe e, const char *message)
{
    odo_error_encode(resp, e, message, 0);
    *status = odo_pe_http(e);
    return 0;
}

/* One pushed row, as the gateway's merge would take it; the answer gets its result. */
static void gw_apply_row(struct gateway *gw, const struct odo_push_req *req,
                         const struct odo_push_group *g, const struct odo_push_row *row,
                         struct answer *a)
{
    size_t i = a->nresults++;
    struct gw_row *r;

    if (row->refused[0]) {
        a->refused[i] = row->refused;
        return;
    }
    if (gw->refuse_id && strcmp(row->id, gw->refuse_id) == 0) {
        a->refused[i] = gw->refuse_reason;
        return;
    }
    if (gw->alias_id && strcmp(row->id, gw->alias_id) == 0) {
        r = gw_find(gw, g->table, gw->canonical_id);
        ASSERT(r);
        a->rekey_from = gw->alias_id;
        a->rekey_to = gw->canonical_id;
        a->revs[i] = r->rev;
        a->rows[a->nrows++] = r;
        return;
    }
    if (!(r = gw_find(gw, g->table, row->id)))
        r = gw_new(gw, g->table, row->id);
    if (r->keeps_its_version) {
        a->revs[i] = r->rev;
        a->rows[a->nrows++] = r;
        return;
    }
    for (int c = 0; c < g->ncols; c++)
        gw_set(r, g->table->cols[g->cols[c]].name, &row->vals[c]);
    r->rev = ++gw->rev;
    snprintf(r->origin, sizeof(r->origin), "%s", req->device);
    a->revs[i] = r->rev;
}

static int gw_push(struct gateway *gw, const char *body, size_t len, int *status,
                   struct odo_buf *resp, struct odo_err *err)
{
    struct odo_push_req req;
    struct odo_err why;
    struct answer *a;
    int k = gw->pushes++;

    ASSERT(k < GW_PUSHES);
    gw->push_body[k] = strndup(body, len);
    gw->outbox_during_push[k] = FIXTURE_SQL_INT(gw->device, "SELECT count(*) FROM outbox");
    if (odo_push_decode(body, len, &req, &why))
        return answer_error(resp, status, ODO_PE_BAD_REQUEST, why.msg);
    gw->push_batch[k] = req.batch;
    gw->push_rows[k] = req.nrows;
    if (!req.token || strcmp(req.token, gw->token) != 0) {
        odo_push_free(&req);
        return answer_error(resp, status, ODO_PE_UNAUTHORIZED, "the token is not valid");
    }
    if (req.batch == gw->last_batch) {
        odo_push_free(&req);
        gw->replays++;
        odo_buf_puts(resp, gw->last_answer);
        *status = 200;
        return 0;
    }
    if (req.batch < gw->last_batch) {
        odo_push_free(&req);
        return answer_error(resp, status, ODO_PE_CONFLICT, "stale batch");
    }
    a = calloc(1, sizeof(*a));
    ASSERT(a);
    a->kind = PUSH_ANSWER;
    a->batch = req.batch;
    for (size_t g = 0; g < req.ngroups; g++)
        for (size_t i = 0; i < req.groups[g].nrows; i++)
            gw_apply_row(gw, &req, &req.groups[g], &req.groups[g].rows[i], a);
    write_answer(resp, gw->hlc, a);
    free(a);
    gw->applied++;
    gw->last_batch = req.batch;
    odo_push_free(&req);
    free(gw->last_answer);
    gw->last_answer = strdup(resp->data);
    *status = 200;
    if (gw->lose_next_answer) {
        gw->lose_next_answer = false;
        return odo_err_set(err, ODO_ENET, "the answer was lost on the way back");
    }
    return 0;
}

static int by_rev(const void *x, const void *y)
{
    const struct gw_row *a = *(const struct gw_row *const *)x,
                        *b = *(const struct gw_row *const *)y;
    return a->rev < b->rev ? -1 : a->rev > b->rev;
}

static void key_of(const struct gw_row *r, char out[96])
{
    snprintf(out, 96, "%s/%s", r->t->name, r->id);
}

static int by_key(const void *x, const void *y)
{
    char a[96], b[96];
    key_of(*(const struct gw_row *const *)x, a);
    key_of(*(const struct gw_row *const *)y, b);
    return strcmp(a, b);
}

static int gw_pull(struct gateway *gw, const char *body, size_t len, int *status,
                   struct odo_buf *resp)
{
    const struct gw_row *found[GW_ROWS];
    struct odo_pull_req req;
    struct odo_err why;
    struct answer *a;
    size_t n = 0;

    if (odo_pull_decode(body, len, &req, &why))
        return answer_error(resp, status, ODO_PE_BAD_REQUEST, why.msg);
    if (!req.token || strcmp(req.token, gw->token) != 0) {
        odo_pull_free(&req);
        return answer_error(resp, status, ODO_PE_UNAUTHORIZED, "the token is not valid");
    }
    ASSERT(gw->pulls < GW_PUSHES);
    gw->pull_since[gw->pulls++] = req.since;
    gw->pull_acked = req.acked;
    gw->pull_swept = req.swept;
    a = calloc(1, sizeof(*a));
    ASSERT(a);
    if (req.reconcile) {
        char key[96];
        a->kind = LIVE_PAGE;
        for (int i = 0; i < gw->nrows; i++) {
            key_of(&gw->rows[i], key);
            if (gw_live(&gw->rows[i]) && strcmp(key, req.after) > 0)
                found[n++] = &gw->rows[i];
        }
        qsort(found, n, sizeof(*found), by_key);
        for (a->nrows = 0; a->nrows < n && a->nrows < (size_t)req.limit; a->nrows++)
            a->rows[a->nrows] = found[a->nrows];
        if (a->nrows < n) {
            key_of(a->rows[a->nrows - 1], gw->after_key);
            a->next = gw->after_key;
        }
    } else if (gw->watermark && req.since > 0 && req.since < gw->watermark &&
               req.swept < gw->watermark) {
        a->kind = RECONCILE_REQUIRED;
        a->watermark = gw->watermark;
    } else {
        a->kind = PULL_PAGE;
        for (int i = 0; i < gw->nrows; i++) {
            const struct gw_row *r = &gw->rows[i];
            bool own = strcmp(r->origin, req.device) == 0 && r->rev <= req.acked;
            if (r->rev > req.since && !r->purged && !own)
                found[n++] = r;
        }
        qsort(found, n, sizeof(*found), by_rev);
        for (a->nrows = 0; a->nrows < n && a->nrows < (size_t)req.limit; a->nrows++)
            a->rows[a->nrows] = found[a->nrows];
        a->more = a->nrows < n;
        a->cursor = a->more ? a->rows[a->nrows - 1]->rev : gw->rev;
    }
    write_answer(resp, gw->hlc, a);
    free(a);
    odo_pull_free(&req);
    *status = 200;
    return 0;
}

static int gw_request(struct odo_transport *t, const char *path, const char *body, size_t len,
                      int *status, struct odo_buf *resp, struct odo_err *err)
{
    struct gateway *gw = (struct gateway *)t;

    gw->requests++;
    if (gw->down)
        return odo_err_set(err, ODO_ENET, "cannot reach the gateway: the network is down");
    if (gw->fail_count > 0) {
        gw->fail_count--;
        return answer_error(resp, status, gw->fail_with, "refused by the test");
    }
    if (strcmp(path, "/v1/sync/push") == 0)
        return gw_push(gw, body, len, status, resp, err);
    if (strcmp(path, "/v1/sync/pull") == 0)
        return gw_pull(gw, body, len, status, resp);
    return answer_error(resp, status, ODO_PE_NOT_FOUND, "no such path");
}

static void gw_close(struct odo_transport *t)
{
    (void)t; /* the test owns the gateway */
}

static const struct odo_transport_ops gw_ops = {gw_request, gw_close};

struct gateway *gw_open(struct store_fixture *device, const char *token)
{
    struct gateway *gw = calloc(1, sizeof(*gw));

    ASSERT(gw);
    gw->base.ops = &gw_ops;
    gw->device = device;
    gw->token = token;
    gw->hlc = (odo_hlc)device->now_ms << 16;
    return gw;
}

void gw_free(struct gateway *gw)
{
    for (int i = 0; i < gw->pushes; i++)
        free(gw->push_body[i]);
    free(gw->last_answer);
    free(gw);
}
