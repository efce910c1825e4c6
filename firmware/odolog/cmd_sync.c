/*
 * odolog login, sync, sync status
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "storage/replica.h"
#include "sync/client/engine.h"
#include "sync/client/login.h"
#include "sync/protocol/messages.h"

enum {
    OPT_GATEWAY = 256,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_PSK,
    OPT_CA,
    OPT_PUSH_ONLY,
    OPT_PULL_ONLY,
    OPT_BATCH,
    OPT_DISMISS
};

int cmd_login(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"gateway", required_argument, NULL, OPT_GATEWAY},
                                         {"token", required_argument, NULL, OPT_TOKEN},
                                         {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
                                         {"psk", required_argument, NULL, OPT_PSK},
                                         {"ca", required_argument, NULL, OPT_CA},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("login", NULL);
    struct odo_sync_login login = {0};
    struct odo_sync_config cfg;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case '?':
            return EXIT_USAGE;
        case OPT_GATEWAY:
            login.gateway = optarg;
            break;
        case OPT_TOKEN:
            login.token = optarg;
            break;
        case OPT_TOKEN_FILE:
            login.token_file = optarg;
            break;
        case OPT_PSK:
            login.psk_hex = optarg;
            break;
        case OPT_CA:
            login.ca_file = optarg;
            break;
        }
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if (!login.gateway && !login.token && !login.token_file && !login.psk_hex && !login.ca_file)
        return cli_usage(c, cmd, "nothing to do: give --gateway, --token or --psk");
    if (login.token && login.token_file)
        return cli_usage(c, cmd, "give --token or --token-file, not both");
    /* Checked before the store is opened, so that bad input creates no database. */
    if ((rc = odo_sync_login_check(&login, &c->err)))
        return cli_fail(c, rc);
    if ((rc = cli_open(c)))
        return rc;
    if ((rc = odo_sync_login(c->store, c->user, &login, &c->err)) ||
        (rc = odo_sync_config_get(c->store, &cfg, &c->err)))
        return cli_fail(c, rc);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "device_id", odo_store_device_id(c->store));
        cJSON_AddStringToObject(o, "user", c->user);
        json_str(o, "gateway", cfg.gateway);
        json_print(o);
    } else {
        printf("device %s, user %s%s, gateway %s\n", odo_store_device_id(c->store), c->user,
               login.token || login.token_file ? " (token stored)" : "",
               cfg.gateway[0] ? cfg.gateway : "(not set)");
    }
    odo_sync_config_clear(&cfg);
    return 0;
}

/* A failed cycle: the gateway's or the network's fault (5), or the database's (4). */
static int sync_exit(struct cli *c, int rc)
{
    char msg[sizeof(c->err.msg) + 16];

    snprintf(msg, sizeof(msg), "sync failed: %s", odo_err_text(&c->err, rc));
    return cli_report(c, cli_exit_code(rc), msg);
}

