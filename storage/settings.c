/*
 * Settings as (user, key, value) rows.
 */
#include "storage/settings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "storage/internal.h"

static const char SQL_GET[] = "SELECT key, value FROM settings WHERE user_id = ?1";
static const char SQL_SET[] =
    "INSERT INTO settings (user_id, key, value, updated_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, "
    "updated_at = excluded.updated_at";

void odo_settings_default(enum odo_unit_system system, struct odo_settings *out)
{
    memset(out, 0, sizeof(*out));
    odo_units_default(system, &out->units);
    strcpy(out->currency, system == ODO_UNITS_US ? "USD" : system == ODO_UNITS_UK ? "GBP" : "EUR");
    out->due_soon_days = 30;
    out->due_soon_distance = out->units.dist == ODO_DIST_MI ? 6000 : 10000;
}

/* Applies one stored key; unknown keys and bad values (from a newer version) are ignored. */
static void apply(struct odo_settings *o, const char *key, const char *value)
{
    int64_t v;

    if (strcmp(key, "units") == 0) {
        enum odo_unit_system sys;
        if (odo_unit_system_parse(value, &sys, NULL) == 0)
            odo_settings_default(sys, o);
    } else if (strcmp(key, "distance") == 0) {
        (void)!odo_dist_unit_parse(value, &o->units.dist, NULL);
    } else if (strcmp(key, "volume") == 0) {
        (void)!odo_vol_unit_parse(value, &o->units.vol, NULL);
    } else if (strcmp(key, "economy") == 0) {
        (void)!odo_econ_unit_parse(value, &o->units.econ, NULL);
    } else if (strcmp(key, "currency") == 0 && strlen(value) == 3) {
        memcpy(o->currency, value, 4);
    } else if (strcmp(key, "due_soon_days") == 0) {
        if (odo_dec_parse(value, 0, &v, key, NULL) == 0 && v >= 0 && v <= 3650)
            o->due_soon_days = (int)v;
    } else if (strcmp(key, "due_soon_distance") == 0) {
        if (odo_dec_parse(value, ODO_SCALE_DISTANCE, &v, key, NULL) == 0 && v >= 0)
            o->due_soon_distance = v;
    }
}

/* The stored keys odo_settings_load knows, in the order they apply. */
static const char *const order[] = {"units",    "distance",      "volume",           "economy",
                                    "currency", "due_soon_days", "due_soon_distance"};

/* What odo_settings_load read: each known key's value, if it was stored. */
struct stored {
    char values[ODO_ARRAY_LEN(order)][32];
    bool have[ODO_ARRAY_LEN(order)];
};

static int stored_row(sqlite3_stmt *st, void *ctx)
{
    struct stored *v = ctx;
    const char *key = (const char *)sqlite3_column_text(st, 0);

    for (size_t i = 0; i < ODO_ARRAY_LEN(order); i++) {
        if (strcmp(key, order[i]) == 0) {
            odo_column_text(st, 1, v->values[i], sizeof(v->values[i]));
            v->have[i] = true;
        }
    }
    return 0;
}

int odo_settings_load(struct odo_store *s, const char *user, struct odo_settings *out,
                      struct odo_err *err)
{
    struct stored v = {.have = {false}};
    sqlite3_stmt *st = odo_store_bound(s, SQL_GET, user, NULL, err);
    int rc;

    odo_settings_default(ODO_UNITS_METRIC, out);
    if ((rc = odo_store_each(s, st, stored_row, &v, "reading settings", err)))
        return rc;
    /* "units" resets the parts to its defaults, so it is applied before the others. */
    for (size_t i = 0; i < ODO_ARRAY_LEN(order); i++) {
        if (v.have[i]) {
            apply(out, order[i], v.values[i]);
            out->initialised = true;
        }
    }
    return 0;
}

int odo_settings_save(struct odo_store *s, const char *user, const struct odo_settings *in,
                      struct odo_err *err)
{
    char days[16], dist[ODO_DEC_TEXT_MAX], now[ODO_TIME_TEXT_LEN + 1], currency[4];
    const char *pairs[][2] = {
        {"units", odo_unit_system_name(in->units.system)},
        {"distance", odo_dist_unit_name(in->units.dist)},
        {"volume", odo_vol_unit_name(in->units.vol)},
        {"economy", odo_econ_unit_name(in->units.econ)},
        {"currency", currency},
        {"due_soon_days", days},
        {"due_soon_distance", dist},
    };
    int rc;

    if ((rc = odo_user_check(user, err)))
        return rc;
    snprintf(currency, sizeof(currency), "%s", in->currency);
    if (!currency[0] || strlen(in->currency) != 3)
        return odo_err_set(err, ODO_EINVAL, "a currency is a three-letter ISO code such as EUR");
    if ((rc = odo_currency_check(currency, err)))
        return rc;
    if (in->due_soon_days < 0 || in->due_soon_days > 3650 || in->due_soon_distance < 0)
        return odo_err_set(err, ODO_EINVAL, "reminder thresholds must not be negative");
    snprintf(days, sizeof(days), "%d", in->due_soon_days);
    odo_dec_format(in->due_soon_distance, ODO_SCALE_DISTANCE, 0, dist, sizeof(dist));
    odo_store_now_text(s, now);
    if ((rc = odo_store_begin(s, err)))
        return rc;
    for (size_t i = 0; i < ODO_ARRAY_LEN(pairs); i++) {
        sqlite3_stmt *st = odo_store_bound(s, SQL_SET, user, pairs[i][0], err);
        if (!st) {
            rc = ODO_ESTORAGE;
            goto out_rollback;
        }
        sqlite3_bind_text(st, 3, pairs[i][1], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
        if ((rc = odo_store_step_done(s, st, err, "saving settings")))
            goto out_rollback;
    }
    return odo_store_commit(s, err);
out_rollback:
    odo_store_rollback(s);
    return rc;
}
