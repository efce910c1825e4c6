/*
 * One record of a file as a row of the logbook: which fields mean what in each format, and
 * the format's own words for "full", "partial", "missed" and for the kind of work done.
 */
#define _GNU_SOURCE /* strcasestr */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "platform/decimal.h"
#include "storage/io/formats.h"

const char *const io_own_names[IO_OWN_COUNT] = {
#define X(name) #name,
    IO_OWN_COLUMNS
#undef X
};

/* Marks row bad with a sentence; the first reason stays. */
static void bad(struct io_row *row, const char *fmt, ...) ODO_PRINTF(2, 3);
static void bad(struct io_row *row, const char *fmt, ...)
{
    va_list ap;

    if (row->bad)
        return;
    row->bad = true;
    va_start(ap, fmt);
    vsnprintf(row->why, sizeof(row->why), fmt, ap);
    va_end(ap);
}

/* A number field: *out stays as it is when the field is empty. */
static void number(const struct io_reader *r, const char *text, int scale, const char *what,
                   int64_t *out, struct io_row *row)
{
    int rc = io_number(text, scale, r->numbers, out);

    if (rc == ODO_EINVAL)
        bad(row, "the %s '%.40s' is not a number", what, text);
}

/* A yes/no field: *out stays as it is when the field is empty. */
static void yes_no(const char *text, const char *what, bool *out, struct io_row *row)
{
    if (io_bool(text, out) == ODO_EINVAL)
        bad(row, "the %s '%.20s' is neither yes nor no", what, text);
}

/* The row's time from a date (and time) field. */
static void when(const struct io_reader *r, const char *date, const char *time, struct io_row *row)
{
    char why[160];

    if (!*date) {
        bad(row, "the row has no date");
        return;
    }
    if (io_when(date, time, r->order, r->utc, &row->at, why, sizeof(why)) != 0)
        bad(row, "%s", why);
}

/* The units of a row's odometer: the row's own unit column, else the section's header, else
 * unknown (the vehicle's). */
static void distance_unit(const struct io_section *sec, const struct odo_csv_record *rec,
                          struct io_row *row, bool *known)
{
    const char *u = io_col(sec, rec, C_DIST_UNIT);

    *known = false;
    if (*u && io_dist_unit(u, &row->dist) == 0) {
        *known = true;
    } else if (*u) {
        bad(row, "unknown distance unit '%.20s'", u);
    } else if (sec->dist_known) {
        row->dist = sec->dist;
        *known = true;
    }
    row->dist_known = *known;
}

/* The currency of a cost: a currency column, else a sign written in the amount ("$3.969"),
 * else the file's default. */
static void currency_of(const struct io_reader *r, const struct io_section *sec,
                        const struct odo_csv_record *rec, const char *amount, char out[4],
                        struct io_row *row)
{
    const char *c = io_col(sec, rec, C_CURRENCY);

    out[0] = '\0';
    if (*c) {
        io_currency(c, out);
        if (!out[0])
            bad(row, "unknown currency '%.20s'", c);
        return;
    }
    for (const char *p = amount; *p && !out[0]; p++)
        if (!isdigit((unsigned char)*p) && *p != '.' && *p != ',' && *p != ' ' && *p != '-')
            io_currency(p, out);
    if (!out[0])
        memcpy(out, r->currency, 4);
}

/* The units an economy unit implies (GasBuddy says "MPG" and nothing else about units). */
static void econ_units(const char *unit, struct io_row *row)
{
    if (strcasestr(unit, "mpg")) {
        row->dist = ODO_DIST_MI;
        row->r.fuel.volume_unit =
            strcasestr(unit, "uk") || strcasestr(unit, "imp") ? ODO_VOL_GAL_IMP : ODO_VOL_GAL_US;
    } else if (strcasestr(unit, "km")) {
        row->dist = ODO_DIST_KM;
        row->r.fuel.volume_unit = ODO_VOL_L;
    } else {
        return;
    }
    row->dist_known = true;
}

