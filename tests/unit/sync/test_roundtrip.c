/*
 * Every sync message, both ways through sync/protocol: what a writer writes, the matching decoder
 * reads back field by field (push and its answer, pull, a page, the order to reconcile, a
 * reconcile page, VIN request and answer, error bodies). The gateway's answers are also compared
 * byte for byte with what the gateway wrote before the writers moved here (protocol.md's shapes),
 * since stored push answers are replayed verbatim and clients parse them.
 */
#include <stdint.h>
#include <string.h>

#include "sync/protocol/messages.h"
#include "test.h"

#define DEVICE "01a20128-cc53-7ad6-a394-cd4233acfd8e"
#define ROW1   "01a20128-0000-7000-8000-000000000001"
#define ROW2   "01a20128-0000-7000-8000-000000000002"
#define ROW3   "01a20128-0000-7000-8000-000000000003"
#define HLC1   0x0190000000000009ULL
#define HLC2   0x0190000000000005ULL
#define HLC3   0x01900000000a0001ULL
#define T0     1704067200000LL

#define VAL_NULL                                                                                   \
    {                                                                                              \
        ODO_VAL_NULL, 0, NULL, 0                                                                   \
    }
#define VAL_INT(n)                                                                                 \
    {                                                                                              \
        ODO_VAL_INT, (n), NULL, 0                                                                  \
    }
#define VAL_STR(s)                                                                                 \
    {                                                                                              \
        ODO_VAL_STR, 0, (s), 0                                                                     \
    }
#define VAL_OWN(s, h)                                                                              \
    {                                                                                              \
        ODO_VAL_STR, 0, (s), (h)                                                                   \
    }

/* The column indexes of names in t; fails the test on an unknown name. */
static void cols_of(const struct odo_wire_table *t, const char *const *names, int n, int *cols)
{
    for (int i = 0; i < n; i++) {
        cols[i] = odo_wire_col_index(t, names[i]);
        if (cols[i] < 0)
            TEST_FAIL("no column %s in %s", names[i], t->name);
    }
}

static void assert_val(const struct odo_val *got, const struct odo_val *want, const char *where)
{
    if (got->kind != want->kind)
        TEST_FAIL("%s: kind %d, not %d", where, (int)got->kind, (int)want->kind);
    if (want->kind == ODO_VAL_INT && got->i != want->i)
        TEST_FAIL("%s: %lld, not %lld", where, (long long)got->i, (long long)want->i);
    if (want->kind == ODO_VAL_STR && strcmp(got->s, want->s) != 0)
        TEST_FAIL("%s: \"%s\", not \"%s\"", where, got->s, want->s);
}

/* A decoded group of full rows equals what was written. */
static void assert_group(const struct odo_row_group *g, const struct odo_wire_table *t,
                         const int *cols, int ncols, const char *const *ids, const int64_t *revs,
                         const struct odo_val *vals, size_t nrows)
{
    ASSERT(g->table == t);
    ASSERT_EQ(g->ncols, ncols);
    for (int j = 0; j < ncols; j++)
        ASSERT_EQ(g->cols[j], cols[j]);
    ASSERT_EQ(g->nrows, nrows);
    for (size_t i = 0; i < nrows; i++) {
        ASSERT_STR(g->rows[i].id, ids[i]);
        ASSERT_EQ(g->rows[i].rev, revs[i]);
        for (int j = 0; j < ncols; j++)
            assert_val(&g->rows[i].vals[j], &vals[i * (size_t)ncols + (size_t)j], t->name);
    }
}

/* ---- push ------------------------------------------------------------------------------- */

/* What a pushed row carries besides its values. */
struct envelope {
    const char *id;
    int64_t base_rev;
    odo_hlc hlc;
};

/* A decoded push group equals what was written: table, columns, place in the request, rows. */
static void assert_push_group(const struct odo_push_group *g, const struct odo_wire_table *t,
                              const int *cols, int ncols, size_t first, const struct envelope *rows,
                              const struct odo_val *vals, size_t nrows)
{
    ASSERT(g->table == t);
    ASSERT_EQ(g->ncols, ncols);
    for (int j = 0; j < ncols; j++)
        ASSERT_EQ(g->cols[j], cols[j]);
    ASSERT_EQ(g->first, first);
    ASSERT_EQ(g->nrows, nrows);
    for (size_t i = 0; i < nrows; i++) {
        ASSERT_STR(g->rows[i].id, rows[i].id);
        ASSERT_EQ(g->rows[i].base_rev, rows[i].base_rev);
        ASSERT(g->rows[i].hlc == rows[i].hlc);
        for (int j = 0; j < ncols; j++)
            assert_val(&g->rows[i].vals[j], &vals[i * (size_t)ncols + (size_t)j], t->name);
    }
}

