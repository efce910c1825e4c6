/*
 * Wall clock, hybrid logical clock, and timestamp/date text. Calendar arithmetic uses the
 * days-from-civil algorithm (proleptic Gregorian), so dates never depend on the time zone; only
 * the conversions that are about local time call the C library's zone code.
 */
#define _GNU_SOURCE
#include "platform/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t system_now_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct odo_clock system_clock = {system_now_ms, NULL};

const struct odo_clock *odo_clock_system(void)
{
    return &system_clock;
}

int64_t odo_clock_now(const struct odo_clock *c)
{
    if (!c)
        c = &system_clock;
    return c->now_ms(c->ctx);
}

int64_t odo_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t odo_mono_ms(void)
{
    return odo_mono_us() / 1000;
}

#define HLC_MS_MAX ((int64_t)0xffffffffffff)

static odo_hlc hlc_make(int64_t ms, unsigned count)
{
    return ((odo_hlc)ms << 16) | (odo_hlc)count;
}

/* Moves to (ms, count), carrying a counter overflow into the milliseconds. */
static odo_hlc hlc_next(int64_t ms, unsigned long count)
{
    if (count > 0xffffu) {
        ms += 1;
        count = 0;
    }
    if (ms > HLC_MS_MAX)
        ms = HLC_MS_MAX;
    return hlc_make(ms, (unsigned)count);
}

odo_hlc odo_hlc_tick(odo_hlc last, int64_t now_ms)
{
    int64_t l = ODO_HLC_MS(last);

    if (now_ms > l)
        return hlc_next(now_ms, 0);
    return hlc_next(l, (unsigned long)ODO_HLC_COUNT(last) + 1);
}

odo_hlc odo_hlc_recv(odo_hlc last, odo_hlc remote, int64_t now_ms)
{
    int64_t l = ODO_HLC_MS(last), r = ODO_HLC_MS(remote);
    int64_t m = l > r ? l : r;
    unsigned long lc = ODO_HLC_COUNT(last), rc = ODO_HLC_COUNT(remote);

    if (now_ms > m)
        return hlc_next(now_ms, 0);
    if (l == r)
        return hlc_next(m, (lc > rc ? lc : rc) + 1);
    return hlc_next(m, (m == l ? lc : rc) + 1);
}

void odo_hlc_format(odo_hlc h, char out[ODO_HLC_TEXT_LEN + 1])
{
    snprintf(out, ODO_HLC_TEXT_LEN + 1, "%016llx", (unsigned long long)h);
}

