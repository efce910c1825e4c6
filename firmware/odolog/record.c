/*
 * What the commands about one kind of record share. 'GROUP rm REF' and 'GROUP restore REF' are
 * one flow for every kind (fill-ups, readings, maintenance items, service records, documents,
 * vehicles): a table says what each kind is called and holds its steps (resolve REF, delete or
 * restore, say what was done), so only what truly differs is written per kind. Beside it, the
 * steps of an edit between its options and its changes, and those of a listing before its rows.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"
#include "storage/fuel.h"
#include "storage/maintenance.h"
#include "storage/odometer.h"
#include "storage/renewals.h"

enum { OPT_VEHICLE = 256 };

/* What rm and restore were given: REF, the vehicle of --vehicle, and whether REF names a
 * deleted record (restore). */
struct ref {
    const char *text, *vehicle_id; /* vehicle_id: NULL without --vehicle */
    bool deleted;
};

/*
 * A kind of record. The flow holds one record (`size` zeroed bytes, its whole id at
 * `id_offset`) and runs the kind's steps on it, each returning 0 or an ODO_E code with c->err
 * set: resolve reads the record REF names; act deletes or restores it (NULL: the kind's remove
 * or restore of the id); describe prints what was done (NULL: print_done). `what` is what a
 * person calls the record, `which` the question when no REF is given; a kind with
 * `vehicle_option` takes --vehicle V, whose id narrows REF.
 */
struct kind {
    const char *group, *what, *which;
    bool vehicle_option;
    size_t size, id_offset;
    int (*resolve)(struct cli *c, const struct ref *r, void *rec);
    int (*remove)(struct odo_store *s, const char *user, const char *id, struct odo_err *err);
    int (*restore)(struct odo_store *s, const char *user, const char *id, struct odo_err *err);
    int (*act)(struct cli *c, void *rec, bool restore);
    void (*describe)(struct cli *c, const struct kind *k, const void *rec, bool restore);
};

/* Says that record id of kind k was deleted (with the command that undoes it) or restored;
 * JSON: {"deleted": id} or {"restored": id}. */
static void print_done(struct cli *c, const struct kind *k, bool restored, const char *id)
{
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, restored ? "restored" : "deleted", id);
        json_print(o);
    } else if (restored) {
        printf("restored %s %s\n", k->what, cli_short_id(id));
    } else {
        printf("deleted %s %s (undo: odolog %s restore %s)\n", k->what, cli_short_id(id), k->group,
               cli_short_id(id));
    }
}

/* ---- fill-ups, odometer readings, documents: by id, nothing more to say ------------------- */

static int find_fill(struct cli *c, const struct ref *r, void *rec)
{
    return odo_fuel_find(c->store, c->user, r->text, r->deleted, rec, &c->err);
}

static int find_reading(struct cli *c, const struct ref *r, void *rec)
{
    return odo_odometer_find(c->store, c->user, r->text, r->deleted, rec, &c->err);
}

static int find_document(struct cli *c, const struct ref *r, void *rec)
{
    return odo_renewal_find(c->store, c->user, r->text, r->deleted, rec, &c->err);
}

/* ---- maintenance items: by type or id, --vehicle narrows a type ---------------------------- */

static int find_item(struct cli *c, const struct ref *r, void *rec)
{
    return odo_maint_find(c->store, c->user, r->text, r->vehicle_id, r->deleted, rec, &c->err);
}

/* The sentences name the item's type as well as its id. */
static void describe_item(struct cli *c, const struct kind *k, const void *rec, bool restore)
{
    const struct odo_maint *m = rec;

    if (c->json)
        print_done(c, k, restore, m->id);
    else if (restore)
        printf("restored maintenance item %s (%s)\n", m->type, cli_short_id(m->id));
    else
        printf("removed maintenance item %s (%s; undo: odolog maint restore %s)\n", m->type,
               cli_short_id(m->id), cli_short_id(m->id));
}

/* ---- service records: rm says whether a maintenance schedule went back --------------------- */

struct service_done {
    struct odo_service rec;
    bool schedule; /* rm: the item the record completed is due again as before */
};

