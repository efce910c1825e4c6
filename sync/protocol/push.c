/*
 * The push (POST /v1/sync/push) and its answer, both ways: the device writes the request and reads
 * the answer, the gateway reads the request and writes the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/uuid.h"
#include "sync/protocol/internal.h"

/* ---- reading a push request
 * ----------------------------------------------------------------------- */

/* One pushed row: [id, base_rev, hlc, values...], each value maybe {"h": hlc, "v": value}. */
static int decode_push_row(const cJSON *r, const struct odo_push_group *g, struct odo_push_row *row,
                           struct odo_err *err)
{
    const cJSON *it;
    int rc;

    if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 3 + g->ncols)
        return odo_err_set(err, ODO_EPROTO,
                           "a pushed row of '%s' must be [id, base_rev, hlc, %d values]",
                           g->table->name, g->ncols);
    if ((rc = odo_rows_decode_envelope(r, "a base revision", &row->id, &row->base_rev, err)))
        return rc;
    it = cJSON_GetArrayItem(r, 2);
    if (!cJSON_IsString(it) || odo_hlc_parse(it->valuestring, &row->hlc) != 0)
        return odo_err_set(err, ODO_EPROTO, "a row HLC must be 16 hex digits");
    for (int j = 0; (it = it->next); j++) {
        const struct odo_wire_col *c = &g->table->cols[g->cols[j]];
        const cJSON *v = it;
        odo_hlc own = 0;
        if (cJSON_IsObject(it)) {
            static const char *const keys[] = {"h", "v", NULL};
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "h");
            if (odo_json_check_keys(it, keys, "a value", err) != 0)
                return ODO_EPROTO;
            v = cJSON_GetObjectItemCaseSensitive(it, "v");
            if (!v || !cJSON_IsString(h) || odo_hlc_parse(h->valuestring, &own) != 0)
                return odo_err_set(err, ODO_EPROTO,
                                   "a value with its own HLC must be {\"h\": hlc, \"v\": value}");
        }
        if (!odo_rows_kind_fits(c, v))
            return odo_err_set(err, ODO_EPROTO, "column '%s' of '%s' has the wrong type", c->name,
                               g->table->name);
        odo_rows_to_val(v, &row->vals[j]);
        row->vals[j].hlc = own;
        if (!row->refused[0]) {
            /* Well-formed but outside the column's domain: this change alone is refused. */
            const char *why = odo_val_check(c, &row->vals[j]);
            if (why)
                snprintf(row->refused, sizeof(row->refused), "%s %s", c->name, why);
        }
    }
    return 0;
}

void odo_push_free(struct odo_push_req *r)
{
    if (!r)
        return;
    for (size_t g = 0; g < r->ngroups; g++) {
        for (size_t i = 0; i < r->groups[g].nrows; i++)
            free(r->groups[g].rows[i].vals);
        free(r->groups[g].rows);
    }
    free(r->groups);
    cJSON_Delete(r->doc);
    memset(r, 0, sizeof(*r));
}

