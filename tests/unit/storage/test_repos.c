/*
 * The logbook's rules through the storage API, on real SQLite files: user isolation, VIN
 * uniqueness, soft delete with cascade and restore, the monotonic odometer, fuel prices,
 * maintenance recurrence, reminders, settings and reports.
 */
#include "storage/fuel.h"
#include "storage/maintenance.h"
#include "storage/odometer.h"
#include "storage/reminders.h"
#include "storage/renewals.h"
#include "storage/settings.h"
#include "storage/stats.h"
#include "storage/store.h"
#include "storage/vehicles.h"
#include "test.h"

#include "store_fixture.h"

static int count_cb(const struct odo_vehicle *v, void *ctx)
{
    (void)v;
    ++*(int *)ctx;
    return 0;
}

static void test_users_never_see_or_touch_each_others_rows(void)
{
    struct store_fixture f;
    struct odo_vehicle a, got;
    struct odo_fuel_log l;
    int n = 0;

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "Civic", "2HKRW2H20NH207506");
    l = fixture_fill(a.id, fixture_at("2026-06-01"), 410000, 40000);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l, &f.err), &f.err);
    ASSERT_OK(odo_vehicle_list(f.s, "bob", true, count_cb, &n, &f.err), &f.err);
    ASSERT_EQ(n, 0);
    ASSERT_EQ(odo_vehicle_get(f.s, "bob", a.id, &got, &f.err), ODO_ENOTFOUND);
    ASSERT_EQ(odo_vehicle_resolve(f.s, "bob", "Civic", true, &got, &f.err), ODO_ENOTFOUND);
    ASSERT_EQ(odo_vehicle_resolve(f.s, "bob", a.vin, true, &got, &f.err), ODO_ENOTFOUND);
    ASSERT_EQ(odo_vehicle_remove(f.s, "bob", a.id, &f.err), ODO_ENOTFOUND);
    ASSERT_EQ(odo_fuel_remove(f.s, "bob", l.id, &f.err), ODO_ENOTFOUND);
    ASSERT_EQ(odo_fuel_resolve(f.s, "bob", l.id, &l, &f.err), ODO_ENOTFOUND);
    /* Bob cannot hang his fuel log on Alice's vehicle either. */
    l = fixture_fill(a.id, fixture_at("2026-06-02"), 410500, 10000);
    ASSERT_EQ(odo_fuel_add(f.s, "bob", &l, &f.err), ODO_ENOTFOUND);
    /* The same VIN may be registered by another user. */
    fixture_vehicle(&f, "bob", "His Civic", "2HKRW2H20NH207506");
    ASSERT_OK(odo_vehicle_get(f.s, "alice", a.id, &got, &f.err), &f.err);
    ASSERT_EQ(got.odometer, 410000);
    fixture_teardown(&f);
}

static void test_a_vin_is_unique_among_a_users_live_vehicles(void)
{
    struct store_fixture f;
    struct odo_vehicle a, b;

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "Civic", "2hkrw2h20nh207506");
    ASSERT_STR(a.vin, "2HKRW2H20NH207506");
    ASSERT_EQ(a.model_year, 2022); /* from the VIN */
    memset(&b, 0, sizeof(b));
    snprintf(b.vin, sizeof(b.vin), "%s", "2HKRW2H20NH207506");
    ASSERT_EQ(odo_vehicle_add(f.s, "alice", &b, &f.err), ODO_EEXIST);
    ASSERT_CONTAINS(f.err.msg, "Civic");
    /* Once the first is deleted the VIN is free; restoring the first then collides. */
    ASSERT_OK(odo_vehicle_remove(f.s, "alice", a.id, &f.err), &f.err);
    b = fixture_vehicle(&f, "alice", "Civic again", "2HKRW2H20NH207506");
    ASSERT_EQ(odo_vehicle_restore(f.s, "alice", a.id, &f.err), ODO_EEXIST);
    ASSERT_OK(odo_vehicle_get(f.s, "alice", a.id, &a, &f.err), &f.err);
    ASSERT(a.deleted_at[0] != '\0');
    fixture_teardown(&f);
}

