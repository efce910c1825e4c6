/*
 * The importer: reads a file through its format (formats.c, rows.c), finds or creates each
 * row's vehicle, converts its units, skips what the logbook already has, and writes the rest
 * through the repositories' rules, all in one transaction.
 *
 * Rows of a vehicle usually come in date order and after everything the logbook already holds
 * for it. Then only the first row needs the store's checks: the others are checked against the
 * row before them, which is what the odometer rule amounts to, and written with the plain
 * inserts (the "fast" way, which keeps a 100,000-row import close to SQLite's own speed). Any
 * other row, or any row of a vehicle whose order breaks, goes through the full checks and a
 * look for a duplicate, one by one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform/decimal.h"
#include "storage/internal.h"
#include "storage/io/importer.h"

/* The page cache an import's transaction may fill before SQLite writes pages out early (in KiB,
 * as PRAGMA cache_size takes it when negative): a long transaction that spills rewrites the same
 * hot pages (the clock row, the outbox's index) over and over. Memory stays bounded by it. */
#define IO_IMPORT_CACHE_KIB 65536

static const char SQL_LATER[] =
    "SELECT EXISTS (SELECT 1 FROM fuel_logs WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND filled_at >= ?3) "
    "OR EXISTS (SELECT 1 FROM odometer_readings WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND read_at >= ?3) "
    "OR EXISTS (SELECT 1 FROM service_records WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND performed_at >= ?3)";
static const char SQL_SAME_FUEL[] =
    "SELECT 1 FROM fuel_logs WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND filled_at = ?3 AND odometer = ?4 AND volume = ?5 AND volume_unit = ?6";
static const char SQL_SAME_READING[] =
    "SELECT 1 FROM odometer_readings WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND read_at = ?3 AND odometer = ?4";
static const char SQL_SAME_SERVICE[] =
    "SELECT 1 FROM service_records WHERE vehicle_id = ?1 AND user_id = ?2 "
    "AND deleted_at IS NULL AND performed_at = ?3 AND description = ?4 AND odometer IS ?5";
static const char SQL_SAME_RENEWAL[] =
    "SELECT 1 FROM renewals WHERE vehicle_id = ?1 AND user_id = ?2 AND deleted_at IS NULL "
    "AND kind = ?3 AND valid_from = ?4 AND valid_until = ?5 AND document_number IS ?6";

/* Rows staged at most before they are written: memory stays bounded. */
#define IO_STAGE_MAX 4096

/* Writes the staged rows: before anything looks at the store's rows again, and every
 * IO_STAGE_MAX rows. */
static int flush(struct importer *im)
{
    int rc;

    if (!im->staged)
        return 0;
    if ((rc = odo_fuel_flush(im->s, im->err)) || (rc = odo_odometer_flush(im->s, im->err)))
        return rc;
    im->staged = 0;
    return 0;
}

/* Reports a bad row. */
void io_problem(struct importer *im, long line, const char *why)
{
    struct odo_import_problem p;

    im->rep->bad++;
    p.line = line;
    snprintf(p.why, sizeof(p.why), "%s", why);
    if (im->opt->on_problem)
        im->opt->on_problem(&p, im->opt->ctx);
}

/* The currency of costs the file gives none for. */
static void default_currency(const struct importer *im, char out[4])
{
    snprintf(out, 4, "%s", im->opt->currency ? im->opt->currency : im->opt->settings->currency);
    (void)!odo_currency_check(out, NULL);
}

/* Whether a query with (vehicle, user) and the row's key finds a row. */
static int exists(struct importer *im, sqlite3_stmt *st, bool *found)
{
    return odo_store_row(im->s, st, NULL, NULL, found, "looking for the row", im->err);
}

static void read_flag(sqlite3_stmt *st, void *out)
{
    *(bool *)out = sqlite3_column_int(st, 0) != 0;
}

