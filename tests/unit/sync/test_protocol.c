/*
 * The sync messages: what is written decodes back to the same thing; malformed input is refused
 * whole with a reason; a domain error refuses one row; and no mutation of a valid message (every
 * truncation, thousands of random byte edits) crashes a decoder or leaks (run under ASan).
 */
#include <stdint.h>
#include <string.h>

#include "sync/protocol/messages.h"
#include "test.h"

#define DEVICE "01a20128-cc53-7ad6-a394-cd4233acfd8e"
#define ROW1   "01a20128-0000-7000-8000-000000000001"
#define ROW2   "01a20128-0000-7000-8000-000000000002"

/* A push with two groups, a per-column HLC and every kind of value. */
static void sample_push(struct odo_buf *b)
{
    const struct odo_wire_table *v = odo_wire_table("vehicles"), *f = odo_wire_table("fuel_logs");
    int vcols[] = {odo_wire_col_index(v, "name"), odo_wire_col_index(v, "model_year"),
                   odo_wire_col_index(v, "notes")};
    int fcols[] = {odo_wire_col_index(f, "vehicle_id"), odo_wire_col_index(f, "odometer"),
                   odo_wire_col_index(f, "is_full")};
    struct odo_val vv[3] = {{ODO_VAL_STR, 0, "Caf\xc3\xa9 \"van\"\n", 0},
                            {ODO_VAL_INT, 2022, NULL, 0},
                            {ODO_VAL_NULL, 0, NULL, 0x0190000000000005ULL}};
    struct odo_val fv[3] = {
        {ODO_VAL_STR, 0, ROW1, 0}, {ODO_VAL_STR, 0, "41352.0", 0}, {ODO_VAL_INT, 1, NULL, 0}};
    struct odo_push_writer w;

    odo_buf_init(b, 1u << 20);
    odo_push_write_begin(&w, b, DEVICE, 7, 1, "a.b.c", 0x0190000000000009ULL);
    odo_push_write_group(&w, v, vcols, 3);
    odo_push_write_row(&w, ROW1, 0, 0x0190000000000009ULL, vv, 3);
    odo_push_write_group(&w, f, fcols, 3);
    odo_push_write_row(&w, ROW2, 12, 0x0190000000000009ULL, fv, 3);
    odo_push_write_end(&w);
    ASSERT(!b->overflow);
}

static void test_a_written_push_decodes_back_to_the_same_rows(void)
{
    struct odo_buf b;
    struct odo_push_req r;
    struct odo_err err;

    sample_push(&b);
    ASSERT_OK(odo_push_decode(b.data, b.len, &r, &err), &err);
    ASSERT_STR(r.device, DEVICE);
    ASSERT_EQ(r.batch, 7);
    ASSERT_STR(r.token, "a.b.c");
    ASSERT_EQ(r.ngroups, 2);
    ASSERT_EQ(r.nrows, 2);
    ASSERT_STR(r.groups[0].table->name, "vehicles");
    ASSERT_STR(r.groups[0].rows[0].vals[0].s, "Caf\xc3\xa9 \"van\"\n");
    ASSERT_EQ(r.groups[0].rows[0].vals[1].i, 2022);
    ASSERT_EQ(r.groups[0].rows[0].vals[2].kind, ODO_VAL_NULL);
    ASSERT(r.groups[0].rows[0].vals[2].hlc == 0x0190000000000005ULL);
    ASSERT(r.groups[0].rows[0].vals[0].hlc == 0);
    ASSERT_EQ(r.groups[1].first, 1);
    ASSERT_EQ(r.groups[1].rows[0].base_rev, 12);
    ASSERT_STR(r.groups[1].rows[0].vals[1].s, "41352.0");
    ASSERT_STR(r.groups[1].rows[0].refused, "");
    odo_push_free(&r);
    odo_buf_free(&b);
}

/* Decodes text as a push and expects refusal with a message containing `says`. */
static void refused(const char *text, int code, const char *says)
{
    struct odo_push_req r;
    struct odo_err err;
    int rc = odo_push_decode(text, strlen(text), &r, &err);
    if (rc != code)
        TEST_FAIL("expected %d, got %d for %s", code, rc, text);
    ASSERT_CONTAINS(err.msg, says);
}

