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

size_t odo_utf8_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
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