static int is_duplicate(struct importer *im, const struct vref *v, const struct io_row *row,
                        bool *dup)
{
    char at[ODO_TIME_TEXT_LEN + 1], d1[ODO_DATE_TEXT_LEN + 1], d2[ODO_DATE_TEXT_LEN + 1];
    sqlite3_stmt *st = NULL;

    *dup = false;
    odo_time_format(row->at, at);
    switch (row->kind) {
    case IO_FUEL:
        st = odo_store_bound(im->s, SQL_SAME_FUEL, v->v.id, im->user, im->err);
        if (st) {
            sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 4, row->r.fuel.odometer);
            sqlite3_bind_int64(st, 5, row->r.fuel.volume);
            sqlite3_bind_text(st, 6, odo_vol_unit_name(row->r.fuel.volume_unit), -1, SQLITE_STATIC);
        }
        break;
    case IO_READING:
        st = odo_store_bound(im->s, SQL_SAME_READING, v->v.id, im->user, im->err);
        if (st) {
            sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 4, row->r.reading.odometer);
        }
        break;
    case IO_SERVICE:
        st = odo_store_bound(im->s, SQL_SAME_SERVICE, v->v.id, im->user, im->err);
        if (st) {
            sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 4, row->r.service.description, -1, SQLITE_STATIC);
            odo_bind_int(st, 5, row->r.service.odometer, row->r.service.odometer != ODO_NONE);
        }
        break;
    case IO_RENEWAL:
        st = odo_store_bound(im->s, SQL_SAME_RENEWAL, v->v.id, im->user, im->err);
        if (st) {
            odo_date_format(row->r.renewal.valid_from, d1);
            odo_date_format(row->r.renewal.valid_until, d2);
            sqlite3_bind_text(st, 3, odo_renewal_kind_name(row->r.renewal.kind), -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, d1, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 5, d2, -1, SQLITE_TRANSIENT);
            odo_bind_text(st, 6, row->r.renewal.document_number);
        }
        break;
    default:
        return 0;
    }
    return exists(im, st, dup);
}

/* Converts the row's odometer values to the vehicle's unit. */
static void convert(struct importer *im, const struct vref *v, struct io_row *row)
{
    enum odo_dist_unit to = v->v.odometer_unit;
    int64_t *odo = row->kind == IO_FUEL      ? &row->r.fuel.odometer
                   : row->kind == IO_READING ? &row->r.reading.odometer
                   : row->kind == IO_SERVICE ? &row->r.service.odometer
                                             : NULL;

    if (!row->dist_known || row->dist == to)
        return;
    if (odo && *odo != ODO_NONE) {
        *odo = odo_dist_from_um(odo_dist_to_um(*odo, row->dist), to);
        im->rep->converted++;
    }
    if (row->trip != ODO_NONE)
        row->trip = odo_dist_from_um(odo_dist_to_um(row->trip, row->dist), to);
}

/* The odometer of a fill-up that gives only the distance since the previous one. */
static int place_by_trip(struct importer *im, struct vref *v, struct io_row *row, char *why,
                         size_t cap)
{
    int64_t prev = v->prev_odo;
    int rc;

    if (row->r.fuel.odometer != ODO_NONE || row->trip == ODO_NONE)
        return 0;
    if (v->started && row->at < v->prev_at) {
        snprintf(why, cap,
                 "a fill-up placed by its distance (no odometer) needs the rows in "
                 "date order");
        return ODO_EINVAL;
    }
    if (!v->started &&
        (rc = odo_odometer_previous(im->s, im->user, &v->v, row->at, NULL, &prev, im->err)))
        return rc;
    row->r.fuel.odometer = (prev == ODO_NONE || prev < 0 ? 0 : prev) + row->trip;
    return 0;
}

