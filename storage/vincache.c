/*
 * vin_cache: the decode's text fields, model year and error codes as one JSON object, built
 * and read by SQLite's JSON functions.
 */
#include "storage/vincache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/internal.h"

#define SQL_MAX 4096

/* The statements, built once from the field table (their text is the cache key). */
static void put_sql(char *sql, size_t cap)
{
    size_t n, count;
    const struct odo_vin_field *f = odo_vin_fields(&count);

    n = (size_t)snprintf(sql, cap,
                         "INSERT INTO vin_cache (vin, source, fetched_at, expires_at, payload) "
                         "VALUES (?1, ?2, ?3, strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', ?3, "
                         "'+%d days'), json_object('model_year', ?4, 'errors', json(?5), "
                         "'error_text', ?6",
                         ODO_VIN_CACHE_TTL_DAYS);
    for (size_t i = 0; i < count; i++)
        n += (size_t)snprintf(sql + n, cap - n, ", '%s', ?%zu", f[i].name, i + 7);
    snprintf(sql + n, cap - n,
             ")) ON CONFLICT (vin) DO UPDATE SET source = excluded.source, fetched_at = "
             "excluded.fetched_at, expires_at = excluded.expires_at, payload = excluded.payload");
}

static void get_sql(char *sql, size_t cap)
{
    size_t n, count;
    const struct odo_vin_field *f = odo_vin_fields(&count);

    n = (size_t)snprintf(sql, cap,
                         "SELECT source, fetched_at, json_extract(payload, '$.model_year'), "
                         "json_extract(payload, '$.errors'), json_extract(payload, "
                         "'$.error_text')");
    for (size_t i = 0; i < count; i++)
        n += (size_t)snprintf(sql + n, cap - n, ", json_extract(payload, '$.%s')", f[i].name);
    snprintf(sql + n, cap - n, " FROM vin_cache WHERE vin = ?1 AND expires_at > ?2");
}

/* A cached decode as odo_vin_cache_get reads it. */
struct cached {
    struct odo_vin_decoded *out;
    const char *vin;
    char *fetched_at; /* may be NULL */
};

static void read_cached(sqlite3_stmt *st, void *ctx)
{
    const struct cached *c = ctx;
    struct odo_vin_decoded *out = c->out;
    size_t count;
    const struct odo_vin_field *f = odo_vin_fields(&count);
    char errors[64];

    memset(out, 0, sizeof(*out));
    snprintf(out->vin, sizeof(out->vin), "%s", c->vin);
    odo_column_text(st, 0, out->source, sizeof(out->source));
    if (c->fetched_at)
        odo_column_text(st, 1, c->fetched_at, ODO_TIME_TEXT_LEN + 1);
    out->model_year = (int)odo_column_int(st, 2, 0);
    odo_column_text(st, 3, errors, sizeof(errors));
    for (char *p = errors, *end; *p && out->nerrors < ODO_VPIC_ERRORS_MAX; p = end) {
        long code;
        while (*p && (*p < '0' || *p > '9'))
            p++;
        if (!*p)
            break;
        code = strtol(p, &end, 10);
        out->errors[out->nerrors++] = (int)code;
    }
    odo_column_text(st, 4, out->error_text, sizeof(out->error_text));
    for (size_t i = 0; i < count; i++)
        odo_column_text(st, (int)i + 5, (char *)out + f[i].offset, f[i].size);
}

int odo_vin_cache_get(struct odo_store *s, const char *vin, struct odo_vin_decoded *out,
                      bool *found, char *fetched_at, struct odo_err *err)
{
    char sql[SQL_MAX], now[ODO_TIME_TEXT_LEN + 1];
    struct cached c = {out, vin, fetched_at};
    sqlite3_stmt *st;

    *found = false;
    get_sql(sql, sizeof(sql));
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    sqlite3_bind_text(st, 1, vin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    return odo_store_row(s, st, read_cached, &c, found, "reading vin_cache", err);
}

int odo_vin_cache_put(struct odo_store *s, const struct odo_vin_decoded *d, struct odo_err *err)
{
    char sql[SQL_MAX], now[ODO_TIME_TEXT_LEN + 1], errors[64];
    size_t count, n = 0;
    const struct odo_vin_field *f = odo_vin_fields(&count);
    sqlite3_stmt *st;

    if (strcmp(d->source, "vpic") != 0 && strcmp(d->source, "gateway") != 0)
        return 0;
    put_sql(sql, sizeof(sql));
    if (!(st = odo_store_stmt_text(s, sql, err)))
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    n += (size_t)snprintf(errors, sizeof(errors), "[");
    for (int i = 0; i < d->nerrors; i++)
        n += (size_t)snprintf(errors + n, sizeof(errors) - n, "%s%d", i ? "," : "", d->errors[i]);
    snprintf(errors + n, sizeof(errors) - n, "]");
    sqlite3_bind_text(st, 1, d->vin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    odo_bind_int(st, 4, d->model_year, d->model_year != 0);
    sqlite3_bind_text(st, 5, errors, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, d->error_text, -1, SQLITE_STATIC);
    for (size_t i = 0; i < count; i++)
        sqlite3_bind_text(st, (int)i + 7, (const char *)d + f[i].offset, -1, SQLITE_STATIC);
    return odo_store_step_done(s, st, err, "caching a VIN decode");
}

static const char SQL_CLEAR_SOURCE[] =
    "DELETE FROM vin_cache WHERE source = ?1 OR expires_at <= ?2";
static const char SQL_CLEAR_ALL[] = "DELETE FROM vin_cache";

int odo_vin_cache_clear(struct odo_store *s, const char *source, int *removed, struct odo_err *err)
{
    char now[ODO_TIME_TEXT_LEN + 1];
    sqlite3_stmt *st = odo_store_stmt(s, source ? SQL_CLEAR_SOURCE : SQL_CLEAR_ALL, err);
    int rc;

    if (!st)
        return ODO_ESTORAGE;
    odo_store_now_text(s, now);
    if (source) {
        sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    }
    rc = odo_store_step_done(s, st, err, "clearing vin_cache");
    if (rc == 0 && removed)
        *removed = sqlite3_changes(s->db);
    return rc;
}
