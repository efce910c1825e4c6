/*
 * The driver's lists: what is due (overdue first, with "Done"), the fill-up history with the
 * economy of each fill, documents and their renewal, and the sync state. Each reads the same
 * storage calls as `odolog due`, `fuel list`, `renewal` and `sync status`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/ui/internal.h"
#include "platform/decimal.h"
#include "storage/entry.h"
#include "storage/maintenance.h"
#include "storage/reminders.h"
#include "storage/renewals.h"
#include "storage/replica.h"
#include "storage/stats.h"

#define HISTORY_PAGE 25 /* fill-ups on one page of the history */

/* ---- due ------------------------------------------------------------------------------------- */

struct due_ctx {
    struct ui_req *r;
    enum odo_due_level want;
    int shown;
};

static int due_row(const struct odo_due *d, void *ctx)
{
    struct due_ctx *c = ctx;
    struct odo_buf *h = &c->r->h;
    char when[160], date[ODO_DATE_TEXT_LEN + 1];

    if (d->level != c->want)
        return 0;
    c->shown++;
    odo_due_describe(d, when, sizeof(when));
    odo_buf_printf(h, "<li class=\"due level-%s\"><div><strong class=\"level\">%s</strong> ",
                   odo_due_level_name(d->level),
                   d->level == ODO_DUE_OVERDUE ? "Overdue"
                   : d->level == ODO_DUE_SOON  ? "Due soon"
                                               : "OK");
    ui_esc(h, d->kind);
    if (d->label[0]) {
        odo_buf_puts(h, ": ");
        ui_esc(h, d->label);
    }
    odo_buf_puts(h, " <span class=\"vehicle\">");
    ui_esc(h, d->vehicle_name);
    odo_buf_puts(h, "</span><br><small>");
    if (d->due_date != ODO_NO_DATE) {
        odo_date_format(d->due_date, date);
        odo_buf_puts(h, "due ");
        ui_esc(h, date);
        odo_buf_puts(h, ", ");
    }
    ui_esc(h, when);
    odo_buf_puts(h, "</small></div>");
    if (strcmp(d->kind, "maintenance") == 0) {
        odo_buf_printf(h, "<form method=\"post\" action=\"/done/%s\">", d->item_id);
        ui_csrf_field(c->r);
        odo_buf_puts(h, "<button type=\"submit\" class=\"primary\" aria-label=\"Done: ");
        ui_esc(h, d->label);
        odo_buf_puts(h, ", ");
        ui_esc(h, d->vehicle_name);
        odo_buf_puts(h, "\">Done</button></form>");
    } else {
        odo_buf_printf(h, "<a class=\"button\" href=\"/renewals?vehicle=%s&amp;kind=%s\">Renew</a>",
                       d->vehicle_id, d->kind);
    }
    odo_buf_puts(h, "</li>");
    return 0;
}

void ui_page_due(struct ui_req *r, const char *rest)
{
    static const enum odo_due_level order[] = {ODO_DUE_OVERDUE, ODO_DUE_SOON, ODO_DUE_OK};
    struct due_ctx c = {r, ODO_DUE_OK, 0};
    struct odo_settings set;
    struct odo_err err;
    int32_t today = odo_date_local(odo_clock_now(NULL));

    (void)rest;
    ui_settings(r, &set);
    ui_page_begin(r, "Due", "due");
    odo_buf_puts(&r->h, "<ul class=\"cards\">");
    /* Most urgent first: one streamed pass per level, as `odolog due` does. */
    for (size_t i = 0; i < ODO_ARRAY_LEN(order); i++) {
        c.want = order[i];
        if (odo_due_list(r->ui->store, r->s->user, today, &set, due_row, &c, &err) != 0) {
            ui_notice(&r->h, "error", err.msg);
            break;
        }
    }
    odo_buf_puts(&r->h, "</ul>");
    if (!c.shown)
        odo_buf_puts(&r->h, "<p>Nothing is due.</p>");
    ui_page_end(r);
}

