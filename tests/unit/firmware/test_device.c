/*
 * What the device programs share (firmware/device): which database and vPIC files they use and
 * for whom, in the order options and environment variables take precedence, and the way a
 * scanned text becomes a vehicle, on real SQLite files with the VIN alone as the decoder.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <time.h>

#include "firmware/device/paths.h"
#include "firmware/device/scan.h"
#include "storage/settings.h"
#include "storage/store.h"
#include "storage/vehicles.h"
#include "sync/client/vinlookup.h"
#include "test.h"

#define VIN "1FTFW5L86RFB45612" /* a valid North-American VIN (Ford F-150, 2024) */

/* A clean environment for one test: none of odolog's variables, data under dir. */
static void clean_env(const char *dir)
{
    char xdg[300];

    unsetenv("ODOLOG_DB");
    unsetenv("ODOLOG_VPIC");
    unsetenv("ODOLOG_USER");
    snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
    setenv("XDG_DATA_HOME", xdg, 1);
}

/* The path that rule (odo_device_db_path or odo_device_vpic_path) names for given, which must
 * resolve; it lives until the next call. */
static const char *resolve(int (*rule)(const char *, char *, size_t, const char **,
                                       struct odo_err *),
                           const char *given)
{
    static char buf[ODO_DEVICE_PATH_MAX];
    struct odo_err err;
    const char *path;

    ASSERT_OK(rule(given, buf, sizeof(buf), &path, &err), &err);
    return path;
}

#define db_path(given)   resolve(odo_device_db_path, given)
#define vpic_path(given) resolve(odo_device_vpic_path, given)

