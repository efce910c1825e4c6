/*
 * Small text helpers: bounded copies that never split a UTF-8 character.
 */
#ifndef ODO_PLATFORM_TEXT_H
#define ODO_PLATFORM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "platform/error.h"

/*
 * Copies src into dst (cap bytes including the NUL), cutting at a UTF-8 character boundary
 * when it does not fit. Returns the length of src, so a result >= cap means it was cut.
 */
size_t odo_strlcpy(char *dst, const char *src, size_t cap);

/* True when s is valid UTF-8 without control characters (what a text field may hold). */
bool odo_text_valid(const char *s);

/* The number of terminal columns s takes, for aligning columns: wide East Asian characters and
 * emoji take two, combining marks and joiners none, everything else one. */
size_t odo_utf8_width(const char *s);

/*
 * Decodes the hex digits of hex (upper or lower case, an even number of them, nothing else)
 * into out, at most cap bytes. Returns the number of bytes, or -1 when hex is not such a string
 * or needs more than cap bytes (out is then wiped).
 */
long odo_hex_decode(const char *hex, unsigned char *out, size_t cap) ODO_MUST_CHECK;

#define ODO_USER_MAX 64

/*
 * Checks that user is a usable user id (device and gateway agree on it): 1 to 64 characters
 * from letters, digits and ".-_@". Returns 0 or ODO_EINVAL with a sentence.
 */
int odo_user_check(const char *user, struct odo_err *err) ODO_MUST_CHECK;

#endif
