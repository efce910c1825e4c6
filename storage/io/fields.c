/*
 * Reading the values other apps write: numbers with their separators and currency signs,
 * yes/no in several languages, dates in any order of day, month and year, units by their many
 * names. Every value ends as the exact scaled integer or enum the store keeps.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "platform/clock.h"
#include "platform/decimal.h"
#include "platform/text.h"
#include "storage/io/internal.h"

bool io_same(const char *a, const char *b)
{
    size_t n;

    while (*a == ' ' || *a == '\t')
        a++;
    n = strlen(a);
    while (n && (a[n - 1] == ' ' || a[n - 1] == '\t'))
        n--;
    return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

void io_text(char *dst, size_t cap, const char *src)
{
    while (*src == ' ')
        src++;
    odo_strlcpy(dst, src, cap);
    for (size_t n = strlen(dst); n && dst[n - 1] == ' '; n--)
        dst[n - 1] = '\0';
    /* Control characters (a tab, a line break inside quotes) become spaces: text fields of the
     * store hold none. */
    for (char *p = dst; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

/*
 * Whether what stands between the first and the last digit of s is digits and what groups or
 * separates them (".", ",", "'", spaces, no-break and thin spaces): a sign or a unit may come
 * before or after the number ("$3.969", "40 L"), never inside it ("1x00").
 */
static bool digits_grouped(const char *s)
{
    const char *first = NULL, *last = NULL;

    for (const char *p = s; *p; p++)
        if (isdigit((unsigned char)*p)) {
            first = first ? first : p;
            last = p;
        }
    for (const char *p = first; p && p < last; p++) {
        if (isdigit((unsigned char)*p) || strchr(".,' ", *p))
            continue;
        if (strncmp(p, "\xc2\xa0", 2) == 0) /* no-break space */
            p += 1;
        else if (strncmp(p, "\xe2\x80\xaf", 3) == 0 || strncmp(p, "\xe2\x80\x89", 3) == 0)
            p += 2; /* narrow no-break space, thin space */
        else
            return false;
    }
    return true;
}

int io_number(const char *s, int scale, enum io_numbers style, int64_t *out)
{
    char digits[64];
    size_t n = 0;
    int seps = 0, points = 0, commas = 0;
    const char *last_sep = NULL, *p;
    char dec = 0;
    bool neg = false, any = false;
    int64_t whole = 0, frac = 0, unit = odo_pow10(scale);
    int fdigits = 0;

    for (p = s; *p; p++) {
        if (*p == '.' || *p == ',') {
            seps++;
            points += *p == '.';
            commas += *p == ',';
            last_sep = p;
        }
        any |= isdigit((unsigned char)*p) != 0;
    }
    if (!any) {
        for (p = s; *p; p++)
            if (!isspace((unsigned char)*p))
                return ODO_EINVAL;
        return ODO_ENOTFOUND;
    }
    if (!digits_grouped(s))
        return ODO_EINVAL;
    /* Which separator is the decimal one. */
    if (points && commas)
        dec = *last_sep;
    else if (style == IO_NUM_POINT)
        dec = '.';
    else if (style == IO_NUM_COMMA)
        dec = ',';
    else if (seps == 1)
        dec = *last_sep;
    else
        dec = 0; /* "1,234,567" or "1.234.567": thousands only */
    if (seps > 1 && (points ? points : commas) > 1 && dec && !(points && commas))
        dec = 0; /* several of one separator: they group thousands */
    for (p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isdigit(c)) {
            if (n >= sizeof(digits) - 2)
                return ODO_EINVAL;
            digits[n++] = (char)c;
        } else if (c == (unsigned char)dec && dec) {
            if (memchr(digits, '.', n))
                return ODO_EINVAL;
            digits[n++] = '.';
        } else if (c == '-' && n == 0) {
            neg = true;
        } else if (c == '.' || c == ',' || c == ' ' || c == '\'' || c == '+' || c >= 0x80 ||
                   isalpha(c) || c == '$') {
            /* thousands separators, currency signs and codes, a unit after the number */
        } else {
            return ODO_EINVAL;
        }
    }
    digits[n] = '\0';
    for (p = digits; *p && *p != '.'; p++) {
        if (whole > (INT64_MAX - 9) / 10 / unit)
            return ODO_EINVAL;
        whole = whole * 10 + (*p - '0');
    }
    if (*p == '.') {
        for (p++; *p; p++) {
            if (fdigits < scale) {
                frac = frac * 10 + (*p - '0');
                fdigits++;
            } else if (fdigits == scale) {
                frac += *p >= '5'; /* round half away from zero on the first extra digit */
                fdigits++;
            }
        }
    }
    for (int i = fdigits > scale ? scale : fdigits; i < scale; i++)
        frac *= 10;
    *out = (whole * unit + frac) * (neg ? -1 : 1);
    return 0;
}

