/*
 * odolog vehicle add|list|show|edit (rm and restore are in record.c)
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/device/scan.h"
#include "firmware/odolog/cli.h"
#include "platform/decimal.h"
#include "platform/text.h"
#include "storage/odometer.h"
#include "sync/client/vinlookup.h"

enum {
    OPT_VIN = 256,
    OPT_NAME,
    OPT_MAKE,
    OPT_MODEL,
    OPT_TRIM,
    OPT_YEAR,
    OPT_PLATE,
    OPT_UNIT,
    OPT_ODOMETER,
    OPT_NOTES,
    OPT_BODY,
    OPT_ENGINE,
    OPT_FUEL,
    OPT_OFFLINE,
    OPT_NO_DECODE,
    OPT_ALL
};

static const struct option field_opts[] = {
    {"vin", required_argument, NULL, OPT_VIN},
    {"name", required_argument, NULL, OPT_NAME},
    {"make", required_argument, NULL, OPT_MAKE},
    {"model", required_argument, NULL, OPT_MODEL},
    {"trim", required_argument, NULL, OPT_TRIM},
    {"year", required_argument, NULL, OPT_YEAR},
    {"plate", required_argument, NULL, OPT_PLATE},
    {"unit", required_argument, NULL, OPT_UNIT},
    {"notes", required_argument, NULL, OPT_NOTES},
    {"odometer", required_argument, NULL, OPT_ODOMETER},
    {"body", required_argument, NULL, OPT_BODY},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"fuel", required_argument, NULL, OPT_FUEL},
    {"offline", no_argument, NULL, OPT_OFFLINE},
    {"no-decode", no_argument, NULL, OPT_NO_DECODE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one field option to v. Returns 0 or an ODO_E code with c->err set. */
static int apply_field(struct cli *c, int ch, const char *arg, struct odo_vehicle *v)
{
    long year;

    /* --vin is raw scanner text: the callers normalise it. */
    switch (ch) {
    case OPT_NAME:
        return cli_copy(c, v->name, sizeof(v->name), arg, "the name");
    case OPT_MAKE:
        return cli_copy(c, v->make, sizeof(v->make), arg, "the make");
    case OPT_MODEL:
        return cli_copy(c, v->model, sizeof(v->model), arg, "the model");
    case OPT_TRIM:
        return cli_copy(c, v->trim, sizeof(v->trim), arg, "the trim");
    case OPT_PLATE:
        return cli_copy(c, v->plate, sizeof(v->plate), arg, "the plate");
    case OPT_NOTES:
        return cli_copy(c, v->notes, sizeof(v->notes), arg, "the notes");
    case OPT_BODY:
        return cli_copy(c, v->body_class, sizeof(v->body_class), arg, "the body class");
    case OPT_ENGINE:
        return cli_copy(c, v->engine, sizeof(v->engine), arg, "the engine");
    case OPT_FUEL:
        return cli_copy(c, v->fuel_type, sizeof(v->fuel_type), arg, "the fuel type");
    case OPT_YEAR:
        if (!*arg) {
            v->model_year = 0;
            return 0;
        }
        if (cli_int(c, arg, "the model year", 1900, 2100, &year) != 0)
            return ODO_EINVAL;
        v->model_year = (int)year;
        return 0;
    case OPT_UNIT:
        return odo_dist_unit_parse(arg, &v->odometer_unit, &c->err);
    }
    return 0;
}

/* The VIN option takes raw scanner text, which may be longer than a VIN before it is
 * normalised; it is held apart until then. */
struct vin_arg {
    bool given;
    char raw[64];
};

static void print_vin_warnings(const char *vin)
{
    struct odo_vin_info info;
    char warn[256];

    if (!vin[0] || odo_vin_decode(vin, 9999, &info, NULL) != 0)
        return;
    odo_vin_describe_warnings(&info, warn, sizeof(warn));
    if (warn[0])
        cli_warn("VIN %s: %s", info.vin, warn);
}

/* Fills what the user did not give from a decode of the VIN (cache, vPIC, gateway). */
static int fill_from_vin(struct cli *c, struct odo_vehicle *v, bool network)
{
    struct odo_vin_lookup *l = NULL;
    struct odo_vin_decoded d;
    char note[700];
    bool cached;
    int rc;

    if ((rc = cli_vin_lookup_open(c, network, false, &l)))
        return rc;
    rc =
        odo_vin_lookup(l, v->vin, odo_device_this_year(), &d, &cached, note, sizeof(note), &c->err);
    odo_vin_lookup_close(l);
    if (rc)
        return cli_fail(c, rc);
    if (strcmp(d.source, "vin") == 0) {
        cli_warn("VIN %s decoded from the VIN alone (%s); make and model stay as given", v->vin,
                 note);
        return 0;
    }
    odo_vehicle_fill(v, &d);
    return 0;
}

