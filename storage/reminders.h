/*
 * What is due: maintenance by date and/or odometer, whichever comes first, and document
 * renewals by expiry date. Each reminder has a level: overdue (the date has passed or the
 * odometer reached the due value), due soon (within the user's thresholds), or ok.
 */
#ifndef ODO_STORAGE_REMINDERS_H
#define ODO_STORAGE_REMINDERS_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/maintenance.h"
#include "storage/settings.h"
#include "storage/store.h"
#include "storage/vehicles.h"

enum odo_due_level { ODO_DUE_OK, ODO_DUE_SOON, ODO_DUE_OVERDUE };

struct odo_due {
    char vehicle_id[ODO_UUID_TEXT_LEN + 1];
    char vehicle_name[ODO_NAME_MAX + 1];
    enum odo_dist_unit dist_unit; /* of the vehicle's odometer */
    char item_id[ODO_UUID_TEXT_LEN + 1];
    const char *kind;              /* "maintenance", "insurance", "registration" or "emissions" */
    char label[ODO_LABEL_MAX + 1]; /* maintenance type, or document number */
    int32_t due_date;              /* ODO_NO_DATE when due by odometer only */
    int days_left;                 /* negative when overdue */
    int64_t due_odometer;          /* tenths, ODO_NONE when due by date only */
    int64_t odometer;              /* current, tenths, ODO_NONE when unknown */
    int64_t distance_left;
    enum odo_due_level level;
    bool by_distance; /* the distance, not the date, sets the level */
};

/*
 * The level of one reminder: the worse of its date level and its distance level. A date
 * `days_left` from today is overdue below 0 and due soon within soon_days; a distance is overdue
 * below 0 and due soon within soon_distance. *by_distance says which one decided.
 */
enum odo_due_level odo_due_level_of(bool has_date, int days_left, bool has_distance,
                                    int64_t distance_left, int soon_days, int64_t soon_distance,
                                    bool *by_distance);

const char *odo_due_level_name(enum odo_due_level l);

/* When a reminder falls due, for people: "in 12 days", "today", "3 days ago", then "in 450 km",
 * "120 km over" or "at 90000 km (no reading yet)", joined by ", ". */
void odo_due_describe(const struct odo_due *d, char *out, size_t cap);

/*
 * Streams the user's reminders as of `today` (days since 1970-01-01), for live vehicles only,
 * maintenance first then renewals, each by due date. Thresholds come from set (the soon
 * distance is converted to each vehicle's unit). fn returns nonzero to stop.
 */
int odo_due_list(struct odo_store *s, const char *user, int32_t today,
                 const struct odo_settings *set, int (*fn)(const struct odo_due *d, void *ctx),
                 void *ctx, struct odo_err *err) ODO_MUST_CHECK;

#endif
