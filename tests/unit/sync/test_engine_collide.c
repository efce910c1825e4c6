/*
 * The sync engine's share of the collision rules (docs/protocol.md, "Collisions"), against the
 * in-process gateway of memgateway.h: a merge group travels whole at its latest time and a
 * pull keeps it local whole, a refused change is listed with what it carried while the row
 * comes back as the gateway holds it, and a re-keyed maintenance item takes its service records
 * along. The gateway's own rules are proven against the real gateway (tests/integration/
 * test_collisions.py); here the gateway only does what a test tells it.
 */
#include "storage/maintenance.h"
#include "test.h"

#include "engine_fixture.h"

#define M1 "01a2013e-f2de-7666-bb2a-000000000011"

static const struct odo_wire_table *maintenance(void)
{
    return odo_wire_table("maintenance");
}

/* A vehicle and its yearly oil change, written centrally and pulled by the device. */
static struct gw_row *synced_item(struct fixture *f)
{
    struct odo_val twelve = {ODO_VAL_INT, 12, NULL, 0};
    struct gw_row *m;

    gw_vehicle(f->gw, central_id(1), "Van", NULL);
    m = gw_add(f->gw, "maintenance", M1);
    gw_set_text(m, "vehicle_id", central_id(1));
    gw_set_text(m, "type", "oil_change");
    gw_set_text(m, "category", "fluids");
    gw_set_text(m, "due_date", "2026-12-01");
    gw_set(m, "interval_months", &twelve);
    ASSERT_OK(sync_cycle(f), &f->dev.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f->dev, "SELECT count(*) FROM maintenance"), 1);
    return m;
}

/* The item done here: its last-done and due columns change, its interval does not. */
static void done_here(struct fixture *f)
{
    struct odo_service rec;
    memset(&rec, 0, sizeof(rec));
    rec.performed_at = f->dev.now_ms - 3600 * 1000;
    rec.odometer = 50000;
    rec.cost = ODO_NONE;
    ASSERT_OK(odo_maint_complete(f->dev.s, USER, M1, &rec, NULL, &f->dev.err), &f->dev.err);
}

static void test_a_change_of_one_schedule_column_pushes_the_whole_schedule_at_one_time(void)
{
    static const char *const schedule[] = {"due_date",        "due_odometer",
                                           "interval_months", "interval_distance",
                                           "last_done_date",  "last_done_odometer"};
    struct odo_push_req req;
    struct fixture f;
    odo_hlc at = 0;
    int found = 0;

    setup(&f);
    synced_item(&f);
    done_here(&f);
    f.opt.pull = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_OK(odo_push_decode(f.gw->push_body[f.gw->pushes - 1],
                              strlen(f.gw->push_body[f.gw->pushes - 1]), &req, &f.dev.err),
              &f.dev.err);
    for (size_t g = 0; g < req.ngroups; g++) {
        const struct odo_push_group *grp = &req.groups[g];
        if (grp->table != maintenance())
            continue;
        for (int j = 0; j < grp->ncols; j++)
            for (size_t k = 0; k < ODO_ARRAY_LEN(schedule); k++) {
                const struct odo_val *v = &grp->rows[0].vals[j];
                odo_hlc h = v->hlc ? v->hlc : grp->rows[0].hlc;
                if (strcmp(grp->table->cols[grp->cols[j]].name, schedule[k]) != 0)
                    continue;
                found++;
                if (!at)
                    at = h;
                ASSERT(h == at); /* one time for the whole group */
            }
    }
    odo_push_free(&req);
    ASSERT_EQ(found, (int)ODO_ARRAY_LEN(schedule));
    teardown(&f);
}

static void test_a_pulled_schedule_stays_local_whole_when_one_of_its_columns_changed_here(void)
{
    struct odo_val six = {ODO_VAL_INT, 6, NULL, 0};
    struct fixture f;
    struct gw_row *m;
    char text[128];

    setup(&f);
    m = synced_item(&f);
    done_here(&f);
    /* Another device changed the interval, and a note, before this one pushed. */
    gw_set(m, "interval_months", &six);
    gw_set_text(m, "notes", "synthetic oil");
    gw_touch(f.gw, m);
    f.opt.push = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f.dev, "SELECT interval_months FROM maintenance"), 12);
    ASSERT_STR(fixture_sql(&f.dev, text, sizeof(text), "SELECT notes FROM maintenance"),
               "synthetic oil");
    teardown(&f);
}

