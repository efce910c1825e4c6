/*
 * The touch UI's HTTP server: libmicrohttpd in external-epoll mode, run by the caller's loop;
 * requests and forms read into struct ui_req; routing; sessions; and the defences a page on
 * loopback needs: a Host allow-list (DNS rebinding), same-origin checks and a per-session token
 * on every request that changes data (CSRF), a pairing code for browsers on other machines, and
 * a strict Content-Security-Policy (no inline script, nothing loaded from outside).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "firmware/ui/internal.h"
#include "platform/clock.h"
#include "platform/hash.h"
#include "platform/uuid.h"
#include "storage/fuel.h"
#include "sync/client/vinlookup.h"

static const char CSP[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                          "frame-ancestors 'none'; base-uri 'none'";

/* ---- assets --------------------------------------------------------------------------------- */

static const struct ui_asset *asset_find(const char *name)
{
    size_t n;
    const struct ui_asset *a = ui_assets(&n);

    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return &a[i];
    return NULL;
}

const char *ui_asset_url(const char *name)
{
    /* Built once per asset: the table is constant, so the addresses are too. */
    static char urls[8][64];
    size_t n;
    const struct ui_asset *a = ui_assets(&n);

    for (size_t i = 0; i < n && i < ODO_ARRAY_LEN(urls); i++)
        if (strcmp(a[i].name, name) == 0) {
            if (!urls[i][0])
                snprintf(urls[i], sizeof(urls[i]), "/a/%s?v=%s", a[i].name, a[i].version);
            return urls[i];
        }
    return "/a/missing";
}

/* ---- fields -----------------------------------------------------------------------------------
 */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes application/x-www-form-urlencoded text in place. */
static void url_decode(char *s)
{
    char *o = s;

    for (; *s; s++) {
        if (*s == '+') {
            *o++ = ' ';
        } else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

/* Splits the body into fields (in place). False when there are too many. */
static bool parse_form(struct ui_req *r)
{
    char *p = r->body, *next;

    for (; p && *p; p = next) {
        char *eq;
        next = strchr(p, '&');
        if (next)
            *next++ = '\0';
        if (!*p)
            continue;
        if (r->nfields == UI_FIELDS_MAX)
            return false;
        eq = strchr(p, '=');
        if (eq)
            *eq++ = '\0';
        url_decode(p);
        if (eq)
            url_decode(eq);
        r->fields[r->nfields].key = p;
        r->fields[r->nfields].value = eq ? eq : "";
        r->nfields++;
    }
    return true;
}

const char *ui_field(struct ui_req *r, const char *name)
{
    if (!r->post)
        return MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND, name);
    for (int i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].key, name) == 0)
            return r->fields[i].value;
    return NULL;
}

const char *ui_given(struct ui_req *r, const char *name)
{
    const char *v = ui_field(r, name);
    return v && *v ? v : NULL;
}

void ui_redirect(struct ui_req *r, const char *path, const char *flash)
{
    snprintf(r->location, sizeof(r->location), "%s", path);
    if (flash)
        snprintf(r->s->flash, sizeof(r->s->flash), "%s", flash);
}

void ui_fail(struct ui_req *r, int status, const char *text)
{
    r->status = status;
    odo_buf_reset(&r->h);
    r->h.overflow = false;
    ui_page_begin(r, status == 404 ? "Not found" : "Not done", NULL);
    ui_notice(&r->h, "error", text);
    odo_buf_puts(&r->h, "<p><a class=\"button\" href=\"/\">Back to the fill-up</a></p>");
    ui_page_end(r);
}

void ui_settings(struct ui_req *r, struct odo_settings *out)
{
    if (odo_settings_load(r->ui->store, r->s->user, out, NULL) != 0)
        odo_settings_default(ODO_UNITS_METRIC, out);
}

struct first_vehicle {
    struct odo_vehicle *v;
    bool found;
};