/* Fill-ups (and, without fuel, odometer readings) of every format but odolog's own. */
static void map_fuel(const struct io_reader *r, const struct io_section *sec,
                     const struct odo_csv_record *rec, struct io_row *row)
{
    struct odo_fuel_log *f = &row->r.fuel;
    const char *vol_unit = io_col(sec, rec, C_VOL_UNIT), *econ = io_col(sec, rec, C_ECON);
    bool known, flag;
    int64_t odometer = ODO_NONE, volume = ODO_NONE;

    io_text(row->vehicle, sizeof(row->vehicle), io_col(sec, rec, C_VEHICLE));
    when(r, io_col(sec, rec, C_DATE), io_col(sec, rec, C_TIME), row);
    distance_unit(sec, rec, row, &known);
    row->r.fuel.volume_unit = sec->vol_known ? sec->vol : r->opt->settings->units.vol;
    if (*vol_unit && io_vol_unit(vol_unit, &f->volume_unit) != 0)
        bad(row, "unknown volume unit '%.20s'", vol_unit);
    if (*io_col(sec, rec, C_ECON_UNIT) && !known && !sec->vol_known && !*vol_unit)
        econ_units(io_col(sec, rec, C_ECON_UNIT), row);
    number(r, io_col(sec, rec, C_ODOMETER), ODO_SCALE_DISTANCE, "odometer", &odometer, row);
    number(r, io_col(sec, rec, C_TRIP), ODO_SCALE_DISTANCE, "distance", &row->trip, row);
    number(r, io_col(sec, rec, C_VOLUME), ODO_SCALE_VOLUME, "volume", &volume, row);
    f->unit_price = f->total_cost = ODO_NONE;
    number(r, io_col(sec, rec, C_PRICE), ODO_SCALE_PRICE, "price", &f->unit_price, row);
    number(r, io_col(sec, rec, C_TOTAL), ODO_SCALE_MONEY, "total", &f->total_cost, row);
    currency_of(r, sec, rec,
                *io_col(sec, rec, C_PRICE) ? io_col(sec, rec, C_PRICE) : io_col(sec, rec, C_TOTAL),
                f->currency, row);
    /* An odometer of 0 is "not recorded" (Fuelly, Drivvo): a trip distance places the row. */
    if (odometer == 0)
        odometer = ODO_NONE;
    f->full = true;
    if (*io_col(sec, rec, C_FULL))
        yes_no(io_col(sec, rec, C_FULL), "full-tank flag", &f->full, row);
    if (*io_col(sec, rec, C_PARTIAL)) {
        flag = false;
        yes_no(io_col(sec, rec, C_PARTIAL), "partial flag", &flag, row);
        f->full = !flag;
    }
    if (*io_col(sec, rec, C_MISSED))
        yes_no(io_col(sec, rec, C_MISSED), "missed flag", &f->missed, row);
    if (*io_col(sec, rec, C_TYPE) && r->format == ODO_FORMAT_SPRITMONITOR) {
        /* Spritmonitor's tank type: 1 full, 2 partial, 3 the first fill-up, 0 a fill-up not
         * to count; the first and the uncounted start the economy chain afresh. */
        int64_t type = -1;
        number(r, io_col(sec, rec, C_TYPE), 0, "type", &type, row);
        if (type < 0 || type > 3)
            bad(row, "the fill-up type '%.10s' is not 0, 1, 2 or 3", io_col(sec, rec, C_TYPE));
        f->full = type != 2;
        f->missed = type == 0 || type == 3;
    }
    /* GasBuddy says in the economy column why a fill has none. */
    if (io_same(econ, "missingPrevious"))
        f->missed = true;
    io_text(f->station, sizeof(f->station), io_col(sec, rec, C_STATION));
    io_text(f->notes, sizeof(f->notes), io_col(sec, rec, C_NOTES));
    if (volume == ODO_NONE || volume == 0) {
        if (odometer == ODO_NONE) {
            bad(row, "the row has neither fuel nor an odometer value");
            return;
        }
        /* A distance-only row: an odometer reading. */
        row->kind = IO_READING;
        row->r.reading.odometer = odometer;
        io_text(row->r.reading.notes, sizeof(row->r.reading.notes), io_col(sec, rec, C_NOTES));
        return;
    }
    row->kind = IO_FUEL;
    f->volume = volume;
    f->odometer = odometer;
    if (odometer == ODO_NONE && row->trip == ODO_NONE)
        bad(row, "the fill-up has neither an odometer value nor a distance since the last one");
}

