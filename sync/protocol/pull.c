/*
 * The pull (POST /v1/sync/pull) and its answers, both ways: a page of rows, the order to
 * reconcile, and a reconcile page. The device writes the request and reads the answers; the
 * gateway reads the request and writes the answers.
 */
#include <stdlib.h>
#include <string.h>

#include "platform/uuid.h"
#include "sync/protocol/internal.h"

/* ---- the request ------------------------------------------------------------------------ */

void odo_pull_free(struct odo_pull_req *r)
{
    if (!r)
        return;
    cJSON_Delete(r->doc);
    memset(r, 0, sizeof(*r));
}

int odo_pull_decode(const char *body, size_t len, struct odo_pull_req *out, struct odo_err *err)
{
    static const char *const keys[] = {"v",     "device", "schema", "token",     "since",
                                       "limit", "swept",  "acked",  "reconcile", NULL};
    const cJSON *rec;
    cJSON *doc;
    int64_t n;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = odo_json_open(body, len, ODO_SMALL_BODY_MAX, keys, "a pull", &out->doc, err)))
        goto out_free;
    doc = out->doc;
    if ((rc = odo_json_device(doc, out->device, err)) ||
        (rc = odo_json_int(doc, "schema", true, 1, 1000, &n, err)))
        goto out_free;
    out->v = ODO_PROTOCOL_VERSION; /* the only one odo_json_version lets through */
    out->schema = (int)n;
    if ((rc = odo_json_int(doc, "since", true, 0, INT64_MAX / 2, &out->since, err)))
        goto out_free;
    rc = odo_json_int(doc, "limit", false, 1, ODO_PULL_LIMIT_MAX, &n, err);
    if (rc < 0)
        goto out_free;
    out->limit = rc == 0 ? (int)n : ODO_PULL_LIMIT_DEFAULT;
    if ((rc = odo_json_str(doc, "token", false, ODO_TOKEN_MAX, &out->token, err)) < 0)
        goto out_free;
    if ((rc = odo_json_int(doc, "swept", false, 0, INT64_MAX / 2, &out->swept, err)) < 0)
        goto out_free;
    if ((rc = odo_json_int(doc, "acked", false, 0, INT64_MAX / 2, &out->acked, err)) < 0)
        goto out_free;
    rec = cJSON_GetObjectItemCaseSensitive(doc, "reconcile");
    if (rec) {
        static const char *const rkeys[] = {"after", NULL};
        if (!cJSON_IsObject(rec) || (rc = odo_json_check_keys(rec, rkeys, "'reconcile'", err))) {
            rc = odo_err_set(err, ODO_EPROTO, "field 'reconcile' must be {\"after\": key}");
            goto out_free;
        }
        if ((rc = odo_json_str(rec, "after", true, ODO_RECONCILE_KEY_MAX, &out->after, err)))
            goto out_free;
        out->reconcile = true;
    }
    return 0;
out_free:
    odo_pull_free(out);
    return rc;
}

void odo_pull_encode(struct odo_buf *b, const struct odo_pull_req *r)
{
    odo_buf_printf(b, "{\"v\":%d,\"device\":", ODO_PROTOCOL_VERSION);
    odo_buf_json_str(b, r->device);
    odo_buf_printf(b, ",\"schema\":%d,\"since\":", r->schema);
    odo_buf_int(b, r->since);
    odo_buf_printf(b, ",\"limit\":%d", r->limit);
    if (r->token) {
        odo_buf_puts(b, ",\"token\":");
        odo_buf_json_str(b, r->token);
    }
    if (r->swept) {
        odo_buf_puts(b, ",\"swept\":");
        odo_buf_int(b, r->swept);
    }
    if (r->acked) {
        odo_buf_puts(b, ",\"acked\":");
        odo_buf_int(b, r->acked);
    }
    if (r->reconcile) {
        odo_buf_puts(b, ",\"reconcile\":{\"after\":");
        odo_buf_json_str(b, r->after ? r->after : "");
        odo_buf_putc(b, '}');
    }
    odo_buf_putc(b, '}');
}

/* ---- reading an answer ------------------------------------------------------------------ */

void odo_pull_ans_free(struct odo_pull_ans *a)
{
    if (!a)
        return;
    odo_rows_free_groups(a->groups, a->ngroups);
    for (size_t i = 0; i < a->nlive; i++)
        free(a->live[i].ids);
    free(a->live);
    cJSON_Delete(a->doc);
    memset(a, 0, sizeof(*a));
}

static int decode_live(const cJSON *live, struct odo_pull_ans *out, struct odo_err *err)
{
    const cJSON *g;

    if (!cJSON_IsArray(live) || cJSON_GetArraySize(live) > ODO_GROUPS_MAX)
        return odo_err_set(err, ODO_EPROTO, "field 'live' must be an array of groups");
    out->live = calloc((size_t)cJSON_GetArraySize(live) + 1, sizeof(*out->live));
    if (!out->live)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    cJSON_ArrayForEach(g, live)
    {
        static const char *const keys[] = {"t", "ids", NULL};
        const cJSON *ids, *id;
        const char *t;
        int rc;

        if (!cJSON_IsObject(g) || (rc = odo_json_check_keys(g, keys, "a live group", err)) ||
            (rc = odo_json_str(g, "t", true, ODO_TABLE_NAME_MAX, &t, err)))
            return odo_err_set(err, ODO_EPROTO, "a live group must be {\"t\", \"ids\"}");
        out->live[out->nlive].table = odo_wire_table(t);
        ids = cJSON_GetObjectItemCaseSensitive(g, "ids");
        if (!out->live[out->nlive].table || !cJSON_IsArray(ids) ||
            cJSON_GetArraySize(ids) > ODO_PULL_LIMIT_MAX)
            return odo_err_set(err, ODO_EPROTO, "a live group must name a table and list ids");
        out->live[out->nlive].ids = calloc((size_t)cJSON_GetArraySize(ids) + 1, sizeof(char *));
        if (!out->live[out->nlive].ids)
            return odo_err_set(err, ODO_ENOMEM, "out of memory");
        out->nlive++;
        cJSON_ArrayForEach(id, ids)
        {
            if (!cJSON_IsString(id) || !odo_uuid_valid(id->valuestring))
                return odo_err_set(err, ODO_EPROTO, "a live id must be a UUID");
            out->live[out->nlive - 1].ids[out->live[out->nlive - 1].nids++] = id->valuestring;
        }
    }
    return 0;
}

