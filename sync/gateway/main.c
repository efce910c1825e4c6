/*
 * odolog-gateway: the central sync daemon and its administration commands.
 *
 *   serve     serve coaps and HTTPS until SIGTERM
 *   migrate   apply the central migrations
 *   token     mint a JWT for development and tests
 *   device    register a device and its DTLS pre-shared key
 *   purge     delete old tombstones and raise the purge watermark
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <mbedtls/platform_util.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "platform/text.h"
#include "platform/uuid.h"
#include "sync/gateway/apply.h"
#include "sync/gateway/gateway.h"
#include "sync/gateway/jwt.h"
#include "sync/gateway/keys.h"

enum { EXIT_USAGE = 1, EXIT_CONFIG = 2, EXIT_RUNTIME = 3 };

static const char usage[] =
    "usage: odolog-gateway [--config FILE] COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  serve [--insecure-coap]      serve sync over coaps and HTTPS until SIGTERM\n"
    "  migrate                      apply the central database migrations\n"
    "  token --user ID [--ttl SECONDS] [--org ORG]\n"
    "                               print a signed JWT (development and tests)\n"
    "  device add [--id UUID] [--psk HEX] [--label TEXT]\n"
    "                               register a device (or re-key it) and print its DTLS\n"
    "                               pre-shared key, this once: it is stored sealed\n"
    "  purge --older-than SECONDS   delete tombstones older than that, raise the watermark\n"
    "\n"
    "Configuration comes from --config FILE (KEY=VALUE lines) and then the environment:\n"
    "  DATABASE_URL          libpq connection string (required for all but token)\n"
    "  ODOLOG_JWT_SECRET     HS256 key, >= 32 bytes; 'hex:...' for hex (required)\n"
    "  ODOLOG_DEVICE_KEY_SECRET  seals device keys at rest, >= 32 bytes (default: derived\n"
    "                        from the JWT secret; set it before rotating that one)\n"
    "  ODOLOG_JWT_ISSUER     expected iss (default odolog)\n"
    "  ODOLOG_JWT_AUDIENCE   expected aud (default odolog-sync)\n"
    "  ODOLOG_LISTEN         address to bind (default 0.0.0.0)\n"
    "  ODOLOG_HTTPS_PORT     HTTPS port (default 8443; 0 turns HTTPS off)\n"
    "  ODOLOG_TLS_CERT, ODOLOG_TLS_KEY   PEM files for HTTPS\n"
    "  ODOLOG_COAPS_PORT     coaps port (default 5684; 0 turns coaps off)\n"
    "  ODOLOG_COAP_PORT      plain coap port, only with serve --insecure-coap (tests)\n"
    "  ODOLOG_POOL_SIZE      PostgreSQL connections (default 4)\n"
    "  ODOLOG_HTTP_THREADS   HTTPS worker threads (default 4)\n"
    "  ODOLOG_SCHEMA_MIN     oldest device schema served (default 1)\n"
    "  ODOLOG_VPIC           vPIC database for /v1/vin (installed by 'odolog vin db install')\n"
    "  ODOLOG_LOG_LEVEL      error, warn, info (default) or debug\n"
    "Limits (docs/operations.md; the defaults suit a fleet of thousands):\n"
    "  ODOLOG_HTTPS_MAX_CONNECTIONS (4000), ODOLOG_HTTPS_MAX_PER_ADDRESS (64),\n"
    "  ODOLOG_IDLE_TIMEOUT (30 s), ODOLOG_REQUEST_DEADLINE (120 s),\n"
    "  ODOLOG_COAPS_MAX_SESSIONS (4000), ODOLOG_COAPS_MAX_PER_ADDRESS (256),\n"
    "  ODOLOG_HANDSHAKE_RATE (20/s), ODOLOG_HANDSHAKE_BURST (200), ODOLOG_HANDSHAKE_TIMEOUT (15 "
    "s),\n"
    "  ODOLOG_BLOCKWISE_MAX_PER_ADDRESS (32), ODOLOG_BLOCKWISE_MEMORY_MB (256),\n"
    "  ODOLOG_DEVICE_RATE (1200/min), ODOLOG_DEVICE_BURST (600), ODOLOG_USER_RATE (2400/min),\n"
    "  ODOLOG_USER_BURST (1200), ODOLOG_SUMMARY_INTERVAL (60 s), ODOLOG_LAST_SEEN_INTERVAL (60 s)\n"
    "\n"
    "Exit codes: 0 ok, 1 usage, 2 configuration, 3 runtime (database, network).\n";

static int fail(int code, const struct odo_err *err)
{
    fprintf(stderr, "odolog-gateway: %s\n", err->msg);
    return code;
}

/* Waits for SIGTERM/SIGINT in its own thread and raises the stop flag. */
struct stopper {
    sigset_t set;
    volatile int stop;
    int signal;
};