/* The checks of the fast way: the row against the one before it of the same vehicle. */
static int fast_checks(struct importer *im, const struct vref *v, struct io_row *row,
                       struct odo_err *e)
{
    char a[ODO_DEC_TEXT_MAX], b[ODO_DEC_TEXT_MAX];
    const char *unit = odo_dist_unit_name(v->v.odometer_unit);
    int64_t odo = row->kind == IO_FUEL ? row->r.fuel.odometer : row->r.reading.odometer;

    if (odo < v->prev_odo)
        return odo_err_set(e, ODO_EINVAL,
                           "odometer %s %s is lower than %s %s the row before says; odometers do "
                           "not go backwards",
                           odo_dec_format(odo, ODO_SCALE_DISTANCE, 0, a, sizeof(a)), unit,
                           odo_dec_format(v->prev_odo, ODO_SCALE_DISTANCE, 0, b, sizeof(b)), unit);
    if (odo > ODO_ODOMETER_MAX)
        return odo_err_set(e, ODO_EINVAL, "an odometer reads 0 to 9999999.9 %s", unit);
    if (row->kind == IO_FUEL && !row->r.fuel.missed && !im->opt->confirm_distance &&
        odo_dist_to_um(odo - v->prev_odo, v->v.odometer_unit) >
            odo_fuel_jump_limit_um(odo_vol_to_pl(row->r.fuel.volume, row->r.fuel.volume_unit)))
        return odo_err_set(
            e, ODO_EINVAL,
            "odometer %s %s is %s %s past the row before: more than any car goes on one tank "
            "(a typo? if fill-ups were not logged, mark the row missed, or give "
            "--confirm-distance)",
            odo_dec_format(odo, ODO_SCALE_DISTANCE, 0, a, sizeof(a)), unit,
            odo_dec_format(odo - v->prev_odo, ODO_SCALE_DISTANCE, 0, b, sizeof(b)), unit);
    return 0;
}

/* Links a service record to the maintenance item of its vehicle it completed (odolog's own
 * rows name it by type). */
static int link_item(struct importer *im, const struct vref *v, struct io_row *row,
                     struct odo_err *e)
{
    struct odo_maint m;
    int rc;

    row->r.service.maintenance_id[0] = '\0';
    if (!row->maint_type[0])
        return 0;
    rc = odo_maint_find(im->s, im->user, row->maint_type, v->v.id, false, &m, e);
    if (rc == 0)
        memcpy(row->r.service.maintenance_id, m.id, sizeof(m.id));
    return rc == ODO_ENOTFOUND ? 0 : rc; /* the item may be gone: the work stands alone */
}

/* Writes one data row with the repositories' rules. 0, ODO_EINVAL (e says why: the row is
 * bad), or a storage error. */
