/*
 * Maintenance items and service records.
 *
 * A maintenance item is a kind of work on one vehicle ("oil_change", unique per vehicle among
 * live items) from a fixed list of categories, due by a date and/or an odometer value, and
 * recurring when it has an interval in months and/or distance. Completing an item records a
 * service record (the work done, its date, odometer and cost) and, for a recurring item,
 * schedules the next due date and odometer from the completion; a one-off item stops being due.
 *
 * The schedule follows the item's latest completion: editing or restoring a completion counts
 * the next due from whichever is now the latest, and removing the latest one puts the schedule
 * back as it was before that completion (kept on this device when it was made here; counted
 * from the completion before it when it was made elsewhere). Service records may also stand on
 * their own (imported history, work not tied to an item).
 */
#ifndef ODO_STORAGE_MAINTENANCE_H
#define ODO_STORAGE_MAINTENANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/uuid.h"
#include "storage/store.h"
#include "storage/vehicles.h"

#define ODO_NO_DATE          INT32_MIN
#define ODO_MAINT_TYPE_MAX   40
#define ODO_DESCRIPTION_MAX  200
#define ODO_SERVICE_COST_MAX 1000000000LL /* 10,000,000 in hundredths */

enum odo_maint_category {
    ODO_MAINT_ENGINE,
    ODO_MAINT_TRANSMISSION,
    ODO_MAINT_BRAKES,
    ODO_MAINT_TIRES,
    ODO_MAINT_SUSPENSION,
    ODO_MAINT_ELECTRICAL,
    ODO_MAINT_CLIMATE,
    ODO_MAINT_BODY,
    ODO_MAINT_FLUIDS,
    ODO_MAINT_FILTERS,
    ODO_MAINT_INSPECTION,
    ODO_MAINT_OTHER,
};

struct odo_maint {
    char id[ODO_UUID_TEXT_LEN + 1];
    char vehicle_id[ODO_UUID_TEXT_LEN + 1];
    char type[ODO_MAINT_TYPE_MAX + 1]; /* lower case, [a-z0-9_-] */
    enum odo_maint_category category;
    char description[ODO_DESCRIPTION_MAX + 1];
    int32_t due_date;           /* days since 1970-01-01, or ODO_NO_DATE */
    int64_t due_odometer;       /* tenths of the vehicle's unit, or ODO_NONE */
    int interval_months;        /* 0: not recurring by time */
    int64_t interval_distance;  /* tenths; 0: not recurring by distance */
    int32_t last_done_date;     /* or ODO_NO_DATE */
    int64_t last_done_odometer; /* or ODO_NONE */
    char notes[ODO_NOTES_MAX + 1];
    char created_at[ODO_TIME_TEXT_LEN + 1];
    char updated_at[ODO_TIME_TEXT_LEN + 1];
    char deleted_at[ODO_TIME_TEXT_LEN + 1];
};

struct odo_service {
    char id[ODO_UUID_TEXT_LEN + 1];
    char vehicle_id[ODO_UUID_TEXT_LEN + 1];
    char maintenance_id[ODO_UUID_TEXT_LEN + 1]; /* "" for work not tied to an item */
    int64_t performed_at;                       /* ms UTC */
    int64_t odometer;                           /* tenths, or ODO_NONE */
    char description[ODO_DESCRIPTION_MAX + 1];
    int64_t cost; /* hundredths, or ODO_NONE */
    char currency[4];
    char shop[ODO_LABEL_MAX + 1];
    char notes[ODO_NOTES_MAX + 1];
    char deleted_at[ODO_TIME_TEXT_LEN + 1]; /* "" when live */
};

const char *odo_maint_category_name(enum odo_maint_category c);
/* Parses a category name; ODO_EINVAL with the list of categories otherwise. */
int odo_maint_category_parse(const char *s, enum odo_maint_category *out,
                             struct odo_err *err) ODO_MUST_CHECK;

/*
 * Adds item m to a live vehicle of user. The type is normalised (lower case, spaces to '_').
 * A recurring item without an explicit due date or odometer is due one interval after its last
 * completion, or after today and the current odometer when it was never done. Errors:
 * ODO_EINVAL (bad field, nothing makes it due), ODO_EEXIST (the vehicle has a live item of
 * that type), ODO_ENOTFOUND (vehicle), storage errors.
 */
int odo_maint_add(struct odo_store *s, const char *user, struct odo_maint *m,
                  struct odo_err *err) ODO_MUST_CHECK;

int odo_maint_get(struct odo_store *s, const char *user, const char *id, struct odo_maint *m,
                  struct odo_err *err) ODO_MUST_CHECK;

/*
 * Finds a live item by id, unique id prefix (4+ characters), or type; a type is looked up on
 * vehicle_id when it is not NULL, else across the user's vehicles and must be unique.
 */
