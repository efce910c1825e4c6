/*
 * SHA-256 and PBKDF2 through mbedtls.
 */
#include "platform/hash.h"

#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
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

int odo_pbkdf2_sha256(const void *secret, size_t len, const unsigned char *salt, size_t salt_len,
                      unsigned iterations, unsigned char *out, size_t out_len)
{
    mbedtls_md_context_t md;
    int rc;

    mbedtls_md_init(&md);
    rc = mbedtls_md_setup(&md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
    if (rc == 0)
        rc = mbedtls_pkcs5_pbkdf2_hmac(&md, secret, len, salt, salt_len, iterations,
                                       (uint32_t)out_len, out);
    mbedtls_md_free(&md);
    return rc ? ODO_ENOMEM : 0;
}

int odo_equal_ct(const void *a, const void *b, size_t len)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char d = 0;

    for (size_t i = 0; i < len; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}
