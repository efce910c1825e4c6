/*
 * The store as the sync engine sees it (storage/replica.h), on real SQLite files: reading the
 * outbox, sealing and unsealing batches, settling answers, applying pulled rows under the
 * pending-column rule, re-keying, the reconcile sweep, cursors, the per-user state, tokens,
 * the users list, device-wide settings and the persisted clock. A second, read-only SQLite
 * connection looks at the file the way another process would: it sees only what committed.
 */
#include "storage/replica.h"
#include "test.h"

#include "store_fixture.h"

#define VIN_A "2HKRW2H20NH207506"
#define VIN_B "1FTFW5L86RFB45612"

/* ---- reading the outbox ----------------------------------------------------------------- */

struct pending_list {
    int n;
    int64_t seq[128];
    char tbl[128][32], id[128][ODO_UUID_TEXT_LEN + 1], cols[128][128];
    int64_t base_rev[128];
    odo_hlc hlc[128];
};

static int collect(const struct odo_pending *p, void *ctx)
{
    struct pending_list *l = ctx;
    l->seq[l->n] = p->seq;
    snprintf(l->tbl[l->n], sizeof(l->tbl[0]), "%s", p->tbl);
    snprintf(l->id[l->n], sizeof(l->id[0]), "%s", p->row_id);
    snprintf(l->cols[l->n], sizeof(l->cols[0]), "%s", p->cols);
    l->base_rev[l->n] = p->base_rev;
    l->hlc[l->n] = p->hlc;
    l->n++;
    return 0;
}

static struct pending_list *pending(struct store_fixture *f, const char *user, int limit)
{
    static struct pending_list l;
    memset(&l, 0, sizeof(l));
    ASSERT_OK(odo_replica_pending(f->s, user, limit, collect, &l, &f->err), &f->err);
    return &l;
}

/* Seals the user's oldest `limit` pending changes as their next batch; returns its number. */
static int64_t seal(struct store_fixture *f, const char *user, int limit, const char *manifest)
{
    struct pending_list *l = pending(f, user, limit);
    int64_t batch;

    ASSERT_OK(odo_replica_next_batch(f->s, user, &batch, &f->err), &f->err);
    ASSERT_OK(odo_replica_seal(f->s, user, l->seq, l->n, "{\"batch\":\"body\"}", manifest, batch,
                               &f->err),
              &f->err);
    return batch;
}

/* Pushes everything the user has waiting as the engine would, the gateway accepting each
 * change with the next revision from *rev. */
static void sync_everything(struct store_fixture *f, const char *user, int64_t *rev)
{
    struct pending_list l = *pending(f, user, 128);
    int64_t batch = seal(f, user, 128, NULL);

    ASSERT_OK(odo_replica_begin_apply(f->s, &f->err), &f->err);
    for (int i = 0; i < l.n; i++) {
        const char *ids[1] = {l.id[i]};
        int64_t revs[1] = {++*rev};
        ASSERT_OK(odo_replica_accepted(f->s, user, l.tbl[i], ids, revs, 1, &f->err), &f->err);
    }
    ASSERT_OK(odo_replica_settle(f->s, user, batch, *rev, &f->err), &f->err);
    ASSERT_OK(odo_replica_end_apply(f->s, true, &f->err), &f->err);
}

static void test_pending_streams_the_users_oldest_changes_up_to_the_limit(void)
{
    struct store_fixture f;
    struct odo_vehicle a, b;
    struct pending_list *l;

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "First", "");
    b = fixture_vehicle(&f, "alice", "Second", "");
    fixture_vehicle(&f, "alice", "Third", "");
    fixture_vehicle(&f, "bob", "His", "");
    l = pending(&f, "alice", 2);
    ASSERT_EQ(l->n, 2);
    ASSERT_STR(l->id[0], a.id);
    ASSERT_STR(l->id[1], b.id);
    ASSERT_INT(l->seq[0], <, l->seq[1]);
    ASSERT_STR(l->tbl[0], "vehicles");
    ASSERT_EQ(l->base_rev[0], 0);
    /* An insert names every column, at the insert's HLC. */
    char want[64], hlc[ODO_HLC_TEXT_LEN + 1];
    odo_hlc_format(l->hlc[0], hlc);
    snprintf(want, sizeof(want), "{\"*\":\"%s\"}", hlc);
    ASSERT_STR(l->cols[0], want);
    ASSERT_INT(l->hlc[0], <, l->hlc[1]);
    ASSERT_EQ(pending(&f, "alice", 100)->n, 3);
    ASSERT_EQ(pending(&f, "bob", 100)->n, 1);
    fixture_teardown(&f);
}

/* ---- sealing ---------------------------------------------------------------------------- */

