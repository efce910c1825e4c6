/*
 * odolog renewal add|list|edit (rm and restore are in record.c)
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "platform/decimal.h"
#include "storage/renewals.h"

enum {
    OPT_VEHICLE = 256,
    OPT_KIND,
    OPT_FROM,
    OPT_UNTIL,
    OPT_NUMBER,
    OPT_ISSUER,
    OPT_COST,
    OPT_CURRENCY,
    OPT_NOTES,
};

static const struct option renewal_opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                             {"kind", required_argument, NULL, OPT_KIND},
                                             {"from", required_argument, NULL, OPT_FROM},
                                             {"until", required_argument, NULL, OPT_UNTIL},
                                             {"number", required_argument, NULL, OPT_NUMBER},
                                             {"issuer", required_argument, NULL, OPT_ISSUER},
                                             {"cost", required_argument, NULL, OPT_COST},
                                             {"currency", required_argument, NULL, OPT_CURRENCY},
                                             {"notes", required_argument, NULL, OPT_NOTES},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};

/* The options of one renewal add/edit as typed, by option: arg[OPT_X - OPT_VEHICLE]. */
struct renewal_args {
    const char *arg[OPT_NOTES - OPT_VEHICLE + 1];
    bool any;
};
#define ARG(a, opt) ((a)->arg[(opt)-OPT_VEHICLE])

static int parse_args(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                      bool edit, struct renewal_args *a)
{
    int ch;

    memset(a, 0, sizeof(*a));
    while ((ch = cli_getopt(c, cmd, argc, argv, renewal_opts, "h")) != -1) {
        if (ch == 'h')
            return -1;
        if (ch == '?')
            return EXIT_USAGE;
        if (edit && ch == OPT_VEHICLE)
            return cli_usage(c, cmd,
                             "a document stays with its vehicle: add it to the other "
                             "vehicle and remove this one");
        ARG(a, ch) = optarg;
        a->any = true;
    }
    return 0;
}

/* Applies the typed options onto r; an empty value clears an optional field. */
static int apply_args(struct cli *c, const struct renewal_args *a, struct odo_renewal *r)
{
    const char *cost = ARG(a, OPT_COST), *currency = ARG(a, OPT_CURRENCY);
    int rc = 0;

    if ((ARG(a, OPT_KIND) && (rc = odo_renewal_kind_parse(ARG(a, OPT_KIND), &r->kind, &c->err))) ||
        (ARG(a, OPT_UNTIL) && (rc = odo_date_parse(ARG(a, OPT_UNTIL), &r->valid_until, &c->err))) ||
        (ARG(a, OPT_FROM) && (rc = odo_date_parse(ARG(a, OPT_FROM), &r->valid_from, &c->err))) ||
        (ARG(a, OPT_NUMBER) && (rc = cli_copy(c, r->document_number, sizeof(r->document_number),
                                              ARG(a, OPT_NUMBER), "the document number"))) ||
        (ARG(a, OPT_ISSUER) &&
         (rc = cli_copy(c, r->issuer, sizeof(r->issuer), ARG(a, OPT_ISSUER), "the issuer"))) ||
        (ARG(a, OPT_NOTES) &&
         (rc = cli_copy(c, r->notes, sizeof(r->notes), ARG(a, OPT_NOTES), "the notes"))) ||
        (currency &&
         (rc = cli_copy(c, r->currency, sizeof(r->currency), currency, "the currency"))))
        return rc;
    if (cost && !*cost)
        r->cost = ODO_NONE;
    else if (cost && (rc = cli_money(c, cost, "the cost", &r->cost)))
        return rc;
    if (r->cost != ODO_NONE && !r->currency[0])
        memcpy(r->currency, c->settings.currency, sizeof(r->currency));
    return 0;
}

static cJSON *json_renewal(const struct odo_renewal *r)
{
    cJSON *o = json_record(r->id, r->vehicle_id);

    cJSON_AddStringToObject(o, "kind", odo_renewal_kind_name(r->kind));
    json_str(o, "document_number", r->document_number);
    json_str(o, "issuer", r->issuer);
    json_date(o, "valid_from", r->valid_from);
    json_date(o, "valid_until", r->valid_until);
    json_dec(o, "cost", r->cost, ODO_SCALE_MONEY, r->cost != ODO_NONE);
    json_str(o, "currency", r->currency);
    json_str(o, "notes", r->notes);
    return o;
}