static void test_an_invalid_vin_or_missing_name_is_refused(void)
{
    struct store_fixture f;
    struct odo_vehicle v;

    fixture_setup(&f);
    memset(&v, 0, sizeof(v));
    snprintf(v.vin, sizeof(v.vin), "1HGCM82643A004352");
    ASSERT_EQ(odo_vehicle_add(f.s, "alice", &v, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "check digit");
    memset(&v, 0, sizeof(v));
    ASSERT_EQ(odo_vehicle_add(f.s, "alice", &v, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "needs a name");
    memset(&v, 0, sizeof(v));
    snprintf(v.name, sizeof(v.name), "bad\x01name");
    ASSERT_EQ(odo_vehicle_add(f.s, "alice", &v, &f.err), ODO_EINVAL);
    ASSERT_EQ(odo_vehicle_add(f.s, "", &v, &f.err), ODO_EINVAL);
    ASSERT_EQ(odo_vehicle_add(f.s, "bob smith", &v, &f.err), ODO_EINVAL);
    fixture_teardown(&f);
}

struct kids {
    int fuel, maint, renewals;
};

static int kid_fuel(const struct odo_fuel_log *l, bool reset, void *ctx)
{
    (void)l;
    (void)reset;
    ((struct kids *)ctx)->fuel++;
    return 0;
}

static int kid_maint(const struct odo_maint *m, void *ctx)
{
    (void)m;
    ((struct kids *)ctx)->maint++;
    return 0;
}

static int kid_renewal(const struct odo_renewal *r, void *ctx)
{
    (void)r;
    ((struct kids *)ctx)->renewals++;
    return 0;
}

static struct kids count_kids(struct store_fixture *f, const char *vehicle_id)
{
    struct kids k = {0};
    ASSERT_OK(odo_fuel_list(f->s, "alice", vehicle_id, kid_fuel, &k, &f->err), &f->err);
    ASSERT_OK(odo_maint_list(f->s, "alice", vehicle_id, kid_maint, &k, &f->err), &f->err);
    ASSERT_OK(odo_renewal_list(f->s, "alice", vehicle_id, kid_renewal, &k, &f->err), &f->err);
    return k;
}

static void test_deleting_a_vehicle_cascades_and_restoring_brings_back_exactly_those(void)
{
    struct store_fixture f;
    struct odo_vehicle v, got;
    struct odo_fuel_log l1, l2, l3;
    struct odo_maint m;
    struct odo_renewal r;
    struct kids k;

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    l1 = fixture_fill(v.id, fixture_at("2026-05-01"), 100000, 40000);
    l2 = fixture_fill(v.id, fixture_at("2026-05-10"), 105000, 40000);
    l3 = fixture_fill(v.id, fixture_at("2026-05-20"), 110000, 40000);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l1, &f.err), &f.err);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l2, &f.err), &f.err);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l3, &f.err), &f.err);
    memset(&m, 0, sizeof(m));
    snprintf(m.vehicle_id, sizeof(m.vehicle_id), "%s", v.id);
    snprintf(m.type, sizeof(m.type), "oil_change");
    m.due_date = ODO_NO_DATE;
    m.last_done_date = ODO_NO_DATE;
    m.due_odometer = 150000;
    m.last_done_odometer = ODO_NONE;
    ASSERT_OK(odo_maint_add(f.s, "alice", &m, &f.err), &f.err);
    memset(&r, 0, sizeof(r));
    snprintf(r.vehicle_id, sizeof(r.vehicle_id), "%s", v.id);
    r.kind = ODO_RENEWAL_INSURANCE;
    r.cost = ODO_NONE;
    ASSERT_OK(odo_date_parse("2026-01-01", &r.valid_from, NULL), (struct odo_err *)NULL);
    ASSERT_OK(odo_date_parse("2026-12-31", &r.valid_until, NULL), (struct odo_err *)NULL);
    ASSERT_OK(odo_renewal_add(f.s, "alice", &r, &f.err), &f.err);

    /* One fill-up was deleted on its own, earlier: it must stay deleted after the restore. */
    f.now_ms += 1000;
    ASSERT_OK(odo_fuel_remove(f.s, "alice", l2.id, &f.err), &f.err);
    f.now_ms += 1000;
    ASSERT_OK(odo_vehicle_remove(f.s, "alice", v.id, &f.err), &f.err);
    ASSERT_OK(odo_vehicle_get(f.s, "alice", v.id, &got, &f.err), &f.err);
    ASSERT(got.deleted_at[0]);
    k = count_kids(&f, v.id);
    ASSERT_EQ(k.fuel + k.maint + k.renewals, 0);
    ASSERT_OK(odo_fuel_get(f.s, "alice", l3.id, &l3, &f.err), &f.err);
    ASSERT_STR(l3.deleted_at, got.deleted_at); /* the same deleted_at as the vehicle */
    ASSERT_OK(odo_fuel_get(f.s, "alice", l2.id, &l2, &f.err), &f.err);
    ASSERT(strcmp(l2.deleted_at, got.deleted_at) != 0);
    /* A deleted vehicle takes no new records. */
    l1 = fixture_fill(v.id, fixture_at("2026-06-01"), 120000, 40000);
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l1, &f.err), ODO_ENOTFOUND);

    f.now_ms += 1000;
    ASSERT_OK(odo_vehicle_restore(f.s, "alice", v.id, &f.err), &f.err);
    k = count_kids(&f, v.id);
    ASSERT_EQ(k.fuel, 2);
    ASSERT_EQ(k.maint, 1);
    ASSERT_EQ(k.renewals, 1);
    ASSERT_OK(odo_fuel_get(f.s, "alice", l2.id, &l2, &f.err), &f.err);
    ASSERT(l2.deleted_at[0]);
    ASSERT_EQ(odo_vehicle_restore(f.s, "alice", v.id, &f.err), ODO_ENOTFOUND);
    fixture_teardown(&f);
}

