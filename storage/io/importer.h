/*
 * Inside the importer (storage/io/import.c, storage/io/vehicles.c): an import's state and the
 * vehicles its rows are for.
 */
#ifndef ODO_STORAGE_IO_IMPORTER_H
#define ODO_STORAGE_IO_IMPORTER_H

#include "storage/io/internal.h"

#define IO_VEHICLES_MAX 256 /* vehicles one import may name */

/* A vehicle the file names, and how its rows have gone so far. */
struct vref {
    char name[ODO_NAME_MAX + 1], vin[ODO_VIN_LEN + 1]; /* as the file names it */
    bool nameless;        /* the rows that name no vehicle (name may become the file's) */
    struct odo_vehicle v; /* v.id "" until found or created */
    bool defined;         /* a vehicle row described it: details to create it with */
    bool def_unit_known;  /* ...and said its distance unit (else its first row's is taken) */
    struct odo_vehicle def;
    long def_line;
    bool missing; /* not in the logbook, and not to be created: why says so */
    char why[sizeof(((struct odo_err *)0)->msg)];
    bool started, fast; /* its first row went through the full checks; the rest may be fast */
    int64_t prev_at, prev_odo; /* the last row's time and odometer (the vehicle's unit) */
};

/* One import under way. */
struct importer {
    struct odo_store *s;
    const char *user;
    const char *path;
    const struct odo_import_options *opt;
    struct odo_import_report *rep;
    struct odo_err *err;
    struct io_reader *r;
    struct odo_vehicle forced; /* --vehicle */
    bool have_forced;
    struct vref *vehicles;
    int nvehicles;
    struct vref *defined; /* the first vehicle a vehicle row describes */
    int ndefined;         /* how many vehicle rows there are */
    bool vehicles_first;  /* the vehicle rows were taken before the others */
    long since_progress;
    long staged; /* rows waiting in the staging tables */
};

/* Reports a bad row. */
void io_problem(struct importer *im, long line, const char *why);

/* The vehicle a data row is for: --vehicle, the one it names (found by VIN or name, created
 * with --create-vehicles), the one vehicle the file describes, or the user's only vehicle.
 * NULL (too many vehicles), or a vref without an id whose why says why there is none. */
struct vref *io_row_vehicle(struct importer *im, const struct io_row *row);

/* A vehicle row: what to create the vehicle with, or the vehicle it matches. */
void io_take_vehicle_row(struct importer *im, struct io_row *row);

/* Creates the vehicles the file describes that no row was for. */
void io_take_unused_vehicles(struct importer *im);

#endif
