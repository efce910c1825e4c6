/*
 * Fuel economy over a vehicle's fill-ups, with partial and missed fills.
 *
 * Fills are fed in time order (which is odometer order within one odometer series). A full fill
 * closes a chain that started at the previous full fill: the chain's distance over the fuel of
 * every fill in it (partials included) is the economy of that full fill. A partial fill carries its
 * distance and fuel forward to the next full fill. A fill marked "missed" (one or more fill-ups
 * before it were not logged) breaks the chain: its distance and fuel are not counted, and when it
 * is full it starts a new chain. The first fill is the baseline, and so is the first fill after a
 * cluster swap (reset). The average is the total distance over the total fuel of the closed chains,
 * never the mean of per-fill figures.
 *
 * The accumulator holds a few integers whatever the number of fills, so reports stream.
 */
#ifndef ODO_STORAGE_ECONOMY_H
#define ODO_STORAGE_ECONOMY_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/error.h"

struct odo_fill {
    int64_t odometer_um; /* odometer in micrometres (odo_dist_to_um) */
    int64_t volume_pl;   /* fuel in picolitres (odo_vol_to_pl) */
    bool full;           /* the tank was filled to the top */
    bool missed;         /* a fill-up before this one was not logged */
    bool reset;          /* the odometer series changed since the previous fill (cluster swap) */
};

enum odo_fill_kind {
    ODO_FILL_BASELINE, /* the first fill, or a full fill that starts a chain with no economy */
    ODO_FILL_FULL,     /* closes a chain: economy known */
    ODO_FILL_PARTIAL,  /* carried forward to the next full fill */
    ODO_FILL_MISSED,   /* after an unlogged fill: not counted, the chain restarts */
    ODO_FILL_UNCOUNTED /* a partial fill with no full fill before it to measure from */
};

struct odo_fill_result {
    enum odo_fill_kind kind;
    int64_t delta_um; /* distance since the previous fill; 0 for the first */
    int64_t chain_um; /* ODO_FILL_FULL: distance of the closed chain */
    int64_t chain_pl; /* ODO_FILL_FULL: fuel of the closed chain */
    int chain_fills;  /* ODO_FILL_FULL: fills in the closed chain, this one included */
};

struct odo_econ {
    bool have_prev, chain_open;
    int64_t prev_um;
    int64_t driven_um; /* sum of the distances between consecutive fills */
    int64_t chain_um, chain_pl;
    int chain_fills;
    int64_t total_um, total_pl; /* closed chains only: the average's numerator and denominator */
    int fills, counted_fills;
};

/* Starts an empty accumulator. Cannot fail. */
void odo_econ_init(struct odo_econ *e);

/*
 * Feeds the next fill in time order and describes it in *out. Returns 0, or ODO_EINVAL when
 * the odometer is lower than the previous fill's without a reset.
 */
int odo_econ_feed(struct odo_econ *e, const struct odo_fill *f,
                  struct odo_fill_result *out) ODO_MUST_CHECK;

const char *odo_fill_kind_name(enum odo_fill_kind k);

#endif
