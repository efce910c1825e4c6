/*
 * Digests: SHA-256 (mbedtls) as lower-case hex, for migration checksums and content ids.
 */
#ifndef ODO_PLATFORM_HASH_H
#define ODO_PLATFORM_HASH_H

#include <stddef.h>

#define ODO_SHA256_HEX_LEN 64

/* Writes the SHA-256 of data[0..len) as 64 hex digits and a NUL into out. Cannot fail. */
void odo_sha256_hex(const void *data, size_t len, char out[ODO_SHA256_HEX_LEN + 1]);

#endif
