/*
 * The formats an import reads: recognising a file, its sections and headers, and handing each
 * record to rows.c. Where each layout comes from is in tests/data/README.md and docs/import.md.
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

/* ---- column names ----------------------------------------------------------------------- */

/* A column and the names formats give it, '|'-separated; a name ending in '*' matches any
 * header that starts with it ("odometer (km)"). */
struct alias {
    enum io_col col;
    const char *names;
};

static const struct alias fuelly[] = {
    {C_VEHICLE, "car_name"},
    {C_DATE, "fuelup_date"},
    {C_ODOMETER, "odometer"},
    {C_TRIP, "miles|km"},
    {C_VOLUME, "gallons|litres|liters"},
    {C_PRICE, "price"},
    {C_NOTES, "notes"},
    {C_MISSED, "missed_fuelup"},
    {C_PARTIAL, "partial_fuelup"},
    {C_STATION, "brand"},
    {C_ECON, "mpg|l/100km"},
};
/* LubeLogger's fuel and service exports, and the names its importer also takes. */
static const struct alias lubelogger[] = {
    {C_DATE, "date|fuelup_date"},
    {C_ODOMETER, "odometer"},
    {C_VOLUME, "fuelconsumed|gallons|liters|litres|consumption|quantity|qty"},
    {C_TOTAL, "cost|total cost|totalcost|total price"},
    {C_PRICE, "price"},
    {C_NOTES, "notes|note"},
    {C_PARTIAL, "partial_fuelup|partial tank"},
    {C_FULL, "isfilltofull|filled up"},
    {C_MISSED, "missed_fuelup|missedfuelup|missed fill up"},
    {C_DESCRIPTION, "description"},
};
static const struct alias spritmonitor_fuel[] = {
    {C_DATE, "date|datum"},
    {C_ODOMETER, "odometer|km-stand|kilometerstand|tachostand"},
    {C_TRIP, "trip|teil-km|distanz|strecke"},
    {C_VOLUME, "quantity|spritmenge|menge"},
    {C_TOTAL, "total price|kosten|gesamtkosten|gesamtpreis"},
    {C_PRICE, "unit price|preis"},
    {C_CURRENCY, "currency|währung|waehrung"},
    {C_TYPE, "type|tankart"},
    {C_NOTES, "note|bemerkung|notiz"},
};
static const struct alias spritmonitor_costs[] = {
    {C_DATE, "date|datum"},
    {C_ODOMETER, "odometer|km-stand|kilometerstand|tachostand"},
    {C_TYPE, "cost type|kostenart"},
    {C_TITLE, "title|bezeichnung"},
    {C_TOTAL, "costs|kosten|cost"},
    {C_CURRENCY, "currency|währung|waehrung"},
    {C_NOTES, "note|bemerkung|notiz"},
};
static const struct alias drivvo_fuel[] = {
    {C_ODOMETER, "odometer*"},
    {C_DATE, "date"},
    {C_PRICE, "price*|volume price"},
    {C_TOTAL, "total cost|total price|total"},
    {C_VOLUME, "volume|fuel amount"},
    {C_FULL, "full tank|full fillup|full fill-up"},
    {C_STATION, "gas station|station"},
    {C_NOTES, "note|notes"},
    {C_VEHICLE, "vehicle"},
};
static const struct alias drivvo_service[] = {
    {C_ODOMETER, "odometer*"},
    {C_DATE, "date"},
    {C_TOTAL, "total cost|cost|total"},
    {C_TITLE, "title|service name|service type"},
    {C_SHOP, "place|workshop|garage"},
    {C_NOTES, "note|notes"},
    {C_VEHICLE, "vehicle"},
};
static const struct alias drivvo_vehicle[] = {
    {C_NAME, "name"}, {C_MODEL, "model"},       {C_PLATE, "plate"},
    {C_YEAR, "year"}, {C_NOTES, "description"},
};
static const struct alias gasbuddy[] = {
    {C_DATE, "date (utc)|date"}, {C_VEHICLE, "vehicle"},   {C_STATION, "location"},
    {C_TOTAL, "total cost"},     {C_VOLUME, "quantity"},   {C_PRICE, "unit price"},
    {C_ODOMETER, "odometer"},    {C_ECON, "fuel economy"}, {C_ECON_UNIT, "fuel economy unit"},
    {C_FULL, "fillup|fill-up"},  {C_NOTES, "notes"},
};
static const struct alias acar_meta[] = {
    {C_DATE, "date format"},
    {C_TIME, "time format"},
};
static const struct alias acar_vehicle[] = {
    {C_NAME, "name"},
    {C_YEAR, "year"},
    {C_MAKE, "make"},
    {C_MODEL, "model"},
    {C_TRIM, "submodel"},
    {C_ENGINE, "engine"},
    {C_BODY, "body type"},
    {C_PLATE, "license plate"},
    {C_VIN, "vin"},
    {C_VOL_UNIT, "volume unit"},
    {C_DIST_UNIT, "distance unit"},
    {C_NOTES, "notes"},
};
static const struct alias acar_fuel[] = {
    {C_VEHICLE, "vehicle"},
    {C_DATE, "date"},
    {C_TIME, "time"},
    {C_ODOMETER, "odometer reading"},
    {C_DIST_UNIT, "distance unit"},
    {C_VOLUME, "volume"},
    {C_VOL_UNIT, "volume unit"},
    {C_PRICE, "price per unit"},
    {C_TOTAL, "total cost"},
    {C_PARTIAL, "partial fill-up?"},
    {C_MISSED, "previously missed fill-ups?"},
    {C_STATION, "fuel brand"},
    {C_NOTES, "notes"},
};
static const struct alias acar_event[] = {
    {C_VEHICLE, "vehicle"},
    {C_DATE, "date"},
    {C_TIME, "time"},
    {C_ODOMETER, "odometer reading"},
    {C_DIST_UNIT, "distance unit"},
    {C_TYPE, "type"},
    {C_SUBTYPE, "sub types"},
    {C_TOTAL, "total cost"},
    {C_SHOP, "place name"},
    {C_NOTES, "notes"},
};

