/*
 * The formats an import reads: recognising a file, reading its sections (their headers through
 * layouts.c) and handing each record to rows.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "storage/io/formats.h"

static const char *const format_names[] = {"auto",         "odolog", "odolog-json",
                                           "fuelly",       "acar",   "lubelogger",
                                           "spritmonitor", "drivvo", "gasbuddy"};

const char *odo_import_format_name(enum odo_import_format f)
{
    return format_names[f];
}

int odo_import_format_parse(const char *s, enum odo_import_format *out, struct odo_err *err)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(format_names); i++)
        if (strcasecmp(s, format_names[i]) == 0) {
            *out = (enum odo_import_format)i;
            return 0;
        }
    return odo_err_set(err, ODO_EINVAL,
                       "unknown format '%s': use odolog, odolog-json, fuelly, acar, lubelogger, "
                       "spritmonitor, drivvo or gasbuddy",
                       s);
}

int odo_date_order_parse(const char *s, enum odo_date_order *out, struct odo_err *err)
{
    static const char *const names[] = {"auto", "mdy", "dmy", "ymd"};

    for (size_t i = 0; i < ODO_ARRAY_LEN(names); i++)
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum odo_date_order)i;
            return 0;
        }
    return odo_err_set(err, ODO_EINVAL,
                       "unknown date format '%s': use mdy (month/day/year), dmy (day/month/year) "
                       "or ymd",
                       s);
}

/* ---- recognising a format ---------------------------------------------------------------- */
/* Which format a header record is (ODO_FORMAT_AUTO when none), given its delimiter. */
static enum odo_import_format by_header(const struct odo_csv_record *rec, char delim)
{
    if (io_header_has(rec, "record") && io_header_has(rec, "odometer_unit"))
        return ODO_FORMAT_ODOLOG;
    if (io_header_has(rec, "date (utc)") ||
        (io_header_has(rec, "fillup") && io_header_has(rec, "fuel economy unit")))
        return ODO_FORMAT_GASBUDDY;
    if (io_header_has(rec, "fuelup_date") && io_header_has(rec, "car_name"))
        return ODO_FORMAT_FUELLY;
    if (delim == ';' && io_header_has(rec, "date|datum") &&
        io_header_has(rec, "quantity|spritmenge|menge|cost type|kostenart"))
        return ODO_FORMAT_SPRITMONITOR;
    if (io_header_has(rec, "date|fuelup_date") && io_header_has(rec, "odometer"))
        return ODO_FORMAT_LUBELOGGER;
    return ODO_FORMAT_AUTO;
}
static char guess_delimiter(const char *line)
{
    size_t semi = 0, comma = 0, tab = 0;

    for (const char *p = line; *p; p++) {
        semi += *p == ';';
        comma += *p == ',';
        tab += *p == '\t';
    }
    return tab > comma && tab > semi ? '\t' : semi > comma ? ';' : ',';
}

/* Sets r up for format f from its first data-bearing line `first`. */
static void configure(struct io_reader *r, enum odo_import_format f, const char *first)
{
    char delim = guess_delimiter(first);

    r->format = f;
    r->numbers = IO_NUM_POINT;
    switch (f) {
    case ODO_FORMAT_ODOLOG_JSON:
        r->json = true;
        delim = 0;
        r->order = ODO_DATE_ORDER_YMD;
        r->order_fixed = true;
        break;
    case ODO_FORMAT_ODOLOG:
        r->order = ODO_DATE_ORDER_YMD;
        r->order_fixed = true;
        delim = ',';
        break;
    case ODO_FORMAT_SPRITMONITOR:
        /* Spritmonitor writes 24.12.2024 and decimal commas, and escapes with a backslash. */
        r->numbers = IO_NUM_COMMA;
        r->order = ODO_DATE_ORDER_DMY;
        r->order_fixed = true;
        odo_csv_set_format(r->csv, delim == ',' ? ';' : delim, '\\');
        return;
    case ODO_FORMAT_GASBUDDY:
        r->utc = true;
        break;
    case ODO_FORMAT_DRIVVO:
        r->numbers = IO_NUM_EITHER;
        delim = ',';
        break;
    case ODO_FORMAT_ACAR:
        delim = ',';
        break;
    default:
        break;
    }
    odo_csv_set_format(r->csv, delim, 0);
}

