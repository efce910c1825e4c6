/*
 * Digests: SHA-256 (mbedtls) as lower-case hex, for migration checksums and content ids, and
 * PBKDF2-HMAC-SHA-256 for secrets a person types (a user's PIN on the head unit).
 */
#ifndef ODO_PLATFORM_HASH_H
#define ODO_PLATFORM_HASH_H

#include <stddef.h>

#include "platform/error.h"

#define ODO_SHA256_HEX_LEN 64

/* Writes the SHA-256 of data[0..len) as 64 hex digits and a NUL into out. Cannot fail. */
void odo_sha256_hex(const void *data, size_t len, char out[ODO_SHA256_HEX_LEN + 1]);

/*
 * PBKDF2-HMAC-SHA-256 of secret (len bytes) with salt over `iterations` rounds, into out
 * (out_len bytes). Returns 0, or ODO_ENOMEM when mbedtls cannot set up its context.
 */
int odo_pbkdf2_sha256(const void *secret, size_t len, const unsigned char *salt, size_t salt_len,
                      unsigned iterations, unsigned char *out, size_t out_len) ODO_MUST_CHECK;

/* Whether a[0..len) equals b[0..len), in a time that does not depend on where they differ. */
int odo_equal_ct(const void *a, const void *b, size_t len);

#endif