/*
 * Drivvo writes its headers in the phone's language ("Одометр", "Data") but its columns always
 * in the same order: where no header is recognised, the columns are taken by position.
 */
struct position {
    enum io_col col;
    int index;
};

static const struct position drivvo_fuel_at[] = {
    {C_ODOMETER, 0}, {C_DATE, 1}, {C_PRICE, 3}, {C_TOTAL, 4}, {C_VOLUME, 5}, {C_FULL, 6},
};
static const struct position drivvo_service_at[] = {
    {C_ODOMETER, 0}, {C_DATE, 1}, {C_TOTAL, 2}, {C_TITLE, 3}, {C_SHOP, 4},
};
static const struct position drivvo_vehicle_at[] = {
    {C_NAME, 0}, {C_MODEL, 1}, {C_PLATE, 2}, {C_YEAR, 4}, {C_NOTES, 5},
};

/* A section of a sectioned file: the line that starts it and what its rows are. */
struct marker {
    enum odo_import_format format;
    const char *line;
    enum io_section_type type;
    const struct alias *aliases;
    size_t n;
    const struct position *at; /* the columns by position, when no header names them */
    size_t nat;
};

#define AT(a) a, ODO_ARRAY_LEN(a)

static const struct marker markers[] = {
    {ODO_FORMAT_ACAR, "Metadata", S_META, AT(acar_meta), NULL, 0},
    {ODO_FORMAT_ACAR, "Vehicles", S_VEHICLE, AT(acar_vehicle), NULL, 0},
    {ODO_FORMAT_ACAR, "Fill-Up Records", S_FUEL, AT(acar_fuel), NULL, 0},
    {ODO_FORMAT_ACAR, "Event Records", S_SERVICE, AT(acar_event), NULL, 0},
    {ODO_FORMAT_ACAR, "Trip Records", S_NONE, NULL, 0, NULL, 0},
    {ODO_FORMAT_DRIVVO, "##Refuelling", S_FUEL, AT(drivvo_fuel), AT(drivvo_fuel_at)},
    {ODO_FORMAT_DRIVVO, "#Reabastecimiento", S_FUEL, AT(drivvo_fuel), AT(drivvo_fuel_at)},
    {ODO_FORMAT_DRIVVO, "##Service", S_SERVICE, AT(drivvo_service), AT(drivvo_service_at)},
    {ODO_FORMAT_DRIVVO, "#Servicio", S_SERVICE, AT(drivvo_service), AT(drivvo_service_at)},
    {ODO_FORMAT_DRIVVO, "##Expense", S_NONE, NULL, 0, NULL, 0},
    {ODO_FORMAT_DRIVVO, "##Vehicle", S_VEHICLE, AT(drivvo_vehicle), AT(drivvo_vehicle_at)},
};

