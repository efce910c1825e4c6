/*
 * Stats: a vehicle's totals and two charts in the user's units, economy over time (each full
 * fill that closes a chain) and cost per month, from odo_stats_vehicle as `odolog stats` reads
 * them. Only the latest points are kept while the fills stream by.
 */
#include <stdio.h>
#include <string.h>

#include "firmware/ui/internal.h"
#include "platform/decimal.h"
#include "storage/stats.h"

#define ECON_POINTS 24 /* the latest economy figures charted */
#define COST_MONTHS 12 /* the latest months charted */

struct stats_ctx {
    struct ui_point econ[ECON_POINTS];
    int ne;
    struct ui_point months[COST_MONTHS];
    int nm;
};

/* Appends to a window of the latest cap points. */
static void keep(struct ui_point *p, int *n, int cap, const char *label, int64_t value)
{
    if (*n == cap) {
        memmove(p, p + 1, sizeof(*p) * (size_t)(cap - 1));
        (*n)--;
    }
    odo_strlcpy(p[*n].label, label, sizeof(p[*n].label));
    p[*n].value = value;
    (*n)++;
}

static int on_fill(const struct odo_fill_report *r, void *ctx)
{
    struct stats_ctx *c = ctx;
    char day[32];

    if (r->economy < 0)
        return 0;
    odo_time_format_local(r->log->filled_at, day);
    day[10] = '\0';
    keep(c->econ, &c->ne, ECON_POINTS, day, r->economy);
    return 0;
}

static int on_month(const struct odo_month *m, void *ctx)
{
    struct stats_ctx *c = ctx;
    keep(c->months, &c->nm, COST_MONTHS, m->month, m->cost);
    return 0;
}

static void fact(struct odo_buf *h, const char *label)
{
    odo_buf_puts(h, "<tr><th scope=\"row\">");
    ui_esc(h, label);
    odo_buf_puts(h, "</th><td>");
}

static void numbers(struct odo_buf *h, const char *caption, const char *unit,
                    const struct ui_point *p, int n, int scale)
{
    odo_buf_puts(h, "<details><summary>");
    ui_esc(h, caption);
    odo_buf_puts(h, " as numbers</summary><table><tbody>");
    for (int i = n - 1; i >= 0; i--) {
        odo_buf_puts(h, "<tr><th scope=\"row\">");
        ui_esc(h, p[i].label);
        odo_buf_puts(h, "</th><td class=\"num\">");
        ui_dec(h, p[i].value, scale, scale);
        odo_buf_puts(h, " ");
        ui_esc(h, unit);
        odo_buf_puts(h, "</td></tr>");
    }
    odo_buf_puts(h, "</tbody></table></details>");
}

void ui_page_stats(struct ui_req *r, const char *rest)
{
    struct stats_ctx c = {0};
    struct odo_settings set;
    struct odo_vehicle v;
    struct odo_vehicle_stats st;
    struct odo_err err;
    struct odo_buf *h = &r->h;
    const struct odo_units *u = &set.units;
    char title[80], cost_unit[16];

    (void)rest;
    ui_settings(r, &set);
    if (ui_vehicle(r, ui_given(r, "vehicle"), &v) != 0) {
        ui_page_begin(r, "Stats", "stats");
        odo_buf_puts(h, "<p>No vehicle yet.</p>");
        ui_page_end(r);
        return;
    }
    if (odo_stats_vehicle(r->ui->store, r->s->user, &v, &set, on_fill, on_month, &c, &st, &err) !=
        0) {
        ui_fail(r, 500, err.msg);
        return;
    }
    ui_page_begin(r, "Stats", "stats");
    ui_vehicle_tabs(r, "/stats", &v);
    odo_buf_puts(h, "<div class=\"stats\"><table class=\"facts\"><tbody>");
    fact(h, "Average economy");
    if (st.economy >= 0) {
        ui_dec(h, st.economy, ODO_ECON_SCALE, 2);
        odo_buf_printf(h, " %s", odo_econ_unit_label(u->econ));
    } else {
        odo_buf_puts(h, "- (needs two full fill-ups)");
    }
    odo_buf_printf(h, "</td></tr>");
    fact(h, "Fill-ups");
    odo_buf_printf(h, "%d (%d in the average)</td></tr>", st.fills, st.counted_fills);
    fact(h, "Distance");
    ui_dec(h, st.distance, ODO_SCALE_DISTANCE, 0);
    odo_buf_printf(h, " %s</td></tr>", odo_dist_unit_label(u->dist));
    fact(h, "Fuel");
    ui_dec(h, st.volume, ODO_SCALE_VOLUME, 2);
    odo_buf_printf(h, " %s</td></tr>", odo_vol_unit_label(u->vol));
    fact(h, "Cost");
    ui_dec(h, st.cost, ODO_SCALE_MONEY, 2);
    odo_buf_puts(h, " ");
    ui_esc(h, set.currency);
    odo_buf_puts(h, "</td></tr>");
    if (st.cost_per_distance >= 0) {
        fact(h, "Cost per distance");
        ui_dec(h, st.cost_per_distance, st.cpd_scale, st.cpd_scale);
        odo_buf_puts(h, " ");
        ui_esc(h, set.currency);
        odo_buf_printf(h, " %s</td></tr>", u->dist == ODO_DIST_MI ? "per mi" : "per 100 km");
    }
    odo_buf_puts(h, "</tbody></table><div class=\"charts\">");
    snprintf(title, sizeof(title), "Economy over time (%s)", odo_econ_unit_label(u->econ));
    ui_chart_line(h, "econ", title, odo_econ_unit_label(u->econ), c.econ, c.ne, ODO_ECON_SCALE);
    if (!c.ne)
        odo_buf_puts(h,
                     "<p><small>The economy shows once two full fill-ups are logged.</small></p>");
    numbers(h, "Economy", odo_econ_unit_label(u->econ), c.econ, c.ne, ODO_ECON_SCALE);
    snprintf(cost_unit, sizeof(cost_unit), "%s", set.currency);
    snprintf(title, sizeof(title), "Cost per month (%s)", set.currency);
    ui_chart_bars(h, "cost", title, cost_unit, c.months, c.nm, ODO_SCALE_MONEY);
    numbers(h, "Cost per month", cost_unit, c.months, c.nm, ODO_SCALE_MONEY);
    odo_buf_puts(h, "</div></div>");
    ui_page_end(r);
}
