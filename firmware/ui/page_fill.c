/*
 * The driver's entry screens: a fill-up (new, edited, deleted) and an odometer reading. The
 * form is read field by field through storage/entry.h and saved with odo_fuel_save, the calls
 * `odolog fuel add|edit` make, so a refusal here is the CLI's refusal, in its words, shown
 * beside the field it is about.
 */
#include <stdio.h>
#include <string.h>

#include "firmware/ui/internal.h"
#include "platform/decimal.h"
#include "storage/entry.h"
#include "storage/fuel.h"
#include "storage/odometer.h"

/* What the fill-up form shows: values as text, and the refusal to show beside its field. */
struct fill_form {
    const char *id; /* the fill-up being edited, or NULL for a new one */
    struct odo_vehicle v;
    char date[24], odometer[ODO_DEC_TEXT_MAX], volume[ODO_DEC_TEXT_MAX];
    char price[ODO_DEC_TEXT_MAX], total[ODO_DEC_TEXT_MAX], offered[ODO_DEC_TEXT_MAX];
    char station[ODO_LABEL_MAX + 1], currency[4];
    enum odo_vol_unit unit;
    bool full, missed;
    enum odo_fuel_field field;
    const char *error;
};

/* "YYYY-MM-DDTHH:MM" in local time, as a datetime-local input shows it. */
static void local_input_time(int64_t ms, char out[24])
{
    char t[32];
    odo_time_format_local(ms, t);
    snprintf(out, 24, "%.10sT%.5s", t, t + 11);
}

/* The form's text for a stored (or a new) fill-up. */
static void form_from_log(struct fill_form *f, const struct odo_fuel_log *l)
{
    local_input_time(l->filled_at, f->date);
    f->odometer[0] = f->volume[0] = f->price[0] = f->total[0] = '\0';
    if (l->odometer > 0 || f->id)
        odo_dec_format(l->odometer, ODO_SCALE_DISTANCE, 0, f->odometer, sizeof(f->odometer));
    if (l->volume > 0)
        odo_dec_format(l->volume, ODO_SCALE_VOLUME, 0, f->volume, sizeof(f->volume));
    if (l->unit_price != ODO_NONE)
        odo_dec_format(l->unit_price, ODO_SCALE_PRICE, 0, f->price, sizeof(f->price));
    if (l->total_cost != ODO_NONE)
        odo_dec_format(l->total_cost, ODO_SCALE_MONEY, 2, f->total, sizeof(f->total));
    snprintf(f->station, sizeof(f->station), "%s", l->station);
    memcpy(f->currency, l->currency, sizeof(f->currency));
    f->unit = l->volume_unit;
    f->full = l->full;
    f->missed = l->missed;
}

static const char *error_at(const struct fill_form *f, enum odo_fuel_field field)
{
    return f->error && f->field == field ? f->error : NULL;
}

struct vehicle_options {
    struct odo_buf *h;
    const char *selected;
    int n;
};

static int vehicle_option(const struct odo_vehicle *v, void *ctx)
{
    struct vehicle_options *o = ctx;

    odo_buf_printf(o->h, "<option value=\"%s\"%s>", v->id,
                   strcmp(v->id, o->selected) == 0 ? " selected" : "");
    ui_esc(o->h, v->name);
    odo_buf_puts(o->h, "</option>");
    o->n++;
    return 0;
}

/* The vehicle picker shared by the entry forms. */
static void vehicle_select(struct ui_req *r, const char *selected, bool reload, const char *error)
{
    struct vehicle_options o = {&r->h, selected, 0};

    odo_buf_printf(&r->h,
                   "<div class=\"field%s\"><label for=\"f-vehicle\">Vehicle</label><select "
                   "id=\"f-vehicle\" name=\"vehicle\"%s%s>",
                   error ? " bad" : "", reload ? " data-reload" : "",
                   error ? " aria-invalid=\"true\" aria-describedby=\"e-vehicle\"" : "");
    (void)!odo_vehicle_list(r->ui->store, r->s->user, false, vehicle_option, &o, NULL);
    odo_buf_puts(&r->h, "</select>");
    if (error) {
        odo_buf_puts(&r->h, "<p class=\"err\" id=\"e-vehicle\">");
        ui_esc(&r->h, error);
        odo_buf_puts(&r->h, "</p>");
    }
    odo_buf_puts(&r->h, "</div>");
}