static int take_first(const struct odo_vehicle *v, void *ctx)
{
    struct first_vehicle *f = ctx;
    *f->v = *v;
    f->found = true;
    return 1;
}

/* Whether id names a live vehicle of the session's user; read into v. */
static bool live_vehicle(struct ui_req *r, const char *id, struct odo_vehicle *v)
{
    return id && *id && strlen(id) == ODO_UUID_TEXT_LEN &&
           odo_vehicle_get(r->ui->store, r->s->user, id, v, NULL) == 0 && !v->deleted_at[0];
}

int ui_vehicle(struct ui_req *r, const char *id, struct odo_vehicle *v)
{
    struct first_vehicle f = {v, false};
    struct odo_fuel_log last;

    if (live_vehicle(r, id, v) || live_vehicle(r, r->s->vehicle, v) ||
        (odo_fuel_last(r->ui->store, r->s->user, NULL, &last, NULL) == 0 &&
         live_vehicle(r, last.vehicle_id, v)))
        return 0;
    if (odo_vehicle_list(r->ui->store, r->s->user, false, take_first, &f, NULL) != 0 || !f.found)
        return ODO_ENOTFOUND;
    return 0;
}

/* ---- sessions ------------------------------------------------------------------------------- */

static bool random_hex(char out[UI_TOKEN_HEX + 1])
{
    unsigned char b[UI_TOKEN_HEX / 2];

    if (odo_random_bytes(b, sizeof(b)) != 0)
        return false;
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return true;
}

/* The session of the request's cookie, or a new one (the least recently seen is replaced). */
static struct ui_session *session_attach(struct ui_req *r)
{
    const char *id = MHD_lookup_connection_value(r->con, MHD_COOKIE_KIND, "odo");
    struct ui_session *s = NULL, *oldest = &r->ui->sessions[0];

    for (int i = 0; i < UI_SESSIONS; i++) {
        struct ui_session *c = &r->ui->sessions[i];
        if (c->last_seen && id && strlen(id) == UI_TOKEN_HEX &&
            odo_equal_ct(c->id, id, UI_TOKEN_HEX))
            s = c;
        if (c->last_seen < oldest->last_seen)
            oldest = c;
    }
    if (!s) {
        s = oldest;
        memset(s, 0, sizeof(*s));
        if (!random_hex(s->id) || !random_hex(s->csrf))
            return NULL;
        r->set_cookie = true;
    }
    s->last_seen = odo_mono_ms();
    return s;
}

bool ui_session_renew(struct ui_req *r)
{
    if (!random_hex(r->s->id) || !random_hex(r->s->csrf))
        return false;
    r->set_cookie = true;
    return true;
}

/* ---- the defences ------------------------------------------------------------------------- */

static bool peer_is_loopback(struct MHD_Connection *con)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    if (!sa)
        return false;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Pages on loopback answer only to the names of this machine, so a page elsewhere cannot reach
 * them by pointing its own name at 127.0.0.1 (DNS rebinding). */
static bool host_allowed(struct ui_req *r, bool loopback_peer)
{
    const char *host = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);

    if (!host)
        return false;
    for (int i = 0; i < r->ui->nhosts; i++)
        if (strcasecmp(host, r->ui->hosts[i]) == 0)
            return true;
    /* Browsers on other machines use whatever name reaches the device; they pair first. */
    return !loopback_peer && !r->ui->loopback;
}

/* A request that changes data must come from one of these pages: same origin, and the
 * session's token. (Pages send Referrer-Policy same-origin: with no-referrer, a browser would
 * send "Origin: null" with their own forms.) */