static void test_vehicles_resolve_by_id_part_vin_or_name(void)
{
    struct store_fixture f;
    struct odo_vehicle a, b, got;
    char part[16];

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "Civic", "2HKRW2H20NH207506");
    b = fixture_vehicle(&f, "alice", "Van", "");
    ASSERT_OK(odo_vehicle_resolve(f.s, "alice", "civic", false, &got, &f.err), &f.err);
    ASSERT_STR(got.id, a.id);
    ASSERT_OK(odo_vehicle_resolve(f.s, "alice", "2hkrw2h20nh207506", false, &got, &f.err), &f.err);
    ASSERT_STR(got.id, a.id);
    snprintf(part, sizeof(part), "%s", b.id + strlen(b.id) - 8);
    ASSERT_OK(odo_vehicle_resolve(f.s, "alice", part, false, &got, &f.err), &f.err);
    ASSERT_STR(got.id, b.id);
    ASSERT_OK(odo_vehicle_resolve(f.s, "alice", b.id, false, &got, &f.err), &f.err);
    ASSERT_STR(got.id, b.id);
    /* Both ids start with the same milliseconds: a short prefix is ambiguous. */
    snprintf(part, sizeof(part), "%.6s", a.id);
    ASSERT_EQ(odo_vehicle_resolve(f.s, "alice", part, false, &got, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "more than one");
    ASSERT_EQ(odo_vehicle_resolve(f.s, "alice", "Truck", false, &got, &f.err), ODO_ENOTFOUND);
    ASSERT_EQ(odo_vehicle_only(f.s, "alice", &got, &f.err), ODO_EINVAL);
    fixture_teardown(&f);
}

