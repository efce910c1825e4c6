/*
 * The fill-up chain of storage/economy.h.
 */
#include "storage/economy.h"

#include <string.h>

void odo_econ_init(struct odo_econ *e)
{
    memset(e, 0, sizeof(*e));
}

int odo_econ_feed(struct odo_econ *e, const struct odo_fill *f, struct odo_fill_result *out)
{
    memset(out, 0, sizeof(*out));
    bool fresh = !e->have_prev || f->reset;

    if (!fresh && f->odometer_um < e->prev_um)
        return ODO_EINVAL;
    out->delta_um = fresh ? 0 : f->odometer_um - e->prev_um;
    e->driven_um += out->delta_um;

    if (fresh) {
        out->kind = f->full ? ODO_FILL_BASELINE : ODO_FILL_UNCOUNTED;
        e->chain_open = f->full;
    } else if (f->missed) {
        /* The fuel of the unlogged fill is unknown, so nothing since the last fill counts. */
        out->kind = ODO_FILL_MISSED;
        e->chain_open = f->full;
    } else if (!e->chain_open) {
        out->kind = f->full ? ODO_FILL_BASELINE : ODO_FILL_UNCOUNTED;
        e->chain_open = f->full;
    } else {
        e->chain_um += out->delta_um;
        e->chain_pl += f->volume_pl;
        e->chain_fills++;
        if (f->full) {
            out->kind = ODO_FILL_FULL;
            out->chain_um = e->chain_um;
            out->chain_pl = e->chain_pl;
            out->chain_fills = e->chain_fills;
            e->total_um += e->chain_um;
            e->total_pl += e->chain_pl;
            e->counted_fills += e->chain_fills;
        } else {
            out->kind = ODO_FILL_PARTIAL;
        }
    }
    if (out->kind != ODO_FILL_PARTIAL) {
        e->chain_um = 0;
        e->chain_pl = 0;
        e->chain_fills = 0;
    }
    e->have_prev = true;
    e->prev_um = f->odometer_um;
    e->fills++;
    return 0;
}

const char *odo_fill_kind_name(enum odo_fill_kind k)
{
    static const char *const names[] = {"baseline", "full", "partial", "missed", "uncounted"};
    return names[k];
}