static bool same_origin(struct ui_req *r)
{
    const char *host = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *origin = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "Origin");
    const char *site = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "Sec-Fetch-Site");
    const char *referer = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "Referer");
    const char *type = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "Content-Type");
    const char *token = ui_field(r, "csrf");
    char self[160];

    if (!host || !type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0)
        return false;
    snprintf(self, sizeof(self), "http://%s", host);
    if (site && strcmp(site, "same-origin") != 0)
        return false;
    if (origin && strcmp(origin, self) != 0)
        return false;
    if (!origin && referer &&
        (strncmp(referer, self, strlen(self)) != 0 || referer[strlen(self)] != '/'))
        return false;
    return token && strlen(token) == UI_TOKEN_HEX && odo_equal_ct(token, r->s->csrf, UI_TOKEN_HEX);
}

/* ---- routing ------------------------------------------------------------------------------ */

struct route {
    bool post;
    const char *path; /* ends in '/' for a prefix: the rest goes to the page */
    bool need_user;
    void (*page)(struct ui_req *r, const char *rest);
};

static const struct route routes[] = {
    {false, "/", true, ui_page_fill},
    {true, "/fill", true, ui_page_fill_save},
    {false, "/fill/", true, ui_page_fill},
    {true, "/fill/", true, ui_page_fill_save},
    {false, "/delete/", true, ui_page_fill_delete},
    {true, "/delete/", true, ui_page_fill_delete},
    {false, "/odometer", true, ui_page_odometer},
    {true, "/odometer", true, ui_page_odometer},
    {false, "/due", true, ui_page_due},
    {true, "/done/", true, ui_page_done},
    {false, "/history", true, ui_page_history},
    {false, "/stats", true, ui_page_stats},
    {false, "/renewals", true, ui_page_renewals},
    {true, "/renewals", true, ui_page_renewals},
    {true, "/renewals/delete/", true, ui_page_renewal_delete},
    {false, "/sync", true, ui_page_sync},
    {false, "/vin", true, ui_page_vin},
    {false, "/vin/check", true, ui_page_vin_check},
    {true, "/vin/register", true, ui_page_vin_register},
    {false, "/vin/scans", true, ui_page_scans},
    {true, "/vin/dismiss/", true, ui_page_scan_dismiss},
    {false, "/who", false, ui_page_who},
    {true, "/who", false, ui_page_who_pick},
    {true, "/who/new", false, ui_page_who_new},
    {false, "/settings", true, ui_page_settings},
    {true, "/settings", true, ui_page_settings},
    {true, "/settings/pin", true, ui_page_settings_pin},
    {true, "/theme", false, ui_page_theme},
    {false, "/pair", false, ui_page_pair},
    {true, "/pair", false, ui_page_pair},
};

static const struct route *route_find(const struct ui_req *r, const char **rest)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(routes); i++) {
        const struct route *rt = &routes[i];
        size_t n = strlen(rt->path);
        if (rt->post != r->post)
            continue;
        if (strcmp(r->url, rt->path) == 0 && rt->path[n - 1] != '/') {
            *rest = "";
            return rt;
        }
        if (n > 1 && rt->path[n - 1] == '/' && strncmp(r->url, rt->path, n) == 0 && r->url[n] &&
            !strchr(r->url + n, '/')) {
            *rest = r->url + n;
            return rt;
        }
        if (n == 1 && strcmp(r->url, "/") == 0) {
            *rest = "";
            return rt;
        }
    }
    return NULL;
}

/* ---- answers ------------------------------------------------------------------------------ */

static enum MHD_Result send_asset(struct ui_req *r, const struct ui_asset *a)
{
    const char *v = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND, "v");
    struct MHD_Response *res =
        MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok;

    MHD_add_response_header(res, "Content-Type", a->type);
    MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(res, "Cache-Control",
                            v && strcmp(v, a->version) == 0 ? "public, max-age=31536000, immutable"
                                                            : "no-cache");
    ok = MHD_queue_response(r->con, MHD_HTTP_OK, res);
    MHD_destroy_response(res);
    return ok;
}

static enum MHD_Result send_page(struct ui_req *r)
{
    struct MHD_Response *res;
    char cookie[160], timing[48];
    enum MHD_Result ok;
    int status = r->status ? r->status : MHD_HTTP_OK;

