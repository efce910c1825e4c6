/*
 * Randomness from the kernel, and UUIDv7 identifiers (RFC 9562): 48 bits of Unix milliseconds
 * followed by random bits, so ids made on a device sort roughly by creation time and never
 * collide with ids made elsewhere.
 */
#ifndef ODO_PLATFORM_UUID_H
#define ODO_PLATFORM_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/error.h"

#define ODO_UUID_TEXT_LEN 36

/* Fills buf with n bytes from the kernel's CSPRNG. Returns 0 or ODO_EIO. */
int odo_random_bytes(void *buf, size_t n) ODO_MUST_CHECK;

/* Writes a new UUIDv7 for wall time now_ms, lower-case, with a NUL. Returns 0 or ODO_EIO. */
int odo_uuid_v7(int64_t now_ms, char out[ODO_UUID_TEXT_LEN + 1]) ODO_MUST_CHECK;

/* Writes the UUIDv7 of wall time now_ms and the 10 random bytes rnd (a caller that draws
 * randomness in bulk, like the store making many ids). Cannot fail. */
void odo_uuid_v7_from(int64_t now_ms, const unsigned char rnd[10], char out[ODO_UUID_TEXT_LEN + 1]);

/* True when s is a UUID in canonical 8-4-4-4-12 hex form (either case). */
bool odo_uuid_valid(const char *s);

#endif
