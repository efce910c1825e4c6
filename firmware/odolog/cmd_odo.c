/*
 * odolog odo add|list|edit (rm and restore are in record.c)
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "platform/decimal.h"
#include "storage/odometer.h"

enum { OPT_VEHICLE = 256, OPT_ODOMETER, OPT_DATE, OPT_FORCED, OPT_NOTES, OPT_NOT_FORCED };

static cJSON *json_reading(const struct odo_reading *r, enum odo_dist_unit unit)
{
    cJSON *o = json_record(r->id, r->vehicle_id);

    json_time(o, "read_at", r->read_at);
    json_dec(o, "odometer", r->odometer, ODO_SCALE_DISTANCE, true);
    cJSON_AddStringToObject(o, "unit", odo_dist_unit_name(unit));
    cJSON_AddBoolToObject(o, "forced", r->forced);
    cJSON_AddStringToObject(o, "source", r->source[0] ? r->source : "reading");
    json_str(o, "notes", r->notes);
    return o;
}

int cmd_odo_add(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"odometer", required_argument, NULL, OPT_ODOMETER},
                                         {"date", required_argument, NULL, OPT_DATE},
                                         {"forced", no_argument, NULL, OPT_FORCED},
                                         {"notes", required_argument, NULL, OPT_NOTES},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("odo", "add");
    const char *ref = NULL, *odometer = NULL, *date = NULL, *notes = NULL;
    struct odo_reading r;
    struct odo_vehicle v;
    char num[ODO_DEC_TEXT_MAX];
    int ch, rc;

    memset(&r, 0, sizeof(r));
    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case '?':
            return EXIT_USAGE;
        case OPT_VEHICLE:
            ref = optarg;
            break;
        case OPT_ODOMETER:
            odometer = optarg;
            break;
        case OPT_DATE:
            date = optarg;
            break;
        case OPT_FORCED:
            r.forced = true;
            break;
        case OPT_NOTES:
            notes = optarg;
            break;
        }
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if (!odometer)
        return cli_usage(c, cmd, "--odometer is required");
    if ((rc = cli_open(c)))
        return rc;
    r.read_at = odo_clock_now(NULL);
    if ((rc = cli_vehicle(c, ref, false, &v)) ||
        (rc = cli_distance(c, odometer, "the odometer", &r.odometer)) ||
        (date && (rc = odo_time_parse(date, &r.read_at, &c->err))) ||
        (notes && (rc = cli_copy(c, r.notes, sizeof(r.notes), notes, "the notes"))))
        return cli_fail(c, rc);
    memcpy(r.vehicle_id, v.id, sizeof(v.id));
    if ((rc = odo_odometer_add(c->store, c->user, &r, &c->err)))
        return cli_fail(c, rc);
    if (c->json)
        json_print(json_reading(&r, v.odometer_unit));
    else
        printf("recorded %s %s for '%s'%s\n", cli_dec(r.odometer, 1, 0, num, sizeof(num)),
               odo_dist_unit_name(v.odometer_unit), v.name,
               r.forced ? " (forced: a new odometer series starts here)" : "");
    return 0;
}

int cmd_odo_edit(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"odometer", required_argument, NULL, OPT_ODOMETER},
                                         {"date", required_argument, NULL, OPT_DATE},
                                         {"forced", no_argument, NULL, OPT_FORCED},
                                         {"not-forced", no_argument, NULL, OPT_NOT_FORCED},
                                         {"notes", required_argument, NULL, OPT_NOTES},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("odo", "edit");
    const char *odometer = NULL, *date = NULL, *notes = NULL;
    int forced = -1, ch, rc;
    struct odo_reading r;
    struct odo_vehicle v;
    char num[ODO_DEC_TEXT_MAX];
    const char *ref;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case '?':
            return EXIT_USAGE;
        case OPT_ODOMETER:
            odometer = optarg;
            break;
        case OPT_DATE:
            date = optarg;
            break;
        case OPT_FORCED:
        case OPT_NOT_FORCED:
            if (forced >= 0 && forced != (ch == OPT_FORCED))
                return cli_usage(c, cmd, "--forced and --not-forced exclude each other");
            forced = ch == OPT_FORCED;
            break;
        case OPT_NOTES:
            notes = optarg;
            break;
        }
    }
    if ((rc = cli_edit_open(c, cmd, argc, argv, "which reading? give its id",
                            odometer || date || notes || forced >= 0, &ref)))
        return rc;
    if ((rc = odo_odometer_find(c->store, c->user, ref, false, &r, &c->err)) ||
        (odometer && (rc = cli_distance(c, odometer, "the odometer", &r.odometer))) ||
        (date && (rc = odo_time_parse(date, &r.read_at, &c->err))) ||
        (notes && (rc = cli_copy(c, r.notes, sizeof(r.notes), notes, "the notes"))))
        return cli_fail(c, rc);
    if (forced >= 0)
        r.forced = forced;
    if ((rc = odo_odometer_update(c->store, c->user, &r, &c->err)) ||
        (rc = odo_vehicle_get(c->store, c->user, r.vehicle_id, &v, &c->err)))
        return cli_fail(c, rc);
    if (c->json)
        json_print(json_reading(&r, v.odometer_unit));
    else
        printf("updated reading %s: %s %s for '%s'%s\n", cli_short_id(r.id),
               cli_dec(r.odometer, 1, 0, num, sizeof(num)), odo_dist_unit_name(v.odometer_unit),
               v.name, r.forced ? " (forced)" : "");
    return 0;
}

static int list_one(const struct odo_reading *r, void *ctx)
{
    struct cli_list *l = ctx;
    char when[32], num[ODO_DEC_TEXT_MAX + 8], n[ODO_DEC_TEXT_MAX];
    const char *cells[5];

    if (l->c->json) {
        jlist_add(&l->j, json_reading(r, l->v->odometer_unit));
        return 0;
    }
    odo_time_format_local(r->read_at, when);
    snprintf(num, sizeof(num), "%s %s", cli_dec(r->odometer, 1, 0, n, sizeof(n)),
             odo_dist_unit_name(l->v->odometer_unit));
    cells[0] = cli_short_id(r->id);
    cells[1] = when;
    cells[2] = num;
    cells[3] = r->forced ? "reading (forced)" : r->source;
    cells[4] = r->notes;
    table_row(&l->t, cells);
    return 0;
}

int cmd_odo_list(struct cli *c, int argc, char **argv)
{
    static const char *const head[] = {"ID", "DATE", "ODOMETER", "SOURCE", "NOTES"};
    const struct cli_command *cmd = cli_find("odo", "list");
    const char *ref;
    struct odo_vehicle v;
    struct cli_list *l;
    int rc;

    if ((rc = cli_list_open(c, cmd, argc, argv, &ref, &v)))
        return rc < 0 ? 0 : rc;
    if (!(l = cli_list_new(c, sizeof(*l), 5, head, "lldll")))
        return EXIT_STORAGE;
    l->v = &v;
    rc = odo_odometer_list(c->store, c->user, v.id, list_one, l, &c->err);
    return cli_list_end(l, rc, "no odometer readings yet");
}
