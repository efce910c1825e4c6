/*
 * The sync engine (sync/client/engine.h) against the gateway in this process of memgateway.h,
 * which a test tells to lose an answer after applying the batch, to be unreachable, to refuse
 * with an error or one change alone, to make a vehicle an alias of another, to keep its own
 * version of a row, or to have purged tombstones. The device is a real store on a real SQLite
 * file: batching, settling, the pull rules, reconcile and the error codes, each by its effect.
 */
#include "sync/client/engine.h"
#include "storage/replica.h"
#include "sync/client/login.h"
#include "test.h"

#include "memgateway.h"
#include "store_fixture.h"

#define TOKEN "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
#define USER  "alice"
#define VIN_A "2HKRW2H20NH207506"

/* ---- the device ------------------------------------------------------------------------- */

struct fixture {
    struct store_fixture dev;
    struct gateway *gw;
    struct odo_sync_options opt;
    struct odo_sync_report rep;
};

static void setup(struct fixture *f)
{
    struct odo_sync_login login = {.token = TOKEN};

    memset(f, 0, sizeof(*f));
    fixture_setup(&f->dev);
    ASSERT_OK(odo_sync_login(f->dev.s, USER, &login, &f->dev.err), &f->dev.err);
    f->gw = gw_open(&f->dev, TOKEN);
    f->opt.push = f->opt.pull = true;
}

static void teardown(struct fixture *f)
{
    gw_free(f->gw);
    fixture_teardown(&f->dev);
}

static int sync_cycle(struct fixture *f)
{
    return odo_sync_cycle(f->dev.s, USER, &f->gw->base, &f->opt, &f->rep, &f->dev.err);
}

static int64_t outbox(struct fixture *f)
{
    return FIXTURE_SQL_INT(&f->dev, "SELECT count(*) FROM outbox");
}

static int64_t local_rev(struct fixture *f, const char *tbl, const char *id)
{
    return FIXTURE_SQL_INT(&f->dev, "SELECT rev FROM %s WHERE id = '%s'", tbl, id);
}

static struct odo_sync_state state(struct fixture *f)
{
    struct odo_sync_state st;
    ASSERT_OK(odo_replica_state(f->dev.s, USER, &st, &f->dev.err), &f->dev.err);
    return st;
}

/* An id for a row born centrally. */
static const char *central_id(int n)
{
    static char ids[8][ODO_UUID_TEXT_LEN + 1];
    snprintf(ids[n % 8], sizeof(ids[0]), "01a2013e-f2de-7666-bb2a-%012d", n);
    return ids[n % 8];
}

/* ---- batching --------------------------------------------------------------------------- */

static void test_an_outbox_larger_than_a_batch_goes_in_several_batches_of_batch_rows(void)
{
    struct fixture f;

    setup(&f);
    fixture_vehicles(&f.dev, USER, 5);
    f.opt.batch_rows = 2;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->pushes, 3);
    ASSERT_EQ(f.gw->push_rows[0], 2);
    ASSERT_EQ(f.gw->push_rows[1], 2);
    ASSERT_EQ(f.gw->push_rows[2], 1);
    ASSERT_EQ(f.gw->push_batch[0], 1);
    ASSERT_EQ(f.gw->push_batch[1], 2);
    ASSERT_EQ(f.gw->push_batch[2], 3);
    ASSERT_EQ(f.rep.batches, 3);
    ASSERT_EQ(f.rep.pushed, 5);
    ASSERT_EQ(outbox(&f), 0);
    teardown(&f);
}

static void test_batch_rows_above_the_protocols_maximum_is_held_to_it(void)
{
    struct fixture f;

    setup(&f);
    ASSERT_OK(odo_store_begin(f.dev.s, &f.dev.err), &f.dev.err);
    fixture_vehicles(&f.dev, USER, ODO_PUSH_ROWS_MAX + 1);
    ASSERT_OK(odo_store_commit(f.dev.s, &f.dev.err), &f.dev.err);
    f.opt.batch_rows = ODO_PUSH_ROWS_MAX + 1000;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->pushes, 2);
    ASSERT_EQ(f.gw->push_rows[0], ODO_PUSH_ROWS_MAX);
    ASSERT_EQ(f.gw->push_rows[1], 1);
    teardown(&f);
}