static void test_a_push_request_round_trips_field_by_field(void)
{
    static const char *const vnames[] = {"name", "model_year", "notes", "plate"};
    static const char *const fnames[] = {"vehicle_id",  "filled_at", "odometer", "volume",
                                         "volume_unit", "is_full",   "missed"};
    const struct odo_wire_table *v = odo_wire_table("vehicles"), *f = odo_wire_table("fuel_logs");
    int vcols[4], fcols[7];
    /* Two rows of each group, one after the other. Own HLCs: one later than the row's (kept),
     * one equal to it (written as the row's). The second fill-up's volume is out of range. */
    const struct odo_val vv[2 * 4] = {VAL_STR("Caf\xc3\xa9 \"van\" \\ 1"),
                                      VAL_INT(2022),
                                      {ODO_VAL_NULL, 0, NULL, HLC3},
                                      VAL_OWN("AB-1", HLC1),
                                      VAL_STR("Car"),
                                      VAL_NULL,
                                      VAL_STR("n"),
                                      VAL_NULL};
    const struct odo_val fv[2 * 7] = {
        VAL_STR(ROW1),     VAL_INT(T0),  VAL_STR("41352.5"), VAL_STR("9.800"), VAL_STR("gal_us"),
        VAL_INT(1),        VAL_INT(0),   VAL_STR(ROW1),      VAL_INT(T0 + 1),  VAL_STR("1.0"),
        VAL_STR("-1.000"), VAL_STR("L"), VAL_INT(0),         VAL_INT(1)};
    static const struct envelope push_rows[] = {{ROW1, 0, HLC1},
                                                {ROW2, 17, HLC2},
                                                {ROW3, 4, HLC2},
                                                {"01a20128-0000-7000-8000-000000000004", 0, HLC3}};
    struct odo_push_writer w;
    struct odo_push_req r;
    struct odo_err err;
    struct odo_buf b;

    cols_of(v, vnames, 4, vcols);
    cols_of(f, fnames, 7, fcols);
    for (int with_token = 0; with_token < 2; with_token++) {
        odo_buf_init(&b, 1u << 20);
        odo_push_write_begin(&w, &b, DEVICE, 42, 2, with_token ? "a.b.c" : NULL, HLC3);
        odo_push_write_group(&w, v, vcols, 4);
        for (int i = 0; i < 2; i++)
            odo_push_write_row(&w, push_rows[i].id, push_rows[i].base_rev, push_rows[i].hlc,
                               &vv[4 * i], 4);
        odo_push_write_group(&w, f, fcols, 7);
        for (int i = 0; i < 2; i++)
            odo_push_write_row(&w, push_rows[2 + i].id, push_rows[2 + i].base_rev,
                               push_rows[2 + i].hlc, &fv[7 * i], 7);
        odo_push_write_end(&w);
        ASSERT(!b.overflow);
        ASSERT_OK(odo_push_decode(b.data, b.len, &r, &err), &err);

        ASSERT_EQ(r.v, ODO_PROTOCOL_VERSION);
        ASSERT_STR(r.device, DEVICE);
        ASSERT_EQ(r.batch, 42);
        ASSERT_EQ(r.schema, 2);
        ASSERT(r.hlc == HLC3);
        if (with_token)
            ASSERT_STR(r.token, "a.b.c");
        else
            ASSERT(r.token == NULL);
        ASSERT_EQ(r.ngroups, 2);
        ASSERT_EQ(r.nrows, 4);

        assert_push_group(&r.groups[0], v, vcols, 4, 0, &push_rows[0], vv, 2);
        ASSERT(r.groups[0].rows[0].vals[2].hlc == HLC3);
        ASSERT(r.groups[0].rows[0].vals[3].hlc == 0); /* the row's own: not repeated */
        ASSERT(r.groups[0].rows[0].vals[0].hlc == 0);
        ASSERT_STR(r.groups[0].rows[0].refused, "");
        ASSERT_STR(r.groups[0].rows[1].refused, "");
        assert_push_group(&r.groups[1], f, fcols, 7, 2, &push_rows[2], fv, 2);
        ASSERT_STR(r.groups[1].rows[0].refused, "");
        /* Well-formed but out of its column's domain: that row alone carries the refusal. */
        ASSERT_STR(r.groups[1].rows[1].refused, "volume is out of range");
        odo_push_free(&r);
        odo_buf_free(&b);
    }
}