/* Service records: LubeLogger's service export, aCar's events, Drivvo's services. */
static void map_service(const struct io_reader *r, const struct io_section *sec,
                        const struct odo_csv_record *rec, struct io_row *row)
{
    struct odo_service *s = &row->r.service;
    const char *type = io_col(sec, rec, C_TYPE), *sub = io_col(sec, rec, C_SUBTYPE);
    bool known;

    /* aCar's events are services, expenses and others: only the work is a service record. */
    if (*type && r->format == ODO_FORMAT_ACAR && !strcasestr(type, "service") &&
        !strcasestr(type, "repair") && !strcasestr(type, "maintenance")) {
        row->kind = IO_NONE;
        return;
    }
    row->kind = IO_SERVICE;
    s->odometer = s->cost = ODO_NONE;
    io_text(row->vehicle, sizeof(row->vehicle), io_col(sec, rec, C_VEHICLE));
    when(r, io_col(sec, rec, C_DATE), io_col(sec, rec, C_TIME), row);
    distance_unit(sec, rec, row, &known);
    number(r, io_col(sec, rec, C_ODOMETER), ODO_SCALE_DISTANCE, "odometer", &s->odometer, row);
    if (s->odometer == 0)
        s->odometer = ODO_NONE;
    number(r, io_col(sec, rec, C_TOTAL), ODO_SCALE_MONEY, "cost", &s->cost, row);
    if (s->cost != ODO_NONE)
        currency_of(r, sec, rec, io_col(sec, rec, C_TOTAL), s->currency, row);
    io_text(s->description, sizeof(s->description),
            *io_col(sec, rec, C_DESCRIPTION) ? io_col(sec, rec, C_DESCRIPTION)
            : *sub                           ? sub
            : *io_col(sec, rec, C_TITLE)     ? io_col(sec, rec, C_TITLE)
                                             : type);
    io_text(s->shop, sizeof(s->shop), io_col(sec, rec, C_SHOP));
    io_text(s->notes, sizeof(s->notes), io_col(sec, rec, C_NOTES));
    if (!s->description[0])
        bad(row, "the service record does not say what was done");
}

/* Spritmonitor's costs: the kinds of cost that are work on the car become service records;
 * the others (insurance, tax, tolls, the purchase) are no service and are left out. */
static void map_costs(const struct io_reader *r, const struct io_section *sec,
                      const struct odo_csv_record *rec, struct io_row *row)
{
    static const char *const kinds[] = {
        NULL,     "Maintenance", "Repair", "Change tires", "Change oil", NULL, NULL, "Inspection",
        "Tuning", "Accessories", NULL,     NULL,           "Care",       NULL, NULL, NULL,
        NULL,     NULL,          NULL,     NULL,           "Spare parts"};
    int64_t type = -1;
    char title[ODO_DESCRIPTION_MAX + 1];

    number(r, io_col(sec, rec, C_TYPE), 0, "cost type", &type, row);
    if (row->bad)
        return;
    if (type < 0 || type >= (int64_t)ODO_ARRAY_LEN(kinds) || !kinds[type]) {
        row->kind = IO_NONE;
        return;
    }
    map_service(r, sec, rec, row);
    io_text(title, sizeof(title), io_col(sec, rec, C_TITLE));
    char text[ODO_DESCRIPTION_MAX + 32];
    snprintf(text, sizeof(text), "%s%s%s%s", title[0] ? title : kinds[type], title[0] ? " (" : "",
             title[0] ? kinds[type] : "", title[0] ? ")" : "");
    io_text(row->r.service.description, sizeof(row->r.service.description), text);
    if (row->bad && strstr(row->why, "does not say"))
        row->bad = false;
}

/* LubeLogger's odometer records. */
static void map_reading(const struct io_reader *r, const struct io_section *sec,
                        const struct odo_csv_record *rec, struct io_row *row)
{
    int64_t odometer = ODO_NONE;

    row->kind = IO_READING;
    when(r, io_col(sec, rec, C_DATE), NULL, row);
    number(r, io_col(sec, rec, C_ODOMETER), ODO_SCALE_DISTANCE, "odometer", &odometer, row);
    if (odometer == ODO_NONE)
        bad(row, "the reading has no odometer value");
    row->r.reading.odometer = odometer;
    io_text(row->r.reading.notes, sizeof(row->r.reading.notes), io_col(sec, rec, C_NOTES));
}