int odo_hlc_parse(const char *s, odo_hlc *out)
{
    odo_hlc v = 0;

    if (!s || strlen(s) != ODO_HLC_TEXT_LEN)
        return ODO_EINVAL;
    for (int i = 0; i < ODO_HLC_TEXT_LEN; i++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return ODO_EINVAL;
        v = (v << 4) | (odo_hlc)d;
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

bool odo_date_valid(int y, int m, int d)
{
    return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* Writes v as exactly n decimal digits. */
static char *put_digits(char *p, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

void odo_time_format(int64_t ms, char out[ODO_TIME_TEXT_LEN + 1])
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int msec = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int sod = (int)(secs - days * 86400);
    int y, m, d;
    char *p = out;

    /* By hand rather than snprintf: this runs several times for every row written. */
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    *p++ = '.';
    p = put_digits(p, msec, 3);
    *p++ = 'Z';
    *p = '\0';
}

void odo_time_format_local(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
}

/* Reads exactly n digits at *p into *v and advances. */
static bool take_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

static bool parse_ymd(const char **p, int *y, int *m, int *d)
{
    return take_digits(p, 4, y) && *(*p)++ == '-' && take_digits(p, 2, m) && *(*p)++ == '-' &&
           take_digits(p, 2, d);
}

int odo_date_parse(const char *s, int32_t *out_days, struct odo_err *err)
{
    const char *p = s;
    int y, m, d;

    if (!s || !parse_ymd(&p, &y, &m, &d) || *p != '\0')
        return odo_err_set(err, ODO_EINVAL, "'%s' is not a date: write it as YYYY-MM-DD",
                           s ? s : "");
    if (!odo_date_valid(y, m, d))
        return odo_err_set(err, ODO_EINVAL, "'%s' is not a real calendar date", s);
    *out_days = (int32_t)days_from_civil(y, m, d);
    return 0;
}

void odo_date_format(int32_t days, char out[ODO_DATE_TEXT_LEN + 1])
{
    char tmp[48];
    int y, m, d;

    civil_from_days(days, &y, &m, &d);
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(out, tmp, ODO_DATE_TEXT_LEN);
    out[ODO_DATE_TEXT_LEN] = '\0';
}

int32_t odo_date_local(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    return (int32_t)days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int32_t odo_date_add_months(int32_t days, int months)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int total = y * 12 + (m - 1) + months;
    y = total / 12;
    m = total % 12 + 1;
    if (d > days_in_month(y, m))
        d = days_in_month(y, m);
    return (int32_t)days_from_civil(y, m, d);
}

int odo_time_from_local(int y, int mo, int d, int hh, int mi, int ss, int msec, int64_t *out_ms)
{
    struct tm tm = {0}, back;
    time_t t;

    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = hh;
    tm.tm_min = mi;
    tm.tm_sec = ss;
    tm.tm_isdst = -1;
    t = mktime(&tm);
    /* mktime moves a time inside a gap (spring forward) past it; reading the result back as
     * local time shows whether the wall time asked for exists. */
    if (t == (time_t)-1 || !localtime_r(&t, &back) || back.tm_year != y - 1900 ||
        back.tm_mon != mo - 1 || back.tm_mday != d || back.tm_hour != hh || back.tm_min != mi ||
        back.tm_sec != ss)
        return ODO_EINVAL;
    *out_ms = (int64_t)t * 1000 + msec;
    return 0;
}

/* Words the refusal of a local time that does not exist, with the offset in force before it. */
static int gap_error(const char *s, int y, int mo, int d, int hh, int mi, struct odo_err *err)
{
    time_t before = (time_t)((days_from_civil(y, mo, d) - 1) * 86400);
    struct tm tm;
    long off;

    localtime_r(&before, &tm);
    off = tm.tm_gmtoff / 60;
    return odo_err_set(err, ODO_EINVAL,
                       "'%s' does not exist in the local time zone: the clocks jumped over it "
                       "that night; give a time before or after the change, or a UTC offset "
                       "(%04d-%02d-%02dT%02d:%02d%c%02ld:%02ld)",
                       s, y, mo, d, hh, mi, off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

int odo_time_parse(const char *s, int64_t *out_ms, struct odo_err *err)
{
    const char *p = s;
    int y, mo, d, hh = 0, mi = 0, ss = 0, msec = 0;
    bool has_zone = false;
    int zone_min = 0;

    if (!s || !parse_ymd(&p, &y, &mo, &d))
        goto bad;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!take_digits(&p, 2, &hh) || *p++ != ':' || !take_digits(&p, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (!take_digits(&p, 2, &ss))
                goto bad;
            if (*p == '.') {
                int n = 0;
                p++;
                while (isdigit((unsigned char)*p)) {
                    if (n < 3)
                        msec = msec * 10 + (*p - '0');
                    n++;
                    p++;
                }
                if (n == 0)
                    goto bad;
                for (; n < 3; n++)
                    msec *= 10;
            }
        }
        if (*p == 'Z') {
            has_zone = true;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, zh, zm;
            if (!take_digits(&p, 2, &zh) || *p++ != ':' || !take_digits(&p, 2, &zm) || zh > 14 ||
                zm > 59)
                goto bad;
            has_zone = true;
            zone_min = sign * (zh * 60 + zm);
        }
    }
    if (*p != '\0')
        goto bad;
    if (!odo_date_valid(y, mo, d) || hh > 23 || mi > 59 || ss > 59)
        return odo_err_set(err, ODO_EINVAL, "'%s' is not a real date and time", s);

    if (has_zone) {
        int64_t secs = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss;
        *out_ms = (secs - (int64_t)zone_min * 60) * 1000 + msec;
    } else if (odo_time_from_local(y, mo, d, hh, mi, ss, msec, out_ms) != 0) {
        return gap_error(s, y, mo, d, hh, mi, err);
    }
    return 0;
bad:
    return odo_err_set(err, ODO_EINVAL,
                       "'%s' is not a date or time: write YYYY-MM-DD or YYYY-MM-DD HH:MM "
                       "(local time), or ISO 8601 with Z or an offset",
                       s ? s : "");
}