    if (r->h.overflow) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        odo_buf_reset(&r->h);
    }
    if (r->location[0]) {
        status = MHD_HTTP_SEE_OTHER;
        odo_buf_reset(&r->h);
    }
    res = MHD_create_response_from_buffer(r->h.len, r->h.data ? r->h.data : (void *)"",
                                          MHD_RESPMEM_MUST_COPY);
    if (!res)
        return MHD_NO;
    if (r->location[0])
        MHD_add_response_header(res, "Location", r->location);
    MHD_add_response_header(res, "Content-Type", r->ctype ? r->ctype : "text/html; charset=utf-8");
    MHD_add_response_header(res, "Cache-Control", "no-store");
    MHD_add_response_header(res, "Content-Security-Policy", CSP);
    MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(res, "X-Frame-Options", "DENY");
    MHD_add_response_header(res, "Referrer-Policy", "same-origin");
    MHD_add_response_header(res, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(res, "Cross-Origin-Resource-Policy", "same-origin");
    if (r->scan_seq[0])
        MHD_add_response_header(res, "X-Scan-Seq", r->scan_seq);
    if (r->s && r->set_cookie) {
        snprintf(cookie, sizeof(cookie), "odo=%s; Path=/; HttpOnly; SameSite=Strict", r->s->id);
        MHD_add_response_header(res, "Set-Cookie", cookie);
    }
    if (r->cookie[0])
        MHD_add_response_header(res, "Set-Cookie", r->cookie);
    snprintf(timing, sizeof(timing), "app;dur=%.2f", (double)(odo_mono_us() - r->started) / 1000);
    MHD_add_response_header(res, "Server-Timing", timing);
    ok = MHD_queue_response(r->con, (unsigned)status, res);
    MHD_destroy_response(res);
    return ok;
}

/* Parks a long poll until the next scan or its deadline (odo_ui_scan, odo_ui_run resume it).
 * With every slot taken, the oldest waiter is let go to answer "nothing yet". */
static void park(struct ui_req *r)
{
    struct odo_ui *ui = r->ui;

    if (ui->nwaiters == UI_WAITERS) {
        MHD_resume_connection(ui->waiters[0]->con);
        memmove(ui->waiters, ui->waiters + 1, sizeof(ui->waiters[0]) * (UI_WAITERS - 1));
        ui->nwaiters--;
    }
    ui->waiters[ui->nwaiters++] = r;
    MHD_suspend_connection(r->con);
}

static enum MHD_Result dispatch(struct ui_req *r)
{
    const struct ui_asset *asset;
    const struct route *rt;
    const char *rest = "";
    bool loopback_peer = peer_is_loopback(r->con);

