/*
 * HS256 JWTs over mbedtls HMAC-SHA256 and cJSON, and the base64url coding their parts use.
 */
#include "sync/gateway/jwt.h"

#include <cjson/cJSON.h>
#include <mbedtls/md.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/text.h"

#define TOKEN_MAX 4096

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int odo_b64url_encode(const void *in, size_t n, char *out, size_t cap)
{
    const unsigned char *b = in;
    size_t o = 0;

    if (cap < ODO_B64URL_LEN(n) + 1) {
        if (cap)
            out[0] = '\0';
        return ODO_ETOOBIG;
    }
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (i + 1 < n ? (unsigned)b[i + 1] << 8 : 0) |
                     (i + 2 < n ? b[i + 2] : 0);
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = b64url[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
    return 0;
}

/* Decodes unpadded base64url; returns the length, or -1 on a bad character or length. */
static long b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
    unsigned v = 0;
    int bits = 0;
    size_t o = 0;

    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *p = memchr(b64url, in[i], 64);
        if (!p || !in[i])
            return -1;
        v = v << 6 | (unsigned)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(v >> bits & 0xff);
        }
    }
    /* Leftover bits must be zero (canonical encoding only). */
    if (bits && (v & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}

static int hmac(const struct odo_jwt_config *cfg, const char *data, size_t n, unsigned char mac[32])
{
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    return md && mbedtls_md_hmac(md, cfg->key, cfg->key_len, (const unsigned char *)data, n, mac) ==
                       0
               ? 0
               : -1;
}

/* Decodes one base64url part into a NUL-terminated JSON object. */
static cJSON *part_json(const char *p, size_t n)
{
    unsigned char buf[TOKEN_MAX];
    long len = b64url_decode(p, n, buf, sizeof(buf) - 1);
    cJSON *o;

    if (len < 0)
        return NULL;
    o = cJSON_ParseWithLength((const char *)buf, (size_t)len);
    if (o && !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int aud_matches(const cJSON *aud, const char *want)
{
    const cJSON *a;
    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, want) == 0;
    if (cJSON_IsArray(aud))
        cJSON_ArrayForEach(a, aud) if (cJSON_IsString(a) &&
                                       strcmp(a->valuestring, want) == 0) return 1;
    return 0;
}

int odo_jwt_verify(const struct odo_jwt_config *cfg, const char *token, int64_t now_s,
                   struct odo_jwt_claims *out, int *signature_ok, struct odo_err *err)
{
    const char *dot1, *dot2;
    unsigned char mac[32], sig[64];
    long siglen;
    cJSON *head = NULL, *body = NULL;
    const cJSON *alg, *typ, *sub, *exp, *nbf, *iss, *aud, *org;
    int rc = ODO_EAUTH, diff = 0;

    *signature_ok = 0;
    memset(out, 0, sizeof(*out));
    if (!token || !*token)
        return odo_err_set(err, ODO_EAUTH, "no token: send a JWT");
    if (strlen(token) > TOKEN_MAX)
        return odo_err_set(err, ODO_EAUTH, "the token is too long");
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.'))
        return odo_err_set(err, ODO_EAUTH, "the token is not a JWT (header.payload.signature)");

    /* The algorithm is pinned before anything else is looked at. */
    head = part_json(token, (size_t)(dot1 - token));
    alg = head ? cJSON_GetObjectItemCaseSensitive(head, "alg") : NULL;
    typ = head ? cJSON_GetObjectItemCaseSensitive(head, "typ") : NULL;
    if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "HS256") != 0 ||
        (typ && (!cJSON_IsString(typ) || strcmp(typ->valuestring, "JWT") != 0))) {
        odo_err_set(err, ODO_EAUTH, "the token's algorithm is not HS256");
        goto out;
    }
    siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig));
    if (siglen != 32 || hmac(cfg, token, (size_t)(dot2 - token), mac) != 0) {
        odo_err_set(err, ODO_EAUTH, "the token's signature is invalid");
        goto out;
    }
    for (int i = 0; i < 32; i++)
        diff |= mac[i] ^ sig[i]; /* constant time */
    if (diff) {
        odo_err_set(err, ODO_EAUTH, "the token's signature is invalid");
        goto out;
    }
    *signature_ok = 1;

    body = part_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!body) {
        odo_err_set(err, ODO_EAUTH, "the token's payload is not a JSON object");
        goto out;
    }
    sub = cJSON_GetObjectItemCaseSensitive(body, "sub");
    exp = cJSON_GetObjectItemCaseSensitive(body, "exp");
    nbf = cJSON_GetObjectItemCaseSensitive(body, "nbf");
    iss = cJSON_GetObjectItemCaseSensitive(body, "iss");
    aud = cJSON_GetObjectItemCaseSensitive(body, "aud");
    org = cJSON_GetObjectItemCaseSensitive(body, "org");
    if (cJSON_IsString(sub) && odo_user_check(sub->valuestring, NULL) == 0)
        snprintf(out->sub, sizeof(out->sub), "%s", sub->valuestring);
    if (!cJSON_IsNumber(exp)) {
        odo_err_set(err, ODO_EAUTH, "the token has no expiry");
        goto out;
    }
    if ((int64_t)exp->valuedouble + cfg->leeway_s <= now_s) {
        odo_err_set(err, ODO_EAUTH, "the token has expired");
        goto out;
    }
    if (nbf && (!cJSON_IsNumber(nbf) || (int64_t)nbf->valuedouble - cfg->leeway_s > now_s)) {
        odo_err_set(err, ODO_EAUTH, "the token is not valid yet");
        goto out;
    }
    if (!cJSON_IsString(iss) || strcmp(iss->valuestring, cfg->issuer) != 0) {
        odo_err_set(err, ODO_EAUTH, "the token was not issued by '%s'", cfg->issuer);
        goto out;
    }
    if (!aud_matches(aud, cfg->audience)) {
        odo_err_set(err, ODO_EAUTH, "the token is not meant for '%s'", cfg->audience);
        goto out;
    }
    if (!cJSON_IsString(sub) || odo_user_check(sub->valuestring, NULL) != 0) {
        odo_err_set(err, ODO_EAUTH, "the token names no usable user");
        goto out;
    }
    snprintf(out->sub, sizeof(out->sub), "%s", sub->valuestring);
    if (cJSON_IsString(org))
        snprintf(out->org, sizeof(out->org), "%.64s", org->valuestring);
    out->exp = (int64_t)exp->valuedouble;
    rc = 0;
