/*
 * Encoding and strict decoding of the sync messages of messages.h.
 */
#include "sync/protocol/messages.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "platform/text.h"
#include "platform/uuid.h"

/* ---- errors ----------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int http, coap;
} pe_table[] = {
    [ODO_PE_BAD_REQUEST] = {"bad_request", 400, 400},
    [ODO_PE_UNAUTHORIZED] = {"unauthorized", 401, 401},
    [ODO_PE_FORBIDDEN] = {"forbidden", 403, 403},
    [ODO_PE_NOT_FOUND] = {"not_found", 404, 404},
    [ODO_PE_METHOD] = {"method_not_allowed", 405, 405},
    [ODO_PE_CONFLICT] = {"stale_batch", 409, 409},
    [ODO_PE_TOO_LARGE] = {"too_large", 413, 413},
    [ODO_PE_MEDIA] = {"unsupported_media_type", 415, 415},
    [ODO_PE_UPGRADE] = {"upgrade_required", 426, 412},
    [ODO_PE_THROTTLED] = {"too_many_requests", 429, 429},
    [ODO_PE_INTERNAL] = {"internal", 500, 500},
    [ODO_PE_UNAVAILABLE] = {"unavailable", 503, 503},
};

const char *odo_pe_name(enum odo_pe e)
{
    return pe_table[e].name;
}

int odo_pe_http(enum odo_pe e)
{
    return pe_table[e].http;
}

int odo_pe_coap(enum odo_pe e)
{
    return pe_table[e].coap;
}

enum odo_pe odo_pe_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(pe_table) / sizeof(pe_table[0]); i++)
        if (name && strcmp(name, pe_table[i].name) == 0)
            return (enum odo_pe)i;
    return ODO_PE_INTERNAL;
}

void odo_error_encode(struct odo_buf *b, enum odo_pe e, const char *message)
{
    odo_buf_puts(b, "{\"error\":");
    odo_buf_json_str(b, odo_pe_name(e));
    odo_buf_puts(b, ",\"message\":");
    odo_buf_json_str(b, message ? message : "");
    odo_buf_putc(b, '}');
}

/* ---- decoding helpers ------------------------------------------------------------------- */

#define WHOLE_MAX 9007199254740992.0 /* 2^53: integers JSON numbers hold exactly */

/* True when it is a JSON number holding a whole number in [min, max] (checked before any
 * conversion, which would be undefined out of range). */
static bool whole(const cJSON *it, double min, double max)
{
    return cJSON_IsNumber(it) && it->valuedouble == floor(it->valuedouble) &&
           it->valuedouble >= min && it->valuedouble <= max;
}

/* Parses body; refuses what is not one JSON object. */
static cJSON *parse(const char *body, size_t len, size_t max, struct odo_err *err)
{
    cJSON *doc;

    if (len > max) {
        odo_err_set(err, ODO_ETOOBIG, "the body is %zu bytes; the limit is %zu", len, max);
        return NULL;
    }
    const char *end = NULL;
    doc = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    /* Nothing but white space may follow the document. */
    while (doc && end && end < body + len && isspace((unsigned char)*end))
        end++;
    if (!doc || (end && end != body + len)) {
        cJSON_Delete(doc);
        odo_err_set(err, ODO_EPROTO, "the body is not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        odo_err_set(err, ODO_EPROTO, "the body must be a JSON object");
        return NULL;
    }
    return doc;
}

/* Refuses keys outside `allowed` and any key given twice. */
static int check_keys(const cJSON *o, const char *const *allowed, const char *where,
                      struct odo_err *err)
{
    for (const cJSON *k = o->child; k; k = k->next) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(k->string, *a) == 0;
        if (!ok)
            return odo_err_set(err, ODO_EPROTO, "unknown field '%.40s' in %s", k->string, where);
        for (const cJSON *j = k->next; j; j = j->next)
            if (strcmp(j->string, k->string) == 0)
                return odo_err_set(err, ODO_EPROTO, "field '%.40s' appears twice in %s", k->string,
                                   where);
    }
    return 0;
}

