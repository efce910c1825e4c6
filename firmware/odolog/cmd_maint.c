/*
 * odolog maint add|list|done|rm and renewal add|list|rm
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "platform/decimal.h"
#include "storage/maintenance.h"
#include "storage/renewals.h"

enum {
    OPT_VEHICLE = 256,
    OPT_TYPE,
    OPT_CATEGORY,
    OPT_DESCRIPTION,
    OPT_DUE_DATE,
    OPT_DUE_ODO,
    OPT_EVERY_MONTHS,
    OPT_EVERY_DISTANCE,
    OPT_LAST_DATE,
    OPT_LAST_ODO,
    OPT_NOTES,
    OPT_HISTORY,
    OPT_DATE,
    OPT_ODOMETER,
    OPT_COST,
    OPT_CURRENCY,
    OPT_SHOP,
    OPT_KIND,
    OPT_FROM,
    OPT_UNTIL,
    OPT_NUMBER,
    OPT_ISSUER
};

static void date_text(int32_t d, char out[ODO_DATE_TEXT_LEN + 1])
{
    if (d == ODO_NO_DATE)
        strcpy(out, "-");
    else
        odo_date_format(d, out);
}

static void json_date(cJSON *o, const char *key, int32_t d)
{
    char t[ODO_DATE_TEXT_LEN + 1];
    if (d == ODO_NO_DATE) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    odo_date_format(d, t);
    cJSON_AddStringToObject(o, key, t);
}

static cJSON *json_maint(const struct odo_maint *m, const char *vehicle_name)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", m->id);
    cJSON_AddStringToObject(o, "vehicle_id", m->vehicle_id);
    json_str(o, "vehicle", vehicle_name);
    cJSON_AddStringToObject(o, "type", m->type);
    cJSON_AddStringToObject(o, "category", odo_maint_category_name(m->category));
    json_str(o, "description", m->description);
    json_date(o, "due_date", m->due_date);
    json_dec(o, "due_odometer", m->due_odometer, ODO_SCALE_DISTANCE, m->due_odometer != ODO_NONE);
    if (m->interval_months)
        cJSON_AddNumberToObject(o, "interval_months", m->interval_months);
    else
        cJSON_AddNullToObject(o, "interval_months");
    json_dec(o, "interval_distance", m->interval_distance, ODO_SCALE_DISTANCE,
             m->interval_distance > 0);
    json_date(o, "last_done_date", m->last_done_date);
    json_dec(o, "last_done_odometer", m->last_done_odometer, ODO_SCALE_DISTANCE,
             m->last_done_odometer != ODO_NONE);
    json_str(o, "notes", m->notes);
    return o;
}

int cmd_maint_add(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"vehicle", required_argument, NULL, OPT_VEHICLE},
        {"type", required_argument, NULL, OPT_TYPE},
        {"category", required_argument, NULL, OPT_CATEGORY},
        {"description", required_argument, NULL, OPT_DESCRIPTION},
        {"due-date", required_argument, NULL, OPT_DUE_DATE},
        {"due-odometer", required_argument, NULL, OPT_DUE_ODO},
        {"every-months", required_argument, NULL, OPT_EVERY_MONTHS},
        {"every-distance", required_argument, NULL, OPT_EVERY_DISTANCE},
        {"last-date", required_argument, NULL, OPT_LAST_DATE},
        {"last-odometer", required_argument, NULL, OPT_LAST_ODO},
        {"notes", required_argument, NULL, OPT_NOTES},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("maint", "add");
    const char *arg[OPT_NOTES - 255] = {NULL};
    struct odo_maint m;
    struct odo_vehicle v;
    long months;
    int ch, rc;

    while ((ch = cli_getopt(cmd, argc, argv, opts, "h")) != -1) {
        if (ch == 'h')
            return 0;
        if (ch == '?')
            return EXIT_USAGE;
        arg[ch - OPT_VEHICLE] = optarg;
    }
#define ARG(opt) arg[(opt)-OPT_VEHICLE]
    if (optind < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if (!ARG(OPT_TYPE))
        return cli_usage(cmd, "--type is required (for example oil_change)");
    if ((rc = cli_open(c)))
        return rc;
    memset(&m, 0, sizeof(m));
    m.category = ODO_MAINT_OTHER;
    m.due_date = m.last_done_date = ODO_NO_DATE;
    m.due_odometer = m.last_done_odometer = ODO_NONE;
    if ((rc = cli_vehicle(c, ARG(OPT_VEHICLE), false, &v)) ||
        (rc = cli_copy(c, m.type, sizeof(m.type), ARG(OPT_TYPE), "the type")) ||
        (ARG(OPT_CATEGORY) &&
         (rc = odo_maint_category_parse(ARG(OPT_CATEGORY), &m.category, &c->err))) ||
        (ARG(OPT_DESCRIPTION) && (rc = cli_copy(c, m.description, sizeof(m.description),
                                                ARG(OPT_DESCRIPTION), "the description"))) ||
        (ARG(OPT_DUE_DATE) && (rc = odo_date_parse(ARG(OPT_DUE_DATE), &m.due_date, &c->err))) ||
        (ARG(OPT_DUE_ODO) &&
         (rc = cli_distance(c, ARG(OPT_DUE_ODO), "the due odometer", &m.due_odometer))) ||
        (ARG(OPT_EVERY_DISTANCE) &&
         (rc = cli_distance(c, ARG(OPT_EVERY_DISTANCE), "the interval", &m.interval_distance))) ||
        (ARG(OPT_LAST_DATE) &&
         (rc = odo_date_parse(ARG(OPT_LAST_DATE), &m.last_done_date, &c->err))) ||
        (ARG(OPT_LAST_ODO) &&
         (rc = cli_distance(c, ARG(OPT_LAST_ODO), "the last odometer", &m.last_done_odometer))) ||
        (ARG(OPT_NOTES) &&
         (rc = cli_copy(c, m.notes, sizeof(m.notes), ARG(OPT_NOTES), "the notes"))))
        return cli_fail(c, rc);
    if (ARG(OPT_EVERY_MONTHS)) {
        if ((rc = cli_int(c, ARG(OPT_EVERY_MONTHS), "--every-months", 1, 240, &months)))
            return cli_fail(c, rc);
        m.interval_months = (int)months;
    }
    if (ARG(OPT_EVERY_DISTANCE) && m.interval_distance == 0)
        return cli_fail(
            c, odo_err_set(&c->err, ODO_EINVAL, "--every-distance must be more than zero"));
#undef ARG
    memcpy(m.vehicle_id, v.id, sizeof(v.id));
    if ((rc = odo_maint_add(c->store, c->user, &m, &c->err)))
        return cli_fail(c, rc);
    if (c->json) {
        json_print(json_maint(&m, v.name));
    } else {
        char d[ODO_DATE_TEXT_LEN + 1], n[ODO_DEC_TEXT_MAX];
        date_text(m.due_date, d);
        printf("added %s for '%s' (id %s): due %s", m.type, v.name, cli_short_id(m.id), d);
        if (m.due_odometer != ODO_NONE)
            printf(" or at %s %s", cli_dec(m.due_odometer, 1, 0, n, sizeof(n)),
                   odo_dist_unit_name(v.odometer_unit));
        printf("\n");
    }
    return 0;
}

struct maint_list {
    struct cli *c;
    const struct odo_vehicle *v;
    struct table t;
    struct jlist j;
};

static int maint_row(const struct odo_maint *m, void *ctx)
{
    struct maint_list *l = ctx;
    char due[ODO_DATE_TEXT_LEN + 1], last[ODO_DATE_TEXT_LEN + 1], dodo[48], every[64],
        n[ODO_DEC_TEXT_MAX];
    const char *unit = odo_dist_unit_name(l->v->odometer_unit);
    const char *cells[8];

    if (l->c->json) {
        jlist_add(&l->j, json_maint(m, l->v->name));
        return 0;
    }
    date_text(m->due_date, due);
    date_text(m->last_done_date, last);
    if (m->due_odometer != ODO_NONE)
        snprintf(dodo, sizeof(dodo), "%s %s", cli_dec(m->due_odometer, 1, 0, n, sizeof(n)), unit);
    else
        strcpy(dodo, "-");
    every[0] = '\0';
    if (m->interval_months)
        snprintf(every, sizeof(every), "%d mo", m->interval_months);
    if (m->interval_distance > 0) {
        size_t len = strlen(every);
        snprintf(every + len, sizeof(every) - len, "%s%s %s", len ? ", " : "",
                 cli_dec(m->interval_distance, 1, 0, n, sizeof(n)), unit);
    }
    cells[0] = cli_short_id(m->id);
    cells[1] = l->v->name;
    cells[2] = m->type;
    cells[3] = odo_maint_category_name(m->category);
    cells[4] = due;
    cells[5] = dodo;
    cells[6] = every[0] ? every : "once";
    cells[7] = last;
    table_row(&l->t, cells);
    return 0;
}

static int maint_vehicle(const struct odo_vehicle *v, void *ctx)
{
    struct maint_list *l = ctx;
    l->v = v;
    return odo_maint_list(l->c->store, l->c->user, v->id, maint_row, l, &l->c->err) ? 1 : 0;
}

static cJSON *json_service(const struct odo_service *r)
{
    cJSON *o = cJSON_CreateObject();
    char at[ODO_TIME_TEXT_LEN + 1];

    odo_time_format(r->performed_at, at);
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddStringToObject(o, "vehicle_id", r->vehicle_id);
    json_str(o, "maintenance_id", r->maintenance_id);
    cJSON_AddStringToObject(o, "performed_at", at);
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
    struct maint_list *l = ctx;
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

int cmd_maint_list(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"history", no_argument, NULL, OPT_HISTORY},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static const char *const head[] = {"ID",       "VEHICLE", "TYPE",  "CATEGORY",
                                       "DUE DATE", "DUE AT",  "EVERY", "LAST DONE"};
    static const char *const hist_head[] = {"ID", "DATE", "ODOMETER", "WORK", "COST", "SHOP"};
    const struct cli_command *cmd = cli_find("maint", "list");
    const char *ref = NULL;
    bool history = false;
    struct odo_vehicle v;
    struct maint_list *l;
    int ch, rc;

    while ((ch = cli_getopt(cmd, argc, argv, opts, "h")) != -1) {
        if (ch == OPT_VEHICLE)
            ref = optarg;
        else if (ch == OPT_HISTORY)
            history = true;
        else
            return ch == 'h' ? 0 : EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_read(c)))
        return rc;
    l = calloc(1, sizeof(*l));
    if (!l)
        return EXIT_STORAGE;
    l->c = c;
    if (c->json)
        jlist_begin(&l->j);
    if (history) {
        table_init(&l->t, 6, hist_head, "llrlrl");
        if ((rc = cli_vehicle(c, ref, false, &v)) == 0) {
            l->v = &v;
            rc = odo_service_list(c->store, c->user, v.id, service_row, l, &c->err);
        }
    } else {
        table_init(&l->t, 8, head, "llllrrll");
        if (ref) {
            if ((rc = cli_vehicle(c, ref, false, &v)) == 0)
                rc = maint_vehicle(&v, l) ? c->err.code : 0;
        } else {
            rc = odo_vehicle_list(c->store, c->user, false, maint_vehicle, l, &c->err);
            if (rc == 0 && c->err.code)
                rc = c->err.code;
        }
    }
    if (c->json)
        jlist_end(&l->j);
    else
        table_end(&l->t, history ? "no service records yet" : "no maintenance items yet");
    free(l);
    return rc ? cli_fail(c, rc) : 0;
}

int cmd_maint_done(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"date", required_argument, NULL, OPT_DATE},
                                         {"odometer", required_argument, NULL, OPT_ODOMETER},
                                         {"cost", required_argument, NULL, OPT_COST},
                                         {"currency", required_argument, NULL, OPT_CURRENCY},
                                         {"shop", required_argument, NULL, OPT_SHOP},
                                         {"notes", required_argument, NULL, OPT_NOTES},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("maint", "done");
    const char *ref = NULL, *date = NULL, *odometer = NULL, *cost = NULL, *currency = NULL,
               *shop = NULL, *notes = NULL;
    struct odo_vehicle v;
    struct odo_maint m, next;
    struct odo_service rec;
    int ch, rc;

    while ((ch = cli_getopt(cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case '?':
            return EXIT_USAGE;
        case OPT_VEHICLE:
            ref = optarg;
            break;
        case OPT_DATE:
            date = optarg;
            break;
        case OPT_ODOMETER:
            odometer = optarg;
            break;
        case OPT_COST:
            cost = optarg;
            break;
        case OPT_CURRENCY:
            currency = optarg;
            break;
        case OPT_SHOP:
            shop = optarg;
            break;
        case OPT_NOTES:
            notes = optarg;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage(cmd, "which item? give its type or id");
    if (optind + 1 < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    if ((rc = cli_open(c)))
        return rc;
    memset(&rec, 0, sizeof(rec));
    rec.performed_at = odo_clock_now(NULL);
    rec.odometer = ODO_NONE;
    rec.cost = ODO_NONE;
    memcpy(rec.currency, c->settings.currency, sizeof(rec.currency));
    if ((ref && (rc = cli_vehicle(c, ref, false, &v))) ||
        (rc = odo_maint_resolve(c->store, c->user, argv[optind], ref ? v.id : NULL, &m, &c->err)) ||
        (date && (rc = odo_time_parse(date, &rec.performed_at, &c->err))) ||
        (odometer && (rc = cli_distance(c, odometer, "the odometer", &rec.odometer))) ||
        (cost && (rc = cli_money(c, cost, "the cost", &rec.cost))) ||
        (currency &&
         (rc = cli_copy(c, rec.currency, sizeof(rec.currency), currency, "the currency"))) ||
        (shop && (rc = cli_copy(c, rec.shop, sizeof(rec.shop), shop, "the shop"))) ||
        (notes && (rc = cli_copy(c, rec.notes, sizeof(rec.notes), notes, "the notes"))))
        return cli_fail(c, rc);
    if ((rc = odo_maint_complete(c->store, c->user, m.id, &rec, &next, &c->err)) ||
        (rc = odo_vehicle_get(c->store, c->user, next.vehicle_id, &v, &c->err)))
        return cli_fail(c, rc);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "service", json_service(&rec));
        cJSON_AddItemToObject(o, "maintenance", json_maint(&next, v.name));
        json_print(o);
        return 0;
    }
    printf("recorded %s for '%s'", next.type, v.name);
    if (next.due_date != ODO_NO_DATE || next.due_odometer != ODO_NONE) {
        char d[ODO_DATE_TEXT_LEN + 1], n[ODO_DEC_TEXT_MAX];
        date_text(next.due_date, d);
        printf("; next due %s", d);
        if (next.due_odometer != ODO_NONE)
            printf(" or at %s %s", cli_dec(next.due_odometer, 1, 0, n, sizeof(n)),
                   odo_dist_unit_name(v.odometer_unit));
    } else {
        printf("; it does not recur");
    }
    printf("\n");
    return 0;
}

int cmd_maint_rm(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("maint", "rm");
    const char *ref = NULL;
    struct odo_vehicle v;
    struct odo_maint m;
    int ch, rc;

    while ((ch = cli_getopt(cmd, argc, argv, opts, "h")) != -1) {
        if (ch != OPT_VEHICLE)
            return ch == 'h' ? 0 : EXIT_USAGE;
        ref = optarg;
    }
    if (optind >= argc)
        return cli_usage(cmd, "which item? give its type or id");
    if (optind + 1 < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    if ((rc = cli_open(c)))
        return rc;
    if ((ref && (rc = cli_vehicle(c, ref, false, &v))) ||
        (rc = odo_maint_resolve(c->store, c->user, argv[optind], ref ? v.id : NULL, &m, &c->err)) ||
        (rc = odo_maint_remove(c->store, c->user, m.id, &c->err)))
        return cli_fail(c, rc);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "deleted", m.id);
        json_print(o);
    } else {
        printf("removed maintenance item %s (%s)\n", m.type, cli_short_id(m.id));
    }
    return 0;
}

static cJSON *json_renewal(const struct odo_renewal *r)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddStringToObject(o, "vehicle_id", r->vehicle_id);
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

int cmd_renewal_add(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
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
    const struct cli_command *cmd = cli_find("renewal", "add");
    const char *ref = NULL, *kind = NULL, *from = NULL, *until = NULL, *number = NULL,
               *issuer = NULL, *cost = NULL, *currency = NULL, *notes = NULL;
    struct odo_renewal r;
    struct odo_vehicle v;
    int ch, rc;

    while ((ch = cli_getopt(cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case '?':
            return EXIT_USAGE;
        case OPT_VEHICLE:
            ref = optarg;
            break;
        case OPT_KIND:
            kind = optarg;
            break;
        case OPT_FROM:
            from = optarg;
            break;
        case OPT_UNTIL:
            until = optarg;
            break;
        case OPT_NUMBER:
            number = optarg;
            break;
        case OPT_ISSUER:
            issuer = optarg;
            break;
        case OPT_COST:
            cost = optarg;
            break;
        case OPT_CURRENCY:
            currency = optarg;
            break;
        case OPT_NOTES:
            notes = optarg;
            break;
        }
    }
    if (optind < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if (!kind || !until)
        return cli_usage(cmd, "--kind and --until are required");
    if ((rc = cli_open_read(c)))
        return rc;
    memset(&r, 0, sizeof(r));
    r.cost = ODO_NONE;
    r.valid_from = odo_date_local(odo_clock_now(NULL));
    memcpy(r.currency, c->settings.currency, sizeof(r.currency));
    if ((rc = cli_vehicle(c, ref, false, &v)) ||
        (rc = odo_renewal_kind_parse(kind, &r.kind, &c->err)) ||
        (rc = odo_date_parse(until, &r.valid_until, &c->err)) ||
        (from && (rc = odo_date_parse(from, &r.valid_from, &c->err))) ||
        (number && (rc = cli_copy(c, r.document_number, sizeof(r.document_number), number,
                                  "the document number"))) ||
        (issuer && (rc = cli_copy(c, r.issuer, sizeof(r.issuer), issuer, "the issuer"))) ||
        (cost && (rc = cli_money(c, cost, "the cost", &r.cost))) ||
        (currency &&
         (rc = cli_copy(c, r.currency, sizeof(r.currency), currency, "the currency"))) ||
        (notes && (rc = cli_copy(c, r.notes, sizeof(r.notes), notes, "the notes"))))
        return cli_fail(c, rc);
    memcpy(r.vehicle_id, v.id, sizeof(v.id));
    if ((rc = odo_renewal_add(c->store, c->user, &r, &c->err)))
        return cli_fail(c, rc);
    if (c->json) {
        json_print(json_renewal(&r));
    } else {
        char d[ODO_DATE_TEXT_LEN + 1];
        odo_date_format(r.valid_until, d);
        printf("added %s for '%s' valid until %s (id %s)\n", odo_renewal_kind_name(r.kind), v.name,
               d, cli_short_id(r.id));
    }
    return 0;
}

struct renewal_list {
    struct cli *c;
    struct table t;
    struct jlist j;
    char vehicle_id[ODO_UUID_TEXT_LEN + 1];
    struct odo_vehicle v;
};

static int renewal_row(const struct odo_renewal *r, void *ctx)
{
    struct renewal_list *l = ctx;
    char from[ODO_DATE_TEXT_LEN + 1], until[ODO_DATE_TEXT_LEN + 1], cost[48], n[ODO_DEC_TEXT_MAX];
    const char *cells[8];

    if (l->c->json) {
        jlist_add(&l->j, json_renewal(r));
        return 0;
    }
    if (strcmp(l->v.id, r->vehicle_id) != 0 &&
        odo_vehicle_get(l->c->store, l->c->user, r->vehicle_id, &l->v, NULL) != 0)
        strcpy(l->v.name, "?");
    odo_date_format(r->valid_from, from);
    odo_date_format(r->valid_until, until);
    if (r->cost != ODO_NONE)
        snprintf(cost, sizeof(cost), "%s %s", cli_dec(r->cost, 2, 2, n, sizeof(n)), r->currency);
    else
        strcpy(cost, "-");
    cells[0] = cli_short_id(r->id);
    cells[1] = l->v.name;
    cells[2] = odo_renewal_kind_name(r->kind);
    cells[3] = r->document_number[0] ? r->document_number : "-";
    cells[4] = r->issuer[0] ? r->issuer : "-";
    cells[5] = from;
    cells[6] = until;
    cells[7] = cost;
    table_row(&l->t, cells);
    return 0;
}

int cmd_renewal_list(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static const char *const head[] = {"ID",     "VEHICLE", "KIND",  "NUMBER",
                                       "ISSUER", "FROM",    "UNTIL", "COST"};
    const struct cli_command *cmd = cli_find("renewal", "list");
    const char *ref = NULL;
    struct renewal_list *l;
    struct odo_vehicle v;
    int ch, rc = 0;

    while ((ch = cli_getopt(cmd, argc, argv, opts, "h")) != -1) {
        if (ch != OPT_VEHICLE)
            return ch == 'h' ? 0 : EXIT_USAGE;
        ref = optarg;
    }
    if (optind < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open(c)))
        return rc;
    if (ref && (rc = cli_vehicle(c, ref, false, &v)))
        return cli_fail(c, rc);
    l = calloc(1, sizeof(*l));
    if (!l)
        return EXIT_STORAGE;
    l->c = c;
    table_init(&l->t, 8, head, "llllllll");
    if (c->json)
        jlist_begin(&l->j);
    rc = odo_renewal_list(c->store, c->user, ref ? v.id : NULL, renewal_row, l, &c->err);
    if (c->json)
        jlist_end(&l->j);
    else
        table_end(&l->t, "no documents yet: add one with 'odolog renewal add'");
    free(l);
    return rc ? cli_fail(c, rc) : 0;
}

int cmd_renewal_rm(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("renewal", "rm");
    struct odo_renewal r;
    int ch, rc;

    while ((ch = cli_getopt(cmd, argc, argv, opts, "h")) != -1)
        return ch == 'h' ? 0 : EXIT_USAGE;
    if (optind >= argc)
        return cli_usage(cmd, "which document? give its id");
    if (optind + 1 < argc)
        return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
    if ((rc = cli_open(c)))
        return rc;
    if ((rc = odo_renewal_resolve(c->store, c->user, argv[optind], &r, &c->err)) ||
        (rc = odo_renewal_remove(c->store, c->user, r.id, &c->err)))
        return cli_fail(c, rc);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "deleted", r.id);
        json_print(o);
    } else {
        printf("removed %s document %s\n", odo_renewal_kind_name(r.kind), cli_short_id(r.id));
    }
    return 0;
}