static void unit_select(struct odo_buf *h, enum odo_vol_unit unit, const char *error)
{
    static const enum odo_vol_unit units[] = {ODO_VOL_L, ODO_VOL_GAL_US, ODO_VOL_GAL_IMP};

    odo_buf_printf(
        h,
        "<div class=\"field narrow%s\"><label for=\"f-unit\">Unit</label><select id=\"f-unit\" "
        "name=\"unit\">",
        error ? " bad" : "");
    for (size_t i = 0; i < ODO_ARRAY_LEN(units); i++)
        odo_buf_printf(h, "<option value=\"%s\"%s>%s</option>", odo_vol_unit_name(units[i]),
                       units[i] == unit ? " selected" : "", odo_vol_unit_label(units[i]));
    odo_buf_puts(h, "</select>");
    if (error) {
        odo_buf_puts(h, "<p class=\"err\">");
        ui_esc(h, error);
        odo_buf_puts(h, "</p>");
    }
    odo_buf_puts(h, "</div>");
}

/* The on-screen number pad the script attaches to fields marked data-keypad. */
static void keypad(struct odo_buf *h)
{
    static const char *const keys[] = {"7", "8", "9", "4", "5", "6", "1", "2", "3", ".", "0"};

    odo_buf_puts(h, "<div class=\"keypad\" hidden aria-label=\"Number pad\" role=\"group\">");
    for (size_t i = 0; i < ODO_ARRAY_LEN(keys); i++)
        odo_buf_printf(h, "<button type=\"button\" data-key=\"%s\">%s</button>", keys[i], keys[i]);
    odo_buf_puts(h,
                 "<button type=\"button\" data-key=\"back\" aria-label=\"Delete\">&#9003;</button>"
                 "<button type=\"button\" data-key=\"next\" class=\"next\">Next</button></div>");
}

