/*
 * What a person types, read by the rules every front end shares (storage/entry.h): a fill-up
 * entered field by field and edited, the field a refusal is about, the last fill-up offered to
 * the next, and the device's users with their PINs, on real SQLite files.
 */
#include "storage/entry.h"
#include "storage/fuel.h"
#include "storage/settings.h"
#include "storage/store.h"
#include "storage/users.h"
#include "storage/vehicles.h"
#include "test.h"

#include "store_fixture.h"

/* The store of store_fixture.h, with the user's settings and her one vehicle. */
struct fixture {
    struct store_fixture db;
    struct odo_settings set;
    struct odo_vehicle v;
};

static void setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    fixture_setup(&f->db);
    odo_settings_default(ODO_UNITS_METRIC, &f->set);
    f->v = fixture_vehicle(&f->db, "alice", "Golf", "");
}

/* Saves what was typed as a new fill-up; returns the result and the field blamed. */
static int add(struct fixture *f, const struct odo_fuel_entry *e, struct odo_fuel_log *out,
               enum odo_fuel_field *field)
{
    int rc;

    odo_fuel_entry_start(&f->v, &f->set, fixture_at("2026-03-01T10:00:00Z"), out);
    if ((rc = odo_fuel_entry_apply(e, &f->set, out, field, &f->db.err)))
        return rc;
    return odo_fuel_save(f->db.s, "alice", out, true, field, &f->db.err);
}

static void test_a_typed_fill_up_gets_its_total_from_the_price_and_the_users_currency(void)
{
    struct fixture f;
    struct odo_fuel_entry e = {
        .odometer = "1000", .volume = "40.5", .price = "1.799", .full = 0, .missed = -1};
    struct odo_fuel_log l;

    setup(&f);
    ASSERT_OK(add(&f, &e, &l, NULL), &f.db.err);
    ASSERT_EQ(l.odometer, 10000);
    ASSERT_EQ(l.volume, 40500);
    ASSERT_EQ(l.total_cost, 7286); /* 40.5 * 1.799 = 72.8595 */
    ASSERT_STR(l.currency, "EUR");
    ASSERT(!l.full);
    ASSERT(!l.missed);
    fixture_teardown(&f.db);
}

static void test_editing_the_total_recomputes_the_price_and_a_new_volume_keeps_the_price(void)
{
    struct fixture f;
    struct odo_fuel_entry e = {
        .odometer = "1000", .volume = "40", .price = "2", .full = -1, .missed = -1};
    struct odo_fuel_entry total = {.total = "100", .full = -1, .missed = -1};
    struct odo_fuel_entry volume = {.volume = "50", .full = -1, .missed = 1};
    struct odo_fuel_log l;

    setup(&f);
    ASSERT_OK(add(&f, &e, &l, NULL), &f.db.err);
    ASSERT_OK(odo_fuel_entry_apply(&total, &f.set, &l, NULL, &f.db.err), &f.db.err);
    ASSERT_OK(odo_fuel_save(f.db.s, "alice", &l, false, NULL, &f.db.err), &f.db.err);
    ASSERT_EQ(l.unit_price, 2500);
    ASSERT_OK(odo_fuel_entry_apply(&volume, &f.set, &l, NULL, &f.db.err), &f.db.err);
    ASSERT_OK(odo_fuel_save(f.db.s, "alice", &l, false, NULL, &f.db.err), &f.db.err);
    ASSERT_EQ(l.unit_price, 2500);
    ASSERT_EQ(l.total_cost, 12500);
    ASSERT(l.missed);
    fixture_teardown(&f.db);
}

static void test_each_refusal_names_the_field_it_is_about(void)
{
    static const struct {
        struct odo_fuel_entry e;
        enum odo_fuel_field field;
        const char *words;
    } cases[] = {
        {{.odometer = "", .volume = "1", .full = -1, .missed = -1},
         ODO_FUEL_FIELD_ODOMETER,
         "the odometer is empty"},
        {{.odometer = "5", .volume = "abc", .full = -1, .missed = -1},
         ODO_FUEL_FIELD_VOLUME,
         "the volume 'abc' is not a number"},
        {{.odometer = "5", .volume = "5000", .full = -1, .missed = -1},
         ODO_FUEL_FIELD_VOLUME,
         "is not plausible"},
        {{.odometer = "5", .volume = "5", .price = "-1", .full = -1, .missed = -1},
         ODO_FUEL_FIELD_PRICE,
         "the price must not be negative"},
        {{.odometer = "5", .volume = "5", .total = "1.234", .full = -1, .missed = -1},
         ODO_FUEL_FIELD_TOTAL,
         "more than 2 decimals"},
        {{.odometer = "5", .volume = "5", .date = "2026-02-30", .full = -1, .missed = -1},
         ODO_FUEL_FIELD_DATE,
         ""},
        {{.odometer = "500", .volume = "5", .full = -1, .missed = -1},
         ODO_FUEL_FIELD_ODOMETER,
         "odometer"},
    };
    struct fixture f;
    struct odo_fuel_entry first = {.odometer = "1000", .volume = "30", .full = -1, .missed = -1};
    struct odo_fuel_log l;

    setup(&f);
    ASSERT_OK(add(&f, &first, &l, NULL), &f.db.err);
    for (size_t i = 0; i < ODO_ARRAY_LEN(cases); i++) {
        enum odo_fuel_field field = ODO_FUEL_FIELD_NONE;
        struct odo_fuel_entry e = cases[i].e;
        if (i == ODO_ARRAY_LEN(cases) - 1)
            e.date = "2026-03-02 09:00"; /* after the 1000 km fill: 500 goes backwards */
        ASSERT_EQ(add(&f, &e, &l, &field), ODO_EINVAL);
        ASSERT_EQ(field, cases[i].field);
        ASSERT_CONTAINS(f.db.err.msg, cases[i].words);
    }
    fixture_teardown(&f.db);
}