static void test_the_odometer_never_goes_backwards_unless_forced(void)
{
    struct store_fixture f;
    struct odo_vehicle v, got;
    struct odo_fuel_log l;
    struct odo_reading r;

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    l = fixture_fill(v.id, fixture_at("2026-05-10"), 105000, 40000);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l, &f.err), &f.err);
    /* Later but lower. */
    l = fixture_fill(v.id, fixture_at("2026-05-20"), 104000, 40000);
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "lower than 10500");
    ASSERT_CONTAINS(f.err.msg, "--forced");
    /* Earlier but higher. */
    l = fixture_fill(v.id, fixture_at("2026-05-01"), 106000, 40000);
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "recorded later");
    /* Earlier and lower fits in. */
    l = fixture_fill(v.id, fixture_at("2026-05-01"), 100000, 40000);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l, &f.err), &f.err);
    /* A cluster swap: a forced reading may go down and starts a new series. */
    memset(&r, 0, sizeof(r));
    snprintf(r.vehicle_id, sizeof(r.vehicle_id), "%s", v.id);
    r.read_at = fixture_at("2026-05-25");
    r.odometer = 500;
    ASSERT_EQ(odo_odometer_add(f.s, "alice", &r, &f.err), ODO_EINVAL);
    r.forced = true;
    ASSERT_OK(odo_odometer_add(f.s, "alice", &r, &f.err), &f.err);
    struct odo_fuel_log after_swap = fixture_fill(v.id, fixture_at("2026-06-01"), 3000, 40000);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &after_swap, &f.err), &f.err);
    l = fixture_fill(v.id, fixture_at("2026-06-02"), 400, 40000); /* below the new series */
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    /* The current odometer is the latest reading of any kind. */
    ASSERT_OK(odo_vehicle_get(f.s, "alice", v.id, &got, &f.err), &f.err);
    ASSERT_EQ(got.odometer, 3000);
    /* An edit is checked against the other readings, not against the row's old value. */
    after_swap.odometer = 3100;
    ASSERT_OK(odo_fuel_update(f.s, "alice", &after_swap, &f.err), &f.err);
    after_swap.odometer = 400;
    ASSERT_EQ(odo_fuel_update(f.s, "alice", &after_swap, &f.err), ODO_EINVAL);
    ASSERT_OK(odo_vehicle_get(f.s, "alice", v.id, &got, &f.err), &f.err);
    ASSERT_EQ(got.odometer, 3100);
    fixture_teardown(&f);
}

static void test_fuel_price_and_total_complete_each_other_exactly(void)
{
    struct store_fixture f;
    struct odo_vehicle v;
    struct odo_fuel_log l;

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    l = fixture_fill(v.id, fixture_at("2024-01-12"), 413520, 10120);
    l.volume_unit = ODO_VOL_GAL_US;
    l.unit_price = 3149;
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l, &f.err), &f.err);
    ASSERT_EQ(l.total_cost, 3187); /* 10.12 * 3.149 = 31.86788 */
    l = fixture_fill(v.id, fixture_at("2024-01-20"), 415900, 40000);
    l.total_cost = 7529;
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l, &f.err), &f.err);
    ASSERT_EQ(l.unit_price, 1882); /* 75.29 / 40 = 1.88225 */
    ASSERT_OK(odo_fuel_get(f.s, "alice", l.id, &l, &f.err), &f.err);
    ASSERT_EQ(l.unit_price, 1882);
    ASSERT_EQ(l.total_cost, 7529);
    fixture_teardown(&f);
}