static int get_int(const cJSON *o, const char *key, bool required, int64_t min, int64_t max,
                   int64_t *out, struct odo_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!it) {
        if (required)
            return odo_err_set(err, ODO_EPROTO, "field '%s' is missing", key);
        return 1;
    }
    if (!whole(it, -WHOLE_MAX, WHOLE_MAX))
        return odo_err_set(err, ODO_EPROTO, "field '%s' must be an integer", key);
    if ((int64_t)it->valuedouble < min || (int64_t)it->valuedouble > max)
        return odo_err_set(err, ODO_EPROTO, "field '%s' is out of range", key);
    *out = (int64_t)it->valuedouble;
    return 0;
}

static int get_str(const cJSON *o, const char *key, bool required, size_t max, const char **out,
                   struct odo_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!it) {
        if (required)
            return odo_err_set(err, ODO_EPROTO, "field '%s' is missing", key);
        *out = NULL;
        return 1;
    }
    if (!cJSON_IsString(it))
        return odo_err_set(err, ODO_EPROTO, "field '%s' must be a string", key);
    if (strlen(it->valuestring) > max)
        return odo_err_set(err, ODO_ETOOBIG, "field '%s' is longer than %zu bytes", key, max);
    *out = it->valuestring;
    return 0;
}

static int get_bool(const cJSON *o, const char *key, bool *out, struct odo_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!it) {
        *out = false;
        return 0;
    }
    if (!cJSON_IsBool(it))
        return odo_err_set(err, ODO_EPROTO, "field '%s' must be true or false", key);
    *out = cJSON_IsTrue(it);
    return 0;
}

static int get_hlc(const cJSON *o, const char *key, bool required, odo_hlc *out,
                   struct odo_err *err)
{
    const char *s;
    int rc = get_str(o, key, required, 16, &s, err);

    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (odo_hlc_parse(s, out) != 0)
        return odo_err_set(err, ODO_EPROTO, "field '%s' is not an HLC (16 hex digits)", key);
    return 0;
}

static int get_version(const cJSON *o, struct odo_err *err)
{
    int64_t v;
    int rc = get_int(o, "v", true, 0, 1000, &v, err);
    if (rc != 0)
        return rc;
    if (v != ODO_PROTOCOL_VERSION)
        return odo_err_set(err, ODO_EPROTO, "protocol version %lld is not served; this is %d",
                           (long long)v, ODO_PROTOCOL_VERSION);
    return 0;
}

