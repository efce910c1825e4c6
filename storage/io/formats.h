/*
 * Inside storage/io: how the formats' readers see a file. A file is a series of sections (most
 * formats have one); each section has a header, read into a column map (struct io_section), and
 * a type that says what its rows are. formats.c recognises formats and reads files, layouts.c
 * knows what each format calls its columns, rows.c turns a record of a section into a struct
 * io_row.
 */
#ifndef ODO_STORAGE_IO_FORMATS_H
#define ODO_STORAGE_IO_FORMATS_H

#include "storage/io/internal.h"

/* What a column holds, whatever the format calls it. */
enum io_col {
    C_VEHICLE,
    C_VIN,
    C_DATE,
    C_TIME,
    C_ODOMETER,
    C_TRIP,
    C_VOLUME,
    C_PRICE,
    C_TOTAL,
    C_CURRENCY,
    C_FULL,
    C_PARTIAL,
    C_MISSED,
    C_STATION,
    C_NOTES,
    C_DESCRIPTION,
    C_SHOP,
    C_DIST_UNIT,
    C_VOL_UNIT,
    C_TYPE,
    C_SUBTYPE,
    C_ECON,
    C_ECON_UNIT,
    C_TITLE,
    C_NAME,
    C_MAKE,
    C_MODEL,
    C_TRIM,
    C_YEAR,
    C_PLATE,
    C_BODY,
    C_ENGINE,
    C_COUNT
};

/* What the rows of a section are. */
enum io_section_type {
    S_NONE,    /* rows that are not imported (aCar's trips, Drivvo's expenses) */
    S_META,    /* aCar's metadata: the formats of its dates */
    S_FUEL,    /* fill-ups (a row without fuel is an odometer reading) */
    S_SERVICE, /* service records */
    S_READING, /* odometer readings */
    S_COSTS,   /* Spritmonitor's costs: service records by cost type */
    S_VEHICLE, /* vehicles */
    S_OWN,     /* odolog's own rows, each saying what it is */
};

#define IO_SECTIONS_MAX 8
#define IO_HINT_MAX     32

struct io_section {
    enum io_section_type type;
    int marker; /* a sectioned file: which marker started it */
    bool has_header;
    int col[C_COUNT];                /* field index of each column, -1 when absent */
    char hint[C_COUNT][IO_HINT_MAX]; /* the header it was found under, lower case */
    int own[IO_OWN_COUNT];           /* S_OWN: field index of each of odolog's columns */
    enum odo_dist_unit dist;         /* the section's units when its header says them */
    enum odo_vol_unit vol;
    bool dist_known, vol_known;
};

struct io_reader {
    struct odo_csv *csv;
    enum odo_import_format format;
    const struct odo_import_options *opt;
    enum odo_date_order order; /* numeric dates of this file */
    bool order_fixed;          /* the format says the order (aCar's metadata, Spritmonitor) */
    enum io_numbers numbers;
    bool utc;    /* dates are UTC (GasBuddy) */
    bool json;   /* odolog's JSON, one record per line */
    int section; /* index into sections, -1 before the first */
    int nsections;
    struct io_section sections[IO_SECTIONS_MAX];
    char currency[4]; /* for costs the file gives no currency for */
};

/* ---- layouts.c: what each format calls its columns ---- */

/* A header cell in lower case, spaces at either end and quotes dropped. */
void io_header_key(const char *cell, char *out, size_t cap);

/* Whether any cell of header rec is one of names ('|'-separated; "x*" matches "x (km)"). */
bool io_header_has(const struct odo_csv_record *rec, const char *names);

/* Whether rec is a section line of sectioned format f (aCar, Drivvo): then *type says what the
 * section's rows are and *marker which line it was (for io_section_header). */
bool io_marker_of(enum odo_import_format f, const struct odo_csv_record *rec,
                  enum io_section_type *type, int *marker);

/* Reads rec as the header of section sec of a sectioned file (sec->marker set). */
void io_section_header(struct io_section *sec, const struct odo_csv_record *rec);

/* Reads rec, the first record of a single-section file of format f, as its header, and sets
 * sec->type from it (LubeLogger's fuel, service and odometer exports differ by their columns). */
void io_single_header(enum odo_import_format f, struct io_section *sec,
                      const struct odo_csv_record *rec);

/* ---- rows.c ---- */

/* Reads record rec of section sec into row (rows.c). */
void io_map_row(struct io_reader *r, const struct io_section *sec, const struct odo_csv_record *rec,
                struct io_row *row);

/* A field of rec by column, "" when the section has no such column. */
const char *io_col(const struct io_section *sec, const struct odo_csv_record *rec, enum io_col c);

#endif
