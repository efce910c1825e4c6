/*
 * odolog service list|add|edit (rm and restore are in record.c), and the options of recorded
 * work that 'maint done' shares.
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "platform/decimal.h"
#include "storage/maintenance.h"

enum {
    OPT_VEHICLE = 256,
    OPT_DESCRIPTION,
    OPT_DATE,
    OPT_ODOMETER,
    OPT_COST,
    OPT_CURRENCY,
    OPT_SHOP,
    OPT_NOTES,
};

static const struct option work_opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                          {"description", required_argument, NULL, OPT_DESCRIPTION},
                                          {"date", required_argument, NULL, OPT_DATE},
                                          {"odometer", required_argument, NULL, OPT_ODOMETER},
                                          {"cost", required_argument, NULL, OPT_COST},
                                          {"currency", required_argument, NULL, OPT_CURRENCY},
                                          {"shop", required_argument, NULL, OPT_SHOP},
                                          {"notes", required_argument, NULL, OPT_NOTES},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};

int cli_work_parse(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                   bool description, struct cli_work *a)
{
    int ch;

    memset(a, 0, sizeof(*a));
    while ((ch = cli_getopt(c, cmd, argc, argv, work_opts, "h")) != -1) {
        const char **slot = NULL;

        switch (ch) {
        case 'h':
            return -1;
        case '?':
            return EXIT_USAGE;
        case OPT_VEHICLE:
            slot = &a->vehicle;
            break;
        case OPT_DESCRIPTION:
            if (!description)
                return cli_usage(c, cmd, "unknown option '--description'");
            slot = &a->description;
            break;
        case OPT_DATE:
            slot = &a->date;
            break;
        case OPT_ODOMETER:
            slot = &a->odometer;
            break;
        case OPT_COST:
            slot = &a->cost;
            break;
        case OPT_CURRENCY:
            slot = &a->currency;
            break;
        case OPT_SHOP:
            slot = &a->shop;
            break;
        case OPT_NOTES:
            slot = &a->notes;
            break;
        }
        *slot = optarg;
        a->count += ch != OPT_VEHICLE;
    }
    return 0;
}

int cli_work_apply(struct cli *c, const struct cli_work *a, struct odo_service *rec)
{
    int rc = 0;

    if ((a->description && (rc = cli_copy(c, rec->description, sizeof(rec->description),
                                          a->description, "the description"))) ||
        (a->date && (rc = odo_time_parse(a->date, &rec->performed_at, &c->err))) ||
        (a->currency &&
         (rc = cli_copy(c, rec->currency, sizeof(rec->currency), a->currency, "the currency"))) ||
        (a->shop && (rc = cli_copy(c, rec->shop, sizeof(rec->shop), a->shop, "the shop"))) ||
        (a->notes && (rc = cli_copy(c, rec->notes, sizeof(rec->notes), a->notes, "the notes"))))
        return rc;
    /* An empty odometer or cost clears it. */
    if (a->odometer && !*a->odometer)
        rec->odometer = ODO_NONE;
    else if (a->odometer && (rc = cli_distance(c, a->odometer, "the odometer", &rec->odometer)))
        return rc;
    if (a->cost && !*a->cost)
        rec->cost = ODO_NONE;
    else if (a->cost && (rc = cli_money(c, a->cost, "the cost", &rec->cost)))
        return rc;
    if (rec->cost != ODO_NONE && !rec->currency[0])
        memcpy(rec->currency, c->settings.currency, sizeof(rec->currency));
    return 0;
}

cJSON *json_service(const struct odo_service *r)
{
    cJSON *o = json_record(r->id, r->vehicle_id);

    json_str(o, "maintenance_id", r->maintenance_id);
    json_time(o, "performed_at", r->performed_at);
    json_dec(o, "odometer", r->odometer, ODO_SCALE_DISTANCE, r->odometer != ODO_NONE);
    cJSON_AddStringToObject(o, "description", r->description);
    json_dec(o, "cost", r->cost, ODO_SCALE_MONEY, r->cost != ODO_NONE);
    json_str(o, "currency", r->currency);
    json_str(o, "shop", r->shop);
    json_str(o, "notes", r->notes);
    return o;
}