/* Vehicles: aCar's vehicle list, Drivvo's vehicle. */
static void map_vehicle(const struct io_reader *r, const struct io_section *sec,
                        const struct odo_csv_record *rec, struct io_row *row)
{
    struct odo_vehicle *v = &row->r.vehicle;
    int64_t year = 0;
    bool known;

    row->kind = IO_VEHICLE;
    io_text(v->name, sizeof(v->name), io_col(sec, rec, C_NAME));
    io_text(row->vehicle, sizeof(row->vehicle), v->name);
    io_text(row->vin, sizeof(row->vin), io_col(sec, rec, C_VIN));
    io_text(v->make, sizeof(v->make), io_col(sec, rec, C_MAKE));
    io_text(v->model, sizeof(v->model), io_col(sec, rec, C_MODEL));
    io_text(v->trim, sizeof(v->trim), io_col(sec, rec, C_TRIM));
    io_text(v->plate, sizeof(v->plate), io_col(sec, rec, C_PLATE));
    io_text(v->body_class, sizeof(v->body_class), io_col(sec, rec, C_BODY));
    io_text(v->engine, sizeof(v->engine), io_col(sec, rec, C_ENGINE));
    io_text(v->notes, sizeof(v->notes), io_col(sec, rec, C_NOTES));
    number(r, io_col(sec, rec, C_YEAR), 0, "year", &year, row);
    v->model_year = (int)(year > 0 && year < 10000 ? year : 0);
    distance_unit(sec, rec, row, &known);
    v->odometer_unit = known ? row->dist : r->opt->settings->units.dist;
    if (!v->name[0] && !row->vin[0])
        bad(row, "the vehicle has neither a name nor a VIN");
}

/* ---- odolog's own rows ----------------------------------------------------------------- */

/* odolog's fields of one record: the CSV's, or a JSON line's in the same names. */
struct own_fields {
    const char *f[IO_OWN_COUNT];
    char buf[IO_OWN_COUNT][32]; /* numbers and flags of a JSON line, as text */
};

#define OWN(o, name) ((o)->f[IO_OWN_##name])

/* odolog's own text, as it was written: the store's rules judge it as they judged it first. */
static void own_text(char *dst, size_t cap, const char *src)
{
    odo_strlcpy(dst, src, cap);
}

static void own_date(const char *text, int32_t *out, const char *what, struct io_row *row)
{
    *out = ODO_NO_DATE;
    if (*text && odo_date_parse(text, out, NULL) != 0)
        bad(row, "the %s '%.20s' is not a date (YYYY-MM-DD)", what, text);
}

static void own_number(const char *text, int scale, const char *what, int64_t *out,
                       struct io_row *row)
{
    if (*text && odo_dec_parse(text, scale, out, what, NULL) != 0)
        bad(row, "the %s '%.40s' is not an exact number", what, text);
}

static void own_flag(const char *text, const char *what, bool *out, struct io_row *row)
{
    if (*text)
        yes_no(text, what, out, row);
}

static void own_time(const char *text, struct io_row *row)
{
    struct odo_err e;

    if (!*text)
        bad(row, "the row has no date");
    else if (odo_time_parse(text, &row->at, &e) != 0)
        bad(row, "%s", e.msg);
}

static void map_own_fields(const struct io_reader *r, const struct own_fields *o,
                           struct io_row *row)
{
    const char *rec = OWN(o, record);
    int64_t n;