int odo_pull_ans_decode(const char *body, size_t len, struct odo_pull_ans *out, struct odo_err *err)
{
    static const char *const keys[] = {
        "v", "hlc", "cursor", "more", "tables", "live", "next", "reconcile_required", NULL};
    const cJSON *tables, *live, *next;
    cJSON *doc;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = odo_json_open(body, len, ODO_ANSWER_BODY_MAX, keys, "a pull answer", &out->doc, err)))
        goto out_free;
    doc = out->doc;
    if ((rc = odo_json_hlc(doc, "hlc", true, &out->hlc, err)))
        goto out_free;
    rc = odo_json_int(doc, "reconcile_required", false, 1, INT64_MAX / 2, &out->reconcile_required,
                      err);
    if (rc < 0)
        goto out_free;
    if (rc == 0)
        return 0;
    live = cJSON_GetObjectItemCaseSensitive(doc, "live");
    if (live) {
        out->is_reconcile = true;
        if ((rc = decode_live(live, out, err)))
            goto out_free;
        next = cJSON_GetObjectItemCaseSensitive(doc, "next");
        if (next && !cJSON_IsNull(next) && !cJSON_IsString(next)) {
            rc = odo_err_set(err, ODO_EPROTO, "field 'next' must be a string or null");
            goto out_free;
        }
        out->next = cJSON_IsString(next) ? next->valuestring : NULL;
        return 0;
    }
    if ((rc = odo_json_int(doc, "cursor", true, 0, INT64_MAX / 2, &out->cursor, err)) ||
        (rc = odo_json_bool(doc, "more", &out->more, err)))
        goto out_free;
    tables = cJSON_GetObjectItemCaseSensitive(doc, "tables");
    if ((rc = odo_rows_decode_groups(tables, &out->groups, &out->ngroups, err)))
        goto out_free;
    return 0;
out_free:
    odo_pull_ans_free(out);
    return rc;
}

/* ---- writing answers -------------------------------------------------------------------- */

/* {"v": 1, "hlc": h, — how every pull answer opens. */
static void put_head(struct odo_buf *b, odo_hlc hlc)
{
    odo_buf_printf(b, "{\"v\":%d,\"hlc\":", ODO_PROTOCOL_VERSION);
    odo_json_put_hlc(b, hlc);
}

void odo_pull_page_write_begin(struct odo_pull_page_writer *w, struct odo_buf *b, odo_hlc hlc)
{
    odo_groups_start(&w->out, b);
    put_head(b, hlc);
    odo_buf_puts(b, ",\"tables\":[");
}

void odo_pull_page_write_group(struct odo_pull_page_writer *w, const struct odo_wire_table *t,
                               const int *cols, int ncols)
{
    odo_rows_put_group(&w->out, t, cols, ncols);
}

void odo_pull_page_write_row(struct odo_pull_page_writer *w, const char *id, int64_t rev,
                             const struct odo_val *vals, int ncols)
{
    odo_rows_put_row(&w->out, id, rev, vals, ncols);
}

void odo_pull_page_write_end(struct odo_pull_page_writer *w, int64_t cursor, bool more)
{
    struct odo_buf *b = w->out.b;

    odo_groups_close(&w->out);
    odo_buf_puts(b, "],\"cursor\":");
    odo_buf_int(b, cursor);
    odo_buf_puts(b, more ? ",\"more\":true}" : ",\"more\":false}");
}

void odo_reconcile_required_encode(struct odo_buf *b, odo_hlc hlc, int64_t watermark)
{
    put_head(b, hlc);
    odo_buf_puts(b, ",\"reconcile_required\":");
    odo_buf_int(b, watermark);
    odo_buf_putc(b, '}');
}

void odo_reconcile_write_begin(struct odo_reconcile_writer *w, struct odo_buf *b, odo_hlc hlc)
{
    odo_groups_start(&w->out, b);
    put_head(b, hlc);
    odo_buf_puts(b, ",\"live\":[");
}

void odo_reconcile_write_table(struct odo_reconcile_writer *w, const struct odo_wire_table *t)
{
    odo_groups_next(&w->out);
    odo_buf_puts(w->out.b, "{\"t\":");
    odo_buf_json_str(w->out.b, t->name);
    odo_buf_puts(w->out.b, ",\"ids\":[");
}

void odo_reconcile_write_id(struct odo_reconcile_writer *w, const char *id)
{
    odo_groups_item(&w->out);
    odo_buf_json_str(w->out.b, id);
}

void odo_reconcile_write_end(struct odo_reconcile_writer *w, const char *next)
{
    struct odo_buf *b = w->out.b;

    odo_groups_close(&w->out);
    odo_buf_puts(b, "],\"next\":");
    if (next)
        odo_buf_json_str(b, next);
    else
        odo_buf_puts(b, "null");
    odo_buf_putc(b, '}');
}