static void test_sealing_freezes_the_entries_and_stores_the_batch_with_its_manifest(void)
{
    struct store_fixture f;
    struct odo_vehicle a, b, c;
    struct odo_sync_state st;
    char manifest[200], *body, *got_manifest;
    int64_t batch, next;

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "First", "");
    b = fixture_vehicle(&f, "alice", "Second", "");
    c = fixture_vehicle(&f, "alice", "Third", "");
    ASSERT_OK(odo_replica_next_batch(f.s, "alice", &next, &f.err), &f.err);
    ASSERT_EQ(next, 1);
    snprintf(manifest, sizeof(manifest), "vehicles %s\nvehicles %s\n", a.id, b.id);
    batch = seal(&f, "alice", 2, manifest);
    ASSERT_EQ(batch, 1);
    ASSERT_OK(odo_replica_inflight(f.s, "alice", &batch, &body, &got_manifest, &f.err), &f.err);
    ASSERT_EQ(batch, 1);
    ASSERT_STR(body, "{\"batch\":\"body\"}");
    ASSERT_STR(got_manifest, manifest);
    free(body);
    free(got_manifest);
    /* Only the third is still pending; the sealed ones still count as waiting. */
    ASSERT_EQ(pending(&f, "alice", 100)->n, 1);
    ASSERT_STR(pending(&f, "alice", 100)->id[0], c.id);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_EQ(st.outbox, 3);
    ASSERT_EQ(st.next_batch, 2);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE batch = 1"), 2);
    /* A change to a sealed row opens a new entry; the sealed one stays as it was sent. */
    snprintf(a.plate, sizeof(a.plate), "AB-123");
    ASSERT_OK(odo_vehicle_update(f.s, "alice", &a, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE row_id = '%s'", a.id), 2);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE batch = 1"), 2);
    fixture_teardown(&f);
}

static void test_a_batch_sealed_without_a_manifest_reads_back_without_one(void)
{
    struct store_fixture f;
    char *body, *manifest;
    int64_t batch;

    fixture_setup(&f);
    fixture_vehicle(&f, "alice", "First", "");
    seal(&f, "alice", 10, NULL);
    ASSERT_OK(odo_replica_inflight(f.s, "alice", &batch, &body, &manifest, &f.err), &f.err);
    ASSERT_EQ(batch, 1);
    ASSERT(manifest == NULL);
    free(body);
    /* Nothing in flight for another user. */
    ASSERT_OK(odo_replica_inflight(f.s, "bob", &batch, &body, NULL, &f.err), &f.err);
    ASSERT_EQ(batch, 0);
    ASSERT(body == NULL);
    fixture_teardown(&f);
}

static void test_sealing_under_a_number_that_is_not_the_next_changes_nothing(void)
{
    struct store_fixture f;
    struct pending_list l;
    int64_t next;

    fixture_setup(&f);
    fixture_vehicle(&f, "alice", "First", "");
    l = *pending(&f, "alice", 10);
    ASSERT_EQ(odo_replica_seal(f.s, "alice", l.seq, l.n, "{}", NULL, 2, &f.err), ODO_ESTORAGE);
    ASSERT_CONTAINS(f.err.msg, "another sync ran");
    ASSERT_EQ(pending(&f, "alice", 10)->n, 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM sync_batches"), 0);
    ASSERT_OK(odo_replica_next_batch(f.s, "alice", &next, &f.err), &f.err);
    ASSERT_EQ(next, 1);
    fixture_teardown(&f);
}

static void test_sealing_entries_another_batch_took_is_refused_whole(void)
{
    struct store_fixture f;
    struct pending_list l;
    int64_t first;

    fixture_setup(&f);
    fixture_vehicles(&f, "alice", 2);
    l = *pending(&f, "alice", 10); /* read by a sync that is then overtaken */
    first = seal(&f, "alice", 1, NULL);
    ASSERT_EQ(odo_replica_seal(f.s, "alice", l.seq, l.n, "{}", NULL, first + 1, &f.err),
              ODO_ESTORAGE);
    ASSERT_CONTAINS(f.err.msg, "the outbox changed");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE batch IS NULL"), 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM sync_batches"), 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT next_batch FROM sync_users WHERE user_id = 'alice'"),
              first + 1);
    fixture_teardown(&f);
}

static void test_unsealing_returns_entries_to_pending_merged_with_later_changes(void)
{
    struct store_fixture f;
    struct odo_vehicle a;
    struct pending_list *l;
    char cols[200];
    int64_t batch;
    char *body;

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "First", "");
    batch = seal(&f, "alice", 10, NULL);
    snprintf(a.plate, sizeof(a.plate), "AB-123");
    ASSERT_OK(odo_vehicle_update(f.s, "alice", &a, &f.err), &f.err);
    ASSERT_OK(odo_replica_unseal(f.s, "alice", batch, &f.err), &f.err);
    ASSERT_OK(odo_replica_inflight(f.s, "alice", &batch, &body, NULL, &f.err), &f.err);
    ASSERT_EQ(batch, 0);
    l = pending(&f, "alice", 10);
    ASSERT_EQ(l->n, 1);
    ASSERT_STR(l->id[0], a.id);
    ASSERT_CONTAINS(l->cols[0], "\"*\"");
    ASSERT_CONTAINS(l->cols[0], "\"plate\"");
    ASSERT_STR(fixture_sql(&f, cols, sizeof(cols), "SELECT count(*) FROM outbox"), "1");
    fixture_teardown(&f);
}

