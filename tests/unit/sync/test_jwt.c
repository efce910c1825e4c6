/*
 * JWT verification: HS256 only, signature first, exp/nbf/iss/aud/sub checked. The tokens forged
 * here are encoded with the gateway's own base64url encoder, itself checked against RFC 4648.
 */
#include <mbedtls/md.h>
#include <stdlib.h>

#include "sync/gateway/jwt.h"
#include "test.h"

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef";
static const struct odo_jwt_config CFG = {KEY, 32, "odolog", "odolog-sync", 30};
#define NOW 1800000000LL

/* A token with any header and payload, signed with key (HS256 MAC whatever alg says). */
static void make(const char *head, const char *body, const unsigned char *key, size_t klen,
                 char *out)
{
    unsigned char mac[32];
    char h[512], p[1024], sig[ODO_B64URL_LEN(sizeof(mac)) + 1];
    ASSERT_OK(odo_b64url_encode(head, strlen(head), h, sizeof(h)), (struct odo_err *)NULL);
    ASSERT_OK(odo_b64url_encode(body, strlen(body), p, sizeof(p)), (struct odo_err *)NULL);
    sprintf(out, "%s.%s", h, p);
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, klen,
                    (const unsigned char *)out, strlen(out), mac);
    ASSERT_OK(odo_b64url_encode(mac, sizeof(mac), sig, sizeof(sig)), (struct odo_err *)NULL);
    strcat(out, ".");
    strcat(out, sig);
}

static void test_base64url_is_rfc_4648_without_padding_and_refuses_a_short_buffer(void)
{
    static const struct {
        const char *in, *out;
    } vectors[] = {
        /* RFC 4648 section 10, the padding dropped as JWTs drop it */
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
        /* the two characters base64url changes: 62 is '-', 63 is '_' */
        {"\xfb\xff", "-_8"},
    };
    char out[16];

    for (size_t i = 0; i < ODO_ARRAY_LEN(vectors); i++) {
        size_t n = strlen(vectors[i].in);
        ASSERT_EQ(ODO_B64URL_LEN(n), strlen(vectors[i].out));
        ASSERT_OK(odo_b64url_encode(vectors[i].in, n, out, sizeof(out)), (struct odo_err *)NULL);
        ASSERT_STR(out, vectors[i].out);
    }
    /* "foobar" needs 8 characters and the NUL: 8 bytes are refused, nothing half-written. */
    ASSERT_EQ(odo_b64url_encode("foobar", 6, out, 8), ODO_ETOOBIG);
    ASSERT_STR(out, "");
    ASSERT_OK(odo_b64url_encode("foobar", 6, out, 9), (struct odo_err *)NULL);
    ASSERT_STR(out, "Zm9vYmFy");
}

static int verify(const char *token, struct odo_err *err)
{
    struct odo_jwt_claims c;
    int sig;
    return odo_jwt_verify(&CFG, token, NOW, &c, &sig, err);
}

#define HS   "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define GOOD "{\"sub\":\"alice\",\"iss\":\"odolog\",\"aud\":\"odolog-sync\",\"exp\":1800000600}"

static void test_a_minted_token_verifies_and_names_its_user(void)
{
    struct odo_jwt_claims c;
    struct odo_err err;
    char *tok;
    int sig;

    ASSERT_OK(odo_jwt_mint(&CFG, "alice", "acme", NOW, 600, &tok, &err), &err);
    ASSERT_OK(odo_jwt_verify(&CFG, tok, NOW + 10, &c, &sig, &err), &err);
    ASSERT_STR(c.sub, "alice");
    ASSERT_STR(c.org, "acme");
    ASSERT_EQ(sig, 1);
    ASSERT_EQ(odo_jwt_verify(&CFG, tok, NOW + 700, &c, &sig, &err), ODO_EAUTH);
    ASSERT_CONTAINS(err.msg, "expired");
    ASSERT_EQ(sig, 1);
    ASSERT_STR(c.sub, "alice"); /* known, for per-user throttling */
    free(tok);
}