static int write_row(struct importer *im, struct vref *v, struct io_row *row, struct odo_err *e)
{
    bool fast = v->started && v->fast && row->at >= v->prev_at &&
                (row->kind == IO_FUEL || (row->kind == IO_READING && !row->r.reading.forced));
    bool dup = false;
    int rc;

    if (v->started && row->at < v->prev_at)
        v->fast = false; /* out of order: every later row of it is checked in full */
    /* What is checked against the store must find the rows staged before it there. */
    if ((!fast || row->at == v->prev_at || im->staged >= IO_STAGE_MAX) && (rc = flush(im)))
        return rc;
    if (!fast && (rc = is_duplicate(im, v, row, &dup)))
        return rc;
    if (fast && row->at == v->prev_at) {
        /* The same moment as the row before: maybe the same row twice in the file. */
        if ((rc = is_duplicate(im, v, row, &dup)))
            return rc;
    }
    if (dup) {
        im->rep->duplicates++;
        return 0;
    }
    switch (row->kind) {
    case IO_FUEL:
        memcpy(row->r.fuel.vehicle_id, v->v.id, sizeof(v->v.id));
        row->r.fuel.filled_at = row->at;
        if (!row->r.fuel.currency[0] &&
            (row->r.fuel.total_cost != ODO_NONE || row->r.fuel.unit_price != ODO_NONE))
            default_currency(im, row->r.fuel.currency);
        if (fast) {
            if ((rc = fast_checks(im, v, row, e)) || (rc = odo_fuel_check(im->s, &row->r.fuel, e)))
                return rc;
            rc = odo_fuel_stage(im->s, im->user, &row->r.fuel, e);
            im->staged++;
        } else {
            rc = odo_fuel_save(im->s, im->user, &row->r.fuel,
                               ODO_FUEL_NEW |
                                   (im->opt->confirm_distance ? ODO_FUEL_CONFIRM_DISTANCE : 0),
                               NULL, e);
        }
        if (rc == 0)
            im->rep->fills++;
        break;
    case IO_READING:
        memcpy(row->r.reading.vehicle_id, v->v.id, sizeof(v->v.id));
        row->r.reading.read_at = row->at;
        if (fast) {
            if ((rc = fast_checks(im, v, row, e)) ||
                (rc = odo_text_check(row->r.reading.notes, ODO_NOTES_MAX, "the notes", e)))
                return rc;
            rc = odo_odometer_stage(im->s, im->user, &row->r.reading, e);
            im->staged++;
        } else {
            rc = odo_odometer_add(im->s, im->user, &row->r.reading, e);
        }
        if (rc == 0)
            im->rep->readings++;
        break;
    case IO_SERVICE:
        memcpy(row->r.service.vehicle_id, v->v.id, sizeof(v->v.id));
        row->r.service.performed_at = row->at;
        if (row->r.service.cost != ODO_NONE && !row->r.service.currency[0])
            default_currency(im, row->r.service.currency);
        if ((rc = link_item(im, v, row, e)) || (rc = odo_service_check(im->s, &row->r.service, e)))
            return rc;
        if (!row->r.service.description[0])
            return odo_err_set(e, ODO_EINVAL, "the service record does not say what was done");
        if ((rc = odo_service_insert(im->s, im->user, &v->v, &row->r.service, e)) == 0)
            im->rep->services++;
        break;
    case IO_RENEWAL:
        memcpy(row->r.renewal.vehicle_id, v->v.id, sizeof(v->v.id));
        if (row->r.renewal.cost != ODO_NONE && !row->r.renewal.currency[0])
            default_currency(im, row->r.renewal.currency);
        if ((rc = odo_renewal_add(im->s, im->user, &row->r.renewal, e)) == 0)
            im->rep->renewals++;
        return rc;
    case IO_MAINT: {
        struct odo_maint m;
        memcpy(row->r.maint.vehicle_id, v->v.id, sizeof(v->v.id));
        rc = odo_maint_find(im->s, im->user, row->r.maint.type, v->v.id, false, &m, e);
        if (rc == 0) {
            im->rep->duplicates++; /* the vehicle has this item already */
            return 0;
        }
        if (rc != ODO_ENOTFOUND)
            return rc;
        if ((rc = odo_maint_add_as_is(im->s, im->user, &row->r.maint, e)) == 0)
            im->rep->maintenance++;
        return rc;
    }
    default:
        return 0;
    }
    if (rc)
        return rc;
    /* What the rows after it are checked against. */
    if (!v->started) {
        bool later = false;
        char at[ODO_TIME_TEXT_LEN + 1];
        sqlite3_stmt *st = odo_store_bound(im->s, SQL_LATER, v->v.id, im->user, im->err);

        odo_time_format(row->at + 1, at);
        if (st)
            sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
        if ((rc = odo_store_row(im->s, st, read_flag, &later, NULL, "checking the vehicle's rows",
                                im->err)))
            return rc;
        v->started = true;
        v->fast = !later;
    }
    if (row->kind == IO_FUEL || row->kind == IO_READING ||
        (row->kind == IO_SERVICE && row->r.service.odometer != ODO_NONE)) {
        int64_t odo = row->kind == IO_FUEL      ? row->r.fuel.odometer
                      : row->kind == IO_READING ? row->r.reading.odometer
                                                : row->r.service.odometer;
        if (row->at >= v->prev_at) {
            v->prev_at = row->at;
            v->prev_odo = odo;
        }
    }
    return 0;
}

