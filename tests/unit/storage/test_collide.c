/*
 * The rules of the store's constraints when synced rows meet, on real SQLite files
 * (storage/replica.h, storage/collide.c; docs/protocol.md, "Collisions"): a pulled row that
 * takes a VIN or a maintenance type a local row holds, merge groups that stay local whole, the
 * derived total of a fill-up, items merged when their vehicles merge, service records following
 * a re-keyed item, rows dropped with their vehicle, and the conflicts list that records what
 * a device lost. After each, SQLite's foreign_key_check finds nothing.
 */
#include "storage/maintenance.h"
#include "storage/replica.h"
#include "test.h"

#include "store_fixture.h"

#define USER  "alice"
#define VIN_A "2HKRW2H20NH207506"
#define WHEN  "2026-06-01T08:00:00.000Z"

/* Ids of rows born centrally (another device). */
#define V1 "01a2013e-f2de-7666-bb2a-000000000001"
#define V2 "01a2013e-f2de-7666-bb2a-000000000002"
#define M1 "01a2013e-f2de-7666-bb2a-000000000011"
#define F1 "01a2013e-f2de-7666-bb2a-000000000021"

static const struct odo_cell null_cell = {ODO_CELL_NULL, 0, NULL};

static struct odo_cell text(const char *s)
{
    return s ? (struct odo_cell){ODO_CELL_TEXT, 0, s} : null_cell;
}

static struct odo_cell num(int64_t i)
{
    return (struct odo_cell){ODO_CELL_INT, i, NULL};
}

/* Applies one pulled row of tbl as the engine does (groups may be NULL). */
static void apply(struct store_fixture *f, const char *tbl, const char *const *cols,
                  const int *groups, int n, const char *id, int64_t rev,
                  const struct odo_cell *cells)
{
    ASSERT_OK(odo_replica_begin_apply(f->s, &f->err), &f->err);
    ASSERT_OK(odo_replica_apply_row(f->s, USER, tbl, cols, groups, n, id, rev, cells, &f->err),
              &f->err);
    ASSERT_OK(odo_replica_end_apply(f->s, true, &f->err), &f->err);
}

static const char *const vehicle_cols[] = {"vin",        "name",       "odometer_unit",
                                           "created_at", "updated_at", "deleted_at"};

static void pull_vehicle(struct store_fixture *f, const char *id, int64_t rev, const char *vin,
                         const char *name)
{
    struct odo_cell c[6] = {text(vin), text(name), text("km"), text(WHEN), text(WHEN), null_cell};
    apply(f, "vehicles", vehicle_cols, NULL, 6, id, rev, c);
}

static const char *const item_cols[] = {"vehicle_id", "type",       "category",  "due_date",
                                        "created_at", "updated_at", "deleted_at"};

static void pull_item(struct store_fixture *f, const char *id, int64_t rev, const char *vehicle,
                      const char *type, const char *due)
{
    struct odo_cell c[7] = {text(vehicle), text(type), text("fluids"), text(due),
                            text(WHEN),    text(WHEN), null_cell};
    apply(f, "maintenance", item_cols, NULL, 7, id, rev, c);
}

/* A local item of type on vehicle, completed once (a service record). */
static struct odo_maint local_item(struct store_fixture *f, const char *vehicle, const char *type,
                                   struct odo_service *rec)
{
    struct odo_maint m;
    memset(&m, 0, sizeof(m));
    snprintf(m.vehicle_id, sizeof(m.vehicle_id), "%s", vehicle);
    snprintf(m.type, sizeof(m.type), "%s", type);
    m.category = ODO_MAINT_FLUIDS;
    m.due_odometer = ODO_NONE;
    m.last_done_date = ODO_NO_DATE;
    m.last_done_odometer = ODO_NONE;
    m.interval_months = 12;
    ASSERT_OK(odo_date_parse("2026-09-01", &m.due_date, &f->err), &f->err);
    ASSERT_OK(odo_maint_add(f->s, USER, &m, &f->err), &f->err);
    memset(rec, 0, sizeof(*rec));
    rec->performed_at = f->now_ms - 86400000;
    rec->odometer = 100000;
    rec->cost = ODO_NONE;
    ASSERT_OK(odo_maint_complete(f->s, USER, m.id, rec, NULL, &f->err), &f->err);
    return m;
}

