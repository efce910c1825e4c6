/*
 * Fuel economy with partial and missed fills, exact decimals, and unit conversions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "storage/economy.h"
#include "storage/units.h"
#include "test.h"

static struct odo_fill fill_mi_gal(const char *odo, const char *gal, bool full, bool missed)
{
    struct odo_fill f = {0};
    int64_t o, v;

    ASSERT_OK(odo_dec_parse(odo, ODO_SCALE_DISTANCE, &o, "odometer", NULL), (struct odo_err *)0);
    ASSERT_OK(odo_dec_parse(gal, ODO_SCALE_VOLUME, &v, "volume", NULL), (struct odo_err *)0);
    f.odometer_um = odo_dist_to_um(o, ODO_DIST_MI);
    f.volume_pl = odo_vol_to_pl(v, ODO_VOL_GAL_US);
    f.full = full;
    f.missed = missed;
    return f;
}

static void test_shared_vectors_per_fill_mpg_counted_rows_and_average(void)
{
    char path[512], line[512], expect_avg[32] = "";
    struct odo_econ e;
    FILE *f;
    int rows = 0;
    /* Rows waiting for a full fill to close their chain, to check include_in_avg. */
    int pending_include[16], npending = 0;

    snprintf(path, sizeof(path), "%s/fuel_economy_test_vectors.tsv", ODO_TEST_DATA);
    f = fopen(path, "r");
    ASSERT(f != NULL);
    ASSERT(fgets(line, sizeof(line), f) != NULL);
    odo_econ_init(&e);
    while (fgets(line, sizeof(line), f)) {
        char date[16], odo[16], fuel[16], mpg[16];
        int full, missed, delta, include;
        struct odo_fill_result r;
        char got[ODO_DEC_TEXT_MAX];

        if (line[0] == '#') {
            if (strncmp(line, "# average_mpg", 13) == 0)
                ASSERT(sscanf(line + 13, "%31s", expect_avg) == 1);
            continue;
        }
        ASSERT(sscanf(line, "%15s %15s %15s %d %d %d %15s %d", date, odo, fuel, &full, &missed,
                      &delta, mpg, &include) == 8);
        struct odo_fill fl = fill_mi_gal(odo, fuel, full, missed);
        ASSERT_OK(odo_econ_feed(&e, &fl, &r), (struct odo_err *)0);
        rows++;
        ASSERT_EQ(odo_dist_from_um(r.delta_um, ODO_DIST_MI), (int64_t)delta * 10);
        if (strcmp(mpg, "0") != 0) {
            ASSERT_EQ(r.kind, ODO_FILL_FULL);
            odo_dec_format(odo_economy(r.chain_um, r.chain_pl, ODO_ECON_MPG_US), 2, 2, got,
                           sizeof(got));
            if (strcmp(got, mpg) != 0)
                TEST_FAIL("%s: economy %s, expected %s", date, got, mpg);
        } else {
            ASSERT(r.kind != ODO_FILL_FULL);
        }
        /* include_in_avg: a fill counts once the full fill that closes its chain arrives. */
        if (r.kind == ODO_FILL_PARTIAL) {
            pending_include[npending++] = include;
        } else if (r.kind == ODO_FILL_FULL) {
            ASSERT_EQ(r.chain_fills, npending + 1);
            for (int i = 0; i < npending; i++)
                ASSERT_EQ(pending_include[i], 1);
            ASSERT_EQ(include, 1);
            npending = 0;
        } else {
            ASSERT_EQ(include, 0);
        }
    }
    fclose(f);
    ASSERT_EQ(rows, 7);
    char avg[ODO_DEC_TEXT_MAX];
    odo_dec_format(odo_economy(e.total_um, e.total_pl, ODO_ECON_MPG_US), 2, 2, avg, sizeof(avg));
    ASSERT_STR(avg, expect_avg);
    ASSERT_STR(avg, "34.78"); /* not 34.76, the mean of the per-fill figures */
    ASSERT_EQ(e.counted_fills, 5);
}