static void test_db_path_is_the_option_then_ODOLOG_DB_then_the_data_directory(void)
{
    char dir[256], want[400];
    struct stat st;

    test_tmpdir(dir);
    clean_env(dir);
    setenv("ODOLOG_DB", "/from/env.db", 1);
    ASSERT_STR(db_path("/given.db"), "/given.db");
    ASSERT_STR(db_path(NULL), "/from/env.db");
    ASSERT_STR(db_path(""), "/from/env.db");
    setenv("ODOLOG_DB", "", 1); /* empty counts as unset */
    snprintf(want, sizeof(want), "%s/xdg/odolog", dir);
    ASSERT(stat(want, &st) != 0); /* nothing created while an explicit path was given */
    snprintf(want, sizeof(want), "%s/xdg/odolog/odolog.db", dir);
    ASSERT_STR(db_path(NULL), want);
    snprintf(want, sizeof(want), "%s/xdg/odolog", dir);
    ASSERT(stat(want, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
    test_rmdir(dir);
}

static void test_db_path_without_a_data_directory_is_refused_with_a_sentence(void)
{
    char dir[256], buf[ODO_DEVICE_PATH_MAX];
    const char *path = "unchanged";
    struct odo_err err;

    test_tmpdir(dir);
    clean_env(dir);
    unsetenv("XDG_DATA_HOME");
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    unsetenv("HOME");
    int rc = odo_device_db_path(NULL, buf, sizeof(buf), &path, &err);
    if (home) {
        setenv("HOME", home, 1);
        free(home);
    }
    ASSERT_EQ(rc, ODO_EINVAL);
    ASSERT(path == NULL);
    ASSERT_CONTAINS(err.msg, "--db");
    test_rmdir(dir);
}

static void test_db_path_that_does_not_fit_the_buffer_is_refused_before_creating_anything(void)
{
    char dir[256], buf[16], made[300];
    const char *path;
    struct odo_err err;
    struct stat st;

    test_tmpdir(dir);
    clean_env(dir);
    ASSERT_EQ(odo_device_db_path(NULL, buf, sizeof(buf), &path, &err), ODO_ETOOBIG);
    snprintf(made, sizeof(made), "%s/xdg", dir);
    ASSERT(stat(made, &st) != 0);
    test_rmdir(dir);
}

static void test_vpic_path_is_ODOLOG_VPIC_else_beside_the_database(void)
{
    char dir[256], want[400];

    test_tmpdir(dir);
    clean_env(dir);
    setenv("ODOLOG_VPIC", "/data/vpic.db", 1);
    ASSERT_STR(vpic_path("/var/lib/odolog/o.db"), "/data/vpic.db");
    setenv("ODOLOG_VPIC", "", 1);
    ASSERT_STR(vpic_path("/var/lib/odolog/o.db"), "/var/lib/odolog/vpic.db");
    ASSERT_STR(vpic_path("o.db"), "./vpic.db");
    /* No database given: beside the one the database rule names. */
    setenv("ODOLOG_DB", "/srv/car/odolog.db", 1);
    ASSERT_STR(vpic_path(NULL), "/srv/car/vpic.db");
    unsetenv("ODOLOG_DB");
    snprintf(want, sizeof(want), "%s/xdg/odolog/vpic.db", dir);
    ASSERT_STR(vpic_path(NULL), want);
    test_rmdir(dir);
}

static void test_vpic_path_that_does_not_fit_is_refused_with_a_sentence(void)
{
    char buf[12];
    const char *path;
    struct odo_err err;

    unsetenv("ODOLOG_VPIC");
    ASSERT_EQ(odo_device_vpic_path("/a/long/directory/o.db", buf, sizeof(buf), &path, &err),
              ODO_ETOOBIG);
    ASSERT_CONTAINS(err.msg, "ODOLOG_VPIC");
}

static void test_user_is_the_option_then_ODOLOG_USER_then_default(void)
{
    unsetenv("ODOLOG_USER");
    ASSERT_STR(odo_device_user(NULL), "default");
    setenv("ODOLOG_USER", "", 1);
    ASSERT_STR(odo_device_user(NULL), "default");
    setenv("ODOLOG_USER", "alice", 1);
    ASSERT_STR(odo_device_user(NULL), "alice");
    ASSERT_STR(odo_device_user("bob"), "bob");
    ASSERT_STR(odo_device_user(""), ""); /* given but empty: left for odo_user_check to refuse */
    unsetenv("ODOLOG_USER");
}

static void test_this_year_is_the_local_calendar_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    int year;

    localtime_r(&now, &tm);
    year = odo_device_this_year();
    /* A new year may begin between the two readings. */
    ASSERT(year == tm.tm_year + 1900 || year == tm.tm_year + 1901);
}

/* A store in its own directory and a lookup that decodes from the VIN alone. */
struct fixture {
    char dir[256], path[300];
    struct odo_store *s;
    struct odo_vin_lookup *l;
    struct odo_err err;
};

static void setup(struct fixture *f)
{
    struct odo_vin_lookup_options o = {NULL, false, false, 0};

    memset(f, 0, sizeof(*f));
    test_tmpdir(f->dir);
    snprintf(f->path, sizeof(f->path), "%s/o.db", f->dir);
    ASSERT_OK(odo_store_open(f->path, NULL, &f->s, &f->err), &f->err);
    ASSERT_OK(odo_vin_lookup_open(f->s, "alice", &o, &f->l, &f->err), &f->err);
}

static void teardown(struct fixture *f)
{
    odo_vin_lookup_close(f->l);
    odo_store_close(f->s);
    test_rmdir(f->dir);
}

static int count_one(const struct odo_vehicle *v, void *ctx)
{
    (void)v;
    (*(int *)ctx)++;
    return 0;
}

static int vehicles_of(struct fixture *f, const char *user)
{
    int n = 0;
    ASSERT_OK(odo_vehicle_list(f->s, user, true, count_one, &n, &f->err), &f->err);
    return n;
}

static void test_scan_of_text_that_is_no_VIN_is_refused_and_stores_nothing(void)
{
    struct fixture f;
    struct odo_device_scan r;

    setup(&f);
    ASSERT_OK(odo_device_scan_register(f.l, f.s, "alice", "NOT-A-VIN", false, &r, &f.err), &f.err);
    ASSERT_EQ(r.result, ODO_DEVICE_SCAN_REFUSED);
    ASSERT_STR(r.vin, "");
    ASSERT(r.why[0] != '\0');
    /* A wrong check digit on a North-American VIN is binding. */
    ASSERT_OK(odo_device_scan_register(f.l, f.s, "alice", "1FTFW5L87RFB45612", false, &r, &f.err),
              &f.err);
    ASSERT_EQ(r.result, ODO_DEVICE_SCAN_REFUSED);
    ASSERT_CONTAINS(r.why, "check digit");
    /* What the scanner cut is refused whatever it holds. */
    ASSERT_OK(odo_device_scan_register(f.l, f.s, "alice", VIN, true, &r, &f.err), &f.err);
    ASSERT_EQ(r.result, ODO_DEVICE_SCAN_REFUSED);
    ASSERT_STR(r.why, "too long to be a VIN");
    ASSERT_EQ(vehicles_of(&f, "alice"), 0);
    teardown(&f);
}

static void test_scan_without_a_store_decodes_and_registers_nothing(void)
{
    struct fixture f;
    struct odo_device_scan r;

    setup(&f);
    ASSERT_OK(odo_device_scan_register(f.l, NULL, "alice", "*" VIN "*", false, &r, &f.err), &f.err);
    ASSERT_EQ(r.result, ODO_DEVICE_SCAN_DECODED);
    ASSERT_STR(r.vin, VIN); /* the Code 39 start and stop characters are gone */
    ASSERT_STR(r.decoded.vin, VIN);
    ASSERT_STR(r.decoded.source, "vin");
    ASSERT_EQ(r.decoded.model_year, 2024);
    ASSERT_CONTAINS(r.note, "vPIC");
    ASSERT_EQ(vehicles_of(&f, "alice"), 0);
    teardown(&f);
}

static void test_scan_registers_a_new_VIN_in_the_users_distance_unit_then_finds_it_again(void)
{
    struct fixture f;
    struct odo_device_scan first, again;
    struct odo_settings set;

    setup(&f);
    odo_settings_default(ODO_UNITS_US, &set);
    ASSERT_OK(odo_settings_save(f.s, "alice", &set, &f.err), &f.err);
    ASSERT_OK(odo_device_scan_register(f.l, f.s, "alice", VIN, false, &first, &f.err), &f.err);
    ASSERT_EQ(first.result, ODO_DEVICE_SCAN_ADDED);
    ASSERT_STR(first.vehicle.vin, VIN);
    ASSERT_EQ(first.vehicle.odometer_unit, ODO_DIST_MI);
    ASSERT_OK(
        odo_device_scan_register(f.l, f.s, "alice", " 1ftfw5l86rfb45612 ", false, &again, &f.err),
        &f.err);
    ASSERT_EQ(again.result, ODO_DEVICE_SCAN_KNOWN);
    ASSERT_STR(again.vehicle.id, first.vehicle.id);
    ASSERT_EQ(vehicles_of(&f, "alice"), 1);
    teardown(&f);
}

static void test_scan_registers_for_the_user_given_and_no_other(void)
{
    struct fixture f;
    struct odo_device_scan r;

    setup(&f);
    ASSERT_OK(odo_device_scan_register(f.l, f.s, "alice", VIN, false, &r, &f.err), &f.err);
    ASSERT_EQ(r.result, ODO_DEVICE_SCAN_ADDED);
    ASSERT_EQ(r.vehicle.odometer_unit, ODO_DIST_KM); /* alice never chose: metric */
    ASSERT_OK(odo_device_scan_register(f.l, f.s, "bob", VIN, false, &r, &f.err), &f.err);
    ASSERT_EQ(r.result, ODO_DEVICE_SCAN_ADDED); /* bob's logbook did not have it */
    ASSERT_EQ(vehicles_of(&f, "alice"), 1);
    ASSERT_EQ(vehicles_of(&f, "bob"), 1);
    teardown(&f);
}

static void test_scan_for_an_invalid_user_fails_with_the_stores_sentence(void)
{
    struct fixture f;
    struct odo_device_scan r;

    setup(&f);
    ASSERT_EQ(odo_device_scan_register(f.l, f.s, "no spaces", VIN, false, &r, &f.err), ODO_EINVAL);
    ASSERT_STR(r.vin, VIN); /* the caller can say which VIN was not registered */
    ASSERT(f.err.msg[0] != '\0');
    teardown(&f);
}

RUN_TESTS(TEST_CASE(test_db_path_is_the_option_then_ODOLOG_DB_then_the_data_directory),
          TEST_CASE(test_db_path_without_a_data_directory_is_refused_with_a_sentence),
          TEST_CASE(test_db_path_that_does_not_fit_the_buffer_is_refused_before_creating_anything),
          TEST_CASE(test_vpic_path_is_ODOLOG_VPIC_else_beside_the_database),
          TEST_CASE(test_vpic_path_that_does_not_fit_is_refused_with_a_sentence),
          TEST_CASE(test_user_is_the_option_then_ODOLOG_USER_then_default),
          TEST_CASE(test_this_year_is_the_local_calendar_year),
          TEST_CASE(test_scan_of_text_that_is_no_VIN_is_refused_and_stores_nothing),
          TEST_CASE(test_scan_without_a_store_decodes_and_registers_nothing),
          TEST_CASE(test_scan_registers_a_new_VIN_in_the_users_distance_unit_then_finds_it_again),
          TEST_CASE(test_scan_registers_for_the_user_given_and_no_other),
          TEST_CASE(test_scan_for_an_invalid_user_fails_with_the_stores_sentence))