    own_text(row->vehicle, sizeof(row->vehicle), OWN(o, vehicle));
    own_text(row->vin, sizeof(row->vin), OWN(o, vin));
    if (*OWN(o, odometer_unit)) {
        row->dist_known = io_dist_unit(OWN(o, odometer_unit), &row->dist) == 0;
        if (!row->dist_known)
            bad(row, "unknown odometer unit '%.10s'", OWN(o, odometer_unit));
    }
    if (strcmp(rec, "vehicle") == 0) {
        struct odo_vehicle *v = &row->r.vehicle;
        row->kind = IO_VEHICLE;
        own_text(v->name, sizeof(v->name), OWN(o, vehicle));
        own_text(v->make, sizeof(v->make), OWN(o, make));
        own_text(v->model, sizeof(v->model), OWN(o, model));
        own_text(v->trim, sizeof(v->trim), OWN(o, trim));
        own_text(v->plate, sizeof(v->plate), OWN(o, plate));
        own_text(v->body_class, sizeof(v->body_class), OWN(o, body));
        own_text(v->engine, sizeof(v->engine), OWN(o, engine));
        own_text(v->fuel_type, sizeof(v->fuel_type), OWN(o, fuel_type));
        own_text(v->notes, sizeof(v->notes), OWN(o, notes));
        n = 0;
        own_number(OWN(o, year), 0, "year", &n, row);
        v->model_year = (int)n;
        v->odometer_unit = row->dist_known ? row->dist : r->opt->settings->units.dist;
    } else if (strcmp(rec, "fuel") == 0) {
        struct odo_fuel_log *f = &row->r.fuel;
        row->kind = IO_FUEL;
        own_time(OWN(o, date), row);
        f->odometer = f->volume = ODO_NONE;
        f->unit_price = f->total_cost = ODO_NONE;
        own_number(OWN(o, odometer), ODO_SCALE_DISTANCE, "odometer", &f->odometer, row);
        own_number(OWN(o, volume), ODO_SCALE_VOLUME, "volume", &f->volume, row);
        if (odo_vol_unit_parse(OWN(o, volume_unit), &f->volume_unit, NULL) != 0)
            bad(row, "unknown volume unit '%.10s'", OWN(o, volume_unit));
        own_number(OWN(o, price), ODO_SCALE_PRICE, "price", &f->unit_price, row);
        own_number(OWN(o, total), ODO_SCALE_MONEY, "total", &f->total_cost, row);
        own_text(f->currency, sizeof(f->currency), OWN(o, currency));
        f->full = true;
        own_flag(OWN(o, full), "full flag", &f->full, row);
        own_flag(OWN(o, missed), "missed flag", &f->missed, row);
        own_text(f->station, sizeof(f->station), OWN(o, station));
        own_text(f->notes, sizeof(f->notes), OWN(o, notes));
        if (f->odometer == ODO_NONE || f->volume == ODO_NONE)
            bad(row, "a fill-up needs an odometer value and a volume");
    } else if (strcmp(rec, "reading") == 0) {
        row->kind = IO_READING;
        own_time(OWN(o, date), row);
        row->r.reading.odometer = ODO_NONE;
        own_number(OWN(o, odometer), ODO_SCALE_DISTANCE, "odometer", &row->r.reading.odometer, row);
        own_flag(OWN(o, forced), "forced flag", &row->r.reading.forced, row);
        own_text(row->r.reading.notes, sizeof(row->r.reading.notes), OWN(o, notes));
        if (row->r.reading.odometer == ODO_NONE)
            bad(row, "a reading needs an odometer value");
    } else if (strcmp(rec, "service") == 0) {
        struct odo_service *s = &row->r.service;
        row->kind = IO_SERVICE;
        own_time(OWN(o, date), row);
        s->odometer = s->cost = ODO_NONE;
        own_number(OWN(o, odometer), ODO_SCALE_DISTANCE, "odometer", &s->odometer, row);
        own_number(OWN(o, cost), ODO_SCALE_MONEY, "cost", &s->cost, row);
        own_text(s->currency, sizeof(s->currency), OWN(o, currency));
        own_text(s->description, sizeof(s->description), OWN(o, description));
        own_text(s->shop, sizeof(s->shop), OWN(o, shop));
        own_text(s->notes, sizeof(s->notes), OWN(o, notes));
        own_text(row->maint_type, sizeof(row->maint_type), OWN(o, maintenance));
    } else if (strcmp(rec, "maintenance") == 0) {
        struct odo_maint *m = &row->r.maint;
        row->kind = IO_MAINT;
        own_text(m->type, sizeof(m->type), OWN(o, maintenance));
        if (odo_maint_category_parse(*OWN(o, category) ? OWN(o, category) : "other", &m->category,
                                     NULL) != 0)
            bad(row, "unknown category '%.20s'", OWN(o, category));
        own_text(m->description, sizeof(m->description), OWN(o, description));
        own_date(OWN(o, due_date), &m->due_date, "due date", row);
        own_date(OWN(o, last_date), &m->last_done_date, "last date", row);
        m->due_odometer = m->last_done_odometer = ODO_NONE;
        own_number(OWN(o, due_odometer), ODO_SCALE_DISTANCE, "due odometer", &m->due_odometer, row);
        own_number(OWN(o, last_odometer), ODO_SCALE_DISTANCE, "last odometer",
                   &m->last_done_odometer, row);
        n = 0;
        own_number(OWN(o, every_months), 0, "interval", &n, row);
        m->interval_months = (int)n;
        own_number(OWN(o, every_distance), ODO_SCALE_DISTANCE, "interval", &m->interval_distance,
                   row);
        own_text(m->notes, sizeof(m->notes), OWN(o, notes));
    } else if (strcmp(rec, "renewal") == 0) {
        struct odo_renewal *d = &row->r.renewal;
        row->kind = IO_RENEWAL;
        if (odo_renewal_kind_parse(OWN(o, kind), &d->kind, NULL) != 0)
            bad(row, "unknown document kind '%.20s'", OWN(o, kind));
        own_text(d->document_number, sizeof(d->document_number), OWN(o, number));
        own_text(d->issuer, sizeof(d->issuer), OWN(o, issuer));
        own_date(OWN(o, valid_from), &d->valid_from, "valid-from date", row);
        own_date(OWN(o, valid_until), &d->valid_until, "valid-until date", row);
        d->cost = ODO_NONE;
        own_number(OWN(o, cost), ODO_SCALE_MONEY, "cost", &d->cost, row);
        own_text(d->currency, sizeof(d->currency), OWN(o, currency));
        own_text(d->notes, sizeof(d->notes), OWN(o, notes));
        if (d->valid_from == ODO_NO_DATE || d->valid_until == ODO_NO_DATE)
            bad(row, "a document needs its valid-from and valid-until dates");
    } else {
        bad(row,
            "unknown record '%.20s': odolog's rows are vehicle, fuel, reading, service, "
            "maintenance or renewal",
            rec);
    }
}

