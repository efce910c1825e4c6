/*
 * Values and row groups: checking a value against its column, decoding groups of full rows
 * (pull pages, push winners) and writing arrays of groups for every writer of messages.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "platform/text.h"
#include "platform/uuid.h"
#include "sync/protocol/internal.h"

/* ---- values ----------------------------------------------------------------------------- */

/* A decimal's shape: -?digits(.digits)? with at most scale decimals. */
static bool wire_dec_shape(const char *s, int scale)
{
    const char *p = s;
    int digits = 0, decimals = 0;

    if (*p == '-')
        p++;
    for (; isdigit((unsigned char)*p); p++)
        digits++;
    if (*p == '.') {
        p++;
        for (; isdigit((unsigned char)*p); p++)
            decimals++;
        if (decimals == 0)
            return false;
    }
    return digits > 0 && *p == '\0' && decimals <= scale && digits <= 15;
}

const char *odo_val_check(const struct odo_wire_col *c, const struct odo_val *v)
{
    int64_t d;
    int32_t day;

    if (v->kind == ODO_VAL_NULL)
        return c->nullable ? NULL : "may not be null";
    switch (c->type) {
    case ODO_W_INT:
    case ODO_W_BOOL:
        if (v->kind != ODO_VAL_INT)
            return "must be an integer";
        return v->i < c->min || v->i > c->max ? "is out of range" : NULL;
    case ODO_W_UUID:
        if (v->kind != ODO_VAL_STR || !odo_uuid_valid(v->s))
            return "must be a UUID";
        return NULL;
    case ODO_W_TIME:
        if (v->kind != ODO_VAL_INT)
            return "must be a time in milliseconds since 1970";
        return v->i < 0 || v->i > ODO_TIME_MAX_MS ? "is out of range" : NULL;
    case ODO_W_DATE:
        if (v->kind != ODO_VAL_STR || strlen(v->s) != 10 || odo_date_parse(v->s, &day, NULL) != 0)
            return "must be a date YYYY-MM-DD";
        return NULL;
    case ODO_W_DEC:
        if (v->kind != ODO_VAL_STR || !wire_dec_shape(v->s, c->scale) ||
            odo_dec_parse(v->s, c->scale, &d, "value", NULL) != 0)
            return "must be a decimal string";
        return d < c->min || d > c->max ? "is out of range" : NULL;
    case ODO_W_TEXT:
        if (v->kind != ODO_VAL_STR)
            return "must be a string";
        if ((int64_t)strlen(v->s) < c->min || (int64_t)strlen(v->s) > c->max)
            return "has the wrong length";
        return odo_text_valid(v->s) ? NULL : "is not valid UTF-8 text";
    case ODO_W_ENUM:
        if (v->kind != ODO_VAL_STR)
            return "must be a string";
        for (const char *const *a = c->allowed; *a; a++)
            if (strcmp(*a, v->s) == 0)
                return NULL;
        return "is not one of the allowed values";
    case ODO_W_CURRENCY:
        if (v->kind != ODO_VAL_STR)
            return "must be a string";
        if (strlen(v->s) != 3 || !isupper((unsigned char)v->s[0]) ||
            !isupper((unsigned char)v->s[1]) || !isupper((unsigned char)v->s[2]))
            return "must be a three-letter currency code";
        return NULL;
    }
    return "has an unknown type";
}

/*
 * The JSON kind a column's values must have: a mismatch is a type error, which fails the whole
 * request; everything else is checked by odo_val_check per row.
 */
bool odo_rows_kind_fits(const struct odo_wire_col *c, const cJSON *it)
{
    if (cJSON_IsNull(it))
        return true;
    if (c->type == ODO_W_INT || c->type == ODO_W_BOOL || c->type == ODO_W_TIME)
        return odo_json_whole(it, -ODO_JSON_WHOLE_MAX, ODO_JSON_WHOLE_MAX);
    return cJSON_IsString(it);
}

void odo_rows_to_val(const cJSON *it, struct odo_val *v)
{
    memset(v, 0, sizeof(*v));
    if (cJSON_IsNull(it)) {
        v->kind = ODO_VAL_NULL;
    } else if (cJSON_IsNumber(it)) {
        v->kind = ODO_VAL_INT;
        v->i = (int64_t)it->valuedouble;
    } else {
        v->kind = ODO_VAL_STR;
        v->s = it->valuestring;
    }
}

