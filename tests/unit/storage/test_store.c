/*
 * Opening the device database, the migration runner, and outbox capture, on real SQLite files.
 * These tests look inside the store (storage/internal.h) to check what a user cannot see.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/internal.h"
#include "storage/vehicles.h"
#include "test.h"

#include "store_fixture.h"

/* A new directory, and the path of a file named `name` in it that does not exist yet. */
static void new_file(char dir[256], char *path, size_t cap, const char *name)
{
    test_tmpdir(dir);
    snprintf(path, cap, "%s/%s", dir, name);
}

/* A value from the database through a separate, plain connection (as another program sees it). */
static void peek(const char *path, const char *sql, char *out, size_t cap)
{
    sqlite3 *db;
    sqlite3_stmt *st;

    out[0] = '\0';
    ASSERT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        TEST_FAIL("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, cap, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int64_t peek_int(const char *path, const char *sql)
{
    char buf[64];
    peek(path, sql, buf, sizeof(buf));
    return atoll(buf);
}

static int64_t pragma_int(struct odo_store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    ASSERT_EQ(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_open_sets_wal_full_sync_foreign_keys_and_busy_timeout(void)
{
    char dir[256], path[300], mode[16];
    struct odo_store *s;
    struct odo_err err;

    new_file(dir, path, sizeof(path), "o.db");
    ASSERT_OK(odo_store_open(path, NULL, &s, &err), &err);
    ASSERT_EQ(pragma_int(s, "PRAGMA synchronous"), 2); /* FULL */
    ASSERT_EQ(pragma_int(s, "PRAGMA foreign_keys"), 1);
    ASSERT_EQ(pragma_int(s, "PRAGMA busy_timeout"), 5000);
    ASSERT_EQ(pragma_int(s, "PRAGMA application_id"), 1329876812);
    ASSERT(odo_uuid_valid(odo_store_device_id(s)));
    odo_store_close(s);
    peek(path, "PRAGMA journal_mode", mode, sizeof(mode));
    ASSERT_STR(mode, "wal");
    test_rmdir(dir);
}

static void test_migrations_apply_once_and_record_name_checksum_and_time(void)
{
    char dir[256], path[300], first[64], again[64], sum[80];
    struct odo_store *s;
    struct odo_err err;
    size_t n;
    const struct odo_migration *set = odo_migrations_device(&n);

    new_file(dir, path, sizeof(path), "o.db");
    ASSERT_OK(odo_store_open(path, NULL, &s, &err), &err);
    odo_store_close(s);
    ASSERT_EQ(peek_int(path, "SELECT count(*) FROM _migrations"), (int64_t)n);
    peek(path, "SELECT applied_at FROM _migrations WHERE name = '001_init.sql'", first,
         sizeof(first));
    peek(path, "SELECT checksum FROM _migrations WHERE name = '001_init.sql'", sum, sizeof(sum));
    ASSERT_EQ(strlen(sum), 64);
    ASSERT_STR(set[0].name, "001_init.sql");
    ASSERT_OK(odo_store_open(path, NULL, &s, &err), &err);
    odo_store_close(s);
    peek(path, "SELECT applied_at FROM _migrations WHERE name = '001_init.sql'", again,
         sizeof(again));
    ASSERT_STR(first, again); /* running again changed nothing */
    ASSERT_EQ(peek_int(path, "SELECT count(*) FROM _migrations"), (int64_t)n);
    test_rmdir(dir);
}

static const char M1[] = "CREATE TABLE t (x INTEGER);\nINSERT INTO t VALUES (1);\n";
static const char M1_EDITED[] = "CREATE TABLE t (x INTEGER, y TEXT);\nINSERT INTO t VALUES (1);\n";
static const char M2_BAD[] =
    "CREATE TABLE u (x INTEGER);\nINSERT INTO u VALUES (1);\nINSERT INTO missing VALUES (2);\n";
static const char M2_GOOD[] = "CREATE TABLE u (x INTEGER);\n";
static const char M2_EDITED[] = "CREATE TABLE u (x INTEGER, y TEXT);\n";

static int open_with(const char *path, const struct odo_migration *set, size_t n,
                     struct odo_store **s, struct odo_err *err)
{
    struct odo_store_options o = {.migrations = set, .migration_count = n};
    return odo_store_open(path, &o, s, err);
}

static void test_a_migration_edited_after_it_was_applied_stops_the_runner_naming_it(void)
{
    const struct odo_migration v1[] = {{"001_first.sql", M1, sizeof(M1) - 1}};
    const struct odo_migration v1_edited[] = {{"001_first.sql", M1_EDITED, sizeof(M1_EDITED) - 1},
                                              {"002_second.sql", M2_GOOD, sizeof(M2_GOOD) - 1}};
    char dir[256], path[300];
    struct odo_store *s;
    struct odo_err err;

    new_file(dir, path, sizeof(path), "o.db");
    ASSERT_OK(open_with(path, v1, 1, &s, &err), &err);
    odo_store_close(s);
    ASSERT_EQ(open_with(path, v1_edited, 2, &s, &err), ODO_EMIGRATE);
    ASSERT(s == NULL);
    ASSERT_CONTAINS(err.msg, "001_first.sql");
    ASSERT_CONTAINS(err.msg, "changed after it was applied");
    /* Nothing after the edited file ran. */
    ASSERT_EQ(peek_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'u'"), 0);
    test_rmdir(dir);
}

static void test_a_failing_migration_leaves_the_database_as_before_and_names_the_statement(void)
{
    static const char M2_AGAIN[] = "CREATE TABLE t (x INTEGER, z TEXT);\n";
    const struct odo_migration set[] = {{"001_first.sql", M1, sizeof(M1) - 1},
                                        {"002_second.sql", M2_BAD, sizeof(M2_BAD) - 1}};
    const struct odo_migration again[] = {{"001_first.sql", M1, sizeof(M1) - 1},
                                          {"002_second.sql", M2_AGAIN, sizeof(M2_AGAIN) - 1}};
    char dir[256], path[300];
    struct odo_store *s;
    struct odo_err err;

    new_file(dir, path, sizeof(path), "o.db");
    ASSERT_EQ(open_with(path, set, 2, &s, &err), ODO_EMIGRATE);
    ASSERT_CONTAINS(err.msg, "002_second.sql");
    ASSERT_CONTAINS(err.msg, "statement 3 (INSERT INTO missing VALUES (2);)");
    ASSERT_CONTAINS(err.msg, "no such table");
    /* The first file is applied; nothing of the second is left. */
    ASSERT_EQ(peek_int(path, "SELECT count(*) FROM _migrations"), 1);
    ASSERT_EQ(peek_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'u'"), 0);
    ASSERT_EQ(peek_int(path, "SELECT x FROM t"), 1);
    /* A statement that does not even prepare (SQLite stops parsing it at the table's name) is
     * named by its whole first line. */
    ASSERT_EQ(open_with(path, again, 2, &s, &err), ODO_EMIGRATE);
    ASSERT_CONTAINS(err.msg, "statement 1 (CREATE TABLE t (x INTEGER, z TEXT);)");
    ASSERT_CONTAINS(err.msg, "already exists");
    test_rmdir(dir);
}

static int open_unmigrated(const char *path, const struct odo_migration *set, size_t n,
                           struct odo_store **s, struct odo_err *err)
{
    struct odo_store_options o = {.migrations = set, .migration_count = n, .no_migrate = true};
    return odo_store_open(path, &o, s, err);
}

static void count_state(const struct odo_migration_status *st, void *ctx)
{
    ((int *)ctx)[st->state]++;
}

static void test_a_database_written_by_a_newer_odolog_is_refused(void)
{
    const struct odo_migration newer[] = {{"001_first.sql", M1, sizeof(M1) - 1},
                                          {"002_second.sql", M2_GOOD, sizeof(M2_GOOD) - 1}};
    char dir[256], path[300];
    struct odo_store *s;
    struct odo_err err;
    int states[ODO_MIGRATION_UNKNOWN + 1] = {0};

    new_file(dir, path, sizeof(path), "o.db");
    ASSERT_OK(open_with(path, newer, 2, &s, &err), &err);
    odo_store_close(s);
    ASSERT_EQ(open_with(path, newer, 1, &s, &err), ODO_ENEWER);
    ASSERT_CONTAINS(err.msg, "002_second.sql");
    ASSERT_CONTAINS(err.msg, "upgrade odolog");
    /* Its status, read without migrating, names the stranger. */
    ASSERT_OK(open_unmigrated(path, newer, 1, &s, &err), &err);
    ASSERT_OK(odo_store_migration_status(s, count_state, states, &err), &err);
    odo_store_close(s);
    ASSERT_EQ(states[ODO_MIGRATION_APPLIED], 1);
    ASSERT_EQ(states[ODO_MIGRATION_UNKNOWN], 1);
    ASSERT_EQ(states[ODO_MIGRATION_PENDING] + states[ODO_MIGRATION_CHANGED], 0);
    test_rmdir(dir);
}

/*
 * Another runner (a second store on the same file, as another process) that applies rival.set
 * just before the runner under test takes the lock for its first pending file.
 */
static struct {
    const char *path;
    const struct odo_migration *set;
    size_t n;
    int raced;
} rival;

static int begin_after_a_rival(void *db, struct odo_err *err)
{
    if (rival.raced++ == 0) {
        struct odo_store *other;
        struct odo_err other_err;
        ASSERT_OK(open_with(rival.path, rival.set, rival.n, &other, &other_err), &other_err);
        odo_store_close(other);
    }
    return odo_migrate_sqlite.begin(db, err);
}

/*
 * Runs set (001, 002) on a database at path where the plain runner has applied 001, while
 * rival_set's 002 is applied by another runner just before the first lock is taken.
 */
static int run_in_a_race(const char *path, const struct odo_migration *set,
                         const struct odo_migration *rival_set, int *applied, struct odo_err *err)
{
    struct odo_migration_backend racing = odo_migrate_sqlite;
    struct odo_store *s;
    int rc, first = -1;

    ASSERT_OK(open_unmigrated(path, set, 2, &s, err), err);
    ASSERT_OK(odo_migration_run(&odo_migrate_sqlite, s, set, 1, &first, err), err);
    ASSERT_EQ(first, 1);
    rival.path = path;
    rival.set = rival_set;
    rival.n = 2;
    rival.raced = 0;
    racing.begin = begin_after_a_rival;
    rc = odo_migration_run(&racing, s, set, 2, applied, err);
    odo_store_close(s);
    ASSERT_EQ(rival.raced, 1);
    return rc;
}

static void test_a_file_another_runner_applied_meanwhile_is_seen_under_the_lock_and_runs_once(void)
{
    const struct odo_migration set[] = {{"001_first.sql", M1, sizeof(M1) - 1},
                                        {"002_second.sql", M2_GOOD, sizeof(M2_GOOD) - 1}};
    char dir[256], path[300];
    struct odo_err err;
    int applied = -1;

    new_file(dir, path, sizeof(path), "o.db");
    /* Run twice, 002's CREATE TABLE would fail: the look under the lock must find it applied. */
    ASSERT_OK(run_in_a_race(path, set, set, &applied, &err), &err);
    ASSERT_EQ(applied, 0);
    ASSERT_EQ(peek_int(path, "SELECT count(*) FROM _migrations"), 2);
    test_rmdir(dir);
}

static void test_a_file_another_runner_applied_edited_meanwhile_is_refused_under_the_lock(void)
{
    const struct odo_migration set[] = {{"001_first.sql", M1, sizeof(M1) - 1},
                                        {"002_second.sql", M2_GOOD, sizeof(M2_GOOD) - 1}};
    const struct odo_migration edited[] = {{"001_first.sql", M1, sizeof(M1) - 1},
                                           {"002_second.sql", M2_EDITED, sizeof(M2_EDITED) - 1}};
    char dir[256], path[300];
    struct odo_err err;
    int applied = -1;

    new_file(dir, path, sizeof(path), "o.db");
    ASSERT_EQ(run_in_a_race(path, set, edited, &applied, &err), ODO_EMIGRATE);
    ASSERT_CONTAINS(err.msg, "002_second.sql");
    ASSERT_CONTAINS(err.msg, "changed after it was applied");
    ASSERT_EQ(applied, 0);
    /* The rival's table stands as it made it. */
    ASSERT_EQ(peek_int(path, "SELECT count(*) FROM pragma_table_info('u')"), 2);
    test_rmdir(dir);
}

/* The bytes of a file, for "unchanged" checks. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    ASSERT(f != NULL);
    n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void test_a_file_that_is_not_a_database_is_refused_and_left_untouched(void)
{
    static const char text[] = "odometer,fuel\n41000,9.8\nnot a database, just notes\n"
                               "0123456789012345678901234567890123456789012345678901234567890\n";
    char dir[256], path[300], before[512], after[512];
    struct odo_store *s;
    struct odo_err err;
    size_t n1, n2;
    FILE *f;

    new_file(dir, path, sizeof(path), "notes.csv");
    f = fopen(path, "wb");
    fwrite(text, 1, sizeof(text) - 1, f);
    fclose(f);
    n1 = slurp(path, before, sizeof(before));
    ASSERT_EQ(odo_store_open(path, NULL, &s, &err), ODO_ENOTDB);
    ASSERT_CONTAINS(err.msg, "not an odolog database");
    n2 = slurp(path, after, sizeof(after));
    ASSERT_EQ(n1, n2);
    ASSERT(memcmp(before, after, n1) == 0);
    ASSERT(access(path, F_OK) == 0);
    {
        char wal[320];
        snprintf(wal, sizeof(wal), "%s-wal", path);
        ASSERT(access(wal, F_OK) != 0);
    }
    test_rmdir(dir);
}

static void test_an_sqlite_database_of_another_program_is_refused(void)
{
    char dir[256], path[300];
    struct odo_store *s;
    struct odo_err err;
    sqlite3 *db;

    new_file(dir, path, sizeof(path), "other.db");
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE contacts (name TEXT); INSERT INTO contacts "
                           "VALUES ('x');",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);
    ASSERT_EQ(odo_store_open(path, NULL, &s, &err), ODO_ENOTDB);
    ASSERT_CONTAINS(err.msg, "another program");
    ASSERT_EQ(peek_int(path, "SELECT count(*) FROM sqlite_schema"), 1);
    test_rmdir(dir);
}

static void test_an_insert_is_in_the_outbox_as_every_column_in_the_same_commit(void)
{
    struct store_fixture f;
    char cols[1024], row[64];
    struct odo_vehicle v;

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "2HKRW2H20NH207506");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 1);
    ASSERT_STR(fixture_sql(&f, row, sizeof(row), "SELECT row_id FROM outbox"), v.id);
    /* An insert writes every column: "*" at the insert's HLC. */
    fixture_sql(&f, cols, sizeof(cols), "SELECT cols = json_object('*', hlc) FROM outbox");
    ASSERT_STR(cols, "1");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT base_rev FROM outbox"), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT batch IS NULL FROM outbox"), 1);
    ASSERT_STR(fixture_sql(&f, row, sizeof(row), "SELECT user_id FROM outbox"), "alice");
    fixture_teardown(&f);
}

static void test_updates_accumulate_changed_columns_until_pushed(void)
{
    struct store_fixture f;
    char cols[1024], h1[32], h2[32];
    struct odo_vehicle v;

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    /* Pretend the insert was pushed and acknowledged. */
    ASSERT_OK(odo_store_exec(f.s, "DELETE FROM outbox", &f.err, "test"), &f.err);
    /* The fixture's clock stands still unless moved: each edit comes a second later. */
    f.now_ms += 1000;
    snprintf(v.plate, sizeof(v.plate), "AB-123");
    ASSERT_OK(odo_vehicle_update(f.s, "alice", &v, &f.err), &f.err);
    fixture_sql(&f, h1, sizeof(h1), "SELECT hlc FROM outbox");
    f.now_ms += 1000;
    snprintf(v.notes, sizeof(v.notes), "winter tyres");
    ASSERT_OK(odo_vehicle_update(f.s, "alice", &v, &f.err), &f.err);
    fixture_sql(&f, h2, sizeof(h2), "SELECT hlc FROM outbox");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 1);
    fixture_sql(&f, cols, sizeof(cols), "SELECT cols FROM outbox");
    ASSERT_CONTAINS(cols, "\"plate\":");
    ASSERT_CONTAINS(cols, "\"notes\":");
    ASSERT_CONTAINS(cols, "\"updated_at\":");
    ASSERT(strstr(cols, "\"name\"") == NULL);
    ASSERT(strstr(cols, "\"vin\"") == NULL);
    ASSERT(strcmp(h2, h1) > 0);
    /* Each column keeps the HLC of its own last change. */
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT json_extract(cols, '$.plate') < json_extract(cols, "
                                  "'$.notes') FROM outbox"),
              1);
    fixture_teardown(&f);
}

static void test_an_update_that_changes_nothing_is_not_captured(void)
{
    struct store_fixture f;

    fixture_setup(&f);
    fixture_vehicle(&f, "alice", "Civic", "");
    ASSERT_OK(odo_store_exec(f.s, "DELETE FROM outbox", &f.err, "test"), &f.err);
    ASSERT_OK(odo_store_exec(f.s, "UPDATE vehicles SET name = name", &f.err, "test"), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 0);
    fixture_teardown(&f);
}

static void test_an_entry_in_a_push_in_flight_is_frozen_and_later_changes_open_a_new_one(void)
{
    struct store_fixture f;
    char cols[512];
    struct odo_vehicle v;

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    ASSERT_OK(odo_store_exec(f.s, "UPDATE outbox SET batch = 1", &f.err, "test"), &f.err);
    snprintf(v.plate, sizeof(v.plate), "XY-9");
    ASSERT_OK(odo_vehicle_update(f.s, "alice", &v, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 2);
    fixture_sql(&f, cols, sizeof(cols), "SELECT cols FROM outbox WHERE batch IS NULL");
    ASSERT_CONTAINS(cols, "\"plate\"");
    ASSERT(strstr(cols, "\"name\"") == NULL);
    fixture_teardown(&f);
}

static void test_the_hlc_persists_across_reopen_and_survives_an_rtc_reset(void)
{
    struct store_fixture f;
    char h1[32], h2[32];

    fixture_setup(&f);
    f.now_ms = 1800000000000LL;
    fixture_vehicle(&f, "alice", "A", "");
    odo_store_close(f.s);
    fixture_sql(&f, h1, sizeof(h1), "SELECT hlc FROM outbox");
    f.now_ms = 86400000LL; /* the RTC lost power: 1970-01-02 */
    fixture_open_store(&f);
    fixture_vehicle(&f, "alice", "B", "");
    fixture_sql(&f, h2, sizeof(h2), "SELECT hlc FROM outbox ORDER BY seq DESC LIMIT 1");
    ASSERT(strcmp(h2, h1) > 0);
    fixture_teardown(&f);
}

static void test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made(void)
{
    struct store_fixture f;
    char prev[ODO_UUID_TEXT_LEN + 1] = "", id[ODO_UUID_TEXT_LEN + 1];

    fixture_setup(&f);
    f.now_ms = 1800000000000LL;
    /* More than the 4096 a millisecond's counter holds, then the clock going back. */
    for (int i = 0; i < 10000; i++) {
        if (i == 9000)
            f.now_ms -= 60000;
        ASSERT_OK(odo_store_new_id(f.s, id, &f.err), &f.err);
        ASSERT(odo_uuid_valid(id));
        if (strcmp(id, prev) <= 0)
            TEST_FAIL("id %d '%s' does not sort after '%s'", i, id, prev);
        memcpy(prev, id, sizeof(id));
    }
    fixture_teardown(&f);
}

static void test_user_rows_cannot_be_deleted_outright(void)
{
    struct store_fixture f;

    fixture_setup(&f);
    fixture_vehicle(&f, "alice", "Civic", "");
    ASSERT(odo_store_exec(f.s, "DELETE FROM vehicles", &f.err, "deleting") != 0);
    ASSERT_CONTAINS(f.err.msg, "never deleted outright");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 1);
    fixture_teardown(&f);
}

static void test_a_refused_write_leaves_no_outbox_entry(void)
{
    struct store_fixture f;
    struct odo_vehicle b = fixture_vehicle_new("B", "2HKRW2H20NH207506");

    fixture_setup(&f);
    fixture_vehicle(&f, "alice", "A", "2HKRW2H20NH207506");
    ASSERT_EQ(odo_vehicle_add(f.s, "alice", &b, &f.err), ODO_EEXIST);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 1);
    fixture_teardown(&f);
}