/* The push answer of test_a_push_answer_round_trips..., as the gateway has always written it. */
#define SAMPLE_ANSWER                                                                              \
    "{\"v\":1,\"batch\":3,\"hlc\":\"0190000000000009\",\"revs\":[[5,3],[0,2],[20,2],[0,1],[9,1]]," \
    "\"refused\":[[3,\"unknown vehicle\"],[4,\"vin \\\"x\\\" already registered\"],[7,"            \
    "\"forbidden\"]],\"winners\":[{\"t\":\"vehicles\",\"cols\":[\"name\",\"model_year\"],"         \
    "\"rows\":[[\"" ROW1 "\",8,\"Van\",null],[\"" ROW2                                             \
    "\",9,\"Car\",2022]]},{\"t\":\"fuel_logs\","                                                   \
    "\"cols\":[\"odometer\"],\"rows\":[[\"" ROW3                                                   \
    "\",10,\"1.0\"]]}],\"rekey\":[[\"vehicles\",\"" ROW2 "\",\"" ROW1 "\"],[\"vehicles\",\"" ROW3  \
    "\",\"" ROW1 "\"]]}"

static void write_sample_answer(struct odo_buf *b)
{
    static const int64_t revs[] = {5, 6, 7, 0, 0, 20, 21, 0, 9};
    static const char *const vnames[] = {"name", "model_year"};
    const struct odo_wire_table *v = odo_wire_table("vehicles"), *f = odo_wire_table("fuel_logs");
    const struct odo_val v1[] = {VAL_STR("Van"), VAL_NULL}, v2[] = {VAL_STR("Car"), VAL_INT(2022)},
                         f1[] = {VAL_STR("1.0")};
    int vcols[2], fcols[1] = {odo_wire_col_index(f, "odometer")};
    struct odo_push_ans_writer w;

    cols_of(v, vnames, 2, vcols);
    odo_buf_init(b, 1u << 16);
    odo_push_ans_write_begin(&w, b, 3, HLC1);
    for (size_t i = 0; i < ODO_ARRAY_LEN(revs); i++)
        odo_push_ans_write_rev(&w, revs[i]);
    odo_push_ans_write_refused(&w, 3, "unknown vehicle");
    odo_push_ans_write_refused(&w, 4, "vin \"x\" already registered");
    odo_push_ans_write_refused(&w, 7, "forbidden");
    odo_push_ans_write_winners(&w, v, vcols, 2);
    odo_push_ans_write_winner(&w, ROW1, 8, v1, 2);
    odo_push_ans_write_winner(&w, ROW2, 9, v2, 2);
    odo_push_ans_write_winners(&w, f, fcols, 1);
    odo_push_ans_write_winner(&w, ROW3, 10, f1, 1);
    odo_push_ans_write_rekey(&w, v, ROW2, ROW1);
    odo_push_ans_write_rekey(&w, v, ROW3, ROW1);
    odo_push_ans_write_end(&w);
    ASSERT(!b->overflow);
}