static int get_device(const cJSON *o, char out[ODO_UUID_TEXT_LEN + 1], struct odo_err *err)
{
    const char *s;
    int rc = get_str(o, "device", true, ODO_UUID_TEXT_LEN, &s, err);
    if (rc != 0)
        return rc;
    if (!odo_uuid_valid(s))
        return odo_err_set(err, ODO_EPROTO, "field 'device' is not a UUID");
    for (int i = 0; i < ODO_UUID_TEXT_LEN; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[ODO_UUID_TEXT_LEN] = '\0';
    return 0;
}

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
static bool kind_fits(const struct odo_wire_col *c, const cJSON *it)
{
    if (cJSON_IsNull(it))
        return true;
    if (c->type == ODO_W_INT || c->type == ODO_W_BOOL || c->type == ODO_W_TIME)
        return whole(it, -WHOLE_MAX, WHOLE_MAX);
    return cJSON_IsString(it);
}

static void to_val(const cJSON *it, struct odo_val *v)
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

/* Reads a group's "t" and "cols": the table and its column indexes. */
static int decode_group_head(const cJSON *g, bool push, int schema,
                             const struct odo_wire_table **table, int *ncols,
                             int cols[ODO_WIRE_COLS_MAX], struct odo_err *err)
{
    static const char *const keys[] = {"t", "cols", "rows", NULL};
    const cJSON *c, *names;
    const char *t;
    int rc, n = 0;

    if (!cJSON_IsObject(g))
        return odo_err_set(err, ODO_EPROTO, "a table group must be an object");
    if ((rc = check_keys(g, keys, "a table group", err)) ||
        (rc = get_str(g, "t", true, 40, &t, err)))
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
    return 0;
}

/* A group's "rows": an array, or NULL with err set. */
static const cJSON *group_rows(const cJSON *g, struct odo_err *err)
{
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(g, "rows");

    if (!cJSON_IsArray(rows)) {
        odo_err_set(err, ODO_EPROTO, "'rows' must be an array");
        return NULL;
    }
    return rows;
}

/* ---- push request ----------------------------------------------------------------------- */

static int decode_push_row(const cJSON *r, const struct odo_push_group *g, struct odo_push_row *row,
                           struct odo_err *err)
{
    const cJSON *it;
    int i = 0;

    if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 3 + g->ncols)
        return odo_err_set(err, ODO_EPROTO,
                           "a pushed row of '%s' must be [id, base_rev, hlc, %d values]",
                           g->table->name, g->ncols);
    cJSON_ArrayForEach(it, r)
    {
        if (i == 0) {
            if (!cJSON_IsString(it) || !odo_uuid_valid(it->valuestring))
                return odo_err_set(err, ODO_EPROTO, "a row id must be a UUID");
            row->id = it->valuestring;
        } else if (i == 1) {
            if (!whole(it, 0, WHOLE_MAX))
                return odo_err_set(err, ODO_EPROTO, "a base revision must be a whole number");
            row->base_rev = (int64_t)it->valuedouble;
        } else if (i == 2) {
            if (!cJSON_IsString(it) || odo_hlc_parse(it->valuestring, &row->hlc) != 0)
                return odo_err_set(err, ODO_EPROTO, "a row HLC must be 16 hex digits");
        } else {
            const struct odo_wire_col *c = &g->table->cols[g->cols[i - 3]];
            const cJSON *v = it;
            odo_hlc own = 0;
            if (cJSON_IsObject(it)) {
                static const char *const keys[] = {"h", "v", NULL};
                const cJSON *h = cJSON_GetObjectItemCaseSensitive(it, "h");
                if (check_keys(it, keys, "a value", err) != 0)
                    return ODO_EPROTO;
                v = cJSON_GetObjectItemCaseSensitive(it, "v");
                if (!v || !cJSON_IsString(h) || odo_hlc_parse(h->valuestring, &own) != 0)
                    return odo_err_set(
                        err, ODO_EPROTO,
                        "a value with its own HLC must be {\"h\": hlc, \"v\": value}");
            }
            if (!kind_fits(c, v))
                return odo_err_set(err, ODO_EPROTO, "column '%s' of '%s' has the wrong type",
                                   c->name, g->table->name);
            to_val(v, &row->vals[i - 3]);
            row->vals[i - 3].hlc = own;
            if (!row->refused[0]) {
                /* Well-formed but outside the column's domain: this change alone is refused. */
                const char *why = odo_val_check(c, &row->vals[i - 3]);
                if (why)
                    snprintf(row->refused, sizeof(row->refused), "%s %s", c->name, why);
            }
        }
        i++;
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
    doc = parse(body, len, ODO_PUSH_BODY_MAX, err);
    if (!doc)
        return err ? err->code : ODO_EPROTO;
    out->doc = doc;
    if ((rc = check_keys(doc, keys, "a push", err)) || (rc = get_version(doc, err)) ||
        (rc = get_device(doc, out->device, err)) ||
        (rc = get_int(doc, "batch", true, 1, INT64_MAX / 2, &out->batch, err)) ||
        (rc = get_int(doc, "schema", true, 1, 1000, &n, err)) ||
        (rc = get_hlc(doc, "hlc", true, &out->hlc, err)))
        goto out_free;
    out->schema = (int)n;
    if ((rc = get_str(doc, "token", false, ODO_TOKEN_MAX, &out->token, err)) < 0)
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

        if ((rc = decode_group_head(g, true, out->schema, &pg->table, &pg->ncols, pg->cols, err)))
            goto out_free;
        out->ngroups++;
        if (!(rows = group_rows(g, err))) {
            rc = ODO_EPROTO;
            goto out_free;
        }
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

/* ---- writing rows ----------------------------------------------------------------------- */

static void write_val(struct odo_buf *b, const struct odo_val *v)
{
    switch (v->kind) {
    case ODO_VAL_NULL:
        odo_buf_puts(b, "null");
        break;
    case ODO_VAL_INT:
        odo_buf_int(b, v->i);
        break;
    case ODO_VAL_STR:
        odo_buf_json_str(b, v->s);
        break;
    }
}

static void write_hlc(struct odo_buf *b, odo_hlc h)
{
    char t[ODO_HLC_TEXT_LEN + 1];
    odo_hlc_format(h, t);
    odo_buf_putc(b, '"');
    odo_buf_append(b, t, ODO_HLC_TEXT_LEN);
    odo_buf_putc(b, '"');
}

static void write_group_head(struct odo_buf *b, const struct odo_wire_table *t, const int *cols,
                             int ncols)
{
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

void odo_push_write_begin(struct odo_push_writer *w, struct odo_buf *b, const char *device,
                          int64_t batch, int schema, const char *token, odo_hlc hlc)
{
    w->b = b;
    w->groups = 0;
    w->rows_in_group = 0;
    odo_buf_printf(b, "{\"v\":%d,\"device\":", ODO_PROTOCOL_VERSION);
    odo_buf_json_str(b, device);
    odo_buf_puts(b, ",\"batch\":");
    odo_buf_int(b, batch);
    odo_buf_printf(b, ",\"schema\":%d,\"hlc\":", schema);
    write_hlc(b, hlc);
    if (token) {
        odo_buf_puts(b, ",\"token\":");
        odo_buf_json_str(b, token);
    }
    odo_buf_puts(b, ",\"tables\":[");
}

void odo_push_write_group(struct odo_push_writer *w, const struct odo_wire_table *t,
                          const int *cols, int ncols)
{
    if (w->groups++)
        odo_buf_puts(w->b, "]},");
    write_group_head(w->b, t, cols, ncols);
    w->rows_in_group = 0;
}

void odo_push_write_row(struct odo_push_writer *w, const char *id, int64_t base_rev, odo_hlc hlc,
                        const struct odo_val *vals, int ncols)
{
    struct odo_buf *b = w->b;

    if (w->rows_in_group++)
        odo_buf_putc(b, ',');
    odo_buf_putc(b, '[');
    odo_buf_json_str(b, id);
    odo_buf_putc(b, ',');
    odo_buf_int(b, base_rev);
    odo_buf_putc(b, ',');
    write_hlc(b, hlc);
    for (int i = 0; i < ncols; i++) {
        odo_buf_putc(b, ',');
        if (vals[i].hlc && vals[i].hlc != hlc) {
            odo_buf_puts(b, "{\"h\":");
            write_hlc(b, vals[i].hlc);
            odo_buf_puts(b, ",\"v\":");
            write_val(b, &vals[i]);
            odo_buf_putc(b, '}');
        } else {
            write_val(b, &vals[i]);
        }
    }
    odo_buf_putc(b, ']');
}

void odo_push_write_end(struct odo_push_writer *w)
{
    odo_buf_puts(w->b, w->groups ? "]}]}" : "]}");
}

void odo_rows_write_group(struct odo_buf *b, bool first, const struct odo_wire_table *t,
                          const int *cols, int ncols)
{
    if (!first)
        odo_buf_puts(b, "]},");
    write_group_head(b, t, cols, ncols);
}

void odo_rows_write_row(struct odo_buf *b, bool first, const char *id, int64_t rev,
                        const struct odo_val *vals, int ncols)
{
    if (!first)
        odo_buf_putc(b, ',');
    odo_buf_putc(b, '[');
    odo_buf_json_str(b, id);
    odo_buf_putc(b, ',');
    odo_buf_int(b, rev);
    for (int i = 0; i < ncols; i++) {
        odo_buf_putc(b, ',');
        write_val(b, &vals[i]);
    }
    odo_buf_putc(b, ']');
}

void odo_rows_write_end(struct odo_buf *b)
{
    odo_buf_puts(b, "]}");
}

/* ---- decoding row groups (answers) ------------------------------------------------------ */

/* One full row of a group the gateway sent: [id, rev, values...], checked whole. */
static int decode_row(const cJSON *r, const struct odo_row_group *rg, struct odo_row *row,
                      struct odo_err *err)
{
    const cJSON *it;
    int i = 0;

    cJSON_ArrayForEach(it, r)
    {
        if (i == 0) {
            if (!cJSON_IsString(it) || !odo_uuid_valid(it->valuestring))
                return odo_err_set(err, ODO_EPROTO, "a row id must be a UUID");
            row->id = it->valuestring;
        } else if (i == 1) {
            if (!whole(it, 0, WHOLE_MAX))
                return odo_err_set(err, ODO_EPROTO, "a revision must be a whole number");
            row->rev = (int64_t)it->valuedouble;
        } else {
            const struct odo_wire_col *c = &rg->table->cols[rg->cols[i - 2]];
            const char *why;
            if (!kind_fits(c, it))
                return odo_err_set(err, ODO_EPROTO, "column '%s' has the wrong type", c->name);
            to_val(it, &row->vals[i - 2]);
            /* What the gateway sends has to be what the schema says, whole. */
            if ((why = odo_val_check(c, &row->vals[i - 2])))
                return odo_err_set(err, ODO_EPROTO, "column '%s' of '%s' %s", c->name,
                                   rg->table->name, why);
        }
        i++;
    }
    return 0;
}

static void free_groups(struct odo_row_group *groups, size_t n)
{
    for (size_t g = 0; g < n; g++) {
        for (size_t i = 0; i < groups[g].nrows; i++)
            free(groups[g].rows[i].vals);
        free(groups[g].rows);
    }
    free(groups);
}

/* Decodes an array of row groups (full rows: [id, rev, values...]). */
static int decode_row_groups(const cJSON *arr, struct odo_row_group **out, size_t *nout,
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

        if ((rc = decode_group_head(g, false, 0, &rg->table, &rg->ncols, rg->cols, err)))
            goto out_free;
        n++;
        if (!(rows = group_rows(g, err))) {
            rc = ODO_EPROTO;
            goto out_free;
        }
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
    free_groups(groups, n + 1);
    return rc;
}

/* ---- push answer ------------------------------------------------------------------------ */

void odo_push_ans_free(struct odo_push_ans *a)
{
    if (!a)
        return;
    free(a->results);
    free_groups(a->winners, a->nwinners);
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
    doc = parse(body, len, ODO_ANSWER_BODY_MAX, err);
    if (!doc)
        return err ? err->code : ODO_EPROTO;
    out->doc = doc;
    if ((rc = check_keys(doc, keys, "a push answer", err)) || (rc = get_version(doc, err)) ||
        (rc = get_int(doc, "batch", true, 1, INT64_MAX / 2, &out->batch, err)) ||
        (rc = get_hlc(doc, "hlc", true, &out->hlc, err)))
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
        if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 || !whole(f, 0, WHOLE_MAX) ||
            !whole(c, 1, (double)(ODO_PUSH_ROWS_MAX - out->nresults))) {
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
                !whole(i0, 0, (double)out->nresults - 1) || !cJSON_IsString(r1)) {
                rc = odo_err_set(err, ODO_EPROTO, "a refusal must be [index, reason]");
                goto out_free;
            }
            out->results[(size_t)i0->valuedouble].rev = 0;
            out->results[(size_t)i0->valuedouble].refused = r1->valuestring;
        }
    }
    winners = cJSON_GetObjectItemCaseSensitive(doc, "winners");
    if (winners && (rc = decode_row_groups(winners, &out->winners, &out->nwinners, err)))
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

/* ---- pull ------------------------------------------------------------------------------- */

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
    doc = parse(body, len, ODO_SMALL_BODY_MAX, err);
    if (!doc)
        return err ? err->code : ODO_EPROTO;
    out->doc = doc;
    if ((rc = check_keys(doc, keys, "a pull", err)) || (rc = get_version(doc, err)) ||
        (rc = get_device(doc, out->device, err)) ||
        (rc = get_int(doc, "schema", true, 1, 1000, &n, err)))
        goto out_free;
    out->schema = (int)n;
    if ((rc = get_int(doc, "since", true, 0, INT64_MAX / 2, &out->since, err)))
        goto out_free;
    rc = get_int(doc, "limit", false, 1, ODO_PULL_LIMIT_MAX, &n, err);
    if (rc < 0)
        goto out_free;
    out->limit = rc == 0 ? (int)n : ODO_PULL_LIMIT_DEFAULT;
    if ((rc = get_str(doc, "token", false, ODO_TOKEN_MAX, &out->token, err)) < 0)
        goto out_free;
    if ((rc = get_int(doc, "swept", false, 0, INT64_MAX / 2, &out->swept, err)) < 0)
        goto out_free;
    if ((rc = get_int(doc, "acked", false, 0, INT64_MAX / 2, &out->acked, err)) < 0)
        goto out_free;
    rec = cJSON_GetObjectItemCaseSensitive(doc, "reconcile");
    if (rec) {
        static const char *const rkeys[] = {"after", NULL};
        if (!cJSON_IsObject(rec) || (rc = check_keys(rec, rkeys, "'reconcile'", err))) {
            rc = odo_err_set(err, ODO_EPROTO, "field 'reconcile' must be {\"after\": key}");
            goto out_free;
        }
        if ((rc = get_str(rec, "after", true, 80, &out->after, err)))
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

void odo_pull_ans_free(struct odo_pull_ans *a)
{
    if (!a)
        return;
    free_groups(a->groups, a->ngroups);
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

        if (!cJSON_IsObject(g) || (rc = check_keys(g, keys, "a live group", err)) ||
            (rc = get_str(g, "t", true, 40, &t, err)))
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
    doc = parse(body, len, ODO_ANSWER_BODY_MAX, err);
    if (!doc)
        return err ? err->code : ODO_EPROTO;
    out->doc = doc;
    if ((rc = check_keys(doc, keys, "a pull answer", err)) || (rc = get_version(doc, err)) ||
        (rc = get_hlc(doc, "hlc", true, &out->hlc, err)))
        goto out_free;
    rc = get_int(doc, "reconcile_required", false, 1, INT64_MAX / 2, &out->reconcile_required, err);
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
    if ((rc = get_int(doc, "cursor", true, 0, INT64_MAX / 2, &out->cursor, err)) ||
        (rc = get_bool(doc, "more", &out->more, err)))
        goto out_free;
    tables = cJSON_GetObjectItemCaseSensitive(doc, "tables");
    if ((rc = decode_row_groups(tables, &out->groups, &out->ngroups, err)))
        goto out_free;
    return 0;
out_free:
    odo_pull_ans_free(out);
    return rc;
}

int odo_error_decode(const char *body, size_t len, enum odo_pe *e, char *msg, size_t cap)
{
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const cJSON *name, *m;

    if (!doc)
        return -1;
    name = cJSON_GetObjectItemCaseSensitive(doc, "error");
    m = cJSON_GetObjectItemCaseSensitive(doc, "message");
    if (!cJSON_IsString(name)) {
        cJSON_Delete(doc);
        return -1;
    }
    *e = odo_pe_parse(name->valuestring);
    snprintf(msg, cap, "%s", cJSON_IsString(m) ? m->valuestring : name->valuestring);
    cJSON_Delete(doc);
    return 0;
}

/* ---- VIN decode --------------------------------------------------------------------------- */

void odo_vin_req_free(struct odo_vin_req *r)
{
    if (!r)
        return;
    cJSON_Delete(r->doc);
    memset(r, 0, sizeof(*r));
}

int odo_vin_req_decode(const char *body, size_t len, struct odo_vin_req *out, struct odo_err *err)
{
    static const char *const keys[] = {"v", "device", "token", NULL};
    cJSON *doc;
    int rc;

    memset(out, 0, sizeof(*out));
    doc = parse(body, len, ODO_SMALL_BODY_MAX, err);
    if (!doc)
        return err ? err->code : ODO_EPROTO;
    out->doc = doc;
    if ((rc = check_keys(doc, keys, "a VIN request", err)) || (rc = get_version(doc, err)) ||
        (rc = get_device(doc, out->device, err)))
        goto out_free;
    if ((rc = get_str(doc, "token", false, ODO_TOKEN_MAX, &out->token, err)) < 0)
        goto out_free;
    return 0;
out_free:
    odo_vin_req_free(out);
    return rc;
}

void odo_vin_req_encode(struct odo_buf *b, const char *device, const char *token)
{
    odo_buf_printf(b, "{\"v\":%d,\"device\":", ODO_PROTOCOL_VERSION);
    odo_buf_json_str(b, device);
    if (token) {
        odo_buf_puts(b, ",\"token\":");
        odo_buf_json_str(b, token);
    }
    odo_buf_putc(b, '}');
}

void odo_vin_answer_encode(struct odo_buf *b, const struct odo_vin_answer *a)
{
    odo_buf_printf(b, "{\"v\":%d,\"vin\":", ODO_PROTOCOL_VERSION);
    odo_buf_json_str(b, a->vin);
    odo_buf_puts(b, ",\"source\":");
    odo_buf_json_str(b, a->source);
    if (a->model_year)
        odo_buf_printf(b, ",\"model_year\":%d", a->model_year);
    else
        odo_buf_puts(b, ",\"model_year\":null");
    odo_buf_puts(b, ",\"fields\":{");
    for (size_t i = 0, first = 1; i < a->nfields; i++) {
        if (!a->values[i] || !a->values[i][0])
            continue; /* unknown: left out */
        if (!first)
            odo_buf_putc(b, ',');
        first = 0;
        odo_buf_json_str(b, a->names[i]);
        odo_buf_putc(b, ':');
        odo_buf_json_str(b, a->values[i]);
    }
    odo_buf_puts(b, "},\"errors\":[");
    for (size_t i = 0; i < a->nerrors; i++)
        odo_buf_printf(b, "%s%d", i ? "," : "", a->errors[i]);
    odo_buf_puts(b, "],\"error_text\":");
    odo_buf_json_str(b, a->error_text ? a->error_text : "");
    odo_buf_putc(b, '}');
}

void odo_vin_answer_free(struct odo_vin_answer *a)
{
    if (!a)
        return;
    cJSON_Delete(a->doc);
    memset(a, 0, sizeof(*a));
}

int odo_vin_answer_decode(const char *body, size_t len, struct odo_vin_answer *out,
                          struct odo_err *err)
{
    static const char *const keys[] = {"v",      "vin",    "source",     "model_year",
                                       "fields", "errors", "error_text", NULL};
    const cJSON *it, *fields, *errors, *my;
    const char *s;
    cJSON *doc;
    int rc;

    memset(out, 0, sizeof(*out));
    doc = parse(body, len, ODO_SMALL_BODY_MAX, err);
    if (!doc)
        return err ? err->code : ODO_EPROTO;
    out->doc = doc;
    if ((rc = check_keys(doc, keys, "a VIN answer", err)) || (rc = get_version(doc, err)))
        goto out_free;
    if ((rc = get_str(doc, "vin", true, 17, &s, err)))
        goto out_free;
    if (strlen(s) != 17) {
        rc = odo_err_set(err, ODO_EPROTO, "field 'vin' must have 17 characters");
        goto out_free;
    }
    memcpy(out->vin, s, 18);
    if ((rc = get_str(doc, "source", true, sizeof(out->source) - 1, &s, err)))
        goto out_free;
    snprintf(out->source, sizeof(out->source), "%s", s);
    my = cJSON_GetObjectItemCaseSensitive(doc, "model_year");
    if (my && !cJSON_IsNull(my)) {
        if (!whole(my, 1900, 2100)) {
            rc = odo_err_set(err, ODO_EPROTO, "field 'model_year' must be a year or null");
            goto out_free;
        }
        out->model_year = (int)my->valuedouble;
    }
    fields = cJSON_GetObjectItemCaseSensitive(doc, "fields");
    if (!cJSON_IsObject(fields)) {
        rc = odo_err_set(err, ODO_EPROTO, "field 'fields' must be an object");
        goto out_free;
    }
    cJSON_ArrayForEach(it, fields)
    {
        if (!cJSON_IsString(it) || strlen(it->valuestring) > ODO_VIN_VALUE_MAX ||
            !odo_text_valid(it->valuestring)) {
            rc = odo_err_set(err, ODO_EPROTO, "decoded value '%.40s' must be a short text",
                             it->string);
            goto out_free;
        }
        if (out->nfields == ODO_VIN_FIELDS_MAX) {
            rc = odo_err_set(err, ODO_ETOOBIG, "more than %d decoded values", ODO_VIN_FIELDS_MAX);
            goto out_free;
        }
        out->names[out->nfields] = it->string;
        out->values[out->nfields++] = it->valuestring;
    }
    errors = cJSON_GetObjectItemCaseSensitive(doc, "errors");
    if (!cJSON_IsArray(errors) || cJSON_GetArraySize(errors) > 8) {
        rc = odo_err_set(err, ODO_EPROTO, "field 'errors' must be an array of codes");
        goto out_free;
    }
    cJSON_ArrayForEach(it, errors)
    {
        if (!whole(it, 0, 9999)) {
            rc = odo_err_set(err, ODO_EPROTO, "an error code must be a number");
            goto out_free;
        }
        out->errors[out->nerrors++] = (int)it->valuedouble;
    }
    if ((rc = get_str(doc, "error_text", false, 320, &out->error_text, err)) < 0)
        goto out_free;
    return 0;
out_free:
    odo_vin_answer_free(out);
    return rc;
}
