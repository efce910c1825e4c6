/*
 * Inside storage/io: the row an import format reads (struct io_row) and what formats, importer
 * and exporter share. Nothing outside storage/io includes this header.
 */
#ifndef ODO_STORAGE_IO_INTERNAL_H
#define ODO_STORAGE_IO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/fuel.h"
#include "storage/io/csv.h"
#include "storage/io/io.h"
#include "storage/maintenance.h"
#include "storage/odometer.h"
#include "storage/renewals.h"
#include "storage/vehicles.h"

/* What a row of a file is. */
enum io_kind {
    IO_NONE,    /* nothing to import (a blank line, a section's own lines, an ignored cost) */
    IO_FUEL,    /* a fill-up */
    IO_READING, /* an odometer value without fuel */
    IO_SERVICE, /* work done */
    IO_VEHICLE, /* a vehicle's description (odolog, aCar, Drivvo) */
    IO_MAINT,   /* a maintenance item (odolog) */
    IO_RENEWAL, /* a document (odolog) */
};

/* The columns odolog's own CSV and JSON carry, in the CSV's order. */
/* clang-format off */
#define IO_OWN_COLUMNS \
    X(record) X(vehicle) X(vin) X(date) X(odometer) X(odometer_unit) X(volume) X(volume_unit) \
    X(price) X(total) X(currency) X(full) X(missed) X(forced) X(station) X(description) X(shop) \
    X(cost) X(maintenance) X(category) X(due_date) X(due_odometer) X(every_months) \
    X(every_distance) X(last_date) X(last_odometer) X(kind) X(number) X(issuer) X(valid_from) \
    X(valid_until) X(make) X(model) X(trim) X(year) X(plate) X(body) X(engine) X(fuel_type) \
    X(notes)
/* clang-format on */

enum io_own_column {
#define X(name) IO_OWN_##name,
    IO_OWN_COLUMNS
#undef X
        IO_OWN_COUNT
};
extern const char *const io_own_names[IO_OWN_COUNT];

/* One row as a format read it, in the file's units. */
struct io_row {
    enum io_kind kind;
    long line;
    int64_t offset;                 /* where the record starts in the file, to read it again */
    int section;                    /* which section of a sectioned file it is in */
    char vehicle[ODO_NAME_MAX + 1]; /* the vehicle it names, "" when the file names none */
    char vin[ODO_VIN_LEN + 1];
    int64_t at;              /* when, ms UTC (fuel, reading, service) */
    enum odo_dist_unit dist; /* the unit of odometer values and trip, when dist_known */
    bool dist_known;         /* false: they are in the vehicle's own unit */
    int64_t trip;            /* distance since the previous fill (tenths), or ODO_NONE */
    char maint_type[ODO_MAINT_TYPE_MAX + 1]; /* a service: the item it completed, "" for none */
    union {
        struct odo_fuel_log fuel;
        struct odo_reading reading;
        struct odo_service service;
        struct odo_vehicle vehicle;
        struct odo_maint maint;
        struct odo_renewal renewal;
    } r;
    bool bad;
    char why[sizeof(((struct odo_err *)0)->msg)];
};

/* Date evidence over a whole file: how many dates read only one way, and where. */
struct io_dates {
    long mdy, dmy;           /* dates that can only be month-first / day-first */
    long mdy_line, dmy_line; /* the first of each */
    long either;             /* dates that read both ways */
    long either_line;
};

struct io_reader;

/*
 * Opens path as format `f` (ODO_FORMAT_AUTO: recognised from its first lines; ODO_EINVAL with
 * the formats that are understood otherwise). `opt` gives the defaults a file may not say
 * (units, currency, date order). *format receives the format found.
 */
int io_reader_open(const char *path, enum odo_import_format f, const struct odo_import_options *opt,
                   struct io_reader **out, enum odo_import_format *format,
                   struct odo_err *err) ODO_MUST_CHECK;
void io_reader_close(struct io_reader *r);

/*
 * Reads the next row into *row (row->bad with row->why when a field is wrong). Returns 1, 0 at
 * the end, or a negative code when the file cannot be read on.
 */
int io_reader_next(struct io_reader *r, struct io_row *row, struct odo_err *err) ODO_MUST_CHECK;

/* Goes back to the row read at row->offset (line, section), to read it again. */
int io_reader_seek(struct io_reader *r, const struct io_row *row,
                   struct odo_err *err) ODO_MUST_CHECK;

/* Back to the first row, with date order `order` from now on (after a pass that looked). */
int io_reader_rewind(struct io_reader *r, enum odo_date_order order,
                     struct odo_err *err) ODO_MUST_CHECK;

/* Whether the format's dates may put day and month either way (then a pass collects
 * evidence with io_reader_dates before rows are read). */
bool io_reader_needs_date_order(const struct io_reader *r);

/* Collects date evidence from the next row; 1, 0 at the end, <0 on error. */
int io_reader_dates(struct io_reader *r, struct io_dates *d, struct odo_err *err) ODO_MUST_CHECK;

/* Bytes read so far and in all. */
int64_t io_reader_position(const struct io_reader *r);
int64_t io_reader_size(const struct io_reader *r);

/* ---- field parsing, shared by the formats (storage/io/fields.c) ---- */

/* How a file writes numbers: "1,234.5" or "1.234,5"; a lone separator decides by itself. */
enum io_numbers { IO_NUM_POINT, IO_NUM_COMMA, IO_NUM_EITHER };

/* A number at `scale` decimals (more are rounded half away from zero), with thousands
 * separators, spaces and currency signs dropped. 0, or ODO_EINVAL; "" is ODO_ENOTFOUND. */
int io_number(const char *s, int scale, enum io_numbers style, int64_t *out);

/* yes/no in the words exports use (1/0, yes/no, true/false, and other languages'). 0, or
 * ODO_EINVAL; "" is ODO_ENOTFOUND. */
int io_bool(const char *s, bool *out);

/* The ISO code of a currency written as a code or a sign ("$", "€", "£"), or "" (unknown). */
void io_currency(const char *s, char out[4]);

/* Reads "date" (with an optional time in it) and an optional separate "time" as local time
 * (or UTC), numeric dates in `order`. 0 or ODO_EINVAL with a sentence in why. */
int io_when(const char *date, const char *time, enum odo_date_order order, bool utc, int64_t *ms,
            char *why, size_t cap);

/* Adds the evidence of one date string to d. */
void io_date_evidence(const char *date, long line, struct io_dates *d);

/* Volume and distance units as exports write them ("gal", "US_GALLON", "litres", "MILE"). */
int io_vol_unit(const char *s, enum odo_vol_unit *out);
int io_dist_unit(const char *s, enum odo_dist_unit *out);

/* Copies a text field into a record field, cut at a character boundary when it is too long. */
void io_text(char *dst, size_t cap, const char *src);

/* Case-insensitive equality, ignoring spaces at either end of a. */
bool io_same(const char *a, const char *b);

#endif