static void test_a_batch_whose_answer_was_lost_is_resent_unchanged_and_settled_once(void)
{
    struct fixture f;
    struct odo_vehicle a;
    int64_t rev;

    setup(&f);
    a = fixture_vehicle(&f.dev, USER, "First", "");
    fixture_vehicle(&f.dev, USER, "Second", "");
    f.gw->lose_next_answer = true;
    ASSERT_EQ(sync_cycle(&f), ODO_ENET);
    ASSERT_EQ(f.gw->applied, 1);
    ASSERT_EQ(outbox(&f), 2);
    ASSERT_EQ(local_rev(&f, "vehicles", a.id), 0);
    rev = f.gw->rev;
    /* A change made meanwhile waits for a batch of its own. */
    fixture_vehicle(&f.dev, USER, "Third", "");
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->pushes, 3);
    ASSERT_STR(f.gw->push_body[1], f.gw->push_body[0]);
    ASSERT_EQ(f.gw->push_batch[1], 1);
    ASSERT_EQ(f.gw->replays, 1);
    ASSERT_EQ(f.gw->push_batch[2], 2);
    ASSERT_EQ(f.gw->push_rows[2], 1);
    ASSERT_EQ(f.gw->applied, 2);
    ASSERT_EQ(f.gw->rev, rev + 1);
    ASSERT_EQ(local_rev(&f, "vehicles", a.id),
              gw_find(f.gw, odo_wire_table("vehicles"), a.id)->rev);
    ASSERT_EQ(outbox(&f), 0);
    teardown(&f);
}

static void test_batch_numbers_rise_only_with_new_content(void)
{
    struct fixture f;

    setup(&f);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->pushes, 0);
    ASSERT_EQ(state(&f).next_batch, 1);
    fixture_vehicle(&f.dev, USER, "First", "");
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->pushes, 1);
    ASSERT_EQ(state(&f).next_batch, 2);
    fixture_vehicle(&f.dev, USER, "Second", "");
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->pushes, 2);
    ASSERT_EQ(f.gw->push_batch[1], 2);
    ASSERT_EQ(state(&f).next_batch, 3);
    teardown(&f);
}

static void test_a_batch_the_gateway_refuses_whole_is_unsealed_and_rebuilt(void)
{
    struct fixture f;
    char *body;
    int64_t batch;

    setup(&f);
    fixture_vehicles(&f.dev, USER, 2);
    f.gw->fail_count = 1;
    f.gw->fail_with = ODO_PE_BAD_REQUEST;
    ASSERT_EQ(sync_cycle(&f), ODO_EPROTO);
    ASSERT_OK(odo_replica_inflight(f.dev.s, USER, &batch, &body, NULL, &f.dev.err), &f.dev.err);
    ASSERT_EQ(batch, 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f.dev, "SELECT count(*) FROM outbox WHERE batch IS NULL"), 2);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->push_rows[0], 2);
    ASSERT_EQ(outbox(&f), 0);
    teardown(&f);
}

/* ---- settling --------------------------------------------------------------------------- */

static void test_accepted_changes_take_the_revisions_the_answer_gives(void)
{
    struct fixture f;
    struct odo_vehicle a, b;
    struct odo_fuel_log l;
    const struct odo_wire_table *vehicles = odo_wire_table("vehicles");

    setup(&f);
    a = fixture_vehicle(&f.dev, USER, "First", "");
    b = fixture_vehicle(&f.dev, USER, "Second", "");
    l = fixture_fuel(&f.dev, USER, a.id);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.pushed, 3);
    ASSERT_EQ(local_rev(&f, "vehicles", a.id), gw_find(f.gw, vehicles, a.id)->rev);
    ASSERT_EQ(local_rev(&f, "vehicles", b.id), gw_find(f.gw, vehicles, b.id)->rev);
    ASSERT_EQ(local_rev(&f, "fuel_logs", l.id),
              gw_find(f.gw, odo_wire_table("fuel_logs"), l.id)->rev);
    ASSERT_INT(local_rev(&f, "vehicles", a.id), >, 0);
    ASSERT_EQ(state(&f).acked, f.gw->rev);
    teardown(&f);
}