out:
    cJSON_Delete(head);
    cJSON_Delete(body);
    return rc;
}

int odo_jwt_mint(const struct odo_jwt_config *cfg, const char *sub, const char *org, int64_t now_s,
                 int64_t ttl_s, char **out, struct odo_err *err)
{
    static const char head[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    unsigned char mac[32];
    char payload[1024], enc_head[ODO_B64URL_LEN(sizeof(head) - 1) + 1], enc_body[1400],
        sig64[ODO_B64URL_LEN(sizeof(mac)) + 1];
    cJSON *o;
    char *text, *tok;
    size_t n;

    *out = NULL;
    if (cfg->key_len < ODO_JWT_KEY_MIN)
        return odo_err_set(err, ODO_EINVAL, "the signing key must be at least %d bytes",
                           ODO_JWT_KEY_MIN);
    if (odo_user_check(sub, err) != 0)
        return ODO_EINVAL;
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "sub", sub);
    if (org && *org)
        cJSON_AddStringToObject(o, "org", org);
    cJSON_AddStringToObject(o, "iss", cfg->issuer);
    cJSON_AddStringToObject(o, "aud", cfg->audience);
    cJSON_AddNumberToObject(o, "iat", (double)now_s);
    cJSON_AddNumberToObject(o, "exp", (double)(now_s + ttl_s));
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text || strlen(text) >= sizeof(payload) * 3 / 4 ||
        odo_b64url_encode(head, sizeof(head) - 1, enc_head, sizeof(enc_head)) != 0 ||
        odo_b64url_encode(text, strlen(text), enc_body, sizeof(enc_body)) != 0) {
        free(text);
        return odo_err_set(err, ODO_ENOMEM, "cannot build the token");
    }
    free(text);
    n = (size_t)snprintf(payload, sizeof(payload), "%s.%s", enc_head, enc_body);
    if (n >= sizeof(payload) || hmac(cfg, payload, n, mac) != 0 ||
        odo_b64url_encode(mac, sizeof(mac), sig64, sizeof(sig64)) != 0)
        return odo_err_set(err, ODO_ENOMEM, "cannot sign the token");
    tok = malloc(n + 1 + strlen(sig64) + 1);
    if (!tok)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    sprintf(tok, "%s.%s", payload, sig64);
    *out = tok;
    return 0;
}
