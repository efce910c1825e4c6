/*
 * Streaming fuel reports.
 */
#include "storage/stats.h"

#include <stdio.h>
#include <string.h>

#include "storage/internal.h"

/* The currencies a vehicle's fills are paid in, the most used first. */
static const char SQL_CURRENCIES[] =
    "SELECT currency, count(*), sum(total_cost) FROM fuel_logs WHERE vehicle_id = ?1 "
    "AND user_id = ?2 AND deleted_at IS NULL AND total_cost IS NOT NULL AND currency IS NOT NULL "
    "GROUP BY currency ORDER BY count(*) DESC, currency";

struct walk {
    const struct odo_vehicle *v;
    const struct odo_settings *set;
    int (*on_fill)(const struct odo_fill_report *r, void *ctx);
    int (*on_month)(const struct odo_month *m, void *ctx);
    void *ctx;
    struct odo_econ econ;
    struct odo_month month;
    int64_t volume_pl, cost_cents, cost_for_distance;
    int costed, cpd_fills;
    char currency[4];     /* what costs are summed in */
    bool cost_comparable; /* every fill after a baseline has a cost in the user's currency */
    int stopped;
    int fills, other_currency;
    struct odo_vehicle_stats *out; /* the other currencies are gathered in it as they come */
};

/* Counts a fill paid in a currency other than the report's. */
static void other_currency(struct odo_vehicle_stats *out, const struct odo_fuel_log *log)
{
    for (int i = 0; i < out->others; i++)
        if (strcmp(out->other[i].currency, log->currency) == 0) {
            out->other[i].fills++;
            out->other[i].cost += log->total_cost;
            return;
        }
    if (out->others < ODO_STATS_CURRENCIES_MAX) {
        memcpy(out->other[out->others].currency, log->currency, 4);
        out->other[out->others].fills = 1;
        out->other[out->others].cost = log->total_cost;
        out->others++;
    }
}

static int flush_month(struct walk *w)
{
    if (w->month.fills == 0 || !w->on_month)
        return 0;
    return w->on_month(&w->month, w->ctx);
}

static int on_log(const struct odo_fuel_log *log, bool reset, void *ctx)
{
    struct walk *w = ctx;
    struct odo_fill fill;
    struct odo_fill_report r;
    char day[ODO_DATE_TEXT_LEN + 1];
    bool in_currency = log->total_cost != ODO_NONE &&
                       (!log->currency[0] || strcmp(log->currency, w->currency) == 0);

    odo_fuel_to_fill(log, w->v->odometer_unit, &fill);
    fill.reset = reset;
    memset(&r, 0, sizeof(r));
    r.log = log;
    if (odo_econ_feed(&w->econ, &fill, &r.econ) != 0) {
        /* Only a backwards odometer without a forced reading gets here, which the store
         * refuses on entry; restart the series rather than report nonsense. */
        fill.reset = true;
        (void)!odo_econ_feed(&w->econ, &fill, &r.econ);
    }
    r.economy = r.econ.kind == ODO_FILL_FULL
                    ? odo_economy(r.econ.chain_um, r.econ.chain_pl, w->set->units.econ)
                    : -1;
    r.distance = odo_dist_from_um(r.econ.delta_um, w->set->units.dist);

    w->fills++;
    w->volume_pl += fill.volume_pl;
    if (log->total_cost != ODO_NONE && !in_currency) {
        w->other_currency++;
        other_currency(w->out, log);
    }
    if (in_currency) {
        w->cost_cents += log->total_cost;
        w->costed++;
    }
    if (r.econ.delta_um > 0) {
        if (in_currency) {
            w->cost_for_distance += log->total_cost;
            w->cpd_fills++;
        } else {
            w->cost_comparable = false;
        }
    }

    odo_date_format(odo_date_local(log->filled_at), day);
    if (strncmp(w->month.month, day, 7) != 0) {
        if ((w->stopped = flush_month(w)))
            return 1;
        memset(&w->month, 0, sizeof(w->month));
        memcpy(w->month.month, day, 7);
    }
    w->month.fills++;
    w->month.volume += odo_vol_from_pl(fill.volume_pl, w->set->units.vol);
    if (in_currency)
        w->month.cost += log->total_cost;
    w->month.distance += r.distance;

    if (w->on_fill && (w->stopped = w->on_fill(&r, w->ctx)))
        return 1;
    return 0;
}

/* The currencies of the fills: the one costs are summed in, and the others. */
struct currencies {
    const char *preferred;
    struct odo_vehicle_stats *out;
    char most[4];
    bool preferred_used;
};

static int currency_row(sqlite3_stmt *st, void *ctx)
{
    struct currencies *c = ctx;
    char code[4];

    odo_column_text(st, 0, code, sizeof(code));
    if (!c->most[0])
        memcpy(c->most, code, sizeof(code));
    c->preferred_used |= strcmp(code, c->preferred) == 0;
    return 0;
}

/* Picks what costs are summed in: the user's currency when a fill is paid in it, else the one
 * most fills are paid in; then lists the others with their totals. */
static int pick_currency(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                         const char *preferred, struct odo_vehicle_stats *out, char cur[4],
                         struct odo_err *err)
{
    struct currencies c = {preferred, out, "", false};
    sqlite3_stmt *st = odo_store_bound(s, SQL_CURRENCIES, v->id, user, err);
    int rc;

    if ((rc = odo_store_each(s, st, currency_row, &c, "reading the fills' currencies", err)))
        return rc;
    snprintf(cur, 4, "%s", c.preferred_used || !c.most[0] ? preferred : c.most);
    return 0;
}

int odo_stats_vehicle(struct odo_store *s, const char *user, const struct odo_vehicle *v,
                      const struct odo_settings *set,
                      int (*on_fill)(const struct odo_fill_report *r, void *ctx),
                      int (*on_month)(const struct odo_month *m, void *ctx), void *ctx,
                      struct odo_vehicle_stats *out, struct odo_err *err)
{
    struct walk w;
    int rc;

    memset(&w, 0, sizeof(w));
    memset(out, 0, sizeof(*out));
    w.out = out;
    if ((rc = pick_currency(s, user, v, set->currency, out, w.currency, err)))
        return rc;
    w.v = v;
    w.set = set;
    w.on_fill = on_fill;
    w.on_month = on_month;
    w.ctx = ctx;
    w.cost_comparable = true;
    odo_econ_init(&w.econ);
    rc = odo_fuel_list(s, user, v->id, on_log, &w, err);
    if (rc != 0)
        return rc;
    if (!w.stopped)
        flush_month(&w);

    out->fills = w.fills;
    memcpy(out->currency, w.currency, sizeof(out->currency));
    out->costed_fills = w.costed;
    out->cpd_cost = w.cost_for_distance;
    out->cpd_fills = w.cpd_fills;
    out->other_currency_fills = w.other_currency;
    out->volume = odo_vol_from_pl(w.volume_pl, set->units.vol);
    out->cost = w.cost_cents;
    out->distance = odo_dist_from_um(w.econ.driven_um, set->units.dist);
    out->economy = odo_economy(w.econ.total_um, w.econ.total_pl, set->units.econ);
    out->counted_fills = w.econ.counted_fills;
    out->cost_per_distance = w.cost_comparable
                                 ? odo_cost_per_distance(w.cost_for_distance, w.econ.driven_um,
                                                         set->units.dist, &out->cpd_scale)
                                 : -1;
    return 0;
}
