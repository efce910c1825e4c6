/*
 * Reports over a vehicle's fuel logs: per-fill economy, monthly totals, and the vehicle's
 * average economy and cost per distance, in the user's units. Fills are streamed in time order,
 * so memory does not grow with the number of fills.
 *
 * Costs are summed in one currency: the user's when any fill is paid in it, else the one most
 * fills are paid in (a logbook kept abroad keeps its costs); fills paid in other currencies are
 * counted apart, per currency, and left out of money figures. Cost per distance is the cost of
 * the fuel bought after the first fill (of each odometer series), over the distance driven
 * between fills: the first tank was bought before that distance, so it is not counted.
 */
#ifndef ODO_STORAGE_STATS_H
#define ODO_STORAGE_STATS_H

#include <stdint.h>

#include "storage/economy.h"
#include "storage/fuel.h"
#include "storage/settings.h"
#include "storage/store.h"
#include "storage/vehicles.h"

struct odo_fill_report {
    const struct odo_fuel_log *log;
    struct odo_fill_result econ;
    int64_t economy;  /* in the user's economy unit, scale ODO_ECON_SCALE; -1 when none */
    int64_t distance; /* since the previous fill, tenths of the user's distance unit */
};

struct odo_month {
    char month[8]; /* "YYYY-MM", local time */
    int fills;
    int64_t volume;   /* thousandths of the user's volume unit */
    int64_t cost;     /* hundredths, user's currency */
    int64_t distance; /* tenths of the user's distance unit */
};

#define ODO_STATS_CURRENCIES_MAX 4 /* other currencies listed apart; more are only counted */

struct odo_vehicle_stats {
    int fills;
    char currency[4];         /* what cost and cost per distance are in */
    int costed_fills;         /* fills with a total in that currency: the cost's basis */
    int other_currency_fills; /* fills with a total in another currency */
    struct {
        char currency[4];
        int fills;
        int64_t cost; /* hundredths */
    } other[ODO_STATS_CURRENCIES_MAX];
    int others;
    int64_t volume;            /* all fuel, thousandths of the user's volume unit */
    int64_t cost;              /* all fills in the user's currency, hundredths */
    int64_t distance;          /* driven between fills, tenths of the user's distance unit */
    int64_t economy;           /* average, user's unit, scale ODO_ECON_SCALE; -1 when unknown */
    int counted_fills;         /* fills inside closed chains: the average's basis */
    int64_t cost_per_distance; /* -1 when unknown; see cpd_scale */
    int cpd_scale;             /* 2: hundredths per 100 km; 3: thousandths per mile */
    int64_t cpd_cost;          /* its basis: the cost of the fills after each first one */
    int cpd_fills;             /* ... and how many they are */
};

/*
 * Streams v's live fuel logs. on_fill (may be NULL) gets each fill with its economy; on_month
 * (may be NULL) gets each month's totals once the month is complete. Either returns nonzero to
 * stop. *out receives the totals.
 */
int odo_stats_vehicle(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                      const struct odo_settings *set,
                      int (*on_fill)(const struct odo_fill_report *r, void *ctx),
                      int (*on_month)(const struct odo_month *m, void *ctx), void *ctx,
                      struct odo_vehicle_stats *out, struct odo_err *err) ODO_MUST_CHECK;

#endif