static void test_a_missing_directory_is_a_clear_storage_error(void)
{
    struct odo_store *s;
    struct odo_err err;

    ASSERT_EQ(odo_store_open("/nonexistent-dir-odolog/o.db", NULL, &s, &err), ODO_EREADONLY);
    ASSERT_CONTAINS(err.msg, "directory");
}

RUN_TESTS(
    TEST_CASE(test_open_sets_wal_full_sync_foreign_keys_and_busy_timeout),
    TEST_CASE(test_migrations_apply_once_and_record_name_checksum_and_time),
    TEST_CASE(test_a_migration_edited_after_it_was_applied_stops_the_runner_naming_it),
    TEST_CASE(test_a_failing_migration_leaves_the_database_as_before_and_names_the_statement),
    TEST_CASE(test_a_database_written_by_a_newer_odolog_is_refused),
    TEST_CASE(test_a_file_another_runner_applied_meanwhile_is_seen_under_the_lock_and_runs_once),
    TEST_CASE(test_a_file_another_runner_applied_edited_meanwhile_is_refused_under_the_lock),
    TEST_CASE(test_a_file_that_is_not_a_database_is_refused_and_left_untouched),
    TEST_CASE(test_an_sqlite_database_of_another_program_is_refused),
    TEST_CASE(test_an_insert_is_in_the_outbox_as_every_column_in_the_same_commit),
    TEST_CASE(test_updates_accumulate_changed_columns_until_pushed),
    TEST_CASE(test_an_update_that_changes_nothing_is_not_captured),
    TEST_CASE(test_an_entry_in_a_push_in_flight_is_frozen_and_later_changes_open_a_new_one),
    TEST_CASE(test_the_hlc_persists_across_reopen_and_survives_an_rtc_reset),
    TEST_CASE(test_ids_made_in_one_millisecond_sort_in_the_order_they_were_made),
    TEST_CASE(test_user_rows_cannot_be_deleted_outright),
    TEST_CASE(test_a_refused_write_leaves_no_outbox_entry),
    TEST_CASE(test_a_missing_directory_is_a_clear_storage_error))