static void test_a_push_answer_round_trips_runs_refusals_winners_and_rekeys(void)
{
    static const int64_t revs[] = {5, 6, 7, 0, 0, 20, 21, 0, 9};
    static const char *const vnames[] = {"name", "model_year"};
    static const char *const vids[] = {ROW1, ROW2}, *const fids[] = {ROW3};
    static const int64_t vrevs[] = {8, 9}, frevs[] = {10};
    const struct odo_wire_table *v = odo_wire_table("vehicles"), *f = odo_wire_table("fuel_logs");
    const struct odo_val vvals[] = {VAL_STR("Van"), VAL_NULL, VAL_STR("Car"), VAL_INT(2022)},
                         fvals[] = {VAL_STR("1.0")};
    int vcols[2], fcols[1] = {odo_wire_col_index(f, "odometer")};
    struct odo_push_ans a;
    struct odo_err err;
    struct odo_buf b;

    cols_of(v, vnames, 2, vcols);
    write_sample_answer(&b);
    ASSERT_OK(odo_push_ans_decode(b.data, b.len, &a, &err), &err);
    ASSERT_EQ(a.batch, 3);
    ASSERT(a.hlc == HLC1);
    ASSERT_EQ(a.nresults, ODO_ARRAY_LEN(revs));
    for (size_t i = 0; i < a.nresults; i++)
        if (a.results[i].rev != revs[i])
            TEST_FAIL("change %zu has revision %lld, not %lld", i, (long long)a.results[i].rev,
                      (long long)revs[i]);
    ASSERT_STR(a.results[3].refused, "unknown vehicle");
    ASSERT_STR(a.results[4].refused, "vin \"x\" already registered");
    ASSERT_STR(a.results[7].refused, "forbidden");
    for (size_t i = 0; i < a.nresults; i++)
        if (i != 3 && i != 4 && i != 7)
            ASSERT(a.results[i].refused == NULL);
    ASSERT_EQ(a.nwinners, 2);
    assert_group(&a.winners[0], v, vcols, 2, vids, vrevs, vvals, 2);
    assert_group(&a.winners[1], f, fcols, 1, fids, frevs, fvals, 1);
    ASSERT_EQ(a.nrekey, 2);
    ASSERT(a.rekey[0].table == v);
    ASSERT_STR(a.rekey[0].from, ROW2);
    ASSERT_STR(a.rekey[0].to, ROW1);
    ASSERT(a.rekey[1].table == v);
    ASSERT_STR(a.rekey[1].from, ROW3);
    ASSERT_STR(a.rekey[1].to, ROW1);
    odo_push_ans_free(&a);
    odo_buf_free(&b);
}

static void test_an_empty_push_answer_round_trips_with_every_part_empty(void)
{
    struct odo_push_ans_writer w;
    struct odo_push_ans a;
    struct odo_err err;
    struct odo_buf b;

    odo_buf_init(&b, 1u << 10);
    odo_push_ans_write_begin(&w, &b, 2, HLC2);
    odo_push_ans_write_end(&w);
    ASSERT_STR(b.data, "{\"v\":1,\"batch\":2,\"hlc\":\"0190000000000005\",\"revs\":[],"
                       "\"refused\":[],\"winners\":[],\"rekey\":[]}");
    ASSERT_OK(odo_push_ans_decode(b.data, b.len, &a, &err), &err);
    ASSERT_EQ(a.batch, 2);
    ASSERT(a.hlc == HLC2);
    ASSERT_EQ(a.nresults, 0);
    ASSERT_EQ(a.nwinners, 0);
    ASSERT_EQ(a.nrekey, 0);
    odo_push_ans_free(&a);
    odo_buf_free(&b);
}

static void test_a_push_answer_is_written_byte_for_byte_as_the_gateway_wrote_it(void)
{
    struct odo_buf b;

    write_sample_answer(&b);
    ASSERT_STR(b.data, SAMPLE_ANSWER);
    odo_buf_free(&b);
}

/* ---- pull ------------------------------------------------------------------------------- */

static void round_trip_pull(const struct odo_pull_req *want)
{
    struct odo_pull_req got;
    struct odo_err err;
    struct odo_buf b;

    odo_buf_init(&b, ODO_SMALL_BODY_MAX);
    odo_pull_encode(&b, want);
    ASSERT(!b.overflow);
    ASSERT_OK(odo_pull_decode(b.data, b.len, &got, &err), &err);
    ASSERT_EQ(got.v, ODO_PROTOCOL_VERSION);
    ASSERT_STR(got.device, want->device);
    ASSERT_EQ(got.schema, want->schema);
    ASSERT_EQ(got.since, want->since);
    ASSERT_EQ(got.limit, want->limit);
    if (want->token)
        ASSERT_STR(got.token, want->token);
    else
        ASSERT(got.token == NULL);
    ASSERT_EQ(got.swept, want->swept);
    ASSERT_EQ(got.acked, want->acked);
    ASSERT_EQ(got.reconcile, want->reconcile);
    if (want->reconcile)
        ASSERT_STR(got.after, want->after ? want->after : "");
    else
        ASSERT(got.after == NULL);
    odo_pull_free(&got);
    odo_buf_free(&b);
}