static void render_fill(struct ui_req *r, struct fill_form *f)
{
    struct odo_settings set;
    struct odo_buf *h = &r->h;
    char hint[80], dist[ODO_DEC_TEXT_MAX], price_hint[40], total_hint[16];
    int64_t odo = ODO_NONE;
    struct ui_input in;

    ui_settings(r, &set);
    ui_page_begin(r, f->id ? "Edit fill-up" : "Fill-up", "fill");
    if (f->error && f->field == ODO_FUEL_FIELD_NONE)
        ui_notice(h, "error", f->error);
    odo_buf_printf(h, "<form method=\"post\" action=\"%s%s\" class=\"entry\" novalidate>",
                   f->id ? "/fill/" : "/fill", f->id ? f->id : "");
    ui_csrf_field(r);
    if (!f->id)
        odo_buf_printf(h, "<input type=\"hidden\" name=\"offered\" value=\"%s\">", f->offered);
    odo_buf_puts(h, "<div class=\"grid\">");
    (void)!odo_vehicle_odometer(r->ui->store, r->s->user, f->v.id, &odo, NULL);
    if (odo != ODO_NONE)
        snprintf(hint, sizeof(hint), "%s, last %s", odo_dist_unit_label(f->v.odometer_unit),
                 odo_dec_format(odo, ODO_SCALE_DISTANCE, 0, dist, sizeof(dist)));
    else
        snprintf(hint, sizeof(hint), "%s", odo_dist_unit_label(f->v.odometer_unit));
    in = (struct ui_input){.name = "odometer",
                           .label = "Odometer",
                           .value = f->odometer,
                           .error = error_at(f, ODO_FUEL_FIELD_ODOMETER),
                           .mode = "decimal",
                           .hint = hint,
                           .keypad = true,
                           .extra = f->id ? NULL : "autofocus enterkeyhint=\"next\""};
    ui_input(h, &in);
    in = (struct ui_input){.name = "volume",
                           .label = "Volume",
                           .value = f->volume,
                           .error = error_at(f, ODO_FUEL_FIELD_VOLUME),
                           .mode = "decimal",
                           .keypad = true,
                           .extra = "enterkeyhint=\"next\""};
    ui_input(h, &in);
    unit_select(h, f->unit, error_at(f, ODO_FUEL_FIELD_UNIT));
    snprintf(price_hint, sizeof(price_hint), "%s per %s",
             f->currency[0] ? f->currency : set.currency, odo_vol_unit_label(f->unit));
    in = (struct ui_input){.name = "price",
                           .label = "Price per unit",
                           .value = f->price,
                           .error = error_at(f, ODO_FUEL_FIELD_PRICE),
                           .mode = "decimal",
                           .hint = price_hint,
                           .keypad = true};
    ui_input(h, &in);
    snprintf(total_hint, sizeof(total_hint), "%s", f->currency[0] ? f->currency : set.currency);
    in = (struct ui_input){.name = "total",
                           .label = "Total",
                           .value = f->total,
                           .error = error_at(f, ODO_FUEL_FIELD_TOTAL)
                                        ? error_at(f, ODO_FUEL_FIELD_TOTAL)
                                        : error_at(f, ODO_FUEL_FIELD_CURRENCY),
                           .mode = "decimal",
                           .hint = total_hint,
                           .keypad = true};
    ui_input(h, &in);
    in = (struct ui_input){.name = "station",
                           .label = "Station",
                           .value = f->station,
                           .error = error_at(f, ODO_FUEL_FIELD_STATION)};
    ui_input(h, &in);
    vehicle_select(r, f->v.id, !f->id, error_at(f, ODO_FUEL_FIELD_VEHICLE));
    in = (struct ui_input){.name = "date",
                           .label = "When",
                           .type = "datetime-local",
                           .value = f->date,
                           .error = error_at(f, ODO_FUEL_FIELD_DATE)};
    ui_input(h, &in);
    odo_buf_puts(h, "<div class=\"checks\">");
    ui_checkbox(h, "full", "Full tank", f->full);
    ui_checkbox(h, "missed", "Missed previous fill-up", f->missed);
    odo_buf_puts(h, "</div></div><div class=\"actions\"><button type=\"submit\" class=\"primary\">"
                    "Save</button>");
    if (f->id)
        odo_buf_printf(h,
                       "<a class=\"button\" href=\"/history\">Cancel</a><a class=\"button danger\" "
                       "href=\"/delete/%s\">Delete</a>",
                       f->id);
    odo_buf_puts(h, "</div>");
    keypad(h);
    odo_buf_puts(h, "</form>");
    ui_page_end(r);
}

static void no_vehicle(struct ui_req *r)
{
    ui_page_begin(r, "Fill-up", "fill");
    ui_notice(&r->h, "error", "There is no vehicle to log for yet.");
    odo_buf_puts(&r->h, "<p>A technician registers one by its VIN on the VIN screen, or with "
                        "<code>odolog vehicle add</code>.</p><p><a class=\"button primary\" "
                        "href=\"/vin\">Register a vehicle</a></p>");
    ui_page_end(r);
}

/* A stored live fill-up of the user, by its full id. */
static bool load_fill(struct ui_req *r, const char *id, struct odo_fuel_log *l)
{
    return strlen(id) == ODO_UUID_TEXT_LEN &&
           odo_fuel_get(r->ui->store, r->s->user, id, l, NULL) == 0 && !l->deleted_at[0];
}

void ui_page_fill(struct ui_req *r, const char *rest)
{
    struct fill_form f;
    struct odo_settings set;
    struct odo_fuel_log l, last;

    memset(&f, 0, sizeof(f));
    if (rest[0]) {
        if (!load_fill(r, rest, &l) ||
            odo_vehicle_get(r->ui->store, r->s->user, l.vehicle_id, &f.v, NULL) != 0) {
            ui_fail(r, 404, "There is no such fill-up (it may have been deleted).");
            return;
        }
        f.id = rest;
        form_from_log(&f, &l);
        render_fill(r, &f);
        return;
    }
    if (ui_vehicle(r, ui_given(r, "vehicle"), &f.v) != 0) {
        no_vehicle(r);
        return;
    }
    ui_settings(r, &set);
    odo_fuel_entry_start(&f.v, &set, odo_clock_now(NULL), &l);
    l.odometer = 0;
    l.volume = 0;
    /* The last price and station are offered: at the same pump they are right. */
    if (odo_fuel_last(r->ui->store, r->s->user, f.v.id, &last, NULL) == 0 ||
        odo_fuel_last(r->ui->store, r->s->user, NULL, &last, NULL) == 0) {
        l.unit_price = last.unit_price;
        l.volume_unit = last.volume_unit;
        memcpy(l.station, last.station, sizeof(l.station));
        memcpy(l.currency, last.currency, sizeof(l.currency));
    }
    form_from_log(&f, &l);
    memcpy(f.offered, f.price, sizeof(f.offered));
    render_fill(r, &f);
}