static void test_outbox_entries_are_removed_only_once_the_answer_is_in(void)
{
    struct fixture f;

    setup(&f);
    fixture_vehicles(&f.dev, USER, 2);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->outbox_during_push[0], 2);
    ASSERT_EQ(outbox(&f), 0);
    teardown(&f);
}

static void test_refused_changes_are_counted_and_reported_for_sync_status(void)
{
    struct fixture f;
    struct odo_vehicle a, b;
    struct odo_sync_state st;

    setup(&f);
    a = fixture_vehicle(&f.dev, USER, "Accepted", "");
    b = fixture_vehicle(&f.dev, USER, "Refused", "");
    f.gw->refuse_id = b.id;
    f.gw->refuse_reason = "vin already registered";
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.pushed, 2);
    ASSERT_EQ(f.rep.refused, 1);
    ASSERT_STR(f.rep.last_refusal, "vin already registered");
    st = state(&f);
    ASSERT_EQ(st.refused, 1);
    ASSERT_STR(st.last_refusal, "vin already registered");
    ASSERT_EQ(st.outbox, 0);
    ASSERT_INT(local_rev(&f, "vehicles", a.id), >, 0);
    ASSERT_EQ(local_rev(&f, "vehicles", b.id), 0);
    teardown(&f);
}

static void test_a_rekey_in_the_answer_renames_the_local_vehicle_and_its_children(void)
{
    struct fixture f;
    struct odo_vehicle alias;
    struct odo_fuel_log l;
    const char *canonical = central_id(1);
    char text[128];

    setup(&f);
    gw_vehicle(f.gw, canonical, "Registered there", VIN_A);
    /* Without a VIN here, so that applying the winner cannot match the two by VIN: the rename
     * is the answer's re-key alone. */
    alias = fixture_vehicle(&f.dev, USER, "Registered here", "");
    l = fixture_fuel(&f.dev, USER, alias.id);
    f.gw->alias_id = alias.id;
    f.gw->canonical_id = canonical;
    f.opt.pull = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.rekeyed, 1);
    ASSERT_EQ(FIXTURE_SQL_INT(&f.dev, "SELECT count(*) FROM vehicles WHERE id = '%s'", alias.id),
              0);
    ASSERT_STR(fixture_vehicle_text(&f.dev, "name", canonical, text), "Registered there");
    ASSERT_STR(fixture_sql(&f.dev, text, sizeof(text),
                           "SELECT vehicle_id FROM fuel_logs WHERE id = '%s'", l.id),
               canonical);
    ASSERT_EQ(outbox(&f), 0);
    teardown(&f);
}

static void test_a_winning_row_in_the_answer_replaces_the_local_values(void)
{
    struct fixture f;
    struct odo_vehicle a;
    struct gw_row *r;
    char text[128];

    setup(&f);
    a = fixture_vehicle(&f.dev, USER, "Mine", "");
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    /* Someone renamed it centrally later than this device will edit it. */
    r = gw_find(f.gw, odo_wire_table("vehicles"), a.id);
    gw_set_text(r, "name", "Theirs");
    gw_set_text(r, "plate", "THEIRS-1");
    gw_touch(f.gw, r);
    r->keeps_its_version = true;
    snprintf(a.plate, sizeof(a.plate), "MINE-1");
    ASSERT_OK(odo_vehicle_update(f.dev.s, USER, &a, &f.dev.err), &f.dev.err);
    f.opt.pull = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.winners, 1);
    ASSERT_STR(fixture_vehicle_text(&f.dev, "name", a.id, text), "Theirs");
    ASSERT_STR(fixture_vehicle_text(&f.dev, "plate", a.id, text), "THEIRS-1");
    ASSERT_EQ(local_rev(&f, "vehicles", a.id), r->rev);
    ASSERT_EQ(outbox(&f), 0);
    teardown(&f);
}