#define HEAD                                                                                       \
    "{\"v\":1,\"device\":\"" DEVICE "\",\"batch\":1,\"schema\":1,\"hlc\":\"0000000000000001\","

static void test_malformed_pushes_are_refused_whole_with_a_reason(void)
{
    refused("", ODO_EPROTO, "not valid JSON");
    refused("[1,2]", ODO_EPROTO, "must be a JSON object");
    refused("{\"v\":1} trailing", ODO_EPROTO, "not valid JSON");
    refused("{\"v\":2}", ODO_EPROTO, "version");
    refused(HEAD "\"tables\":[],\"x\":1}", ODO_EPROTO, "unknown field 'x'");
    refused(HEAD "\"tables\":[],\"tables\":[]}", ODO_EPROTO, "appears twice");
    refused("{\"v\":1,\"device\":\"nope\",\"batch\":1,\"schema\":1,\"hlc\":\"0000000000000001\","
            "\"tables\":[]}",
            ODO_EPROTO, "not a UUID");
    refused(HEAD "\"tables\":{}}", ODO_EPROTO, "must be an array");
    refused(HEAD "\"tables\":[{\"t\":\"users\",\"cols\":[],\"rows\":[]}]}", ODO_EPROTO,
            "unknown table");
    refused(HEAD "\"tables\":[{\"t\":\"stations\",\"cols\":[],\"rows\":[]}]}", ODO_EPROTO,
            "reference data");
    refused(HEAD "\"tables\":[{\"t\":\"vehicles\",\"cols\":[\"owner\"],\"rows\":[]}]}", ODO_EPROTO,
            "unknown column");
    refused(HEAD "\"tables\":[{\"t\":\"vehicles\",\"cols\":[\"name\",\"name\"],\"rows\":[]}]}",
            ODO_EPROTO, "twice");
    refused(HEAD "\"tables\":[{\"t\":\"vehicles\",\"cols\":[\"name\"],\"rows\":[[\"" ROW1
                 "\",0,\"0000000000000001\"]]}]}",
            ODO_EPROTO, "must be [id, base_rev, hlc, 1 values]");
    refused(HEAD "\"tables\":[{\"t\":\"vehicles\",\"cols\":[\"model_year\"],\"rows\":[[\"" ROW1
                 "\",0,\"0000000000000001\",\"2022\"]]}]}",
            ODO_EPROTO, "wrong type");
    refused(HEAD "\"tables\":[{\"t\":\"vehicles\",\"cols\":[\"name\"],\"rows\":[[\"" ROW1
                 "\",0,\"zz\",\"x\"]]}]}",
            ODO_EPROTO, "HLC");
    refused(HEAD "\"tables\":[{\"t\":\"vehicles\",\"cols\":[\"name\"],\"rows\":[[\"" ROW1
                 "\",-1,\"0000000000000001\",\"x\"]]}]}",
            ODO_EPROTO, "base revision");
    refused(HEAD "\"tables\":[{\"t\":\"vehicles\",\"cols\":[\"name\"],\"rows\":[[\"" ROW1
                 "\",0,\"0000000000000001\",{\"h\":\"0000000000000002\",\"v\":\"x\",\"q\":1}]]}]}",
            ODO_EPROTO, "unknown field 'q'");
    refused(HEAD "\"batch\":1.5,\"tables\":[]}", ODO_EPROTO, "twice");
    refused("{\"v\":1,\"device\":\"" DEVICE "\",\"batch\":1.5,\"schema\":1,\"hlc\":"
            "\"0000000000000001\",\"tables\":[]}",
            ODO_EPROTO, "integer");
}