static int find_service(struct cli *c, const struct ref *r, void *done)
{
    struct service_done *d = done;

    return odo_service_find(c->store, c->user, r->text, r->deleted, &d->rec, &c->err);
}

static int act_service(struct cli *c, void *done, bool restore)
{
    struct service_done *d = done;

    if (restore)
        return odo_service_restore(c->store, c->user, d->rec.id, &c->err);
    return odo_service_remove(c->store, c->user, d->rec.id, &d->schedule, &c->err);
}

static void describe_service(struct cli *c, const struct kind *k, const void *done, bool restore)
{
    const struct service_done *d = done;
    bool completion = !restore && d->rec.maintenance_id[0];

    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, restore ? "restored" : "deleted", d->rec.id);
        if (completion)
            cJSON_AddBoolToObject(o, "schedule_restored", d->schedule);
        json_print(o);
        return;
    }
    print_done(c, k, restore, d->rec.id);
    if (completion)
        printf(d->schedule ? "the maintenance item it completed is due again as before\n"
                           : "the maintenance item it completed keeps its schedule (a later "
                             "completion stands, or nothing tells what it was before)\n");
}

/* ---- vehicles: by id, VIN or name; they go and come back with their records ---------------- */

static int find_vehicle(struct cli *c, const struct ref *r, void *rec)
{
    return cli_vehicle(c, r->text, r->deleted, rec);
}

/* One storage call, then the vehicle read again to print it as it now is. */
static int act_vehicle(struct cli *c, void *rec, bool restore)
{
    struct odo_vehicle *v = rec;
    int rc = restore ? odo_vehicle_restore(c->store, c->user, v->id, &c->err)
                     : odo_vehicle_remove(c->store, c->user, v->id, &c->err);

    return rc ? rc : odo_vehicle_get(c->store, c->user, v->id, v, &c->err);
}

static void describe_vehicle(struct cli *c, const struct kind *k, const void *rec, bool restore)
{
    const struct odo_vehicle *v = rec;

    (void)k;
    if (c->json)
        json_print(json_vehicle(v));
    else if (restore)
        printf("restored vehicle '%s' and the records deleted with it\n", v->name);
    else
        printf("deleted vehicle '%s' and its records (undo: odolog vehicle restore %s)\n", v->name,
               cli_short_id(v->id));
}

/* ---- the kinds ---------------------------------------------------------------------------- */

static const struct kind fill_ups = {
    .group = "fuel",
    .what = "fill-up",
    .which = "which fuel log? give its id",
    .size = sizeof(struct odo_fuel_log),
    .id_offset = offsetof(struct odo_fuel_log, id),
    .resolve = find_fill,
    .remove = odo_fuel_remove,
    .restore = odo_fuel_restore,
};

static const struct kind readings = {
    .group = "odo",
    .what = "odometer reading",
    .which = "which reading? give its id",
    .size = sizeof(struct odo_reading),
    .id_offset = offsetof(struct odo_reading, id),
    .resolve = find_reading,
    .remove = odo_odometer_remove,
    .restore = odo_odometer_restore,
};

static const struct kind documents = {
    .group = "renewal",
    .what = "document",
    .which = "which document? give its id",
    .size = sizeof(struct odo_renewal),
    .id_offset = offsetof(struct odo_renewal, id),
    .resolve = find_document,
    .remove = odo_renewal_remove,
    .restore = odo_renewal_restore,
};

static const struct kind items = {
    .group = "maint",
    .what = "maintenance item",
    .which = "which item? give its type or id",
    .vehicle_option = true,
    .size = sizeof(struct odo_maint),
    .id_offset = offsetof(struct odo_maint, id),
    .resolve = find_item,
    .remove = odo_maint_remove,
    .restore = odo_maint_restore,
    .describe = describe_item,
};

static const struct kind service_records = {
    .group = "service",
    .what = "service record",
    .which = "which service record? give its id",
    .size = sizeof(struct service_done),
    .id_offset = offsetof(struct service_done, rec.id),
    .resolve = find_service,
    .act = act_service,
    .describe = describe_service,
};

static const struct kind vehicles = {
    .group = "vehicle",
    .what = "vehicle",
    .which = "which vehicle? give its id, VIN or name",
    .size = sizeof(struct odo_vehicle),
    .id_offset = offsetof(struct odo_vehicle, id),
    .resolve = find_vehicle,
    .act = act_vehicle,
    .describe = describe_vehicle,
};

