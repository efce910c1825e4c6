/*
 * odolog login's rules in the sync client (sync/client/login.h): which gateway URLs, keys and
 * tokens are accepted, that a login is stored whole or not at all, that the settings read back,
 * and that the engine's connect uses what was stored.
 */
#include "sync/client/login.h"
#include "storage/replica.h"
#include "sync/client/engine.h"
#include "sync/protocol/messages.h"
#include "test.h"

#include "store_fixture.h"

#define TOKEN "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
#define KEY   "00112233445566778899aabbccddeeff" /* 16 bytes */

static int check_gateway(const char *url, struct odo_err *err)
{
    struct odo_sync_login l = {.gateway = url};
    return odo_sync_login_check(&l, err);
}

static void test_login_accepts_the_urls_the_transports_open(void)
{
    static const char *const ok[] = {"coaps://gw.example", "coaps://gw.example:5684",
                                     "https://[::1]:8443", "https://gw.example/",
                                     "coap://127.0.0.1:5683"};
    struct odo_err err;

    for (size_t i = 0; i < ODO_ARRAY_LEN(ok); i++)
        ASSERT_OK(check_gateway(ok[i], &err), &err);
}

static void test_login_refuses_other_schemes_hosts_ports_and_paths_saying_why(void)
{
    static const struct {
        const char *url, *why;
    } bad[] = {
        {"ftp://gw.example", "the gateway is a coaps:// or https:// URL"},
        {"gw.example:5684", "the gateway is a coaps:// or https:// URL"},
        {"coaps://", "no host"},
        {"https://gw.example:0", "bad port"},
        {"https://gw.example:8443x", "bad port"},
        {"https://gw.example/v1/sync", "takes no path"},
        {"https://[::1:8443", "bad IPv6 address"},
    };
    struct odo_err err;
    char url[ODO_SYNC_GATEWAY_MAX + 2];

    for (size_t i = 0; i < ODO_ARRAY_LEN(bad); i++) {
        ASSERT_EQ(check_gateway(bad[i].url, &err), ODO_EINVAL);
        ASSERT_CONTAINS(err.msg, bad[i].why);
    }
    /* Too long to keep: said so before anything else that is wrong with it. */
    memset(url, 'a', sizeof(url) - 1);
    url[sizeof(url) - 1] = '\0';
    memcpy(url, "https://", 8);
    ASSERT_EQ(check_gateway(url, &err), ODO_EINVAL);
    ASSERT_STR(err.msg, "the gateway URL is too long");
}

static void test_login_keys_are_16_to_64_bytes_in_hex(void)
{
    char hex[2 * ODO_PSK_MAX + 3];
    struct odo_sync_login l = {.psk_hex = hex};
    struct odo_err err;

    snprintf(hex, sizeof(hex), "%s", KEY);
    ASSERT_OK(odo_sync_login_check(&l, &err), &err);
    memset(hex, 'A', 2 * ODO_PSK_MAX);
    hex[2 * ODO_PSK_MAX] = '\0';
    ASSERT_OK(odo_sync_login_check(&l, &err), &err);
    hex[2 * ODO_PSK_MAX] = 'A'; /* 65 bytes */
    hex[2 * ODO_PSK_MAX + 1] = 'A';
    hex[2 * ODO_PSK_MAX + 2] = '\0';
    ASSERT_EQ(odo_sync_login_check(&l, &err), ODO_EINVAL);
    ASSERT_STR(err.msg, "a pre-shared key is 32 to 128 hex digits (16 to 64 bytes)");
    snprintf(hex, sizeof(hex), "%.30s", KEY); /* 15 bytes */
    ASSERT_EQ(odo_sync_login_check(&l, &err), ODO_EINVAL);
    snprintf(hex, sizeof(hex), "%.33s", KEY "0"); /* an odd number of digits */
    ASSERT_EQ(odo_sync_login_check(&l, &err), ODO_EINVAL);
    snprintf(hex, sizeof(hex), "%.31sg", KEY);
    ASSERT_EQ(odo_sync_login_check(&l, &err), ODO_EINVAL);
}

