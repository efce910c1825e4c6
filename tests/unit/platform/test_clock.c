/*
 * The hybrid logical clock, and timestamp and date text.
 */
#include <stdlib.h>

#include "platform/clock.h"
#include "test.h"

static void test_hlc_never_goes_backwards_when_the_wall_clock_does(void)
{
    odo_hlc h = odo_hlc_tick(0, 1700000000000LL);
    odo_hlc prev = h;

    ASSERT_EQ(ODO_HLC_MS(h), 1700000000000LL);
    ASSERT_EQ(ODO_HLC_COUNT(h), 0);
    /* An RTC reset to 1970, then a clock stuck in the past: the HLC keeps counting. */
    for (int i = 0; i < 1000; i++) {
        h = odo_hlc_tick(h, i % 2 ? 0 : 1600000000000LL);
        ASSERT(h > prev);
        prev = h;
    }
    ASSERT_EQ(ODO_HLC_MS(h), 1700000000000LL);
    ASSERT_EQ(ODO_HLC_COUNT(h), 1000);
    /* When real time passes the HLC, it follows real time again. */
    h = odo_hlc_tick(h, 1700000000005LL);
    ASSERT_EQ(ODO_HLC_MS(h), 1700000000005LL);
    ASSERT_EQ(ODO_HLC_COUNT(h), 0);
}

static void test_hlc_counter_overflow_carries_into_milliseconds(void)
{
    odo_hlc h = ((odo_hlc)5000 << 16) | 0xffffu;
    odo_hlc next = odo_hlc_tick(h, 0);

    ASSERT(next > h);
    ASSERT_EQ(ODO_HLC_MS(next), 5001);
    ASSERT_EQ(ODO_HLC_COUNT(next), 0);
}

static void test_hlc_receive_moves_past_the_remote_clock(void)
{
    odo_hlc local = ((odo_hlc)1000 << 16) | 3;
    odo_hlc remote = ((odo_hlc)2000 << 16) | 7;
    odo_hlc h = odo_hlc_recv(local, remote, 1500);

    ASSERT(h > remote && h > local);
    ASSERT_EQ(ODO_HLC_MS(h), 2000);
    ASSERT_EQ(ODO_HLC_COUNT(h), 8);
    ASSERT_EQ(ODO_HLC_MS(odo_hlc_recv(local, remote, 2500)), 2500);
    h = odo_hlc_recv(((odo_hlc)2000 << 16) | 9, remote, 0);
    ASSERT_EQ(ODO_HLC_COUNT(h), 10);
}

static void test_hlc_text_round_trips_and_orders_like_the_number(void)
{
    char a[17], b[17];
    odo_hlc x = 0x0123456789abcdefULL, y;

    odo_hlc_format(x, a);
    ASSERT_STR(a, "0123456789abcdef");
    ASSERT_OK(odo_hlc_parse(a, &y), (struct odo_err *)NULL);
    ASSERT(x == y);
    odo_hlc_format(x + 1, b);
    ASSERT(strcmp(a, b) < 0);
    ASSERT_EQ(odo_hlc_parse("0123", &y), ODO_EINVAL);
    ASSERT_EQ(odo_hlc_parse("0123456789abcdeg", &y), ODO_EINVAL);
}

static void test_timestamps_parse_with_zones_and_format_as_utc(void)
{
    struct odo_err err;
    char out[ODO_TIME_TEXT_LEN + 1];
    int64_t ms;

    ASSERT_OK(odo_time_parse("2024-01-12T17:40:00Z", &ms, &err), &err);
    odo_time_format(ms, out);
    ASSERT_STR(out, "2024-01-12T17:40:00.000Z");
    ASSERT_OK(odo_time_parse("2024-01-12T17:40:00.5+02:00", &ms, &err), &err);
    odo_time_format(ms, out);
    ASSERT_STR(out, "2024-01-12T15:40:00.500Z");
    ASSERT_OK(odo_time_parse("2024-02-29T23:59:59-05:30", &ms, &err), &err);
    odo_time_format(ms, out);
    ASSERT_STR(out, "2024-03-01T05:29:59.000Z");
    /* Local time: with TZ fixed, "2024-07-01 12:00" is 10:00 UTC in Berlin summer time. */
    setenv("TZ", "Europe/Berlin", 1);
    ASSERT_OK(odo_time_parse("2024-07-01 12:00", &ms, &err), &err);
    odo_time_format(ms, out);
    ASSERT_STR(out, "2024-07-01T10:00:00.000Z");
    unsetenv("TZ");
}

