/*
 * Reminder levels and the due list.
 */
#include "storage/reminders.h"

#include <stdio.h>
#include <string.h>

#include "platform/decimal.h"

#include "storage/internal.h"

static const char SQL_MAINT[] =
    "SELECT m.id, m.vehicle_id, v.name, v.odometer_unit, m.type, m.due_date, m.due_odometer "
    "FROM maintenance m JOIN vehicles v ON v.id = m.vehicle_id "
    "WHERE m.user_id = ?1 AND v.user_id = ?1 AND m.deleted_at IS NULL AND v.deleted_at IS NULL "
    "AND (m.due_date IS NOT NULL OR m.due_odometer IS NOT NULL) "
    "ORDER BY coalesce(m.due_date, '9999-12-31'), v.name, m.type";
/* The latest document of each kind per vehicle is the one that matters. */
static const char SQL_RENEWALS[] =
    "SELECT r.id, r.vehicle_id, v.name, v.odometer_unit, r.kind, r.document_number, "
    "max(r.valid_until) FROM renewals r JOIN vehicles v ON v.id = r.vehicle_id "
    "WHERE r.user_id = ?1 AND v.user_id = ?1 AND r.deleted_at IS NULL AND v.deleted_at IS NULL "
    "GROUP BY r.vehicle_id, r.kind ORDER BY max(r.valid_until), v.name";

enum odo_due_level odo_due_level_of(bool has_date, int days_left, bool has_distance,
                                    int64_t distance_left, int soon_days, int64_t soon_distance,
                                    bool *by_distance)
{
    enum odo_due_level by_date = ODO_DUE_OK, by_dist = ODO_DUE_OK;

    if (has_date)
        by_date = days_left < 0            ? ODO_DUE_OVERDUE
                  : days_left <= soon_days ? ODO_DUE_SOON
                                           : ODO_DUE_OK;
    if (has_distance)
        by_dist = distance_left < 0                ? ODO_DUE_OVERDUE
                  : distance_left <= soon_distance ? ODO_DUE_SOON
                                                   : ODO_DUE_OK;
    *by_distance = has_distance && (!has_date || by_dist > by_date);
    return by_dist > by_date ? by_dist : by_date;
}

const char *odo_due_level_name(enum odo_due_level l)
{
    static const char *const names[] = {"ok", "due_soon", "overdue"};
    return names[l];
}

/* odo_due_list's walk over both queries. */
struct due_walk {
    struct odo_store *s;
    const char *user;
    int32_t today;
    const struct odo_settings *set;
    int (*fn)(const struct odo_due *d, void *ctx);
    void *ctx;
    struct odo_err *err;
    bool maint;   /* the query at hand: maintenance items, else documents */
    bool stopped; /* fn had enough */
};

static int due_row(sqlite3_stmt *st, void *ctx)
{
    struct due_walk *w = ctx;
    struct odo_due d;
    char unit[4], kind[16];
    int64_t soon;

    memset(&d, 0, sizeof(d));
    odo_column_text(st, 0, d.item_id, sizeof(d.item_id));
    odo_column_text(st, 1, d.vehicle_id, sizeof(d.vehicle_id));
    odo_column_text(st, 2, d.vehicle_name, sizeof(d.vehicle_name));
    odo_column_text(st, 3, unit, sizeof(unit));
    d.dist_unit = strcmp(unit, "mi") == 0 ? ODO_DIST_MI : ODO_DIST_KM;
    if (w->maint) {
        d.kind = "maintenance";
        odo_column_text(st, 4, d.label, sizeof(d.label));
        d.due_date = odo_column_date(st, 5);
        d.due_odometer = odo_column_int(st, 6, ODO_NONE);
        if (odo_vehicle_odometer(w->s, w->user, d.vehicle_id, &d.odometer, w->err) != 0)
            return ODO_ESTORAGE;
    } else {
        odo_column_text(st, 4, kind, sizeof(kind));
        d.kind = strcmp(kind, "insurance") == 0      ? "insurance"
                 : strcmp(kind, "registration") == 0 ? "registration"
                                                     : "emissions";
        odo_column_text(st, 5, d.label, sizeof(d.label));
        d.due_date = odo_column_date(st, 6);
        d.due_odometer = ODO_NONE;
        d.odometer = ODO_NONE;
    }
    d.days_left = d.due_date != ODO_NO_DATE ? (int)(d.due_date - w->today) : 0;
    d.distance_left =
        d.due_odometer != ODO_NONE && d.odometer != ODO_NONE ? d.due_odometer - d.odometer : 0;
    soon = odo_dist_from_um(odo_dist_to_um(w->set->due_soon_distance, w->set->units.dist),
                            d.dist_unit);
    d.level = odo_due_level_of(d.due_date != ODO_NO_DATE, d.days_left,
                               d.due_odometer != ODO_NONE && d.odometer != ODO_NONE,
                               d.distance_left, w->set->due_soon_days, soon, &d.by_distance);
    w->stopped = w->fn(&d, w->ctx) != 0;
    return w->stopped;
}

int odo_due_list(struct odo_store *s, const char *user, int32_t today,
                 const struct odo_settings *set, int (*fn)(const struct odo_due *d, void *ctx),
                 void *ctx, struct odo_err *err)
{
    const char *const queries[] = {SQL_MAINT, SQL_RENEWALS};
    struct due_walk w = {s, user, today, set, fn, ctx, err, false, false};
    int rc;

    for (size_t q = 0; q < ODO_ARRAY_LEN(queries) && !w.stopped; q++) {
        sqlite3_stmt *st = odo_store_bound(s, queries[q], user, NULL, err);

        w.maint = q == 0;
        if ((rc = odo_store_each(s, st, due_row, &w, "listing reminders", err)))
            return rc;
    }
    return 0;
}

void odo_due_describe(const struct odo_due *d, char *out, size_t cap)
{
    char a[64] = "", b[64] = "", n[ODO_DEC_TEXT_MAX];
    const char *unit = odo_dist_unit_name(d->dist_unit);

    if (d->due_date != ODO_NO_DATE) {
        if (d->days_left > 0)
            snprintf(a, sizeof(a), "in %d day%s", d->days_left, d->days_left == 1 ? "" : "s");
        else if (d->days_left == 0)
            snprintf(a, sizeof(a), "today");
        else
            snprintf(a, sizeof(a), "%d day%s ago", -d->days_left, d->days_left == -1 ? "" : "s");
    }
    if (d->due_odometer != ODO_NONE && d->odometer != ODO_NONE) {
        if (d->distance_left >= 0)
            snprintf(b, sizeof(b), "in %s %s",
                     odo_dec_format(d->distance_left, ODO_SCALE_DISTANCE, 0, n, sizeof(n)), unit);
        else
            snprintf(b, sizeof(b), "%s %s over",
                     odo_dec_format(-d->distance_left, ODO_SCALE_DISTANCE, 0, n, sizeof(n)), unit);
    } else if (d->due_odometer != ODO_NONE) {
        snprintf(b, sizeof(b), "at %s %s (no reading yet)",
                 odo_dec_format(d->due_odometer, ODO_SCALE_DISTANCE, 0, n, sizeof(n)), unit);
    }
    snprintf(out, cap, "%s%s%s", a, a[0] && b[0] ? ", " : "", b);
}
