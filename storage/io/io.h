/*
 * Bringing a logbook in and taking it out: `odolog import` and `odolog export`, and whatever
 * else (the head unit's pages) moves logbooks between apps. This room knows the files other
 * apps write (the formats of docs/import.md) and odolog's own; what a row may hold is decided by
 * the repositories' rules, the same as for a row typed at the pump: an imported fill-up is
 * checked, deduplicated, stored and captured for sync like any other.
 *
 * An import is one transaction: every row is checked, every bad one is reported (its line and
 * why), and nothing is stored unless every row was good or the caller asked to skip the bad
 * ones. A row already in the logbook (the same vehicle, time and odometer, and for a fill-up the
 * same volume) is skipped, so importing a file twice adds nothing the second time.
 */
#ifndef ODO_STORAGE_IO_H
#define ODO_STORAGE_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "storage/settings.h"
#include "storage/store.h"

enum odo_import_format {
    ODO_FORMAT_AUTO,         /* recognised from the file's first lines */
    ODO_FORMAT_ODOLOG,       /* odolog's own CSV (odolog export) */
    ODO_FORMAT_ODOLOG_JSON,  /* odolog's own JSON (odolog export --format json) */
    ODO_FORMAT_FUELLY,       /* Fuelly's web export, US or metric */
    ODO_FORMAT_ACAR,         /* the Fuelly app's (formerly aCar) sectioned export */
    ODO_FORMAT_LUBELOGGER,   /* LubeLogger's fuel or service export, and its import aliases */
    ODO_FORMAT_SPRITMONITOR, /* Spritmonitor.de's fuelings or costs export */
    ODO_FORMAT_DRIVVO,       /* Drivvo's sectioned export */
    ODO_FORMAT_GASBUDDY,     /* GasBuddy's fuel log export */
};

/* The name a format goes by on the command line ("fuelly"), and back. */
const char *odo_import_format_name(enum odo_import_format f);
int odo_import_format_parse(const char *s, enum odo_import_format *out,
                            struct odo_err *err) ODO_MUST_CHECK;

/* How numeric dates put day, month and year ("01/02/2024"). */
enum odo_date_order {
    ODO_DATE_ORDER_AUTO,
    ODO_DATE_ORDER_MDY,
    ODO_DATE_ORDER_DMY,
    ODO_DATE_ORDER_YMD
};
int odo_date_order_parse(const char *s, enum odo_date_order *out,
                         struct odo_err *err) ODO_MUST_CHECK;

/* One bad row: its line in the file and why it was refused. */
struct odo_import_problem {
    long line;
    char why[sizeof(((struct odo_err *)0)->msg)];
};

struct odo_import_options {
    enum odo_import_format format;  /* ODO_FORMAT_AUTO: recognise it */
    enum odo_date_order date_order; /* ODO_DATE_ORDER_AUTO: read it from the whole file */
    const char *vehicle;            /* every row is for this vehicle (id, VIN or name), or NULL */
    bool create_vehicles;           /* add vehicles the file names that are not in the logbook */
    bool skip_bad;                  /* store the good rows even when some are bad */
    bool dry_run;                   /* check everything, store nothing */
    bool confirm_distance;          /* take odometer jumps no tank covers (history with gaps) */
    const char *currency;           /* for costs without one; NULL: the user's */
    const struct odo_settings *settings; /* the user's units and currency (required) */
    /* Called for each bad row (may be NULL). */
    void (*on_problem)(const struct odo_import_problem *p, void *ctx);
    /* Called now and then with how much of the file is done, in bytes (may be NULL). */
    void (*on_progress)(int64_t done, int64_t total, void *ctx);
    void *ctx;
};

/* What an import did, or would do (dry run). */
struct odo_import_report {
    enum odo_import_format format;
    long rows;                                             /* data rows read */
    long fills, readings, services, maintenance, renewals; /* added */
    long vehicles_created, vehicles_matched;
    long duplicates; /* rows already in the logbook, skipped */
    long bad;        /* rows refused (and skipped, with skip_bad) */
    long converted;  /* odometer values converted to the vehicle's unit */
    bool stored;     /* the transaction was committed */
};

/*
 * Imports the file at path into user's logbook, as described above. Returns 0 when the import
 * was stored (or, dry_run, would be), ODO_EINVAL when a row was bad and nothing was stored (the
 * rows went to on_problem), or: ODO_EIO (the file cannot be read), ODO_EINVAL (the format is
 * not recognised, or its dates could be read two ways: the sentence asks for a date order),
 * ODO_ENOTFOUND (--vehicle), storage errors. *rep is filled in every case.
 */
int odo_import_file(struct odo_store *s, const char *user, const char *path,
                    const struct odo_import_options *opt, struct odo_import_report *rep,
                    struct odo_err *err) ODO_MUST_CHECK;

enum odo_export_format {
    ODO_EXPORT_CSV,        /* odolog's own CSV: every kind of record, one per line */
    ODO_EXPORT_JSON,       /* odolog's own JSON: the same records, one object per line */
    ODO_EXPORT_LUBELOGGER, /* LubeLogger's fuel CSV: fill-ups only, for one vehicle */
};
int odo_export_format_parse(const char *s, enum odo_export_format *out,
                            struct odo_err *err) ODO_MUST_CHECK;

/*
 * Writes user's logbook (vehicle_id's records, or all live vehicles' when NULL) to out in
 * format f, streamed row by row. LubeLogger's layout holds fill-ups of one vehicle: it needs
 * vehicle_id (ODO_EINVAL otherwise). *rows (may be NULL) receives how many records were
 * written. Returns 0, ODO_EIO when out fails, or a storage error.
 */
int odo_export(struct odo_store *s, const char *user, const char *vehicle_id,
               enum odo_export_format f, const struct odo_settings *settings, FILE *out, long *rows,
               struct odo_err *err) ODO_MUST_CHECK;

#endif
