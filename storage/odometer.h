/*
 * Odometer readings, and the rule every odometer value obeys: for one vehicle, readings never go
 * backwards in time unless a reading is forced (the instrument cluster was replaced), which
 * starts a new series. Fuel logs and service records carry odometer values too; the rule and the
 * vehicle's current odometer consider all of them (the odometer_events view).
 */
#ifndef ODO_STORAGE_ODOMETER_H
#define ODO_STORAGE_ODOMETER_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/uuid.h"
#include "storage/store.h"
#include "storage/vehicles.h"

#define ODO_ODOMETER_MAX 99999999 /* 9,999,999.9 in tenths */

struct odo_reading {
    char id[ODO_UUID_TEXT_LEN + 1];
    char vehicle_id[ODO_UUID_TEXT_LEN + 1];
    int64_t read_at;  /* ms UTC */
    int64_t odometer; /* tenths of the vehicle's unit */
    bool forced;      /* starts a new series: the cluster was replaced */
    char notes[ODO_NOTES_MAX + 1];
    char source[8];                         /* in listings: "reading", "fuel" or "service" */
    char deleted_at[ODO_TIME_TEXT_LEN + 1]; /* odo_odometer_get/find: "" when live */
};

/*
 * Checks that value at time at fits the vehicle's readings: not below any earlier reading of its
 * series, not above any later one. A forced value is only checked against later readings of its
 * own series. exclude_id names a row being edited (or NULL). Returns 0, or ODO_EINVAL with a
 * sentence naming the conflicting reading, the command that corrects it when it is the typo,
 * and how to record a cluster swap.
 */
int odo_odometer_check(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                       int64_t at, int64_t value, bool forced, const char *exclude_id,
                       struct odo_err *err) ODO_MUST_CHECK;

/*
 * The value a new one at time `at` must not be below: the highest odometer value of any kind at
 * or before `at` in the same series (*value ODO_NONE when there is none). exclude_id as above.
 */
int odo_odometer_previous(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                          int64_t at, const char *exclude_id, int64_t *value,
                          struct odo_err *err) ODO_MUST_CHECK;

/* Adds reading r for a live vehicle of user; fills r->id. ODO_EINVAL, ODO_ENOTFOUND, storage. */
int odo_odometer_add(struct odo_store *s, const char *user, struct odo_reading *r,
                     struct odo_err *err) ODO_MUST_CHECK;

/* Reads reading id of user, live or deleted. ODO_ENOTFOUND when there is none. */
int odo_odometer_get(struct odo_store *s, const char *user, const char *id, struct odo_reading *r,
                     struct odo_err *err) ODO_MUST_CHECK;

/*
 * Finds a reading by id or unique id part (4+ characters, as odo_fuel_resolve), among the
 * deleted ones when `deleted`, else the live ones. A live fuel log or service record that 'odo
 * list' showed with that id is named in the ODO_ENOTFOUND sentence with its own edit command.
 */
int odo_odometer_find(struct odo_store *s, const char *user, const char *ref, bool deleted,
                      struct odo_reading *r, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Rewrites live reading r->id with r's read_at, odometer, forced and notes, checked against the
 * vehicle's other values as odo_odometer_add checks (a forced reading that stops splitting a
 * series must leave the values after it above those before). Fills r->vehicle_id.
 */
int odo_odometer_update(struct odo_store *s, const char *user, struct odo_reading *r,
                        struct odo_err *err) ODO_MUST_CHECK;

/* Soft-deletes live reading id (a forced one only when the series it started can join the one
 * before); odo_odometer_restore undeletes it when it still fits the rule and its vehicle is
 * live. ODO_ENOTFOUND, ODO_EINVAL, storage errors. */
int odo_odometer_remove(struct odo_store *s, const char *user, const char *id,
                        struct odo_err *err) ODO_MUST_CHECK;
int odo_odometer_restore(struct odo_store *s, const char *user, const char *id,
                         struct odo_err *err) ODO_MUST_CHECK;

/* Calls fn for every odometer value of the vehicle (readings, fuel logs, service records), in
 * time order; fn returns nonzero to stop. */
int odo_odometer_list(struct odo_store *s, const char *user, const char *vehicle_id,
                      int (*fn)(const struct odo_reading *r, void *ctx), void *ctx,
                      struct odo_err *err) ODO_MUST_CHECK;

#endif