static int service_row(const struct odo_service *r, void *ctx)
{
    struct cli_list *l = ctx;
    char when[32], odo[48], cost[48], n[ODO_DEC_TEXT_MAX];
    const char *cells[6];

    if (l->c->json) {
        jlist_add(&l->j, json_service(r));
        return 0;
    }
    odo_time_format_local(r->performed_at, when);
    if (r->odometer != ODO_NONE)
        snprintf(odo, sizeof(odo), "%s %s", cli_dec(r->odometer, 1, 0, n, sizeof(n)),
                 odo_dist_unit_name(l->v->odometer_unit));
    else
        strcpy(odo, "-");
    if (r->cost != ODO_NONE)
        snprintf(cost, sizeof(cost), "%s %s", cli_dec(r->cost, 2, 2, n, sizeof(n)), r->currency);
    else
        strcpy(cost, "-");
    cells[0] = cli_short_id(r->id);
    cells[1] = when;
    cells[2] = odo;
    cells[3] = r->description;
    cells[4] = cost;
    cells[5] = r->shop;
    table_row(&l->t, cells);
    return 0;
}

int cli_service_table(struct cli *c, const struct odo_vehicle *v)
{
    static const char *const head[] = {"ID", "DATE", "ODOMETER", "WORK", "COST", "SHOP"};
    struct cli_list *l = cli_list_new(c, sizeof(*l), 6, head, "lldldl");
    int rc;

    if (!l)
        return cli_report(c, EXIT_STORAGE, "out of memory");
    l->v = v;
    rc = odo_service_list(c->store, c->user, v->id, service_row, l, &c->err);
    return cli_list_end(l, rc, "no service records yet");
}

int cmd_service_list(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("service", "list");
    const char *ref;
    struct odo_vehicle v;
    int rc;

    if ((rc = cli_list_open(c, cmd, argc, argv, &ref, &v)))
        return rc < 0 ? 0 : rc;
    return cli_service_table(c, &v);
}

static void print_saved(struct cli *c, const struct odo_service *r, const char *what)
{
    char when[32];

    if (c->json) {
        json_print(json_service(r));
        return;
    }
    odo_time_format_local(r->performed_at, when);
    printf("%s service record %s: %s on %s\n", what, cli_short_id(r->id), r->description, when);
}

int cmd_service_add(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("service", "add");
    struct odo_service rec;
    struct odo_vehicle v;
    struct cli_work a;
    int rc = cli_work_parse(c, cmd, argc, argv, true, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if (!a.description)
        return cli_usage(c, cmd, "--description is required: say what was done");
    if ((rc = cli_open(c)))
        return rc;
    memset(&rec, 0, sizeof(rec));
    rec.performed_at = odo_clock_now(NULL);
    rec.odometer = rec.cost = ODO_NONE;
    if ((rc = cli_vehicle(c, a.vehicle, false, &v)) || (rc = cli_work_apply(c, &a, &rec)))
        return cli_fail(c, rc);
    memcpy(rec.vehicle_id, v.id, sizeof(v.id));
    if ((rc = odo_service_add(c->store, c->user, &rec, &c->err)))
        return cli_fail(c, rc);
    print_saved(c, &rec, "added");
    return 0;
}

int cmd_service_edit(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("service", "edit");
    struct odo_service rec;
    struct cli_work a;
    const char *ref;
    int rc = cli_work_parse(c, cmd, argc, argv, true, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    if (a.vehicle)
        return cli_usage(c, cmd, "a service record stays with its vehicle");
    if ((rc = cli_edit_open(c, cmd, argc, argv, "which service record? give its id", a.count > 0,
                            &ref)))
        return rc;
    if ((rc = odo_service_find(c->store, c->user, ref, false, &rec, &c->err)) ||
        (rc = cli_work_apply(c, &a, &rec)) ||
        (rc = odo_service_update(c->store, c->user, &rec, &c->err)))
        return cli_fail(c, rc);
    print_saved(c, &rec, "updated");
    return 0;
}