int odo_push_decode(const char *body, size_t len, struct odo_push_req *out, struct odo_err *err)
{
    static const char *const keys[] = {"v",     "device", "batch",  "schema",
                                       "token", "hlc",    "tables", NULL};
    const cJSON *tables, *g;
    cJSON *doc;
    int64_t n;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = odo_json_open(body, len, ODO_PUSH_BODY_MAX, keys, "a push", &out->doc, err)))
        goto out_free;
    doc = out->doc;
    if ((rc = odo_json_device(doc, out->device, err)) ||
        (rc = odo_json_int(doc, "batch", true, 1, INT64_MAX / 2, &out->batch, err)) ||
        (rc = odo_json_int(doc, "schema", true, 1, 1000, &n, err)) ||
        (rc = odo_json_hlc(doc, "hlc", true, &out->hlc, err)))
        goto out_free;
    out->v = ODO_PROTOCOL_VERSION; /* the only one odo_json_version lets through */
    out->schema = (int)n;
    if ((rc = odo_json_str(doc, "token", false, ODO_TOKEN_MAX, &out->token, err)) < 0)
        goto out_free;
    tables = cJSON_GetObjectItemCaseSensitive(doc, "tables");
    if (!cJSON_IsArray(tables)) {
        rc = odo_err_set(err, ODO_EPROTO, "field 'tables' must be an array");
        goto out_free;
    }
    if (cJSON_GetArraySize(tables) > ODO_GROUPS_MAX) {
        rc = odo_err_set(err, ODO_ETOOBIG, "more than %d table groups", ODO_GROUPS_MAX);
        goto out_free;
    }
    out->groups = calloc((size_t)cJSON_GetArraySize(tables) + 1, sizeof(*out->groups));
    if (!out->groups) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
        goto out_free;
    }
    cJSON_ArrayForEach(g, tables)
    {
        struct odo_push_group *pg = &out->groups[out->ngroups];
        const cJSON *rows, *r;
        size_t nrows;

        if ((rc = odo_rows_decode_head(g, true, out->schema, &pg->table, &pg->ncols, pg->cols,
                                       &rows, err)))
            goto out_free;
        out->ngroups++;
        nrows = (size_t)cJSON_GetArraySize(rows);
        if (out->nrows + nrows > ODO_PUSH_ROWS_MAX) {
            rc = odo_err_set(err, ODO_ETOOBIG, "more than %d rows in one push", ODO_PUSH_ROWS_MAX);
            goto out_free;
        }
        pg->first = out->nrows;
        pg->rows = calloc(nrows + 1, sizeof(*pg->rows));
        if (!pg->rows) {
            rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
            goto out_free;
        }
        cJSON_ArrayForEach(r, rows)
        {
            struct odo_push_row *row = &pg->rows[pg->nrows];
            struct odo_val *vals = calloc((size_t)pg->ncols + 1, sizeof(*vals));
            if (!vals) {
                rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
                goto out_free;
            }
            row->vals = vals;
            pg->nrows++;
            if ((rc = decode_push_row(r, pg, row, err)))
                goto out_free;
        }
        out->nrows += nrows;
    }
    return 0;
out_free:
    odo_push_free(out);
    return rc;
}

/* ---- writing a push request ------------------------------------------------------------- */

void odo_push_write_begin(struct odo_push_writer *w, struct odo_buf *b, const char *device,
                          int64_t batch, int schema, const char *token, odo_hlc hlc)
{
    odo_groups_start(&w->out, b);
    odo_buf_printf(b, "{\"v\":%d,\"device\":", ODO_PROTOCOL_VERSION);
    odo_buf_json_str(b, device);
    odo_buf_puts(b, ",\"batch\":");
    odo_buf_int(b, batch);
    odo_buf_printf(b, ",\"schema\":%d,\"hlc\":", schema);
    odo_json_put_hlc(b, hlc);
    if (token) {
        odo_buf_puts(b, ",\"token\":");
        odo_buf_json_str(b, token);
    }
    odo_buf_puts(b, ",\"tables\":[");
}

void odo_push_write_group(struct odo_push_writer *w, const struct odo_wire_table *t,
                          const int *cols, int ncols)
{
    odo_rows_put_group(&w->out, t, cols, ncols);
}

void odo_push_write_row(struct odo_push_writer *w, const char *id, int64_t base_rev, odo_hlc hlc,
                        const struct odo_val *vals, int ncols)
{
    struct odo_buf *b = w->out.b;

    odo_groups_item(&w->out);
    odo_buf_putc(b, '[');
    odo_buf_json_str(b, id);
    odo_buf_putc(b, ',');
    odo_buf_int(b, base_rev);
    odo_buf_putc(b, ',');
    odo_json_put_hlc(b, hlc);
    for (int i = 0; i < ncols; i++) {
        odo_buf_putc(b, ',');
        if (vals[i].hlc && vals[i].hlc != hlc) {
            odo_buf_puts(b, "{\"h\":");
            odo_json_put_hlc(b, vals[i].hlc);
            odo_buf_puts(b, ",\"v\":");
            odo_json_put_val(b, &vals[i]);
            odo_buf_putc(b, '}');
        } else {
            odo_json_put_val(b, &vals[i]);
        }
    }
    odo_buf_putc(b, ']');
}

void odo_push_write_end(struct odo_push_writer *w)
{
    odo_groups_close(&w->out);
    odo_buf_puts(w->out.b, "]}");
}

/* ---- reading a push answer
 * ------------------------------------------------------------------------ */

void odo_push_ans_free(struct odo_push_ans *a)
{
    if (!a)
        return;
    free(a->results);
    odo_rows_free_groups(a->winners, a->nwinners);
    free(a->rekey);
    cJSON_Delete(a->doc);
    memset(a, 0, sizeof(*a));
}