static void test_partial_fills_before_any_full_fill_are_not_counted(void)
{
    struct odo_econ e;
    struct odo_fill_result r;
    struct odo_fill a = fill_mi_gal("1000", "5", false, false),
                    b = fill_mi_gal("1100", "4", false, false),
                    c = fill_mi_gal("1300", "8", true, false),
                    d = fill_mi_gal("1600", "10", true, false);

    odo_econ_init(&e);
    ASSERT_OK(odo_econ_feed(&e, &a, &r), (struct odo_err *)0);
    ASSERT_EQ(r.kind, ODO_FILL_UNCOUNTED);
    ASSERT_OK(odo_econ_feed(&e, &b, &r), (struct odo_err *)0);
    ASSERT_EQ(r.kind, ODO_FILL_UNCOUNTED);
    ASSERT_OK(odo_econ_feed(&e, &c, &r), (struct odo_err *)0);
    ASSERT_EQ(r.kind, ODO_FILL_BASELINE); /* the tank level before it is unknown */
    ASSERT_OK(odo_econ_feed(&e, &d, &r), (struct odo_err *)0);
    ASSERT_EQ(r.kind, ODO_FILL_FULL);
    ASSERT_EQ(odo_economy(e.total_um, e.total_pl, ODO_ECON_MPG_US), 3000); /* 300 mi / 10 gal */
}

static void test_a_missed_partial_fill_breaks_the_chain_until_the_next_full_fill(void)
{
    struct odo_econ e;
    struct odo_fill_result r;
    struct odo_fill seq[] = {fill_mi_gal("0", "10", true, false),
                             fill_mi_gal("300", "5", false, true), /* missed, partial */
                             fill_mi_gal("500", "9", true, false), /* restarts here */
                             fill_mi_gal("800", "10", true, false)};
    enum odo_fill_kind want[] = {ODO_FILL_BASELINE, ODO_FILL_MISSED, ODO_FILL_BASELINE,
                                 ODO_FILL_FULL};

    odo_econ_init(&e);
    for (size_t i = 0; i < ODO_ARRAY_LEN(seq); i++) {
        ASSERT_OK(odo_econ_feed(&e, &seq[i], &r), (struct odo_err *)0);
        ASSERT_EQ(r.kind, want[i]);
    }
    ASSERT_EQ(e.total_um, odo_dist_to_um(3000, ODO_DIST_MI));
    ASSERT_EQ(e.counted_fills, 1);
}

static void test_a_cluster_swap_restarts_the_series_without_a_bogus_distance(void)
{
    struct odo_econ e;
    struct odo_fill_result r;
    struct odo_fill a = fill_mi_gal("90000", "10", true, false),
                    b = fill_mi_gal("90300", "10", true, false),
                    c = fill_mi_gal("100", "10", true, false), /* new cluster */
        d = fill_mi_gal("400", "10", true, false);

    odo_econ_init(&e);
    ASSERT_OK(odo_econ_feed(&e, &a, &r), (struct odo_err *)0);
    ASSERT_OK(odo_econ_feed(&e, &b, &r), (struct odo_err *)0);
    ASSERT_EQ(odo_econ_feed(&e, &c, &r), ODO_EINVAL); /* backwards without a reset */
    c.reset = true;
    ASSERT_OK(odo_econ_feed(&e, &c, &r), (struct odo_err *)0);
    ASSERT_EQ(r.kind, ODO_FILL_BASELINE);
    ASSERT_EQ(r.delta_um, 0);
    ASSERT_OK(odo_econ_feed(&e, &d, &r), (struct odo_err *)0);
    ASSERT_EQ(e.driven_um, odo_dist_to_um(6000, ODO_DIST_MI));
    ASSERT_EQ(odo_economy(e.total_um, e.total_pl, ODO_ECON_MPG_US), 3000);
}

static void test_economy_in_every_unit(void)
{
    /* 500 km on 40 L: 8.00 L/100km, 12.50 km/L, 29.40 mpg (US), 35.31 mpg (UK). */
    int64_t um = odo_dist_to_um(5000, ODO_DIST_KM), pl = odo_vol_to_pl(40000, ODO_VOL_L);

    ASSERT_EQ(odo_economy(um, pl, ODO_ECON_L_PER_100KM), 800);
    ASSERT_EQ(odo_economy(um, pl, ODO_ECON_KM_PER_L), 1250);
    ASSERT_EQ(odo_economy(um, pl, ODO_ECON_MPG_US), 2940);
    ASSERT_EQ(odo_economy(um, pl, ODO_ECON_MPG_UK), 3531);
    ASSERT_EQ(odo_economy(0, pl, ODO_ECON_MPG_US), -1);
    ASSERT_EQ(odo_economy(um, 0, ODO_ECON_MPG_US), -1);
    /* 1 US gallon is exactly 3.785411784 L and 1 mile exactly 1.609344 km. */
    ASSERT_EQ(odo_vol_from_pl(odo_vol_to_pl(1000, ODO_VOL_GAL_US), ODO_VOL_L), 3785);
    ASSERT_EQ(odo_vol_from_pl(odo_vol_to_pl(1000, ODO_VOL_GAL_IMP), ODO_VOL_L), 4546);
    ASSERT_EQ(odo_dist_from_um(odo_dist_to_um(10, ODO_DIST_MI), ODO_DIST_KM), 16);
    ASSERT_EQ(odo_dist_from_um(odo_dist_to_um(1000000, ODO_DIST_MI), ODO_DIST_KM), 1609344);
}

