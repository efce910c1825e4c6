/*
 * Benchmark: `odolog import` of 100,000 fill-ups (odolog's CSV, one vehicle, in date order)
 * through storage/io — parsing, the repositories' checks, the inserts and their outbox capture,
 * one transaction — against a bare SQLite bulk insert of the same rows (one transaction, one
 * prepared INSERT, the store's own table definition with its constraints, foreign key and index
 * but no capture triggers, the same WAL and synchronous=FULL)
 * in the same run and directory. Rounds alternate the two, each on a fresh database; the result
 * is the ratio of the median times. Target: the import takes at most twice as long (it runs at
 * least half as fast).
 *
 * usage: bench_import [DIR] [ROWS] [ROUNDS]   (defaults: a temporary directory, 100000, 3)
 * Exits 1 when the target is missed and ODO_BENCH_ENFORCE=1 is set.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_NAME "bench_import"
#include "platform/clock.h"
#include "storage/io/io.h"
#include "storage/settings.h"
#include "storage/store.h"
#include "tests/bench/bench.h"

#define TARGET 2.0

/* The row i of the file and of the bare insert: two hours apart from 1980, 50.3 km apart. */
static void row_values(int i, char when[32], long *odo_tenths)
{
    int64_t ms = 315532800000LL + (int64_t)(i + 1) * 7200000;
    odo_time_format(ms, when);
    *odo_tenths = 10000 + (long)(i + 1) * 503;
}

static void write_file(const char *path, int rows)
{
    FILE *f = fopen(path, "w");
    char when[32];
    long odo;

    if (!f)
        bench_die("write", path);
    fputs("record,vehicle,vin,date,odometer,odometer_unit,volume,volume_unit,price,total,"
          "currency,full,missed,forced,station,notes\n",
          f);
    fputs("vehicle,Bench,,,,km,,,,,,,,,,\n", f);
    for (int i = 0; i < rows; i++) {
        row_values(i, when, &odo);
        fprintf(f, "fuel,Bench,,%s,%ld.%ld,km,40.123,L,1.859,74.59,EUR,1,0,,Aral,\n", when,
                odo / 10, odo % 10);
    }
    if (fclose(f) != 0)
        bench_die("write", path);
}

/* The store's own fuel_logs table (its columns, constraints, foreign key and index) without
 * the capture triggers, which need odolog's SQL functions: what a bare SQLite program inserting
 * the same rows into the same table does. */
static const char BARE_SCHEMA[] =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
    "CREATE TABLE vehicles (id TEXT PRIMARY KEY, name TEXT NOT NULL) STRICT;"
    "INSERT INTO vehicles VALUES ('018bcfe5-6800-7000-8000-000000000001', 'Bench');"
    "CREATE TABLE fuel_logs (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, "
    "vehicle_id TEXT NOT NULL REFERENCES vehicles (id), filled_at TEXT NOT NULL, "
    "odometer INTEGER NOT NULL CHECK (odometer >= 0), "
    "volume INTEGER NOT NULL CHECK (volume > 0), "
    "volume_unit TEXT NOT NULL CHECK (volume_unit IN ('L', 'gal_us', 'gal_imp')), "
    "unit_price INTEGER CHECK (unit_price IS NULL OR unit_price >= 0), "
    "total_cost INTEGER CHECK (total_cost IS NULL OR total_cost >= 0), "
    "currency TEXT CHECK (currency IS NULL OR length(currency) = 3), "
    "is_full INTEGER NOT NULL CHECK (is_full IN (0, 1)), "
    "missed INTEGER NOT NULL DEFAULT 0 CHECK (missed IN (0, 1)), station_id TEXT, "
    "station TEXT, notes TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
    "deleted_at TEXT, rev INTEGER NOT NULL DEFAULT 0) STRICT;"
    "CREATE INDEX fuel_logs_vehicle ON fuel_logs (vehicle_id, filled_at, odometer);";