struct found {
    int n;
    char reason[8][ODO_CONFLICT_REASON_MAX + 1], id[8][ODO_UUID_TEXT_LEN + 1], vals[8][512];
};

static int collect(const struct odo_conflict *c, void *ctx)
{
    struct found *l = ctx;
    if (l->n < 8) {
        snprintf(l->reason[l->n], sizeof(l->reason[0]), "%s", c->reason);
        snprintf(l->id[l->n], sizeof(l->id[0]), "%s", c->row_id);
        snprintf(l->vals[l->n], sizeof(l->vals[0]), "%s", c->vals ? c->vals : "");
    }
    l->n++;
    return 0;
}

static struct found conflicts(struct store_fixture *f)
{
    struct found l;
    memset(&l, 0, sizeof(l));
    ASSERT_OK(odo_replica_conflicts(f->s, USER, collect, &l, &f->err), &f->err);
    return l;
}

/* The user's pending changes, sealed as one batch and refused with reason, as the engine settles
 * such an answer. */
struct seqs {
    int n;
    int64_t seq[16];
    char tbl[16][32], id[16][ODO_UUID_TEXT_LEN + 1];
};

static int take(const struct odo_pending *p, void *ctx)
{
    struct seqs *l = ctx;
    l->seq[l->n] = p->seq;
    snprintf(l->tbl[l->n], sizeof(l->tbl[0]), "%s", p->tbl);
    snprintf(l->id[l->n], sizeof(l->id[0]), "%s", p->row_id);
    return ++l->n == 16;
}

/* Refuses them with reason, or rows of table `tbl` with reason_tbl (tbl may be NULL). */
static void refuse_pending_as(struct store_fixture *f, const char *reason, const char *tbl,
                              const char *reason_tbl)
{
    struct seqs l;
    int64_t batch;

    memset(&l, 0, sizeof(l));
    ASSERT_OK(odo_replica_pending(f->s, USER, 16, take, &l, &f->err), &f->err);
    ASSERT_OK(odo_replica_next_batch(f->s, USER, &batch, &f->err), &f->err);
    ASSERT_OK(odo_replica_seal(f->s, USER, l.seq, l.n, "{}", NULL, batch, &f->err), &f->err);
    ASSERT_OK(odo_replica_begin_apply(f->s, &f->err), &f->err);
    for (int i = 0; i < l.n; i++) {
        const char *why = tbl && strcmp(l.tbl[i], tbl) == 0 ? reason_tbl : reason;
        ASSERT_OK(odo_replica_refused(f->s, USER, l.tbl[i], l.id[i], why, &f->err), &f->err);
    }
    ASSERT_OK(odo_replica_settle(f->s, USER, batch, 0, &f->err), &f->err);
    ASSERT_OK(odo_replica_end_apply(f->s, true, &f->err), &f->err);
}

static void refuse_pending(struct store_fixture *f, const char *reason)
{
    refuse_pending_as(f, reason, NULL, NULL);
}