/* Reads, places and writes one row; a bad row is reported and left out. A negative result
 * other than a bad row stops the import. */
static int take_row(struct importer *im, struct io_row *row)
{
    char why[sizeof(row->why)] = "";
    struct odo_err e;
    struct vref *v;
    int rc;

    if (row->kind == IO_VEHICLE && im->vehicles_first)
        return 0; /* taken already */
    im->rep->rows++;
    if (row->bad) {
        io_problem(im, row->line, row->why);
        return 0;
    }
    if (row->kind == IO_VEHICLE) {
        io_take_vehicle_row(im, row);
        return 0;
    }
    v = io_row_vehicle(im, row);
    if (!v) {
        io_problem(im, row->line, "the file names more vehicles than one import takes");
        return 0;
    }
    if (!v->v.id[0]) {
        io_problem(im, row->line, v->why[0] ? v->why : "the row's vehicle is not in your logbook");
        return 0;
    }
    convert(im, v, row);
    if (row->kind == IO_FUEL && (rc = place_by_trip(im, v, row, why, sizeof(why)))) {
        if (rc != ODO_EINVAL)
            return rc;
        io_problem(im, row->line, why);
        return 0;
    }
    e.code = 0;
    e.msg[0] = '\0';
    rc = write_row(im, v, row, &e);
    if (rc == ODO_EINVAL || rc == ODO_EEXIST || rc == ODO_ENOTFOUND) {
        io_problem(im, row->line, e.msg[0] ? e.msg : odo_strerror(rc));
        return 0;
    }
    if (rc)
        *im->err = e;
    return rc;
}

/* Looks at every date of the file first, when its day and month could come either way. */
static int settle_date_order(struct importer *im, enum odo_date_order *order)
{
    struct io_dates d;
    int rc;

    memset(&d, 0, sizeof(d));
    *order = im->opt->date_order;
    if (*order != ODO_DATE_ORDER_AUTO || !io_reader_needs_date_order(im->r))
        return 0;
    while ((rc = io_reader_dates(im->r, &d, im->err)) == 1)
        ;
    if (rc < 0)
        return rc;
    if (d.mdy && d.dmy)
        return odo_err_set(im->err, ODO_EINVAL,
                           "the file's dates disagree: line %ld can only be month/day/year, line "
                           "%ld only day/month/year; correct the file",
                           d.mdy_line, d.dmy_line);
    if (d.mdy)
        *order = ODO_DATE_ORDER_MDY;
    else if (d.dmy)
        *order = ODO_DATE_ORDER_DMY;
    else if (d.either)
        return odo_err_set(im->err, ODO_EINVAL,
                           "the file's dates could be month/day/year or day/month/year (line %ld "
                           "reads both ways, and no date in the file tells): say which with "
                           "--date-format mdy or --date-format dmy",
                           d.either_line);
    return 0;
}

/*
 * A sectioned file's vehicle rows, before its other rows: Drivvo describes its one vehicle after
 * the fill-ups that are for it.
 */
static int take_vehicles_first(struct importer *im, enum odo_date_order order)
{
    struct io_row *row;
    int rc;

    if (im->rep->format != ODO_FORMAT_ACAR && im->rep->format != ODO_FORMAT_DRIVVO)
        return 0;
    if (!(row = malloc(sizeof(*row))))
        return odo_err_set(im->err, ODO_ENOMEM, "out of memory");
    while ((rc = io_reader_next(im->r, row, im->err)) == 1)
        if (row->kind == IO_VEHICLE && (rc = take_row(im, row)))
            break;
    free(row);
    if (rc < 0)
        return rc;
    im->vehicles_first = true;
    return io_reader_rewind(im->r, order, im->err);
}