int cmd_sync(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"push-only", no_argument, NULL, OPT_PUSH_ONLY},
                                         {"pull-only", no_argument, NULL, OPT_PULL_ONLY},
                                         {"batch", required_argument, NULL, OPT_BATCH},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("sync", NULL);
    struct odo_sync_options opt = {.push = true, .pull = true};
    struct odo_sync_report rep;
    struct odo_transport *t = NULL;
    long batch;
    int ch, rc;

    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return cmd_sync_status(c, argc - 1, argv + 1);
    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case '?':
            return EXIT_USAGE;
        case OPT_PUSH_ONLY:
            opt.pull = false;
            break;
        case OPT_PULL_ONLY:
            opt.push = false;
            break;
        case OPT_BATCH:
            if ((rc = cli_int(c, optarg, "--batch", 1, ODO_PUSH_ROWS_MAX, &batch)))
                return cli_fail(c, rc);
            opt.batch_rows = (int)batch;
            break;
        }
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if (!opt.push && !opt.pull)
        return cli_usage(c, cmd, "--push-only and --pull-only exclude each other");
    if ((rc = cli_open(c)))
        return rc;
    if ((rc = odo_sync_connect(c->store, &t, &c->err)))
        /* No gateway, or stored settings that do not make one: sync is not set up. */
        return cli_report(c, EXIT_SYNC, odo_err_text(&c->err, rc));
    rc = odo_sync_cycle(c->store, c->user, t, &opt, &rep, &c->err);
    const struct odo_transport_stats *ts = odo_transport_stats(t);
    if (c->json && rc == 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "pushed", rep.pushed);
        cJSON_AddNumberToObject(o, "batches", rep.batches);
        cJSON_AddNumberToObject(o, "refused", rep.refused);
        cJSON_AddNumberToObject(o, "rekeyed", rep.rekeyed);
        cJSON_AddNumberToObject(o, "winners", rep.winners);
        cJSON_AddNumberToObject(o, "pulled", rep.pulled);
        cJSON_AddNumberToObject(o, "pages", rep.pages);
        cJSON_AddBoolToObject(o, "reconciled", rep.reconciled);
        cJSON_AddNumberToObject(o, "dropped", rep.dropped);
        cJSON_AddNumberToObject(o, "conflicts", rep.conflicts);
        cJSON_AddNumberToObject(o, "cursor", (double)rep.cursor);
        cJSON_AddNumberToObject(o, "requests", (double)ts->requests);
        cJSON_AddNumberToObject(o, "bytes_out", (double)ts->body_out);
        cJSON_AddNumberToObject(o, "bytes_in", (double)ts->body_in);
        json_print(o);
    } else if (rc == 0) {
        printf("pushed %d change%s in %d batch%s", rep.pushed, rep.pushed == 1 ? "" : "s",
               rep.batches, rep.batches == 1 ? "" : "es");
        if (rep.refused)
            printf(" (%d refused: %s)", rep.refused, rep.last_refusal);
        printf("; pulled %d row%s", rep.pulled, rep.pulled == 1 ? "" : "s");
        if (rep.reconciled)
            printf(" after reconciling (%d stale row%s dropped)", rep.dropped,
                   rep.dropped == 1 ? "" : "s");
        printf("; cursor %lld; %llu round trip%s\n", (long long)rep.cursor,
               (unsigned long long)ts->requests, ts->requests == 1 ? "" : "s");
        if (rep.rekeyed)
            printf("%d row%s merged with the same one registered on another device\n", rep.rekeyed,
                   rep.rekeyed == 1 ? "" : "s");
        if (rep.conflicts)
            printf("%d conflict%s recorded: see 'odolog sync status'\n", rep.conflicts,
                   rep.conflicts == 1 ? "" : "s");
    }
    odo_transport_close(t);
    return rc ? sync_exit(c, rc) : 0;
}

/* The conflicts list, for sync status. */
struct conflicts_out {
    cJSON *array; /* --json */
    int n;
};

static int print_conflict(const struct odo_conflict *k, void *ctx)
{
    struct conflicts_out *out = ctx;
    const char *advice = odo_sync_conflict_advice(k->reason);

    out->n++;
    if (out->array) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "table", k->tbl);
        cJSON_AddStringToObject(o, "id", k->row_id);
        cJSON_AddStringToObject(o, "reason", k->reason);
        cJSON_AddItemToObject(o, "values", k->vals ? cJSON_Parse(k->vals) : cJSON_CreateNull());
        cJSON_AddStringToObject(o, "at", k->at);
        cJSON_AddStringToObject(o, "what_to_do", advice);
        cJSON_AddItemToArray(out->array, o);
        return 0;
    }
    printf("  %s  %s %s: %s\n", k->at, k->tbl, k->row_id, k->reason);
    if (k->vals)
        printf("    values: %s\n", k->vals);
    printf("    what to do: %s\n", advice);
    return 0;
}