void ui_page_done(struct ui_req *r, const char *rest)
{
    struct odo_settings set;
    struct odo_service rec;
    struct odo_maint m, next;
    struct odo_err err;
    char msg[160];

    ui_settings(r, &set);
    memset(&rec, 0, sizeof(rec));
    rec.performed_at = odo_clock_now(NULL);
    rec.odometer = ODO_NONE;
    rec.cost = ODO_NONE;
    memcpy(rec.currency, set.currency, sizeof(rec.currency));
    if (strlen(rest) != ODO_UUID_TEXT_LEN ||
        odo_maint_resolve(r->ui->store, r->s->user, rest, NULL, &m, &err) != 0) {
        ui_fail(r, 404, "There is no such maintenance item (it may have been removed).");
        return;
    }
    if (odo_maint_complete(r->ui->store, r->s->user, m.id, &rec, &next, &err) != 0) {
        ui_fail(r, 422, err.msg);
        return;
    }
    snprintf(msg, sizeof(msg), "Recorded %s", next.type);
    if (next.due_date != ODO_NO_DATE) {
        char d[ODO_DATE_TEXT_LEN + 1];
        odo_date_format(next.due_date, d);
        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "; next due %s", d);
    } else if (next.due_odometer == ODO_NONE) {
        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "; it does not recur");
    }
    ui_redirect(r, "/due", msg);
}

/* ---- history --------------------------------------------------------------------------------- */

struct history {
    struct ui_req *r;
    const struct odo_settings *set;
    int index, from, to; /* fills [from, to) of the time order are shown */
    struct odo_fuel_log logs[HISTORY_PAGE];
    struct odo_fill_report rep[HISTORY_PAGE];
    int n;
};

static int history_keep(const struct odo_fill_report *rep, void *ctx)
{
    struct history *hi = ctx;

    if (hi->index >= hi->from && hi->index < hi->to) {
        hi->logs[hi->n] = *rep->log;
        hi->rep[hi->n] = *rep;
        hi->rep[hi->n].log = &hi->logs[hi->n];
        hi->n++;
    }
    hi->index++;
    return 0;
}

static void history_row(struct ui_req *r, const struct odo_fill_report *rep,
                        const struct odo_settings *set, const char *saved)
{
    const struct odo_fuel_log *f = rep->log;
    struct odo_buf *h = &r->h;
    char when[32];

    odo_time_format_local(f->filled_at, when);
    odo_buf_printf(h, "<tr%s><td>", saved && strcmp(saved, f->id) == 0 ? " class=\"saved\"" : "");
    ui_esc(h, when);
    odo_buf_puts(h, "</td><td class=\"num\">");
    ui_dec(h, f->odometer, ODO_SCALE_DISTANCE, 0);
    odo_buf_puts(h, "</td><td class=\"num\">");
    ui_dec(h, f->volume, ODO_SCALE_VOLUME, 2);
    odo_buf_printf(h, " %s</td><td class=\"num\">", odo_vol_unit_label(f->volume_unit));
    if (f->total_cost != ODO_NONE) {
        ui_dec(h, f->total_cost, ODO_SCALE_MONEY, 2);
        odo_buf_puts(h, " ");
        ui_esc(h, f->currency);
    } else {
        odo_buf_puts(h, "-");
    }
    odo_buf_puts(h, "</td><td class=\"num\">");
    if (rep->econ.delta_um > 0)
        ui_dec(h, rep->distance, ODO_SCALE_DISTANCE, 0);
    else
        odo_buf_puts(h, "-");
    odo_buf_puts(h, "</td><td class=\"num\">");
    if (rep->economy >= 0)
        ui_dec(h, rep->economy, ODO_ECON_SCALE, 2);
    else
        odo_buf_puts(h, "-");
    odo_buf_printf(h,
                   "</td><td>%s</td><td><a class=\"button small\" href=\"/fill/%s\" "
                   "aria-label=\"Edit the fill-up of ",
                   rep->econ.kind == ODO_FILL_FULL ? "" : odo_fill_kind_name(rep->econ.kind),
                   f->id);
    ui_esc(h, when);
    odo_buf_puts(h, "\">Edit</a></td></tr>");
    (void)set;
}