int odo_push_ans_decode(const char *body, size_t len, struct odo_push_ans *out, struct odo_err *err)
{
    static const char *const keys[] = {"v",       "batch",   "hlc",   "revs",
                                       "refused", "winners", "rekey", NULL};
    const cJSON *revs, *refused, *winners, *rekey, *it;
    cJSON *doc;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = odo_json_open(body, len, ODO_ANSWER_BODY_MAX, keys, "a push answer", &out->doc, err)))
        goto out_free;
    doc = out->doc;
    if ((rc = odo_json_int(doc, "batch", true, 1, INT64_MAX / 2, &out->batch, err)) ||
        (rc = odo_json_hlc(doc, "hlc", true, &out->hlc, err)))
        goto out_free;
    /* Runs [first, count]: count changes with revisions first, first + 1, ...; first 0 for
     * refused changes. */
    revs = cJSON_GetObjectItemCaseSensitive(doc, "revs");
    if (!cJSON_IsArray(revs) || cJSON_GetArraySize(revs) > ODO_PUSH_ROWS_MAX) {
        rc = odo_err_set(err, ODO_EPROTO, "field 'revs' must be an array of [first, count] runs");
        goto out_free;
    }
    out->results = calloc(ODO_PUSH_ROWS_MAX + 1, sizeof(*out->results));
    if (!out->results) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
        goto out_free;
    }
    cJSON_ArrayForEach(it, revs)
    {
        const cJSON *f = cJSON_GetArrayItem(it, 0), *c = cJSON_GetArrayItem(it, 1);
        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 ||
            !odo_json_whole(f, 0, ODO_JSON_WHOLE_MAX) ||
            !odo_json_whole(c, 1, (double)(ODO_PUSH_ROWS_MAX - out->nresults))) {
            rc = odo_err_set(err, ODO_EPROTO,
                             "a revision run must be [first, count] within the batch");
            goto out_free;
        }
        int64_t first = (int64_t)f->valuedouble;
        for (int64_t k = 0; k < (int64_t)c->valuedouble; k++)
            out->results[out->nresults++].rev = first ? first + k : 0;
    }
    refused = cJSON_GetObjectItemCaseSensitive(doc, "refused");
    if (refused) {
        if (!cJSON_IsArray(refused)) {
            rc = odo_err_set(err, ODO_EPROTO, "field 'refused' must be an array");
            goto out_free;
        }
        cJSON_ArrayForEach(it, refused)
        {
            const cJSON *i0 = cJSON_GetArrayItem(it, 0), *r1 = cJSON_GetArrayItem(it, 1);
            if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 ||
                !odo_json_whole(i0, 0, (double)out->nresults - 1) || !cJSON_IsString(r1)) {
                rc = odo_err_set(err, ODO_EPROTO, "a refusal must be [index, reason]");
                goto out_free;
            }
            out->results[(size_t)i0->valuedouble].rev = 0;
            out->results[(size_t)i0->valuedouble].refused = r1->valuestring;
        }
    }
    winners = cJSON_GetObjectItemCaseSensitive(doc, "winners");
    if (winners && (rc = odo_rows_decode_groups(winners, &out->winners, &out->nwinners, err)))
        goto out_free;
    rekey = cJSON_GetObjectItemCaseSensitive(doc, "rekey");
    if (rekey) {
        if (!cJSON_IsArray(rekey) || cJSON_GetArraySize(rekey) > ODO_PUSH_ROWS_MAX) {
            rc = odo_err_set(err, ODO_EPROTO, "field 'rekey' must be an array");
            goto out_free;
        }
        out->rekey = calloc((size_t)cJSON_GetArraySize(rekey) + 1, sizeof(*out->rekey));
        if (!out->rekey) {
            rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
            goto out_free;
        }
        cJSON_ArrayForEach(it, rekey)
        {
            const cJSON *t = cJSON_GetArrayItem(it, 0), *f = cJSON_GetArrayItem(it, 1),
                        *to = cJSON_GetArrayItem(it, 2);
            struct odo_rekey *k = &out->rekey[out->nrekey];
            if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 3 || !cJSON_IsString(t) ||
                !cJSON_IsString(f) || !cJSON_IsString(to) || !odo_uuid_valid(f->valuestring) ||
                !odo_uuid_valid(to->valuestring) || !(k->table = odo_wire_table(t->valuestring))) {
                rc = odo_err_set(err, ODO_EPROTO, "a re-key must be [table, from, to]");
                goto out_free;
            }
            k->from = f->valuestring;
            k->to = to->valuestring;
            out->nrekey++;
        }
    }
    return 0;