/* A JSON line's members as odolog's fields. */
static void json_fields(const char *line, struct own_fields *o, cJSON **doc, struct io_row *row)
{
    *doc = cJSON_Parse(line + strspn(line, " \t"));
    for (int c = 0; c < IO_OWN_COUNT; c++)
        o->f[c] = "";
    if (!*doc) {
        /* One record per line, each followed by a comma but the last. */
        char *copy = strdup(line);
        size_t n = copy ? strlen(copy) : 0;
        while (n && (copy[n - 1] == ',' || copy[n - 1] == ' '))
            copy[--n] = '\0';
        *doc = copy ? cJSON_Parse(copy) : NULL;
        free(copy);
    }
    if (!cJSON_IsObject(*doc)) {
        bad(row, "the line is not a JSON object");
        return;
    }
    for (int c = 0; c < IO_OWN_COUNT; c++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(*doc, io_own_names[c]);
        if (cJSON_IsString(v))
            o->f[c] = v->valuestring;
        else if (cJSON_IsBool(v))
            o->f[c] = cJSON_IsTrue(v) ? "1" : "0";
        else if (cJSON_IsNumber(v)) {
            snprintf(o->buf[c], sizeof(o->buf[c]), "%.0f", v->valuedouble);
            o->f[c] = o->buf[c];
        }
    }
}

void io_map_row(struct io_reader *r, const struct io_section *sec, const struct odo_csv_record *rec,
                struct io_row *row)
{
    struct own_fields o;
    cJSON *doc = NULL;

    switch (sec->type) {
    case S_OWN:
        if (r->json) {
            json_fields(rec->field[0], &o, &doc, row);
        } else {
            for (int c = 0; c < IO_OWN_COUNT; c++)
                o.f[c] = odo_csv_field(rec, sec->own[c]);
        }
        if (!row->bad)
            map_own_fields(r, &o, row);
        cJSON_Delete(doc);
        return;
    case S_FUEL:
        map_fuel(r, sec, rec, row);
        return;
    case S_SERVICE:
        map_service(r, sec, rec, row);
        return;
    case S_COSTS:
        map_costs(r, sec, rec, row);
        return;
    case S_READING:
        map_reading(r, sec, rec, row);
        return;
    case S_VEHICLE:
        map_vehicle(r, sec, rec, row);
        return;
    default:
        row->kind = IO_NONE;
        return;
    }
}
