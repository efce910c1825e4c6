/*
 * The exporter: a logbook as odolog's own CSV or JSON (every kind of record, in the columns
 * formats.c reads back, so that importing an export gives the same logbook), or as LubeLogger's
 * fuel CSV. Rows are streamed from the store to the output one at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "platform/decimal.h"
#include "storage/internal.h"
#include "storage/io/internal.h"

/* A vehicle's fill-ups, readings and service records, in time order. */
static const char SQL_EVENTS[] =
    "SELECT 'fuel', filled_at AS at, odometer, volume, volume_unit, unit_price, total_cost, "
    "currency, is_full, missed, station, notes, NULL, NULL, NULL, NULL, 0 "
    "FROM fuel_logs WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "UNION ALL SELECT 'reading', read_at, odometer, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, notes, NULL, NULL, NULL, NULL, forced "
    "FROM odometer_readings WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "UNION ALL SELECT 'service', performed_at, odometer, NULL, NULL, NULL, NULL, currency, NULL, "
    "NULL, NULL, notes, description, cost, shop, "
    "(SELECT type FROM maintenance m WHERE m.id = s.maintenance_id), 0 "
    "FROM service_records s WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "ORDER BY at, odometer";

int odo_export_format_parse(const char *s, enum odo_export_format *out, struct odo_err *err)
{
    if (strcasecmp(s, "csv") == 0 || strcasecmp(s, "odolog") == 0)
        *out = ODO_EXPORT_CSV;
    else if (strcasecmp(s, "json") == 0 || strcasecmp(s, "odolog-json") == 0)
        *out = ODO_EXPORT_JSON;
    else if (strcasecmp(s, "lubelogger") == 0)
        *out = ODO_EXPORT_LUBELOGGER;
    else
        return odo_err_set(err, ODO_EINVAL,
                           "unknown export format '%s': use csv, lubelogger or "
                           "json",
                           s);
    return 0;
}

/* One record on its way out: odolog's columns as text, "" when empty. */
struct out_row {
    char cell[IO_OWN_COUNT][ODO_NOTES_MAX + 1 > 64 ? 64 : 64];
    const char *text[IO_OWN_COUNT]; /* long texts (notes) point into the record itself */
};

struct exporter {
    struct odo_store *s;
    const char *user;
    enum odo_export_format f;
    const struct odo_settings *set;
    FILE *out;
    long rows;
    bool failed;
    struct out_row row;
    const struct odo_vehicle *v;
    struct odo_err *err;
};

static void clear_row(struct out_row *r)
{
    for (int c = 0; c < IO_OWN_COUNT; c++) {
        r->cell[c][0] = '\0';
        r->text[c] = r->cell[c];
    }
}

static void put_dec(struct out_row *r, enum io_own_column c, int64_t v, int scale)
{
    if (v != ODO_NONE)
        odo_dec_format(v, scale, scale, r->cell[c], sizeof(r->cell[c]));
}

static void put_text(struct out_row *r, enum io_own_column c, const char *s)
{
    r->text[c] = s;
}

static void put_date(struct out_row *r, enum io_own_column c, int32_t d)
{
    if (d != ODO_NO_DATE)
        odo_date_format(d, r->cell[c]);
}

static void put_flag(struct out_row *r, enum io_own_column c, bool b)
{
    snprintf(r->cell[c], sizeof(r->cell[c]), "%d", b);
}