/* A field as typed, or NULL when it was left as the form offered it (`was`): what is left
 * untouched is not given, so the CLI's rules for price and total apply as they do to options. */
static const char *changed(struct ui_req *r, const char *name, const char *was)
{
    const char *v = ui_field(r, name);
    return v && (!was || strcmp(v, was) != 0) ? v : NULL;
}

void ui_page_fill_save(struct ui_req *r, const char *rest)
{
    struct odo_store *st = r->ui->store;
    struct odo_fuel_entry e = {0};
    struct odo_settings set;
    struct odo_fuel_log l;
    struct fill_form f, was;
    struct odo_err err;
    const char *vehicle = ui_given(r, "vehicle");
    int rc;

    memset(&f, 0, sizeof(f));
    memset(&was, 0, sizeof(was));
    ui_settings(r, &set);
    if (rest[0]) {
        if (!load_fill(r, rest, &l)) {
            ui_fail(r, 404, "There is no such fill-up (it may have been deleted).");
            return;
        }
        f.id = was.id = rest;
        form_from_log(&was, &l);
        if (!vehicle)
            vehicle = l.vehicle_id;
    }
    if (!vehicle || odo_vehicle_require_live(st, r->s->user, vehicle, &f.v, &err) != 0) {
        if (ui_vehicle(r, NULL, &f.v) != 0) {
            no_vehicle(r);
            return;
        }
        f.field = ODO_FUEL_FIELD_VEHICLE;
        f.error = vehicle ? err.msg : "choose the vehicle";
        rc = ODO_EINVAL;
        goto out_form;
    }
    if (!rest[0])
        odo_fuel_entry_start(&f.v, &set, odo_clock_now(NULL), &l);
    memcpy(l.vehicle_id, f.v.id, sizeof(l.vehicle_id));
    /* Empty optional fields are not given; odometer and volume are read even when empty, so an
     * empty one is refused in the CLI's words. */
    e.odometer = rest[0] ? changed(r, "odometer", was.odometer) : ui_field(r, "odometer");
    e.volume = rest[0] ? changed(r, "volume", was.volume) : ui_field(r, "volume");
    if (!rest[0] && !e.odometer)
        e.odometer = "";
    if (!rest[0] && !e.volume)
        e.volume = "";
    e.unit = ui_given(r, "unit");
    if (rest[0]) {
        e.price = changed(r, "price", was.price);
        e.total = changed(r, "total", was.total);
        /* An emptied price or total is recomputed from the other. */
        if (e.price && !*e.price) {
            e.price = NULL;
            e.total = e.total ? e.total : ui_given(r, "total");
        }
        if (e.total && !*e.total) {
            e.total = NULL;
            e.price = e.price ? e.price : ui_given(r, "price");
        }
    } else {
        e.price = ui_given(r, "price");
        e.total = ui_given(r, "total");
        if (e.price && e.total && ui_given(r, "offered") &&
            strcmp(e.price, ui_given(r, "offered")) == 0)
            e.price = NULL; /* a typed total beats the offered price */
    }
    e.date = rest[0] ? changed(r, "date", was.date) : ui_given(r, "date");
    e.station = ui_field(r, "station");
    e.full = ui_field(r, "full") ? 1 : 0;
    e.missed = ui_field(r, "missed") ? 1 : 0;
    e.currency = e.notes = NULL;
    if ((rc = odo_fuel_entry_apply(&e, &set, &l, &f.field, &err)) == 0)
        rc = odo_fuel_save(st, r->s->user, &l, !rest[0], &f.field, &err);
    if (rc == 0) {
        char msg[120], v[ODO_DEC_TEXT_MAX], o[ODO_DEC_TEXT_MAX];
        memcpy(r->s->vehicle, f.v.id, sizeof(r->s->vehicle));
        snprintf(msg, sizeof(msg), "%s fill-up: %s %s at %s %s%s%s", rest[0] ? "Updated" : "Saved",
                 odo_dec_format(l.volume, ODO_SCALE_VOLUME, 0, v, sizeof(v)),
                 odo_vol_unit_label(l.volume_unit),
                 odo_dec_format(l.odometer, ODO_SCALE_DISTANCE, 0, o, sizeof(o)),
                 odo_dist_unit_label(f.v.odometer_unit), l.full ? "" : ", partial",
                 l.missed ? ", after a missed fill-up" : "");
        ui_redirect(r, "/history", msg);
        return;
    }
    f.error = err.msg;
out_form:
    /* Show what was typed, with the refusal beside its field. */
    r->status = rc == ODO_EINVAL || rc == ODO_ENOTFOUND || rc == ODO_EEXIST ? 422 : 500;
    snprintf(f.date, sizeof(f.date), "%s", ui_field(r, "date") ? ui_field(r, "date") : "");
    snprintf(f.odometer, sizeof(f.odometer), "%s",
             ui_field(r, "odometer") ? ui_field(r, "odometer") : "");
    snprintf(f.volume, sizeof(f.volume), "%s", ui_field(r, "volume") ? ui_field(r, "volume") : "");
    snprintf(f.price, sizeof(f.price), "%s", ui_field(r, "price") ? ui_field(r, "price") : "");
    snprintf(f.total, sizeof(f.total), "%s", ui_field(r, "total") ? ui_field(r, "total") : "");
    snprintf(f.offered, sizeof(f.offered), "%s",
             ui_field(r, "offered") ? ui_field(r, "offered") : "");
    snprintf(f.station, sizeof(f.station), "%s",
             ui_field(r, "station") ? ui_field(r, "station") : "");
    if (!e.unit || odo_vol_unit_parse(e.unit, &f.unit, NULL) != 0)
        f.unit = set.units.vol;
    f.full = ui_field(r, "full") != NULL;
    f.missed = ui_field(r, "missed") != NULL;
    memcpy(f.currency, rest[0] ? was.currency : set.currency, sizeof(f.currency));
    render_fill(r, &f);
}