static void assert_no_orphans(struct store_fixture *f)
{
    ASSERT_EQ(FIXTURE_SQL_INT(f, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

/* ---- a pulled row on a key ------------------------------------------------------------- */

static void test_a_pulled_item_of_a_type_a_new_local_item_has_absorbs_it_and_its_history(void)
{
    struct store_fixture f;
    struct odo_service rec;
    struct odo_maint mine;
    struct found c;
    char out[128];

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, VIN_A, "Van");
    mine = local_item(&f, V1, "oil_change", &rec);
    pull_item(&f, M1, 2, V1, "oil_change", "2026-12-01");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM maintenance"), 1);
    ASSERT_STR(
        fixture_sql(&f, out, sizeof(out), "SELECT due_date FROM maintenance WHERE id = '%s'", M1),
        "2026-12-01");
    ASSERT_STR(fixture_sql(&f, out, sizeof(out),
                           "SELECT maintenance_id FROM service_records WHERE id = '%s'", rec.id),
               M1);
    /* Its insert will not go out (the gateway aliases it if it is on the way already)... */
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE row_id = '%s'", mine.id), 0);
    /* ...and what it held is on the list. */
    c = conflicts(&f);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR(c.id[0], mine.id);
    ASSERT_STR(c.reason[0], ODO_CONFLICT_MERGED);
    ASSERT_CONTAINS(c.vals[0], "\"last_done_odometer\":100000");
    assert_no_orphans(&f);
    fixture_teardown(&f);
}

static void test_a_vin_set_here_and_not_pushed_gives_way_to_a_pulled_vehicle_and_is_listed(void)
{
    struct store_fixture f;
    struct odo_vehicle v;
    struct found c;
    char out[128];

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    ASSERT_OK(odo_vehicle_get(f.s, USER, V1, &v, &f.err), &f.err);
    snprintf(v.vin, sizeof(v.vin), "%s", VIN_A);
    ASSERT_OK(odo_vehicle_update(f.s, USER, &v, &f.err), &f.err);
    pull_vehicle(&f, V2, 2, VIN_A, "Car");
    ASSERT_STR(fixture_vehicle_text(&f, "vin", V2, out), VIN_A);
    ASSERT_STR(fixture_vehicle_text(&f, "vin", V1, out), "");
    /* The change stays marked, so the push makes the gateway agree. */
    ASSERT_CONTAINS(
        fixture_sql(&f, out, sizeof(out), "SELECT cols FROM outbox WHERE row_id = '%s'", V1),
        "\"vin\"");
    c = conflicts(&f);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR(c.reason[0], "vin already registered");
    ASSERT_CONTAINS(c.vals[0], VIN_A);
    fixture_teardown(&f);
}

static void test_a_stale_vin_of_a_synced_vehicle_is_cleared_and_nothing_is_listed(void)
{
    struct store_fixture f;
    char out[128];

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, VIN_A, "Van");
    pull_vehicle(&f, V2, 5, VIN_A, "Car"); /* V1's change that freed it comes later */
    ASSERT_STR(fixture_vehicle_text(&f, "vin", V2, out), VIN_A);
    ASSERT_STR(fixture_vehicle_text(&f, "vin", V1, out), "");
    ASSERT_EQ(conflicts(&f).n, 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 0);
    fixture_teardown(&f);
}

static void test_an_item_restored_here_gives_way_to_a_pulled_item_of_its_type_and_is_listed(void)
{
    struct store_fixture f;
    struct found c;

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    pull_item(&f, M1, 2, V1, "oil_change", "2026-12-01");
    /* Deleted and restored with its vehicle here, while another device added a new one. */
    ASSERT_OK(odo_vehicle_remove(f.s, USER, V1, &f.err), &f.err);
    f.now_ms += 1000;
    ASSERT_OK(odo_vehicle_restore(f.s, USER, V1, &f.err), &f.err);
    pull_item(&f, "01a2013e-f2de-7666-bb2a-000000000012", 3, V1, "oil_change", "2027-01-01");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM maintenance WHERE deleted_at IS NULL"), 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f,
                              "SELECT count(*) FROM maintenance WHERE id = '%s' AND "
                              "deleted_at IS NOT NULL",
                              M1),
              1);
    c = conflicts(&f);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR(c.id[0], M1);
    ASSERT_STR(c.reason[0], "maintenance item already exists");
    fixture_teardown(&f);
}

