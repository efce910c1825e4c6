/*
 * What a person types, read into the store's exact quantities: distances, volumes, prices,
 * amounts, whole numbers and text fields, and a fill-up typed field by field (the command line's
 * options, the head unit's form). One set of rules and one set of sentences for every front end:
 * `odolog` and the touch UI call these, never a copy of them. Nothing here touches the
 * database; the repositories check what needs it (the odometer's history, the vehicle).
 */
#ifndef ODO_STORAGE_ENTRY_H
#define ODO_STORAGE_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "platform/error.h"
#include "storage/fuel.h"
#include "storage/settings.h"
#include "storage/vehicles.h"

/* A distance or an odometer value in tenths: 0 to 9999999.9. `what` names it ("the odometer").
 * Returns 0 or ODO_EINVAL with a sentence. */
int odo_entry_distance(const char *s, const char *what, int64_t *out,
                       struct odo_err *err) ODO_MUST_CHECK;

/* A fuel volume in thousandths, more than zero. Returns 0 or ODO_EINVAL. */
int odo_entry_volume(const char *s, int64_t *out, struct odo_err *err) ODO_MUST_CHECK;

/* A price per volume unit in thousandths, not negative. Returns 0 or ODO_EINVAL. */
int odo_entry_price(const char *s, int64_t *out, struct odo_err *err) ODO_MUST_CHECK;

/* An amount of money in hundredths, not negative; `what` names it ("the total", "the cost").
 * Returns 0 or ODO_EINVAL. */
int odo_entry_money(const char *s, const char *what, int64_t *out,
                    struct odo_err *err) ODO_MUST_CHECK;

/* A whole number from min to max. Returns 0 or ODO_EINVAL. */
int odo_entry_int(const char *s, const char *what, long min, long max, long *out,
                  struct odo_err *err) ODO_MUST_CHECK;

/* Copies text into a fixed field of cap bytes. Returns 0, or ODO_EINVAL when it does not fit. */
int odo_entry_copy(char *dst, size_t cap, const char *src, const char *what,
                   struct odo_err *err) ODO_MUST_CHECK;

/* A fill-up as a person typed it. A NULL text is a field not given, which keeps the log's value;
 * full and missed are 1 (set), 0 (cleared) or -1 (not given). */
struct odo_fuel_entry {
    const char *odometer, *volume, *unit, *price, *total, *currency, *date, *station, *notes;
    int full;   /* 1: the tank was filled; 0: a partial fill */
    int missed; /* 1: a fill-up before this one was not logged */
};

/* A new fill-up of vehicle v at time now, as a person starts one: the user's volume unit, a full
 * tank, no price yet. Cannot fail. */
void odo_fuel_entry_start(const struct odo_vehicle *v, const struct odo_settings *set, int64_t now,
                          struct odo_fuel_log *f);

/*
 * Applies what was typed onto f (a new fill-up from odo_fuel_entry_start, or a stored one being
 * edited). Given a price or a total, the one of the two not given is recomputed from the other;
 * a new volume at a known price makes the total follow. A log without a currency takes the
 * user's. Returns 0, or ODO_EINVAL with a sentence in err and the field it is about in *field
 * (field may be NULL); f may be partly changed then.
 */
int odo_fuel_entry_apply(const struct odo_fuel_entry *e, const struct odo_settings *set,
                         struct odo_fuel_log *f, enum odo_fuel_field *field,
                         struct odo_err *err) ODO_MUST_CHECK;

#endif