static const char BARE_INSERT[] =
    "INSERT INTO fuel_logs (id, user_id, vehicle_id, filled_at, odometer, volume, volume_unit, "
    "unit_price, total_cost, currency, is_full, missed, station, created_at, updated_at) "
    "VALUES (?1, 'bench', '018bcfe5-6800-7000-8000-000000000001', ?2, ?3, 40123, 'L', 1859, "
    "7459, 'EUR', 1, 0, 'Aral', ?2, ?2)";

static double bare_round(const char *path, int rows)
{
    sqlite3 *db;
    sqlite3_stmt *ins;
    char when[32], id[40];
    long odo;
    double a;

    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, BARE_SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, BARE_INSERT, -1, &ins, NULL) != SQLITE_OK)
        bench_die("bare sqlite", sqlite3_errmsg(db));
    a = bench_now_s();
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        bench_die("bare begin", sqlite3_errmsg(db));
    for (int i = 0; i < rows; i++) {
        row_values(i, when, &odo);
        snprintf(id, sizeof(id), "018bcfe5-6800-7000-8000-%012d", i);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, when, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 3, odo);
        if (sqlite3_step(ins) != SQLITE_DONE)
            bench_die("bare insert", sqlite3_errmsg(db));
        sqlite3_reset(ins);
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        bench_die("bare commit", sqlite3_errmsg(db));
    a = bench_now_s() - a;
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return a;
}

static double import_round(const char *path, const char *csv, int rows)
{
    struct odo_import_options o = {0};
    struct odo_import_report rep;
    struct odo_settings set;
    struct odo_store *s;
    struct odo_err err;
    double a;

    bench_remove_db(path);
    if (odo_store_open(path, NULL, &s, &err) != 0)
        bench_die("open store", err.msg);
    odo_settings_default(ODO_UNITS_METRIC, &set);
    o.settings = &set;
    o.create_vehicles = true;
    a = bench_now_s();
    if (odo_import_file(s, "bench", csv, &o, &rep, &err) != 0)
        bench_die("import", err.msg);
    a = bench_now_s() - a;
    if (rep.fills != rows)
        bench_die("import", "not every row was imported");
    odo_store_close(s);
    return a;
}

int main(int argc, char **argv)
{
    char dir[256], csv[300], store_path[300], bare_path[300];
    int rows = argc > 2 ? atoi(argv[2]) : 100000, rounds = argc > 3 ? atoi(argv[3]) : 3;
    double *t_import = calloc((size_t)rounds, sizeof(double)),
           *t_bare = calloc((size_t)rounds, sizeof(double));

    bench_dir(dir, sizeof(dir), argc > 1 ? argv[1] : NULL);
    snprintf(csv, sizeof(csv), "%s/import.csv", dir);
    snprintf(store_path, sizeof(store_path), "%s/store.db", dir);
    snprintf(bare_path, sizeof(bare_path), "%s/bare.db", dir);
    write_file(csv, rows);
    for (int r = 0; r < rounds; r++) {
        t_bare[r] = bare_round(bare_path, rows);
        t_import[r] = import_round(store_path, csv, rows);
        printf("round %d: bare %.3f s, import %.3f s\n", r + 1, t_bare[r], t_import[r]);
    }
    double mi = bench_median(t_import, rounds), mb = bench_median(t_bare, rounds), ratio = mi / mb;
    printf("import of %d fill-ups (parsed, checked, captured, one transaction): %.3f s median\n",
           rows, mi);
    printf("bare SQLite bulk insert of the same rows (one transaction):          %.3f s median\n",
           mb);
    printf("ratio %.2f: the import runs at %.0f%% of the bare insert's speed (target: at least "
           "50%%, ratio <= %.1f): %s\n",
           ratio, 100 / ratio, TARGET, ratio <= TARGET ? "met" : "MISSED");
    if (argc <= 1) {
        unlink(csv);
        bench_remove_db(store_path);
        bench_remove_db(bare_path);
        rmdir(dir);
    }
    free(t_import);
    free(t_bare);
    return bench_exit_code(ratio <= TARGET);
}