static void test_pull_requests_round_trip_plain_acked_and_reconciling(void)
{
    struct odo_pull_req r;

    memset(&r, 0, sizeof(r));
    snprintf(r.device, sizeof(r.device), "%s", DEVICE);
    r.schema = 1;
    r.since = 0;
    r.limit = ODO_PULL_LIMIT_DEFAULT;
    round_trip_pull(&r); /* plain, the first pull */
    r.schema = 2;
    r.since = 73000;
    r.limit = 7;
    r.token = "a.b.c";
    r.swept = 61;
    r.acked = 73999;
    round_trip_pull(&r); /* acked and swept */
    r.reconcile = true;
    r.after = "";
    round_trip_pull(&r); /* the first reconcile page */
    r.after = "fuel_logs/" ROW2;
    round_trip_pull(&r); /* a later one */
}

/* One group of the sample page: a table, its columns and one row. */
struct sample_group {
    const char *table;
    const char *cols[4];
    int ncols;
    const char *id;
    int64_t rev;
    struct odo_val vals[4];
};

/* A page of four groups: reference data, a table coming back after another, every kind. */
static const struct sample_group sample_page[] = {
    {"stations",
     {"name", "brand", "updated_at", "deleted_at"},
     4,
     "01a20128-0000-7000-8000-0000000000a1",
     1,
     {VAL_STR("Aral \"Nord\""), VAL_NULL, VAL_INT(T0), VAL_NULL}},
    {"vehicles",
     {"name", "model_year", "odometer_unit"},
     3,
     ROW1,
     2,
     {VAL_STR("Van \\ one"), VAL_INT(2022), VAL_STR("km")}},
    {"fuel_logs",
     {"vehicle_id", "odometer", "is_full", "notes"},
     4,
     ROW3,
     3,
     {VAL_STR(ROW1), VAL_STR("41352.5"), VAL_INT(1), VAL_NULL}},
    {"vehicles",
     {"name", "model_year", "odometer_unit"},
     3,
     ROW2,
     4,
     {VAL_STR("Caf\xc3\xa9"), VAL_NULL, VAL_STR("mi")}},
};

static void write_sample_page(struct odo_buf *b, bool more)
{
    struct odo_pull_page_writer w;

    odo_buf_init(b, 1u << 16);
    odo_pull_page_write_begin(&w, b, HLC1);
    for (size_t g = 0; g < ODO_ARRAY_LEN(sample_page); g++) {
        const struct sample_group *sg = &sample_page[g];
        const struct odo_wire_table *t = odo_wire_table(sg->table);
        int cols[4];
        cols_of(t, sg->cols, sg->ncols, cols);
        odo_pull_page_write_group(&w, t, cols, sg->ncols);
        odo_pull_page_write_row(&w, sg->id, sg->rev, sg->vals, sg->ncols);
    }
    odo_pull_page_write_end(&w, 77, more);
    ASSERT(!b->overflow);
}

static void test_a_pull_page_round_trips_groups_nulls_ints_and_strings(void)
{
    struct odo_pull_ans a;
    struct odo_err err;
    struct odo_buf b;

    for (int more = 0; more < 2; more++) {
        write_sample_page(&b, more);
        ASSERT_OK(odo_pull_ans_decode(b.data, b.len, &a, &err), &err);
        ASSERT(a.hlc == HLC1);
        ASSERT_EQ(a.cursor, 77);
        ASSERT_EQ(a.more, more);
        ASSERT_EQ(a.reconcile_required, 0);
        ASSERT(!a.is_reconcile);
        ASSERT_EQ(a.ngroups, ODO_ARRAY_LEN(sample_page));
        for (size_t g = 0; g < ODO_ARRAY_LEN(sample_page); g++) {
            const struct sample_group *sg = &sample_page[g];
            const struct odo_wire_table *t = odo_wire_table(sg->table);
            int cols[4];
            cols_of(t, sg->cols, sg->ncols, cols);
            assert_group(&a.groups[g], t, cols, sg->ncols, &sg->id, &sg->rev, sg->vals, 1);
        }
        odo_pull_ans_free(&a);
        odo_buf_free(&b);
    }
}

