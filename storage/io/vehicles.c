/*
 * The importer's vehicles: which vehicle of the logbook each row is for, found by VIN or name,
 * or created (--create-vehicles) from what the file says of it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "storage/internal.h"
#include "storage/io/importer.h"

/* The vref the file's name or VIN points to, added when new; NULL when too many. */
static struct vref *vref_of(struct importer *im, const char *name, const char *vin)
{
    struct vref *v;

    for (int i = 0; i < im->nvehicles; i++) {
        v = &im->vehicles[i];
        if ((vin[0] && strcasecmp(v->vin, vin) == 0) ||
            (name[0] && strcasecmp(v->name, name) == 0 && (!vin[0] || !v->vin[0])) ||
            (!name[0] && !vin[0] && v->nameless))
            return v;
    }
    if (im->nvehicles >= IO_VEHICLES_MAX)
        return NULL;
    v = &im->vehicles[im->nvehicles++];
    memset(v, 0, sizeof(*v));
    snprintf(v->name, sizeof(v->name), "%s", name);
    snprintf(v->vin, sizeof(v->vin), "%s", vin);
    v->nameless = !name[0] && !vin[0];
    return v;
}

/* The file's name without its folder and extension: a name for a vehicle the file does not
 * name. */
static void file_stem(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strcspn(base, ".");

    snprintf(out, cap, "%.*s", (int)(n ? n : strlen(base)), base);
}

/* Finds v in the logbook by VIN, then name; creates it when allowed (in the unit of the row
 * that names it when the file says one, else the user's). 0, or a reason in why (the vehicle is
 * missing, or cannot be created) with v->missing set. */
static int resolve_vehicle(struct importer *im, struct vref *v, const struct io_row *row)
{
    long line = row->line;
    const char *label = v->name[0] ? v->name : v->vin;
    struct odo_err e;
    int rc = ODO_ENOTFOUND;

    if (v->v.id[0])
        return 0;
    if (v->missing)
        return ODO_ENOTFOUND;
    if (v->vin[0])
        rc = odo_vehicle_resolve(im->s, im->user, v->vin, false, &v->v, &e);
    if (rc == ODO_ENOTFOUND && v->name[0])
        rc = odo_vehicle_resolve(im->s, im->user, v->name, false, &v->v, &e);
    if (rc == 0) {
        im->rep->vehicles_matched++;
        return 0;
    }
    v->missing = true;
    v->v.id[0] = '\0';
    if (rc != ODO_ENOTFOUND) {
        snprintf(v->why, sizeof(v->why), "%s", e.msg);
        return rc;
    }
    if (!im->opt->create_vehicles) {
        snprintf(v->why, sizeof(v->why),
                 "vehicle '%.64s' is not in your logbook: add it ('odolog vehicle add'), or "
                 "give --vehicle or --create-vehicles",
                 label);
        return ODO_ENOTFOUND;
    }
    if (v->defined) {
        v->v = v->def;
        if (!v->def_unit_known && row->dist_known)
            v->v.odometer_unit = row->dist;
    } else {
        memset(&v->v, 0, sizeof(v->v));
        v->v.odometer_unit = row->dist_known ? row->dist : im->opt->settings->units.dist;
    }
    snprintf(v->v.name, sizeof(v->v.name), "%s", v->name);
    snprintf(v->v.vin, sizeof(v->v.vin), "%s", v->vin);
    if ((rc = odo_vehicle_add(im->s, im->user, &v->v, &e))) {
        v->v.id[0] = '\0';
        snprintf(v->why, sizeof(v->why), "vehicle '%.60s' (line %ld) cannot be added: %.200s",
                 label, line, e.msg);
        return rc;
    }
    v->missing = false;
    im->rep->vehicles_created++;
    return 0;
}

/* The vehicle a data row is for: --vehicle, the one it names, or the user's only vehicle.
 * NULL, or a vref without an id (its why says why), when there is none. */
struct vref *io_row_vehicle(struct importer *im, const struct io_row *row)
{
    struct vref *v;

    if (im->have_forced) {
        v = vref_of(im, im->forced.name, "");
        if (v && !v->v.id[0])
            v->v = im->forced;
        return v;
    }
    if (!row->vehicle[0] && !row->vin[0] && im->ndefined == 1) {
        /* The one vehicle the file describes (Drivvo's ##Vehicle). */
        (void)!resolve_vehicle(im, im->defined, row);
        return im->defined;
    }
    if (!row->vehicle[0] && !row->vin[0]) {
        /* The file names no vehicle: the user's only one, or one named after the file. */
        struct odo_err e;
        int rc;

        v = vref_of(im, "", "");
        if (!v || v->v.id[0] || v->missing)
            return v;
        rc = odo_vehicle_only(im->s, im->user, &v->v, &e);
        if (rc == ODO_ENOTFOUND && im->opt->create_vehicles) {
            file_stem(im->path, v->name, sizeof(v->name));
            (void)!resolve_vehicle(im, v, row);
            return v;
        }
        if (rc) {
            v->missing = true;
            v->v.id[0] = '\0';
            snprintf(v->why, sizeof(v->why),
                     "the file does not say which vehicle its rows are for: give --vehicle%s",
                     rc == ODO_ENOTFOUND ? " (or --create-vehicles)" : "");
            return v;
        }
        im->rep->vehicles_matched++;
        return v;
    }
    v = vref_of(im, row->vehicle, row->vin);
    if (v)
        (void)!resolve_vehicle(im, v, row);
    return v;
}

/* A vehicle row: what to create the vehicle with, or the vehicle it matches. */
void io_take_vehicle_row(struct importer *im, struct io_row *row)
{
    char vin[ODO_VIN_LEN + 1] = "";
    struct vref *v;

    if (im->have_forced)
        return; /* every row goes to --vehicle */
    if (row->vin[0] && odo_vin_normalize(row->vin, vin, NULL) != 0) {
        io_problem(im, row->line, "the vehicle's VIN is not 17 VIN characters");
        return;
    }
    v = vref_of(im, row->vehicle, vin);
    if (!v) {
        io_problem(im, row->line, "the file names too many vehicles");
        return;
    }
    v->defined = true;
    v->def = row->r.vehicle;
    v->def_unit_known = row->dist_known;
    v->def_line = row->line;
    im->defined = im->defined ? im->defined : v;
    im->ndefined++;
    /* A vehicle to create in no unit the file states is created at its first row, in that
     * row's unit (take_unused_vehicles creates those no row is for). */
    if (im->opt->create_vehicles && !v->def_unit_known)
        return;
    if (resolve_vehicle(im, v, row) != 0)
        io_problem(im, row->line, v->why);
}

/* Creates the vehicles the file describes that no row was for. */
void io_take_unused_vehicles(struct importer *im)
{
    for (int i = 0; i < im->nvehicles; i++) {
        struct vref *v = &im->vehicles[i];
        struct io_row row;

        if (!v->defined || v->v.id[0] || v->missing)
            continue;
        memset(&row, 0, sizeof(row));
        row.line = v->def_line;
        if (resolve_vehicle(im, v, &row) != 0)
            io_problem(im, v->def_line, v->why);
    }
}