/* ---- settling --------------------------------------------------------------------------- */

static void test_settling_forgets_the_batch_and_its_entries_and_acked_only_rises(void)
{
    struct store_fixture f;
    struct odo_sync_state st;
    int64_t batch;

    fixture_setup(&f);
    fixture_vehicles(&f, "alice", 2);
    batch = seal(&f, "alice", 10, NULL);
    fixture_vehicle(&f, "alice", "Later", "");
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_settle(f.s, "alice", batch, 10, &f.err), &f.err);
    /* Nothing shows before the commit. */
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 3);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_EQ(st.outbox, 1);
    ASSERT_EQ(st.acked, 10);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM sync_batches"), 0);
    batch = seal(&f, "alice", 10, NULL);
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_settle(f.s, "alice", batch, 5, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_EQ(st.outbox, 0);
    ASSERT_EQ(st.acked, 10);
    fixture_teardown(&f);
}

static void test_accepted_changes_take_their_revisions_and_never_go_back(void)
{
    struct store_fixture f;
    struct odo_vehicle a, b;

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "First", "");
    b = fixture_vehicle(&f, "alice", "Second", "");
    const char *ids[] = {a.id, b.id};
    int64_t revs[] = {7, 9}, lower[] = {3, 12};
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_accepted(f.s, "alice", "vehicles", ids, revs, 2, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT rev FROM vehicles WHERE id = '%s'", a.id), 7);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT rev FROM vehicles WHERE id = '%s'", b.id), 9);
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_accepted(f.s, "alice", "vehicles", ids, lower, 2, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT rev FROM vehicles WHERE id = '%s'", a.id), 7);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT rev FROM vehicles WHERE id = '%s'", b.id), 12);
    /* Bob's answer cannot touch Alice's rows. */
    int64_t high[] = {99, 99};
    ASSERT_OK(odo_replica_accepted(f.s, "bob", "vehicles", ids, high, 2, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT rev FROM vehicles WHERE id = '%s'", a.id), 7);
    fixture_teardown(&f);
}

static void test_accepted_refuses_ids_that_are_not_uuids_and_unsynced_tables(void)
{
    struct store_fixture f;
    const char *ids[] = {"x'; DROP TABLE vehicles; --"};
    int64_t revs[] = {1};

    fixture_setup(&f);
    ASSERT_EQ(odo_replica_accepted(f.s, "alice", "vehicles", ids, revs, 1, &f.err), ODO_EINVAL);
    ASSERT_EQ(odo_replica_accepted(f.s, "alice", "settings", ids, revs, 1, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "not a synced table");
    fixture_teardown(&f);
}

static void test_refusals_are_counted_with_the_last_reason(void)
{
    struct store_fixture f;
    struct odo_vehicle a;
    struct odo_sync_state st;

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "First", "");
    ASSERT_OK(odo_replica_refused(f.s, "alice", "vehicles", a.id, "forbidden", &f.err), &f.err);
    ASSERT_OK(odo_replica_refused(f.s, "alice", "vehicles", a.id, "volume is out of range", &f.err),
              &f.err);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_EQ(st.refused, 2);
    ASSERT_STR(st.last_refusal, "volume is out of range");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 1);
    fixture_teardown(&f);
}

static void test_an_unknown_row_refusal_drops_the_local_copy_only_once_synced(void)
{
    struct store_fixture f;
    struct odo_vehicle synced, fresh;
    int64_t rev = 0;

    fixture_setup(&f);
    synced = fixture_vehicle(&f, "alice", "Synced", "");
    sync_everything(&f, "alice", &rev);
    fresh = fixture_vehicle(&f, "alice", "Fresh", "");
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_refused(f.s, "alice", "vehicles", synced.id, "unknown row", &f.err),
              &f.err);
    ASSERT_OK(odo_replica_refused(f.s, "alice", "vehicles", fresh.id, "unknown row", &f.err),
              &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles WHERE id = '%s'", synced.id), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles WHERE id = '%s'", fresh.id), 1);
    fixture_teardown(&f);
}

/* ---- applying pulled rows --------------------------------------------------------------- */

#define PULLED_ID "01a2013e-f2de-7666-bb2a-6d01e1171f4c"

static const char *const vehicle_cols[] = {"vin",        "name",       "plate",     "odometer_unit",
                                           "created_at", "updated_at", "deleted_at"};

/* A pulled vehicle row: name, plate and VIN (NULL for none), live. */
static void pulled_vehicle(struct odo_cell cells[7], const char *vin, const char *name,
                           const char *plate)
{
    static const char when[] = "2026-06-01T08:00:00.000Z";
    memset(cells, 0, 7 * sizeof(*cells));
    cells[0] = vin ? (struct odo_cell){ODO_CELL_TEXT, 0, vin} : (struct odo_cell){ODO_CELL_NULL};
    cells[1] = (struct odo_cell){ODO_CELL_TEXT, 0, name};
    cells[2] =
        plate ? (struct odo_cell){ODO_CELL_TEXT, 0, plate} : (struct odo_cell){ODO_CELL_NULL};
    cells[3] = (struct odo_cell){ODO_CELL_TEXT, 0, "km"};
    cells[4] = (struct odo_cell){ODO_CELL_TEXT, 0, when};
    cells[5] = (struct odo_cell){ODO_CELL_TEXT, 0, when};
    cells[6] = (struct odo_cell){ODO_CELL_NULL};
}