int io_bool(const char *s, bool *out)
{
    /* strncasecmp folds ASCII only: the capitalised forms of other scripts are listed. */
    static const char *const yes[] = {"1",  "yes", "y",   "true", "x",   "full", "ja", "si",
                                      "sí", "Sí",  "sim", "oui",  "tak", "да",   "Да", "ДА"};
    static const char *const no[] = {"0",   "no",  "n",   "false", "partial", "nein", "não", "Não",
                                     "NÃO", "nao", "non", "nie",   "нет",     "Нет",  "НЕТ"};

    while (*s == ' ')
        s++;
    if (!*s)
        return ODO_ENOTFOUND;
    for (size_t i = 0; i < ODO_ARRAY_LEN(yes); i++)
        if (io_same(s, yes[i])) {
            *out = true;
            return 0;
        }
    for (size_t i = 0; i < ODO_ARRAY_LEN(no); i++)
        if (io_same(s, no[i])) {
            *out = false;
            return 0;
        }
    return ODO_EINVAL;
}

void io_currency(const char *s, char out[4])
{
    static const struct {
        const char *sign, *code;
    } signs[] = {{"$", "USD"}, {"US$", "USD"}, {"€", "EUR"},  {"£", "GBP"},
                 {"¥", "JPY"}, {"Fr.", "CHF"}, {"kr", "SEK"}, {"zł", "PLN"}};
    char code[4];

    out[0] = '\0';
    while (*s == ' ')
        s++;
    for (size_t i = 0; i < ODO_ARRAY_LEN(signs); i++)
        if (io_same(s, signs[i].sign) || strstr(s, signs[i].sign) == s) {
            memcpy(out, signs[i].code, 4);
            return;
        }
    if (strlen(s) >= 3 && isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
        isalpha((unsigned char)s[2]) && (!s[3] || s[3] == ' ')) {
        memcpy(code, s, 3);
        code[3] = '\0';
        if (odo_currency_check(code, NULL) == 0)
            memcpy(out, code, 4);
    }
}

/* Splits a date into three numbers (and where its time begins); false when it is no date. */
static bool date_fields(const char *s, int v[3], int digits[3], const char **rest)
{
    const char *p = s;

    while (*p == ' ')
        p++;
    for (int i = 0; i < 3; i++) {
        int n = 0, x = 0;
        while (isdigit((unsigned char)*p) && n < 5) {
            x = x * 10 + (*p++ - '0');
            n++;
        }
        if (n == 0)
            return false;
        v[i] = x;
        digits[i] = n;
        if (i < 2) {
            if (*p != '/' && *p != '.' && *p != '-')
                return false;
            p++;
        }
    }
    if (*p == '.') /* "24.12.2024." as some locales write it */
        p++;
    *rest = p;
    return true;
}

void io_date_evidence(const char *date, long line, struct io_dates *d)
{
    int v[3], digits[3];
    const char *rest;

    if (!date_fields(date, v, digits, &rest) || digits[0] == 4)
        return;
    if (v[0] > 12 && v[1] >= 1 && v[1] <= 12) {
        if (!d->dmy++)
            d->dmy_line = line;
    } else if (v[1] > 12 && v[0] >= 1 && v[0] <= 12) {
        if (!d->mdy++)
            d->mdy_line = line;
    } else if (v[0] >= 1 && v[0] <= 12 && v[1] >= 1 && v[1] <= 12 && v[0] != v[1]) {
        if (!d->either++)
            d->either_line = line;
    }
}

/* Reads "H:MM[:SS][ AM|PM]" (or "T" before it, or "Z" after it) into hours, minutes, seconds. */
static bool time_fields(const char *s, int *hh, int *mi, int *ss, bool *utc)
{
    int v[3] = {0, 0, 0}, k = 0;
    const char *p = s;

    while (*p == ' ' || *p == 'T' || *p == '-')
        p++;
    if (!*p)
        return true;
    while (k < 3) {
        int n = 0, x = 0;
        while (isdigit((unsigned char)*p) && n < 3) {
            x = x * 10 + (*p++ - '0');
            n++;
        }
        if (n == 0)
            return false;
        v[k++] = x;
        if (*p != ':')
            break;
        p++;
    }
    if (k < 2)
        return false;
    if (*p == '.') /* fractions of a second: kept to the second */
        while (isdigit((unsigned char)*++p))
            ;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "pm", 2) == 0 || strncasecmp(p, "am", 2) == 0) {
        if (v[0] < 1 || v[0] > 12)
            return false;
        v[0] = v[0] % 12 + (tolower((unsigned char)*p) == 'p' ? 12 : 0);
        p += 2;
    } else if (*p == 'Z' || *p == 'z') {
        *utc = true;
        p++;
    }
    while (*p == ' ')
        p++;
    *hh = v[0];
    *mi = v[1];
    *ss = v[2];
    return *p == '\0' && v[0] <= 23 && v[1] <= 59 && v[2] <= 59;
}

