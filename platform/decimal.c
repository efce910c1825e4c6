/*
 * Scaled-integer decimals, and a portable exact a*b/(c*d) for unit conversions and ratios. The
 * 128-bit arithmetic is written out in 64-bit halves because 32-bit ARM has no __int128.
 */
#include "platform/decimal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int64_t odo_pow10(int n)
{
    int64_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

int odo_dec_parse(const char *s, int scale, int64_t *out, const char *what, struct odo_err *err)
{
    const char *p = s;
    bool neg = false, digits = false;
    uint64_t v = 0;
    int decimals = 0;
    const uint64_t limit = (uint64_t)INT64_MAX;

    if (!s || !*s)
        return odo_err_set(err, ODO_EINVAL, "%s is empty: give a number such as 12.5", what);
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (; isdigit((unsigned char)*p); p++) {
        digits = true;
        if (v > (limit - 9) / 10)
            goto too_big;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        for (; isdigit((unsigned char)*p); p++) {
            digits = true;
            if (++decimals > scale)
                return odo_err_set(err, ODO_EINVAL, "%s '%s' has more than %d decimal%s", what, s,
                                   scale, scale == 1 ? "" : "s");
            if (v > (limit - 9) / 10)
                goto too_big;
            v = v * 10 + (uint64_t)(*p - '0');
        }
    }
    if (!digits || *p != '\0')
        return odo_err_set(err, ODO_EINVAL,
                           "%s '%s' is not a number: write digits with an optional '.' and up to "
                           "%d decimal%s",
                           what, s, scale, scale == 1 ? "" : "s");
    for (; decimals < scale; decimals++) {
        if (v > limit / 10)
            goto too_big;
        v *= 10;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
too_big:
    return odo_err_set(err, ODO_EINVAL, "%s '%s' is too large", what, s);
}

char *odo_dec_format(int64_t v, int scale, int min_decimals, char *out, size_t cap)
{
    uint64_t mag = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    uint64_t p = (uint64_t)odo_pow10(scale);
    char frac[24];
    int n = scale;

    snprintf(frac, sizeof(frac), "%0*llu", scale, (unsigned long long)(mag % p));
    while (n > min_decimals && frac[n - 1] == '0')
        n--;
    frac[n] = '\0';
    snprintf(out, cap, "%s%llu%s%s", v < 0 ? "-" : "", (unsigned long long)(mag / p),
             n > 0 ? "." : "", frac);
    return out;
}

struct u128 {
    uint64_t hi, lo;
};

static struct u128 mul64(uint64_t a, uint64_t b)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    struct u128 r;

    r.lo = (mid << 32) | (p00 & 0xffffffffu);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}

/* x * y where x is 128 bits and y 64 bits; sets *overflow when the product passes 128 bits. */
static struct u128 mul128(struct u128 x, uint64_t y, bool *overflow)
{
    struct u128 lo = mul64(x.lo, y), hi = mul64(x.hi, y);
    struct u128 r = {lo.hi + hi.lo, lo.lo};

    if (hi.hi != 0 || r.hi < lo.hi)
        *overflow = true;
    return r;
}

static int cmp128(struct u128 a, struct u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

static struct u128 sub128(struct u128 a, struct u128 b)
{
    struct u128 r = {a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
    return r;
}

static struct u128 shl1(struct u128 a)
{
    struct u128 r = {(a.hi << 1) | (a.lo >> 63), a.lo << 1};
    return r;
}

int64_t odo_muldiv_round(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    bool overflow = false;
    struct u128 num = mul64(a, b), den = mul64(c, d), q = {0, 0}, r = {0, 0};

    if (den.hi == 0 && den.lo == 0)
        return INT64_MAX;
    /* Both fit 64 bits (nearly always: a volume times a price): native division. */
    if (num.hi == 0 && den.hi == 0) {
        uint64_t quot = num.lo / den.lo, rem = num.lo % den.lo;
        if (rem >= den.lo - rem)
            quot++;
        return quot > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)quot;
    }
    /* Restoring long division, one bit at a time: 128 steps, no platform intrinsics. */
    for (int i = 127; i >= 0; i--) {
        uint64_t bit = i >= 64 ? (num.hi >> (i - 64)) & 1 : (num.lo >> i) & 1;
        r = shl1(r);
        r.lo |= bit;
        q = shl1(q);
        if (cmp128(r, den) >= 0) {
            r = sub128(r, den);
            q.lo |= 1;
        }
    }
    /* Round half away from zero: bump when 2r >= den. */
    struct u128 twice = mul128(r, 2, &overflow);
    if (overflow || cmp128(twice, den) >= 0) {
        q.lo++;
        if (q.lo == 0)
            q.hi++;
    }
    if (q.hi != 0 || q.lo > (uint64_t)INT64_MAX)
        return INT64_MAX;
    return (int64_t)q.lo;
}
