/*
 * Bounded UTF-8 copies and widths.
 */
#include "platform/text.h"

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
