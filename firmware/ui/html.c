/*
 * Writing HTML into a capped buffer (sync/protocol/buf.h): escaping, and the pieces every page
 * shares (the frame around the content, labelled inputs with their errors, notices). Text from
 * people and from the database goes through ui_esc and nothing else; raw markup is written from
 * literals only.
 */
#include <stdio.h>
#include <string.h>

#include "firmware/ui/internal.h"
#include "platform/decimal.h"

void ui_esc(struct odo_buf *h, const char *s)
{
    const char *run = s;

    for (; s && *s; s++) {
        const char *e = *s == '&'    ? "&amp;"
                        : *s == '<'  ? "&lt;"
                        : *s == '>'  ? "&gt;"
                        : *s == '"'  ? "&quot;"
                        : *s == '\'' ? "&#39;"
                                     : NULL;
        if (!e)
            continue;
        odo_buf_append(h, run, (size_t)(s - run));
        odo_buf_puts(h, e);
        run = s + 1;
    }
    if (run && *run)
        odo_buf_puts(h, run);
}

void ui_dec(struct odo_buf *h, int64_t v, int scale, int min_decimals)
{
    char buf[ODO_DEC_TEXT_MAX];
    odo_buf_puts(h, odo_dec_format(v, scale, min_decimals, buf, sizeof(buf)));
}

static const struct {
    const char *id, *path, *label;
} nav[] = {
    {"fill", "/", "Fill-up"},     {"odometer", "/odometer", "Odometer"},
    {"due", "/due", "Due"},       {"history", "/history", "History"},
    {"stats", "/stats", "Stats"}, {"renewals", "/renewals", "Documents"},
    {"sync", "/sync", "Sync"},    {"vin", "/vin", "VIN"},
};

void ui_csrf_field(struct ui_req *r)
{
    odo_buf_printf(&r->h, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->s->csrf);
}

void ui_page_begin(struct ui_req *r, const char *title, const char *current)
{
    const char *theme = MHD_lookup_connection_value(r->con, MHD_COOKIE_KIND, "theme");
    bool night = theme && strcmp(theme, "night") == 0, day = theme && strcmp(theme, "day") == 0;
    struct odo_buf *h = &r->h;

    odo_buf_printf(h, "<!doctype html>\n<html lang=\"en\"%s><head><meta charset=\"utf-8\">",
                   night ? " data-theme=\"night\""
                   : day ? " data-theme=\"day\""
                         : "");
    odo_buf_puts(h,
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    ui_esc(h, title);
    odo_buf_printf(h,
                   " · odolog</title><link rel=\"icon\" href=\"%s\"><link rel=\"stylesheet\" "
                   "href=\"%s\"><script src=\"%s\" defer></script></head>",
                   ui_asset_url("icon.svg"), ui_asset_url("style.css"), ui_asset_url("app.js"));
    odo_buf_puts(h, "<body><header class=\"top\"><h1>");
    ui_esc(h, title);
    odo_buf_puts(h, "</h1>");
    if (r->s->user[0]) {
        odo_buf_puts(h, "<a class=\"who\" href=\"/who\" aria-label=\"Driver: ");
        ui_esc(h, r->s->user);
        odo_buf_puts(h, " (change)\">");
        ui_esc(h, r->s->user);
        odo_buf_puts(h, "</a><a class=\"who\" href=\"/settings\">Settings</a>");
    }
    odo_buf_puts(h, "<form method=\"post\" action=\"/theme\" class=\"theme\">");
    ui_csrf_field(r);
    odo_buf_puts(h, "<input type=\"hidden\" name=\"back\" value=\"");
    ui_esc(h, r->url);
    odo_buf_printf(h, "\"><button name=\"theme\" value=\"%s\">%s</button></form></header>",
                   night ? "day" : "night", night ? "Day theme" : "Night theme");
    odo_buf_puts(h, "<main id=\"main\">");
    if (r->s->flash[0]) {
        ui_notice(h, "ok", r->s->flash);
        r->s->flash[0] = '\0';
    }
    r->nav = current;
}

void ui_page_end(struct ui_req *r)
{
    struct odo_buf *h = &r->h;

    odo_buf_puts(h, "</main>");
    if (r->s->user[0]) {
        odo_buf_puts(h, "<nav class=\"tabs\" aria-label=\"Screens\">");
        for (size_t i = 0; i < ODO_ARRAY_LEN(nav); i++)
            odo_buf_printf(h, "<a href=\"%s\"%s>%s</a>", nav[i].path,
                           r->nav && strcmp(r->nav, nav[i].id) == 0 ? " aria-current=\"page\"" : "",
                           nav[i].label);
        odo_buf_puts(h, "</nav>");
    }
    odo_buf_puts(h, "</body></html>\n");
}

void ui_input(struct odo_buf *h, const struct ui_input *in)
{
    odo_buf_printf(h, "<div class=\"field%s\"><label for=\"f-%s\">%s</label>",
                   in->error ? " bad" : "", in->name, in->label);
    if (in->hint) {
        odo_buf_printf(h, "<small id=\"h-%s\">", in->name);
        ui_esc(h, in->hint);
        odo_buf_puts(h, "</small>");
    }
    odo_buf_printf(h, "<input id=\"f-%s\" name=\"%s\" type=\"%s\" value=\"", in->name, in->name,
                   in->type ? in->type : "text");
    ui_esc(h, in->value ? in->value : "");
    odo_buf_puts(h, "\"");
    if (in->mode)
        odo_buf_printf(h, " inputmode=\"%s\"", in->mode);
    if (in->keypad)
        odo_buf_puts(h, " data-keypad autocomplete=\"off\"");
    if (in->extra)
        odo_buf_printf(h, " %s", in->extra);
    if (in->error || in->hint)
        odo_buf_printf(h, " aria-describedby=\"%s%s%s%s%s\"", in->error ? "e-" : "",
                       in->error ? in->name : "", in->error && in->hint ? " " : "",
                       in->hint ? "h-" : "", in->hint ? in->name : "");
    if (in->error)
        odo_buf_puts(h, " aria-invalid=\"true\"");
    odo_buf_puts(h, ">");
    if (in->error) {
        odo_buf_printf(h, "<p class=\"err\" id=\"e-%s\">", in->name);
        ui_esc(h, in->error);
        odo_buf_puts(h, "</p>");
    }
    odo_buf_puts(h, "</div>");
}

void ui_checkbox(struct odo_buf *h, const char *name, const char *label, bool checked)
{
    odo_buf_printf(h,
                   "<label class=\"check\" for=\"f-%s\"><input type=\"checkbox\" id=\"f-%s\" "
                   "name=\"%s\" value=\"1\"%s><span>%s</span></label>",
                   name, name, name, checked ? " checked" : "", label);
}

void ui_notice(struct odo_buf *h, const char *kind, const char *text)
{
    odo_buf_printf(h, "<p class=\"notice %s\" role=\"%s\">", kind,
                   strcmp(kind, "error") == 0 ? "alert" : "status");
    ui_esc(h, text);
    odo_buf_puts(h, "</p>");
}