static void test_absurd_or_negative_fuel_values_are_refused_and_nothing_is_stored(void)
{
    struct store_fixture f;
    struct odo_vehicle v;
    struct odo_fuel_log l;
    struct kids k;

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 1000, 0);
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 1000, -5000);
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 1000, 2500000); /* 2500 L */
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "not plausible");
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 1000, 600000);
    l.volume_unit = ODO_VOL_GAL_US; /* 600 gallons */
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 1000, 40000);
    l.unit_price = -1000;
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 1000, 40000);
    l.total_cost = 2000000000;
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    l = fixture_fill(v.id, fixture_at("2026-06-20"), 1000,
                     40000); /* five days ahead of the clock */
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "ahead");
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 1000, 40000);
    snprintf(l.currency, sizeof(l.currency), "E1");
    l.total_cost = 100;
    ASSERT_EQ(odo_fuel_add(f.s, "alice", &l, &f.err), ODO_EINVAL);
    k = count_kids(&f, v.id);
    ASSERT_EQ(k.fuel, 0);
    fixture_teardown(&f);
}

static void test_completing_recurring_maintenance_records_service_and_schedules_next(void)
{
    struct store_fixture f;
    struct odo_vehicle v;
    struct odo_maint m, next, dup;
    struct odo_service rec;
    struct odo_fuel_log l;
    char d[ODO_DATE_TEXT_LEN + 1];

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 412000, 40000);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l, &f.err), &f.err);
    memset(&m, 0, sizeof(m));
    snprintf(m.vehicle_id, sizeof(m.vehicle_id), "%s", v.id);
    snprintf(m.type, sizeof(m.type), "Oil Change");
    m.category = ODO_MAINT_ENGINE;
    m.due_date = ODO_NO_DATE;
    m.due_odometer = ODO_NONE;
    m.last_done_date = ODO_NO_DATE;
    m.last_done_odometer = ODO_NONE;
    m.interval_months = 6;
    m.interval_distance = 100000; /* 10,000 km */
    ASSERT_OK(odo_maint_add(f.s, "alice", &m, &f.err), &f.err);
    ASSERT_STR(m.type, "oil_change");
    odo_date_format(m.due_date, d);
    ASSERT_STR(d, "2026-12-15"); /* six months from the clock's today */
    ASSERT_EQ(m.due_odometer, 512000);
    dup = m;
    ASSERT_EQ(odo_maint_add(f.s, "alice", &dup, &f.err), ODO_EEXIST);

    memset(&rec, 0, sizeof(rec));
    rec.performed_at = fixture_at("2026-06-10 09:00");
    rec.odometer = ODO_NONE; /* the current odometer */
    rec.cost = 8950;
    snprintf(rec.currency, sizeof(rec.currency), "EUR");
    ASSERT_OK(odo_maint_complete(f.s, "alice", m.id, &rec, &next, &f.err), &f.err);
    ASSERT_EQ(rec.odometer, 412000);
    ASSERT_STR(rec.description, "oil_change");
    odo_date_format(next.due_date, d);
    ASSERT_STR(d, "2026-12-10");
    ASSERT_EQ(next.due_odometer, 512000);
    odo_date_format(next.last_done_date, d);
    ASSERT_STR(d, "2026-06-10");

    /* A one-off item stops being due once done. */
    memset(&m, 0, sizeof(m));
    snprintf(m.vehicle_id, sizeof(m.vehicle_id), "%s", v.id);
    snprintf(m.type, sizeof(m.type), "recall_fix");
    ASSERT_OK(odo_date_parse("2026-07-01", &m.due_date, NULL), (struct odo_err *)NULL);
    m.due_odometer = ODO_NONE;
    m.last_done_date = ODO_NO_DATE;
    m.last_done_odometer = ODO_NONE;
    ASSERT_OK(odo_maint_add(f.s, "alice", &m, &f.err), &f.err);
    memset(&rec, 0, sizeof(rec));
    rec.performed_at = fixture_at("2026-06-12");
    rec.odometer = 412500;
    rec.cost = ODO_NONE;
    ASSERT_OK(odo_maint_complete(f.s, "alice", m.id, &rec, &next, &f.err), &f.err);
    ASSERT_EQ(next.due_date, ODO_NO_DATE);
    ASSERT_EQ(next.due_odometer, ODO_NONE);
    /* A maintenance item needs something that makes it due. */
    memset(&m, 0, sizeof(m));
    snprintf(m.vehicle_id, sizeof(m.vehicle_id), "%s", v.id);
    snprintf(m.type, sizeof(m.type), "wash");
    m.due_date = m.last_done_date = ODO_NO_DATE;
    m.due_odometer = m.last_done_odometer = ODO_NONE;
    ASSERT_EQ(odo_maint_add(f.s, "alice", &m, &f.err), ODO_EINVAL);
    fixture_teardown(&f);
}