static void test_login_tokens_have_the_shape_of_a_jwt_and_fit(void)
{
    static const char *const bad[] = {"a.b", "a.b.c.d", "a b.c", "a.b.c+", "not a token"};
    struct odo_sync_login l = {.token = "a.b.c"};
    struct odo_err err;
    char *long_token;

    ASSERT_OK(odo_sync_login_check(&l, &err), &err);
    l.token = ""; /* no token: nothing to check */
    ASSERT_OK(odo_sync_login_check(&l, &err), &err);
    for (size_t i = 0; i < ODO_ARRAY_LEN(bad); i++) {
        l.token = bad[i];
        ASSERT_EQ(odo_sync_login_check(&l, &err), ODO_EINVAL);
        ASSERT_STR(err.msg, "the token is not a JWT (header.payload.signature)");
    }
    long_token = calloc(ODO_TOKEN_MAX + 2, 1);
    ASSERT(long_token);
    memset(long_token, 'a', ODO_TOKEN_MAX + 1);
    long_token[1] = long_token[3] = '.';
    l.token = long_token;
    ASSERT_EQ(odo_sync_login_check(&l, &err), ODO_EINVAL);
    ASSERT_STR(err.msg, "the token is too long: at most 4096 bytes");
    long_token[ODO_TOKEN_MAX] = '\0';
    ASSERT_OK(odo_sync_login_check(&l, &err), &err);
    free(long_token);
    l.token = TOKEN;
    l.token_file = "token.jwt";
    ASSERT_EQ(odo_sync_login_check(&l, &err), ODO_EINVAL);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    ASSERT(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_a_token_file_is_read_whole_without_its_trailing_line_break(void)
{
    struct store_fixture f;
    struct odo_sync_login l = {0};
    char path[320], token[ODO_TOKEN_MAX + 1], *big;

    fixture_setup(&f);
    snprintf(path, sizeof(path), "%s/token.jwt", f.dir);
    write_file(path, TOKEN " \r\n");
    l.token_file = path;
    ASSERT_OK(odo_sync_login(f.s, "alice", &l, &f.err), &f.err);
    ASSERT_OK(odo_replica_token(f.s, "alice", token, sizeof(token), &f.err), &f.err);
    ASSERT_STR(token, TOKEN);
    /* Missing, too large, not a token. */
    snprintf(path, sizeof(path), "%s/missing.jwt", f.dir);
    ASSERT_EQ(odo_sync_login_check(&l, &f.err), ODO_EIO);
    ASSERT_CONTAINS(f.err.msg, "missing.jwt");
    big = calloc(ODO_TOKEN_MAX + 2, 1);
    ASSERT(big);
    memset(big, 'a', ODO_TOKEN_MAX + 1);
    snprintf(path, sizeof(path), "%s/big.jwt", f.dir);
    write_file(path, big);
    free(big);
    ASSERT_EQ(odo_sync_login_check(&l, &f.err), ODO_ETOOBIG);
    snprintf(path, sizeof(path), "%s/text.jwt", f.dir);
    write_file(path, "hello\n");
    ASSERT_EQ(odo_sync_login_check(&l, &f.err), ODO_EINVAL);
    fixture_teardown(&f);
}

static void test_a_login_is_stored_whole_or_not_at_all(void)
{
    struct store_fixture f;
    struct odo_sync_login l = {.gateway = "https://gw.example:8443", .token = "not a token"};
    struct odo_sync_config cfg;
    char token[ODO_TOKEN_MAX + 1];

    fixture_setup(&f);
    ASSERT_EQ(odo_sync_login(f.s, "alice", &l, &f.err), ODO_EINVAL);
    ASSERT_OK(odo_sync_config_get(f.s, &cfg, &f.err), &f.err);
    ASSERT_STR(cfg.gateway, "");
    ASSERT_EQ(odo_replica_token(f.s, "alice", token, sizeof(token), &f.err), ODO_EAUTH);
    /* A store failure half-way (a bad user id) leaves the settings as they were too. */
    l.token = TOKEN;
    ASSERT_EQ(odo_sync_login(f.s, "not a user!", &l, &f.err), ODO_EINVAL);
    ASSERT_OK(odo_sync_config_get(f.s, &cfg, &f.err), &f.err);
    ASSERT_STR(cfg.gateway, "");
    ASSERT_OK(odo_sync_login(f.s, "alice", &l, &f.err), &f.err);
    ASSERT_OK(odo_sync_config_get(f.s, &cfg, &f.err), &f.err);
    ASSERT_STR(cfg.gateway, "https://gw.example:8443");
    ASSERT_OK(odo_replica_token(f.s, "alice", token, sizeof(token), &f.err), &f.err);
    ASSERT_STR(token, TOKEN);
    fixture_teardown(&f);
}

static void test_settings_read_back_and_a_later_login_changes_only_what_it_gives(void)
{
    struct store_fixture f;
    struct odo_sync_login first = {
        .gateway = "coaps://gw.example", .psk_hex = KEY, .ca_file = "/etc/odolog/ca.pem"};
    struct odo_sync_login later = {.gateway = "https://gw.example:8443"};
    struct odo_sync_config cfg;

    fixture_setup(&f);
    ASSERT_OK(odo_sync_config_get(f.s, &cfg, &f.err), &f.err);
    ASSERT_STR(cfg.gateway, "");
    ASSERT_STR(cfg.psk_hex, "");
    ASSERT_STR(cfg.ca_file, "");
    ASSERT_OK(odo_sync_login(f.s, "alice", &first, &f.err), &f.err);
    ASSERT_OK(odo_sync_login(f.s, "alice", &later, &f.err), &f.err);
    ASSERT_OK(odo_sync_config_get(f.s, &cfg, &f.err), &f.err);
    ASSERT_STR(cfg.gateway, "https://gw.example:8443");
    ASSERT_STR(cfg.psk_hex, KEY);
    ASSERT_STR(cfg.ca_file, "/etc/odolog/ca.pem");
    odo_sync_config_clear(&cfg);
    ASSERT_STR(cfg.psk_hex, "");
    fixture_teardown(&f);
}

static void test_connect_uses_the_stored_gateway_and_key(void)
{
    struct store_fixture f;
    struct odo_sync_login coaps = {.gateway = "coaps://127.0.0.1:9"};
    struct odo_sync_login coap = {.gateway = "coap://127.0.0.1:9"};
    struct odo_transport *t;

    fixture_setup(&f);
    ASSERT_EQ(odo_sync_connect(f.s, &t, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "no gateway configured");
    ASSERT_OK(odo_sync_login(f.s, "alice", &coaps, &f.err), &f.err);
    ASSERT_EQ(odo_sync_connect(f.s, &t, &f.err), ODO_EINVAL);
    ASSERT_CONTAINS(f.err.msg, "pre-shared key");
    /* Plain CoAP sends nothing until a request: the transport opens on what was stored. */
    ASSERT_OK(odo_sync_login(f.s, "alice", &coap, &f.err), &f.err);
    ASSERT_OK(odo_sync_connect(f.s, &t, &f.err), &f.err);
    odo_transport_close(t);
    fixture_teardown(&f);
}

RUN_TESTS(TEST_CASE(test_login_accepts_the_urls_the_transports_open),
          TEST_CASE(test_login_refuses_other_schemes_hosts_ports_and_paths_saying_why),
          TEST_CASE(test_login_keys_are_16_to_64_bytes_in_hex),
          TEST_CASE(test_login_tokens_have_the_shape_of_a_jwt_and_fit),
          TEST_CASE(test_a_token_file_is_read_whole_without_its_trailing_line_break),
          TEST_CASE(test_a_login_is_stored_whole_or_not_at_all),
          TEST_CASE(test_settings_read_back_and_a_later_login_changes_only_what_it_gives),
          TEST_CASE(test_connect_uses_the_stored_gateway_and_key))