static void print_saved(struct cli *c, const struct odo_renewal *r, const char *what)
{
    struct odo_vehicle v;
    char d[ODO_DATE_TEXT_LEN + 1];

    if (c->json) {
        json_print(json_renewal(r));
        return;
    }
    if (odo_vehicle_get(c->store, c->user, r->vehicle_id, &v, NULL) != 0)
        strcpy(v.name, "?");
    odo_date_format(r->valid_until, d);
    printf("%s %s for '%s' valid until %s (id %s)\n", what, odo_renewal_kind_name(r->kind), v.name,
           d, cli_short_id(r->id));
}

int cmd_renewal_add(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("renewal", "add");
    struct renewal_args a;
    struct odo_renewal r;
    struct odo_vehicle v;
    int rc = parse_args(c, cmd, argc, argv, false, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if (!ARG(&a, OPT_KIND) || !ARG(&a, OPT_UNTIL))
        return cli_usage(c, cmd, "--kind and --until are required");
    if ((rc = cli_open(c)))
        return rc;
    memset(&r, 0, sizeof(r));
    r.cost = ODO_NONE;
    r.valid_from = odo_date_local(odo_clock_now(NULL));
    if ((rc = cli_vehicle(c, ARG(&a, OPT_VEHICLE), false, &v)) || (rc = apply_args(c, &a, &r)))
        return cli_fail(c, rc);
    memcpy(r.vehicle_id, v.id, sizeof(v.id));
    if ((rc = odo_renewal_add(c->store, c->user, &r, &c->err)))
        return cli_fail(c, rc);
    print_saved(c, &r, "added");
    return 0;
}

int cmd_renewal_edit(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("renewal", "edit");
    struct renewal_args a;
    struct odo_renewal r;
    const char *ref;
    int rc = parse_args(c, cmd, argc, argv, true, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = cli_edit_open(c, cmd, argc, argv, "which document? give its id", a.any, &ref)))
        return rc;
    if ((rc = odo_renewal_find(c->store, c->user, ref, false, &r, &c->err)) ||
        (rc = apply_args(c, &a, &r)) || (rc = odo_renewal_update(c->store, c->user, &r, &c->err)))
        return cli_fail(c, rc);
    print_saved(c, &r, "updated");
    return 0;
}

/* The listing, and the vehicle of the last row read (the rows come vehicle by vehicle). */
struct renewal_list {
    struct cli_list list;
    struct odo_vehicle last;
};

static int renewal_row(const struct odo_renewal *r, void *ctx)
{
    struct renewal_list *l = ctx;
    struct cli *c = l->list.c;
    char from[ODO_DATE_TEXT_LEN + 1], until[ODO_DATE_TEXT_LEN + 1], cost[48], n[ODO_DEC_TEXT_MAX];
    const char *cells[8];

    if (c->json) {
        jlist_add(&l->list.j, json_renewal(r));
        return 0;
    }
    if (strcmp(l->last.id, r->vehicle_id) != 0 &&
        odo_vehicle_get(c->store, c->user, r->vehicle_id, &l->last, NULL) != 0)
        strcpy(l->last.name, "?");
    odo_date_format(r->valid_from, from);
    odo_date_format(r->valid_until, until);
    if (r->cost != ODO_NONE)
        snprintf(cost, sizeof(cost), "%s %s", cli_dec(r->cost, 2, 2, n, sizeof(n)), r->currency);
    else
        strcpy(cost, "-");
    cells[0] = cli_short_id(r->id);
    cells[1] = l->last.name;
    cells[2] = odo_renewal_kind_name(r->kind);
    cells[3] = r->document_number[0] ? r->document_number : "-";
    cells[4] = r->issuer[0] ? r->issuer : "-";
    cells[5] = from;
    cells[6] = until;
    cells[7] = cost;
    table_row(&l->list.t, cells);
    return 0;
}

int cmd_renewal_list(struct cli *c, int argc, char **argv)
{
    static const char *const head[] = {"ID",     "VEHICLE", "KIND",  "NUMBER",
                                       "ISSUER", "FROM",    "UNTIL", "COST"};
    const struct cli_command *cmd = cli_find("renewal", "list");
    const char *ref;
    struct renewal_list *l;
    struct odo_vehicle v;
    int rc;

    if ((rc = cli_list_open(c, cmd, argc, argv, &ref, NULL)))
        return rc < 0 ? 0 : rc;
    if (ref && (rc = cli_vehicle(c, ref, false, &v)))
        return cli_fail(c, rc);
    if (!(l = cli_list_new(c, sizeof(*l), 8, head, "llllllld")))
        return cli_report(c, EXIT_STORAGE, "out of memory");
    rc = odo_renewal_list(c->store, c->user, ref ? v.id : NULL, renewal_row, l, &c->err);
    return cli_list_end(&l->list, rc, "no documents yet: add one with 'odolog renewal add'");
}