static void test_the_clock_moves_past_the_gateways_hlc_in_the_answer(void)
{
    struct fixture f;
    odo_hlc now;

    setup(&f);
    fixture_vehicle(&f.dev, USER, "First", "");
    f.gw->hlc = (odo_hlc)(f.dev.now_ms + 3600 * 1000) << 16; /* an hour ahead */
    f.opt.pull = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_OK(odo_replica_hlc(f.dev.s, &now, &f.dev.err), &f.dev.err);
    ASSERT_INT(now, >, f.gw->hlc);
    /* And past a pull page's. */
    f.gw->hlc += (odo_hlc)3600 * 1000 << 16;
    f.opt.pull = true;
    f.opt.push = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_OK(odo_replica_hlc(f.dev.s, &now, &f.dev.err), &f.dev.err);
    ASSERT_INT(now, >, f.gw->hlc);
    teardown(&f);
}

/* ---- pulling ---------------------------------------------------------------------------- */

static void test_a_pulled_page_is_applied_and_the_cursor_stored(void)
{
    struct fixture f;
    char text[128];

    setup(&f);
    for (int i = 0; i < 3; i++)
        gw_vehicle(f.gw, central_id(i), "Central", NULL);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.pages, 1);
    ASSERT_EQ(f.rep.pulled, 3);
    ASSERT_EQ(f.rep.cursor, 3);
    ASSERT_EQ(state(&f).cursor, 3);
    ASSERT_EQ(local_rev(&f, "vehicles", central_id(2)), 3);
    ASSERT_STR(fixture_vehicle_text(&f.dev, "name", central_id(2), text), "Central");
    ASSERT_EQ(outbox(&f), 0); /* pulled rows do not go back out */
    /* The next pull asks from the cursor on. */
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->pull_since[1], 3);
    ASSERT_EQ(f.rep.pulled, 0);
    teardown(&f);
}

static void test_a_page_that_fails_to_apply_leaves_its_rows_and_the_cursor_as_they_were(void)
{
    struct fixture f;
    struct gw_row *q;

    setup(&f);
    gw_vehicle(f.gw, central_id(1), "Has the VIN", VIN_A);
    q = gw_vehicle(f.gw, central_id(2), "No VIN", NULL);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(state(&f).cursor, 2);
    /* A page whose second row cannot be stored here: a second live vehicle with that VIN. */
    gw_vehicle(f.gw, central_id(3), "New", NULL);
    gw_set_text(q, "vin", VIN_A);
    gw_touch(f.gw, q);
    ASSERT(sync_cycle(&f) != 0);
    ASSERT_EQ(
        FIXTURE_SQL_INT(&f.dev, "SELECT count(*) FROM vehicles WHERE id = '%s'", central_id(3)), 0);
    ASSERT_EQ(state(&f).cursor, 2);
    teardown(&f);
}

static void test_a_pulled_column_with_an_unpushed_local_change_keeps_the_local_value(void)
{
    struct fixture f;
    struct odo_vehicle a;
    struct gw_row *r;
    char text[128];

    setup(&f);
    a = fixture_vehicle(&f.dev, USER, "Mine", "");
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    snprintf(a.plate, sizeof(a.plate), "LOCAL-1");
    ASSERT_OK(odo_vehicle_update(f.dev.s, USER, &a, &f.dev.err), &f.dev.err);
    r = gw_find(f.gw, odo_wire_table("vehicles"), a.id);
    gw_set_text(r, "name", "Renamed centrally");
    gw_set_text(r, "plate", "CENTRAL-1");
    gw_touch(f.gw, r);
    f.opt.push = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.pulled, 1);
    ASSERT_STR(fixture_vehicle_text(&f.dev, "name", a.id, text), "Renamed centrally");
    ASSERT_STR(fixture_vehicle_text(&f.dev, "plate", a.id, text), "LOCAL-1");
    ASSERT_EQ(outbox(&f), 1);
    teardown(&f);
}

static void test_pages_are_pulled_until_the_gateway_says_there_are_no_more(void)
{
    struct fixture f;

    setup(&f);
    for (int i = 0; i < 5; i++)
        gw_vehicle(f.gw, central_id(i), "Central", NULL);
    f.opt.page_rows = 2;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.pages, 3);
    ASSERT_EQ(f.rep.pulled, 5);
    ASSERT_EQ(f.gw->pull_since[0], 0);
    ASSERT_EQ(f.gw->pull_since[1], 2);
    ASSERT_EQ(f.gw->pull_since[2], 4);
    ASSERT_EQ(state(&f).cursor, 5);
    teardown(&f);
}

