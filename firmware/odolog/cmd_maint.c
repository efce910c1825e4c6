/*
 * odolog maint add|list|edit|done (rm and restore are in record.c)
 */
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "platform/decimal.h"
#include "storage/maintenance.h"

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
};

static cJSON *json_maint(const struct odo_maint *m, const char *vehicle_name)
{
    cJSON *o = json_record(m->id, m->vehicle_id);

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

static const struct option item_opts[] = {
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

/* The options of one maint add/edit as typed: arg[OPT_X - OPT_VEHICLE]. */
struct item_args {
    const char *arg[OPT_NOTES - OPT_VEHICLE + 1];
    int count;
};
#define ARG(a, opt) ((a)->arg[(opt)-OPT_VEHICLE])

static int parse_item(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                      struct item_args *a)
{
    int ch;

    memset(a, 0, sizeof(*a));
    while ((ch = cli_getopt(c, cmd, argc, argv, item_opts, "h")) != -1) {
        if (ch == 'h')
            return -1;
        if (ch == '?')
            return EXIT_USAGE;
        ARG(a, ch) = optarg;
        a->count += ch != OPT_VEHICLE;
    }
    return 0;
}

/* A date option: "" clears it (edit), else YYYY-MM-DD. */
static int opt_date(struct cli *c, const char *s, int32_t *out)
{
    if (!*s) {
        *out = ODO_NO_DATE;
        return 0;
    }
    return odo_date_parse(s, out, &c->err);
}

/* A distance option: "" clears it to `none`, else a distance. */
static int opt_distance(struct cli *c, const char *s, const char *what, int64_t none, int64_t *out)
{
    if (!*s) {
        *out = none;
        return 0;
    }
    return cli_distance(c, s, what, out);
}

/* Applies the typed options onto m (the vehicle option aside). */
static int apply_item(struct cli *c, const struct item_args *a, struct odo_maint *m)
{
    long months;
    int rc;

    if ((ARG(a, OPT_TYPE) &&
         (rc = cli_copy(c, m->type, sizeof(m->type), ARG(a, OPT_TYPE), "the type"))) ||
        (ARG(a, OPT_CATEGORY) &&
         (rc = odo_maint_category_parse(ARG(a, OPT_CATEGORY), &m->category, &c->err))) ||
        (ARG(a, OPT_DESCRIPTION) && (rc = cli_copy(c, m->description, sizeof(m->description),
                                                   ARG(a, OPT_DESCRIPTION), "the description"))) ||
        (ARG(a, OPT_DUE_DATE) && (rc = opt_date(c, ARG(a, OPT_DUE_DATE), &m->due_date))) ||
        (ARG(a, OPT_DUE_ODO) && (rc = opt_distance(c, ARG(a, OPT_DUE_ODO), "the due odometer",
                                                   ODO_NONE, &m->due_odometer))) ||
        (ARG(a, OPT_EVERY_DISTANCE) &&
         (rc = opt_distance(c, ARG(a, OPT_EVERY_DISTANCE), "the interval", 0,
                            &m->interval_distance))) ||
        (ARG(a, OPT_LAST_DATE) && (rc = opt_date(c, ARG(a, OPT_LAST_DATE), &m->last_done_date))) ||
        (ARG(a, OPT_LAST_ODO) && (rc = opt_distance(c, ARG(a, OPT_LAST_ODO), "the last odometer",
                                                    ODO_NONE, &m->last_done_odometer))) ||
        (ARG(a, OPT_NOTES) &&
         (rc = cli_copy(c, m->notes, sizeof(m->notes), ARG(a, OPT_NOTES), "the notes"))))
        return rc;
    if (ARG(a, OPT_EVERY_MONTHS)) {
        if (!*ARG(a, OPT_EVERY_MONTHS))
            months = 0;
        else if ((rc = cli_int(c, ARG(a, OPT_EVERY_MONTHS), "--every-months", 1, 240, &months)))
            return rc;
        m->interval_months = (int)months;
    }
    if (ARG(a, OPT_EVERY_DISTANCE) && *ARG(a, OPT_EVERY_DISTANCE) && m->interval_distance == 0)
        return odo_err_set(&c->err, ODO_EINVAL, "--every-distance must be more than zero");
    return 0;
}

static void print_item(struct cli *c, const struct odo_maint *m, const struct odo_vehicle *v,
                       const char *what)
{
    char d[ODO_DATE_TEXT_LEN + 1], n[ODO_DEC_TEXT_MAX];

    if (c->json) {
        json_print(json_maint(m, v->name));
        return;
    }
    cli_date_text(m->due_date, d);
    printf("%s %s for '%s' (id %s): due %s", what, m->type, v->name, cli_short_id(m->id), d);
    if (m->due_odometer != ODO_NONE)
        printf(" or at %s %s", cli_dec(m->due_odometer, 1, 0, n, sizeof(n)),
               odo_dist_unit_name(v->odometer_unit));
    printf("\n");
}

int cmd_maint_add(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("maint", "add");
    struct item_args a;
    struct odo_maint m;
    struct odo_vehicle v;
    int rc = parse_item(c, cmd, argc, argv, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if (!ARG(&a, OPT_TYPE))
        return cli_usage(c, cmd, "--type is required (for example oil_change)");
    if ((rc = cli_open(c)))
        return rc;
    memset(&m, 0, sizeof(m));
    m.category = ODO_MAINT_OTHER;
    m.due_date = m.last_done_date = ODO_NO_DATE;
    m.due_odometer = m.last_done_odometer = ODO_NONE;
    if ((rc = cli_vehicle(c, ARG(&a, OPT_VEHICLE), false, &v)) || (rc = apply_item(c, &a, &m)))
        return cli_fail(c, rc);
    memcpy(m.vehicle_id, v.id, sizeof(v.id));
    if ((rc = odo_maint_add(c->store, c->user, &m, &c->err)))
        return cli_fail(c, rc);
    print_item(c, &m, &v, "added");
    return 0;
}

int cmd_maint_edit(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("maint", "edit");
    struct item_args a;
    struct odo_maint m;
    struct odo_vehicle v;
    bool reschedule;
    const char *ref;
    int rc = parse_item(c, cmd, argc, argv, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = cli_edit_open(c, cmd, argc, argv, "which item? give its type or id", a.count > 0,
                            &ref)))
        return rc;
    if ((ARG(&a, OPT_VEHICLE) && (rc = cli_vehicle(c, ARG(&a, OPT_VEHICLE), false, &v))) ||
        (rc = odo_maint_resolve(c->store, c->user, ref, ARG(&a, OPT_VEHICLE) ? v.id : NULL, &m,
                                &c->err)) ||
        (rc = apply_item(c, &a, &m)))
        return cli_fail(c, rc);
    /* New intervals or a new last completion move the next due, unless it is given. */
    reschedule = (ARG(&a, OPT_EVERY_MONTHS) || ARG(&a, OPT_EVERY_DISTANCE) ||
                  ARG(&a, OPT_LAST_DATE) || ARG(&a, OPT_LAST_ODO)) &&
                 !ARG(&a, OPT_DUE_DATE) && !ARG(&a, OPT_DUE_ODO);
    if ((rc = odo_maint_update(c->store, c->user, &m, reschedule, &c->err)) ||
        (rc = odo_vehicle_get(c->store, c->user, m.vehicle_id, &v, &c->err)))
        return cli_fail(c, rc);
    print_item(c, &m, &v, "updated");
    return 0;
}

static int maint_row(const struct odo_maint *m, void *ctx)
{
    struct cli_list *l = ctx;
    char due[ODO_DATE_TEXT_LEN + 1], last[ODO_DATE_TEXT_LEN + 1], dodo[48], every[64],
        n[ODO_DEC_TEXT_MAX];
    const char *unit = odo_dist_unit_name(l->v->odometer_unit);
    const char *cells[8];

    if (l->c->json) {
        jlist_add(&l->j, json_maint(m, l->v->name));
        return 0;
    }
    cli_date_text(m->due_date, due);
    cli_date_text(m->last_done_date, last);
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
    struct cli_list *l = ctx;
    l->v = v;
    return odo_maint_list(l->c->store, l->c->user, v->id, maint_row, l, &l->c->err) ? 1 : 0;
}

int cmd_maint_list(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"history", no_argument, NULL, OPT_HISTORY},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static const char *const head[] = {"ID",       "VEHICLE", "TYPE",  "CATEGORY",
                                       "DUE DATE", "DUE AT",  "EVERY", "LAST DONE"};
    const struct cli_command *cmd = cli_find("maint", "list");
    const char *ref = NULL;
    bool history = false;
    struct odo_vehicle v;
    struct cli_list *l;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        if (ch == OPT_VEHICLE)
            ref = optarg;
        else if (ch == OPT_HISTORY)
            history = true;
        else
            return ch == 'h' ? 0 : EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_read(c)))
        return rc;
    if (history) {
        if ((rc = cli_vehicle(c, ref, false, &v)))
            return cli_fail(c, rc);
        return cli_service_table(c, &v);
    }
    if (!(l = cli_list_new(c, sizeof(*l), 8, head, "llllrdll")))
        return cli_report(c, EXIT_STORAGE, "out of memory");
    if (ref) {
        if ((rc = cli_vehicle(c, ref, false, &v)) == 0)
            rc = maint_vehicle(&v, l) ? c->err.code : 0;
    } else {
        rc = odo_vehicle_list(c->store, c->user, false, maint_vehicle, l, &c->err);
        if (rc == 0 && c->err.code)
            rc = c->err.code;
    }
    return cli_list_end(l, rc, "no maintenance items yet");
}

int cmd_maint_done(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("maint", "done");
    struct odo_vehicle v;
    struct odo_maint m, next;
    struct odo_service rec;
    struct cli_work a;
    const char *ref;
    int rc = cli_work_parse(c, cmd, argc, argv, false, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    /* Completing an item needs no field: it is done today. */
    if ((rc = cli_edit_open(c, cmd, argc, argv, "which item? give its type or id", true, &ref)))
        return rc;
    memset(&rec, 0, sizeof(rec));
    rec.performed_at = odo_clock_now(NULL);
    rec.odometer = ODO_NONE;
    rec.cost = ODO_NONE;
    memcpy(rec.currency, c->settings.currency, sizeof(rec.currency));
    if ((a.vehicle && (rc = cli_vehicle(c, a.vehicle, false, &v))) ||
        (rc = odo_maint_resolve(c->store, c->user, ref, a.vehicle ? v.id : NULL, &m, &c->err)) ||
        (rc = cli_work_apply(c, &a, &rec)))
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
        cli_date_text(next.due_date, d);
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
