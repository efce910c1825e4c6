/*
 * Writing HTML: a capped buffer, escaping, and the pieces every page shares (the frame around
 * the content, labelled inputs with their errors, notices). Text from people and from the
 * database goes through ui_esc and nothing else; raw markup is written from literals only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/ui/internal.h"
#include "platform/decimal.h"

void ui_html_init(struct ui_html *h)
{
    memset(h, 0, sizeof(*h));
}

void ui_html_free(struct ui_html *h)
{
    free(h->buf);
    memset(h, 0, sizeof(*h));
}

/* Makes room for n more bytes and the NUL; false (and `full`) past UI_PAGE_MAX. */
static bool reserve(struct ui_html *h, size_t n)
{
    size_t want = h->len + n + 1, cap = h->cap ? h->cap : 8192;
    char *b;

    if (h->full)
        return false;
    if (want <= h->cap)
        return true;
    while (cap < want)
        cap *= 2;
    if (cap > UI_PAGE_MAX)
        cap = UI_PAGE_MAX;
    if (want > cap || !(b = realloc(h->buf, cap))) {
        h->full = true;
        return false;
    }
    h->buf = b;
    h->cap = cap;
    return true;
}

static void put_n(struct ui_html *h, const char *s, size_t n)
{
    if (!reserve(h, n))
        return;
    memcpy(h->buf + h->len, s, n);
    h->len += n;
    h->buf[h->len] = '\0';
}

void ui_put(struct ui_html *h, const char *s)
{
    put_n(h, s, strlen(s));
}

void ui_putf(struct ui_html *h, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        put_n(h, small, (size_t)n);
        return;
    }
    if (!reserve(h, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(h->buf + h->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    h->len += (size_t)n;
}

void ui_esc(struct ui_html *h, const char *s)
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
        put_n(h, run, (size_t)(s - run));
        ui_put(h, e);
        run = s + 1;
    }
    if (run && *run)
        ui_put(h, run);
}

void ui_dec(struct ui_html *h, int64_t v, int scale, int min_decimals)
{
    char buf[ODO_DEC_TEXT_MAX];
    ui_put(h, odo_dec_format(v, scale, min_decimals, buf, sizeof(buf)));
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
    ui_putf(&r->h, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->s->csrf);
}

void ui_page_begin(struct ui_req *r, const char *title, const char *current)
{
    const char *theme = MHD_lookup_connection_value(r->con, MHD_COOKIE_KIND, "theme");
    bool night = theme && strcmp(theme, "night") == 0, day = theme && strcmp(theme, "day") == 0;
    struct ui_html *h = &r->h;

    ui_putf(h, "<!doctype html>\n<html lang=\"en\"%s><head><meta charset=\"utf-8\">",
            night ? " data-theme=\"night\""
            : day ? " data-theme=\"day\""
                  : "");
    ui_put(h, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    ui_esc(h, title);
    ui_putf(h,
            " · odolog</title><link rel=\"icon\" href=\"%s\"><link rel=\"stylesheet\" "
            "href=\"%s\"><script src=\"%s\" defer></script></head>",
            ui_asset_url("icon.svg"), ui_asset_url("style.css"), ui_asset_url("app.js"));
    ui_put(h, "<body><header class=\"top\"><h1>");
    ui_esc(h, title);
    ui_put(h, "</h1>");
    if (r->s->user[0]) {
        ui_put(h, "<a class=\"who\" href=\"/who\" aria-label=\"Driver: ");
        ui_esc(h, r->s->user);
        ui_put(h, " (change)\">");
        ui_esc(h, r->s->user);
        ui_put(h, "</a><a class=\"who\" href=\"/settings\">Settings</a>");
    }
    ui_put(h, "<form method=\"post\" action=\"/theme\" class=\"theme\">");
    ui_csrf_field(r);
    ui_put(h, "<input type=\"hidden\" name=\"back\" value=\"");
    ui_esc(h, r->url);
    ui_putf(h, "\"><button name=\"theme\" value=\"%s\">%s</button></form></header>",
            night ? "day" : "night", night ? "Day theme" : "Night theme");
    ui_put(h, "<main id=\"main\">");
    if (r->s->flash[0]) {
        ui_notice(h, "ok", r->s->flash);
        r->s->flash[0] = '\0';
    }
    r->nav = current;
}

void ui_page_end(struct ui_req *r)
{
    struct ui_html *h = &r->h;

    ui_put(h, "</main>");
    if (r->s->user[0]) {
        ui_put(h, "<nav class=\"tabs\" aria-label=\"Screens\">");
        for (size_t i = 0; i < ODO_ARRAY_LEN(nav); i++)
            ui_putf(h, "<a href=\"%s\"%s>%s</a>", nav[i].path,
                    r->nav && strcmp(r->nav, nav[i].id) == 0 ? " aria-current=\"page\"" : "",
                    nav[i].label);
        ui_put(h, "</nav>");
    }
    ui_put(h, "</body></html>\n");
}

void ui_input(struct ui_html *h, const struct ui_input *in)
{
    ui_putf(h, "<div class=\"field%s\"><label for=\"f-%s\">%s</label>", in->error ? " bad" : "",
            in->name, in->label);
    if (in->hint) {
        ui_putf(h, "<small id=\"h-%s\">", in->name);
        ui_esc(h, in->hint);
        ui_put(h, "</small>");
    }
    ui_putf(h, "<input id=\"f-%s\" name=\"%s\" type=\"%s\" value=\"", in->name, in->name,
            in->type ? in->type : "text");
    ui_esc(h, in->value ? in->value : "");
    ui_put(h, "\"");
    if (in->mode)
        ui_putf(h, " inputmode=\"%s\"", in->mode);
    if (in->keypad)
        ui_put(h, " data-keypad autocomplete=\"off\"");
    if (in->extra)
        ui_putf(h, " %s", in->extra);
    if (in->error || in->hint)
        ui_putf(h, " aria-describedby=\"%s%s%s%s%s\"", in->error ? "e-" : "",
                in->error ? in->name : "", in->error && in->hint ? " " : "", in->hint ? "h-" : "",
                in->hint ? in->name : "");
    if (in->error)
        ui_put(h, " aria-invalid=\"true\"");
    ui_put(h, ">");
    if (in->error) {
        ui_putf(h, "<p class=\"err\" id=\"e-%s\">", in->name);
        ui_esc(h, in->error);
        ui_put(h, "</p>");
    }
    ui_put(h, "</div>");
}

void ui_checkbox(struct ui_html *h, const char *name, const char *label, bool checked)
{
    ui_putf(h,
            "<label class=\"check\" for=\"f-%s\"><input type=\"checkbox\" id=\"f-%s\" "
            "name=\"%s\" value=\"1\"%s><span>%s</span></label>",
            name, name, name, checked ? " checked" : "", label);
}

void ui_notice(struct ui_html *h, const char *kind, const char *text)
{
    ui_putf(h, "<p class=\"notice %s\" role=\"%s\">", kind,
            strcmp(kind, "error") == 0 ? "alert" : "status");
    ui_esc(h, text);
    ui_put(h, "</p>");
}