static void test_a_device_behind_the_purge_watermark_reconciles_and_keeps_unpushed_rows(void)
{
    struct fixture f;
    struct odo_vehicle fresh;
    struct gw_row *gone;

    setup(&f);
    gw_vehicle(f.gw, central_id(1), "Still live", NULL);
    gone = gw_vehicle(f.gw, central_id(2), "Deleted, then purged", NULL);
    for (int i = 3; i < 6; i++)
        gw_vehicle(f.gw, central_id(i), "Live too", NULL);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(state(&f).cursor, 5);
    fresh = fixture_vehicle(&f.dev, USER, "Not pushed yet", "");
    /* Centrally: the row was deleted, its tombstone purged; a new row came later. */
    gone->purged = true;
    f.gw->rev = 20;
    f.gw->watermark = 20;
    gw_vehicle(f.gw, central_id(7), "Newer", NULL);
    f.opt.push = false;
    f.opt.page_rows = 2; /* the live list comes in pages too */
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT(f.rep.reconciled);
    ASSERT_EQ(f.rep.dropped, 1);
    ASSERT_EQ(
        FIXTURE_SQL_INT(&f.dev, "SELECT count(*) FROM vehicles WHERE id = '%s'", central_id(2)), 0);
    ASSERT_EQ(FIXTURE_SQL_INT(&f.dev, "SELECT count(*) FROM vehicles WHERE id IN ('%s', '%s')",
                              central_id(1), fresh.id),
              2);
    ASSERT_EQ(
        FIXTURE_SQL_INT(&f.dev, "SELECT count(*) FROM vehicles WHERE id = '%s'", central_id(7)), 1);
    ASSERT_EQ(state(&f).swept, 20);
    ASSERT_EQ(f.gw->pull_swept, 20); /* the pull after the sweep says so */
    ASSERT_EQ(state(&f).cursor, 21);
    teardown(&f);
}

static void test_own_pushed_rows_do_not_come_back_in_the_pull(void)
{
    struct fixture f;

    setup(&f);
    fixture_vehicles(&f.dev, USER, 2);
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.gw->pull_acked, f.gw->rev);
    ASSERT_EQ(f.rep.pushed, 2);
    ASSERT_EQ(f.rep.pulled, 0);
    ASSERT_EQ(state(&f).cursor, f.gw->rev);
    teardown(&f);
}

/* ---- errors ----------------------------------------------------------------------------- */

static void test_an_unreachable_gateway_is_enet_and_loses_nothing(void)
{
    struct fixture f;

    setup(&f);
    fixture_vehicles(&f.dev, USER, 2);
    f.gw->down = true;
    ASSERT_EQ(sync_cycle(&f), ODO_ENET);
    ASSERT_EQ(outbox(&f), 2);
    ASSERT_CONTAINS(state(&f).last_error, "the network is down");
    f.gw->down = false;
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.pushed, 2);
    ASSERT_EQ(outbox(&f), 0);
    ASSERT_STR(state(&f).last_error, "");
    teardown(&f);
}

/* Each error a gateway answers a whole request with, as the device takes it. */
static void test_gateway_errors_map_to_their_codes_and_keep_the_outbox(void)
{
    static const struct {
        enum odo_pe answer;
        int rc;
        const char *says;
    } cases[] = {
        {ODO_PE_UNAUTHORIZED, ODO_EAUTH, "run 'odolog login'"},
        {ODO_PE_FORBIDDEN, ODO_EAUTH, "the gateway refused the batch"},
        {ODO_PE_UPGRADE, ODO_EUPGRADE, "nothing was lost"},
        {ODO_PE_THROTTLED, ODO_ENET, "could not take the batch now"},
        {ODO_PE_UNAVAILABLE, ODO_ENET, "could not take the batch now"},
        {ODO_PE_CONFLICT, ODO_EPROTO, "the gateway refused the batch"},
    };
    struct fixture f;

    setup(&f);
    fixture_vehicles(&f.dev, USER, 2);
    for (size_t i = 0; i < ODO_ARRAY_LEN(cases); i++) {
        f.gw->fail_count = 1;
        f.gw->fail_with = cases[i].answer;
        ASSERT_EQ(sync_cycle(&f), cases[i].rc);
        ASSERT_CONTAINS(f.dev.err.msg, cases[i].says);
        ASSERT_EQ(outbox(&f), 2);
    }
    ASSERT_OK(sync_cycle(&f), &f.dev.err);
    ASSERT_EQ(f.rep.pushed, 2);
    ASSERT_EQ(outbox(&f), 0);
    teardown(&f);
}