/* Whether header h (lower case) is one of names. */
static bool name_matches(const char *h, const char *names)
{
    const char *p = names;

    while (*p) {
        size_t n = strcspn(p, "|");
        bool prefix = n && p[n - 1] == '*';
        size_t m = prefix ? n - 1 : n;

        if (prefix ? strncmp(h, p, m) == 0 : strlen(h) == m && strncmp(h, p, m) == 0)
            return true;
        p += n + (p[n] == '|');
    }
    return false;
}

/* A header cell in lower case, spaces at either end and quotes dropped. */
static void header_key(const char *cell, char *out, size_t cap)
{
    size_t n = 0;

    while (*cell == ' ' || *cell == '"')
        cell++;
    for (; *cell && n + 1 < cap; cell++)
        out[n++] = (char)tolower((unsigned char)*cell);
    while (n && (out[n - 1] == ' ' || out[n - 1] == '"'))
        n--;
    out[n] = '\0';
}

/* Reads a header record into sec's column map from aliases (or odolog's own names). */
static void read_header(struct io_section *sec, const struct odo_csv_record *rec,
                        const struct alias *aliases, size_t n)
{
    enum odo_vol_unit vol;
    enum odo_dist_unit dist;

    for (int c = 0; c < C_COUNT; c++)
        sec->col[c] = -1;
    for (int c = 0; c < IO_OWN_COUNT; c++)
        sec->own[c] = -1;
    sec->has_header = true;
    for (int i = 0; i < rec->n; i++) {
        char key[IO_HINT_MAX];

        header_key(rec->field[i], key, sizeof(key));
        if (sec->type == S_OWN) {
            for (int c = 0; c < IO_OWN_COUNT; c++)
                if (strcmp(key, io_own_names[c]) == 0 && sec->own[c] < 0)
                    sec->own[c] = i;
            continue;
        }
        for (size_t a = 0; a < n; a++) {
            if (sec->col[aliases[a].col] >= 0 || !name_matches(key, aliases[a].names))
                continue;
            sec->col[aliases[a].col] = i;
            memcpy(sec->hint[aliases[a].col], key, sizeof(key));
            break;
        }
    }
    /* Units the header says: "gallons", "km", "Odometer (mi)", "Price / l". */
    if (sec->col[C_VOLUME] >= 0 && io_vol_unit(sec->hint[C_VOLUME], &vol) == 0) {
        sec->vol = vol;
        sec->vol_known = true;
    }
    if (sec->col[C_TRIP] >= 0 && io_dist_unit(sec->hint[C_TRIP], &dist) == 0) {
        sec->dist = dist;
        sec->dist_known = true;
    }
    if (sec->col[C_ODOMETER] >= 0 && strchr(sec->hint[C_ODOMETER], '(')) {
        const char *u = strchr(sec->hint[C_ODOMETER], '(') + 1;
        char unit[8];
        snprintf(unit, sizeof(unit), "%.*s", (int)strcspn(u, ")"), u);
        if (io_dist_unit(unit, &dist) == 0) {
            sec->dist = dist;
            sec->dist_known = true;
        }
    }
    if (sec->col[C_PRICE] >= 0 && strchr(sec->hint[C_PRICE], '/')) {
        const char *u = strchr(sec->hint[C_PRICE], '/') + 1;
        if (io_vol_unit(u, &vol) == 0) {
            sec->vol = vol;
            sec->vol_known = true;
        }
    }
    if (sec->col[C_ECON] >= 0 && !sec->dist_known &&
        (strstr(sec->hint[C_ECON], "mpg") || strstr(sec->hint[C_ECON], "/100km"))) {
        /* Fuelly without a trip column: mpg or l/100km says which system. */
        sec->dist = strstr(sec->hint[C_ECON], "mpg") ? ODO_DIST_MI : ODO_DIST_KM;
        sec->dist_known = true;
    }
}

const char *io_col(const struct io_section *sec, const struct odo_csv_record *rec, enum io_col c)
{
    return odo_csv_field(rec, sec->col[c]);
}

/* ---- recognising a format ---------------------------------------------------------------- */

