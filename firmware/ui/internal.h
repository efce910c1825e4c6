/*
 * Inside the touch UI: the server's state, one request as the pages see it, the HTML writer and
 * the pages. Nothing outside firmware/ui includes this header.
 */
#ifndef ODO_FIRMWARE_UI_INTERNAL_H
#define ODO_FIRMWARE_UI_INTERNAL_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "firmware/device/scan.h"
#include "firmware/ui/ui.h"
#include "sync/protocol/buf.h"
#include "platform/scanner.h"
#include "platform/text.h"
#include "platform/uuid.h"
#include "storage/settings.h"
#include "storage/store.h"
#include "storage/vehicles.h"

#define UI_TOKEN_HEX   32        /* a session id or a CSRF token: 16 random bytes in hex */
#define UI_SESSIONS    16        /* browsers remembered at once; the least recent one goes */
#define UI_SCANS       16        /* recent scans kept for the technician pages */
#define UI_WAITERS     8         /* technician pages waiting for the next scan at once */
#define UI_CONNECTIONS 32        /* open HTTP connections at once */
#define UI_FIELDS_MAX  32        /* fields of one form */
#define UI_BODY_MAX    16384     /* bytes of one form */
#define UI_PAGE_MAX    (1 << 20) /* bytes of one answer */
#define UI_WAIT_MS     25000     /* how long a page waits for a scan before it asks again */
#define UI_PIN_USERS   16        /* users whose failed PIN attempts are counted */
#define UI_PIN_FREE    5         /* failed PINs before each further attempt waits */
#define UI_MAX_WAIT_MS 300000    /* the longest wait after failed PINs or pairing codes */
#define UI_MESSAGE_MAX (ODO_NAME_MAX + 120) /* a one-line message about a vehicle */

/* One browser: who it is signed in as, its CSRF token, what it was last told. */
struct ui_session {
    char id[UI_TOKEN_HEX + 1];
    char csrf[UI_TOKEN_HEX + 1];
    char user[ODO_USER_MAX + 1];         /* "" until someone is picked */
    char vehicle[ODO_UUID_TEXT_LEN + 1]; /* the vehicle last chosen, "" for the default */
    char flash[UI_MESSAGE_MAX];          /* shown once on the next page */
    bool paired;                         /* entered the pairing code (remote browsers) */
    int64_t last_seen;                   /* monotonic ms; 0: a free slot */
};

/* A scan as the technician pages show it. */
struct ui_scan {
    unsigned seq; /* 0: a free slot */
    int64_t at;   /* wall clock, ms */
    char text[ODO_SCAN_MAX + 1];
    struct odo_device_scan r; /* REFUSED or DECODED; `error` when the decode itself failed */
    char error[sizeof(((struct odo_err *)0)->msg)];
    char done[UI_MESSAGE_MAX]; /* "" or what became of it */
};

struct ui_pin_fails {
    char user[ODO_USER_MAX + 1];
    int fails;
    int64_t until; /* monotonic ms before which no attempt is taken */
};

struct odo_ui {
    struct odo_ui_options opt;
    struct MHD_Daemon *mhd;
    int epoll_fd;
    struct odo_store *store;
    struct odo_vin_lookup *lookup;
    bool loopback;     /* listening on a loopback address only */
    char hosts[4][80]; /* Host headers the pages answer to */
    int nhosts;
    struct ui_session sessions[UI_SESSIONS];
    struct ui_scan scans[UI_SCANS];
    unsigned scan_seq; /* the newest scan's seq */
    struct ui_req *waiters[UI_WAITERS];
    int nwaiters;
    bool resumed; /* a waiter was resumed: MHD must run again before the loop sleeps */
    struct ui_pin_fails pin_fails[UI_PIN_USERS];
    struct ui_pin_fails pair_fails; /* user unused: one counter for the pairing code */
};

/* One request as a page sees it. */
struct ui_req {
    struct odo_ui *ui;
    struct MHD_Connection *con;
    const char *url;
    bool post;
    char *body; /* the form as sent; its fields point into it once parsed */
    size_t body_len;
    bool body_too_big;
    struct {
        const char *key, *value;
    } fields[UI_FIELDS_MAX];
    int nfields;
    struct ui_session *s;
    bool set_cookie;
    struct odo_buf h;
    const char *nav; /* the navigation entry of the page */
    int status;
    char cookie[80]; /* one more Set-Cookie (the theme), or "" */
    int64_t started; /* monotonic us: for Server-Timing */
    const char *ctype;
    char location[600]; /* a redirect (303) when not empty */
    bool waiting;       /* a long poll, suspended until a scan or its deadline */
    int64_t deadline;
    char scan_seq[16]; /* X-Scan-Seq of a scans answer */
};

/* A file of firmware/ui/assets, built in by cmake/EmbedFiles.cmake. */
struct ui_asset {
    const char *name, *type, *version;
    const unsigned char *data;
    size_t len;
};
const struct ui_asset *ui_assets(size_t *count);

/* ---- writing HTML (html.c) ------------------------------------------------------------ */

/* Pages are written into a struct odo_buf capped at UI_PAGE_MAX: past it, `overflow` is set and
 * the server answers 500 rather than a cut page. Raw markup goes in with odo_buf_puts and
 * odo_buf_printf, from literals and numbers only; text from people and the database goes
 * through ui_esc and nothing else. */
/* Appends text, escaped for element content and attribute values alike. */
void ui_esc(struct odo_buf *h, const char *s);
/* A decimal with scale and at least min_decimals, escaped by nature (digits and '.'). */
void ui_dec(struct odo_buf *h, int64_t v, int scale, int min_decimals);