/* Reads the first line whole, to recognise the file by it. */
static int first_line(struct io_reader *r, char *out, size_t cap, struct odo_err *err)
{
    struct odo_csv_record rec;
    int rc;

    odo_csv_set_format(r->csv, 0, 0);
    out[0] = '\0';
    while ((rc = odo_csv_next(r->csv, &rec, err)) == 1)
        if (rec.field[0][strspn(rec.field[0], " \t,;")]) {
            snprintf(out, cap, "%s", rec.field[0]);
            break;
        }
    return rc < 0 ? rc : 0;
}

/* Recognises the file's format from its first lines: a marker line or a header. */
static int recognise(struct io_reader *r, enum odo_import_format *f, struct odo_err *err)
{
    struct odo_csv_record rec;
    char line[512];
    int rc;

    if ((rc = first_line(r, line, sizeof(line), err)))
        return rc;
    if (line[0] == '{' || line[0] == '[') {
        *f = ODO_FORMAT_ODOLOG_JSON;
    } else if (strncmp(line, "##", 2) == 0 || strncmp(line, "#Reabastecimiento", 17) == 0) {
        *f = ODO_FORMAT_DRIVVO;
    } else {
        char key[64];
        io_header_key(line, key, sizeof(key));
        if (strcmp(key, "metadata") == 0 || strcmp(key, "vehicles") == 0 ||
            strcmp(key, "fill-up records") == 0) {
            *f = ODO_FORMAT_ACAR;
        } else {
            char delim = guess_delimiter(line);
            if ((rc = odo_csv_seek(r->csv, 0, 1, err)))
                return rc;
            odo_csv_set_format(r->csv, delim, 0);
            do
                rc = odo_csv_next(r->csv, &rec, err);
            while (rc == 1 && rec.blank);
            if (rc < 0)
                return rc;
            *f = rc == 1 ? by_header(&rec, delim) : ODO_FORMAT_AUTO;
        }
    }
    if (*f == ODO_FORMAT_AUTO)
        return odo_err_set(err, ODO_EINVAL,
                           "the file's layout is not one odolog knows: its first line is '%.80s'; "
                           "give --format (odolog, odolog-json, fuelly, acar, lubelogger, "
                           "spritmonitor, drivvo, gasbuddy)",
                           line);
    configure(r, *f, line);
    return odo_csv_seek(r->csv, 0, 1, err);
}

int io_reader_open(const char *path, enum odo_import_format f, const struct odo_import_options *opt,
                   struct io_reader **out, enum odo_import_format *format, struct odo_err *err)
{
    struct io_reader *r = calloc(1, sizeof(*r));
    char line[512];
    int rc;

    *out = NULL;
    if (!r)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    r->opt = opt;
    r->section = -1;
    if ((rc = odo_csv_open(path, &r->csv, err)))
        goto out_free;
    if (f == ODO_FORMAT_AUTO) {
        if ((rc = recognise(r, &f, err)))
            goto out_free;
    } else {
        if ((rc = first_line(r, line, sizeof(line), err)) || (rc = odo_csv_seek(r->csv, 0, 1, err)))
            goto out_free;
        configure(r, f, line);
    }
    if (opt->date_order != ODO_DATE_ORDER_AUTO && !r->order_fixed)
        r->order = opt->date_order;
    snprintf(r->currency, sizeof(r->currency), "%s",
             opt->currency ? opt->currency : opt->settings->currency);
    *format = f;
    *out = r;
    return 0;
out_free:
    io_reader_close(r);
    return rc;
}

void io_reader_close(struct io_reader *r)
{
    if (!r)
        return;
    odo_csv_close(r->csv);
    free(r);
}

bool io_reader_needs_date_order(const struct io_reader *r)
{
    return !r->order_fixed && r->order == ODO_DATE_ORDER_AUTO;
}

int64_t io_reader_position(const struct io_reader *r)
{
    return odo_csv_position(r->csv);
}

int64_t io_reader_size(const struct io_reader *r)
{
    return odo_csv_size(r->csv);
}

int io_reader_rewind(struct io_reader *r, enum odo_date_order order, struct odo_err *err)
{
    if (!r->order_fixed && order != ODO_DATE_ORDER_AUTO)
        r->order = order;
    r->section = -1;
    r->nsections = 0;
    return odo_csv_seek(r->csv, 0, 1, err);
}

int io_reader_seek(struct io_reader *r, const struct io_row *row, struct odo_err *err)
{
    r->section = row->section;
    return odo_csv_seek(r->csv, row->offset, row->line, err);
}