/* Whether any header cell of rec matches names. */
static bool has(const struct odo_csv_record *rec, const char *names)
{
    for (int i = 0; i < rec->n; i++) {
        char key[IO_HINT_MAX];
        header_key(rec->field[i], key, sizeof(key));
        if (name_matches(key, names))
            return true;
    }
    return false;
}

/* Which format a header record is (ODO_FORMAT_AUTO when none), given its delimiter. */
static enum odo_import_format by_header(const struct odo_csv_record *rec, char delim)
{
    if (has(rec, "record") && has(rec, "odometer_unit"))
        return ODO_FORMAT_ODOLOG;
    if (has(rec, "date (utc)") || (has(rec, "fillup") && has(rec, "fuel economy unit")))
        return ODO_FORMAT_GASBUDDY;
    if (has(rec, "fuelup_date") && has(rec, "car_name"))
        return ODO_FORMAT_FUELLY;
    if (delim == ';' && has(rec, "date|datum") &&
        has(rec, "quantity|spritmenge|menge|cost type|kostenart"))
        return ODO_FORMAT_SPRITMONITOR;
    if (has(rec, "date|fuelup_date") && has(rec, "odometer"))
        return ODO_FORMAT_LUBELOGGER;
    return ODO_FORMAT_AUTO;
}

/* The section a marker line starts, or NULL. */
static const struct marker *marker_of(const struct odo_csv_record *rec)
{
    char first[64];

    if (rec->n < 1)
        return NULL;
    /* A marker stands alone on its line (trailing empty cells allowed). */
    for (int i = 1; i < rec->n; i++)
        if (rec->field[i][0])
            return NULL;
    header_key(rec->field[0], first, sizeof(first));
    for (size_t i = 0; i < ODO_ARRAY_LEN(markers); i++) {
        char want[64];
        header_key(markers[i].line, want, sizeof(want));
        if (strcmp(first, want) == 0)
            return &markers[i];
    }
    return NULL;
}

/* The delimiter of a first line: the most frequent of ';', ',' and tab. */
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
        header_key(line, key, sizeof(key));
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

/* The aliases of a single-section format's header. */
static void single_aliases(const struct io_reader *r, const struct odo_csv_record *rec,
                           enum io_section_type *type, const struct alias **a, size_t *n)
{
    *type = S_FUEL;
    switch (r->format) {
    case ODO_FORMAT_FUELLY:
        *a = fuelly;
        *n = ODO_ARRAY_LEN(fuelly);
        return;
    case ODO_FORMAT_GASBUDDY:
        *a = gasbuddy;
        *n = ODO_ARRAY_LEN(gasbuddy);
        return;
    case ODO_FORMAT_SPRITMONITOR:
        if (has(rec, "cost type|kostenart")) {
            *type = S_COSTS;
            *a = spritmonitor_costs;
            *n = ODO_ARRAY_LEN(spritmonitor_costs);
        } else {
            *a = spritmonitor_fuel;
            *n = ODO_ARRAY_LEN(spritmonitor_fuel);
        }
        return;
    default:
        *a = lubelogger;
        *n = ODO_ARRAY_LEN(lubelogger);
        /* LubeLogger writes fill-ups, service records and odometer records alike. */
        if (!has(rec, "fuelconsumed|gallons|liters|litres|consumption|quantity|qty"))
            *type = has(rec, "description") ? S_SERVICE : S_READING;
        return;
    }
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
        const struct marker *m;

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
            (m = marker_of(rec)) && m->format == r->format) {
            if ((rc = new_section(r, m->type, err)))
                return rc;
            r->sections[r->section].marker = (int)(m - markers);
            continue;
        }
        if (r->section < 0) {
            /* A single-section file: this record is its header. */
            enum io_section_type type = S_OWN;
            const struct alias *a = NULL;
            size_t n = 0;
            if (r->format != ODO_FORMAT_ODOLOG)
                single_aliases(r, rec, &type, &a, &n);
            if ((rc = new_section(r, type, err)))
                return rc;
            read_header(&r->sections[r->section], rec, a, n);
            continue;
        }
        if (!r->sections[r->section].has_header) {
            const struct marker *k = &markers[r->sections[r->section].marker];
            struct io_section *s = &r->sections[r->section];
            bool named = false;
            read_header(s, rec, k->aliases, k->n);
            for (int c = 0; c < C_COUNT; c++)
                named = named || s->col[c] >= 0;
            for (size_t i = 0; !named && i < k->nat; i++)
                s->col[k->at[i].col] = k->at[i].index;
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