void ui_page_history(struct ui_req *r, const char *rest)
{
    struct odo_settings set;
    struct odo_vehicle v;
    struct odo_vehicle_stats st;
    struct odo_err err;
    struct history *hi;
    const char *page_arg = ui_given(r, "page");
    int page = page_arg ? atoi(page_arg) : 1;

    (void)rest;
    if (ui_vehicle(r, ui_given(r, "vehicle"), &v) != 0) {
        ui_page_begin(r, "History", "history");
        odo_buf_puts(&r->h, "<p>No vehicle yet.</p>");
        ui_page_end(r);
        return;
    }
    if (!(hi = calloc(1, sizeof(*hi)))) {
        ui_fail(r, 500, "Out of memory.");
        return;
    }
    ui_settings(r, &set);
    /* A first pass counts, a second keeps the page: the newest fill-ups come first. */
    if (odo_stats_vehicle(r->ui->store, r->s->user, &v, &set, NULL, NULL, NULL, &st, &err) == 0) {
        int pages = st.fills ? (st.fills + HISTORY_PAGE - 1) / HISTORY_PAGE : 1;
        page = page < 1 ? 1 : page > pages ? pages : page;
        hi->to = st.fills - (page - 1) * HISTORY_PAGE;
        hi->from = hi->to - HISTORY_PAGE > 0 ? hi->to - HISTORY_PAGE : 0;
        hi->r = r;
        if (odo_stats_vehicle(r->ui->store, r->s->user, &v, &set, history_keep, NULL, hi, &st,
                              &err) == 0) {
            ui_page_begin(r, "History", "history");
            ui_vehicle_tabs(r, "/history", &v);
            if (hi->n == 0) {
                odo_buf_puts(&r->h, "<p>No fill-ups yet.</p>");
            } else {
                odo_buf_printf(
                    &r->h,
                    "<table class=\"history\"><thead><tr><th scope=\"col\">When</th><th "
                    "scope=\"col\" class=\"num\">Odometer</th><th scope=\"col\" "
                    "class=\"num\">Volume</th><th scope=\"col\" class=\"num\">Total</th><th "
                    "scope=\"col\" class=\"num\">Distance (%s)</th><th scope=\"col\" "
                    "class=\"num\">%s</th><th scope=\"col\">Kind</th><th scope=\"col\"><span "
                    "class=\"sr\">Edit</span></th></tr></thead><tbody>",
                    odo_dist_unit_label(set.units.dist), odo_econ_unit_label(set.units.econ));
                for (int i = hi->n - 1; i >= 0; i--)
                    history_row(r, &hi->rep[i], &set, ui_given(r, "saved"));
                odo_buf_puts(&r->h, "</tbody></table>");
                if (hi->from > 0 || page > 1) {
                    odo_buf_puts(&r->h, "<p class=\"pages\">");
                    if (page > 1)
                        odo_buf_printf(
                            &r->h,
                            "<a class=\"button\" href=\"/history?vehicle=%s&amp;page=%d\">"
                            "Newer</a>",
                            v.id, page - 1);
                    if (hi->from > 0)
                        odo_buf_printf(
                            &r->h,
                            "<a class=\"button\" href=\"/history?vehicle=%s&amp;page=%d\">"
                            "Older</a>",
                            v.id, page + 1);
                    odo_buf_puts(&r->h, "</p>");
                }
            }
            ui_page_end(r);
            free(hi);
            return;
        }
    }
    free(hi);
    ui_fail(r, 500, err.msg);
}

struct tabs {
    struct ui_req *r;
    const char *path, *current;
    int n;
};

static int tab(const struct odo_vehicle *v, void *ctx)
{
    struct tabs *t = ctx;

    odo_buf_printf(&t->r->h, "<a class=\"button small\" href=\"%s?vehicle=%s\"%s>", t->path, v->id,
                   strcmp(v->id, t->current) == 0 ? " aria-current=\"true\"" : "");
    ui_esc(&t->r->h, v->name);
    odo_buf_puts(&t->r->h, "</a>");
    t->n++;
    return 0;
}