/* ---- row groups ------------------------------------------------------------------------- */

int odo_rows_decode_head(const cJSON *g, bool push, int schema, const struct odo_wire_table **table,
                         int *ncols, int cols[ODO_WIRE_COLS_MAX], const cJSON **rows,
                         struct odo_err *err)
{
    static const char *const keys[] = {"t", "cols", "rows", NULL};
    const cJSON *c, *names;
    const char *t;
    int rc, n = 0;

    if (!cJSON_IsObject(g))
        return odo_err_set(err, ODO_EPROTO, "a table group must be an object");
    if ((rc = odo_json_check_keys(g, keys, "a table group", err)) ||
        (rc = odo_json_str(g, "t", true, ODO_TABLE_NAME_MAX, &t, err)))
        return rc;
    *table = odo_wire_table(t);
    if (!*table)
        return odo_err_set(err, ODO_EPROTO, "unknown table '%.40s'", t);
    if (push && !(*table)->user_scoped)
        return odo_err_set(err, ODO_EPROTO, "table '%s' is reference data and cannot be pushed", t);
    names = cJSON_GetObjectItemCaseSensitive(g, "cols");
    if (!cJSON_IsArray(names))
        return odo_err_set(err, ODO_EPROTO, "'cols' must be an array of column names");
    cJSON_ArrayForEach(c, names)
    {
        int idx;
        if (!cJSON_IsString(c))
            return odo_err_set(err, ODO_EPROTO, "'cols' must be an array of column names");
        idx = odo_wire_col_index(*table, c->valuestring);
        if (idx < 0)
            return odo_err_set(err, ODO_EPROTO, "unknown column '%.40s' of table '%s'",
                               c->valuestring, t);
        /* A device writes only the columns its schema has (a newer one's are not its own). */
        if (schema && (*table)->cols[idx].since_schema > schema)
            return odo_err_set(err, ODO_EPROTO,
                               "column '%.40s' of table '%s' is schema %d; "
                               "this device is schema %d",
                               c->valuestring, t, (*table)->cols[idx].since_schema, schema);
        for (int k = 0; k < n; k++)
            if (cols[k] == idx)
                return odo_err_set(err, ODO_EPROTO, "column '%.40s' appears twice", c->valuestring);
        if (n == ODO_WIRE_COLS_MAX)
            return odo_err_set(err, ODO_EPROTO, "too many columns");
        cols[n++] = idx;
    }
    *ncols = n;
    *rows = cJSON_GetObjectItemCaseSensitive(g, "rows");
    if (!cJSON_IsArray(*rows))
        return odo_err_set(err, ODO_EPROTO, "'rows' must be an array");
    return 0;
}

int odo_rows_decode_envelope(const cJSON *r, const char *rev_name, const char **id, int64_t *rev,
                             struct odo_err *err)
{
    const cJSON *i0 = cJSON_GetArrayItem(r, 0), *i1 = cJSON_GetArrayItem(r, 1);

    if (!cJSON_IsString(i0) || !odo_uuid_valid(i0->valuestring))
        return odo_err_set(err, ODO_EPROTO, "a row id must be a UUID");
    if (!odo_json_whole(i1, 0, ODO_JSON_WHOLE_MAX))
        return odo_err_set(err, ODO_EPROTO, "%s must be a whole number", rev_name);
    *id = i0->valuestring;
    *rev = (int64_t)i1->valuedouble;
    return 0;
}

/* One full row of a group the gateway sent: [id, rev, values...], checked whole. */
static int decode_row(const cJSON *r, const struct odo_row_group *rg, struct odo_row *row,
                      struct odo_err *err)
{
    const cJSON *it;
    int rc;

    if ((rc = odo_rows_decode_envelope(r, "a revision", &row->id, &row->rev, err)))
        return rc;
    it = cJSON_GetArrayItem(r, 1);
    for (int j = 0; (it = it->next); j++) {
        const struct odo_wire_col *c = &rg->table->cols[rg->cols[j]];
        const char *why;
        if (!odo_rows_kind_fits(c, it))
            return odo_err_set(err, ODO_EPROTO, "column '%s' has the wrong type", c->name);
        odo_rows_to_val(it, &row->vals[j]);
        /* What the gateway sends has to be what the schema says, whole. */
        if ((why = odo_val_check(c, &row->vals[j])))
            return odo_err_set(err, ODO_EPROTO, "column '%s' of '%s' %s", c->name, rg->table->name,
                               why);
    }
    return 0;
}