static void test_a_user_without_a_token_is_eauth_before_anything_is_sent(void)
{
    struct fixture f;

    setup(&f);
    ASSERT_OK(odo_replica_login(f.dev.s, USER, NULL, &f.dev.err), &f.dev.err);
    fixture_vehicle(&f.dev, USER, "First", "");
    ASSERT_EQ(sync_cycle(&f), ODO_EAUTH);
    ASSERT_EQ(f.gw->requests, 0);
    ASSERT_EQ(outbox(&f), 1);
    teardown(&f);
}

static int stop_now(void *ctx)
{
    ++*(int *)ctx;
    return 1;
}

static void test_progress_asking_to_stop_ends_the_cycle_with_estopped_after_a_committed_trip(void)
{
    struct fixture f;
    int calls = 0;

    setup(&f);
    fixture_vehicles(&f.dev, USER, 5);
    f.opt.batch_rows = 2;
    f.opt.progress = stop_now;
    f.opt.progress_ctx = &calls;
    ASSERT_EQ(sync_cycle(&f), ODO_ESTOPPED);
    ASSERT_EQ(calls, 1);
    ASSERT_EQ(f.gw->pushes, 1);
    ASSERT_EQ(f.gw->pulls, 0);
    ASSERT_EQ(f.rep.batches, 1);
    ASSERT_EQ(outbox(&f), 3);
    teardown(&f);
}

RUN_TESTS(
    TEST_CASE(test_an_outbox_larger_than_a_batch_goes_in_several_batches_of_batch_rows),
    TEST_CASE(test_batch_rows_above_the_protocols_maximum_is_held_to_it),
    TEST_CASE(test_a_batch_whose_answer_was_lost_is_resent_unchanged_and_settled_once),
    TEST_CASE(test_batch_numbers_rise_only_with_new_content),
    TEST_CASE(test_a_batch_the_gateway_refuses_whole_is_unsealed_and_rebuilt),
    TEST_CASE(test_accepted_changes_take_the_revisions_the_answer_gives),
    TEST_CASE(test_outbox_entries_are_removed_only_once_the_answer_is_in),
    TEST_CASE(test_refused_changes_are_counted_and_reported_for_sync_status),
    TEST_CASE(test_a_rekey_in_the_answer_renames_the_local_vehicle_and_its_children),
    TEST_CASE(test_a_winning_row_in_the_answer_replaces_the_local_values),
    TEST_CASE(test_the_clock_moves_past_the_gateways_hlc_in_the_answer),
    TEST_CASE(test_a_pulled_page_is_applied_and_the_cursor_stored),
    TEST_CASE(test_a_page_that_fails_to_apply_leaves_its_rows_and_the_cursor_as_they_were),
    TEST_CASE(test_a_pulled_column_with_an_unpushed_local_change_keeps_the_local_value),
    TEST_CASE(test_pages_are_pulled_until_the_gateway_says_there_are_no_more),
    TEST_CASE(test_a_device_behind_the_purge_watermark_reconciles_and_keeps_unpushed_rows),
    TEST_CASE(test_own_pushed_rows_do_not_come_back_in_the_pull),
    TEST_CASE(test_an_unreachable_gateway_is_enet_and_loses_nothing),
    TEST_CASE(test_gateway_errors_map_to_their_codes_and_keep_the_outbox),
    TEST_CASE(test_a_user_without_a_token_is_eauth_before_anything_is_sent),
    TEST_CASE(test_progress_asking_to_stop_ends_the_cycle_with_estopped_after_a_committed_trip))
