/*
 * odolog due and odolog stats
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "platform/decimal.h"
#include "storage/reminders.h"
#include "storage/stats.h"

enum { OPT_ALL = 256, OPT_VEHICLE };

struct due_ctx {
    struct cli_list list;
    enum odo_due_level want;
    bool all;
    int shown;
};

static cJSON *json_due(const struct odo_due *d)
{
    cJSON *o = cJSON_CreateObject();
    char date[ODO_DATE_TEXT_LEN + 1];

    cJSON_AddStringToObject(o, "vehicle_id", d->vehicle_id);
    cJSON_AddStringToObject(o, "vehicle", d->vehicle_name);
    cJSON_AddStringToObject(o, "kind", d->kind);
    json_str(o, "label", d->label);
    cJSON_AddStringToObject(o, "item_id", d->item_id);
    cJSON_AddStringToObject(o, "level", odo_due_level_name(d->level));
    cJSON_AddStringToObject(o, "by", d->by_distance ? "distance" : "date");
    if (d->due_date != ODO_NO_DATE) {
        odo_date_format(d->due_date, date);
        cJSON_AddStringToObject(o, "due_date", date);
        cJSON_AddNumberToObject(o, "days_left", d->days_left);
    } else {
        cJSON_AddNullToObject(o, "due_date");
        cJSON_AddNullToObject(o, "days_left");
    }
    json_dec(o, "due_odometer", d->due_odometer, ODO_SCALE_DISTANCE, d->due_odometer != ODO_NONE);
    json_dec(o, "odometer", d->odometer, ODO_SCALE_DISTANCE, d->odometer != ODO_NONE);
    json_dec(o, "distance_left", d->distance_left, ODO_SCALE_DISTANCE,
             d->due_odometer != ODO_NONE && d->odometer != ODO_NONE);
    cJSON_AddStringToObject(o, "distance_unit", odo_dist_unit_name(d->dist_unit));
    return o;
}

static int due_row(const struct odo_due *d, void *ctx)
{
    struct due_ctx *l = ctx;
    char when[160], date[ODO_DATE_TEXT_LEN + 1], at[48], n[ODO_DEC_TEXT_MAX];
    const char *cells[7];

    if (d->level != l->want || (d->level == ODO_DUE_OK && !l->all))
        return 0;
    l->shown++;
    if (l->list.c->json) {
        jlist_add(&l->list.j, json_due(d));
        return 0;
    }
    odo_due_describe(d, when, sizeof(when));
    if (d->due_date != ODO_NO_DATE)
        odo_date_format(d->due_date, date);
    else
        strcpy(date, "-");
    if (d->due_odometer != ODO_NONE)
        snprintf(at, sizeof(at), "%s %s", cli_dec(d->due_odometer, 1, 0, n, sizeof(n)),
                 odo_dist_unit_name(d->dist_unit));
    else
        strcpy(at, "-");
    cells[0] = d->level == ODO_DUE_OVERDUE ? "OVERDUE"
               : d->level == ODO_DUE_SOON  ? "due soon"
                                           : "ok";
    cells[1] = d->vehicle_name;
    cells[2] = d->kind;
    cells[3] = d->label[0] ? d->label : "-";
    cells[4] = date;
    cells[5] = at;
    cells[6] = when;
    table_row(&l->list.t, cells);
    return 0;
}

int cmd_due(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, OPT_ALL}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    static const char *const head[] = {"STATUS",   "VEHICLE", "KIND", "ITEM",
                                       "DUE DATE", "DUE AT",  "WHEN"};
    static const enum odo_due_level order[] = {ODO_DUE_OVERDUE, ODO_DUE_SOON, ODO_DUE_OK};
    const struct cli_command *cmd = cli_find("due", NULL);
    struct due_ctx *l;
    bool all = false;
    int32_t today;
    int ch, rc = 0;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        if (ch != OPT_ALL)
            return ch == 'h' ? 0 : EXIT_USAGE;
        all = true;
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_read(c)))
        return rc;
    today = odo_date_local(odo_clock_now(NULL));
    if (!(l = cli_list_new(c, sizeof(*l), 7, head, "llllldl")))
        return EXIT_STORAGE;
    l->all = all;
    /* Most urgent first: one streamed pass per level. */
    for (size_t i = 0; i < ODO_ARRAY_LEN(order) && rc == 0; i++) {
        l->want = order[i];
        rc = odo_due_list(c->store, c->user, today, &c->settings, due_row, l, &c->err);
    }
    return cli_list_end(&l->list, rc, "nothing is due");
}