static void test_a_domain_error_refuses_that_row_alone(void)
{
    static const char text[] =
        HEAD "\"tables\":[{\"t\":\"fuel_logs\",\"cols\":[\"volume\",\"volume_unit\",\"currency\"],"
             "\"rows\":[[\"" ROW1 "\",0,\"0000000000000001\",\"10.120\",\"L\",\"EUR\"],"
             "[\"" ROW2 "\",0,\"0000000000000001\",\"-1.000\",\"barrel\",\"eur\"]]}]}";
    struct odo_push_req r;
    struct odo_err err;

    ASSERT_OK(odo_push_decode(text, sizeof(text) - 1, &r, &err), &err);
    ASSERT_STR(r.groups[0].rows[0].refused, "");
    ASSERT_STR(r.groups[0].rows[1].refused, "volume is out of range");
    odo_push_free(&r);
}

static void test_values_are_checked_against_their_column(void)
{
    const struct odo_wire_table *f = odo_wire_table("fuel_logs");
    const struct odo_wire_col *odo = &f->cols[odo_wire_col_index(f, "odometer")];
    const struct odo_wire_col *at = &f->cols[odo_wire_col_index(f, "filled_at")];
    const struct odo_wire_col *cur = &f->cols[odo_wire_col_index(f, "currency")];
    static const char *const bad_decimals[] = {
        "1e3", "12.34", "--1", ".", "1.", "NaN", "99999999999999999999"};
    struct odo_val v = {ODO_VAL_STR, 0, NULL, 0};

    v.s = "41352.5";
    ASSERT(odo_val_check(odo, &v) == NULL);
    for (size_t i = 0; i < ODO_ARRAY_LEN(bad_decimals); i++) {
        v.s = bad_decimals[i];
        if (!odo_val_check(odo, &v))
            TEST_FAIL("'%s' passed as an odometer", bad_decimals[i]);
    }
    /* Times travel as milliseconds since 1970: a string, a negative number or one past the
     * year 9999 is refused. */
    v.s = "2024-02-29T10:00:00.000Z";
    ASSERT(odo_val_check(at, &v) != NULL);
    v.kind = ODO_VAL_INT;
    v.i = 1709200800000; /* 2024-02-29T10:00:00Z */
    ASSERT(odo_val_check(at, &v) == NULL);
    v.i = -1;
    ASSERT(odo_val_check(at, &v) != NULL);
    v.i = ODO_TIME_MAX_MS + 1;
    ASSERT(odo_val_check(at, &v) != NULL);
    v.kind = ODO_VAL_STR;
    v.s = "EUR";
    ASSERT(odo_val_check(cur, &v) == NULL);
    v.s = "E\xc3\x9a";
    ASSERT(odo_val_check(cur, &v) != NULL);
    v.kind = ODO_VAL_NULL;
    ASSERT(odo_val_check(cur, &v) == NULL);
    ASSERT(odo_val_check(odo, &v) != NULL);
}

static void test_pull_answers_and_errors_round_trip(void)
{
    const struct odo_wire_table *v = odo_wire_table("vehicles");
    int cols[] = {odo_wire_col_index(v, "name"), odo_wire_col_index(v, "odometer_unit")};
    struct odo_val vals[2] = {{ODO_VAL_STR, 0, "Van", 0}, {ODO_VAL_STR, 0, "km", 0}};
    struct odo_pull_page_writer w;
    struct odo_pull_ans a;
    struct odo_err err;
    struct odo_buf b;
    enum odo_pe e;
    char msg[64];

    odo_buf_init(&b, 1u << 16);
    odo_pull_page_write_begin(&w, &b, 9);
    odo_pull_page_write_group(&w, v, cols, 2);
    odo_pull_page_write_row(&w, ROW1, 42, vals, 2);
    odo_pull_page_write_end(&w, 42, false);
    ASSERT_OK(odo_pull_ans_decode(b.data, b.len, &a, &err), &err);
    ASSERT_EQ(a.cursor, 42);
    ASSERT_EQ(a.ngroups, 1);
    ASSERT_EQ(a.groups[0].rows[0].rev, 42);
    ASSERT_STR(a.groups[0].rows[0].vals[1].s, "km");
    odo_pull_ans_free(&a);
    /* A gateway that sends a value outside the schema is not believed. */
    odo_buf_reset(&b);
    odo_buf_puts(&b, "{\"v\":1,\"hlc\":\"0000000000000009\",\"tables\":[{\"t\":\"vehicles\","
                     "\"cols\":[\"odometer_unit\"],\"rows\":[[\"" ROW1 "\",1,\"parsecs\"]]}],"
                     "\"cursor\":1,\"more\":false}");
    ASSERT_EQ(odo_pull_ans_decode(b.data, b.len, &a, &err), ODO_EPROTO);
    ASSERT_CONTAINS(err.msg, "odometer_unit");
    odo_buf_reset(&b);
    odo_error_encode(&b, ODO_PE_UPGRADE, "upgrade \"now\"", 0);
    ASSERT_EQ(odo_error_decode(b.data, b.len, &e, msg, sizeof(msg), NULL), 0);
    ASSERT_EQ(e, ODO_PE_UPGRADE);
    ASSERT_STR(msg, "upgrade \"now\"");
    ASSERT_EQ(odo_pe_http(ODO_PE_TOO_LARGE), 413);
    ASSERT_EQ(odo_pe_coap(ODO_PE_TOO_LARGE), 413);
    ASSERT_EQ(odo_pe_http(ODO_PE_UPGRADE), 426);
    odo_buf_free(&b);
}