static void test_due_level_is_the_worse_of_date_and_distance(void)
{
    bool by_distance;

    ASSERT_EQ(odo_due_level_of(true, 40, false, 0, 30, 10000, &by_distance), ODO_DUE_OK);
    ASSERT_EQ(odo_due_level_of(true, 30, false, 0, 30, 10000, &by_distance), ODO_DUE_SOON);
    ASSERT_EQ(odo_due_level_of(true, 0, false, 0, 30, 10000, &by_distance), ODO_DUE_SOON);
    ASSERT_EQ(odo_due_level_of(true, -1, false, 0, 30, 10000, &by_distance), ODO_DUE_OVERDUE);
    ASSERT(!by_distance);
    /* The date is far, but the odometer is nearly there: distance comes first. */
    ASSERT_EQ(odo_due_level_of(true, 200, true, 5000, 30, 10000, &by_distance), ODO_DUE_SOON);
    ASSERT(by_distance);
    ASSERT_EQ(odo_due_level_of(true, 10, true, -1, 30, 10000, &by_distance), ODO_DUE_OVERDUE);
    ASSERT(by_distance);
    ASSERT_EQ(odo_due_level_of(false, 0, true, 20000, 30, 10000, &by_distance), ODO_DUE_OK);
}

struct due_seen {
    int n;
    struct odo_due items[8];
};

static int due_cb(const struct odo_due *d, void *ctx)
{
    struct due_seen *s = ctx;
    if (s->n < 8)
        s->items[s->n] = *d;
    s->n++;
    return 0;
}

static void test_due_list_covers_maintenance_and_the_latest_document_of_each_kind(void)
{
    struct store_fixture f;
    struct odo_vehicle v;
    struct odo_maint m;
    struct odo_renewal r;
    struct odo_settings set;
    struct due_seen seen = {0};
    struct odo_fuel_log l;
    int32_t today;

    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    l = fixture_fill(v.id, fixture_at("2026-06-01"), 495000, 40000);
    ASSERT_OK(odo_fuel_add(f.s, "alice", &l, &f.err), &f.err);
    memset(&m, 0, sizeof(m));
    snprintf(m.vehicle_id, sizeof(m.vehicle_id), "%s", v.id);
    snprintf(m.type, sizeof(m.type), "timing_belt");
    ASSERT_OK(odo_date_parse("2027-06-01", &m.due_date, NULL), (struct odo_err *)NULL);
    m.due_odometer = 500000; /* 50,000 km: 500 km to go */
    m.last_done_date = ODO_NO_DATE;
    m.last_done_odometer = ODO_NONE;
    ASSERT_OK(odo_maint_add(f.s, "alice", &m, &f.err), &f.err);
    memset(&r, 0, sizeof(r));
    snprintf(r.vehicle_id, sizeof(r.vehicle_id), "%s", v.id);
    r.kind = ODO_RENEWAL_INSURANCE;
    r.cost = ODO_NONE;
    ASSERT_OK(odo_date_parse("2025-06-01", &r.valid_from, NULL), (struct odo_err *)NULL);
    ASSERT_OK(odo_date_parse("2026-05-31", &r.valid_until, NULL), (struct odo_err *)NULL);
    ASSERT_OK(odo_renewal_add(f.s, "alice", &r, &f.err), &f.err);
    /* Renewed: the new policy is what counts, the expired one is history. */
    ASSERT_OK(odo_date_parse("2026-06-01", &r.valid_from, NULL), (struct odo_err *)NULL);
    ASSERT_OK(odo_date_parse("2026-07-01", &r.valid_until, NULL), (struct odo_err *)NULL);
    ASSERT_OK(odo_renewal_add(f.s, "alice", &r, &f.err), &f.err);

    ASSERT_OK(odo_settings_load(f.s, "alice", &set, &f.err), &f.err);
    today = odo_date_local(f.now_ms);
    ASSERT_OK(odo_due_list(f.s, "alice", today, &set, due_cb, &seen, &f.err), &f.err);
    ASSERT_EQ(seen.n, 2);
    ASSERT_STR(seen.items[0].kind, "maintenance");
    ASSERT_EQ(seen.items[0].level, ODO_DUE_SOON);
    ASSERT(seen.items[0].by_distance);
    ASSERT_EQ(seen.items[0].distance_left, 5000);
    ASSERT_STR(seen.items[1].kind, "insurance");
    ASSERT_EQ(seen.items[1].days_left, 16);
    ASSERT_EQ(seen.items[1].level, ODO_DUE_SOON);
    /* Another user sees none of it. */
    seen.n = 0;
    ASSERT_OK(odo_due_list(f.s, "bob", today, &set, due_cb, &seen, &f.err), &f.err);
    ASSERT_EQ(seen.n, 0);
    fixture_teardown(&f);
}