static void test_pull_pages_are_written_byte_for_byte_as_the_gateway_wrote_them(void)
{
    struct odo_pull_page_writer w;
    struct odo_buf b;

    write_sample_page(&b, true);
    ASSERT_STR(
        b.data,
        "{\"v\":1,\"hlc\":\"0190000000000009\",\"tables\":[{\"t\":\"stations\",\"cols\":"
        "[\"name\",\"brand\",\"updated_at\",\"deleted_at\"],\"rows\":[[\"01a20128-0000-"
        "7000-8000-0000000000a1\",1,\"Aral \\\"Nord\\\"\",null,1704067200000,null]]},{\"t\":"
        "\"vehicles\",\"cols\":[\"name\",\"model_year\",\"odometer_unit\"],\"rows\":[[\"" ROW1
        "\",2,\"Van \\\\ one\",2022,\"km\"]]},{\"t\":\"fuel_logs\",\"cols\":[\"vehicle_id\","
        "\"odometer\",\"is_full\",\"notes\"],\"rows\":[[\"" ROW3 "\",3,\"" ROW1
        "\",\"41352.5\",1,null]]},{\"t\":\"vehicles\",\"cols\":[\"name\",\"model_year\","
        "\"odometer_unit\"],\"rows\":[[\"" ROW2 "\",4,\"Caf\xc3\xa9\",null,\"mi\"]]}],"
        "\"cursor\":77,\"more\":true}");
    odo_buf_free(&b);
    /* A page with nothing new. */
    odo_buf_init(&b, 1u << 10);
    odo_pull_page_write_begin(&w, &b, HLC1);
    odo_pull_page_write_end(&w, 5, false);
    ASSERT_STR(b.data,
               "{\"v\":1,\"hlc\":\"0190000000000009\",\"tables\":[],\"cursor\":5,\"more\":false}");
    odo_buf_free(&b);
}

static void test_the_order_to_reconcile_round_trips(void)
{
    struct odo_pull_ans a;
    struct odo_err err;
    struct odo_buf b;

    odo_buf_init(&b, 1u << 10);
    odo_reconcile_required_encode(&b, HLC2, 81234);
    ASSERT_STR(b.data, "{\"v\":1,\"hlc\":\"0190000000000005\",\"reconcile_required\":81234}");
    ASSERT_OK(odo_pull_ans_decode(b.data, b.len, &a, &err), &err);
    ASSERT(a.hlc == HLC2);
    ASSERT_EQ(a.reconcile_required, 81234);
    ASSERT(!a.is_reconcile);
    ASSERT_EQ(a.ngroups, 0);
    odo_pull_ans_free(&a);
    odo_buf_free(&b);
}

static void test_reconcile_pages_round_trip_live_ids_and_next(void)
{
    const struct odo_wire_table *v = odo_wire_table("vehicles"), *f = odo_wire_table("fuel_logs");
    struct odo_reconcile_writer w;
    struct odo_pull_ans a;
    struct odo_err err;
    struct odo_buf b;

    odo_buf_init(&b, 1u << 12);
    odo_reconcile_write_begin(&w, &b, HLC1);
    odo_reconcile_write_table(&w, v);
    odo_reconcile_write_id(&w, ROW1);
    odo_reconcile_write_id(&w, ROW2);
    odo_reconcile_write_table(&w, f);
    odo_reconcile_write_id(&w, ROW3);
    odo_reconcile_write_end(&w, "fuel_logs/" ROW3);
    ASSERT_STR(b.data, "{\"v\":1,\"hlc\":\"0190000000000009\",\"live\":[{\"t\":\"vehicles\","
                       "\"ids\":[\"" ROW1 "\",\"" ROW2 "\"]},{\"t\":\"fuel_logs\",\"ids\":[\"" ROW3
                       "\"]}],\"next\":\"fuel_logs/" ROW3 "\"}");
    ASSERT_OK(odo_pull_ans_decode(b.data, b.len, &a, &err), &err);
    ASSERT(a.hlc == HLC1);
    ASSERT(a.is_reconcile);
    ASSERT_EQ(a.nlive, 2);
    ASSERT(a.live[0].table == v);
    ASSERT_EQ(a.live[0].nids, 2);
    ASSERT_STR(a.live[0].ids[0], ROW1);
    ASSERT_STR(a.live[0].ids[1], ROW2);
    ASSERT(a.live[1].table == f);
    ASSERT_EQ(a.live[1].nids, 1);
    ASSERT_STR(a.live[1].ids[0], ROW3);
    ASSERT_STR(a.next, "fuel_logs/" ROW3);
    odo_pull_ans_free(&a);
    /* The last page: nothing left, no next. */
    odo_buf_reset(&b);
    odo_reconcile_write_begin(&w, &b, HLC1);
    odo_reconcile_write_end(&w, NULL);
    ASSERT_STR(b.data, "{\"v\":1,\"hlc\":\"0190000000000009\",\"live\":[],\"next\":null}");
    ASSERT_OK(odo_pull_ans_decode(b.data, b.len, &a, &err), &err);
    ASSERT(a.is_reconcile);
    ASSERT_EQ(a.nlive, 0);
    ASSERT(a.next == NULL);
    odo_pull_ans_free(&a);
    odo_buf_free(&b);
}