static void test_cost_per_distance(void)
{
    int scale;
    /* 177.48 over 2322 mi: 0.076 per mile. 60.00 over 500 km: 12.00 per 100 km. */
    ASSERT_EQ(odo_cost_per_distance(17748, odo_dist_to_um(23220, ODO_DIST_MI), ODO_DIST_MI, &scale),
              76);
    ASSERT_EQ(scale, 3);
    ASSERT_EQ(odo_cost_per_distance(6000, odo_dist_to_um(5000, ODO_DIST_KM), ODO_DIST_KM, &scale),
              1200);
    ASSERT_EQ(scale, 2);
}

static void test_decimals_parse_exactly_and_refuse_what_they_cannot_hold(void)
{
    struct odo_err err;
    int64_t v;
    char out[ODO_DEC_TEXT_MAX];

    ASSERT_OK(odo_dec_parse("10.12", 3, &v, "x", &err), &err);
    ASSERT_EQ(v, 10120);
    ASSERT_OK(odo_dec_parse("0.1", 1, &v, "x", &err), &err);
    ASSERT_EQ(v, 1);
    ASSERT_OK(odo_dec_parse("-3.5", 2, &v, "x", &err), &err);
    ASSERT_EQ(v, -350);
    ASSERT_OK(odo_dec_parse(".5", 1, &v, "x", &err), &err);
    ASSERT_EQ(v, 5);
    ASSERT_EQ(odo_dec_parse("1.2345", 3, &v, "the volume", &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "more than 3 decimals");
    static const char *const bad[] = {
        "", "abc", "1e3", "1,5", "1.2.3", "--1", ".", "12 ", "99999999999999999999"};
    for (size_t i = 0; i < ODO_ARRAY_LEN(bad); i++)
        if (odo_dec_parse(bad[i], 2, &v, "x", &err) != ODO_EINVAL)
            TEST_FAIL("'%s' was accepted", bad[i]);
    ASSERT_STR(odo_dec_format(10120, 3, 0, out, sizeof(out)), "10.12");
    ASSERT_STR(odo_dec_format(10120, 3, 3, out, sizeof(out)), "10.120");
    ASSERT_STR(odo_dec_format(-5, 2, 2, out, sizeof(out)), "-0.05");
    ASSERT_STR(odo_dec_format(410000, 1, 0, out, sizeof(out)), "41000");
    ASSERT_STR(odo_dec_format(INT64_MIN, 2, 2, out, sizeof(out)), "-92233720368547758.08");
}

static void test_muldiv_rounds_half_away_from_zero_without_overflow(void)
{
    ASSERT_EQ(odo_muldiv_round(1, 1, 2, 1), 1);               /* 0.5 -> 1 */
    ASSERT_EQ(odo_muldiv_round(1, 1, 3, 1), 0);               /* 0.33 -> 0 */
    ASSERT_EQ(odo_muldiv_round(2, 1, 3, 1), 1);               /* 0.67 -> 1 */
    ASSERT_EQ(odo_muldiv_round(10120, 3149, 10000, 1), 3187); /* 31.86788 -> 31.87 */
    /* Products past 64 bits: 1e18 * 1e18 / (1e18 * 1e9) = 1e9. */
    ASSERT_EQ(odo_muldiv_round(1000000000000000000ULL, 1000000000000000000ULL,
                               1000000000000000000ULL, 1000000000ULL),
              1000000000);
    ASSERT_EQ(odo_muldiv_round(UINT64_MAX, UINT64_MAX, 1, 1), INT64_MAX); /* saturates */
    ASSERT_EQ(odo_muldiv_round(5, 5, 0, 1), INT64_MAX);
}

RUN_TESTS(TEST_CASE(test_shared_vectors_per_fill_mpg_counted_rows_and_average),
          TEST_CASE(test_partial_fills_before_any_full_fill_are_not_counted),
          TEST_CASE(test_a_missed_partial_fill_breaks_the_chain_until_the_next_full_fill),
          TEST_CASE(test_a_cluster_swap_restarts_the_series_without_a_bogus_distance),
          TEST_CASE(test_economy_in_every_unit), TEST_CASE(test_cost_per_distance),
          TEST_CASE(test_decimals_parse_exactly_and_refuse_what_they_cannot_hold),
          TEST_CASE(test_muldiv_rounds_half_away_from_zero_without_overflow))