void ui_vehicle_tabs(struct ui_req *r, const char *path, const struct odo_vehicle *current)
{
    struct tabs t = {r, path, current->id, 0};
    size_t mark;

    odo_buf_puts(&r->h, "<p class=\"vehicles\">");
    mark = r->h.len;
    (void)!odo_vehicle_list(r->ui->store, r->s->user, false, tab, &t, NULL);
    if (t.n < 2) {
        r->h.len = mark; /* one vehicle: nothing to choose */
        r->h.data[mark] = '\0';
        odo_buf_puts(&r->h, "<strong>");
        ui_esc(&r->h, current->name);
        odo_buf_puts(&r->h, "</strong>");
    }
    odo_buf_puts(&r->h, "</p>");
}

/* ---- documents --------------------------------------------------------------------------------
 */

struct renewal_ctx {
    struct ui_req *r;
    int n;
};

static int renewal_row(const struct odo_renewal *rn, void *ctx)
{
    struct renewal_ctx *c = ctx;
    struct odo_buf *h = &c->r->h;
    struct odo_vehicle v;
    char from[ODO_DATE_TEXT_LEN + 1], until[ODO_DATE_TEXT_LEN + 1];

    if (odo_vehicle_get(c->r->ui->store, c->r->s->user, rn->vehicle_id, &v, NULL) != 0)
        snprintf(v.name, sizeof(v.name), "?");
    odo_date_format(rn->valid_from, from);
    odo_date_format(rn->valid_until, until);
    odo_buf_printf(h, "<tr><td>%s</td><td>", odo_renewal_kind_name(rn->kind));
    ui_esc(h, v.name);
    odo_buf_puts(h, "</td><td>");
    ui_esc(h, rn->document_number[0] ? rn->document_number : "-");
    odo_buf_puts(h, "</td><td>");
    ui_esc(h, from);
    odo_buf_puts(h, "</td><td>");
    ui_esc(h, until);
    odo_buf_puts(h, "</td><td class=\"num\">");
    if (rn->cost != ODO_NONE) {
        ui_dec(h, rn->cost, ODO_SCALE_MONEY, 2);
        odo_buf_puts(h, " ");
        ui_esc(h, rn->currency);
    } else {
        odo_buf_puts(h, "-");
    }
    odo_buf_printf(h, "</td><td><form method=\"post\" action=\"/renewals/delete/%s\">", rn->id);
    ui_csrf_field(c->r);
    odo_buf_printf(h,
                   "<button type=\"submit\" class=\"small danger\" aria-label=\"Remove the %s "
                   "document ",
                   odo_renewal_kind_name(rn->kind));
    ui_esc(h, rn->document_number);
    odo_buf_puts(h, "\">Remove</button></form></td></tr>");
    c->n++;
    return 0;
}

static void kind_select(struct odo_buf *h, const char *kind)
{
    static const enum odo_renewal_kind kinds[] = {ODO_RENEWAL_INSURANCE, ODO_RENEWAL_REGISTRATION,
                                                  ODO_RENEWAL_EMISSIONS};

    odo_buf_puts(h, "<div class=\"field\"><label for=\"f-kind\">Kind</label><select id=\"f-kind\" "
                    "name=\"kind\">");
    for (size_t i = 0; i < ODO_ARRAY_LEN(kinds); i++) {
        const char *k = odo_renewal_kind_name(kinds[i]);
        odo_buf_printf(h, "<option value=\"%s\"%s>%s</option>", k,
                       kind && strcmp(kind, k) == 0 ? " selected" : "", k);
    }
    odo_buf_puts(h, "</select></div>");
}