/* The pass that writes: every row, in the file's order. */
static int import_rows(struct importer *im)
{
    struct io_row *row = malloc(sizeof(*row));
    int rc;

    if (!row)
        return odo_err_set(im->err, ODO_ENOMEM, "out of memory");
    while ((rc = io_reader_next(im->r, row, im->err)) == 1) {
        if ((rc = take_row(im, row)))
            break;
        if (im->opt->on_progress && ++im->since_progress >= 1024) {
            im->since_progress = 0;
            im->opt->on_progress(io_reader_position(im->r), io_reader_size(im->r), im->opt->ctx);
        }
    }
    free(row);
    return rc < 0 ? rc : 0;
}

int odo_import_file(struct odo_store *s, const char *user, const char *path,
                    const struct odo_import_options *opt, struct odo_import_report *rep,
                    struct odo_err *err)
{
    struct importer im;
    enum odo_date_order order;
    int rc;

    memset(rep, 0, sizeof(*rep));
    memset(&im, 0, sizeof(im));
    im.s = s;
    im.user = user;
    im.path = path;
    im.opt = opt;
    im.rep = rep;
    im.err = err;
    if ((rc = odo_user_check(user, err)))
        return rc;
    if (opt->currency) {
        char c[4];
        snprintf(c, sizeof(c), "%s", opt->currency);
        if (strlen(opt->currency) != 3 || (rc = odo_currency_check(c, err)))
            return odo_err_set(err, ODO_EINVAL,
                               "a currency is a three-letter ISO code such as "
                               "EUR");
    }
    if ((rc = io_reader_open(path, opt->format, opt, &im.r, &rep->format, err)))
        return rc;
    im.vehicles = calloc(IO_VEHICLES_MAX, sizeof(*im.vehicles));
    if (!im.vehicles) {
        rc = odo_err_set(err, ODO_ENOMEM, "out of memory");
        goto out_close;
    }
    if ((rc = settle_date_order(&im, &order)) || (rc = io_reader_rewind(im.r, order, err)))
        goto out_close;
    if ((rc = odo_store_exec(s,
                             "PRAGMA cache_size = -" ODO_STORE_STR(
                                 IO_IMPORT_CACHE_KIB) "; PRAGMA temp_store = MEMORY",
                             err, "preparing the import")) ||
        (rc = odo_store_begin(s, err)))
        goto out_close;
    if (opt->vehicle) {
        if ((rc = odo_vehicle_resolve(s, user, opt->vehicle, false, &im.forced, err)))
            goto out_rollback;
        im.have_forced = true;
    }
    if ((rc = take_vehicles_first(&im, order)) || (rc = import_rows(&im)) || (rc = flush(&im)))
        goto out_rollback;
    io_take_unused_vehicles(&im);
    if (opt->on_progress)
        opt->on_progress(io_reader_size(im.r), io_reader_size(im.r), opt->ctx);
    if (rep->bad && !opt->skip_bad) {
        rc = odo_err_set(err, ODO_EINVAL,
                         "%ld row%s of %s %s bad: nothing was imported (correct %s, or give "
                         "--skip-bad to import the rest)",
                         rep->bad, rep->bad == 1 ? "" : "s", path, rep->bad == 1 ? "is" : "are",
                         rep->bad == 1 ? "it" : "them");
        goto out_rollback;
    }
    if (opt->dry_run) {
        odo_store_rollback(s);
        goto out_close;
    }
    if ((rc = odo_store_commit(s, err)))
        goto out_close;
    rep->stored = true;
    goto out_close;
out_rollback:
    odo_store_rollback(s);
out_close:
    /* Back to SQLite's default cache for whatever the store does next. */
    (void)!odo_store_exec(s, "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT", NULL,
                          "after the import");
    io_reader_close(im.r);
    free(im.vehicles);
    return rc;
}
