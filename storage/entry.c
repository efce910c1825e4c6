/*
 * Typed input into exact quantities, for every front end.
 */
#include "storage/entry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "platform/decimal.h"
#include "storage/odometer.h"

int odo_entry_distance(const char *s, const char *what, int64_t *out, struct odo_err *err)
{
    int rc = odo_dec_parse(s, ODO_SCALE_DISTANCE, out, what, err);
    if (rc == 0 && (*out < 0 || *out > ODO_ODOMETER_MAX))
        return odo_err_set(err, ODO_EINVAL, "%s must be between 0 and 9999999.9", what);
    return rc;
}

int odo_entry_volume(const char *s, int64_t *out, struct odo_err *err)
{
    int rc = odo_dec_parse(s, ODO_SCALE_VOLUME, out, "the volume", err);
    if (rc == 0 && *out <= 0)
        return odo_err_set(err, ODO_EINVAL, "the volume must be more than zero");
    return rc;
}

int odo_entry_price(const char *s, int64_t *out, struct odo_err *err)
{
    int rc = odo_dec_parse(s, ODO_SCALE_PRICE, out, "the price", err);
    if (rc == 0 && *out < 0)
        return odo_err_set(err, ODO_EINVAL, "the price must not be negative");
    return rc;
}

int odo_entry_money(const char *s, const char *what, int64_t *out, struct odo_err *err)
{
    int rc = odo_dec_parse(s, ODO_SCALE_MONEY, out, what, err);
    if (rc == 0 && *out < 0)
        return odo_err_set(err, ODO_EINVAL, "%s must not be negative", what);
    return rc;
}

int odo_entry_int(const char *s, const char *what, long min, long max, long *out,
                  struct odo_err *err)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return odo_err_set(err, ODO_EINVAL, "%s must be a whole number from %ld to %ld", what, min,
                           max);
    *out = v;
    return 0;
}

int odo_entry_copy(char *dst, size_t cap, const char *src, const char *what, struct odo_err *err)
{
    size_t n = strlen(src);

    if (n >= cap)
        return odo_err_set(err, ODO_EINVAL, "%s is too long: at most %zu bytes", what, cap - 1);
    memcpy(dst, src, n + 1);
    return 0;
}

void odo_fuel_entry_start(const struct odo_vehicle *v, const struct odo_settings *set, int64_t now,
                          struct odo_fuel_log *f)
{
    memset(f, 0, sizeof(*f));
    memcpy(f->vehicle_id, v->id, sizeof(v->id));
    f->volume_unit = set->units.vol;
    f->unit_price = ODO_NONE;
    f->total_cost = ODO_NONE;
    f->full = true;
    f->filled_at = now;
}

/* Records which field failed and passes rc on. */
static int at(enum odo_fuel_field *field, enum odo_fuel_field which, int rc)
{
    if (rc && field)
        *field = which;
    return rc;
}

int odo_fuel_entry_apply(const struct odo_fuel_entry *e, const struct odo_settings *set,
                         struct odo_fuel_log *f, enum odo_fuel_field *field, struct odo_err *err)
{
    int rc;

    if (field)
        *field = ODO_FUEL_FIELD_NONE;
    if (e->odometer &&
        (rc = at(field, ODO_FUEL_FIELD_ODOMETER,
                 odo_entry_distance(e->odometer, "the odometer", &f->odometer, err))))
        return rc;
    if (e->unit &&
        (rc = at(field, ODO_FUEL_FIELD_UNIT, odo_vol_unit_parse(e->unit, &f->volume_unit, err))))
        return rc;
    if (e->volume &&
        (rc = at(field, ODO_FUEL_FIELD_VOLUME, odo_entry_volume(e->volume, &f->volume, err))))
        return rc;
    if (e->price || e->total) {
        /* The one of price and total not given is recomputed from the other. */
        f->unit_price = ODO_NONE;
        f->total_cost = ODO_NONE;
    } else if (e->volume && f->unit_price != ODO_NONE) {
        /* A new volume at the same price: the total follows. */
        f->total_cost = ODO_NONE;
    }
    if (e->price &&
        (rc = at(field, ODO_FUEL_FIELD_PRICE, odo_entry_price(e->price, &f->unit_price, err))))
        return rc;
    if (e->total && (rc = at(field, ODO_FUEL_FIELD_TOTAL,
                             odo_entry_money(e->total, "the total", &f->total_cost, err))))
        return rc;
    if (e->currency && (rc = at(field, ODO_FUEL_FIELD_CURRENCY,
                                odo_entry_copy(f->currency, sizeof(f->currency), e->currency,
                                               "the currency", err))))
        return rc;
    if (e->date &&
        (rc = at(field, ODO_FUEL_FIELD_DATE, odo_time_parse(e->date, &f->filled_at, err))))
        return rc;
    if (e->station &&
        (rc = at(field, ODO_FUEL_FIELD_STATION,
                 odo_entry_copy(f->station, sizeof(f->station), e->station, "the station", err))))
        return rc;
    if (e->notes &&
        (rc = at(field, ODO_FUEL_FIELD_NOTES,
                 odo_entry_copy(f->notes, sizeof(f->notes), e->notes, "the notes", err))))
        return rc;
    if (e->full >= 0)
        f->full = e->full != 0;
    if (e->missed >= 0)
        f->missed = e->missed != 0;
    if (!f->currency[0])
        memcpy(f->currency, set->currency, sizeof(f->currency));
    return 0;
}
