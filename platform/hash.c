/*
 * SHA-256 through mbedtls.
 */
#include "platform/hash.h"

#include <mbedtls/sha256.h>
#include <stdio.h>

void odo_sha256_hex(const void *data, size_t len, char out[ODO_SHA256_HEX_LEN + 1])
{
    unsigned char d[32];
    mbedtls_sha256_context ctx;

    mbedtls_sha256_init(&ctx);
    /* Only a bad context can fail, and this one is fresh; a failure would show as a wrong sum. */
    (void)mbedtls_sha256_starts_ret(&ctx, 0);
    (void)mbedtls_sha256_update_ret(&ctx, data, len);
    (void)mbedtls_sha256_finish_ret(&ctx, d);
    mbedtls_sha256_free(&ctx);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}
