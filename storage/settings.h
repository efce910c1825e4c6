/*
 * Per-user preferences kept on the device: the unit system and its parts, the currency, and the
 * thresholds at which reminders turn "due soon".
 */
#ifndef ODO_STORAGE_SETTINGS_H
#define ODO_STORAGE_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/store.h"
#include "storage/units.h"

struct odo_settings {
    struct odo_units units;
    char currency[4];          /* ISO 4217 */
    int due_soon_days;         /* a date reminder is "due soon" this many days ahead */
    int64_t due_soon_distance; /* tenths of units.dist ahead of a due odometer */
    bool initialised;          /* the user ran 'odolog init' (settings were saved) */
};

/* The defaults of a unit system: its units, its usual currency (EUR, USD, GBP), 30 days, and
 * 1000 km or 600 mi. */
void odo_settings_default(enum odo_unit_system system, struct odo_settings *out);

/* Reads the user's settings, with defaults (metric) for whatever was never set. */
int odo_settings_load(struct odo_store *s, const char *user, struct odo_settings *out,
                      struct odo_err *err) ODO_MUST_CHECK;

/* Stores every field of in for user, in one transaction. */
int odo_settings_save(struct odo_store *s, const char *user, const struct odo_settings *in,
                      struct odo_err *err) ODO_MUST_CHECK;

#endif