static void test_a_pulled_row_that_breaks_a_check_is_set_aside_and_listed_with_its_values(void)
{
    static const char *const cols[] = {"vehicle_id", "kind",       "valid_from", "valid_until",
                                       "created_at", "updated_at", "deleted_at"};
    struct odo_cell c[7] = {text(V1),   text("insurance"), text("2026-06-01"), text("2026-01-01"),
                            text(WHEN), text(WHEN),        null_cell};
    struct store_fixture f;
    struct found k;

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    apply(&f, "renewals", cols, NULL, 7, F1, 2, c);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM renewals"), 0);
    k = conflicts(&f);
    ASSERT_EQ(k.n, 1);
    ASSERT_CONTAINS(k.reason[0], ODO_CONFLICT_NOT_APPLIED ": CHECK constraint failed");
    ASSERT_CONTAINS(k.vals[0], "2026-01-01");
    fixture_teardown(&f);
}

/* Fill-up F1 on V1 as pulled at rev: volume, price and total scaled as the store keeps them. */
static void pull_fill(struct store_fixture *f, int64_t rev, int64_t volume, int64_t price,
                      int64_t total)
{
    static const char *const cols[] = {"vehicle_id",  "filled_at",  "odometer",   "volume",
                                       "volume_unit", "unit_price", "total_cost", "is_full",
                                       "missed",      "created_at", "updated_at", "deleted_at"};
    struct odo_cell c[12] = {text(V1),  text(WHEN), num(10000), num(volume),
                             text("L"), num(price), num(total), num(1),
                             num(0),    text(WHEN), text(WHEN), null_cell};
    apply(f, "fuel_logs", cols, NULL, 12, F1, rev, c);
}

/* A fresh store holding V1 and its fill-up F1 of 40 L at 1.500 (60.00), as pulled. */
static struct odo_fuel_log synced_fill(struct store_fixture *f)
{
    struct odo_fuel_log l;
    fixture_setup(f);
    pull_vehicle(f, V1, 1, NULL, "Van");
    pull_fill(f, 2, 40000, 1500, 6000);
    ASSERT_OK(odo_fuel_get(f->s, USER, F1, &l, &f->err), &f->err);
    return l;
}

/* ---- merge groups and derived values ------------------------------------------------------ */

static void test_columns_of_a_merge_group_stay_local_together_when_one_has_a_change(void)
{
    static const int groups[] = {0, 1, 0, 0, 0, 0};
    static const char *const cols[] = {"vin",        "name",       "plate",
                                       "created_at", "updated_at", "deleted_at"};
    static const int plate_and_name[] = {0, 1, 1, 0, 0, 0};
    struct odo_cell c[6] = {null_cell,  text("Their name"), text("THEIRS"),
                            text(WHEN), text(WHEN),         null_cell};
    struct store_fixture f;
    struct odo_vehicle v;
    char out[128];

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    ASSERT_OK(odo_vehicle_get(f.s, USER, V1, &v, &f.err), &f.err);
    snprintf(v.plate, sizeof(v.plate), "MINE");
    ASSERT_OK(odo_vehicle_update(f.s, USER, &v, &f.err), &f.err);
    /* Alone, the name is pulled and the plate kept... */
    apply(&f, "vehicles", cols, groups, 6, V1, 2, c);
    ASSERT_STR(fixture_vehicle_text(&f, "name", V1, out), "Their name");
    ASSERT_STR(fixture_vehicle_text(&f, "plate", V1, out), "MINE");
    /* ...bound to the plate in one group, the name stays with it. */
    c[1] = text("Another name");
    apply(&f, "vehicles", cols, plate_and_name, 6, V1, 3, c);
    ASSERT_STR(fixture_vehicle_text(&f, "name", V1, out), "Their name");
    ASSERT_STR(fixture_vehicle_text(&f, "plate", V1, out), "MINE");
    fixture_teardown(&f);
}

