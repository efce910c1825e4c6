/*
 * JSON Web Tokens as the gateway accepts them: HS256 only (the algorithm is pinned; "none" and
 * every other algorithm are refused), signed with a key of at least 256 bits, with `sub` (the
 * user), `exp`, `iss` and `aud` required and checked. `org` is carried when present.
 */
#ifndef ODO_GATEWAY_JWT_H
#define ODO_GATEWAY_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "platform/error.h"

#define ODO_JWT_KEY_MIN 32 /* bytes: 256 bits */

struct odo_jwt_claims {
    char sub[65]; /* the user id */
    char org[65]; /* "" when absent */
    int64_t exp;  /* seconds since the epoch */
};

struct odo_jwt_config {
    const unsigned char *key;
    size_t key_len;
    const char *issuer;
    const char *audience;
    int64_t leeway_s; /* clock skew allowed on exp and nbf */
};

/*
 * Verifies token against cfg at time now_s. Returns 0 with the claims, or ODO_EAUTH with a
 * sentence: malformed, wrong algorithm, bad signature (checked before anything in the payload
 * is believed), expired, not yet valid, wrong issuer or audience, no usable subject.
 * *signature_ok tells whether the signature verified (throttling counts differently); when it
 * did, out->sub holds the subject even if a later check failed.
 */
int odo_jwt_verify(const struct odo_jwt_config *cfg, const char *token, int64_t now_s,
                   struct odo_jwt_claims *out, int *signature_ok,
                   struct odo_err *err) ODO_MUST_CHECK;

/* Characters of the unpadded base64url form of n bytes (without the terminating NUL). */
#define ODO_B64URL_LEN(n) ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/*
 * Writes in[0..n) as unpadded base64url (RFC 4648 section 5: '-' and '_' for '+' and '/', no
 * '=' padding), the form every part of a JWT takes, into out with a terminating NUL. cap is
 * the size of out; it must be at least ODO_B64URL_LEN(n) + 1. Returns 0, or ODO_ETOOBIG (out
 * is then the empty string) when it is not.
 */
int odo_b64url_encode(const void *in, size_t n, char *out, size_t cap) ODO_MUST_CHECK;

/* Mints a token for sub (org may be NULL) valid for ttl_s seconds from now_s. The caller frees
 * *out. Returns 0, ODO_EINVAL (key too short, bad subject) or ODO_ENOMEM. */
int odo_jwt_mint(const struct odo_jwt_config *cfg, const char *sub, const char *org, int64_t now_s,
                 int64_t ttl_s, char **out, struct odo_err *err) ODO_MUST_CHECK;

#endif
