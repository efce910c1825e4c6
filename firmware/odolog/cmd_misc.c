/*
 * odolog init, db status
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "platform/decimal.h"

enum {
    OPT_UNITS = 256,
    OPT_DISTANCE,
    OPT_VOLUME,
    OPT_ECONOMY,
    OPT_CURRENCY,
    OPT_SOON_DAYS,
    OPT_SOON_DISTANCE
};

int cmd_init(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"units", required_argument, NULL, OPT_UNITS},
        {"distance", required_argument, NULL, OPT_DISTANCE},
        {"volume", required_argument, NULL, OPT_VOLUME},
        {"economy", required_argument, NULL, OPT_ECONOMY},
        {"currency", required_argument, NULL, OPT_CURRENCY},
        {"soon-days", required_argument, NULL, OPT_SOON_DAYS},
        {"soon-distance", required_argument, NULL, OPT_SOON_DISTANCE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("init", NULL);
    const char *arg[OPT_SOON_DISTANCE - OPT_UNITS + 1] = {NULL};
    struct odo_settings *set;
    enum odo_unit_system sys;
    long days;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        if (ch == 'h')
            return 0;
        if (ch == '?')
            return EXIT_USAGE;
        arg[ch - OPT_UNITS] = optarg;
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open(c)))
        return rc;
    set = &c->settings;
#define ARG(opt) arg[(opt)-OPT_UNITS]
    if (ARG(OPT_UNITS)) {
        if ((rc = odo_unit_system_parse(ARG(OPT_UNITS), &sys, &c->err)))
            return cli_fail(c, rc);
        odo_settings_default(sys, set);
    }
    if ((ARG(OPT_DISTANCE) &&
         (rc = odo_dist_unit_parse(ARG(OPT_DISTANCE), &set->units.dist, &c->err))) ||
        (ARG(OPT_VOLUME) && (rc = odo_vol_unit_parse(ARG(OPT_VOLUME), &set->units.vol, &c->err))) ||
        (ARG(OPT_ECONOMY) &&
         (rc = odo_econ_unit_parse(ARG(OPT_ECONOMY), &set->units.econ, &c->err))) ||
        (ARG(OPT_CURRENCY) && (rc = cli_copy(c, set->currency, sizeof(set->currency),
                                             ARG(OPT_CURRENCY), "the currency"))) ||
        (ARG(OPT_SOON_DISTANCE) && (rc = cli_distance(c, ARG(OPT_SOON_DISTANCE), "--soon-distance",
                                                      &set->due_soon_distance))))
        return cli_fail(c, rc);
    if (ARG(OPT_SOON_DAYS)) {
        if ((rc = cli_int(c, ARG(OPT_SOON_DAYS), "--soon-days", 0, 3650, &days)))
            return cli_fail(c, rc);
        set->due_soon_days = (int)days;
    }
#undef ARG
    for (int i = 0; i < 3; i++)
        if (set->currency[i] >= 'a' && set->currency[i] <= 'z')
            set->currency[i] = (char)(set->currency[i] - 'a' + 'A');
    if ((rc = odo_settings_save(c->store, c->user, set, &c->err)))
        return cli_fail(c, rc);
    if (c->json) {
        char n[ODO_DEC_TEXT_MAX];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "database", c->db_path);
        cJSON_AddStringToObject(o, "user", c->user);
        cJSON_AddStringToObject(o, "device_id", odo_store_device_id(c->store));
        cJSON_AddStringToObject(o, "units", odo_unit_system_name(set->units.system));
        cJSON_AddStringToObject(o, "distance", odo_dist_unit_name(set->units.dist));
        cJSON_AddStringToObject(o, "volume", odo_vol_unit_name(set->units.vol));
        cJSON_AddStringToObject(o, "economy", odo_econ_unit_name(set->units.econ));
        cJSON_AddStringToObject(o, "currency", set->currency);
        cJSON_AddNumberToObject(o, "due_soon_days", set->due_soon_days);
        cJSON_AddStringToObject(o, "due_soon_distance",
                                cli_dec(set->due_soon_distance, 1, 1, n, sizeof(n)));
        json_print(o);
        return 0;
    }
    printf("database: %s\n", c->db_path);
    printf("user:     %s\n", c->user);
    printf("units:    %s (%s, %s, %s), currency %s\n", odo_unit_system_name(set->units.system),
           odo_dist_unit_label(set->units.dist), odo_vol_unit_label(set->units.vol),
           odo_econ_unit_label(set->units.econ), set->currency);
    return 0;
}

struct status_ctx {
    struct cli *c;
    struct table t;
    struct jlist j;
    int pending, changed, unknown;
};

static void status_row(const struct odo_migration_status *st, void *ctx)
{
    struct status_ctx *s = ctx;
    const char *cells[3];

    s->pending += st->state == ODO_MIGRATION_PENDING;
    s->changed += st->state == ODO_MIGRATION_CHANGED;
    s->unknown += st->state == ODO_MIGRATION_UNKNOWN;
    if (s->c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", st->name);
        cJSON_AddStringToObject(o, "state", odo_migration_state_name(st->state));
        json_str(o, "checksum", st->checksum);
        json_str(o, "applied_at", st->applied_at);
        jlist_add(&s->j, o);
        return;
    }
    cells[0] = st->name;
    cells[1] = odo_migration_state_name(st->state);
    cells[2] = st->applied_at ? st->applied_at : "-";
    table_row(&s->t, cells);
}

int cmd_db_status(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    static const char *const head[] = {"MIGRATION", "STATE", "APPLIED AT"};
    const struct cli_command *cmd = cli_find("db", "status");
    struct odo_store_options o = {.no_migrate = true};
    struct status_ctx *s;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1)
        return ch == 'h' ? 0 : EXIT_USAGE;
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_db_path(c)))
        return rc;
    /* Opened without migrating, so that pending migrations show as pending. */
    rc = odo_store_open(c->db_path, &o, &c->store, &c->err);
    if (rc == ODO_EREADONLY) {
        o.read_only = true; /* a file nobody may write still tells its state */
        rc = odo_store_open(c->db_path, &o, &c->store, &c->err);
    }
    if (rc)
        return cli_fail(c, rc);
    s = calloc(1, sizeof(*s));
    if (!s)
        return EXIT_STORAGE;
    s->c = c;
    table_init(&s->t, 3, head, "lll");
    if (c->json)
        jlist_begin(&s->j);
    else
        printf("database: %s\n\n", c->db_path);
    rc = odo_store_migration_status(c->store, status_row, s, &c->err);
    if (c->json) {
        jlist_end(&s->j);
    } else {
        table_end(&s->t, NULL);
        if (s->changed)
            printf("\n%d applied migration%s changed since: this database needs attention\n",
                   s->changed, s->changed == 1 ? " was" : "s were");
        else if (s->unknown)
            printf("\nwritten by a newer odolog: upgrade odolog to use it\n");
        else if (s->pending)
            printf("\n%d pending: any other odolog command applies them\n", s->pending);
        else
            printf("\nup to date\n");
    }
    free(s);
    return rc ? cli_fail(c, rc) : 0;
}