static void test_push_answer_revision_runs_expand_to_one_revision_per_change(void)
{
    static const char good[] = "{\"v\":1,\"batch\":3,\"hlc\":\"0000000000000009\",\"revs\":"
                               "[[5,3],[0,1],[20,1]],\"refused\":[[3,\"x\"]]}";
    static const char *const bad[] = {
        "{\"v\":1,\"batch\":3,\"hlc\":\"0000000000000009\",\"revs\":[5,6]}",
        "{\"v\":1,\"batch\":3,\"hlc\":\"0000000000000009\",\"revs\":[[5,0]]}",
        "{\"v\":1,\"batch\":3,\"hlc\":\"0000000000000009\",\"revs\":[[5]]}",
        "{\"v\":1,\"batch\":3,\"hlc\":\"0000000000000009\",\"revs\":[[-1,1]]}",
        "{\"v\":1,\"batch\":3,\"hlc\":\"0000000000000009\",\"revs\":[[1,1500],[9,501]]}",
    };
    static const int64_t want[] = {5, 6, 7, 0, 20};
    struct odo_push_ans a;
    struct odo_err err;

    ASSERT(odo_push_ans_decode(good, sizeof(good) - 1, &a, &err) == 0);
    ASSERT(a.nresults == ODO_ARRAY_LEN(want));
    for (size_t i = 0; i < a.nresults; i++)
        if (a.results[i].rev != want[i])
            TEST_FAIL("change %zu has revision %lld, not %lld", i, (long long)a.results[i].rev,
                      (long long)want[i]);
    ASSERT(a.results[3].refused && strcmp(a.results[3].refused, "x") == 0);
    odo_push_ans_free(&a);
    for (size_t i = 0; i < ODO_ARRAY_LEN(bad); i++) {
        if (odo_push_ans_decode(bad[i], strlen(bad[i]), &a, &err) == 0)
            TEST_FAIL("accepted %s", bad[i]);
        ASSERT(err.code == ODO_EPROTO);
    }
}

static void test_the_buffer_cap_is_never_passed(void)
{
    struct odo_buf b;
    odo_buf_init(&b, 10);
    odo_buf_puts(&b, "0123456789");
    ASSERT(!b.overflow);
    odo_buf_putc(&b, 'x');
    ASSERT(b.overflow);
    ASSERT_EQ(b.len, 10);
    odo_buf_printf(&b, "%s", "more");
    ASSERT_EQ(b.len, 10);
    odo_buf_free(&b);
}

