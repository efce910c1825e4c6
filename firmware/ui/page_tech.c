/*
 * The technician's screen: a VIN typed and checked as it is typed, scans from the scanner
 * odologd reads shown as they arrive (a long poll the page renews), each decoded offline and
 * registered when the technician confirms. Scanned or typed, a VIN takes the one path every
 * device program takes, odo_device_scan_register: without the store to decode, with it to
 * register.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/ui/internal.h"
#include "storage/vin/vin.h"

static void decoded_html(struct odo_buf *h, const struct odo_vin_decoded *d)
{
    const struct {
        const char *label, *value;
    } rows[] = {
        {"Make", d->make},       {"Model", d->model},    {"Trim", d->trim},
        {"Body", d->body_class}, {"Fuel", d->fuel_type}, {"Made in", d->plant_country},
        {"Region", d->region},
    };

    odo_buf_puts(h, "<dl class=\"decoded\">");
    if (d->model_year)
        odo_buf_printf(h, "<dt>Model year</dt><dd>%d</dd>", d->model_year);
    for (size_t i = 0; i < ODO_ARRAY_LEN(rows); i++) {
        if (!rows[i].value[0])
            continue;
        odo_buf_printf(h, "<dt>%s</dt><dd>", rows[i].label);
        ui_esc(h, rows[i].value);
        odo_buf_puts(h, "</dd>");
    }
    odo_buf_printf(h, "<dt>Decoded from</dt><dd>%s</dd></dl>",
                   strcmp(d->source, "vpic") == 0      ? "the vPIC database on this device"
                   : strcmp(d->source, "gateway") == 0 ? "the gateway (cached)"
                                                       : "the VIN alone");
}

/* The confirm button that registers vin for the signed-in driver. */
static void register_form(struct ui_req *r, const char *vin, unsigned scan)
{
    odo_buf_puts(&r->h, "<form method=\"post\" action=\"/vin/register\" class=\"inline\">");
    ui_csrf_field(r);
    odo_buf_printf(&r->h, "<input type=\"hidden\" name=\"vin\" value=\"%s\">", vin);
    if (scan)
        odo_buf_printf(&r->h, "<input type=\"hidden\" name=\"scan\" value=\"%u\">", scan);
    odo_buf_printf(&r->h,
                   "<button type=\"submit\" class=\"primary\" aria-label=\"Register %s\">Register"
                   "</button></form>",
                   vin);
}

/* What a typed VIN is: refused with the reason, or decoded with a button to register it. */
static void vin_result(struct ui_req *r, const char *raw)
{
    struct odo_device_scan res;
    struct odo_vin_info info;
    struct odo_vehicle known;
    struct odo_err err;
    char warn[320];

    if (odo_vin_decode(raw, odo_device_this_year(), &info, &err) != 0) {
        odo_buf_puts(&r->h, "<p class=\"err\" id=\"vin-why\">");
        ui_esc(&r->h, err.msg);
        odo_buf_puts(&r->h, "</p>");
        return;
    }
    odo_vin_describe_warnings(&info, warn, sizeof(warn));
    if (odo_device_scan_register(r->ui->lookup, NULL, r->s->user, raw, false, &res, &err) != 0) {
        ui_notice(&r->h, "error", err.msg);
        return;
    }
    odo_buf_printf(&r->h, "<p class=\"ok\">%s is a valid VIN.</p>", info.vin);
    if (warn[0])
        ui_notice(&r->h, "ok", warn);
    decoded_html(&r->h, &res.decoded);
    if (odo_vehicle_resolve(r->ui->store, r->s->user, info.vin, false, &known, NULL) == 0) {
        odo_buf_puts(&r->h, "<p>Already registered as <strong>");
        ui_esc(&r->h, known.name);
        odo_buf_puts(&r->h, "</strong>.</p>");
        return;
    }
    register_form(r, info.vin, 0);
}