/* ---- VIN, errors, health ----------------------------------------------------------------- */

static void test_vin_requests_and_answers_round_trip(void)
{
    struct odo_vin_answer want, got;
    struct odo_vin_req r;
    struct odo_err err;
    struct odo_buf b;

    odo_buf_init(&b, ODO_SMALL_BODY_MAX);
    for (int with_token = 0; with_token < 2; with_token++) {
        odo_buf_reset(&b);
        odo_vin_req_encode(&b, DEVICE, with_token ? "a.b.c" : NULL);
        ASSERT_OK(odo_vin_req_decode(b.data, b.len, &r, &err), &err);
        ASSERT_STR(r.device, DEVICE);
        if (with_token)
            ASSERT_STR(r.token, "a.b.c");
        else
            ASSERT(r.token == NULL);
        odo_vin_req_free(&r);
    }
    memset(&want, 0, sizeof(want));
    snprintf(want.vin, sizeof(want.vin), "%s", "2HKRW2H20NH207506");
    snprintf(want.source, sizeof(want.source), "%s", "vpic");
    want.names[0] = "make", want.values[0] = "Honda";
    want.names[1] = "series", want.values[1] = ""; /* unknown: left out */
    want.names[2] = "body_class", want.values[2] = "Sport Utility \"SUV\"";
    want.nfields = 3;
    want.errors[0] = 0, want.errors[1] = 5;
    want.nerrors = 2;
    want.error_text = "0 - VIN decoded clean";
    for (int year = 0; year <= 2022; year += 2022) {
        want.model_year = year;
        odo_buf_reset(&b);
        odo_vin_answer_encode(&b, &want);
        ASSERT_OK(odo_vin_answer_decode(b.data, b.len, &got, &err), &err);
        ASSERT_STR(got.vin, want.vin);
        ASSERT_STR(got.source, "vpic");
        ASSERT_EQ(got.model_year, year); /* 0 travels as null */
        ASSERT_EQ(got.nfields, 2);
        ASSERT_STR(got.names[0], "make");
        ASSERT_STR(got.values[0], "Honda");
        ASSERT_STR(got.names[1], "body_class");
        ASSERT_STR(got.values[1], "Sport Utility \"SUV\"");
        ASSERT_EQ(got.nerrors, 2);
        ASSERT_EQ(got.errors[0], 0);
        ASSERT_EQ(got.errors[1], 5);
        ASSERT_STR(got.error_text, want.error_text);
        odo_vin_answer_free(&got);
    }
    odo_buf_free(&b);
}

static void test_an_error_body_round_trips_for_every_error(void)
{
    struct odo_buf b;
    enum odo_pe e;
    char msg[64];

    odo_buf_init(&b, 1u << 10);
    for (int i = ODO_PE_BAD_REQUEST; i <= ODO_PE_UNAVAILABLE; i++) {
        odo_buf_reset(&b);
        odo_error_encode(&b, (enum odo_pe)i, "line \"one\"\nline \\two", 0);
        ASSERT_EQ(odo_error_decode(b.data, b.len, &e, msg, sizeof(msg), NULL), 0);
        ASSERT_EQ(e, i);
        ASSERT_STR(msg, "line \"one\"\nline \\two");
        ASSERT_EQ(odo_pe_parse(odo_pe_name((enum odo_pe)i)), i);
    }
    odo_buf_reset(&b);
    odo_error_encode(&b, ODO_PE_METHOD, "use POST", 0);
    ASSERT_STR(b.data, "{\"error\":\"method_not_allowed\",\"message\":\"use POST\"}");
    odo_buf_free(&b);
}