int io_when(const char *date, const char *time, enum odo_date_order order, bool utc, int64_t *ms,
            char *why, size_t cap)
{
    int v[3], digits[3], y, mo, d, hh = 0, mi = 0, ss = 0;
    const char *rest;
    bool z = utc;

    if (!date_fields(date, v, digits, &rest)) {
        snprintf(why, cap, "'%.40s' is not a date", date);
        return ODO_EINVAL;
    }
    if (digits[0] == 4) {
        y = v[0];
        mo = v[1];
        d = v[2];
    } else if (order == ODO_DATE_ORDER_DMY) {
        d = v[0];
        mo = v[1];
        y = v[2];
    } else if (order == ODO_DATE_ORDER_MDY) {
        mo = v[0];
        d = v[1];
        y = v[2];
    } else {
        snprintf(why, cap, "'%.40s' does not say whether the day or the month comes first", date);
        return ODO_EINVAL;
    }
    if (y < 100)
        y += y < 70 ? 2000 : 1900;
    if (!odo_date_valid(y, mo, d)) {
        snprintf(why, cap, "'%.40s' is not a real calendar date", date);
        return ODO_EINVAL;
    }
    if (!time_fields(rest, &hh, &mi, &ss, &z) ||
        (time && *time && !time_fields(time, &hh, &mi, &ss, &z))) {
        snprintf(why, cap, "'%.40s%s%.20s' is not a time of day", date, time ? " " : "",
                 time ? time : "");
        return ODO_EINVAL;
    }
    if (z) {
        char iso[48];
        snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, hh, mi, ss);
        return odo_time_parse(iso, ms, NULL);
    }
    if (odo_time_from_local(y, mo, d, hh, mi, ss, 0, ms) != 0) {
        /* A date alone at a midnight the clocks skip: the day's first hour that exists. */
        if ((*time || *rest) || odo_time_from_local(y, mo, d, 1, 0, 0, 0, ms) != 0) {
            snprintf(why, cap,
                     "%04d-%02d-%02d %02d:%02d does not exist in the local time zone (the "
                     "clocks jumped over it)",
                     y, mo, d, hh, mi);
            return ODO_EINVAL;
        }
    }
    return 0;
}

int io_vol_unit(const char *s, enum odo_vol_unit *out)
{
    static const struct {
        const char *name;
        enum odo_vol_unit unit;
    } names[] = {{"l", ODO_VOL_L},
                 {"liter", ODO_VOL_L},
                 {"litre", ODO_VOL_L},
                 {"liters", ODO_VOL_L},
                 {"litres", ODO_VOL_L},
                 {"LITER", ODO_VOL_L},
                 {"gal", ODO_VOL_GAL_US},
                 {"gallon", ODO_VOL_GAL_US},
                 {"gallons", ODO_VOL_GAL_US},
                 {"gal_us", ODO_VOL_GAL_US},
                 {"us gal", ODO_VOL_GAL_US},
                 {"US_GALLON", ODO_VOL_GAL_US},
                 {"gal_imp", ODO_VOL_GAL_IMP},
                 {"imp gal", ODO_VOL_GAL_IMP},
                 {"gal (uk)", ODO_VOL_GAL_IMP},
                 {"uk gal", ODO_VOL_GAL_IMP},
                 {"IMPERIAL_GALLON", ODO_VOL_GAL_IMP}};

    for (size_t i = 0; i < ODO_ARRAY_LEN(names); i++)
        if (io_same(s, names[i].name)) {
            *out = names[i].unit;
            return 0;
        }
    return ODO_EINVAL;
}

int io_dist_unit(const char *s, enum odo_dist_unit *out)
{
    if (io_same(s, "km") || io_same(s, "kilometer") || io_same(s, "kilometers") ||
        io_same(s, "kilometre") || io_same(s, "kilometres") || io_same(s, "KILOMETER")) {
        *out = ODO_DIST_KM;
        return 0;
    }
    if (io_same(s, "mi") || io_same(s, "mile") || io_same(s, "miles") || io_same(s, "MILE")) {
        *out = ODO_DIST_MI;
        return 0;
    }
    return ODO_EINVAL;
}