void ui_page_renewals(struct ui_req *r, const char *rest)
{
    struct renewal_ctx c = {r, 0};
    struct odo_settings set;
    struct odo_renewal rn;
    struct odo_vehicle v;
    struct odo_err err;
    const char *bad[6] = {NULL}, *top = NULL;
    char today[ODO_DATE_TEXT_LEN + 1];
    struct ui_input in;
    int rc = 0;

    (void)rest;
    ui_settings(r, &set);
    if (ui_vehicle(r, ui_given(r, "vehicle"), &v) != 0) {
        ui_page_begin(r, "Documents", "renewals");
        odo_buf_puts(&r->h, "<p>No vehicle yet.</p>");
        ui_page_end(r);
        return;
    }
    odo_date_format(odo_date_local(odo_clock_now(NULL)), today);
    if (r->post) {
        memset(&rn, 0, sizeof(rn));
        rn.cost = ODO_NONE;
        rn.valid_from = odo_date_local(odo_clock_now(NULL));
        memcpy(rn.currency, set.currency, sizeof(rn.currency));
        memcpy(rn.vehicle_id, v.id, sizeof(rn.vehicle_id));
        if ((rc = odo_renewal_kind_parse(ui_field(r, "kind") ? ui_field(r, "kind") : "", &rn.kind,
                                         &err)))
            bad[0] = err.msg;
        else if ((rc = odo_entry_copy(rn.document_number, sizeof(rn.document_number),
                                      ui_field(r, "number") ? ui_field(r, "number") : "",
                                      "the document number", &err)))
            bad[1] = err.msg;
        else if ((rc = odo_entry_copy(rn.issuer, sizeof(rn.issuer),
                                      ui_field(r, "issuer") ? ui_field(r, "issuer") : "",
                                      "the issuer", &err)))
            bad[2] = err.msg;
        else if (ui_given(r, "from") &&
                 (rc = odo_date_parse(ui_given(r, "from"), &rn.valid_from, &err)))
            bad[3] = err.msg;
        else if ((rc = odo_date_parse(ui_field(r, "until") ? ui_field(r, "until") : "",
                                      &rn.valid_until, &err)))
            bad[4] = err.msg;
        else if (ui_given(r, "cost") &&
                 (rc = odo_entry_money(ui_given(r, "cost"), "the cost", &rn.cost, &err)))
            bad[5] = err.msg;
        else if ((rc = odo_renewal_add(r->ui->store, r->s->user, &rn, &err)))
            top = err.msg;
        if (rc == 0) {
            ui_redirect(r, "/renewals", "Document saved.");
            return;
        }
        r->status = 422;
    }
    ui_page_begin(r, "Documents", "renewals");
    ui_vehicle_tabs(r, "/renewals", &v);
    odo_buf_puts(&r->h,
                 "<table><thead><tr><th scope=\"col\">Kind</th><th scope=\"col\">Vehicle</th>"
                 "<th scope=\"col\">Number</th><th scope=\"col\">From</th><th "
                 "scope=\"col\">Until</th><th scope=\"col\" class=\"num\">Cost</th><th "
                 "scope=\"col\"><span class=\"sr\">Remove</span></th></tr></thead><tbody>");
    if (odo_renewal_list(r->ui->store, r->s->user, v.id, renewal_row, &c, &err) != 0)
        ui_notice(&r->h, "error", err.msg);
    odo_buf_puts(&r->h, "</tbody></table>");
    if (!c.n)
        odo_buf_puts(&r->h, "<p>No documents yet.</p>");
    odo_buf_printf(&r->h,
                   "<h2>Add a document</h2><form method=\"post\" action=\"/renewals?vehicle=%s\" "
                   "class=\"entry\" novalidate>",
                   v.id);
    if (top)
        ui_notice(&r->h, "error", top);
    ui_csrf_field(r);
    odo_buf_puts(&r->h, "<div class=\"grid\">");
    kind_select(&r->h, ui_field(r, "kind"));
    in = (struct ui_input){.name = "number",
                           .label = "Document number",
                           .value = ui_field(r, "number"),
                           .error = bad[1]};
    ui_input(&r->h, &in);
    in = (struct ui_input){
        .name = "issuer", .label = "Issuer", .value = ui_field(r, "issuer"), .error = bad[2]};
    ui_input(&r->h, &in);
    in = (struct ui_input){.name = "from",
                           .label = "Valid from",
                           .type = "date",
                           .value = r->post ? ui_field(r, "from") : today,
                           .error = bad[3]};
    ui_input(&r->h, &in);
    in = (struct ui_input){.name = "until",
                           .label = "Valid until",
                           .type = "date",
                           .value = ui_field(r, "until"),
                           .error = bad[4]};
    ui_input(&r->h, &in);
    in = (struct ui_input){.name = "cost",
                           .label = "Cost",
                           .value = ui_field(r, "cost"),
                           .error = bad[5],
                           .mode = "decimal",
                           .hint = set.currency};
    ui_input(&r->h, &in);
    odo_buf_puts(&r->h, "</div>");
    if (bad[0])
        ui_notice(&r->h, "error", bad[0]);
    odo_buf_puts(&r->h,
                 "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Save</button>"
                 "</div></form>");
    ui_page_end(r);
}