void odo_rows_free_groups(struct odo_row_group *groups, size_t n)
{
    for (size_t g = 0; g < n; g++) {
        for (size_t i = 0; i < groups[g].nrows; i++)
            free(groups[g].rows[i].vals);
        free(groups[g].rows);
    }
    free(groups);
}

int odo_rows_decode_groups(const cJSON *arr, struct odo_row_group **out, size_t *nout,
                           struct odo_err *err)
{
    struct odo_row_group *groups;
    const cJSON *g;
    size_t n = 0;
    int rc;

    *out = NULL;
    *nout = 0;
    if (!cJSON_IsArray(arr))
        return odo_err_set(err, ODO_EPROTO, "row groups must be an array");
    if (cJSON_GetArraySize(arr) > ODO_GROUPS_MAX)
        return odo_err_set(err, ODO_ETOOBIG, "more than %d table groups", ODO_GROUPS_MAX);
    groups = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*groups));
    if (!groups)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    cJSON_ArrayForEach(g, arr)
    {
        struct odo_row_group *rg = &groups[n];
        const cJSON *rows, *r;

        if ((rc = odo_rows_decode_head(g, false, 0, &rg->table, &rg->ncols, rg->cols, &rows, err)))
            goto out_free;
        n++;
        rg->rows = calloc((size_t)cJSON_GetArraySize(rows) + 1, sizeof(*rg->rows));
        if (!rg->rows) {
            rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
            goto out_free;
        }
        cJSON_ArrayForEach(r, rows)
        {
            struct odo_row *row = &rg->rows[rg->nrows];

            if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 2 + rg->ncols) {
                rc = odo_err_set(err, ODO_EPROTO, "a row of '%s' must be [id, rev, %d values]",
                                 rg->table->name, rg->ncols);
                goto out_free;
            }
            row->vals = calloc((size_t)rg->ncols + 1, sizeof(*row->vals));
            if (!row->vals) {
                rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
                goto out_free;
            }
            rg->nrows++;
            if ((rc = decode_row(r, rg, row, err)))
                goto out_free;
        }
    }
    *out = groups;
    *nout = n;
    return 0;
out_free:
    odo_rows_free_groups(groups, n + 1);
    return rc;
}

/* ---- writing arrays of groups ----------------------------------------------------------- */

void odo_groups_start(struct odo_groups_out *o, struct odo_buf *b)
{
    o->b = b;
    o->groups = 0;
    o->items = 0;
}

void odo_groups_next(struct odo_groups_out *o)
{
    if (o->groups++)
        odo_buf_puts(o->b, "]},");
    o->items = 0;
}

void odo_groups_item(struct odo_groups_out *o)
{
    if (o->items++)
        odo_buf_putc(o->b, ',');
}

void odo_groups_close(struct odo_groups_out *o)
{
    if (o->groups)
        odo_buf_puts(o->b, "]}");
}

void odo_rows_put_group(struct odo_groups_out *o, const struct odo_wire_table *t, const int *cols,
                        int ncols)
{
    struct odo_buf *b = o->b;

    odo_groups_next(o);
    odo_buf_puts(b, "{\"t\":");
    odo_buf_json_str(b, t->name);
    odo_buf_puts(b, ",\"cols\":[");
    for (int i = 0; i < ncols; i++) {
        if (i)
            odo_buf_putc(b, ',');
        odo_buf_json_str(b, t->cols[cols[i]].name);
    }
    odo_buf_puts(b, "],\"rows\":[");
}

void odo_rows_put_row(struct odo_groups_out *o, const char *id, int64_t rev,
                      const struct odo_val *vals, int ncols)
{
    struct odo_buf *b = o->b;

    odo_groups_item(o);
    odo_buf_putc(b, '[');
    odo_buf_json_str(b, id);
    odo_buf_putc(b, ',');
    odo_buf_int(b, rev);
    for (int i = 0; i < ncols; i++) {
        odo_buf_putc(b, ',');
        odo_json_put_val(b, &vals[i]);
    }
    odo_buf_putc(b, ']');
}
