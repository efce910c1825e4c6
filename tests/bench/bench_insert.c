/*
 * Benchmark: one durable fuel-log insert through the store (validation, the odometer rule, the
 * insert and its outbox capture, one commit) against a bare SQLite INSERT + COMMIT of the same
 * row into a table of the same columns, with the same WAL and synchronous=FULL, in the same run
 * and the same directory. The two are interleaved in rounds so that both see the same machine
 * (shared, noisy); the result is the ratio of their medians. Target: at most 1.3.
 *
 * usage: bench_insert [DIR] [ROUNDS] [PER_ROUND]   (defaults: a temporary directory, 15, 40)
 * Prints one line per measure and a final "ratio" line; exits 1 when the ratio is over the
 * target and ODO_BENCH_ENFORCE=1 is set (off by default: a benchmark informs, it does not gate).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BENCH_NAME "bench_insert"
#include "storage/fuel.h"
#include "storage/store.h"
#include "storage/vehicles.h"
#include "tests/bench/bench.h"

#define TARGET 1.3

static const char BARE_SCHEMA[] =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
    "CREATE TABLE IF NOT EXISTS fuel_logs (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, "
    "vehicle_id TEXT NOT NULL, filled_at TEXT NOT NULL, odometer INTEGER NOT NULL, "
    "volume INTEGER NOT NULL, volume_unit TEXT NOT NULL, unit_price INTEGER, total_cost INTEGER, "
    "currency TEXT, is_full INTEGER NOT NULL, missed INTEGER NOT NULL, station_id TEXT, "
    "station TEXT, notes TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, "
    "deleted_at TEXT, rev INTEGER NOT NULL DEFAULT 0) STRICT;";
static const char BARE_INSERT[] =
    "INSERT INTO fuel_logs (id, user_id, vehicle_id, filled_at, odometer, volume, volume_unit, "
    "unit_price, total_cost, currency, is_full, missed, station, created_at, updated_at) "
    "VALUES (?1, 'bench', ?2, ?3, ?4, 40120, 'L', 1859, 7458, 'EUR', 1, 0, 'Aral', ?3, ?3)";

int main(int argc, char **argv)
{
    char dir[256], store_path[300], bare_path[300];
    int rounds = argc > 2 ? atoi(argv[2]) : 15, per = argc > 3 ? atoi(argv[3]) : 40;
    double *t_store = calloc((size_t)rounds, sizeof(double)),
           *t_bare = calloc((size_t)rounds, sizeof(double));
    struct odo_store *s;
    struct odo_err err;
    struct odo_vehicle v;
    sqlite3 *bare;
    sqlite3_stmt *ins, *begin, *commit;
    int64_t odo = 100000, t0 = 1700000000000LL;
    int n = 0;

    bench_dir(dir, sizeof(dir), argc > 1 ? argv[1] : NULL);
    snprintf(store_path, sizeof(store_path), "%s/store.db", dir);
    snprintf(bare_path, sizeof(bare_path), "%s/bare.db", dir);
    bench_remove_db(store_path);
    bench_remove_db(bare_path);

    if (odo_store_open(store_path, NULL, &s, &err) != 0)
        bench_die("open store", err.msg);
    memset(&v, 0, sizeof(v));
    strcpy(v.name, "Bench");
    if (odo_vehicle_add(s, "bench", &v, &err) != 0)
        bench_die("add vehicle", err.msg);
    if (sqlite3_open(bare_path, &bare) != SQLITE_OK ||
        sqlite3_exec(bare, BARE_SCHEMA, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(bare, BARE_INSERT, -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(bare, "BEGIN", -1, &begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(bare, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
        bench_die("bare sqlite", sqlite3_errmsg(bare));

    for (int r = 0; r < rounds; r++) {
        double a = bench_now_s();
        for (int i = 0; i < per; i++, n++) {
            struct odo_fuel_log l;
            memset(&l, 0, sizeof(l));
            memcpy(l.vehicle_id, v.id, sizeof(v.id));
            l.filled_at = t0 + (int64_t)n * 60000;
            l.odometer = odo += 4000;
            l.volume = 40120;
            l.volume_unit = ODO_VOL_L;
            l.unit_price = 1859;
            l.total_cost = ODO_NONE;
            strcpy(l.currency, "EUR");
            strcpy(l.station, "Aral");
            l.full = true;
            if (odo_fuel_add(s, "bench", &l, &err) != 0)
                bench_die("fuel add", err.msg);
        }
        double b = bench_now_s();
        for (int i = 0; i < per; i++) {
            char id[64], when[32];
            /* The same id shape and order as the store's UUIDv7s: appended at the end. */
            snprintf(id, sizeof(id), "018bcfe5-%04x-7000-8000-%012d", r, i);
            snprintf(when, sizeof(when), "2023-11-14T22:%02d:%02d.000Z", i % 60, r % 60);
            /* Prepared once, like the store's statements: the strongest fair baseline. */
            if (sqlite3_step(begin) != SQLITE_DONE)
                bench_die("bare begin", sqlite3_errmsg(bare));
            sqlite3_reset(begin);
            sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 2, v.id, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 3, when, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 4, odo);
            if (sqlite3_step(ins) != SQLITE_DONE)
                bench_die("bare insert", sqlite3_errmsg(bare));
            sqlite3_reset(ins);
            if (sqlite3_step(commit) != SQLITE_DONE)
                bench_die("bare commit", sqlite3_errmsg(bare));
            sqlite3_reset(commit);
        }
        double c = bench_now_s();
        t_store[r] = (b - a) / per;
        t_bare[r] = (c - b) / per;
    }
    double ms = bench_median(t_store, rounds) * 1e3, mb = bench_median(t_bare, rounds) * 1e3;
    double ratio = ms / mb;
    printf("store insert (validated, outbox captured, FULL sync): %.3f ms median per row\n", ms);
    printf("bare INSERT+COMMIT (same row, same FULL sync):         %.3f ms median per row\n", mb);
    printf("rows: %d each, in %d interleaved rounds\n", rounds * per, rounds);
    printf("ratio %.2f (target <= %.1f): %s\n", ratio, TARGET, ratio <= TARGET ? "met" : "MISSED");
    sqlite3_finalize(ins);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(bare);
    odo_store_close(s);
    free(t_store);
    free(t_bare);
    if (argc <= 1) {
        bench_remove_db(store_path);
        bench_remove_db(bare_path);
        rmdir(dir);
    }
    return bench_exit_code(ratio <= TARGET);
}