static void test_a_pulled_volume_over_a_price_changed_here_gives_the_derived_total(void)
{
    struct store_fixture f;
    struct odo_fuel_log l;

    l = synced_fill(&f);
    /* Here: the price corrected to 2.000 (the total follows: 80.00). */
    l.unit_price = 2000;
    l.total_cost = ODO_NONE;
    ASSERT_OK(odo_fuel_update(f.s, USER, &l, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT total_cost FROM fuel_logs"), 8000);
    /* There: the volume corrected to 50 L (at 1.500: 75.00). */
    pull_fill(&f, 3, 50000, 1500, 7500);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT volume FROM fuel_logs"), 50000);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT unit_price FROM fuel_logs"), 2000);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT total_cost FROM fuel_logs"), 10000);
    fixture_teardown(&f);
}

static void test_a_total_the_price_was_derived_from_stays_over_a_note_changed_here(void)
{
    struct store_fixture f;
    struct odo_fuel_log l;

    l = synced_fill(&f);
    /* Here: a note, which keeps the row from being replaced whole. */
    snprintf(l.notes, sizeof(l.notes), "receipt in the glovebox");
    ASSERT_OK(odo_fuel_update(f.s, USER, &l, &f.err), &f.err);
    /* There: 99.99 paid for 50 L, the price derived from it (2.000): consistent, kept. */
    pull_fill(&f, 3, 50000, 2000, 9999);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT total_cost FROM fuel_logs"), 9999);
    /* A total that fits neither way follows volume × price. */
    pull_fill(&f, 4, 50000, 2000, 8000);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT total_cost FROM fuel_logs"), 10000);
    fixture_teardown(&f);
}

/* ---- merges and re-keys ---------------------------------------------------------------- */

static void test_a_vehicle_merge_makes_one_item_of_two_of_a_type_keeping_the_synced_one(void)
{
    struct store_fixture f;
    struct odo_vehicle mine;
    struct odo_service rec;
    struct odo_maint item;
    char out[128];

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    pull_item(&f, M1, 2, V1, "oil_change", "2026-12-01");
    mine = fixture_vehicle(&f, USER, "Van here", "");
    item = local_item(&f, mine.id, "oil_change", &rec);
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_rekey(f.s, USER, "vehicles", mine.id, V1, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM maintenance"), 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM maintenance WHERE id = '%s'", M1), 1);
    ASSERT_STR(fixture_sql(&f, out, sizeof(out),
                           "SELECT maintenance_id || ' ' || vehicle_id FROM service_records"),
               M1 " " V1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE row_id = '%s'", item.id), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 1);
    assert_no_orphans(&f);
    fixture_teardown(&f);
}

