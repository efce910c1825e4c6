/*
 * Building a push batch (engine_impl.h): the user's oldest pending changes, grouped by table and
 * column set, their values read from the rows as they are now and converted to the wire's
 * form, written as one batch and sealed in the store before anything is sent.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "platform/text.h"
#include "storage/replica.h"
#include "sync/client/engine_impl.h"
#include "sync/protocol/messages.h"

#define MAX_GROUPS 32

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

/*
 * A merge group travels whole (sync/protocol/schema.h): when any of its columns changed, all of
 * them go, read from the row at push time, at the latest HLC any of them changed at, so the
 * gateway takes the group from one writer or keeps its own.
 */
static int send_groups_whole(struct entry *e, int schema, struct odo_err *err)
{
    const struct odo_wire_table *t = e->table;
    int rc = 0;

    for (size_t c = 0; c < t->ncols; c++) {
        int m = t->cols[c].merge_group;
        odo_hlc latest = 0;
        if (m == ODO_MERGE_ALONE || !(e->mask >> c & 1))
            continue;
        for (size_t k = 0; k < t->ncols; k++)
            if (t->cols[k].merge_group == m && (e->mask >> k & 1) && col_hlc(e, (int)k) > latest)
                latest = col_hlc(e, (int)k);
        for (size_t k = 0; k < t->ncols; k++)
            if (t->cols[k].merge_group == m && t->cols[k].since_schema <= schema) {
                e->mask |= 1ULL << k;
                rc |= set_col_hlc(e, k, latest);
            }
    }
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
    if ((b->rc = parse_cols(p->cols, e, ODO_SCHEMA_CURRENT, b->err)) ||
        (b->rc = send_groups_whole(e, ODO_SCHEMA_CURRENT, b->err)))
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

int odo_sync_build_batch(struct odo_store *s, const char *user, const struct odo_sync_options *opt,
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