    r->started = odo_mono_us();
    if (!host_allowed(r, loopback_peer)) {
        static const char msg[] = "this page answers only to this machine's own names\n";
        struct MHD_Response *res =
            MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ok = MHD_queue_response(r->con, 421, res);
        MHD_destroy_response(res);
        return ok;
    }
    if (!r->post && strncmp(r->url, "/a/", 3) == 0 && (asset = asset_find(r->url + 3)))
        return send_asset(r, asset);
    if (!(r->s = r->s ? r->s : session_attach(r)))
        return MHD_NO;
    if (r->post && (r->body_too_big || !parse_form(r))) {
        ui_fail(r, MHD_HTTP_CONTENT_TOO_LARGE, "That form was too large to take.");
        return send_page(r);
    }
    if (r->post && !same_origin(r)) {
        ui_fail(r, MHD_HTTP_FORBIDDEN,
                "This request did not come from this head unit's own pages, so nothing was "
                "changed. Go back, reload the page and try again.");
        return send_page(r);
    }
    if (!r->ui->loopback && !loopback_peer && !r->s->paired && strcmp(r->url, "/pair") != 0) {
        ui_redirect(r, "/pair", NULL);
        return send_page(r);
    }
    if (!(rt = route_find(r, &rest))) {
        ui_fail(r, MHD_HTTP_NOT_FOUND, "There is no such page on the head unit.");
        return send_page(r);
    }
    if (rt->need_user && !r->s->user[0]) {
        ui_redirect(r, "/who", NULL);
        return send_page(r);
    }
    rt->page(r, rest);
    if (r->waiting && r->h.len == 0) {
        park(r);
        return MHD_YES;
    }
    return send_page(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    struct ui_req *r = *con_cls;

    (void)version;
    if (!r) {
        bool post = strcmp(method, "POST") == 0;
        if (!post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return MHD_NO; /* closes: the UI speaks GET and POST only */
        if (!(r = calloc(1, sizeof(*r))))
            return MHD_NO;
        r->ui = cls;
        r->con = con;
        odo_buf_init(&r->h, UI_PAGE_MAX);
        r->url = url;
        r->post = post;
        *con_cls = r;
        return MHD_YES;
    }
    if (r->post && *upload_size) {
        if (r->body_len + *upload_size > UI_BODY_MAX) {
            r->body_too_big = true;
        } else {
            char *b = realloc(r->body, r->body_len + *upload_size + 1);
            if (!b)
                return MHD_NO;
            memcpy(b + r->body_len, upload_data, *upload_size);
            r->body = b;
            r->body_len += *upload_size;
            b[r->body_len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct ui_req *r = *con_cls;

    (void)cls;
    (void)con;
    (void)toe;
    if (!r)
        return;
    odo_buf_free(&r->h);
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* Lets waiting technician pages answer: all of them (a scan came), or those that waited long
 * enough. */
static void wake_waiters(struct odo_ui *ui, bool all)
{
    int64_t now = odo_mono_ms();
    int kept = 0;

    for (int i = 0; i < ui->nwaiters; i++) {
        struct ui_req *r = ui->waiters[i];
        if (all || now >= r->deadline) {
            MHD_resume_connection(r->con);
            ui->resumed = true;
        } else
            ui->waiters[kept++] = r;
    }
    ui->nwaiters = kept;
}

/* ---- the UI's life ------------------------------------------------------------------------ */

static void add_host(struct odo_ui *ui, const char *name, bool v6)
{
    if (ui->nhosts < (int)ODO_ARRAY_LEN(ui->hosts))
        snprintf(ui->hosts[ui->nhosts++], sizeof(ui->hosts[0]), v6 ? "[%s]:%d" : "%s:%d", name,
                 ui->opt.port);
}

/* Reads opt->listen into sa; sets ui->loopback and the Host names answered to. */
static int parse_listen(struct odo_ui *ui, struct sockaddr_storage *sa, struct odo_err *err)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
    const char *addr = ui->opt.listen;

    memset(sa, 0, sizeof(*sa));
    if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)ui->opt.port);
        ui->loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)ui->opt.port);
        ui->loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    } else {
        return odo_err_set(err, ODO_EINVAL,
                           "the UI's address '%.60s' is not an IPv4 or IPv6 address", addr);
    }
    add_host(ui, "127.0.0.1", false);
    add_host(ui, "localhost", false);
    add_host(ui, "::1", true);
    if (!ui->loopback) {
        if (!ui->opt.pairing_code || strlen(ui->opt.pairing_code) < ODO_UI_PAIRING_MIN)
            return odo_err_set(err, ODO_EINVAL,
                               "the UI on %s would be reachable from other machines: give a "
                               "pairing code of at least %d characters (--ui-pairing-file), or "
                               "keep it on 127.0.0.1",
                               addr, ODO_UI_PAIRING_MIN);
        if (strcmp(addr, "0.0.0.0") != 0 && strcmp(addr, "::") != 0)
            add_host(ui, addr, sa->ss_family == AF_INET6);
    }
    return 0;
}

