/*
 * Charts as SVG, drawn here: a line (economy over time) and bars (cost per month). Values stay
 * scaled integers and coordinates are computed in integers, so a chart never disagrees with the
 * numbers beside it. Colours come from the stylesheet (classes), so both themes apply; each
 * chart carries a title and a description listing its values for screen readers, and the page
 * shows the same numbers in a table under it.
 */
#include <string.h>

#include "firmware/ui/internal.h"
#include "platform/decimal.h"

#define W      640 /* the viewBox; the chart scales to its box */
#define H      220
#define LEFT   64 /* room for the value labels */
#define RIGHT  12
#define TOP    12
#define BOTTOM 28 /* room for the x labels */
#define GRID   4  /* horizontal grid lines above the floor */

struct frame {
    int64_t lo, hi; /* the value range drawn */
};

static int y_of(const struct frame *f, int64_t v)
{
    int64_t span = f->hi - f->lo;
    return TOP + (int)((f->hi - v) * (H - TOP - BOTTOM) / (span ? span : 1));
}

static void open_svg(struct odo_buf *h, const char *id, const char *title, const char *unit,
                     const struct ui_point *p, int n, int scale)
{
    odo_buf_printf(h,
                   "<figure class=\"chart\"><svg viewBox=\"0 0 %d %d\" role=\"img\" "
                   "aria-labelledby=\"%s-t %s-d\"><title id=\"%s-t\">",
                   W, H, id, id, id);
    ui_esc(h, title);
    odo_buf_printf(h, "</title><desc id=\"%s-d\">", id);
    for (int i = 0; i < n; i++) {
        ui_esc(h, p[i].label);
        odo_buf_puts(h, ": ");
        ui_dec(h, p[i].value, scale, scale);
        odo_buf_puts(h, " ");
        ui_esc(h, unit);
        odo_buf_puts(h, i + 1 < n ? "; " : "");
    }
    odo_buf_puts(h, "</desc>");
}

/* The value range with a little air, and the grid with its labels. */
static void grid(struct odo_buf *h, struct frame *f, const struct ui_point *p, int n, int scale,
                 bool from_zero)
{
    int64_t lo = p[0].value, hi = p[0].value, step;

    for (int i = 1; i < n; i++) {
        lo = p[i].value < lo ? p[i].value : lo;
        hi = p[i].value > hi ? p[i].value : hi;
    }
    if (from_zero || lo < 0)
        lo = 0;
    step = (hi - lo) / 10 + 1;
    f->lo = from_zero ? 0 : lo - step;
    f->hi = hi + step;
    if (f->lo < 0)
        f->lo = 0;
    for (int g = 0; g <= GRID; g++) {
        int64_t v = f->lo + (f->hi - f->lo) * g / GRID;
        int y = y_of(f, v);
        odo_buf_printf(h, "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", LEFT, y,
                       W - RIGHT, y);
        odo_buf_printf(h, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", LEFT - 6,
                       y + 5);
        ui_dec(h, v, scale, scale > 1 ? 1 : scale);
        odo_buf_puts(h, "</text>");
    }
}

/* Labels under the x axis, thinned so that they do not overlap. */
static void x_labels(struct odo_buf *h, const struct ui_point *p, int n, const int *xs)
{
    int every = n > 6 ? (n + 5) / 6 : 1;

    for (int i = 0; i < n; i++) {
        if (i % every && i != n - 1)
            continue;
        odo_buf_printf(h, "<text class=\"label\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">", xs[i],
                       H - 8,
                       n > 1 && i == 0       ? "start"
                       : n > 1 && i == n - 1 ? "end"
                                             : "middle");
        ui_esc(h, p[i].label);
        odo_buf_puts(h, "</text>");
    }
}

static void close_svg(struct odo_buf *h, const char *title)
{
    odo_buf_puts(h, "</svg><figcaption>");
    ui_esc(h, title);
    odo_buf_puts(h, "</figcaption></figure>");
}

void ui_chart_line(struct odo_buf *h, const char *id, const char *title, const char *unit,
                   const struct ui_point *p, int n, int scale)
{
    struct frame f;
    int xs[64];

    if (n > (int)ODO_ARRAY_LEN(xs))
        n = (int)ODO_ARRAY_LEN(xs);
    open_svg(h, id, title, unit, p, n, scale);
    if (n > 0) {
        grid(h, &f, p, n, scale, false);
        for (int i = 0; i < n; i++)
            xs[i] =
                n == 1 ? (LEFT + W - RIGHT) / 2 : LEFT + 16 + i * (W - RIGHT - LEFT - 32) / (n - 1);
        odo_buf_puts(h, "<polyline class=\"line\" points=\"");
        for (int i = 0; i < n; i++)
            odo_buf_printf(h, "%s%d,%d", i ? " " : "", xs[i], y_of(&f, p[i].value));
        odo_buf_puts(h, "\"/>");
        for (int i = 0; i < n; i++)
            odo_buf_printf(h, "<circle class=\"dot\" cx=\"%d\" cy=\"%d\" r=\"5\"/>", xs[i],
                           y_of(&f, p[i].value));
        x_labels(h, p, n, xs);
    }
    close_svg(h, title);
}

void ui_chart_bars(struct odo_buf *h, const char *id, const char *title, const char *unit,
                   const struct ui_point *p, int n, int scale)
{
    struct frame f;
    int xs[64], slot, bar;

    if (n > (int)ODO_ARRAY_LEN(xs))
        n = (int)ODO_ARRAY_LEN(xs);
    open_svg(h, id, title, unit, p, n, scale);
    if (n > 0) {
        grid(h, &f, p, n, scale, true);
        slot = (W - RIGHT - LEFT) / n;
        bar = slot * 2 / 3;
        for (int i = 0; i < n; i++) {
            int y = y_of(&f, p[i].value), x = LEFT + i * slot + (slot - bar) / 2;
            xs[i] = x + bar / 2;
            odo_buf_printf(h, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>",
                           x, y, bar, y_of(&f, 0) - y);
        }
        x_labels(h, p, n, xs);
    }
    close_svg(h, title);
}