void ui_scans_html(struct ui_req *r, unsigned after)
{
    struct odo_buf *h = &r->h;
    int order[UI_SCANS], n = 0;

    for (int i = 0; i < UI_SCANS; i++)
        if (r->ui->scans[i].seq > after)
            order[n++] = i;
    /* Newest first. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && r->ui->scans[order[j]].seq > r->ui->scans[order[j - 1]].seq; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    if (!n && r->ui->opt.scanner)
        odo_buf_puts(h,
                     "<p class=\"empty\">No scans yet: scan a VIN barcode with the scanner.</p>");
    odo_buf_puts(h, "<ul class=\"cards\">");
    for (int k = 0; k < n; k++) {
        const struct ui_scan *s = &r->ui->scans[order[k]];
        char when[32];

        odo_time_format_local(s->at, when);
        odo_buf_printf(h, "<li class=\"scan\" data-seq=\"%u\"><div><small>", s->seq);
        ui_esc(h, when + 11);
        odo_buf_puts(h, "</small> <code>");
        ui_esc(h, s->r.vin[0] ? s->r.vin : s->text);
        odo_buf_puts(h, "</code>");
        if (s->error[0]) {
            odo_buf_puts(h, "<p class=\"err\">");
            ui_esc(h, s->error);
            odo_buf_puts(h, "</p></div>");
        } else if (s->r.result == ODO_DEVICE_SCAN_REFUSED) {
            odo_buf_puts(h, "<p class=\"err\">Not a VIN: ");
            ui_esc(h, s->r.why);
            odo_buf_puts(h, "</p></div>");
        } else {
            decoded_html(h, &s->r.decoded);
            odo_buf_puts(h, "</div>");
            if (s->done[0]) {
                odo_buf_puts(h, "<p class=\"ok\">");
                ui_esc(h, s->done);
                odo_buf_puts(h, "</p>");
            } else {
                register_form(r, s->r.vin, s->seq);
            }
        }
        odo_buf_printf(h, "<form method=\"post\" action=\"/vin/dismiss/%u\" class=\"inline\">",
                       s->seq);
        ui_csrf_field(r);
        odo_buf_puts(h, "<button type=\"submit\" class=\"small\">Dismiss</button></form></li>");
    }
    odo_buf_puts(h, "</ul>");
}

void ui_page_vin(struct ui_req *r, const char *rest)
{
    const char *vin = ui_given(r, "vin");
    struct odo_buf *h = &r->h;

    (void)rest;
    ui_page_begin(r, "VIN", "vin");
    odo_buf_puts(h,
                 "<form method=\"get\" action=\"/vin\" class=\"entry vin\" role=\"search\">"
                 "<div class=\"field\"><label for=\"f-vin\">VIN</label><input id=\"f-vin\" "
                 "name=\"vin\" maxlength=\"40\" autocomplete=\"off\" autocapitalize=\"characters\" "
                 "spellcheck=\"false\" data-vin aria-describedby=\"vin-result\" value=\"");
    ui_esc(h, vin ? vin : "");
    odo_buf_puts(h, "\"></div><button type=\"submit\">Check</button></form>"
                    "<div id=\"vin-result\" aria-live=\"polite\">");
    if (vin)
        vin_result(r, vin);
    odo_buf_printf(h,
                   "</div><h2>Scans</h2>%s<section id=\"scans\" data-seq=\"%u\" "
                   "aria-live=\"polite\">",
                   r->ui->opt.scanner ? ""
                                      : "<p><small>No scanner is connected to odologd (--scanner): "
                                        "type the VIN above.</small></p>",
                   r->ui->scan_seq);
    ui_scans_html(r, 0);
    odo_buf_puts(h, "</section><p class=\"noscript-only\"><a class=\"button\" href=\"/vin\">Refresh"
                    "</a></p>");
    ui_page_end(r);
}

void ui_page_vin_check(struct ui_req *r, const char *rest)
{
    const char *vin = ui_field(r, "vin");

    (void)rest;
    vin_result(r, vin ? vin : "");
}

void ui_page_scans(struct ui_req *r, const char *rest)
{
    const char *after = ui_field(r, "after");
    unsigned seen = after ? (unsigned)strtoul(after, NULL, 10) : 0;

    (void)rest;
    snprintf(r->scan_seq, sizeof(r->scan_seq), "%u", r->ui->scan_seq);
    if (seen != r->ui->scan_seq) {
        r->waiting = false;
        ui_scans_html(r, 0);
        return;
    }
    if (!r->waiting) {
        r->waiting = true;
        r->deadline = odo_mono_ms() + UI_WAIT_MS;
    } else if (odo_mono_ms() >= r->deadline) {
        r->waiting = false;
        r->status = MHD_HTTP_NO_CONTENT;
    }
}

static struct ui_scan *scan_find(struct odo_ui *ui, const char *seq)
{
    unsigned n = seq ? (unsigned)strtoul(seq, NULL, 10) : 0;

    for (int i = 0; n && i < UI_SCANS; i++)
        if (ui->scans[i].seq == n)
            return &ui->scans[i];
    return NULL;
}

void ui_page_vin_register(struct ui_req *r, const char *rest)
{
    struct ui_scan *scan = scan_find(r->ui, ui_field(r, "scan"));
    const char *vin = ui_field(r, "vin");
    struct odo_device_scan res;
    struct odo_err err;
    char msg[sizeof(r->s->flash)];

    (void)rest;
    if (odo_device_scan_register(r->ui->lookup, r->ui->store, r->s->user, vin ? vin : "", false,
                                 &res, &err) != 0) {
        ui_fail(r, 500, err.msg);
        return;
    }
    if (res.result == ODO_DEVICE_SCAN_REFUSED) {
        ui_fail(r, 422, res.why);
        return;
    }
    snprintf(msg, sizeof(msg), "%s %s as '%.64s' for %s",
             res.result == ODO_DEVICE_SCAN_ADDED ? "Registered" : "Already registered", res.vin,
             res.vehicle.name, r->s->user);
    memcpy(r->s->vehicle, res.vehicle.id, sizeof(r->s->vehicle));
    if (scan) {
        snprintf(scan->done, sizeof(scan->done), "%s", msg);
        ui_scans_changed(r->ui);
    }
    odo_log(r->ui->opt.log, ODO_LOG_INFO, "ui: %s", msg);
    ui_redirect(r, "/vin", msg);
}

void ui_page_scan_dismiss(struct ui_req *r, const char *rest)
{
    struct ui_scan *scan = scan_find(r->ui, rest);

    if (scan) {
        memset(scan, 0, sizeof(*scan));
        r->ui->scan_seq++;
        ui_scans_changed(r->ui);
    }
    ui_redirect(r, "/vin", NULL);
}

void odo_ui_scan(struct odo_ui *ui, const char *text, bool too_long)
{
    struct ui_scan *slot = &ui->scans[0];
    struct odo_err err;

    for (int i = 1; i < UI_SCANS && slot->seq; i++)
        if (ui->scans[i].seq < slot->seq)
            slot = &ui->scans[i];
    memset(slot, 0, sizeof(*slot));
    slot->seq = ++ui->scan_seq;
    slot->at = odo_clock_now(NULL);
    snprintf(slot->text, sizeof(slot->text), "%s", text);
    if (odo_device_scan_register(ui->lookup, NULL, NULL, text, too_long, &slot->r, &err) != 0)
        snprintf(slot->error, sizeof(slot->error), "%s", err.msg);
    if (slot->r.result == ODO_DEVICE_SCAN_REFUSED)
        odo_log(ui->opt.log, ODO_LOG_WARN, "scan '%.40s' refused: %s", text, slot->r.why);
    else
        odo_log(ui->opt.log, ODO_LOG_INFO, "scan %s: decoded from %s, shown for confirmation",
                slot->r.vin, slot->r.decoded.source);
    ui_scans_changed(ui);
}