static void test_a_wait_to_retry_after_round_trips_and_a_body_without_one_reads_as_none(void)
{
    struct odo_buf b;
    enum odo_pe e;
    char msg[64];
    int retry = -1;

    odo_buf_init(&b, 1u << 10);
    odo_error_encode(&b, ODO_PE_THROTTLED, "slow down", 7);
    ASSERT_STR(b.data,
               "{\"error\":\"too_many_requests\",\"message\":\"slow down\",\"retry_after\":7}");
    ASSERT_EQ(odo_error_decode(b.data, b.len, &e, msg, sizeof(msg), &retry), 0);
    ASSERT_EQ(e, ODO_PE_THROTTLED);
    ASSERT_EQ(retry, 7);
    /* An older gateway's body has no wait; a wait out of range or not whole is ignored. */
    static const char *const none[] = {
        "{\"error\":\"unavailable\",\"message\":\"later\"}",
        "{\"error\":\"unavailable\",\"message\":\"later\",\"retry_after\":0}",
        "{\"error\":\"unavailable\",\"message\":\"later\",\"retry_after\":1.5}",
        "{\"error\":\"unavailable\",\"message\":\"later\",\"retry_after\":\"5\"}",
        "{\"error\":\"unavailable\",\"message\":\"later\",\"retry_after\":86401}",
    };
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        retry = -1;
        ASSERT_EQ(odo_error_decode(none[i], strlen(none[i]), &e, msg, sizeof(msg), &retry), 0);
        ASSERT_EQ(e, ODO_PE_UNAVAILABLE);
        ASSERT_EQ(retry, 0);
    }
    /* A wait past the longest is written as the longest. */
    odo_buf_reset(&b);
    odo_error_encode(&b, ODO_PE_UNAVAILABLE, "later", ODO_RETRY_AFTER_MAX + 5);
    ASSERT_EQ(odo_error_decode(b.data, b.len, &e, msg, sizeof(msg), &retry), 0);
    ASSERT_EQ(retry, ODO_RETRY_AFTER_MAX);
    odo_buf_free(&b);
}

static void test_the_health_answer_is_written_as_protocol_md_shows(void)
{
    struct odo_buf b;

    odo_buf_init(&b, 1u << 10);
    odo_health_encode(&b, true, 1, 2);
    ASSERT_STR(b.data, "{\"status\":\"ok\",\"database\":\"ok\",\"protocol\":1,\"schema\":[1,2]}");
    odo_buf_reset(&b);
    odo_health_encode(&b, false, 2, 3);
    ASSERT_STR(b.data, "{\"status\":\"degraded\",\"database\":\"unreachable\",\"protocol\":1,"
                       "\"schema\":[2,3]}");
    odo_buf_free(&b);
}

RUN_TESTS(TEST_CASE(test_a_push_request_round_trips_field_by_field),
          TEST_CASE(test_a_push_answer_round_trips_runs_refusals_winners_and_rekeys),
          TEST_CASE(test_an_empty_push_answer_round_trips_with_every_part_empty),
          TEST_CASE(test_a_push_answer_is_written_byte_for_byte_as_the_gateway_wrote_it),
          TEST_CASE(test_pull_requests_round_trip_plain_acked_and_reconciling),
          TEST_CASE(test_a_pull_page_round_trips_groups_nulls_ints_and_strings),
          TEST_CASE(test_pull_pages_are_written_byte_for_byte_as_the_gateway_wrote_them),
          TEST_CASE(test_the_order_to_reconcile_round_trips),
          TEST_CASE(test_reconcile_pages_round_trip_live_ids_and_next),
          TEST_CASE(test_vin_requests_and_answers_round_trip),
          TEST_CASE(test_an_error_body_round_trips_for_every_error),
          TEST_CASE(test_a_wait_to_retry_after_round_trips_and_a_body_without_one_reads_as_none),
          TEST_CASE(test_the_health_answer_is_written_as_protocol_md_shows))
