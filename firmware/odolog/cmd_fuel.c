/*
 * odolog fuel add|list|edit (rm and restore are in record.c)
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "platform/decimal.h"
#include "storage/entry.h"
#include "storage/fuel.h"
#include "storage/stats.h"

enum {
    OPT_VEHICLE = 256,
    OPT_ODOMETER,
    OPT_VOLUME,
    OPT_UNIT,
    OPT_PRICE,
    OPT_TOTAL,
    OPT_CURRENCY,
    OPT_DATE,
    OPT_PARTIAL,
    OPT_MISSED,
    OPT_STATION,
    OPT_NOTES,
    OPT_FULL,
    OPT_NO_MISSED,
    OPT_CONFIRM
};

static const struct option fuel_opts[] = {
    {"vehicle", required_argument, NULL, OPT_VEHICLE},
    {"odometer", required_argument, NULL, OPT_ODOMETER},
    {"volume", required_argument, NULL, OPT_VOLUME},
    {"unit", required_argument, NULL, OPT_UNIT},
    {"price", required_argument, NULL, OPT_PRICE},
    {"total", required_argument, NULL, OPT_TOTAL},
    {"currency", required_argument, NULL, OPT_CURRENCY},
    {"date", required_argument, NULL, OPT_DATE},
    {"partial", no_argument, NULL, OPT_PARTIAL},
    {"missed", no_argument, NULL, OPT_MISSED},
    {"station", required_argument, NULL, OPT_STATION},
    {"notes", required_argument, NULL, OPT_NOTES},
    {"full", no_argument, NULL, OPT_FULL},
    {"no-missed", no_argument, NULL, OPT_NO_MISSED},
    {"confirm-distance", no_argument, NULL, OPT_CONFIRM},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The options of one fuel add/edit, as typed. */
struct fuel_args {
    const char *vehicle;
    struct odo_fuel_entry e;
    bool confirm; /* --confirm-distance */
};