static void test_settings_round_trip_per_user_with_defaults(void)
{
    struct store_fixture f;
    struct odo_settings set, got;

    fixture_setup(&f);
    ASSERT_OK(odo_settings_load(f.s, "alice", &got, &f.err), &f.err);
    ASSERT(!got.initialised);
    ASSERT_EQ(got.units.econ, ODO_ECON_L_PER_100KM);
    ASSERT_STR(got.currency, "EUR");
    odo_settings_default(ODO_UNITS_UK, &set);
    set.due_soon_days = 14;
    ASSERT_OK(odo_settings_save(f.s, "alice", &set, &f.err), &f.err);
    ASSERT_OK(odo_settings_load(f.s, "alice", &got, &f.err), &f.err);
    ASSERT(got.initialised);
    ASSERT_EQ(got.units.dist, ODO_DIST_MI);
    ASSERT_EQ(got.units.vol, ODO_VOL_L);
    ASSERT_EQ(got.units.econ, ODO_ECON_MPG_UK);
    ASSERT_STR(got.currency, "GBP");
    ASSERT_EQ(got.due_soon_days, 14);
    ASSERT_OK(odo_settings_load(f.s, "bob", &got, &f.err), &f.err);
    ASSERT_EQ(got.units.dist, ODO_DIST_KM);
    snprintf(set.currency, sizeof(set.currency), "eu");
    ASSERT_EQ(odo_settings_save(f.s, "alice", &set, &f.err), ODO_EINVAL);
    fixture_teardown(&f);
}

struct month_seen {
    int n;
    struct odo_month m[4];
};

static int month_cb(const struct odo_month *m, void *ctx)
{
    struct month_seen *s = ctx;
    if (s->n < 4)
        s->m[s->n] = *m;
    s->n++;
    return 0;
}

