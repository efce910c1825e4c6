/*
 * Time for odolog: the wall clock behind a replaceable seam, the hybrid logical clock (HLC) that
 * orders changes across devices, and the parsing and formatting of timestamps and calendar dates.
 *
 * Timestamps are milliseconds since the Unix epoch, UTC, and are written as
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (fixed width, so text order is time order). Calendar dates (due
 * dates, document validity) are days since 1970-01-01 and are written "YYYY-MM-DD".
 */
#ifndef ODO_PLATFORM_CLOCK_H
#define ODO_PLATFORM_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/error.h"

/* The wall clock as a seam: tests hand the store a clock that jumps, stops or runs backwards. */
struct odo_clock {
    int64_t (*now_ms)(void *ctx); /* UTC milliseconds since the epoch */
    void *ctx;
};

/* The system's real-time clock. Never NULL. */
const struct odo_clock *odo_clock_system(void);

/* Reads clock c, or the system clock when c is NULL. */
int64_t odo_clock_now(const struct odo_clock *c);

/* The monotonic clock (CLOCK_MONOTONIC) in milliseconds and in microseconds: for timeouts,
 * intervals and durations, which must not jump with the wall clock. Only differences mean
 * anything. */
int64_t odo_mono_ms(void);
int64_t odo_mono_us(void);

/*
 * Hybrid logical clock: 48 bits of milliseconds and a 16-bit counter in one integer, so that
 * integer order is causal order. Written on the wire and in the database as 16 lower-case hex
 * digits.
 */
typedef uint64_t odo_hlc;

#define ODO_HLC_TEXT_LEN 16
#define ODO_HLC_MS(h)    ((int64_t)((h) >> 16))
#define ODO_HLC_COUNT(h) ((unsigned)((h)&0xffffu))

/* The HLC of a local event that follows `last`, at wall time now_ms. Never goes backwards. */
odo_hlc odo_hlc_tick(odo_hlc last, int64_t now_ms);

/* The local HLC after receiving `remote` (send/receive rule): past both last and remote. */
odo_hlc odo_hlc_recv(odo_hlc last, odo_hlc remote, int64_t now_ms);

/* Writes h as 16 hex digits and a NUL into out. */
void odo_hlc_format(odo_hlc h, char out[ODO_HLC_TEXT_LEN + 1]);

/* Parses exactly 16 hex digits. Returns 0 or ODO_EINVAL. */
int odo_hlc_parse(const char *s, odo_hlc *out) ODO_MUST_CHECK;

#define ODO_TIME_TEXT_LEN 24 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
#define ODO_DATE_TEXT_LEN 10 /* "YYYY-MM-DD" */

/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void odo_time_format(int64_t ms, char out[ODO_TIME_TEXT_LEN + 1]);

/* Formats ms in the local time zone as "YYYY-MM-DD HH:MM", for people. */
void odo_time_format_local(int64_t ms, char out[32]);

/*
 * Parses a timestamp a person or a peer wrote: "YYYY-MM-DD" (local midnight),
 * "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS[.mmm]]" (local time), each optionally followed
 * by "Z" or "+HH:MM"/"-HH:MM". Calendar-checked (no 30 February). Years 1900-9999.
 * Returns 0, or ODO_EINVAL with a sentence in err.
 */
int odo_time_parse(const char *s, int64_t *out_ms, struct odo_err *err) ODO_MUST_CHECK;

/*
 * The UTC milliseconds of local wall-clock time y-mo-d hh:mi:ss.msec (fields already checked
 * against the calendar). ODO_EINVAL when that wall time does not exist here because the clocks
 * jumped over it (a daylight-saving gap); a time that happens twice (clocks going back) is the
 * first of the two.
 */
int odo_time_from_local(int y, int mo, int d, int hh, int mi, int ss, int msec,
                        int64_t *out_ms) ODO_MUST_CHECK;

/* Parses "YYYY-MM-DD" into days since 1970-01-01. Returns 0, or ODO_EINVAL with a sentence. */
int odo_date_parse(const char *s, int32_t *out_days, struct odo_err *err) ODO_MUST_CHECK;

/* Formats days since 1970-01-01 as "YYYY-MM-DD". */
void odo_date_format(int32_t days, char out[ODO_DATE_TEXT_LEN + 1]);

/* The local calendar date of ms, as days since 1970-01-01. */
int32_t odo_date_local(int64_t ms);

/* days plus n calendar months; the day is clamped to the end of a shorter month. */
int32_t odo_date_add_months(int32_t days, int months);

/* True when y-m-d is a real calendar date. */
bool odo_date_valid(int y, int m, int d);

#endif
