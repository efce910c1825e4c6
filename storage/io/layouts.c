/*
 * What each import format calls its columns and sections: the names (in any case, several per
 * column), the units headers say ("Odometer (km)", "Price / l"), the section lines of aCar and
 * Drivvo, and Drivvo's columns by position. Where each layout comes from is in
 * tests/data/README.md and docs/import.md.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "storage/io/formats.h"

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
void io_header_key(const char *cell, char *out, size_t cap)
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

        io_header_key(rec->field[i], key, sizeof(key));
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

/* Whether any header cell of rec matches names. */
bool io_header_has(const struct odo_csv_record *rec, const char *names)
{
    for (int i = 0; i < rec->n; i++) {
        char key[IO_HINT_MAX];
        io_header_key(rec->field[i], key, sizeof(key));
        if (name_matches(key, names))
            return true;
    }
    return false;
}

bool io_marker_of(enum odo_import_format f, const struct odo_csv_record *rec,
                  enum io_section_type *type, int *marker)
{
    char first[64];

    if (rec->n < 1)
        return false;
    /* A marker stands alone on its line (trailing empty cells allowed). */
    for (int i = 1; i < rec->n; i++)
        if (rec->field[i][0])
            return false;
    io_header_key(rec->field[0], first, sizeof(first));
    for (size_t i = 0; i < ODO_ARRAY_LEN(markers); i++) {
        char want[64];
        io_header_key(markers[i].line, want, sizeof(want));
        if (markers[i].format == f && strcmp(first, want) == 0) {
            *type = markers[i].type;
            *marker = (int)i;
            return true;
        }
    }
    return false;
}

void io_section_header(struct io_section *sec, const struct odo_csv_record *rec)
{
    const struct marker *k = &markers[sec->marker];
    bool named = false;

    read_header(sec, rec, k->aliases, k->n);
    for (int c = 0; c < C_COUNT; c++)
        named = named || sec->col[c] >= 0;
    for (size_t i = 0; !named && i < k->nat; i++)
        sec->col[k->at[i].col] = k->at[i].index;
}

void io_single_header(enum odo_import_format f, struct io_section *sec,
                      const struct odo_csv_record *rec)
{
    const struct alias *a = NULL;
    size_t n = 0;

    sec->type = S_FUEL;
    switch (f) {
    case ODO_FORMAT_ODOLOG:
    case ODO_FORMAT_ODOLOG_JSON:
        sec->type = S_OWN;
        break;
    case ODO_FORMAT_FUELLY:
        a = fuelly;
        n = ODO_ARRAY_LEN(fuelly);
        break;
    case ODO_FORMAT_GASBUDDY:
        a = gasbuddy;
        n = ODO_ARRAY_LEN(gasbuddy);
        break;
    case ODO_FORMAT_SPRITMONITOR:
        if (io_header_has(rec, "cost type|kostenart")) {
            sec->type = S_COSTS;
            a = spritmonitor_costs;
            n = ODO_ARRAY_LEN(spritmonitor_costs);
        } else {
            a = spritmonitor_fuel;
            n = ODO_ARRAY_LEN(spritmonitor_fuel);
        }
        break;
    default:
        a = lubelogger;
        n = ODO_ARRAY_LEN(lubelogger);
        /* LubeLogger writes fill-ups, service records and odometer records alike. */
        if (!io_header_has(rec, "fuelconsumed|gallons|liters|litres|consumption|quantity|qty"))
            sec->type = io_header_has(rec, "description") ? S_SERVICE : S_READING;
        break;
    }
    read_header(sec, rec, a, n);
}