struct stats_ctx {
    struct cli *c;
    cJSON *months; /* JSON mode */
    struct table t;
};

static int month_row(const struct odo_month *m, void *ctx)
{
    struct stats_ctx *s = ctx;
    char vol[ODO_DEC_TEXT_MAX], cost[ODO_DEC_TEXT_MAX], dist[ODO_DEC_TEXT_MAX], fills[16];
    const char *cells[5];

    if (s->months) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "month", m->month);
        cJSON_AddNumberToObject(o, "fills", m->fills);
        json_dec(o, "volume", m->volume, ODO_SCALE_VOLUME, true);
        json_dec(o, "cost", m->cost, ODO_SCALE_MONEY, true);
        json_dec(o, "distance", m->distance, ODO_SCALE_DISTANCE, true);
        cJSON_AddItemToArray(s->months, o);
        return 0;
    }
    snprintf(fills, sizeof(fills), "%d", m->fills);
    cells[0] = m->month;
    cells[1] = fills;
    cells[2] = cli_dec(m->distance, ODO_SCALE_DISTANCE, 0, dist, sizeof(dist));
    cells[3] = cli_dec(m->volume, ODO_SCALE_VOLUME, 2, vol, sizeof(vol));
    cells[4] = cli_dec(m->cost, ODO_SCALE_MONEY, 2, cost, sizeof(cost));
    table_row(&s->t, cells);
    return 0;
}

struct stats_all {
    struct cli *c;
    struct jlist j;
    int vehicles;
    int rc;
};