int cmd_sync_status(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"dismiss", no_argument, NULL, OPT_DISMISS},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("sync", "status");
    struct odo_sync_state st;
    struct odo_sync_config cfg;
    struct conflicts_out conflicts = {NULL, 0};
    char age[64] = "-";
    bool dismiss = false;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        if (ch == 'h')
            return 0;
        if (ch != OPT_DISMISS)
            return EXIT_USAGE;
        dismiss = true;
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = dismiss ? cli_open(c) : cli_open_read(c)))
        return rc;
    if ((rc = odo_replica_state(c->store, c->user, &st, &c->err)) ||
        (rc = odo_sync_config_get(c->store, &cfg, &c->err)))
        return cli_fail(c, rc);
    if (st.oldest[0]) {
        int64_t then;
        if (odo_time_parse(st.oldest, &then, NULL) == 0) {
            int64_t s = (odo_clock_now(NULL) - then) / 1000;
            if (s < 120)
                snprintf(age, sizeof(age), "%lld s", (long long)s);
            else if (s < 7200)
                snprintf(age, sizeof(age), "%lld min", (long long)(s / 60));
            else
                snprintf(age, sizeof(age), "%lld h", (long long)(s / 3600));
        }
    }
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "device_id", odo_store_device_id(c->store));
        cJSON_AddStringToObject(o, "user", c->user);
        json_str(o, "gateway", cfg.gateway);
        cJSON_AddBoolToObject(o, "logged_in", st.logged_in);
        cJSON_AddNumberToObject(o, "outbox", (double)st.outbox);
        json_str(o, "oldest_unsynced", st.oldest);
        cJSON_AddNumberToObject(o, "cursor", (double)st.cursor);
        cJSON_AddNumberToObject(o, "next_batch", (double)st.next_batch);
        cJSON_AddNumberToObject(o, "refused", (double)st.refused);
        json_str(o, "last_refusal", st.last_refusal);
        json_str(o, "last_success", st.last_success);
        json_str(o, "last_error", st.last_error);
        json_str(o, "last_error_at", st.last_error_at);
        conflicts.array = cJSON_AddArrayToObject(o, "conflicts");
        rc = odo_replica_conflicts(c->store, c->user, print_conflict, &conflicts, &c->err);
        if (rc == 0)
            json_print(o);
        else
            cJSON_Delete(o);
    } else {
        printf("device:          %s\n", odo_store_device_id(c->store));
        printf("user:            %s (%s)\n", c->user, st.logged_in ? "logged in" : "not logged in");
        printf("gateway:         %s\n",
               cfg.gateway[0] ? cfg.gateway : "(not set: odolog login --gateway URL)");
        printf("outbox:          %lld change%s waiting", (long long)st.outbox,
               st.outbox == 1 ? "" : "s");
        if (st.oldest[0])
            printf(", the oldest %s old", age);
        printf("\ncursor:          %lld\n", (long long)st.cursor);
        printf("last success:    %s\n", st.last_success[0] ? st.last_success : "never");
        if (st.last_error[0])
            printf("last error:      %s (%s)\n", st.last_error, st.last_error_at);
        if (st.refused)
            printf("refused changes: %lld (last: %s)\n", (long long)st.refused, st.last_refusal);
        /* Counted first so that the heading says how many follow. */
        int64_t n = 0;
        if ((rc = odo_replica_conflict_count(c->store, c->user, "", &n, &c->err)) == 0) {
            if (n)
                printf("conflicts:       %lld, the newest first (--dismiss forgets them)\n",
                       (long long)n);
            else
                printf("conflicts:       none\n");
            rc = odo_replica_conflicts(c->store, c->user, print_conflict, &conflicts, &c->err);
        }
    }
    odo_sync_config_clear(&cfg);
    if (rc == 0 && dismiss)
        rc = odo_replica_conflicts_clear(c->store, c->user, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}