int cmd_vehicle_add(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("vehicle", "add");
    struct odo_vehicle v;
    struct vin_arg vin = {0};
    const char *odometer = NULL;
    bool network = true, decode = true;
    int ch, rc;

    memset(&v, 0, sizeof(v));
    v.odometer_unit = ODO_DIST_KM;
    bool unit_given = false;
    while ((ch = cli_getopt(c, cmd, argc, argv, field_opts, "h")) != -1) {
        if (ch == 'h')
            return 0;
        if (ch == '?')
            return EXIT_USAGE;
        if (ch == OPT_ODOMETER) {
            odometer = optarg;
            continue;
        }
        if (ch == OPT_OFFLINE || ch == OPT_NO_DECODE) {
            network = false;
            decode &= ch != OPT_NO_DECODE;
            continue;
        }
        if (ch == OPT_VIN) {
            if ((rc = cli_copy(c, vin.raw, sizeof(vin.raw), optarg, "the VIN")))
                return cli_fail(c, rc);
            vin.given = true;
            continue;
        }
        unit_given |= ch == OPT_UNIT;
        if ((rc = apply_field(c, ch, optarg, &v)))
            return cli_fail(c, rc);
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open(c)))
        return rc;
    if (!unit_given)
        v.odometer_unit = c->settings.units.dist;
    if (vin.given && (rc = odo_vin_normalize(vin.raw, v.vin, &c->err)))
        return cli_fail(c, rc);
    /* An invalid VIN is refused before anything is looked up. */
    if (vin.given) {
        struct odo_vin_info info;
        if ((rc = odo_vin_decode(v.vin, odo_device_this_year(), &info, &c->err)))
            return cli_fail(c, rc);
    }
    if (vin.given && decode && (rc = fill_from_vin(c, &v, network)))
        return rc;

    struct odo_reading r;
    memset(&r, 0, sizeof(r));
    if (odometer && (rc = cli_distance(c, odometer, "the odometer", &r.odometer)))
        return cli_fail(c, rc);
    /* The vehicle and its first reading are stored together or not at all. */
    if ((rc = odo_store_begin(c->store, &c->err)))
        return cli_fail(c, rc);
    if ((rc = odo_vehicle_add(c->store, c->user, &v, &c->err)))
        goto out_rollback;
    if (odometer) {
        memcpy(r.vehicle_id, v.id, sizeof(v.id));
        r.read_at = odo_clock_now(NULL);
        if ((rc = odo_odometer_add(c->store, c->user, &r, &c->err)))
            goto out_rollback;
        v.odometer = r.odometer;
    }
    if ((rc = odo_store_commit(c->store, &c->err)))
        return cli_fail(c, rc);
    print_vin_warnings(v.vin);
    if (c->json)
        json_print(json_vehicle(&v));
    else
        printf("added vehicle '%s' (id %s)\n", v.name, v.id);
    return 0;
out_rollback:
    odo_store_rollback(c->store);
    return cli_fail(c, rc);
}

static void vehicle_cells(const struct odo_vehicle *v, char odo[48], char year[8],
                          const char *cells[8])
{
    char num[ODO_DEC_TEXT_MAX];

    if (v->odometer != ODO_NONE)
        snprintf(odo, 48, "%s %s", cli_dec(v->odometer, 1, 0, num, sizeof(num)),
                 odo_dist_unit_name(v->odometer_unit));
    else
        strcpy(odo, "-");
    if (v->model_year)
        snprintf(year, 8, "%d", v->model_year);
    else
        strcpy(year, "-");
    cells[0] = cli_short_id(v->id);
    cells[1] = v->name;
    cells[2] = v->vin[0] ? v->vin : "-";
    cells[3] = year;
    cells[4] = v->make[0] ? v->make : "-";
    cells[5] = v->model[0] ? v->model : "-";
    cells[6] = odo;
    cells[7] = v->deleted_at[0] ? "deleted" : "";
}

struct list_ctx {
    struct cli *c;
    struct table t;
    struct jlist j;
};

static int list_one(const struct odo_vehicle *v, void *ctx)
{
    struct list_ctx *l = ctx;
    char odo[48], year[8];
    const char *cells[8];

    if (l->c->json) {
        jlist_add(&l->j, json_vehicle(v));
        return 0;
    }
    vehicle_cells(v, odo, year, cells);
    table_row(&l->t, cells);
    return 0;
}