out_free:
    odo_push_ans_free(out);
    return rc;
}

/* ---- writing a push answer -------------------------------------------------------------- */

/* The parts of a push answer, in the order they are written. */
enum { PART_REVS, PART_REFUSED, PART_WINNERS, PART_REKEY, PART_DONE };

static const char *const part_names[] = {"revs", "refused", "winners", "rekey"};

/* Writes the run of revisions gathered so far: [first, count]. */
static void flush_run(struct odo_push_ans_writer *w)
{
    struct odo_buf *b = w->out.b;

    if (!w->run_count)
        return;
    odo_groups_item(&w->out);
    odo_buf_putc(b, '[');
    odo_buf_int(b, w->run_first);
    odo_buf_putc(b, ',');
    odo_buf_int(b, (int64_t)w->run_count);
    odo_buf_putc(b, ']');
    w->run_count = 0;
}

/* Closes the parts before `part` (written empty when never used) and opens it. */
static void enter(struct odo_push_ans_writer *w, int part)
{
    while (w->part < part) {
        if (w->part == PART_REVS)
            flush_run(w);
        else if (w->part == PART_WINNERS)
            odo_groups_close(&w->out);
        w->part++;
        if (w->part == PART_DONE)
            odo_buf_puts(w->out.b, "]}");
        else
            odo_buf_printf(w->out.b, "],\"%s\":[", part_names[w->part]);
        odo_groups_start(&w->out, w->out.b);
    }
}

void odo_push_ans_write_begin(struct odo_push_ans_writer *w, struct odo_buf *b, int64_t batch,
                              odo_hlc hlc)
{
    memset(w, 0, sizeof(*w));
    odo_groups_start(&w->out, b);
    w->part = PART_REVS;
    odo_buf_printf(b, "{\"v\":%d,\"batch\":", ODO_PROTOCOL_VERSION);
    odo_buf_int(b, batch);
    odo_buf_puts(b, ",\"hlc\":");
    odo_json_put_hlc(b, hlc);
    odo_buf_printf(b, ",\"%s\":[", part_names[PART_REVS]);
}

void odo_push_ans_write_rev(struct odo_push_ans_writer *w, int64_t rev)
{
    enter(w, PART_REVS);
    /* A run goes on while revisions follow each other (or, for refused rows, stay 0). */
    if (w->run_count && rev == (w->run_first ? w->run_first + (int64_t)w->run_count : 0)) {
        w->run_count++;
        return;
    }
    flush_run(w);
    w->run_first = rev;
    w->run_count = 1;
}

void odo_push_ans_write_refused(struct odo_push_ans_writer *w, size_t index, const char *reason)
{
    struct odo_buf *b = w->out.b;

    enter(w, PART_REFUSED);
    odo_groups_item(&w->out);
    odo_buf_putc(b, '[');
    odo_buf_int(b, (int64_t)index);
    odo_buf_putc(b, ',');
    odo_buf_json_str(b, reason);
    odo_buf_putc(b, ']');
}

void odo_push_ans_write_winners(struct odo_push_ans_writer *w, const struct odo_wire_table *t,
                                const int *cols, int ncols)
{
    enter(w, PART_WINNERS);
    odo_rows_put_group(&w->out, t, cols, ncols);
}

void odo_push_ans_write_winner(struct odo_push_ans_writer *w, const char *id, int64_t rev,
                               const struct odo_val *vals, int ncols)
{
    odo_rows_put_row(&w->out, id, rev, vals, ncols);
}

void odo_push_ans_write_rekey(struct odo_push_ans_writer *w, const struct odo_wire_table *t,
                              const char *from, const char *to)
{
    struct odo_buf *b = w->out.b;

    enter(w, PART_REKEY);
    odo_groups_item(&w->out);
    odo_buf_putc(b, '[');
    odo_buf_json_str(b, t->name);
    odo_buf_putc(b, ',');
    odo_buf_json_str(b, from);
    odo_buf_putc(b, ',');
    odo_buf_json_str(b, to);
    odo_buf_putc(b, ']');
}

void odo_push_ans_write_end(struct odo_push_ans_writer *w)
{
    enter(w, PART_DONE);
}
