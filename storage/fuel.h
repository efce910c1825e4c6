/*
 * Fuel logs: a fill-up with its odometer, volume, price and whether the tank was filled.
 *
 * Volumes are in thousandths of the log's own unit, unit prices in thousandths of a currency unit
 * per volume unit, totals in hundredths. Given one of price and total, the other is computed
 * (rounded half away from zero); given both, they must agree: volume x price rounded to the cent
 * is the total, give or take ODO_FUEL_TOTAL_SLACK cents (pumps round or cut the last digit), or
 * the price is the total over the volume rounded to its three decimals (a price computed from
 * the total, as a stored fill-up holds it: on a big fill, that price times the volume can be
 * cents away from the total).
 *
 * A fill-up whose odometer lies further from the previous value than a car covers on one tank
 * (ODO_FUEL_JUMP_MIN_KM, or ODO_FUEL_JUMP_KM_PER_L for each litre filled, whichever is more) is
 * refused as a likely typo, unless it is marked missed (fill-ups were not logged) or the person
 * confirms it (ODO_FUEL_CONFIRM_DISTANCE).
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

#define ODO_FUEL_TOTAL_SLACK   1    /* cents a given total may differ from volume x price */
#define ODO_FUEL_JUMP_MIN_KM   3000 /* a distance between fills that is always plausible */
#define ODO_FUEL_JUMP_KM_PER_L 100  /* no car goes further on a litre (about 235 mpg) */

/* Flags of odo_fuel_save. ODO_FUEL_NEW is 1, so that a true "is new" reads the same. */
#define ODO_FUEL_NEW              1u /* insert a new fill-up (else rewrite log->id) */
#define ODO_FUEL_CONFIRM_DISTANCE 2u /* the person confirmed an implausible distance */

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
 * more than a day ahead, odometer against the vehicle's readings and the distance since the
 * previous one). Fills id, timestamps, and the missing one of price and total. Errors:
 * ODO_EINVAL, ODO_ENOTFOUND (vehicle), storage errors.
 */
int odo_fuel_add(struct odo_store *s, const char *user, struct odo_fuel_log *log,
                 struct odo_err *err) ODO_MUST_CHECK;

/*
 * odo_fuel_add (flags with ODO_FUEL_NEW) or odo_fuel_update, with the flags above, telling in
 * *field (may be NULL) which field a refusal is about: the same checks, the same sentences.
 */
int odo_fuel_save(struct odo_store *s, const char *user, struct odo_fuel_log *log, unsigned flags,
                  enum odo_fuel_field *field, struct odo_err *err) ODO_MUST_CHECK;

/* The user's latest live fill-up (by date), of vehicle_id when it is not NULL: what a new one
 * is offered (price, station). ODO_ENOTFOUND when there is none. */
int odo_fuel_last(struct odo_store *s, const char *user, const char *vehicle_id,
                  struct odo_fuel_log *log, struct odo_err *err) ODO_MUST_CHECK;

/*
 * The checks of odo_fuel_add that need no other row (volume, price and total and their
 * agreement, date, currency, texts), completing the missing one of price and total. For
 * callers that check many rows before writing them (import). 0 or ODO_EINVAL.
 */
int odo_fuel_check(struct odo_store *s, struct odo_fuel_log *log,
                   struct odo_err *err) ODO_MUST_CHECK;

/* The farthest distance, in micrometres, a fill of volume_pl picolitres plausibly ends. */
int64_t odo_fuel_jump_limit_um(int64_t volume_pl);

/* Reads fuel log id of user (live or deleted). ODO_ENOTFOUND when there is none. */
int odo_fuel_get(struct odo_store *s, const char *user, const char *id, struct odo_fuel_log *log,
                 struct odo_err *err) ODO_MUST_CHECK;

/* Finds a live fuel log by id or unique id prefix (at least 4 characters). */
int odo_fuel_resolve(struct odo_store *s, const char *user, const char *ref,
                     struct odo_fuel_log *log, struct odo_err *err) ODO_MUST_CHECK;

/* odo_fuel_resolve among the deleted fuel logs when `deleted`, else among the live ones. */
int odo_fuel_find(struct odo_store *s, const char *user, const char *ref, bool deleted,
                  struct odo_fuel_log *log, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Undeletes fuel log id. Its vehicle must be live (ODO_ENOTFOUND otherwise, saying to restore
 * the vehicle) and its odometer must still fit the vehicle's other values (ODO_EINVAL).
 * ODO_ENOTFOUND when it is not deleted.
 */
int odo_fuel_restore(struct odo_store *s, const char *user, const char *id,
                     struct odo_err *err) ODO_MUST_CHECK;

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