static void *wait_for_signal(void *arg)
{
    struct stopper *s = arg;
    int sig = 0;
    sigwait(&s->set, &sig);
    s->signal = sig;
    s->stop = 1;
    return NULL;
}

/* The central migrations, then the sealing of device keys still stored in plain text (what
 * migration 004 leaves to the one holding the seal key). */
static int migrate_and_seal(PGconn *c, const struct odo_gw_config *cfg, int *applied, int *sealed,
                            struct odo_err *err)
{
    int rc = odo_pg_migrate(c, applied, err);
    return rc ? rc : odo_gw_seal_stored(c, cfg->seal_key, sealed, err);
}

/* Raises the open-file limit as far as the system allows (connections are descriptors) and
 * keeps the HTTPS connection cap under what remains. */
static void raise_file_limit(struct odo_gw_config *cfg)
{
    struct rlimit r;
    const rlim_t spare = 256; /* database, coaps, log and libraries */

    if (getrlimit(RLIMIT_NOFILE, &r) != 0)
        return;
    r.rlim_cur = r.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &r);
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur != RLIM_INFINITY &&
        (rlim_t)cfg->limits.https_connections + spare > r.rlim_cur) {
        cfg->limits.https_connections = r.rlim_cur > spare * 2 ? (int)(r.rlim_cur - spare) : 16;
        fprintf(stderr,
                "odolog-gateway: warn: open files are limited to %llu: HTTPS connections capped at "
                "%d\n",
                (unsigned long long)r.rlim_cur, cfg->limits.https_connections);
    }
}

static int cmd_serve(struct odo_gw_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {{"insecure-coap", no_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct stopper stopper;
    struct odo_gw *gw = NULL;
    struct odo_gw_http *http = NULL;
    struct odo_err err;
    pthread_t waiter;
    PGconn *c;
    int ch, rc, applied, sealed;

    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'i')
            cfg->allow_insecure = true;
        else {
            fputs(usage, ch == 'h' ? stdout : stderr);
            return ch == 'h' ? 0 : EXIT_USAGE;
        }
    }
    if (odo_gw_config_check_serve(cfg, &err))
        return fail(EXIT_CONFIG, &err);
    /* Signals go to the waiter thread only: block them before any thread starts. */
    sigemptyset(&stopper.set);
    sigaddset(&stopper.set, SIGTERM);
    sigaddset(&stopper.set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stopper.set, NULL);
    signal(SIGPIPE, SIG_IGN);
    stopper.stop = 0;
    stopper.signal = 0;

    /* Refuse to serve a database whose schema is behind: that is the operator's step. */
    c = PQconnectdb(cfg->database_url);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "odolog-gateway: cannot connect to PostgreSQL: %s", PQerrorMessage(c));
        PQfinish(c);
        return EXIT_RUNTIME;
    }
    rc = migrate_and_seal(c, cfg, &applied, &sealed, &err);
    PQfinish(c);
    if (rc)
        return fail(EXIT_RUNTIME, &err);
    raise_file_limit(cfg);
    if ((rc = odo_gw_create(cfg, &gw, &err)))
        return fail(EXIT_RUNTIME, &err);
    if (applied || sealed)
        odo_log(odo_gw_log(gw), ODO_LOG_INFO, "applied %d migration%s, sealed %d device key%s",
                applied, applied == 1 ? "" : "s", sealed, sealed == 1 ? "" : "s");
    if (cfg->seal_key_derived)
        odo_log(odo_gw_log(gw), ODO_LOG_WARN,
                "ODOLOG_DEVICE_KEY_SECRET is not set: device keys are sealed under a key derived "
                "from the JWT secret (docs/operations.md says how to set one)");
    if (cfg->https_port && (rc = odo_gw_http_start(gw, &http, &err))) {
        odo_gw_destroy(gw);
        return fail(EXIT_RUNTIME, &err);
    }
    pthread_create(&waiter, NULL, wait_for_signal, &stopper);
    odo_log(odo_gw_log(gw), ODO_LOG_INFO, "serving: https=%d coaps=%d%s", cfg->https_port,
            cfg->coaps_port, cfg->coap_port ? " coap (insecure, tests)" : "");
    if (cfg->coaps_port || cfg->coap_port) {
        rc = odo_gw_coap_run(gw, &stopper.stop, &err);
        if (rc) {
            odo_log(odo_gw_log(gw), ODO_LOG_ERROR, "%s", err.msg);
            pthread_kill(waiter, SIGTERM);
        }
    }
    pthread_join(waiter, NULL);
    odo_log(odo_gw_log(gw), ODO_LOG_INFO, "stopping on signal %d", stopper.signal);
    odo_gw_http_stop(http);
    odo_gw_destroy(gw);
    return rc ? EXIT_RUNTIME : 0;
}