/* Feeds text to every decoder; they may refuse it but must not crash or leak. */
static void decode_all(const char *text, size_t len)
{
    struct odo_push_req p;
    struct odo_push_ans pa;
    struct odo_pull_req q;
    struct odo_pull_ans qa;
    struct odo_err err;
    enum odo_pe e;
    char msg[32];

    if (odo_push_decode(text, len, &p, &err) == 0) {
        size_t rows = 0;
        for (size_t g = 0; g < p.ngroups; g++)
            rows += p.groups[g].nrows;
        ASSERT_EQ(rows, p.nrows);
        odo_push_free(&p);
    }
    if (odo_push_ans_decode(text, len, &pa, &err) == 0)
        odo_push_ans_free(&pa);
    if (odo_pull_decode(text, len, &q, &err) == 0)
        odo_pull_free(&q);
    if (odo_pull_ans_decode(text, len, &qa, &err) == 0)
        odo_pull_ans_free(&qa);
    (void)odo_error_decode(text, len, &e, msg, sizeof(msg), NULL);
}

static uint32_t next_random(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_no_truncation_or_mutation_of_a_message_crashes_a_decoder(void)
{
    static const char answer[] =
        "{\"v\":1,\"batch\":3,\"hlc\":\"0000000000000009\",\"revs\":[[5,1],[0,1]],\"refused\":[[1,"
        "\"x\"]],"
        "\"winners\":[{\"t\":\"vehicles\",\"cols\":[\"name\"],\"rows\":[[\"" ROW1 "\",5,\"V\"]]}],"
        "\"rekey\":[[\"vehicles\",\"" ROW1 "\",\"" ROW2 "\"]]}";
    static const char pull[] = "{\"v\":1,\"device\":\"" DEVICE "\",\"schema\":1,\"since\":3,"
                               "\"limit\":10,\"swept\":2,\"reconcile\":{\"after\":\"\"}}";
    static const char live[] = "{\"v\":1,\"hlc\":\"0000000000000009\",\"live\":[{\"t\":"
                               "\"vehicles\",\"ids\":[\"" ROW1 "\"]}],\"next\":null}";
    const char *samples[4];
    size_t lens[4];
    struct odo_buf push;
    uint32_t seed = 0x2545f491;
    char *copy = malloc(1u << 16);

    sample_push(&push);
    samples[0] = push.data, lens[0] = push.len;
    samples[1] = answer, lens[1] = sizeof(answer) - 1;
    samples[2] = pull, lens[2] = sizeof(pull) - 1;
    samples[3] = live, lens[3] = sizeof(live) - 1;
    for (int s = 0; s < 4; s++) {
        for (size_t n = 0; n <= lens[s]; n++)
            decode_all(samples[s], n);
        for (int i = 0; i < 5000; i++) {
            size_t len = lens[s];
            memcpy(copy, samples[s], len);
            for (int k = 0, edits = 1 + (int)(next_random(&seed) % 4); k < edits; k++) {
                size_t at = next_random(&seed) % len;
                static const char interesting[] = "{}[]\",:0-9eE.\\ \x01\xff";
                copy[at] = next_random(&seed) % 2
                               ? interesting[next_random(&seed) % (sizeof(interesting) - 1)]
                               : (char)next_random(&seed);
            }
            decode_all(copy, len);
        }
    }
    /* Deep nesting within the size limit is refused, not recursed into the ground. */
    {
        size_t n = 0;
        n += (size_t)snprintf(copy, 64, "{\"v\":1,\"tables\":");
        for (int i = 0; i < 3000; i++)
            copy[n++] = '[';
        for (int i = 0; i < 3000; i++)
            copy[n++] = ']';
        copy[n++] = '}';
        decode_all(copy, n);
    }
    free(copy);
    odo_buf_free(&push);
}

RUN_TESTS(TEST_CASE(test_a_written_push_decodes_back_to_the_same_rows),
          TEST_CASE(test_push_answer_revision_runs_expand_to_one_revision_per_change),
          TEST_CASE(test_malformed_pushes_are_refused_whole_with_a_reason),
          TEST_CASE(test_a_domain_error_refuses_that_row_alone),
          TEST_CASE(test_values_are_checked_against_their_column),
          TEST_CASE(test_pull_answers_and_errors_round_trip),
          TEST_CASE(test_the_buffer_cap_is_never_passed),
          TEST_CASE(test_no_truncation_or_mutation_of_a_message_crashes_a_decoder))
