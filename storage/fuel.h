/*
 * Fuel logs: a fill-up with its odometer, volume, price and whether the tank was filled.
 *
 * Volumes are in thousandths of the log's own unit, unit prices in thousandths of a currency unit
 * per volume unit, totals in hundredths. Given one of price and total, the other is computed
 * (rounded half away from zero); given both, both are kept as the pump printed them.
 */
#ifndef ODO_STORAGE_FUEL_H
#define ODO_STORAGE_FUEL_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/uuid.h"
#include "storage/economy.h"
#include "storage/store.h"
#include "storage/units.h"
#include "storage/vehicles.h"

#define ODO_UNIT_PRICE_MAX 100000000LL  /* 100,000 per volume unit, in thousandths */
#define ODO_MONEY_MAX      1000000000LL /* 10,000,000 in hundredths */

struct odo_fuel_log {
    char id[ODO_UUID_TEXT_LEN + 1];
    char vehicle_id[ODO_UUID_TEXT_LEN + 1];
    int64_t filled_at; /* ms UTC */
    int64_t odometer;  /* tenths of the vehicle's unit */
    int64_t volume;    /* thousandths of volume_unit, > 0 */
    enum odo_vol_unit volume_unit;
    int64_t unit_price; /* thousandths per volume unit, or ODO_NONE */
    int64_t total_cost; /* hundredths, or ODO_NONE */
    char currency[4];   /* ISO 4217, "" when no price is known */
    bool full;
    bool missed; /* a fill-up before this one was not logged */
    char station[ODO_LABEL_MAX + 1];
    char notes[ODO_NOTES_MAX + 1];
    char created_at[ODO_TIME_TEXT_LEN + 1];
    char updated_at[ODO_TIME_TEXT_LEN + 1];
    char deleted_at[ODO_TIME_TEXT_LEN + 1];
};

/* Which field of a fill-up a refusal is about, so that a form can show it beside that field. */
enum odo_fuel_field {
    ODO_FUEL_FIELD_NONE, /* the whole fill-up, or the database */
    ODO_FUEL_FIELD_VEHICLE,
    ODO_FUEL_FIELD_DATE,
    ODO_FUEL_FIELD_ODOMETER,
    ODO_FUEL_FIELD_VOLUME,
    ODO_FUEL_FIELD_UNIT,
    ODO_FUEL_FIELD_PRICE,
    ODO_FUEL_FIELD_TOTAL,
    ODO_FUEL_FIELD_CURRENCY,
    ODO_FUEL_FIELD_STATION,
    ODO_FUEL_FIELD_NOTES,
};

/* The largest plausible single fill, in thousandths of unit u (2000 L, 530 US gal, 440 imp gal). */
int64_t odo_fuel_volume_max(enum odo_vol_unit u);

/*
 * Adds log for a live vehicle of user after checking every field (volume, price, total, date no
 * more than a day ahead, odometer against the vehicle's readings). Fills id, timestamps, and the
 * missing one of price and total. Errors: ODO_EINVAL, ODO_ENOTFOUND (vehicle), storage errors.
 */
int odo_fuel_add(struct odo_store *s, const char *user, struct odo_fuel_log *log,
                 struct odo_err *err) ODO_MUST_CHECK;

/*
 * odo_fuel_add (is_new) or odo_fuel_update, telling in *field (may be NULL) which field a
 * refusal is about: the same checks, the same sentences.
 */
int odo_fuel_save(struct odo_store *s, const char *user, struct odo_fuel_log *log, bool is_new,
                  enum odo_fuel_field *field, struct odo_err *err) ODO_MUST_CHECK;

/* The user's latest live fill-up (by date), of vehicle_id when it is not NULL: what a new one
 * is offered (price, station). ODO_ENOTFOUND when there is none. */
int odo_fuel_last(struct odo_store *s, const char *user, const char *vehicle_id,
                  struct odo_fuel_log *log, struct odo_err *err) ODO_MUST_CHECK;

/* Reads fuel log id of user (live or deleted). ODO_ENOTFOUND when there is none. */
int odo_fuel_get(struct odo_store *s, const char *user, const char *id, struct odo_fuel_log *log,
                 struct odo_err *err) ODO_MUST_CHECK;

/* Finds a live fuel log by id or unique id prefix (at least 4 characters). */
int odo_fuel_resolve(struct odo_store *s, const char *user, const char *ref,
                     struct odo_fuel_log *log, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Rewrites live fuel log log->id with log's fields, with the checks of odo_fuel_add. Set
 * unit_price or total_cost to ODO_NONE to have it recomputed from the other.
 */
int odo_fuel_update(struct odo_store *s, const char *user, struct odo_fuel_log *log,
                    struct odo_err *err) ODO_MUST_CHECK;

/* Soft-deletes live fuel log id. */
int odo_fuel_remove(struct odo_store *s, const char *user, const char *id,
                    struct odo_err *err) ODO_MUST_CHECK;

/*
 * Streams the live fuel logs of one vehicle in time order. For each, *reset tells whether a
 * forced odometer reading (cluster swap) lies between it and the previous log, so that economy
 * is not measured across the swap. fn returns nonzero to stop.
 */
int odo_fuel_list(struct odo_store *s, const char *user, const char *vehicle_id,
                  int (*fn)(const struct odo_fuel_log *log, bool reset, void *ctx), void *ctx,
                  struct odo_err *err) ODO_MUST_CHECK;

/* The fill as storage/economy.h sees it: canonical units. */
void odo_fuel_to_fill(const struct odo_fuel_log *log, enum odo_dist_unit odo_unit,
                      struct odo_fill *out);

#endif