static PGconn *connect_db(const struct odo_gw_config *cfg, struct odo_err *err)
{
    PGconn *c;
    if (!cfg->database_url[0]) {
        odo_err_set(err, ODO_EINVAL, "no database: set DATABASE_URL");
        return NULL;
    }
    c = PQconnectdb(cfg->database_url);
    if (PQstatus(c) != CONNECTION_OK) {
        odo_err_set(err, ODO_ENET, "cannot connect to PostgreSQL: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int cmd_migrate(struct odo_gw_config *cfg)
{
    struct odo_err err;
    int applied, sealed, rc;
    PGconn *c = connect_db(cfg, &err);

    if (!c)
        return fail(EXIT_RUNTIME, &err);
    rc = migrate_and_seal(c, cfg, &applied, &sealed, &err);
    PQfinish(c);
    if (rc)
        return fail(EXIT_RUNTIME, &err);
    printf("applied %d migration%s", applied, applied == 1 ? "" : "s");
    if (sealed)
        printf(", sealed %d device key%s", sealed, sealed == 1 ? "" : "s");
    printf("; the database is up to date\n");
    return 0;
}

static int cmd_token(struct odo_gw_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {{"user", required_argument, NULL, 'u'},
                                         {"ttl", required_argument, NULL, 't'},
                                         {"org", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct odo_jwt_config jwt = {cfg->jwt_key, cfg->jwt_key_len, cfg->jwt_issuer, cfg->jwt_audience,
                                 0};
    const char *user = NULL, *org = NULL;
    long long ttl = 24 * 3600;
    struct odo_err err;
    char *tok, *end;
    int ch;

    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'u')
            user = optarg;
        else if (ch == 'o')
            org = optarg;
        else if (ch == 't') {
            ttl = strtoll(optarg, &end, 10);
            if (*end || ttl < -86400 || ttl > 366LL * 86400) {
                fprintf(stderr, "odolog-gateway: --ttl is seconds, up to a year\n");
                return EXIT_USAGE;
            }
        } else {
            fputs(usage, ch == 'h' ? stdout : stderr);
            return ch == 'h' ? 0 : EXIT_USAGE;
        }
    }
    if (!user) {
        fprintf(stderr, "odolog-gateway: token needs --user ID\n");
        return EXIT_USAGE;
    }
    if (odo_jwt_mint(&jwt, user, org, time(NULL), ttl, &tok, &err))
        return fail(EXIT_CONFIG, &err);
    puts(tok);
    free(tok);
    return 0;
}

static int cmd_device(struct odo_gw_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {{"id", required_argument, NULL, 'i'},
                                         {"psk", required_argument, NULL, 'p'},
                                         {"label", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    char id[ODO_UUID_TEXT_LEN + 1] = "", hex[2 * ODO_GW_PSK_MAX + 1] = "";
    unsigned char psk[ODO_GW_PSK_MAX];
    long len = 0;
    const char *label = NULL;
    struct odo_err err;
    PGconn *c;
    int ch, rc;

    if (argc < 2 || strcmp(argv[1], "add") != 0) {
        fprintf(stderr, "odolog-gateway: device add [--id UUID] [--psk HEX] [--label TEXT]\n");
        return EXIT_USAGE;
    }
    argc--;
    argv++;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'i' && odo_uuid_valid(optarg))
            snprintf(id, sizeof(id), "%s", optarg);
        else if (ch == 'p' && strlen(optarg) % 2 == 0 &&
                 (len = odo_hex_decode(optarg, psk, sizeof(psk))) >= ODO_GW_PSK_MIN)
            snprintf(hex, sizeof(hex), "%s", optarg);
        else if (ch == 'l')
            label = optarg;
        else {
            if (ch != 'h')
                fprintf(stderr,
                        "odolog-gateway: --id takes a UUID and --psk %d to %d hex "
                        "digits\n",
                        2 * ODO_GW_PSK_MIN, 2 * ODO_GW_PSK_MAX);
            fputs(usage, ch == 'h' ? stdout : stderr);
            return ch == 'h' ? 0 : EXIT_USAGE;
        }
    }
    if (!id[0] && odo_uuid_v7(odo_clock_now(NULL), id)) {
        fprintf(stderr, "odolog-gateway: no randomness for an id\n");
        return EXIT_RUNTIME;
    }
    if (!hex[0]) {
        len = ODO_GW_PSK_NEW;
        if (odo_random_bytes(psk, (size_t)len)) {
            fprintf(stderr, "odolog-gateway: no randomness for a key\n");
            return EXIT_RUNTIME;
        }
        for (long i = 0; i < len; i++)
            sprintf(hex + 2 * i, "%02x", psk[i]);
    }
    if (!(c = connect_db(cfg, &err)))
        return fail(EXIT_RUNTIME, &err);
    rc = odo_gw_device_put(c, cfg->seal_key, id, psk, (size_t)len, label, &err);
    PQfinish(c);
    mbedtls_platform_zeroize(psk, sizeof(psk));
    if (rc)
        return fail(EXIT_RUNTIME, &err);
    printf("device=%s\npsk=%s\n", id, hex);
    mbedtls_platform_zeroize(hex, sizeof(hex));
    fprintf(stderr, "odolog-gateway: give this key to the device now: the gateway keeps it "
                    "sealed and will not show it again\n");
    return 0;
}

static int cmd_purge(struct odo_gw_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {{"older-than", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    long long older = -1;
    int64_t purged, wm;
    struct odo_err err;
    char *end;
    PGconn *c;
    int ch, rc;

    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'o') {
            older = strtoll(optarg, &end, 10);
            if (*end || older < 0)
                older = -1;
        } else {
            fputs(usage, ch == 'h' ? stdout : stderr);
            return ch == 'h' ? 0 : EXIT_USAGE;
        }
    }
    if (older < 0) {
        fprintf(stderr, "odolog-gateway: purge needs --older-than SECONDS\n");
        return EXIT_USAGE;
    }
    if (!(c = connect_db(cfg, &err)))
        return fail(EXIT_RUNTIME, &err);
    rc = odo_gw_purge(c, older, &purged, &wm, &err);
    PQfinish(c);
    if (rc)
        return fail(EXIT_RUNTIME, &err);
    printf("purged %" PRId64 " tombstones; watermark %" PRId64 "\n", purged, wm);
    return 0;
}

int main(int argc, char **argv)
{
    struct odo_gw_config cfg;
    struct odo_err err;
    const char *config = NULL;
    int i = 1;

    if (argc > 2 && strcmp(argv[1], "--config") == 0) {
        config = argv[2];
        i = 3;
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    for (int k = i; k < argc; k++)
        if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    if (odo_gw_config_load(&cfg, config, &err))
        return fail(EXIT_CONFIG, &err);
    optind = 1;
    if (strcmp(argv[i], "serve") == 0)
        return cmd_serve(&cfg, argc - i, argv + i);
    if (strcmp(argv[i], "migrate") == 0)
        return cmd_migrate(&cfg);
    if (strcmp(argv[i], "token") == 0)
        return cmd_token(&cfg, argc - i, argv + i);
    if (strcmp(argv[i], "device") == 0)
        return cmd_device(&cfg, argc - i, argv + i);
    if (strcmp(argv[i], "purge") == 0)
        return cmd_purge(&cfg, argc - i, argv + i);
    fprintf(stderr, "odolog-gateway: unknown command '%s'\n%s", argv[i], usage);
    return EXIT_USAGE;
}