int odo_ui_check(const struct odo_ui_options *opt, struct odo_err *err)
{
    struct odo_ui ui;
    struct sockaddr_storage sa;

    memset(&ui, 0, sizeof(ui));
    ui.opt = *opt;
    if (!ui.opt.listen)
        ui.opt.listen = ODO_UI_LISTEN_DEFAULT;
    if (opt->port < 1 || opt->port > 65535)
        return odo_err_set(err, ODO_EINVAL, "the UI's port is a number from 1 to 65535");
    return parse_listen(&ui, &sa, err);
}

int odo_ui_open(const struct odo_ui_options *opt, struct odo_ui **out, struct odo_err *err)
{
    struct odo_vin_lookup_options lo = {opt->vpic_path, false, false, 0};
    struct sockaddr_storage sa;
    const union MHD_DaemonInfo *info;
    struct odo_ui *ui;
    int rc;

    *out = NULL;
    if (opt->port < 1 || opt->port > 65535)
        return odo_err_set(err, ODO_EINVAL, "the UI's port is a number from 1 to 65535");
    if (!(ui = calloc(1, sizeof(*ui))))
        return odo_err_set(err, ODO_ENOMEM, "out of memory starting the UI");
    ui->opt = *opt;
    if (!ui->opt.listen)
        ui->opt.listen = ODO_UI_LISTEN_DEFAULT;
    ui->epoll_fd = -1;
    if ((rc = parse_listen(ui, &sa, err)) ||
        (rc = odo_store_open(opt->db_path, NULL, &ui->store, err)) ||
        (rc = odo_vin_lookup_open(ui->store, "default", &lo, &ui->lookup, err)))
        goto out_close;
    ui->mhd =
        MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                             (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                         (uint16_t)opt->port, NULL, NULL, on_request, ui, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)UI_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!ui->mhd || !(info = MHD_get_daemon_info(ui->mhd, MHD_DAEMON_INFO_EPOLL_FD))) {
        rc = odo_err_set(err, ODO_ENET,
                         "the UI cannot listen on %s port %d: the port is in use, or the "
                         "address is not this machine's",
                         ui->opt.listen, opt->port);
        goto out_close;
    }
    ui->epoll_fd = info->epoll_fd;
    *out = ui;
    return 0;
out_close:
    odo_ui_close(ui);
    return rc;
}

void odo_ui_close(struct odo_ui *ui)
{
    if (!ui)
        return;
    if (ui->mhd) {
        /* Suspended long polls must be resumed before the daemon can stop. */
        wake_waiters(ui, true);
        MHD_stop_daemon(ui->mhd);
    }
    odo_vin_lookup_close(ui->lookup);
    odo_store_close(ui->store);
    free(ui);
}

int odo_ui_fd(const struct odo_ui *ui)
{
    return ui->epoll_fd;
}

int odo_ui_timeout_ms(struct odo_ui *ui)
{
    MHD_UNSIGNED_LONG_LONG t;

    if (ui->resumed)
        return 0;
    if (MHD_get_timeout(ui->mhd, &t) == MHD_YES && t < 1000)
        return (int)t;
    return 1000;
}

void odo_ui_run(struct odo_ui *ui)
{
    wake_waiters(ui, false);
    /* A resumed long poll is answered by a further run; a few rounds settle any chain. */
    for (int round = 0; round < 4; round++) {
        ui->resumed = false;
        MHD_run(ui->mhd);
        if (!ui->resumed)
            break;
    }
}

void ui_scans_changed(struct odo_ui *ui)
{
    /* Never MHD_run here: this may run inside a request's handler, and MHD is not re-entrant.
     * The loop runs it next (odo_ui_timeout_ms is 0 while a resume waits). */
    wake_waiters(ui, true);
}

void odo_ui_address(const struct odo_ui *ui, char *out, size_t cap)
{
    bool v6 = strchr(ui->opt.listen, ':') != NULL;
    snprintf(out, cap, v6 ? "http://[%s]:%d/" : "http://%s:%d/", ui->opt.listen, ui->opt.port);
}