static int stats_vehicle(const struct odo_vehicle *v, void *ctx)
{
    struct stats_all *a = ctx;
    struct cli *c = a->c;
    const struct odo_units *u = &c->settings.units;
    struct odo_vehicle_stats st;
    struct stats_ctx *s = calloc(1, sizeof(*s));
    char n[ODO_DEC_TEXT_MAX], m[ODO_DEC_TEXT_MAX], dist_head[24], vol_head[24], cost_head[24];
    const char *head[5] = {"MONTH", "FILLS", dist_head, vol_head, cost_head};
    const char *cpd_unit = u->dist == ODO_DIST_MI ? "per mi" : "per 100 km";

    if (!s) {
        a->rc = ODO_ENOMEM;
        return 1;
    }
    s->c = c;
    snprintf(dist_head, sizeof(dist_head), "DIST (%s)", odo_dist_unit_label(u->dist));
    snprintf(vol_head, sizeof(vol_head), "FUEL (%s)", odo_vol_unit_label(u->vol));
    /* Which currency the costs are in is known once the fills are read: the header says only
     * "COST", and the lines above it say the currency. */
    snprintf(cost_head, sizeof(cost_head), "COST");
    if (c->json)
        s->months = cJSON_CreateArray();
    else
        table_init(&s->t, 5, head, "lrddd");
    a->rc = odo_stats_vehicle(c->store, c->user, v, &c->settings, NULL, month_row, s, &st, &c->err);
    if (a->rc) {
        cJSON_Delete(s->months);
        free(s);
        return 1;
    }
    if (c->json) {
        cJSON *o = cJSON_CreateObject(), *others = cJSON_CreateArray(), *basis;
        cJSON_AddStringToObject(o, "vehicle_id", v->id);
        cJSON_AddStringToObject(o, "vehicle", v->name);
        cJSON_AddNumberToObject(o, "fills", st.fills);
        cJSON_AddNumberToObject(o, "counted_fills", st.counted_fills);
        json_dec(o, "distance", st.distance, ODO_SCALE_DISTANCE, true);
        cJSON_AddStringToObject(o, "distance_unit", odo_dist_unit_name(u->dist));
        json_dec(o, "volume", st.volume, ODO_SCALE_VOLUME, true);
        cJSON_AddStringToObject(o, "volume_unit", odo_vol_unit_name(u->vol));
        json_dec(o, "cost", st.cost, ODO_SCALE_MONEY, true);
        cJSON_AddStringToObject(o, "currency", st.currency);
        cJSON_AddNumberToObject(o, "costed_fills", st.costed_fills);
        cJSON_AddNumberToObject(o, "other_currency_fills", st.other_currency_fills);
        for (int i = 0; i < st.others; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "currency", st.other[i].currency);
            cJSON_AddNumberToObject(x, "fills", st.other[i].fills);
            json_dec(x, "cost", st.other[i].cost, ODO_SCALE_MONEY, true);
            cJSON_AddItemToArray(others, x);
        }
        cJSON_AddItemToObject(o, "other_currencies", others);
        json_dec(o, "economy", st.economy, ODO_ECON_SCALE, st.economy >= 0);
        cJSON_AddStringToObject(o, "economy_unit", odo_econ_unit_name(u->econ));
        json_dec(o, "cost_per_distance", st.cost_per_distance, st.cpd_scale,
                 st.cost_per_distance >= 0);
        cJSON_AddStringToObject(o, "cost_per_distance_unit",
                                u->dist == ODO_DIST_MI ? "per_mi" : "per_100km");
        /* What cost per distance counts: the fuel bought after each first fill-up. */
        basis = cJSON_AddObjectToObject(o, "cost_per_distance_basis");
        json_dec(basis, "cost", st.cpd_cost, ODO_SCALE_MONEY, true);
        cJSON_AddNumberToObject(basis, "fills", st.cpd_fills);
        json_dec(basis, "distance", st.distance, ODO_SCALE_DISTANCE, true);
        cJSON_AddStringToObject(basis, "left_out",
                                "the first fill-up (of each odometer series): its fuel was "
                                "bought before the distance was driven");
        cJSON_AddItemToObject(o, "months", s->months);
        jlist_add(&a->j, o);
    } else {
        if (a->vehicles)
            printf("\n");
        printf("%s\n", v->name);
        printf("  fill-ups:        %d (%d in the economy average: fills that close a chain of\n"
               "                   full fills)\n",
               st.fills, st.counted_fills);
        printf("  distance:        %s %s (driven between the first and the last fill-up)\n",
               cli_dec(st.distance, 1, 0, n, sizeof(n)), odo_dist_unit_label(u->dist));
        printf("  fuel:            %s %s\n", cli_dec(st.volume, 3, 2, n, sizeof(n)),
               odo_vol_unit_label(u->vol));
        printf("  cost:            %s %s (%d fill-up%s with a price%s%s)\n",
               cli_dec(st.cost, 2, 2, n, sizeof(n)), st.currency, st.costed_fills,
               st.costed_fills == 1 ? "" : "s",
               strcmp(st.currency, c->settings.currency) != 0 ? "; your currency is " : "",
               strcmp(st.currency, c->settings.currency) != 0 ? c->settings.currency : "");
        if (st.economy >= 0)
            printf("  average economy: %s %s\n", cli_dec(st.economy, 2, 2, n, sizeof(n)),
                   odo_econ_unit_label(u->econ));
        else
            printf("  average economy: - (needs two full fill-ups)\n");
        if (st.cost_per_distance >= 0)
            printf("  cost per dist.:  %s %s %s (%s %s of fuel after the first fill-up, over "
                   "that distance)\n",
                   cli_dec(st.cost_per_distance, st.cpd_scale, st.cpd_scale, m, sizeof(m)),
                   st.currency, cpd_unit, cli_dec(st.cpd_cost, 2, 2, n, sizeof(n)), st.currency);
        else if (st.distance > 0)
            printf("  cost per dist.:  - (not every fill-up after the first has a price in %s)\n",
                   st.currency);
        for (int i = 0; i < st.others; i++)
            printf("  also paid:       %s %s in %d fill-up%s (not in the figures above)\n",
                   cli_dec(st.other[i].cost, 2, 2, n, sizeof(n)), st.other[i].currency,
                   st.other[i].fills, st.other[i].fills == 1 ? "" : "s");
        if (st.fills) {
            printf("\n");
            table_end(&s->t, NULL);
        }
    }
    a->vehicles++;
    free(s);
    return 0;
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("stats", NULL);
    const char *ref = NULL;
    struct stats_all a;
    struct odo_vehicle v;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        if (ch != OPT_VEHICLE)
            return ch == 'h' ? 0 : EXIT_USAGE;
        ref = optarg;
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_read(c)))
        return rc;
    memset(&a, 0, sizeof(a));
    a.c = c;
    if (ref && (rc = cli_vehicle(c, ref, false, &v)))
        return cli_fail(c, rc);
    if (c->json)
        jlist_begin(&a.j);
    if (ref)
        stats_vehicle(&v, &a);
    else
        rc = odo_vehicle_list(c->store, c->user, false, stats_vehicle, &a, &c->err);
    if (c->json)
        jlist_end(&a.j);
    else if (!rc && !a.rc && a.vehicles == 0)
        printf("no vehicles yet: add one with 'odolog vehicle add'\n");
    if (!rc)
        rc = a.rc;
    return rc ? cli_fail(c, rc) : 0;
}