/* ---- the flow ----------------------------------------------------------------------------- */

/* Options that are only [--vehicle V] and --help: *vehicle receives V. Returns 0, -1 after help,
 * or EXIT_USAGE after a message. */
static int vehicle_option(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                          const char **vehicle)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        if (ch != OPT_VEHICLE)
            return ch == 'h' ? -1 : EXIT_USAGE;
        *vehicle = optarg;
    }
    return 0;
}

/* The options and the REF of rm and restore: --vehicle only for a kind that takes it. */
static int parse_ref(struct cli *c, const struct cli_command *cmd, const struct kind *k, int argc,
                     char **argv, const char **vehicle, const char **ref)
{
    int rc;

    if (!k->vehicle_option)
        return cli_one_arg(c, cmd, argc, argv, k->which, ref);
    if ((rc = vehicle_option(c, cmd, argc, argv, vehicle)))
        return rc;
    return cli_positional(c, cmd, argc, argv, k->which, ref);
}

/* The kind's act, or its remove or restore of the record's id. */
static int act(struct cli *c, const struct kind *k, void *rec, bool restore)
{
    const char *id = (const char *)rec + k->id_offset;

    if (k->act)
        return k->act(c, rec, restore);
    return (restore ? k->restore : k->remove)(c->store, c->user, id, &c->err);
}

/* 'GROUP rm REF' (restore false) or 'GROUP restore REF' of kind k. Returns the exit code. */
static int remove_or_restore(struct cli *c, int argc, char **argv, const struct kind *k,
                             bool restore)
{
    const struct cli_command *cmd = cli_find(k->group, restore ? "restore" : "rm");
    const char *vehicle_ref = NULL;
    struct ref r = {.deleted = restore};
    struct odo_vehicle v;
    void *rec;
    int rc = parse_ref(c, cmd, k, argc, argv, &vehicle_ref, &r.text);

    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = cli_open(c)))
        return rc;
    rec = calloc(1, k->size);
    if (!rec)
        return cli_report(c, EXIT_STORAGE, "out of memory");
    if (vehicle_ref && (rc = cli_vehicle(c, vehicle_ref, false, &v)) == 0)
        r.vehicle_id = v.id;
    if (rc || (rc = k->resolve(c, &r, rec)) || (rc = act(c, k, rec, restore)))
        rc = cli_fail(c, rc);
    else if (k->describe)
        k->describe(c, k, rec, restore);
    else
        print_done(c, k, restore, (const char *)rec + k->id_offset);
    free(rec);
    return rc;
}

int cmd_fuel_rm(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &fill_ups, false);
}

int cmd_fuel_restore(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &fill_ups, true);
}

int cmd_odo_rm(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &readings, false);
}

int cmd_odo_restore(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &readings, true);
}

int cmd_renewal_rm(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &documents, false);
}

int cmd_renewal_restore(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &documents, true);
}

int cmd_maint_rm(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &items, false);
}

int cmd_maint_restore(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &items, true);
}

int cmd_service_rm(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &service_records, false);
}

int cmd_service_restore(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &service_records, true);
}

int cmd_vehicle_rm(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &vehicles, false);
}

int cmd_vehicle_restore(struct cli *c, int argc, char **argv)
{
    return remove_or_restore(c, argc, argv, &vehicles, true);
}

/* ---- edits and listings ------------------------------------------------------------------- */

int cli_edit_open(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                  const char *which, bool changed, const char **ref)
{
    int rc = cli_positional(c, cmd, argc, argv, which, ref);

    if (rc)
        return rc;
    if (!changed)
        return cli_usage(c, cmd, "nothing to change: give at least one field");
    return cli_open(c);
}

int cli_list_open(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                  const char **ref, struct odo_vehicle *v)
{
    int rc;

    *ref = NULL;
    if ((rc = vehicle_option(c, cmd, argc, argv, ref)))
        return rc;
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_read(c)))
        return rc;
    if (v && (rc = cli_vehicle(c, *ref, false, v)))
        return cli_fail(c, rc);
    return 0;
}
