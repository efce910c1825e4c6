/*
 * Bounded UTF-8 copies and widths.
 */
#include "platform/text.h"

#include <ctype.h>
#include <string.h>

size_t odo_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t len = strlen(src), n = len;

    if (cap == 0)
        return len;
    if (n >= cap) {
        n = cap - 1;
        /* Step back over continuation bytes so a character is never cut in half. */
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return len;
}

/* A range of code points [lo, hi]. */
struct cp_range {
    unsigned lo, hi;
};

/* Code points that take no column of their own: combining marks, zero-width spaces and joiners,
 * variation selectors and emoji skin-tone modifiers (which join the character before them). */
static const struct cp_range zero_width[] = {
    {0x0300, 0x036f},   {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x0610, 0x061a}, {0x064b, 0x065f},
    {0x0e31, 0x0e31},   {0x0e34, 0x0e3a}, {0x0e47, 0x0e4e}, {0x1ab0, 0x1aff}, {0x1dc0, 0x1dff},
    {0x200b, 0x200f},   {0x202a, 0x202e}, {0x2060, 0x2064}, {0x20d0, 0x20ff}, {0x302a, 0x302f},
    {0x3099, 0x309a},   {0xfe00, 0xfe0f}, {0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0x1f3fb, 0x1f3ff},
    {0xe0000, 0xe0fff},
};

/* Code points a terminal draws two columns wide: East Asian Wide and Fullwidth characters (CJK,
 * kana, Hangul, fullwidth forms) and emoji presented as pictures. */
static const struct cp_range wide[] = {
    {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},
    {0x23f0, 0x23f0},   {0x23f3, 0x23f3},   {0x25fd, 0x25fe},   {0x2614, 0x2615},
    {0x2648, 0x2653},   {0x267f, 0x267f},   {0x2693, 0x2693},   {0x26a1, 0x26a1},
    {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},   {0x26ce, 0x26ce},
    {0x26d4, 0x26d4},   {0x26ea, 0x26ea},   {0x26f2, 0x26f3},   {0x26f5, 0x26f5},
    {0x26fa, 0x26fa},   {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},
    {0x2728, 0x2728},   {0x274c, 0x274c},   {0x274e, 0x274e},   {0x2753, 0x2755},
    {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27b0, 0x27b0},   {0x27bf, 0x27bf},
    {0x2b1b, 0x2b1c},   {0x2b50, 0x2b50},   {0x2b55, 0x2b55},   {0x2e80, 0x3029},
    {0x3030, 0x303e},   {0x3041, 0x3098},   {0x309b, 0x33ff},   {0x3400, 0x4dbf},
    {0x4e00, 0x9fff},   {0xa000, 0xa4cf},   {0xa960, 0xa97f},   {0xac00, 0xd7a3},
    {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},   {0xff00, 0xff60},
    {0xffe0, 0xffe6},   {0x16fe0, 0x16fe4}, {0x17000, 0x18aff}, {0x1b000, 0x1b2ff},
    {0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a},
    {0x1f200, 0x1f251}, {0x1f260, 0x1f265}, {0x1f300, 0x1f3fa}, {0x1f400, 0x1f64f},
    {0x1f680, 0x1f6ff}, {0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff},
    {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};

static bool in_ranges(unsigned cp, const struct cp_range *r, size_t n)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

/* Decodes the UTF-8 character at *p and advances past it; invalid bytes count as one each. */
static unsigned next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    unsigned cp = s[0];
    int extra = cp < 0x80             ? 0
                : (cp & 0xe0) == 0xc0 ? 1
                : (cp & 0xf0) == 0xe0 ? 2
                : (cp & 0xf8) == 0xf0 ? 3
                                      : 0;

    if (extra)
        cp &= 0x3fu >> extra;
    for (int i = 1; i <= extra; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *p = s + 1;
            return s[0];
        }
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    *p = s + 1 + extra;
    return cp;
}

size_t odo_utf8_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;

    while (*p) {
        unsigned cp = next_cp(&p);
        if (in_ranges(cp, zero_width, ODO_ARRAY_LEN(zero_width)))
            continue;
        w += in_ranges(cp, wide, ODO_ARRAY_LEN(wide)) ? 2 : 1;
    }
    return w;
}

bool odo_text_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int extra;
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p < 0x80)
            extra = 0;
        else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
            extra = 1;
        else if ((*p & 0xf0) == 0xe0)
            extra = 2;
        else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
            extra = 3;
        else
            return false;
        p++;
        for (int i = 0; i < extra; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return false;
    }
    return true;
}

int odo_user_check(const char *user, struct odo_err *err)
{
    size_t n = user ? strlen(user) : 0;

    if (n == 0 || n > ODO_USER_MAX)
        return odo_err_set(err, ODO_EINVAL, "a user id has 1 to %d characters", ODO_USER_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)user[i];
        if (!isalnum(c) && !strchr(".-_@", c))
            return odo_err_set(err, ODO_EINVAL,
                               "user id '%s' may hold only letters, digits and . - _ @", user);
    }
    return 0;
}

static int hex_digit(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

long odo_hex_decode(const char *hex, unsigned char *out, size_t cap)
{
    size_t len = strlen(hex);

    if (len % 2 || len / 2 > cap)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            memset(out, 0, cap);
            return -1;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(len / 2);
}