static int apply_vehicle(struct store_fixture *f, const char *user, const char *id, int64_t rev,
                         const char *vin, const char *name, const char *plate)
{
    struct odo_cell cells[7];
    int rc;

    pulled_vehicle(cells, vin, name, plate);
    if ((rc = odo_replica_begin_apply(f->s, &f->err)))
        return rc;
    rc = odo_replica_apply_row(f->s, user, "vehicles", vehicle_cols, 7, id, rev, cells, &f->err);
    if (odo_replica_end_apply(f->s, rc == 0, &f->err) && rc == 0)
        rc = ODO_ESTORAGE;
    return rc;
}

static void test_a_pulled_row_is_inserted_at_its_revision_without_capture(void)
{
    struct store_fixture f;
    char name[80];

    fixture_setup(&f);
    ASSERT_OK(apply_vehicle(&f, "alice", PULLED_ID, 42, NULL, "Pulled", "P-1"), &f.err);
    ASSERT_STR(
        fixture_sql(&f, name, sizeof(name), "SELECT name FROM vehicles WHERE id = '%s'", PULLED_ID),
        "Pulled");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT rev FROM vehicles WHERE id = '%s'", PULLED_ID), 42);
    ASSERT_STR(fixture_sql(&f, name, sizeof(name), "SELECT user_id FROM vehicles WHERE id = '%s'",
                           PULLED_ID),
               "alice");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 0);
    /* Capture is back on after the apply. */
    fixture_vehicle(&f, "alice", "Local", "");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox"), 1);
    fixture_teardown(&f);
}

static void test_a_pulled_row_keeps_the_local_value_of_columns_with_a_pending_change(void)
{
    struct store_fixture f;
    struct odo_vehicle a;
    int64_t rev = 0;
    char text[128];

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "Mine", "");
    sync_everything(&f, "alice", &rev);
    snprintf(a.plate, sizeof(a.plate), "LOCAL-1");
    ASSERT_OK(odo_vehicle_update(f.s, "alice", &a, &f.err), &f.err);
    ASSERT_OK(apply_vehicle(&f, "alice", a.id, 20, NULL, "Renamed centrally", "THEIRS"), &f.err);
    ASSERT_STR(fixture_vehicle_text(&f, "name", a.id, text), "Renamed centrally");
    ASSERT_STR(fixture_vehicle_text(&f, "plate", a.id, text), "LOCAL-1");
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT rev FROM vehicles WHERE id = '%s'", a.id), 20);
    /* An older revision arriving late does not lower the known one. */
    ASSERT_OK(apply_vehicle(&f, "alice", a.id, 5, NULL, "Renamed centrally", "THEIRS"), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT rev FROM vehicles WHERE id = '%s'", a.id), 20);
    fixture_teardown(&f);
}

static void test_a_row_inserted_locally_and_not_pushed_keeps_every_local_column(void)
{
    struct store_fixture f;
    struct odo_vehicle a;
    char text[128];

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "Mine", "");
    ASSERT_OK(apply_vehicle(&f, "alice", a.id, 20, NULL, "Theirs", "THEIRS"), &f.err);
    ASSERT_STR(fixture_vehicle_text(&f, "name", a.id, text), "Mine");
    ASSERT_STR(fixture_vehicle_text(&f, "plate", a.id, text), "");
    fixture_teardown(&f);
}

