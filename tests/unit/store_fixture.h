/*
 * A device store for one test: a fresh directory, a wall clock the test sets, the store opened
 * on a real SQLite file, and a second, read-only connection to that file which sees what another
 * process would see (only what committed); and the records tests start from (a vehicle, a
 * fill-up, a moment). Header-only, like test.h; include test.h first.
 */
#ifndef ODO_TESTS_STORE_FIXTURE_H
#define ODO_TESTS_STORE_FIXTURE_H

#include <sqlite3.h>
#include <stdarg.h>

#include "storage/fuel.h"
#include "storage/store.h"
#include "storage/vehicles.h"

struct store_fixture {
    char dir[256], path[300];
    int64_t now_ms; /* the store's wall clock: a test moves it */
    struct odo_clock clock;
    struct odo_store *s;
    sqlite3 *look; /* read-only, a connection of its own */
    struct odo_err err;
};

static inline int64_t fixture_clock_now(void *ctx)
{
    return *(const int64_t *)ctx;
}

/* (Re)opens the store on the fixture's file. */
static inline void fixture_open_store(struct store_fixture *f)
{
    struct odo_store_options o = {0};
    o.clock = &f->clock;
    ASSERT_OK(odo_store_open(f->path, &o, &f->s, &f->err), &f->err);
}

/* A new store whose clock reads 2026-06-15T12:00:00Z. f must stay where it is until teardown. */
static inline void fixture_setup(struct store_fixture *f)
{
    memset(f, 0, sizeof(*f));
    test_tmpdir(f->dir);
    snprintf(f->path, sizeof(f->path), "%s/o.db", f->dir);
    ASSERT_OK(odo_time_parse("2026-06-15T12:00:00Z", &f->now_ms, &f->err), &f->err);
    f->clock.now_ms = fixture_clock_now;
    f->clock.ctx = &f->now_ms;
    fixture_open_store(f);
    ASSERT_EQ(sqlite3_open_v2(f->path, &f->look, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
}

static inline void fixture_teardown(struct store_fixture *f)
{
    sqlite3_close(f->look);
    odo_store_close(f->s);
    test_rmdir(f->dir);
}

/* The first column of the first row of a query, through the look-only connection, as text into
 * out ("" for NULL or no row). */
static inline const char *fixture_sql(struct store_fixture *f, char *out, size_t cap,
                                      const char *fmt, ...) ODO_PRINTF(4, 5);
static inline const char *fixture_sql(struct store_fixture *f, char *out, size_t cap,
                                      const char *fmt, ...)
{
    char sql[1024];
    sqlite3_stmt *st;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    if (sqlite3_prepare_v2(f->look, sql, -1, &st, NULL) != SQLITE_OK)
        TEST_FAIL("%s: %s", sql, sqlite3_errmsg(f->look));
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/* The same, as an integer (0 for NULL or no row). */
#define FIXTURE_SQL_INT(f, ...) atoll(fixture_sql((f), (char[64]){0}, 64, __VA_ARGS__))

/* Column col of vehicle id, as text into out ("" for NULL or no such vehicle). */
static inline const char *fixture_vehicle_text(struct store_fixture *f, const char *col,
                                               const char *id, char out[128])
{
    return fixture_sql(f, out, 128, "SELECT %s FROM vehicles WHERE id = '%s'", col, id);
}

/* The moment a timestamp's text names ("2026-06-01", "2026-06-10 09:00", ISO 8601), in UTC
 * milliseconds; the test fails when it is no timestamp. */
static inline int64_t fixture_at(const char *when)
{
    int64_t ms;
    ASSERT_OK(odo_time_parse(when, &ms, NULL), (struct odo_err *)NULL);
    return ms;
}

/* A vehicle in km, not stored yet. */
static inline struct odo_vehicle fixture_vehicle_new(const char *name, const char *vin)
{
    struct odo_vehicle v;
    memset(&v, 0, sizeof(v));
    snprintf(v.name, sizeof(v.name), "%s", name);
    snprintf(v.vin, sizeof(v.vin), "%s", vin);
    v.odometer_unit = ODO_DIST_KM;
    return v;
}

/* A vehicle of user added through the storage API (so its insert is captured). */
static inline struct odo_vehicle fixture_vehicle(struct store_fixture *f, const char *user,
                                                 const char *name, const char *vin)
{
    struct odo_vehicle v = fixture_vehicle_new(name, vin);
    ASSERT_OK(odo_vehicle_add(f->s, user, &v, &f->err), &f->err);
    return v;
}

/* n vehicles of user, named "Vehicle 1" to "Vehicle n". */
static inline void fixture_vehicles(struct store_fixture *f, const char *user, int n)
{
    char name[32];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "Vehicle %d", i + 1);
        fixture_vehicle(f, user, name, "");
    }
}

/* A full fill-up of `volume` litres (in thousandths) at `odometer` (in tenths) on vehicle_id,
 * at filled_at, without a price; not stored yet. */
static inline struct odo_fuel_log fixture_fill(const char *vehicle_id, int64_t filled_at,
                                               int64_t odometer, int64_t volume)
{
    struct odo_fuel_log l = {.filled_at = filled_at,
                             .odometer = odometer,
                             .volume = volume,
                             .volume_unit = ODO_VOL_L,
                             .unit_price = ODO_NONE,
                             .total_cost = ODO_NONE,
                             .full = true};

    snprintf(l.vehicle_id, sizeof(l.vehicle_id), "%s", vehicle_id);
    return l;
}

/* A full fill-up of 40 L an hour ago on a live vehicle of user. */
static inline struct odo_fuel_log fixture_fuel(struct store_fixture *f, const char *user,
                                               const char *vehicle_id)
{
    struct odo_fuel_log l = fixture_fill(vehicle_id, f->now_ms - 3600 * 1000, 100000, 40000);
    ASSERT_OK(odo_fuel_add(f->s, user, &l, &f->err), &f->err);
    return l;
}

#endif