int cmd_vehicle_list(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, OPT_ALL}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    static const char *const head[] = {"ID",   "NAME",  "VIN",      "YEAR",
                                       "MAKE", "MODEL", "ODOMETER", ""};
    const struct cli_command *cmd = cli_find("vehicle", "list");
    struct list_ctx *l;
    bool all = false;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        if (ch == 'h')
            return 0;
        if (ch == '?')
            return EXIT_USAGE;
        all = true;
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_read(c)))
        return rc;
    l = calloc(1, sizeof(*l));
    if (!l)
        return EXIT_STORAGE;
    l->c = c;
    table_init(&l->t, all ? 8 : 7, head, "lllrlldl");
    if (c->json)
        jlist_begin(&l->j);
    rc = odo_vehicle_list(c->store, c->user, all, list_one, l, &c->err);
    if (c->json)
        jlist_end(&l->j);
    else
        table_end(&l->t, "no vehicles yet: add one with 'odolog vehicle add'");
    free(l);
    return rc ? cli_fail(c, rc) : 0;
}

int cmd_vehicle_show(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("vehicle", "show");
    struct odo_vehicle v;
    const char *ref;
    char num[ODO_DEC_TEXT_MAX];
    int rc = cli_one_arg(c, cmd, argc, argv, "which vehicle? give its id, VIN or name", &ref);

    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = cli_open_read(c)))
        return rc;
    if ((rc = cli_vehicle(c, ref, true, &v)))
        return cli_fail(c, rc);
    if (c->json) {
        json_print(json_vehicle(&v));
        return 0;
    }
    printf("id:        %s\n", v.id);
    printf("name:      %s\n", v.name);
    printf("vin:       %s\n", v.vin[0] ? v.vin : "-");
    printf("make:      %s\n", v.make[0] ? v.make : "-");
    printf("model:     %s\n", v.model[0] ? v.model : "-");
    printf("trim:      %s\n", v.trim[0] ? v.trim : "-");
    if (v.model_year)
        printf("year:      %d\n", v.model_year);
    else
        printf("year:      -\n");
    printf("plate:     %s\n", v.plate[0] ? v.plate : "-");
    if (v.body_class[0])
        printf("body:      %s\n", v.body_class);
    if (v.engine[0])
        printf("engine:    %s\n", v.engine);
    if (v.fuel_type[0])
        printf("fuel:      %s\n", v.fuel_type);
    if (v.odometer != ODO_NONE)
        printf("odometer:  %s %s\n", cli_dec(v.odometer, 1, 0, num, sizeof(num)),
               odo_dist_unit_name(v.odometer_unit));
    else
        printf("odometer:  - (%s)\n", odo_dist_unit_name(v.odometer_unit));
    if (v.notes[0])
        printf("notes:     %s\n", v.notes);
    printf("added:     %s\n", v.created_at);
    if (v.deleted_at[0])
        printf("deleted:   %s (restore with 'odolog vehicle restore %s')\n", v.deleted_at,
               cli_short_id(v.id));
    return 0;
}

int cmd_vehicle_edit(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("vehicle", "edit");
    struct {
        int ch;
        char *arg;
    } changes[32];
    int n = 0, ch, rc;
    struct odo_vehicle v;
    const char *ref = NULL;

    while ((ch = cli_getopt(c, cmd, argc, argv, field_opts, "h")) != -1) {
        if (ch == 'h')
            return 0;
        if (ch == '?')
            return EXIT_USAGE;
        if (ch == OPT_ODOMETER)
            return cli_usage(c, cmd, "record odometer readings with 'odolog odo add'");
        if (n == (int)ODO_ARRAY_LEN(changes))
            return cli_usage(c, cmd, "too many options");
        changes[n].ch = ch;
        changes[n++].arg = optarg;
    }
    if ((rc = cli_edit_open(c, cmd, argc, argv, "which vehicle? give its id, VIN or name", n > 0,
                            &ref)))
        return rc;
    if ((rc = cli_vehicle(c, ref, false, &v)))
        return cli_fail(c, rc);
    for (int i = 0; i < n; i++) {
        if (changes[i].ch == OPT_VIN) {
            if (!*changes[i].arg)
                v.vin[0] = '\0';
            else if ((rc = odo_vin_normalize(changes[i].arg, v.vin, &c->err)))
                return cli_fail(c, rc);
            continue;
        }
        if ((rc = apply_field(c, changes[i].ch, changes[i].arg, &v)))
            return cli_fail(c, rc);
    }
    if ((rc = odo_vehicle_update(c->store, c->user, &v, &c->err)))
        return cli_fail(c, rc);
    print_vin_warnings(v.vin);
    if ((rc = odo_vehicle_get(c->store, c->user, v.id, &v, &c->err)))
        return cli_fail(c, rc);
    if (c->json)
        json_print(json_vehicle(&v));
    else
        printf("updated vehicle '%s'\n", v.name);
    return 0;
}