static void test_the_last_fill_up_is_offered_per_vehicle_and_for_the_user(void)
{
    struct fixture f;
    struct odo_fuel_entry a = {.odometer = "1000",
                               .volume = "30",
                               .price = "1.5",
                               .station = "Shell",
                               .date = "2026-01-01",
                               .full = -1,
                               .missed = -1};
    struct odo_fuel_entry b = {.odometer = "1500",
                               .volume = "30",
                               .price = "1.6",
                               .station = "Aral",
                               .date = "2026-01-20",
                               .full = -1,
                               .missed = -1};
    struct odo_fuel_log l, last;

    setup(&f);
    ASSERT_EQ(odo_fuel_last(f.db.s, "alice", NULL, &last, &f.db.err), ODO_ENOTFOUND);
    ASSERT_OK(add(&f, &a, &l, NULL), &f.db.err);
    ASSERT_OK(add(&f, &b, &l, NULL), &f.db.err);
    ASSERT_OK(odo_fuel_last(f.db.s, "alice", f.v.id, &last, &f.db.err), &f.db.err);
    ASSERT_STR(last.station, "Aral");
    ASSERT_EQ(last.unit_price, 1600);
    ASSERT_OK(odo_fuel_remove(f.db.s, "alice", last.id, &f.db.err), &f.db.err);
    ASSERT_OK(odo_fuel_last(f.db.s, "alice", NULL, &last, &f.db.err), &f.db.err);
    ASSERT_STR(last.station, "Shell");
    ASSERT_EQ(odo_fuel_last(f.db.s, "bob", NULL, &last, &f.db.err), ODO_ENOTFOUND);
    fixture_teardown(&f.db);
}

static int collect(const char *user, void *ctx)
{
    char *out = ctx;
    strcat(out, user);
    strcat(out, " ");
    return 0;
}

static void test_users_are_listed_and_a_pin_is_checked_without_being_stored(void)
{
    struct fixture f;
    struct odo_vehicle v = {.name = "van"};
    char users[256] = "", raw[256];
    bool has, ok;

    setup(&f);
    ASSERT_OK(odo_settings_save(f.db.s, "carol", &f.set, &f.db.err), &f.db.err);
    ASSERT_OK(odo_vehicle_add(f.db.s, "bob", &v, &f.db.err), &f.db.err);
    ASSERT_OK(odo_users_list(f.db.s, collect, users, &f.db.err), &f.db.err);
    ASSERT_STR(users, "alice bob carol ");

    ASSERT_OK(odo_users_has_pin(f.db.s, "alice", &has, &f.db.err), &f.db.err);
    ASSERT(!has);
    ASSERT_OK(odo_users_pin_check(f.db.s, "alice", "", &ok, &f.db.err), &f.db.err);
    ASSERT(ok);
    ASSERT_EQ(odo_users_pin_set(f.db.s, "alice", "12a4", &f.db.err), ODO_EINVAL);
    ASSERT_STR(f.db.err.msg, "a PIN is 4 to 12 digits");
    ASSERT_EQ(odo_users_pin_set(f.db.s, "alice", "123", &f.db.err), ODO_EINVAL);
    ASSERT_OK(odo_users_pin_set(f.db.s, "alice", "90817263", &f.db.err), &f.db.err);
    ASSERT_OK(odo_users_has_pin(f.db.s, "alice", &has, &f.db.err), &f.db.err);
    ASSERT(has);
    ASSERT_OK(odo_users_pin_check(f.db.s, "alice", "90817263", &ok, &f.db.err), &f.db.err);
    ASSERT(ok);
    ASSERT_OK(odo_users_pin_check(f.db.s, "alice", "90817264", &ok, &f.db.err), &f.db.err);
    ASSERT(!ok);
    ASSERT_OK(odo_users_pin_check(f.db.s, "bob", "90817264", &ok, &f.db.err), &f.db.err);
    ASSERT(ok);
    /* The settings still load, and the PIN itself is nowhere in the file. */
    ASSERT_OK(odo_settings_load(f.db.s, "alice", &f.set, &f.db.err), &f.db.err);
    /* The look-only connection goes first, so that closing the store (the last connection)
     * checkpoints everything into the file read below. */
    sqlite3_close(f.db.look);
    f.db.look = NULL;
    odo_store_close(f.db.s);
    f.db.s = NULL;
    {
        FILE *fp = fopen(f.db.path, "rb");
        size_t n;
        bool seen = false;
        ASSERT(fp);
        while ((n = fread(raw, 1, sizeof(raw) - 1, fp)) > 0) {
            raw[n] = '\0';
            for (size_t i = 0; i + 8 <= n; i++)
                seen |= memcmp(raw + i, "90817263", 8) == 0;
        }
        fclose(fp);
        ASSERT(!seen);
    }
    fixture_open_store(&f.db);
    ASSERT_OK(odo_users_pin_set(f.db.s, "alice", NULL, &f.db.err), &f.db.err);
    ASSERT_OK(odo_users_has_pin(f.db.s, "alice", &has, &f.db.err), &f.db.err);
    ASSERT(!has);
    fixture_teardown(&f.db);
}

RUN_TESTS(TEST_CASE(test_a_typed_fill_up_gets_its_total_from_the_price_and_the_users_currency),
          TEST_CASE(test_editing_the_total_recomputes_the_price_and_a_new_volume_keeps_the_price),
          TEST_CASE(test_each_refusal_names_the_field_it_is_about),
          TEST_CASE(test_the_last_fill_up_is_offered_per_vehicle_and_for_the_user),
          TEST_CASE(test_users_are_listed_and_a_pin_is_checked_without_being_stored))