static void test_forged_tampered_and_foreign_tokens_are_refused(void)
{
    static const struct {
        const char *head, *body;
        const char *says;
    } cases[] = {
        {"{\"alg\":\"none\",\"typ\":\"JWT\"}", GOOD, "algorithm"},
        {"{\"alg\":\"HS512\",\"typ\":\"JWT\"}", GOOD, "algorithm"},
        {"{\"alg\":\"RS256\"}", GOOD, "algorithm"},
        {"{\"typ\":\"JWT\"}", GOOD, "algorithm"},
        {HS, "{\"sub\":\"alice\",\"iss\":\"odolog\",\"aud\":\"odolog-sync\"}", "no expiry"},
        {HS, "{\"sub\":\"alice\",\"iss\":\"evil\",\"aud\":\"odolog-sync\",\"exp\":1800000600}",
         "issued"},
        {HS, "{\"sub\":\"alice\",\"iss\":\"odolog\",\"aud\":\"other\",\"exp\":1800000600}",
         "meant"},
        {HS, "{\"sub\":\"a b\",\"iss\":\"odolog\",\"aud\":\"odolog-sync\",\"exp\":1800000600}",
         "user"},
        {HS, "{\"iss\":\"odolog\",\"aud\":\"odolog-sync\",\"exp\":1800000600}", "user"},
        {HS,
         "{\"sub\":\"alice\",\"iss\":\"odolog\",\"aud\":\"odolog-sync\",\"exp\":1800000600,"
         "\"nbf\":1800000500}",
         "not valid yet"},
        {HS, "[1,2,3]", "payload"},
    };
    char tok[2048];
    struct odo_err err;

    for (size_t i = 0; i < ODO_ARRAY_LEN(cases); i++) {
        make(cases[i].head, cases[i].body, KEY, 32, tok);
        if (verify(tok, &err) != ODO_EAUTH)
            TEST_FAIL("case %zu was accepted", i);
        ASSERT_CONTAINS(err.msg, cases[i].says);
    }
    /* An audience list that holds ours is fine, and the leeway covers a little skew. */
    make(HS,
         "{\"sub\":\"bob\",\"iss\":\"odolog\",\"aud\":[\"x\",\"odolog-sync\"],\"exp\":1799999990}",
         KEY, 32, tok);
    ASSERT_OK(verify(tok, &err), &err);
    /* Signed with another key. */
    make(HS, GOOD, (const unsigned char *)"another-key-another-key-another!!", 32, tok);
    ASSERT_EQ(verify(tok, &err), ODO_EAUTH);
    ASSERT_CONTAINS(err.msg, "signature");
    /* A payload edited after signing. */
    make(HS, GOOD, KEY, 32, tok);
    {
        char *dot = strchr(tok, '.');
        dot[3] = dot[3] == 'A' ? 'B' : 'A';
    }
    ASSERT_EQ(verify(tok, &err), ODO_EAUTH);
    static const char *const junk[] = {
        "", "abc", "a.b", "a.b.c.d", "!!!.???.***", "eyJhbGciOiJIUzI1NiJ9..", NULL};
    for (size_t i = 0; junk[i]; i++)
        ASSERT_EQ(verify(junk[i], &err), ODO_EAUTH);
    ASSERT_EQ(verify(NULL, &err), ODO_EAUTH);
}

static void test_short_keys_cannot_mint(void)
{
    struct odo_jwt_config weak = CFG;
    struct odo_err err;
    char *tok = NULL;

    weak.key_len = 16;
    ASSERT_EQ(odo_jwt_mint(&weak, "alice", NULL, NOW, 60, &tok, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "32 bytes");
    ASSERT_EQ(odo_jwt_mint(&CFG, "no spaces allowed", NULL, NOW, 60, &tok, &err), ODO_EINVAL);
}

RUN_TESTS(TEST_CASE(test_base64url_is_rfc_4648_without_padding_and_refuses_a_short_buffer),
          TEST_CASE(test_a_minted_token_verifies_and_names_its_user),
          TEST_CASE(test_forged_tampered_and_foreign_tokens_are_refused),
          TEST_CASE(test_short_keys_cannot_mint))