static void test_impossible_dates_and_garbage_are_refused(void)
{
    static const char *const bad[] = {"2023-02-29",
                                      "2024-02-30",
                                      "2024-13-01",
                                      "2024-00-10",
                                      "2024-1-5",
                                      "24-01-05",
                                      "yesterday",
                                      "2024-01-05T25:00",
                                      "2024-01-05 10:61",
                                      "2024-01-05T10:00+15:00",
                                      "2024-01-05Z",
                                      "1899-12-31",
                                      ""};
    struct odo_err err;
    int64_t ms;
    int32_t d;

    for (size_t i = 0; i < ODO_ARRAY_LEN(bad); i++) {
        if (odo_time_parse(bad[i], &ms, &err) != ODO_EINVAL)
            TEST_FAIL("'%s' was accepted as a time", bad[i]);
        ASSERT(err.msg[0] != '\0');
    }
    ASSERT_EQ(odo_date_parse("2024-02-30", &d, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "real calendar date");
    ASSERT_EQ(odo_date_parse("2024-02-29x", &d, &err), ODO_EINVAL);
}

static void test_calendar_arithmetic(void)
{
    char out[ODO_DATE_TEXT_LEN + 1];
    int32_t d;

    ASSERT_OK(odo_date_parse("1970-01-01", &d, NULL), (struct odo_err *)NULL);
    ASSERT_EQ(d, 0);
    ASSERT_OK(odo_date_parse("2024-01-31", &d, NULL), (struct odo_err *)NULL);
    odo_date_format(odo_date_add_months(d, 1), out);
    ASSERT_STR(out, "2024-02-29"); /* clamped to the end of a shorter month */
    odo_date_format(odo_date_add_months(d, 13), out);
    ASSERT_STR(out, "2025-02-28");
    odo_date_format(odo_date_add_months(d, -2), out);
    ASSERT_STR(out, "2023-11-30");
    ASSERT_OK(odo_date_parse("2000-02-29", &d, NULL), (struct odo_err *)NULL);
    odo_date_format(d, out);
    ASSERT_STR(out, "2000-02-29");
}

static void test_monotonic_clock_never_goes_backwards_and_agrees_in_ms_and_us(void)
{
    int64_t last_us = odo_mono_us(), last_ms = odo_mono_ms();

    for (int i = 0; i < 10000; i++) {
        int64_t us = odo_mono_us(), ms = odo_mono_ms();
        ASSERT_INT(us, >=, last_us);
        ASSERT_INT(ms, >=, last_ms);
        ASSERT_INT(ms, >=, us / 1000); /* read after us: never behind it */
        last_us = us;
        last_ms = ms;
    }
}

RUN_TESTS(TEST_CASE(test_hlc_never_goes_backwards_when_the_wall_clock_does),
          TEST_CASE(test_hlc_counter_overflow_carries_into_milliseconds),
          TEST_CASE(test_hlc_receive_moves_past_the_remote_clock),
          TEST_CASE(test_hlc_text_round_trips_and_orders_like_the_number),
          TEST_CASE(test_timestamps_parse_with_zones_and_format_as_utc),
          TEST_CASE(test_impossible_dates_and_garbage_are_refused),
          TEST_CASE(test_calendar_arithmetic),
          TEST_CASE(test_monotonic_clock_never_goes_backwards_and_agrees_in_ms_and_us))
