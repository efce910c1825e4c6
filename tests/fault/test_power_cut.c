/*
 * Fill-ups survive the ignition being cut. A run of fill-ups is written through a VFS that cuts
 * the power (or fails one operation) at the Nth write, for every N until a run completes with
 * no fault. After each, the files are put back as a disk would hold them, the database is
 * reopened normally, and: it opens, passes integrity_check, holds every fill-up whose add
 * returned success, holds at most the one in flight besides, and has an outbox entry for every
 * fill-up (a write the driver saw as saved is in the outbox).
 */
#include <sqlite3.h>

#include "faultvfs.h"
#include "storage/fuel.h"
#include "storage/store.h"
#include "storage/vehicles.h"
#include "test.h"

#define BASELINE 3 /* fill-ups written before the faulty session */
#define ATTEMPTS 5 /* fill-ups attempted during it */

struct run {
    char dir[256], path[300];
    char vehicle[ODO_UUID_TEXT_LEN + 1];
    char acked[BASELINE + ATTEMPTS][ODO_UUID_TEXT_LEN + 1];
    int nacked;
    bool attempted_unacked; /* an add failed: its row may or may not have made it */
};

static int add_fill(struct odo_store *s, struct run *r, int i, struct odo_err *err)
{
    struct odo_fuel_log l;
    int rc;

    memset(&l, 0, sizeof(l));
    memcpy(l.vehicle_id, r->vehicle, sizeof(r->vehicle));
    l.filled_at = 1767225600000LL + (int64_t)i * 86400000LL; /* 2026-01-01 + i days */
    l.odometer = 100000 + (int64_t)i * 5000;
    l.volume = 40000 + i;
    l.volume_unit = ODO_VOL_L;
    l.unit_price = 1859;
    l.total_cost = ODO_NONE;
    strcpy(l.currency, "EUR");
    l.full = true;
    rc = odo_fuel_add(s, "driver", &l, err);
    if (rc == 0)
        memcpy(r->acked[r->nacked++], l.id, sizeof(l.id));
    else
        r->attempted_unacked = true;
    return rc;
}

/* A fresh database with a vehicle and BASELINE fill-ups, written normally. */
static void prepare(struct run *r)
{
    struct odo_store *s;
    struct odo_err err;
    struct odo_vehicle v;

    memset(r, 0, sizeof(*r));
    test_tmpdir(r->dir);
    snprintf(r->path, sizeof(r->path), "%s/o.db", r->dir);
    ASSERT_OK(odo_store_open(r->path, NULL, &s, &err), &err);
    memset(&v, 0, sizeof(v));
    strcpy(v.name, "Van");
    ASSERT_OK(odo_vehicle_add(s, "driver", &v, &err), &err);
    memcpy(r->vehicle, v.id, sizeof(v.id));
    for (int i = 0; i < BASELINE; i++)
        ASSERT_OK(add_fill(s, r, i, &err), &err);
    odo_store_close(s);
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        TEST_FAIL("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Reopens normally and checks everything the header comment promises. */
static void verify(struct run *r, int n)
{
    struct odo_store *s;
    struct odo_err err;
    struct odo_fuel_log l;
    sqlite3 *db;
    char ok[16] = "";
    int64_t rows, outbox;

    if (odo_store_open(r->path, NULL, &s, &err) != 0)
        TEST_FAIL("fault at write %d: the database does not reopen: %s", n, err.msg);
    for (int i = 0; i < r->nacked; i++)
        if (odo_fuel_get(s, "driver", r->acked[i], &l, &err) != 0)
            TEST_FAIL("fault at write %d: acknowledged fill-up %d is lost", n, i);
    odo_store_close(s);

    ASSERT_EQ(sqlite3_open_v2(r->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    {
        sqlite3_stmt *st;
        ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(ok, sizeof(ok), "%s", sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (strcmp(ok, "ok") != 0)
        TEST_FAIL("fault at write %d: integrity_check says %s", n, ok);
    rows = scalar(db, "SELECT count(*) FROM fuel_logs");
    outbox = scalar(db, "SELECT count(*) FROM outbox o JOIN fuel_logs f ON f.id = o.row_id");
    if (rows < r->nacked || rows > r->nacked + (r->attempted_unacked ? 1 : 0))
        TEST_FAIL("fault at write %d: %" PRId64 " fill-ups stored, %d acknowledged", n, rows,
                  r->nacked);
    if (outbox != rows)
        TEST_FAIL("fault at write %d: %" PRId64 " fill-ups but %" PRId64 " outbox entries", n, rows,
                  outbox);
    /* The persisted clock is never behind a change it stamped. */
    ASSERT_EQ(scalar(db, "SELECT (SELECT hlc FROM sync_state) >= (SELECT max(hlc) FROM outbox)"),
              1);
    sqlite3_close(db);
}

static void sweep(enum faultvfs_mode mode)
{
    int n, faults = 0;

    ASSERT_EQ(faultvfs_register(), SQLITE_OK);
    for (n = 1;; n++) {
        struct odo_store_options o = {.vfs = FAULTVFS_NAME};
        struct odo_store *s = NULL;
        struct odo_err err;
        struct run r;

        prepare(&r);
        faultvfs_arm(mode, n);
        if (odo_store_open(r.path, &o, &s, &err) == 0) {
            for (int i = BASELINE; i < BASELINE + ATTEMPTS; i++) {
                /* After a power cut nothing more can be written; after a one-off I/O error
                 * the driver simply tries the next fill-up. */
                if (add_fill(s, &r, i, &err) != 0 && mode == FAULTVFS_POWER_CUT)
                    break;
            }
            odo_store_close(s);
        }
        int fired = faultvfs_fired();
        if (mode == FAULTVFS_POWER_CUT && fired)
            ASSERT_EQ(faultvfs_power_restore(), 0);
        else
            faultvfs_arm(mode, 0);
        verify(&r, n);
        test_rmdir(r.dir);
        if (!fired)
            break;
        faults++;
    }
    printf("     %d fault points swept\n", faults);
    /* Each fill-up takes several writes and a sync: the sweep must have covered many points. */
    ASSERT_INT(faults, >=, ATTEMPTS * 3);
}

static void test_a_power_cut_at_any_write_keeps_every_acknowledged_fill_up(void)
{
    sweep(FAULTVFS_POWER_CUT);
}

static void test_an_io_error_at_any_write_is_reported_and_loses_nothing(void)
{
    sweep(FAULTVFS_IOERR_ONCE);
}

RUN_TESTS(TEST_CASE(test_a_power_cut_at_any_write_keeps_every_acknowledged_fill_up),
          TEST_CASE(test_an_io_error_at_any_write_is_reported_and_loses_nothing))