/* Writes a CSV field, quoted when it must be. */
static void csv_field(FILE *out, const char *s, bool first)
{
    if (!first)
        fputc(',', out);
    if (!strpbrk(s, ",\"\r\n") && s[0] != ' ' && (!s[0] || s[strlen(s) - 1] != ' ')) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Whether column c of the JSON is a flag (true/false) rather than text. */
static bool json_flag(enum io_own_column c)
{
    return c == IO_OWN_full || c == IO_OWN_missed || c == IO_OWN_forced;
}

/* Writes the record in the exporter's format. */
static void emit(struct exporter *x)
{
    struct out_row *r = &x->row;

    if (x->f == ODO_EXPORT_CSV) {
        for (int c = 0; c < IO_OWN_COUNT; c++)
            csv_field(x->out, r->text[c], c == 0);
        fputc('\n', x->out);
    } else {
        cJSON *o = cJSON_CreateObject();
        char *text;

        for (int c = 0; c < IO_OWN_COUNT; c++) {
            if (!r->text[c][0])
                continue;
            if (json_flag((enum io_own_column)c))
                cJSON_AddBoolToObject(o, io_own_names[c], strcmp(r->text[c], "1") == 0);
            else
                cJSON_AddStringToObject(o, io_own_names[c], r->text[c]);
        }
        text = cJSON_PrintUnformatted(o);
        fprintf(x->out, "%s%s", x->rows ? ",\n" : "", text ? text : "{}");
        free(text);
        cJSON_Delete(o);
    }
    x->rows++;
    if (ferror(x->out))
        x->failed = true;
}

/* Starts a record of the current vehicle. */
static void begin(struct exporter *x, const char *record)
{
    clear_row(&x->row);
    put_text(&x->row, IO_OWN_record, record);
    put_text(&x->row, IO_OWN_vehicle, x->v->name);
    put_text(&x->row, IO_OWN_vin, x->v->vin);
    put_text(&x->row, IO_OWN_odometer_unit, odo_dist_unit_name(x->v->odometer_unit));
}

static void vehicle_row(struct exporter *x, const struct odo_vehicle *v)
{
    struct out_row *r = &x->row;

    begin(x, "vehicle");
    put_text(r, IO_OWN_make, v->make);
    put_text(r, IO_OWN_model, v->model);
    put_text(r, IO_OWN_trim, v->trim);
    if (v->model_year)
        snprintf(r->cell[IO_OWN_year], sizeof(r->cell[0]), "%d", v->model_year);
    put_text(r, IO_OWN_plate, v->plate);
    put_text(r, IO_OWN_body, v->body_class);
    put_text(r, IO_OWN_engine, v->engine);
    put_text(r, IO_OWN_fuel_type, v->fuel_type);
    put_text(r, IO_OWN_notes, v->notes);
    emit(x);
}

static int maint_row(const struct odo_maint *m, void *ctx)
{
    struct exporter *x = ctx;
    struct out_row *r = &x->row;

    begin(x, "maintenance");
    put_text(r, IO_OWN_maintenance, m->type);
    put_text(r, IO_OWN_category, odo_maint_category_name(m->category));
    put_text(r, IO_OWN_description, m->description);
    put_date(r, IO_OWN_due_date, m->due_date);
    put_dec(r, IO_OWN_due_odometer, m->due_odometer, ODO_SCALE_DISTANCE);
    if (m->interval_months)
        snprintf(r->cell[IO_OWN_every_months], sizeof(r->cell[0]), "%d", m->interval_months);
    if (m->interval_distance)
        put_dec(r, IO_OWN_every_distance, m->interval_distance, ODO_SCALE_DISTANCE);
    put_date(r, IO_OWN_last_date, m->last_done_date);
    put_dec(r, IO_OWN_last_odometer, m->last_done_odometer, ODO_SCALE_DISTANCE);
    put_text(r, IO_OWN_notes, m->notes);
    emit(x);
    return x->failed;
}

static int renewal_row(const struct odo_renewal *d, void *ctx)
{
    struct exporter *x = ctx;
    struct out_row *r = &x->row;

    begin(x, "renewal");
    put_text(r, IO_OWN_kind, odo_renewal_kind_name(d->kind));
    put_text(r, IO_OWN_number, d->document_number);
    put_text(r, IO_OWN_issuer, d->issuer);
    put_date(r, IO_OWN_valid_from, d->valid_from);
    put_date(r, IO_OWN_valid_until, d->valid_until);
    put_dec(r, IO_OWN_cost, d->cost, ODO_SCALE_MONEY);
    put_text(r, IO_OWN_currency, d->currency);
    put_text(r, IO_OWN_notes, d->notes);
    emit(x);
    return x->failed;
}

/* Column i of an events row as text into dst ("" for NULL). */
static void column(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    odo_column_text(st, i, dst, cap);
}

/* One row of SQL_EVENTS in odolog's columns. */
static int event_row(sqlite3_stmt *st, void *ctx)
{
    struct exporter *x = ctx;
    struct out_row *r = &x->row;
    char kind[16], notes[ODO_NOTES_MAX + 1], description[ODO_DESCRIPTION_MAX + 1],
        station[ODO_LABEL_MAX + 1];
    int64_t at;

    column(st, 0, kind, sizeof(kind));
    begin(x, strcmp(kind, "fuel") == 0      ? "fuel"
             : strcmp(kind, "reading") == 0 ? "reading"
                                            : "service");
    column(st, 1, r->cell[IO_OWN_date], sizeof(r->cell[0]));
    /* The store's timestamps are already UTC to the millisecond; only a malformed one is
     * rewritten. */
    if (odo_time_parse(r->cell[IO_OWN_date], &at, NULL) == 0) {
        char t[ODO_TIME_TEXT_LEN + 1];
        odo_time_format(at, t);
        snprintf(r->cell[IO_OWN_date], sizeof(r->cell[0]), "%s", t);
    }
    put_dec(r, IO_OWN_odometer, odo_column_int(st, 2, ODO_NONE), ODO_SCALE_DISTANCE);
    column(st, 11, notes, sizeof(notes));
    put_text(r, IO_OWN_notes, notes);
    if (strcmp(kind, "fuel") == 0) {
        put_dec(r, IO_OWN_volume, odo_column_int(st, 3, ODO_NONE), ODO_SCALE_VOLUME);
        column(st, 4, r->cell[IO_OWN_volume_unit], sizeof(r->cell[0]));
        put_dec(r, IO_OWN_price, odo_column_int(st, 5, ODO_NONE), ODO_SCALE_PRICE);
        put_dec(r, IO_OWN_total, odo_column_int(st, 6, ODO_NONE), ODO_SCALE_MONEY);
        column(st, 7, r->cell[IO_OWN_currency], sizeof(r->cell[0]));
        put_flag(r, IO_OWN_full, sqlite3_column_int(st, 8) != 0);
        put_flag(r, IO_OWN_missed, sqlite3_column_int(st, 9) != 0);
        column(st, 10, station, sizeof(station));
        put_text(r, IO_OWN_station, station);
    } else if (strcmp(kind, "reading") == 0) {
        put_flag(r, IO_OWN_forced, sqlite3_column_int(st, 16) != 0);
    } else {
        column(st, 12, description, sizeof(description));
        put_text(r, IO_OWN_description, description);
        put_dec(r, IO_OWN_cost, odo_column_int(st, 13, ODO_NONE), ODO_SCALE_MONEY);
        column(st, 7, r->cell[IO_OWN_currency], sizeof(r->cell[0]));
        column(st, 14, station, sizeof(station));
        put_text(r, IO_OWN_shop, station);
        column(st, 15, r->cell[IO_OWN_maintenance], sizeof(r->cell[0]));
    }
    emit(x);
    return x->failed;
}

/* ---- LubeLogger ------------------------------------------------------------------------- */

/* A fill-up as a row of LubeLogger's fuel CSV: the vehicle's distance unit, the user's volume
 * unit, dates it reads in any culture (YYYY-MM-DD). */
static int lubelogger_row(sqlite3_stmt *st, void *ctx)
{
    struct exporter *x = ctx;
    char kind[16], at_text[ODO_TIME_TEXT_LEN + 1], notes[ODO_NOTES_MAX + 1], unit[8];
    char day[ODO_DATE_TEXT_LEN + 1], odo[ODO_DEC_TEXT_MAX], vol[ODO_DEC_TEXT_MAX],
        cost[ODO_DEC_TEXT_MAX];
    enum odo_vol_unit u;
    int64_t at, volume, total;

    column(st, 0, kind, sizeof(kind));
    if (strcmp(kind, "fuel") != 0)
        return 0;
    column(st, 1, at_text, sizeof(at_text));
    if (odo_time_parse(at_text, &at, NULL) != 0)
        at = 0;
    odo_date_format(odo_date_local(at), day);
    odo_dec_format(odo_column_int(st, 2, 0), ODO_SCALE_DISTANCE, 0, odo, sizeof(odo));
    column(st, 4, unit, sizeof(unit));
    if (odo_vol_unit_parse(unit, &u, NULL) != 0)
        u = ODO_VOL_L;
    volume = odo_vol_from_pl(odo_vol_to_pl(odo_column_int(st, 3, 0), u), x->set->units.vol);
    odo_dec_format(volume, ODO_SCALE_VOLUME, 0, vol, sizeof(vol));
    total = odo_column_int(st, 6, ODO_NONE);
    odo_dec_format(total == ODO_NONE ? 0 : total, ODO_SCALE_MONEY, 2, cost, sizeof(cost));
    column(st, 11, notes, sizeof(notes));
    csv_field(x->out, day, true);
    csv_field(x->out, odo, false);
    csv_field(x->out, vol, false);
    csv_field(x->out, cost, false);
    csv_field(x->out, "", false);
    csv_field(x->out, sqlite3_column_int(st, 8) ? "True" : "False", false);
    csv_field(x->out, sqlite3_column_int(st, 9) ? "True" : "False", false);
    csv_field(x->out, notes, false);
    csv_field(x->out, "", false);
    fputc('\n', x->out);
    x->rows++;
    x->failed |= ferror(x->out) != 0;
    return x->failed;
}

/* ---- the whole logbook ------------------------------------------------------------------ */

static int events(struct exporter *x, int (*row)(sqlite3_stmt *st, void *ctx))
{
    sqlite3_stmt *st = odo_store_bound(x->s, SQL_EVENTS, x->v->id, x->user, x->err);

    return odo_store_each(x->s, st, row, x, "reading the records to export", x->err);
}

/* Everything of one vehicle: itself, its items, its documents, its events in time order. */
static int one_vehicle(const struct odo_vehicle *v, void *ctx)
{
    struct exporter *x = ctx;
    int rc;

    x->v = v;
    vehicle_row(x, v);
    if ((rc = odo_maint_list(x->s, x->user, v->id, maint_row, x, x->err)) ||
        (rc = odo_renewal_list(x->s, x->user, v->id, renewal_row, x, x->err)) ||
        (rc = events(x, event_row)))
        return rc < 0 ? rc : 1;
    return x->failed;
}

int odo_export(struct odo_store *s, const char *user, const char *vehicle_id,
               enum odo_export_format f, const struct odo_settings *settings, FILE *out, long *rows,
               struct odo_err *err)
{
    struct exporter *x = calloc(1, sizeof(*x));
    struct odo_vehicle v;
    int rc = 0;

    if (rows)
        *rows = 0;
    if (!x)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    x->s = s;
    x->user = user;
    x->f = f;
    x->set = settings;
    x->out = out;
    x->err = err;
    if (f == ODO_EXPORT_LUBELOGGER) {
        if (!vehicle_id) {
            rc = odo_err_set(err, ODO_EINVAL,
                             "LubeLogger's layout holds the fill-ups of one vehicle: say which");
            goto out_free;
        }
        if ((rc = odo_vehicle_get(s, user, vehicle_id, &v, err)))
            goto out_free;
        x->v = &v;
        fputs("Date,Odometer,FuelConsumed,Cost,FuelEconomy,IsFillToFull,MissedFuelUp,Notes,Tags\n",
              out);
        rc = events(x, lubelogger_row);
        goto out_done;
    }
    if (f == ODO_EXPORT_CSV) {
        for (int c = 0; c < IO_OWN_COUNT; c++)
            csv_field(out, io_own_names[c], c == 0);
        fputc('\n', out);
    } else {
        fputs("{\"format\":\"odolog\",\"version\":1,\"records\":[\n", out);
    }
    if (vehicle_id) {
        if ((rc = odo_vehicle_get(s, user, vehicle_id, &v, err)) == 0) {
            int stop = one_vehicle(&v, x);
            rc = stop < 0 ? stop : 0;
        }
    } else {
        rc = odo_vehicle_list(s, user, false, one_vehicle, x, err);
    }
    if (f == ODO_EXPORT_JSON && rc == 0)
        fputs("\n]}\n", out);
out_done:
    if (rows)
        *rows = x->rows;
    if (rc == 0 && (x->failed || ferror(out)))
        rc = odo_err_set(err, ODO_EIO, "writing the export failed (is the disk full?)");
out_free:
    free(x);
    return rc;
}
