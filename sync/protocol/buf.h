/*
 * A growable byte buffer with a hard cap, and a JSON text writer on top of it. Appending past
 * the cap sets `overflow` and keeps what fits, so a writer can check once at the end.
 */
#ifndef ODO_SYNC_BUF_H
#define ODO_SYNC_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/error.h"

struct odo_buf {
    char *data; /* NUL-terminated while not NULL */
    size_t len, cap, max;
    bool overflow; /* an append hit the cap or failed to allocate */
};

/* An empty buffer that will never hold more than max bytes. Cannot fail. */
void odo_buf_init(struct odo_buf *b, size_t max);
/* Frees the bytes; the buffer is empty again. b may be NULL. */
void odo_buf_free(struct odo_buf *b);
/* Forgets the content, keeps the memory. */
void odo_buf_reset(struct odo_buf *b);

void odo_buf_append(struct odo_buf *b, const void *data, size_t len);
void odo_buf_puts(struct odo_buf *b, const char *s);
void odo_buf_putc(struct odo_buf *b, char c);
void odo_buf_printf(struct odo_buf *b, const char *fmt, ...) ODO_PRINTF(2, 3);
/* s as a JSON string: quoted, with ", \ and control characters escaped. */
void odo_buf_json_str(struct odo_buf *b, const char *s);
/* An integer in decimal. */
void odo_buf_int(struct odo_buf *b, int64_t v);

/* Hands the bytes to the caller (who frees them) and empties the buffer. NULL if empty. */
char *odo_buf_detach(struct odo_buf *b, size_t *len);

#endif