int odo_maint_resolve(struct odo_store *s, const char *user, const char *ref,
                      const char *vehicle_id, struct odo_maint *m,
                      struct odo_err *err) ODO_MUST_CHECK;

/* odo_maint_resolve among the deleted items when `deleted` (a type finds the item of that type
 * deleted last), else among the live ones. */
int odo_maint_find(struct odo_store *s, const char *user, const char *ref, const char *vehicle_id,
                   bool deleted, struct odo_maint *m, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Rewrites live item m->id with m's fields, checked as odo_maint_add checks them (the type stays
 * unique among the vehicle's live items). With reschedule, the due date (when the item recurs by
 * months) and the due odometer (when by distance) are counted again from the last completion,
 * or from today and the current odometer, as odo_maint_add counts them.
 */
int odo_maint_update(struct odo_store *s, const char *user, struct odo_maint *m, bool reschedule,
                     struct odo_err *err) ODO_MUST_CHECK;

/* Undeletes item id when its vehicle is live and no live item has its type. */
int odo_maint_restore(struct odo_store *s, const char *user, const char *id,
                      struct odo_err *err) ODO_MUST_CHECK;

/* Streams live items of one vehicle (or all of the user's when vehicle_id is NULL), by due date
 * then type. fn returns nonzero to stop. */
int odo_maint_list(struct odo_store *s, const char *user, const char *vehicle_id,
                   int (*fn)(const struct odo_maint *m, void *ctx), void *ctx,
                   struct odo_err *err) ODO_MUST_CHECK;

/* Soft-deletes live item id. */
int odo_maint_remove(struct odo_store *s, const char *user, const char *id,
                     struct odo_err *err) ODO_MUST_CHECK;

/*
 * Completes item maint_id: adds service record rec (its performed_at, odometer, cost, currency,
 * shop and notes are read; an absent odometer becomes the vehicle's current one; the description
 * defaults to the item's) and updates the item's last completion and next due, all in one
 * transaction. Fills rec->id and, when next is not NULL, the updated item.
 */
int odo_maint_complete(struct odo_store *s, const char *user, const char *maint_id,
                       struct odo_service *rec, struct odo_maint *next,
                       struct odo_err *err) ODO_MUST_CHECK;

/*
 * The fields of a service record that need no other row: texts, cost, currency (upper-cased),
 * odometer range, a date no more than a day ahead. 0 or ODO_EINVAL.
 */
int odo_service_check(struct odo_store *s, struct odo_service *rec,
                      struct odo_err *err) ODO_MUST_CHECK;

/*
 * Adds rec, work on live vehicle rec->vehicle_id not tied to a maintenance item (its odometer,
 * when given, obeys the odometer rule). Fills rec->id. ODO_EINVAL, ODO_ENOTFOUND, storage.
 */
int odo_service_add(struct odo_store *s, const char *user, struct odo_service *rec,
                    struct odo_err *err) ODO_MUST_CHECK;

/* Reads service record id, live or deleted; odo_service_find looks one up by id or id part
 * (4+ characters) among the deleted ones when `deleted`, else the live ones. */
int odo_service_get(struct odo_store *s, const char *user, const char *id, struct odo_service *rec,
                    struct odo_err *err) ODO_MUST_CHECK;
int odo_service_find(struct odo_store *s, const char *user, const char *ref, bool deleted,
                     struct odo_service *rec, struct odo_err *err) ODO_MUST_CHECK;

/* Rewrites live record rec->id (date, odometer, description, cost, currency, shop, notes); the
 * item it completed follows its latest completion. Fills rec->vehicle_id and maintenance_id. */
int odo_service_update(struct odo_store *s, const char *user, struct odo_service *rec,
                       struct odo_err *err) ODO_MUST_CHECK;

/*
 * Soft-deletes live record id. When it was the latest completion of a live item, the item's
 * schedule goes back to what it was before (*schedule_restored, may be NULL, says whether it
 * could). ODO_ENOTFOUND, storage errors.
 */
int odo_service_remove(struct odo_store *s, const char *user, const char *id,
                       bool *schedule_restored, struct odo_err *err) ODO_MUST_CHECK;

/* Undeletes record id (its vehicle live, its odometer fitting the rule); the item it completed
 * follows its latest completion again. */
int odo_service_restore(struct odo_store *s, const char *user, const char *id,
                        struct odo_err *err) ODO_MUST_CHECK;

/* Streams the live service records of one vehicle, newest first. */
int odo_service_list(struct odo_store *s, const char *user, const char *vehicle_id,
                     int (*fn)(const struct odo_service *r, void *ctx), void *ctx,
                     struct odo_err *err) ODO_MUST_CHECK;

#endif