static void test_a_rekeyed_item_takes_its_service_records_with_it(void)
{
    struct store_fixture f;
    struct odo_service rec;
    struct odo_maint item;
    char out[128];

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    item = local_item(&f, V1, "oil_change", &rec);
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_rekey(f.s, USER, "maintenance", item.id, M1, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_STR(fixture_sql(&f, out, sizeof(out), "SELECT id FROM maintenance"), M1);
    ASSERT_STR(fixture_sql(&f, out, sizeof(out), "SELECT maintenance_id FROM service_records"), M1);
    assert_no_orphans(&f);
    fixture_teardown(&f);
}

/* ---- rows that lost their vehicle ---------------------------------------------------------- */

static void test_the_sweep_drops_what_hangs_off_a_dropped_vehicle_and_lists_what_never_synced(void)
{
    struct store_fixture f;
    struct odo_fuel_log l;
    struct found c;
    int dropped = 0;

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    l = fixture_fuel(&f, USER, V1);
    /* Its insert was refused (the vehicle is gone centrally): it waits for nothing, and stays
     * while its vehicle is here. */
    refuse_pending(&f, "unknown vehicle");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM fuel_logs"), 1);
    /* The gateway listed nothing live: the vehicle goes, and the fill-up with it. */
    ASSERT_OK(odo_replica_sweep(f.s, USER, 10, &dropped, &f.err), &f.err);
    ASSERT_EQ(dropped, 2);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM fuel_logs"), 0);
    assert_no_orphans(&f);
    c = conflicts(&f);
    ASSERT_EQ(c.n, 2);
    ASSERT_STR(c.id[0], l.id);
    ASSERT_STR(c.reason[0], ODO_CONFLICT_DROPPED);
    ASSERT_CONTAINS(c.vals[0], "\"volume\":40000");
    ASSERT_STR(c.reason[1], "unknown vehicle");
    fixture_teardown(&f);
}

static void test_an_unknown_row_refusal_drops_the_vehicle_and_what_hangs_off_it(void)
{
    struct store_fixture f;
    struct odo_vehicle v;

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    fixture_fuel(&f, USER, V1);
    ASSERT_OK(odo_vehicle_get(f.s, USER, V1, &v, &f.err), &f.err);
    snprintf(v.plate, sizeof(v.plate), "P-1");
    ASSERT_OK(odo_vehicle_update(f.s, USER, &v, &f.err), &f.err);
    refuse_pending(&f, "unknown row");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM fuel_logs"), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 0);
    assert_no_orphans(&f);
    fixture_teardown(&f);
}

static void
test_a_child_refused_under_a_vehicle_only_tombstoned_here_goes_with_it_and_is_listed(void)
{
    static const char *const cols[] = {"vin",        "name",       "odometer_unit",
                                       "created_at", "updated_at", "deleted_at"};
    struct odo_cell c[6] = {null_cell, text("Van"), text("km"), text(WHEN), text(WHEN), text(WHEN)};
    struct store_fixture f;
    struct odo_fuel_log l;
    struct found k;

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    l = fixture_fuel(&f, USER, V1);
    /* The vehicle's deletion arrives before the fill-up goes out; the gateway purges it. */
    apply(&f, "vehicles", cols, NULL, 6, V1, 2, c);
    refuse_pending(&f, "unknown vehicle");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM fuel_logs"), 0);
    assert_no_orphans(&f);
    k = conflicts(&f);
    ASSERT_STR(k.id[0], l.id);
    ASSERT_STR(k.reason[0], ODO_CONFLICT_DROPPED);
    fixture_teardown(&f);
}

static void test_work_refused_for_an_item_purged_elsewhere_is_kept_unlinked_and_sent_again(void)
{
    static const char *const cols[] = {"vehicle_id", "type",       "category",  "due_date",
                                       "created_at", "updated_at", "deleted_at"};
    struct odo_cell c[7] = {text(V1),   text("oil_change"), text("fluids"), text("2026-12-01"),
                            text(WHEN), text(WHEN),         text(WHEN)};
    struct store_fixture f;
    struct odo_service rec;
    char out[128];

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    pull_item(&f, M1, 2, V1, "oil_change", "2026-12-01");
    memset(&rec, 0, sizeof(rec));
    rec.performed_at = f.now_ms - 3600 * 1000;
    rec.odometer = ODO_NONE;
    rec.cost = ODO_NONE;
    ASSERT_OK(odo_maint_complete(f.s, USER, M1, &rec, NULL, &f.err), &f.err);
    /* The item's deletion arrives (the schedule changed here stays local); the gateway has
     * purged the item by the time the push comes: the item's change is an unknown row, the
     * record's item unknown. */
    apply(&f, "maintenance", cols, NULL, 7, M1, 3, c);
    refuse_pending_as(&f, "unknown row", "service_records", "unknown maintenance item");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM maintenance"), 0);
    ASSERT_STR(fixture_sql(&f, out, sizeof(out),
                           "SELECT coalesce(maintenance_id, 'none') FROM service_records"),
               "none");
    ASSERT_CONTAINS(
        fixture_sql(&f, out, sizeof(out), "SELECT cols FROM outbox WHERE row_id = '%s'", rec.id),
        "{\"*\":\"");
    assert_no_orphans(&f);
    fixture_teardown(&f);
}

/* ---- the conflicts list ------------------------------------------------------------------- */

static void test_a_refused_change_is_listed_with_the_values_it_carried_and_no_others(void)
{
    struct store_fixture f;
    struct odo_vehicle v;
    struct found c;

    fixture_setup(&f);
    pull_vehicle(&f, V1, 1, NULL, "Van");
    ASSERT_OK(odo_vehicle_get(f.s, USER, V1, &v, &f.err), &f.err);
    snprintf(v.vin, sizeof(v.vin), "%s", VIN_A);
    ASSERT_OK(odo_vehicle_update(f.s, USER, &v, &f.err), &f.err);
    refuse_pending(&f, "vin already registered");
    c = conflicts(&f);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR(c.reason[0], "vin already registered");
    ASSERT_CONTAINS(c.vals[0], "\"vin\":\"" VIN_A "\"");
    ASSERT(strstr(c.vals[0], "\"name\"") == NULL);
    /* The same refusal again replaces the entry. */
    ASSERT_OK(odo_vehicle_get(f.s, USER, V1, &v, &f.err), &f.err);
    snprintf(v.plate, sizeof(v.plate), "P-2");
    ASSERT_OK(odo_vehicle_update(f.s, USER, &v, &f.err), &f.err);
    refuse_pending(&f, "vin already registered");
    c = conflicts(&f);
    ASSERT_EQ(c.n, 1);
    ASSERT_CONTAINS(c.vals[0], "P-2");
    fixture_teardown(&f);
}

static void test_the_list_keeps_the_newest_conflicts_up_to_its_bound_and_can_be_cleared(void)
{
    struct store_fixture f;
    int64_t n = 0;

    fixture_setup(&f);
    for (int i = 0; i < ODO_CONFLICTS_MAX + 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "V%d", i);
        f.now_ms += 1000;
        fixture_vehicle(&f, USER, name, "");
        refuse_pending(&f, "refused by the test");
    }
    ASSERT_OK(odo_replica_conflict_count(f.s, USER, "", &n, &f.err), &f.err);
    ASSERT_EQ(n, ODO_CONFLICTS_MAX);
    ASSERT_OK(odo_replica_conflicts_clear(f.s, USER, &f.err), &f.err);
    ASSERT_OK(odo_replica_conflict_count(f.s, USER, "", &n, &f.err), &f.err);
    ASSERT_EQ(n, 0);
    fixture_teardown(&f);
}