static void test_stats_in_metric_units_with_monthly_totals_and_a_cluster_swap(void)
{
    struct store_fixture f;
    struct odo_vehicle v;
    struct odo_settings set;
    struct odo_vehicle_stats st;
    struct month_seen months = {0};
    struct odo_reading r;
    struct odo_fuel_log l;
    static const struct {
        const char *when;
        int64_t odo, litres, cents;
    } fills[] = {
        {"2026-03-01T12:00:00Z", 100000, 40000, 6000},
        {"2026-03-15T12:00:00Z", 105000, 40000, 6000}, /* 500 km on 40 L: 8.00 */
        {"2026-04-01T12:00:00Z", 115000, 30000, 4500}, /* 1000 km on 30 L: 3.00 */
        /* cluster swapped here: new odometer reads 10.0 */
        {"2026-04-20T12:00:00Z", 2000, 40000, 6000}, /* baseline of the new series */
        {"2026-05-01T12:00:00Z", 7000, 40000, 6000}, /* 500 km on 40 L */
    };

    setenv("TZ", "UTC", 1);
    fixture_setup(&f);
    v = fixture_vehicle(&f, "alice", "Civic", "");
    for (size_t i = 0; i < ODO_ARRAY_LEN(fills); i++) {
        if (i == 3) {
            memset(&r, 0, sizeof(r));
            snprintf(r.vehicle_id, sizeof(r.vehicle_id), "%s", v.id);
            r.read_at = fixture_at("2026-04-10T12:00:00Z");
            r.odometer = 100;
            r.forced = true;
            ASSERT_OK(odo_odometer_add(f.s, "alice", &r, &f.err), &f.err);
        }
        l = fixture_fill(v.id, fixture_at(fills[i].when), fills[i].odo, fills[i].litres);
        l.total_cost = fills[i].cents;
        snprintf(l.currency, sizeof(l.currency), "EUR");
        ASSERT_OK(odo_fuel_add(f.s, "alice", &l, &f.err), &f.err);
    }
    ASSERT_OK(odo_settings_load(f.s, "alice", &set, &f.err), &f.err);
    ASSERT_OK(odo_stats_vehicle(f.s, "alice", &v, &set, NULL, month_cb, &months, &st, &f.err),
              &f.err);
    ASSERT_EQ(st.fills, 5);
    ASSERT_EQ(st.distance, 20000); /* 2000 km: the swap adds no distance */
    ASSERT_EQ(st.economy, 550);    /* 110 L over 2000 km; the mean of 8, 3 and 8 would be 6.33 */
    ASSERT_EQ(st.counted_fills, 3);
    ASSERT_EQ(st.cost, 28500);
    ASSERT_EQ(st.cost_per_distance, 825); /* 165.00 over 2000 km = 8.25 per 100 km */
    ASSERT_EQ(months.n, 3);
    ASSERT_STR(months.m[0].month, "2026-03");
    ASSERT_EQ(months.m[0].fills, 2);
    ASSERT_EQ(months.m[0].distance, 5000);
    ASSERT_STR(months.m[1].month, "2026-04");
    ASSERT_EQ(months.m[1].distance, 10000);
    ASSERT_EQ(months.m[1].volume, 70000);
    ASSERT_EQ(months.m[2].cost, 6000);
    fixture_teardown(&f);
    unsetenv("TZ");
}

RUN_TESTS(TEST_CASE(test_users_never_see_or_touch_each_others_rows),
          TEST_CASE(test_a_vin_is_unique_among_a_users_live_vehicles),
          TEST_CASE(test_an_invalid_vin_or_missing_name_is_refused),
          TEST_CASE(test_deleting_a_vehicle_cascades_and_restoring_brings_back_exactly_those),
          TEST_CASE(test_vehicles_resolve_by_id_part_vin_or_name),
          TEST_CASE(test_the_odometer_never_goes_backwards_unless_forced),
          TEST_CASE(test_fuel_price_and_total_complete_each_other_exactly),
          TEST_CASE(test_absurd_or_negative_fuel_values_are_refused_and_nothing_is_stored),
          TEST_CASE(test_completing_recurring_maintenance_records_service_and_schedules_next),
          TEST_CASE(test_due_level_is_the_worse_of_date_and_distance),
          TEST_CASE(test_due_list_covers_maintenance_and_the_latest_document_of_each_kind),
          TEST_CASE(test_settings_round_trip_per_user_with_defaults),
          TEST_CASE(test_stats_in_metric_units_with_monthly_totals_and_a_cluster_swap))
