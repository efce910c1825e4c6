/*
 * The capped buffer and JSON string escaping.
 */
#include "sync/protocol/buf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void odo_buf_init(struct odo_buf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void odo_buf_free(struct odo_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->overflow = false;
}

void odo_buf_reset(struct odo_buf *b)
{
    b->len = 0;
    b->overflow = false;
    if (b->data)
        b->data[0] = '\0';
}

/* Makes room for n more bytes and the NUL; false (and overflow) when that is over the cap. */
static bool reserve(struct odo_buf *b, size_t n)
{
    size_t need = b->len + n + 1;

    if (b->overflow)
        return false;
    if (need > b->max + 1) {
        b->overflow = true;
        return false;
    }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->overflow = true;
            return false;
        }
        b->data = d;
        b->cap = cap;
    }
    return true;
}

void odo_buf_append(struct odo_buf *b, const void *data, size_t len)
{
    if (!reserve(b, len))
        return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void odo_buf_puts(struct odo_buf *b, const char *s)
{
    odo_buf_append(b, s, strlen(s));
}

void odo_buf_putc(struct odo_buf *b, char c)
{
    odo_buf_append(b, &c, 1);
}

void odo_buf_printf(struct odo_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->overflow = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        odo_buf_append(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void odo_buf_json_str(struct odo_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;

    odo_buf_putc(b, '"');
    for (; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        odo_buf_append(b, run, (size_t)(p - run));
        switch (*p) {
        case '"':
            odo_buf_puts(b, "\\\"");
            break;
        case '\\':
            odo_buf_puts(b, "\\\\");
            break;
        case '\n':
            odo_buf_puts(b, "\\n");
            break;
        case '\t':
            odo_buf_puts(b, "\\t");
            break;
        default:
            odo_buf_printf(b, "\\u%04x", *p);
            break;
        }
        run = p + 1;
    }
    odo_buf_append(b, run, (size_t)(p - run));
    odo_buf_putc(b, '"');
}

void odo_buf_int(struct odo_buf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    odo_buf_append(b, tmp, (size_t)n);
}

char *odo_buf_detach(struct odo_buf *b, size_t *len)
{
    char *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    b->overflow = false;
    return d;
}