static void test_a_pulled_vehicle_takes_the_place_of_a_local_one_with_its_vin(void)
{
    struct store_fixture f;
    struct odo_vehicle local;
    struct odo_fuel_log l;
    char text[128];

    fixture_setup(&f);
    local = fixture_vehicle(&f, "alice", "Registered here", VIN_A);
    l = fixture_fuel(&f, "alice", local.id);
    ASSERT_OK(apply_vehicle(&f, "alice", PULLED_ID, 30, VIN_A, "Registered there", NULL), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles WHERE id = '%s'", PULLED_ID), 1);
    ASSERT_STR(fixture_sql(&f, text, sizeof(text),
                           "SELECT vehicle_id FROM fuel_logs WHERE id = '%s'", l.id),
               PULLED_ID);
    /* Its unpushed insert follows it, and keeps its local columns. */
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE row_id = '%s'", PULLED_ID), 1);
    ASSERT_STR(fixture_sql(&f, text, sizeof(text), "SELECT name FROM vehicles"), "Registered here");
    /* A VIN held by another user's vehicle takes nothing. */
    fixture_vehicle(&f, "bob", "His", VIN_B);
    ASSERT_OK(
        apply_vehicle(&f, "alice", "01a2013e-f2de-7666-bb2a-6d01e1171f4d", 31, VIN_B, "Hers", NULL),
        &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles WHERE vin = '%s'", VIN_B), 2);
    fixture_teardown(&f);
}

static void test_apply_refuses_unknown_tables_and_bad_column_names(void)
{
    struct store_fixture f;
    struct odo_cell cells[7];
    const char *bad[] = {"name; DROP TABLE vehicles"};

    fixture_setup(&f);
    pulled_vehicle(cells, NULL, "x", NULL);
    ASSERT_EQ(odo_replica_apply_row(f.s, "alice", "sync_users", vehicle_cols, 7, PULLED_ID, 1,
                                    cells, &f.err),
              ODO_EINVAL);
    ASSERT_EQ(odo_replica_apply_row(f.s, "alice", "vehicles", bad, 1, PULLED_ID, 1, cells, &f.err),
              ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "not a column name");
    fixture_teardown(&f);
}

static void test_nothing_applied_shows_until_the_apply_commits_and_a_rollback_leaves_nothing(void)
{
    struct store_fixture f;
    struct odo_cell cells[7];

    fixture_setup(&f);
    pulled_vehicle(cells, NULL, "Pulled", NULL);
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_apply_row(f.s, "alice", "vehicles", vehicle_cols, 7, PULLED_ID, 3, cells,
                                    &f.err),
              &f.err);
    ASSERT_OK(odo_replica_set_cursor(f.s, "alice", 3, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 0);
    ASSERT_OK(odo_replica_end_apply(f.s, false, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT cursor FROM sync_users WHERE user_id = 'alice'"), 0);
    fixture_teardown(&f);
}

static void test_the_cursor_is_stored_with_the_page_it_covers(void)
{
    struct store_fixture f;
    struct odo_sync_state st;

    fixture_setup(&f);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_EQ(st.cursor, 0);
    ASSERT_OK(apply_vehicle(&f, "alice", PULLED_ID, 42, NULL, "Pulled", NULL), &f.err);
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_set_cursor(f.s, "alice", 42, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_EQ(st.cursor, 42);
    ASSERT_OK(odo_replica_state(f.s, "bob", &st, &f.err), &f.err);
    ASSERT_EQ(st.cursor, 0);
    fixture_teardown(&f);
}

/* ---- re-keying -------------------------------------------------------------------------- */

static void test_rekey_renames_a_row_and_its_children_and_pending_changes_follow(void)
{
    struct store_fixture f;
    struct odo_vehicle a;
    struct odo_fuel_log l;
    char text[128];

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "Alias", "");
    l = fixture_fuel(&f, "alice", a.id);
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_rekey(f.s, "alice", "vehicles", a.id, PULLED_ID, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles WHERE id = '%s'", a.id), 0);
    ASSERT_STR(fixture_vehicle_text(&f, "name", PULLED_ID, text), "Alias");
    ASSERT_STR(fixture_sql(&f, text, sizeof(text),
                           "SELECT vehicle_id FROM fuel_logs WHERE id = '%s'", l.id),
               PULLED_ID);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE row_id = '%s'", PULLED_ID), 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE row_id = '%s'", a.id), 0);
    fixture_teardown(&f);
}

static void test_rekey_into_a_row_this_device_has_merges_the_alias_into_it(void)
{
    struct store_fixture f;
    struct odo_vehicle alias;
    struct odo_fuel_log l;
    char text[128];

    fixture_setup(&f);
    ASSERT_OK(apply_vehicle(&f, "alice", PULLED_ID, 30, NULL, "Canonical", NULL), &f.err);
    alias = fixture_vehicle(&f, "alice", "Alias", "");
    l = fixture_fuel(&f, "alice", alias.id);
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_rekey(f.s, "alice", "vehicles", alias.id, PULLED_ID, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles"), 1);
    ASSERT_STR(fixture_sql(&f, text, sizeof(text), "SELECT name FROM vehicles"), "Canonical");
    ASSERT_STR(fixture_sql(&f, text, sizeof(text),
                           "SELECT vehicle_id FROM fuel_logs WHERE id = '%s'", l.id),
               PULLED_ID);
    /* The alias's pending insert now stands for the canonical row. */
    ASSERT_EQ(
        FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE tbl = 'vehicles' AND row_id = '%s'",
                        PULLED_ID),
        1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM outbox WHERE row_id = '%s'", alias.id), 0);
    fixture_teardown(&f);
}

/* ---- reconcile -------------------------------------------------------------------------- */

static void test_sweep_drops_unlisted_synced_rows_children_first_and_keeps_unpushed_ones(void)
{
    struct store_fixture f;
    struct odo_vehicle live, gone, edited, fresh;
    struct odo_sync_state st;
    int64_t rev = 0;
    int dropped;

    fixture_setup(&f);
    live = fixture_vehicle(&f, "alice", "Live", "");
    gone = fixture_vehicle(&f, "alice", "Gone", "");
    fixture_fuel(&f, "alice", gone.id);
    edited = fixture_vehicle(&f, "alice", "Edited", "");
    fixture_vehicle(&f, "bob", "Bob's", "");
    sync_everything(&f, "alice", &rev);
    sync_everything(&f, "bob", &rev);
    fresh = fixture_vehicle(&f, "alice", "Fresh", "");
    snprintf(edited.plate, sizeof(edited.plate), "NEW-1");
    ASSERT_OK(odo_vehicle_update(f.s, "alice", &edited, &f.err), &f.err);
    const char *ids[] = {live.id};
    ASSERT_OK(odo_replica_mark_live(f.s, "alice", "vehicles", ids, 1, &f.err), &f.err);
    ASSERT_OK(odo_replica_sweep(f.s, "alice", 500, &dropped, &f.err), &f.err);
    ASSERT_EQ(dropped, 2); /* "Gone" and its fuel log */
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles WHERE id = '%s'", gone.id), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM fuel_logs"), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles WHERE id IN ('%s', '%s', '%s')",
                              live.id, edited.id, fresh.id),
              3);
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM vehicles WHERE user_id = 'bob'"), 1);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_EQ(st.swept, 500);
    /* The list is forgotten with the sweep. */
    ASSERT_EQ(FIXTURE_SQL_INT(&f, "SELECT count(*) FROM sync_seen"), 0);
    fixture_teardown(&f);
}

/* ---- state, tokens, users, settings ----------------------------------------------------- */

static void test_state_counts_waiting_changes_and_when_the_oldest_was_made(void)
{
    struct store_fixture f;
    struct odo_sync_state st;

    fixture_setup(&f);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_STR(st.user, "alice");
    ASSERT_EQ(st.outbox, 0);
    ASSERT_STR(st.oldest, "");
    ASSERT_EQ(st.next_batch, 1);
    ASSERT(!st.logged_in);
    fixture_vehicle(&f, "alice", "First", "");
    f.now_ms += 60000;
    fixture_vehicle(&f, "alice", "Second", "");
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_EQ(st.outbox, 2);
    ASSERT_STR(st.oldest, "2026-06-15T12:00:00.000Z");
    fixture_teardown(&f);
}

static void test_record_keeps_the_last_success_and_the_last_error(void)
{
    struct store_fixture f;
    struct odo_sync_state st;

    fixture_setup(&f);
    ASSERT_OK(odo_replica_record(f.s, "alice", NULL, &f.err), &f.err);
    f.now_ms += 1000;
    ASSERT_OK(odo_replica_record(f.s, "alice", "the gateway is unreachable", &f.err), &f.err);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_STR(st.last_success, "2026-06-15T12:00:00.000Z");
    ASSERT_STR(st.last_error, "the gateway is unreachable");
    ASSERT_STR(st.last_error_at, "2026-06-15T12:00:01.000Z");
    f.now_ms += 1000;
    ASSERT_OK(odo_replica_record(f.s, "alice", NULL, &f.err), &f.err);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT_STR(st.last_success, "2026-06-15T12:00:02.000Z");
    ASSERT_STR(st.last_error, "");
    fixture_teardown(&f);
}

static void test_a_stored_token_reads_back_and_an_empty_one_logs_out(void)
{
    struct store_fixture f;
    struct odo_sync_state st;
    char token[64];

    fixture_setup(&f);
    ASSERT_EQ(odo_replica_token(f.s, "alice", token, sizeof(token), &f.err), ODO_EAUTH);
    ASSERT_CONTAINS(f.err.msg, "odolog login");
    ASSERT_OK(odo_replica_login(f.s, "alice", "a.b.c", &f.err), &f.err);
    ASSERT_OK(odo_replica_token(f.s, "alice", token, sizeof(token), &f.err), &f.err);
    ASSERT_STR(token, "a.b.c");
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT(st.logged_in);
    ASSERT_EQ(odo_replica_token(f.s, "bob", token, sizeof(token), &f.err), ODO_EAUTH);
    ASSERT_OK(odo_replica_login(f.s, "alice", "", &f.err), &f.err);
    ASSERT_EQ(odo_replica_token(f.s, "alice", token, sizeof(token), &f.err), ODO_EAUTH);
    ASSERT_OK(odo_replica_login(f.s, "alice", "d.e.f", &f.err), &f.err);
    ASSERT_OK(odo_replica_login(f.s, "alice", NULL, &f.err), &f.err);
    ASSERT_OK(odo_replica_state(f.s, "alice", &st, &f.err), &f.err);
    ASSERT(!st.logged_in);
    ASSERT_EQ(odo_replica_login(f.s, "not a user name!", "a.b.c", &f.err), ODO_EINVAL);
    fixture_teardown(&f);
}

struct user_list {
    int n, stop_after;
    char names[100][ODO_USER_MAX + 1];
};

static int list_user(const char *user, void *ctx)
{
    struct user_list *l = ctx;
    snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", user);
    return l->stop_after && l->n == l->stop_after;
}

static void test_users_lists_the_logged_in_users_in_order(void)
{
    struct store_fixture f;
    struct user_list l = {0};

    fixture_setup(&f);
    ASSERT_OK(odo_replica_login(f.s, "bob", "a.b.c", &f.err), &f.err);
    ASSERT_OK(odo_replica_login(f.s, "alice", "a.b.c", &f.err), &f.err);
    ASSERT_OK(odo_replica_record(f.s, "carol", NULL, &f.err), &f.err); /* known, no token */
    ASSERT_OK(odo_replica_users(f.s, list_user, &l, &f.err), &f.err);
    ASSERT_EQ(l.n, 2);
    ASSERT_STR(l.names[0], "alice");
    ASSERT_STR(l.names[1], "bob");
    memset(&l, 0, sizeof(l));
    l.stop_after = 1;
    ASSERT_OK(odo_replica_users(f.s, list_user, &l, &f.err), &f.err);
    ASSERT_EQ(l.n, 1);
    fixture_teardown(&f);
}

/* The list is collected into a fixed array before the callbacks run: a device with more users
 * than that syncs the first 64 (by name) and not the rest. */
static void test_users_lists_only_the_first_64_logged_in_users(void)
{
    struct store_fixture f;
    struct user_list l = {0};
    char name[16];

    fixture_setup(&f);
    for (int i = 0; i < 70; i++) {
        snprintf(name, sizeof(name), "user%02d", i);
        ASSERT_OK(odo_replica_login(f.s, name, "a.b.c", &f.err), &f.err);
    }
    ASSERT_OK(odo_replica_users(f.s, list_user, &l, &f.err), &f.err);
    ASSERT_EQ(l.n, 64);
    ASSERT_STR(l.names[0], "user00");
    ASSERT_STR(l.names[63], "user63");
    fixture_teardown(&f);
}

static void test_config_keys_read_back_what_was_set_and_nothing_when_unset(void)
{
    struct store_fixture f;
    char value[64];

    fixture_setup(&f);
    ASSERT_OK(odo_replica_config_get(f.s, "some key", value, sizeof(value), &f.err), &f.err);
    ASSERT_STR(value, "");
    ASSERT_OK(odo_replica_config_set(f.s, "some key", "first", &f.err), &f.err);
    ASSERT_OK(odo_replica_config_set(f.s, "other key", "other", &f.err), &f.err);
    ASSERT_OK(odo_replica_config_set(f.s, "some key", "second", &f.err), &f.err);
    ASSERT_OK(odo_replica_config_get(f.s, "some key", value, sizeof(value), &f.err), &f.err);
    ASSERT_STR(value, "second");
    ASSERT_OK(odo_replica_config_get(f.s, "other key", value, sizeof(value), &f.err), &f.err);
    ASSERT_STR(value, "other");
    fixture_teardown(&f);
}

/* ---- the clock -------------------------------------------------------------------------- */

static void test_the_clock_moves_past_a_received_hlc_and_keeps_it_across_a_reopen(void)
{
    struct store_fixture f;
    struct pending_list *l;
    odo_hlc before, remote, after, reopened;

    fixture_setup(&f);
    ASSERT_OK(odo_replica_hlc(f.s, &before, &f.err), &f.err);
    remote = (odo_hlc)(f.now_ms + 3600 * 1000) << 16 | 7; /* an hour ahead */
    ASSERT_OK(odo_replica_begin_apply(f.s, &f.err), &f.err);
    ASSERT_OK(odo_replica_receive_hlc(f.s, remote, &f.err), &f.err);
    ASSERT_OK(odo_replica_end_apply(f.s, true, &f.err), &f.err);
    ASSERT_OK(odo_replica_hlc(f.s, &after, &f.err), &f.err);
    ASSERT_INT(after, >, remote);
    ASSERT_INT(after, >, before);
    /* A smaller remote never moves it back. */
    ASSERT_OK(odo_replica_receive_hlc(f.s, before, &f.err), &f.err);
    ASSERT_OK(odo_replica_hlc(f.s, &reopened, &f.err), &f.err);
    ASSERT_INT(reopened, >=, after);
    odo_store_close(f.s);
    fixture_open_store(&f);
    ASSERT_OK(odo_replica_hlc(f.s, &reopened, &f.err), &f.err);
    ASSERT_INT(reopened, >=, after);
    /* A local change made now is stamped after it, though the wall clock is an hour behind. */
    fixture_vehicle(&f, "alice", "After", "");
    l = pending(&f, "alice", 1);
    ASSERT_INT(l->hlc[0], >, reopened);
    fixture_teardown(&f);
}

/* ---- reading rows to push --------------------------------------------------------------- */

struct read_result {
    int n, index[8];
    char name[8][64];
    int plate_kind[8];
};

static int read_cb(int index, const struct odo_cell *cells, void *ctx)
{
    struct read_result *r = ctx;
    r->index[r->n] = index;
    snprintf(r->name[r->n], sizeof(r->name[0]), "%s", cells[0].s);
    r->plate_kind[r->n] = cells[1].kind;
    r->n++;
    return 0;
}

static void test_read_rows_gives_the_users_rows_by_their_index_and_skips_missing_ones(void)
{
    struct store_fixture f;
    struct odo_vehicle a, b, his;
    struct read_result r = {0};
    const char *cols[] = {"name", "plate"};

    fixture_setup(&f);
    a = fixture_vehicle(&f, "alice", "First", "");
    b = fixture_vehicle(&f, "alice", "Second", "");
    his = fixture_vehicle(&f, "bob", "His", "");
    const char *ids[] = {b.id, PULLED_ID, his.id, a.id};
    ASSERT_OK(odo_replica_read_rows(f.s, "alice", "vehicles", ids, 4, cols, 2, read_cb, &r, &f.err),
              &f.err);
    ASSERT_EQ(r.n, 2);
    ASSERT_EQ(r.index[0], 0);
    ASSERT_STR(r.name[0], "Second");
    ASSERT_EQ(r.index[1], 3);
    ASSERT_STR(r.name[1], "First");
    ASSERT_EQ(r.plate_kind[1], ODO_CELL_NULL);
    fixture_teardown(&f);
}

static void test_read_rows_refuses_unknown_tables_bad_columns_and_ids_that_are_not_uuids(void)
{
    struct store_fixture f;
    struct read_result r = {0};
    const char *cols[] = {"name"}, *bad_cols[] = {"name FROM vehicles; --"};
    const char *ids[] = {PULLED_ID}, *bad_ids[] = {"1 OR 1=1"};

    fixture_setup(&f);
    ASSERT_EQ(odo_replica_read_rows(f.s, "alice", "outbox", ids, 1, cols, 1, read_cb, &r, &f.err),
              ODO_EINVAL);
    ASSERT_EQ(
        odo_replica_read_rows(f.s, "alice", "vehicles", ids, 1, bad_cols, 1, read_cb, &r, &f.err),
        ODO_EINVAL);
    ASSERT_EQ(
        odo_replica_read_rows(f.s, "alice", "vehicles", bad_ids, 1, cols, 1, read_cb, &r, &f.err),
        ODO_EINVAL);
    ASSERT_EQ(r.n, 0);
    fixture_teardown(&f);
}

RUN_TESTS(
    TEST_CASE(test_pending_streams_the_users_oldest_changes_up_to_the_limit),
    TEST_CASE(test_sealing_freezes_the_entries_and_stores_the_batch_with_its_manifest),
    TEST_CASE(test_a_batch_sealed_without_a_manifest_reads_back_without_one),
    TEST_CASE(test_sealing_under_a_number_that_is_not_the_next_changes_nothing),
    TEST_CASE(test_sealing_entries_another_batch_took_is_refused_whole),
    TEST_CASE(test_unsealing_returns_entries_to_pending_merged_with_later_changes),
    TEST_CASE(test_settling_forgets_the_batch_and_its_entries_and_acked_only_rises),
    TEST_CASE(test_accepted_changes_take_their_revisions_and_never_go_back),
    TEST_CASE(test_accepted_refuses_ids_that_are_not_uuids_and_unsynced_tables),
    TEST_CASE(test_refusals_are_counted_with_the_last_reason),
    TEST_CASE(test_an_unknown_row_refusal_drops_the_local_copy_only_once_synced),
    TEST_CASE(test_a_pulled_row_is_inserted_at_its_revision_without_capture),
    TEST_CASE(test_a_pulled_row_keeps_the_local_value_of_columns_with_a_pending_change),
    TEST_CASE(test_a_row_inserted_locally_and_not_pushed_keeps_every_local_column),
    TEST_CASE(test_a_pulled_vehicle_takes_the_place_of_a_local_one_with_its_vin),
    TEST_CASE(test_apply_refuses_unknown_tables_and_bad_column_names),
    TEST_CASE(test_nothing_applied_shows_until_the_apply_commits_and_a_rollback_leaves_nothing),
    TEST_CASE(test_the_cursor_is_stored_with_the_page_it_covers),
    TEST_CASE(test_rekey_renames_a_row_and_its_children_and_pending_changes_follow),
    TEST_CASE(test_rekey_into_a_row_this_device_has_merges_the_alias_into_it),
    TEST_CASE(test_sweep_drops_unlisted_synced_rows_children_first_and_keeps_unpushed_ones),
    TEST_CASE(test_state_counts_waiting_changes_and_when_the_oldest_was_made),
    TEST_CASE(test_record_keeps_the_last_success_and_the_last_error),
    TEST_CASE(test_a_stored_token_reads_back_and_an_empty_one_logs_out),
    TEST_CASE(test_users_lists_the_logged_in_users_in_order),
    TEST_CASE(test_users_lists_only_the_first_64_logged_in_users),
    TEST_CASE(test_config_keys_read_back_what_was_set_and_nothing_when_unset),
    TEST_CASE(test_the_clock_moves_past_a_received_hlc_and_keeps_it_across_a_reopen),
    TEST_CASE(test_read_rows_gives_the_users_rows_by_their_index_and_skips_missing_ones),
    TEST_CASE(test_read_rows_refuses_unknown_tables_bad_columns_and_ids_that_are_not_uuids))