/* Starts a new section of type `type` whose header is the next record. */
static int new_section(struct io_reader *r, enum io_section_type type, struct odo_err *err)
{
    if (r->nsections >= IO_SECTIONS_MAX)
        return odo_err_set(err, ODO_EINVAL, "the file has more than %d sections", IO_SECTIONS_MAX);
    r->section = r->nsections++;
    memset(&r->sections[r->section], 0, sizeof(r->sections[0]));
    r->sections[r->section].type = type;
    return 0;
}

/*
 * The next data record: section markers and headers are taken in on the way. Returns 1 with
 * *sec the record's section, 0 at the end, <0 on error.
 */
static int next_record(struct io_reader *r, struct odo_csv_record *rec,
                       const struct io_section **sec, struct odo_err *err)
{
    int rc;

    while ((rc = odo_csv_next(r->csv, rec, err)) == 1) {
        enum io_section_type type;
        int marker;

        if (rec->blank || (!r->json && rec->n == 1 && !rec->field[0][strspn(rec->field[0], " ")]))
            continue;
        if (r->json) {
            const char *p = rec->field[0] + strspn(rec->field[0], " \t");
            if (*p != '{' || strncmp(p, "{\"format\"", 9) == 0)
                continue; /* the document's opening and closing lines */
            if (r->section < 0 && (rc = new_section(r, S_OWN, err)))
                return rc;
            *sec = &r->sections[r->section];
            return 1;
        }
        if ((r->format == ODO_FORMAT_ACAR || r->format == ODO_FORMAT_DRIVVO) &&
            io_marker_of(r->format, rec, &type, &marker)) {
            if ((rc = new_section(r, type, err)))
                return rc;
            r->sections[r->section].marker = marker;
            continue;
        }
        if (r->section < 0) {
            /* A single-section file: this record is its header. */
            if ((rc = new_section(r, S_OWN, err)))
                return rc;
            io_single_header(r->format, &r->sections[r->section], rec);
            continue;
        }
        if (!r->sections[r->section].has_header) {
            io_section_header(&r->sections[r->section], rec);
            continue;
        }
        *sec = &r->sections[r->section];
        return 1;
    }
    return rc;
}

/* aCar's metadata row: the date format ("M/d/yyyy", "dd.MM.yyyy") sets the date order and,
 * with it, how numbers are written. */
static void read_meta(struct io_reader *r, const struct io_section *sec,
                      const struct odo_csv_record *rec)
{
    const char *f = io_col(sec, rec, C_DATE);
    const char *d = strpbrk(f, "dD"), *m = strchr(f, 'M'), *y = strpbrk(f, "yY");

    if (!d || !m || !y)
        return;
    r->order = y < m ? ODO_DATE_ORDER_YMD : d < m ? ODO_DATE_ORDER_DMY : ODO_DATE_ORDER_MDY;
    r->order_fixed = true;
    /* A dotted date comes with decimal commas (German and others). */
    r->numbers = strchr(f, '.') ? IO_NUM_COMMA : IO_NUM_POINT;
}

int io_reader_next(struct io_reader *r, struct io_row *row, struct odo_err *err)
{
    struct odo_csv_record rec;
    const struct io_section *sec;
    int rc;

    for (;;) {
        if ((rc = next_record(r, &rec, &sec, err)) <= 0)
            return rc;
        if (sec->type == S_META) {
            read_meta(r, sec, &rec);
            continue;
        }
        memset(row, 0, sizeof(*row));
        row->line = rec.line;
        row->offset = rec.offset;
        row->section = r->section;
        row->trip = ODO_NONE;
        if (sec->type == S_NONE)
            continue;
        io_map_row(r, sec, &rec, row);
        if (row->kind == IO_NONE && !row->bad)
            continue;
        return 1;
    }
}

int io_reader_dates(struct io_reader *r, struct io_dates *d, struct odo_err *err)
{
    struct odo_csv_record rec;
    const struct io_section *sec;
    int rc;

    for (;;) {
        if ((rc = next_record(r, &rec, &sec, err)) <= 0)
            return rc;
        if (sec->type == S_META) {
            read_meta(r, sec, &rec);
            continue;
        }
        if (sec->col[C_DATE] >= 0)
            io_date_evidence(io_col(sec, &rec, C_DATE), rec.line, d);
        return 1;
    }
}