void ui_page_fill_delete(struct ui_req *r, const char *rest)
{
    struct odo_fuel_log l;
    struct odo_err err;
    char when[32];

    if (!load_fill(r, rest, &l)) {
        ui_fail(r, 404, "There is no such fill-up (it may have been deleted already).");
        return;
    }
    if (r->post) {
        if (odo_fuel_remove(r->ui->store, r->s->user, l.id, &err) != 0) {
            ui_fail(r, 500, err.msg);
            return;
        }
        ui_redirect(r, "/history", "Fill-up deleted.");
        return;
    }
    odo_time_format_local(l.filled_at, when);
    ui_page_begin(r, "Delete fill-up", "history");
    odo_buf_puts(&r->h, "<p class=\"question\">Delete the fill-up of ");
    ui_esc(&r->h, when);
    odo_buf_puts(&r->h, ": ");
    ui_dec(&r->h, l.volume, ODO_SCALE_VOLUME, 0);
    odo_buf_printf(&r->h, " %s at ", odo_vol_unit_label(l.volume_unit));
    ui_dec(&r->h, l.odometer, ODO_SCALE_DISTANCE, 0);
    odo_buf_printf(&r->h, "?</p><form method=\"post\" action=\"/delete/%s\" class=\"actions\">",
                   l.id);
    ui_csrf_field(r);
    odo_buf_printf(&r->h,
                   "<button type=\"submit\" class=\"danger\">Delete</button><a class=\"button\" "
                   "href=\"/fill/%s\">Keep it</a></form>",
                   l.id);
    ui_page_end(r);
}

/* ---- the odometer ---------------------------------------------------------------------------- */

struct recent {
    struct odo_reading last[5];
    int n;
};