RUN_TESTS(
    TEST_CASE(test_a_pulled_item_of_a_type_a_new_local_item_has_absorbs_it_and_its_history),
    TEST_CASE(test_a_vin_set_here_and_not_pushed_gives_way_to_a_pulled_vehicle_and_is_listed),
    TEST_CASE(test_a_stale_vin_of_a_synced_vehicle_is_cleared_and_nothing_is_listed),
    TEST_CASE(test_an_item_restored_here_gives_way_to_a_pulled_item_of_its_type_and_is_listed),
    TEST_CASE(test_a_pulled_row_that_breaks_a_check_is_set_aside_and_listed_with_its_values),
    TEST_CASE(test_columns_of_a_merge_group_stay_local_together_when_one_has_a_change),
    TEST_CASE(test_a_pulled_volume_over_a_price_changed_here_gives_the_derived_total),
    TEST_CASE(test_a_total_the_price_was_derived_from_stays_over_a_note_changed_here),
    TEST_CASE(test_a_vehicle_merge_makes_one_item_of_two_of_a_type_keeping_the_synced_one),
    TEST_CASE(test_a_rekeyed_item_takes_its_service_records_with_it),
    TEST_CASE(test_the_sweep_drops_what_hangs_off_a_dropped_vehicle_and_lists_what_never_synced),
    TEST_CASE(test_an_unknown_row_refusal_drops_the_vehicle_and_what_hangs_off_it),
    TEST_CASE(test_work_refused_for_an_item_purged_elsewhere_is_kept_unlinked_and_sent_again),
    TEST_CASE(test_a_child_refused_under_a_vehicle_only_tombstoned_here_goes_with_it_and_is_listed),
    TEST_CASE(test_a_refused_change_is_listed_with_the_values_it_carried_and_no_others),
    TEST_CASE(test_the_list_keeps_the_newest_conflicts_up_to_its_bound_and_can_be_cleared))