static int parse_args(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                      bool edit, struct fuel_args *a)
{
    bool partial = false, full = false, missed = false, no_missed = false;
    struct odo_fuel_entry *e = &a->e;
    int ch;

    memset(a, 0, sizeof(*a));
    while ((ch = cli_getopt(c, cmd, argc, argv, fuel_opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return -1;
        case '?':
            return EXIT_USAGE;
        case OPT_VEHICLE:
            a->vehicle = optarg;
            break;
        case OPT_ODOMETER:
            e->odometer = optarg;
            break;
        case OPT_VOLUME:
            e->volume = optarg;
            break;
        case OPT_UNIT:
            e->unit = optarg;
            break;
        case OPT_PRICE:
            e->price = optarg;
            break;
        case OPT_TOTAL:
            e->total = optarg;
            break;
        case OPT_CURRENCY:
            e->currency = optarg;
            break;
        case OPT_DATE:
            e->date = optarg;
            break;
        case OPT_STATION:
            e->station = optarg;
            break;
        case OPT_NOTES:
            e->notes = optarg;
            break;
        case OPT_PARTIAL:
            partial = true;
            break;
        case OPT_MISSED:
            missed = true;
            break;
        case OPT_CONFIRM:
            a->confirm = true;
            break;
        case OPT_FULL:
        case OPT_NO_MISSED:
            if (!edit)
                return cli_usage(c, cmd, "--full and --no-missed are for 'fuel edit'");
            if (ch == OPT_FULL)
                full = true;
            else
                no_missed = true;
            break;
        }
    }
    if ((partial && full) || (missed && no_missed))
        return cli_usage(c, cmd, "contradictory options");
    e->full = partial ? 0 : full ? 1 : -1;
    e->missed = missed ? 1 : no_missed ? 0 : -1;
    return 0;
}

static cJSON *json_fuel(const struct odo_fuel_log *f)
{
    cJSON *o = json_record(f->id, f->vehicle_id);

    json_time(o, "filled_at", f->filled_at);
    json_dec(o, "odometer", f->odometer, ODO_SCALE_DISTANCE, true);
    json_dec(o, "volume", f->volume, ODO_SCALE_VOLUME, true);
    cJSON_AddStringToObject(o, "volume_unit", odo_vol_unit_name(f->volume_unit));
    json_dec(o, "unit_price", f->unit_price, ODO_SCALE_PRICE, f->unit_price != ODO_NONE);
    json_dec(o, "total_cost", f->total_cost, ODO_SCALE_MONEY, f->total_cost != ODO_NONE);
    json_str(o, "currency", f->currency);
    cJSON_AddBoolToObject(o, "full", f->full);
    cJSON_AddBoolToObject(o, "missed", f->missed);
    json_str(o, "station", f->station);
    json_str(o, "notes", f->notes);
    return o;
}

static void print_saved(struct cli *c, const struct odo_fuel_log *f, const char *what)
{
    char vol[ODO_DEC_TEXT_MAX], odo[ODO_DEC_TEXT_MAX], total[ODO_DEC_TEXT_MAX];

    if (c->json) {
        json_print(json_fuel(f));
        return;
    }
    printf("%s fill-up %s: %s %s at %s", what, cli_short_id(f->id),
           cli_dec(f->volume, ODO_SCALE_VOLUME, 0, vol, sizeof(vol)),
           odo_vol_unit_label(f->volume_unit),
           cli_dec(f->odometer, ODO_SCALE_DISTANCE, 0, odo, sizeof(odo)));
    if (f->total_cost != ODO_NONE)
        printf(", %s %s", cli_dec(f->total_cost, ODO_SCALE_MONEY, 2, total, sizeof(total)),
               f->currency);
    printf("%s%s\n", f->full ? "" : ", partial", f->missed ? ", after a missed fill-up" : "");
}

int cmd_fuel_add(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("fuel", "add");
    struct odo_fuel_log f;
    struct odo_vehicle v;
    struct fuel_args a;
    int rc = parse_args(c, cmd, argc, argv, false, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if (!a.e.odometer || !a.e.volume)
        return cli_usage(c, cmd, "--odometer and --volume are required");
    if ((rc = cli_open(c)))
        return rc;
    if ((rc = cli_vehicle(c, a.vehicle, false, &v)))
        return cli_fail(c, rc);
    odo_fuel_entry_start(&v, &c->settings, odo_clock_now(NULL), &f);
    if ((rc = odo_fuel_entry_apply(&a.e, &c->settings, &f, NULL, &c->err)) ||
        (rc = odo_fuel_save(c->store, c->user, &f,
                            ODO_FUEL_NEW | (a.confirm ? ODO_FUEL_CONFIRM_DISTANCE : 0), NULL,
                            &c->err)))
        return cli_fail(c, rc);
    print_saved(c, &f, "logged");
    return 0;
}

int cmd_fuel_edit(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("fuel", "edit");
    struct odo_fuel_log f;
    struct odo_vehicle v;
    struct fuel_args a;
    const char *ref;
    int rc = parse_args(c, cmd, argc, argv, true, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = cli_edit_open(c, cmd, argc, argv, "which fuel log? give its id", true, &ref)))
        return rc;
    if ((rc = odo_fuel_resolve(c->store, c->user, ref, &f, &c->err)))
        return cli_fail(c, rc);
    if (a.vehicle) {
        if ((rc = cli_vehicle(c, a.vehicle, false, &v)))
            return cli_fail(c, rc);
        memcpy(f.vehicle_id, v.id, sizeof(v.id));
    }
    if ((rc = odo_fuel_entry_apply(&a.e, &c->settings, &f, NULL, &c->err)) ||
        (rc = odo_fuel_save(c->store, c->user, &f, a.confirm ? ODO_FUEL_CONFIRM_DISTANCE : 0, NULL,
                            &c->err)))
        return cli_fail(c, rc);
    print_saved(c, &f, "updated");
    return 0;
}

static int list_fill(const struct odo_fill_report *r, void *ctx)
{
    struct cli_list *l = ctx;
    const struct odo_fuel_log *f = r->log;
    const struct odo_units *u = &l->c->settings.units;
    char when[32], odo[ODO_DEC_TEXT_MAX], vol[48], price[ODO_DEC_TEXT_MAX],
        total[ODO_DEC_TEXT_MAX + 4], dist[ODO_DEC_TEXT_MAX], econ[ODO_DEC_TEXT_MAX];
    const char *cells[9];

    if (l->c->json) {
        cJSON *o = json_fuel(f);
        json_dec(o, "distance", r->distance, ODO_SCALE_DISTANCE, r->econ.delta_um > 0);
        cJSON_AddStringToObject(o, "distance_unit", odo_dist_unit_name(u->dist));
        json_dec(o, "economy", r->economy, ODO_ECON_SCALE, r->economy >= 0);
        cJSON_AddStringToObject(o, "economy_unit", odo_econ_unit_name(u->econ));
        cJSON_AddStringToObject(o, "kind", odo_fill_kind_name(r->econ.kind));
        jlist_add(&l->j, o);
        return 0;
    }
    odo_time_format_local(f->filled_at, when);
    cli_dec(f->odometer, ODO_SCALE_DISTANCE, 0, odo, sizeof(odo));
    char v[ODO_DEC_TEXT_MAX];
    snprintf(vol, sizeof(vol), "%s %s", cli_dec(f->volume, ODO_SCALE_VOLUME, 2, v, sizeof(v)),
             odo_vol_unit_label(f->volume_unit));
    if (f->unit_price != ODO_NONE)
        cli_dec(f->unit_price, ODO_SCALE_PRICE, 2, price, sizeof(price));
    else
        strcpy(price, "-");
    if (f->total_cost != ODO_NONE) {
        char t[ODO_DEC_TEXT_MAX];
        snprintf(total, sizeof(total), "%s %s", cli_dec(f->total_cost, 2, 2, t, sizeof(t)),
                 f->currency);
    } else {
        strcpy(total, "-");
    }
    if (r->econ.delta_um > 0)
        cli_dec(r->distance, ODO_SCALE_DISTANCE, 0, dist, sizeof(dist));
    else
        strcpy(dist, "-");
    if (r->economy >= 0)
        cli_dec(r->economy, ODO_ECON_SCALE, 2, econ, sizeof(econ));
    else
        strcpy(econ, "-");
    cells[0] = cli_short_id(f->id);
    cells[1] = when;
    cells[2] = odo;
    cells[3] = vol;
    cells[4] = price;
    cells[5] = total;
    cells[6] = dist;
    cells[7] = econ;
    cells[8] = r->econ.kind == ODO_FILL_FULL ? "" : odo_fill_kind_name(r->econ.kind);
    table_row(&l->t, cells);
    return 0;
}

int cmd_fuel_list(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("fuel", "list");
    const char *ref;
    struct odo_vehicle v;
    struct odo_vehicle_stats stats;
    struct cli_list *l;
    char dist_head[24], econ_head[24];
    const char *head[9] = {"ID",    "DATE",    "ODOMETER", "VOLUME", "PRICE",
                           "TOTAL", dist_head, econ_head,  ""};
    int rc;

    if ((rc = cli_list_open(c, cmd, argc, argv, &ref, &v)))
        return rc < 0 ? 0 : rc;
    snprintf(dist_head, sizeof(dist_head), "DIST (%s)",
             odo_dist_unit_label(c->settings.units.dist));
    snprintf(econ_head, sizeof(econ_head), "%s", odo_econ_unit_label(c->settings.units.econ));
    if (!(l = cli_list_new(c, sizeof(*l), 9, head, "llddddddl")))
        return EXIT_STORAGE;
    rc =
        odo_stats_vehicle(c->store, c->user, &v, &c->settings, list_fill, NULL, l, &stats, &c->err);
    return cli_list_end(l, rc, "no fill-ups yet: log one with 'odolog fuel add'");
}