static int keep_recent(const struct odo_reading *rd, void *ctx)
{
    struct recent *k = ctx;

    if (k->n == (int)ODO_ARRAY_LEN(k->last)) {
        memmove(k->last, k->last + 1, sizeof(k->last[0]) * (ODO_ARRAY_LEN(k->last) - 1));
        k->n--;
    }
    k->last[k->n++] = *rd;
    return 0;
}

void ui_page_odometer(struct ui_req *r, const char *rest)
{
    struct odo_reading rd = {0};
    struct odo_vehicle v;
    struct odo_err err;
    struct recent k = {0};
    char date[24];
    const char *odo_error = NULL, *date_error = NULL, *typed = NULL, *when = NULL;
    struct ui_input in;

    (void)rest;
    if (ui_vehicle(r, ui_given(r, "vehicle"), &v) != 0) {
        no_vehicle(r);
        return;
    }
    rd.read_at = odo_clock_now(NULL);
    if (r->post) {
        typed = ui_field(r, "odometer");
        when = ui_given(r, "date");
        memcpy(rd.vehicle_id, v.id, sizeof(rd.vehicle_id));
        if (when && odo_time_parse(when, &rd.read_at, &err) != 0)
            date_error = err.msg;
        else if (odo_entry_distance(typed ? typed : "", "the odometer", &rd.odometer, &err) != 0 ||
                 odo_odometer_add(r->ui->store, r->s->user, &rd, &err) != 0)
            odo_error = err.msg;
        if (!odo_error && !date_error) {
            char msg[80], n[ODO_DEC_TEXT_MAX];
            memcpy(r->s->vehicle, v.id, sizeof(r->s->vehicle));
            snprintf(msg, sizeof(msg), "Recorded %s %s for %s",
                     odo_dec_format(rd.odometer, ODO_SCALE_DISTANCE, 0, n, sizeof(n)),
                     odo_dist_unit_label(v.odometer_unit), v.name);
            ui_redirect(r, "/odometer", msg);
            return;
        }
        r->status = 422;
    }
    local_input_time(rd.read_at, date);
    ui_page_begin(r, "Odometer", "odometer");
    odo_buf_puts(&r->h, "<form method=\"post\" action=\"/odometer\" class=\"entry\" novalidate>");
    ui_csrf_field(r);
    odo_buf_puts(&r->h, "<div class=\"grid\">");
    in = (struct ui_input){.name = "odometer",
                           .label = "Odometer",
                           .value = typed,
                           .error = odo_error,
                           .mode = "decimal",
                           .hint = odo_dist_unit_label(v.odometer_unit),
                           .keypad = true,
                           .extra = "autofocus"};
    ui_input(&r->h, &in);
    vehicle_select(r, v.id, true, NULL);
    in = (struct ui_input){.name = "date",
                           .label = "When",
                           .type = "datetime-local",
                           .value = when ? when : date,
                           .error = date_error};
    ui_input(&r->h, &in);
    odo_buf_puts(&r->h,
                 "</div><div class=\"actions\"><button type=\"submit\" class=\"primary\">Save"
                 "</button></div>");
    keypad(&r->h);
    odo_buf_puts(&r->h, "</form>");
    (void)!odo_odometer_list(r->ui->store, r->s->user, v.id, keep_recent, &k, NULL);
    if (k.n) {
        odo_buf_puts(&r->h,
                     "<h2>Latest readings</h2><table><thead><tr><th scope=\"col\">When</th><th "
                     "scope=\"col\" class=\"num\">Odometer</th><th scope=\"col\">From</th></tr>"
                     "</thead><tbody>");
        for (int i = k.n - 1; i >= 0; i--) {
            char t[32];
            odo_time_format_local(k.last[i].read_at, t);
            odo_buf_puts(&r->h, "<tr><td>");
            ui_esc(&r->h, t);
            odo_buf_puts(&r->h, "</td><td class=\"num\">");
            ui_dec(&r->h, k.last[i].odometer, ODO_SCALE_DISTANCE, 0);
            odo_buf_printf(&r->h, " %s</td><td>%s</td></tr>", odo_dist_unit_label(v.odometer_unit),
                           k.last[i].forced ? "reading (new odometer)" : k.last[i].source);
        }
        odo_buf_puts(&r->h, "</tbody></table>");
    }
    ui_page_end(r);
}