static void test_a_refused_change_is_listed_with_its_values_and_the_row_comes_back(void)
{
    struct fixture f;
    struct odo_vehicle v;
    char text[128];

    setup(&f);
    gw_vehicle(f.gw, central_id(1), "Van", NULL);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_OK(odo_vehicle_get(f.dev.s, USER, central_id(1), &v, &f.dev.err), &f.dev.err);
    snprintf(v.vin, sizeof(v.vin), "%s", VIN_A);
    ASSERT_OK(odo_vehicle_update(f.dev.s, USER, &v, &f.dev.err), &f.dev.err);
    f.gw->refuse_id = central_id(1);
    f.gw->refuse_reason = "vin already registered";
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.refused, 1);
    ASSERT_EQ(f.rep.conflicts, 1);
    ASSERT_STR(fixture_vehicle_text(&f.dev, "vin", central_id(1), text), "");
    ASSERT_STR(fixture_sql(&f.dev, text, sizeof(text), "SELECT reason FROM sync_conflicts"),
               "vin already registered");
    ASSERT_CONTAINS(fixture_sql(&f.dev, text, sizeof(text), "SELECT vals FROM sync_conflicts"),
                    VIN_A);
    ASSERT_EQ(outbox(&f), 0);
    teardown(&f);
}

static void test_a_rekeyed_maintenance_item_takes_its_service_records_to_the_canonical_one(void)
{
    struct fixture f;
    struct odo_service rec;
    struct odo_maint mine;
    struct gw_row *m;
    char text[128];

    setup(&f);
    gw_vehicle(f.gw, central_id(1), "Van", NULL);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    memset(&mine, 0, sizeof(mine));
    memcpy(mine.vehicle_id, central_id(1), sizeof(mine.vehicle_id));
    snprintf(mine.type, sizeof(mine.type), "oil_change");
    mine.category = ODO_MAINT_FLUIDS;
    mine.due_odometer = ODO_NONE;
    mine.last_done_date = ODO_NO_DATE;
    mine.last_done_odometer = ODO_NONE;
    mine.interval_months = 12;
    ASSERT_OK(odo_maint_add(f.dev.s, USER, &mine, &f.dev.err), &f.dev.err);
    memset(&rec, 0, sizeof(rec));
    rec.performed_at = f.dev.now_ms - 3600 * 1000;
    rec.odometer = ODO_NONE;
    rec.cost = ODO_NONE;
    ASSERT_OK(odo_maint_complete(f.dev.s, USER, mine.id, &rec, NULL, &f.dev.err), &f.dev.err);
    /* Another device registered the item first; the gateway makes this one its alias. */
    m = gw_add(f.gw, "maintenance", M1);
    gw_set_text(m, "vehicle_id", central_id(1));
    gw_set_text(m, "type", "oil_change");
    gw_set_text(m, "category", "fluids");
    gw_set_text(m, "due_date", "2026-12-01");
    f.gw->alias_id = mine.id;
    f.gw->canonical_id = M1;
    f.gw->alias_table = "maintenance";
    f.opt.pull = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.rekeyed, 1);
    ASSERT_STR(fixture_sql(&f.dev, text, sizeof(text), "SELECT id FROM maintenance"), M1);
    ASSERT_STR(fixture_sql(&f.dev, text, sizeof(text),
                           "SELECT maintenance_id FROM service_records WHERE id = '%s'", rec.id),
               M1);
    ASSERT_STR(fixture_sql(&f.dev, text, sizeof(text), "SELECT due_date FROM maintenance"),
               "2026-12-01");
    /* What this device's item held is listed. */
    ASSERT_STR(fixture_sql(&f.dev, text, sizeof(text),
                           "SELECT reason FROM sync_conflicts WHERE row_id = '%s'", mine.id),
               ODO_CONFLICT_MERGED);
    ASSERT_EQ(FIXTURE_SQL_INT(&f.dev, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    teardown(&f);
}

RUN_TESTS(TEST_CASE(test_a_change_of_one_schedule_column_pushes_the_whole_schedule_at_one_time),
          TEST_CASE(test_a_pulled_schedule_stays_local_whole_when_one_of_its_columns_changed_here),
          TEST_CASE(test_a_refused_change_is_listed_with_its_values_and_the_row_comes_back),
          TEST_CASE(test_a_rekeyed_maintenance_item_takes_its_service_records_to_the_canonical_one))