/* The page around the content: head, header with the driver and the theme, navigation. `nav`
 * names the navigation entry that is current ("fill", "due"...). */
void ui_page_begin(struct ui_req *r, const char *title, const char *nav);
void ui_page_end(struct ui_req *r);

/* The hidden CSRF field every form carries. */
void ui_csrf_field(struct ui_req *r);

/* One labelled input with its error beside it. */
struct ui_input {
    const char *name, *label, *type; /* type NULL: "text" */
    const char *value;               /* NULL: empty */
    const char *error;               /* NULL or the sentence to show beside it */
    const char *mode;                /* inputmode: "decimal", "numeric"; NULL: none */
    const char *hint;                /* NULL or a short help shown under the label */
    const char *extra;               /* NULL or raw attributes (trusted) */
    bool keypad;                     /* the on-screen keypad serves this field */
};
void ui_input(struct odo_buf *h, const struct ui_input *in);
/* A labelled checkbox (a whole row to tap). */
void ui_checkbox(struct odo_buf *h, const char *name, const char *label, bool checked);
/* A notice: kind "ok" or "error". */
void ui_notice(struct odo_buf *h, const char *kind, const char *text);

/* ---- the server (server.c) --------------------------------------------------------------- */

/* New session id and token for r's browser (on sign-in and pairing, so that an id known before
 * is worth nothing after). False when no randomness could be had. */
bool ui_session_renew(struct ui_req *r);
/* A field of the form (POST) or the query (GET): NULL when absent. */
const char *ui_field(struct ui_req *r, const char *name);
/* A field that a form leaves empty when not given: NULL when absent or empty. */
const char *ui_given(struct ui_req *r, const char *name);
/* Redirects to path (303 See Other), with an optional one-time message on the next page. */
void ui_redirect(struct ui_req *r, const char *path, const char *flash);
/* An answer with a status and a short page saying why. */
void ui_fail(struct ui_req *r, int status, const char *text);
/* The settings of the signed-in user (defaults when they cannot be read). */
void ui_settings(struct ui_req *r, struct odo_settings *out);
/* The vehicle a page is about: `id` when given and live, else the session's last, else the
 * user's latest fill-up's, else the first. Returns 0, or ODO_ENOTFOUND when the user has none. */
int ui_vehicle(struct ui_req *r, const char *id, struct odo_vehicle *v);
/* The asset's address with its version ("/a/style.css?v=1a2b..."). */
const char *ui_asset_url(const char *name);

/* Links to the page at path for each of the user's vehicles (just the name when only one). */
void ui_vehicle_tabs(struct ui_req *r, const char *path, const struct odo_vehicle *current);

/* The pages, one function per route. Each reads r and writes r->h (or a redirect). */
void ui_page_fill(struct ui_req *r, const char *rest);
void ui_page_fill_save(struct ui_req *r, const char *rest);
void ui_page_fill_delete(struct ui_req *r, const char *rest);
void ui_page_odometer(struct ui_req *r, const char *rest);
void ui_page_due(struct ui_req *r, const char *rest);
void ui_page_done(struct ui_req *r, const char *rest);
void ui_page_history(struct ui_req *r, const char *rest);
void ui_page_renewals(struct ui_req *r, const char *rest);
void ui_page_renewal_delete(struct ui_req *r, const char *rest);
void ui_page_sync(struct ui_req *r, const char *rest);
void ui_page_stats(struct ui_req *r, const char *rest);
void ui_page_vin(struct ui_req *r, const char *rest);
void ui_page_vin_check(struct ui_req *r, const char *rest);
void ui_page_vin_register(struct ui_req *r, const char *rest);
void ui_page_scans(struct ui_req *r, const char *rest);
void ui_page_scan_dismiss(struct ui_req *r, const char *rest);
void ui_page_who(struct ui_req *r, const char *rest);
void ui_page_who_pick(struct ui_req *r, const char *rest);
void ui_page_who_new(struct ui_req *r, const char *rest);
void ui_page_settings(struct ui_req *r, const char *rest);
void ui_page_settings_pin(struct ui_req *r, const char *rest);
void ui_page_theme(struct ui_req *r, const char *rest);
void ui_page_pair(struct ui_req *r, const char *rest);

/* A scan came or changed: the waiting technician pages answer now (server.c). */
void ui_scans_changed(struct odo_ui *ui);

/* The scans newer than `after`, newest first, as the technician page lists them (page_tech.c). */
void ui_scans_html(struct ui_req *r, unsigned after);

/* Waits after failed attempts (page_users.c): 0 when an attempt may be made now, else the
 * seconds to wait. fail() counts one more failure; a success clears the count. */
int ui_fails_wait(const struct ui_pin_fails *f);
void ui_fails_count(struct ui_pin_fails *f, bool ok);

/* ---- charts (chart.c) -------------------------------------------------------------------- */

/* One point or bar: a label on the x axis and a value (scaled integer, `scale` decimals). */
struct ui_point {
    char label[16]; /* "YYYY-MM-DD" */
    int64_t value;
};

/* An SVG line chart (economy over time) or bar chart (cost per month) of n points, with its
 * title and the unit of the values; role="img" and a text alternative for screen readers. `id`
 * makes the chart's element ids unique on its page. */
void ui_chart_line(struct odo_buf *h, const char *id, const char *title, const char *unit,
                   const struct ui_point *p, int n, int scale);
void ui_chart_bars(struct odo_buf *h, const char *id, const char *title, const char *unit,
                   const struct ui_point *p, int n, int scale);

#endif