void ui_page_renewal_delete(struct ui_req *r, const char *rest)
{
    struct odo_renewal rn;
    struct odo_err err;

    if (strlen(rest) != ODO_UUID_TEXT_LEN ||
        odo_renewal_resolve(r->ui->store, r->s->user, rest, &rn, &err) != 0) {
        ui_fail(r, 404, "There is no such document (it may have been removed).");
        return;
    }
    if (odo_renewal_remove(r->ui->store, r->s->user, rn.id, &err) != 0) {
        ui_fail(r, 500, err.msg);
        return;
    }
    ui_redirect(r, "/renewals", "Document removed.");
}

/* ---- sync ------------------------------------------------------------------------------------ */

static void sync_row(struct odo_buf *h, const char *label, const char *value)
{
    odo_buf_puts(h, "<tr><th scope=\"row\">");
    ui_esc(h, label);
    odo_buf_puts(h, "</th><td>");
    ui_esc(h, value);
    odo_buf_puts(h, "</td></tr>");
}

void ui_page_sync(struct ui_req *r, const char *rest)
{
    struct odo_sync_state st;
    struct odo_err err;
    struct odo_buf *h = &r->h;
    char n[32];
    bool offline;

    (void)rest;
    ui_page_begin(r, "Sync", "sync");
    if (odo_replica_state(r->ui->store, r->s->user, &st, &err) != 0) {
        ui_notice(h, "error", err.msg);
        ui_page_end(r);
        return;
    }
    offline = st.last_error_at[0] && strcmp(st.last_error_at, st.last_success) > 0;
    if (!st.logged_in)
        ui_notice(h, "error",
                  "Not signed in to a gateway: everything stays on this device until "
                  "it is (odolog login).");
    else if (offline)
        ui_notice(h, "error",
                  "Offline: the last attempt to sync failed. Everything is kept here "
                  "and sent when the link is back.");
    else if (st.last_success[0])
        ui_notice(h, "ok", "Online: the last sync went through.");
    else
        ui_notice(h, "ok", "Signed in; not synced yet.");
    odo_buf_puts(h, "<table class=\"facts\"><tbody>");
    snprintf(n, sizeof(n), "%lld", (long long)st.outbox);
    sync_row(h, "Changes waiting", n);
    if (st.oldest[0])
        sync_row(h, "Oldest waiting change", st.oldest);
    sync_row(h, "Last sync", st.last_success[0] ? st.last_success : "never");
    if (st.last_error[0]) {
        sync_row(h, "Last failure", st.last_error_at);
        sync_row(h, "Why", st.last_error);
    }
    if (st.refused) {
        snprintf(n, sizeof(n), "%lld", (long long)st.refused);
        sync_row(h, "Changes the gateway refused", n);
        sync_row(h, "Last refusal", st.last_refusal);
    }
    sync_row(h, "Device", odo_store_device_id(r->ui->store));
    odo_buf_puts(h,
                 "</tbody></table><p><small>The head unit syncs by itself: soon after each change, "
                 "and every few minutes. Nothing here waits for it.</small></p>");
    ui_page_end(r);
}
