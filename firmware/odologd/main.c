/*
 * odologd: the device's background sync, and the head unit's touch UI. It syncs every
 * logged-in user periodically, soon after a local write (it watches the database file), backs
 * off exponentially with jitter while the gateway is unreachable, tells systemd it is ready and
 * alive (sd_notify, watchdog), and stops cleanly on SIGTERM: one event loop, fed by a signalfd
 * and an inotify descriptor. The touch UI (--ui-port) runs in a thread of its own with its own
 * database connection (headunit.h), so neither ever waits on the other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "firmware/device/paths.h"
#include "firmware/device/scan.h"
#include "firmware/odologd/headunit.h"
#include "firmware/odologd/scanport.h"
#include "platform/clock.h"
#include "platform/fs.h"
#include "platform/log.h"
#include "platform/scanner.h"
#include "platform/text.h"
#include "platform/uuid.h"
#include "storage/replica.h"
#include "sync/client/engine.h"
#include "sync/client/vinlookup.h"

static const char usage[] =
    "usage: odologd [--db PATH] [--interval SECONDS] [--debounce SECONDS]\n"
    "               [--backoff SECONDS] [--max-backoff SECONDS] [--log-level LEVEL] [--once]\n"
    "               [--scanner PATH [--scanner-type auto|evdev|tty] [--scanner-baud N]\n"
    "                [--scan-user ID]]\n"
    "\n"
    "Syncs every user logged in on this device (odolog login) with the gateway:\n"
    "  --interval S      every S seconds (default 300)\n"
    "  --debounce S      S seconds after a local write (default 5)\n"
    "  --backoff S       first retry after a failure (default 10), doubling with up to half\n"
    "                    again of jitter, never sooner than S...\n"
    "  --max-backoff S   ...up to S seconds (default 900); a gateway that says how long to\n"
    "                    wait (rate limit, database away) is waited for at least that long\n"
    "  --once            one cycle, then exit (0 when every user synced)\n"
    "  --db PATH         the database (default: $ODOLOG_DB, else the user's data directory)\n"
    "  --log-level L     error, warn, info (default) or debug, to standard error (the journal)\n"
    "  --version         print the version\n"
    "  --scanner PATH    a barcode scanner (/dev/input/event*, a serial tty): each VIN scanned\n"
    "                    is decoded and registered as a vehicle of --scan-user (default\n"
    "                    $ODOLOG_USER, else 'default'); other scans are logged and dropped.\n"
    "                    An unplugged scanner is looked for again every 5 s.\n"
    "  --ui-port PORT    serve the head unit's touch UI on http://127.0.0.1:PORT/ (a kiosk\n"
    "                    browser shows it). With the UI, scans appear on its VIN screen and a\n"
    "                    technician confirms each one, for the driver signed in there.\n"
    "  --ui-listen ADDR  another address for the UI (default 127.0.0.1); anything but loopback\n"
    "                    needs --ui-pairing-file FILE, whose first line (8 characters or more)\n"
    "                    a browser on another machine must enter once\n"
    "Under systemd (Type=notify) it reports readiness and feeds the watchdog.\n"
    "A stop signal (SIGTERM, SIGINT) is honoured between round trips, even mid-sync.\n"
    "SIGHUP (systemctl reload) syncs at once; settings from 'odolog login' are read at every\n"
    "cycle, so nothing else needs reloading.\n"
    "Exit codes: 0 stopped cleanly (--once: every user synced), 1 usage,\n"
    "4 the database cannot be opened, 5 (--once) a user's sync failed,\n"
    "6 the UI cannot listen on its address.\n";

enum {
    EXIT_USAGE = 1,   /* the command line is wrong */
    EXIT_STORAGE = 4, /* the database cannot be opened */
    EXIT_SYNC = 5,    /* (--once) a user's sync failed */
    EXIT_UI = 6,      /* the touch UI cannot listen on its address */
    RUN = -1,         /* parse_options: no exit yet, run */
};

/* The shortest watchdog allowance for the UI's thread, whose loop goes round every second. */
#define UI_ALIVE_MS 5000

/* What the command line asked for. */
struct options {
    const char *db; /* --db, or NULL: odo_device_db_path's default */
    enum odo_log_level level;
    int interval_ms, debounce_ms, backoff_ms, max_backoff_ms;
    bool once;
    const char *scanner_path; /* --scanner, or NULL */
    struct odo_scanner_options scanner_opt;
    const char *scan_user;
    int ui_port;                 /* 0: no UI */
    const char *ui_listen;       /* NULL: the UI's default, 127.0.0.1 */
    const char *ui_pairing_file; /* NULL: none */
    char ui_pairing[128];        /* its first line */
};

struct daemon {
    struct options opt;
    struct odo_log log;
    const char *db; /* the database's path */
    char db_buf[ODO_DEVICE_PATH_MAX];
    struct odo_store *store;
    int sfd;                           /* SIGTERM, SIGINT and SIGHUP arrive here */
    int ifd;                           /* inotify: writes to the database's directory */
    char db_name[ODO_DEVICE_PATH_MAX]; /* the database's file name, without its directory */
    bool nudged;                       /* SIGHUP arrived: sync now */
    bool stopping;                     /* one of them arrived */
    uint64_t wd_usec;                  /* the systemd watchdog interval; 0: none */
    int64_t last_wd;                   /* when the watchdog was last fed (monotonic ms) */
    int failures;
    int ok_users, failed_users;
    char last_error[320];
    int64_t asked_wait_ms; /* the longest wait a gateway asked for in this cycle (429, 503) */
    /* the scanner, when configured: read here, or in the UI's thread when there is a UI */
    struct scanport port;
    struct odo_vin_lookup *lookup;
    struct headunit *ui;
    char vpic_buf[ODO_DEVICE_PATH_MAX]; /* the vPIC database's path, while the lookup lives */
    const char *vpic;                   /* that path, or NULL */
};

/* Feeds the watchdog when half its interval has passed. */
static void feed_watchdog(struct daemon *d)
{
    int64_t now = odo_mono_ms(), allowance = (int64_t)(d->wd_usec / 1000);

    /* A UI thread that stopped going round is a hang too: let systemd restart us. */
    if (!headunit_alive(d->ui, allowance > UI_ALIVE_MS ? allowance : UI_ALIVE_MS))
        return;
    if (d->wd_usec && now - d->last_wd >= (int64_t)(d->wd_usec / 2000)) {
        sd_notify(0, "WATCHDOG=1");
        d->last_wd = now;
    }
}

/* Whether a stop signal is waiting (consumes it). */
static bool stop_signalled(struct daemon *d)
{
    struct pollfd p = {d->sfd, POLLIN, 0};
    struct signalfd_siginfo si;

    if (d->stopping)
        return true;
    while (d->sfd >= 0 && poll(&p, 1, 0) > 0 && read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            odo_log(&d->log, ODO_LOG_INFO, "SIGHUP: syncing now");
            d->nudged = true;
            continue;
        }
        odo_log(&d->log, ODO_LOG_INFO, "stopping on signal %u", si.ssi_signo);
        d->stopping = true;
        break;
    }
    return d->stopping;
}

/* Between the round trips of a long sync: stay alive to systemd, and stop when told. */
static int on_progress(void *ctx)
{
    struct daemon *d = ctx;
    feed_watchdog(d);
    return stop_signalled(d);
}

static int sync_user(const char *user, void *ctx)
{
    struct daemon *d = ctx;
    struct odo_sync_options opt = {
        .push = true, .pull = true, .progress = on_progress, .progress_ctx = d};
    struct odo_sync_report rep;
    struct odo_transport *t = NULL;
    struct odo_err err;
    int rc = odo_sync_connect(d->store, &t, &err);

    memset(&rep, 0, sizeof(rep));
    if (rc == 0)
        rc = odo_sync_cycle(d->store, user, t, &opt, &rep, &err);
    odo_transport_close(t);
    if (rc == ODO_ESTOPPED)
        return 1; /* no more users: the daemon is stopping */
    if (rc) {
        d->failed_users++;
        snprintf(d->last_error, sizeof(d->last_error), "%s", err.msg);
        odo_log(&d->log, ODO_LOG_WARN, "user %s: %s", user, err.msg);
        if ((int64_t)rep.retry_after_s * 1000 > d->asked_wait_ms)
            d->asked_wait_ms = (int64_t)rep.retry_after_s * 1000;
        return 0;
    }
    d->ok_users++;
    if (rep.pushed || rep.pulled || rep.refused)
        odo_log(&d->log, ODO_LOG_INFO, "user %s: pushed %d (%d refused), pulled %d, cursor %lld",
                user, rep.pushed, rep.refused, rep.pulled, (long long)rep.cursor);
    return 0;
}

/* One cycle over every logged-in user. Returns the delay to the next one, in ms. */
static int64_t cycle(struct daemon *d)
{
    struct odo_err err;
    unsigned char r;
    int64_t delay;

    d->ok_users = d->failed_users = 0;
    d->asked_wait_ms = 0;
    if (odo_replica_users(d->store, sync_user, d, &err) < 0) {
        d->failed_users++;
        snprintf(d->last_error, sizeof(d->last_error), "%s", err.msg);
        odo_log(&d->log, ODO_LOG_ERROR, "%s", err.msg);
    }
    if (d->failed_users == 0) {
        d->failures = 0;
        sd_notifyf(0, "STATUS=synced %d user%s", d->ok_users, d->ok_users == 1 ? "" : "s");
        return d->opt.interval_ms;
    }
    if (d->opt.once) {
        odo_log(&d->log, ODO_LOG_WARN, "sync failed for %d user%s", d->failed_users,
                d->failed_users == 1 ? "" : "s");
        return 0;
    }
    /* Exponential backoff with jitter: backoff * 2^failures plus a random part of up to half
     * of it, so that many devices do not retry in step; never before --backoff, never after
     * --max-backoff unless the gateway asked for longer. */
    d->failures++;
    delay = d->opt.backoff_ms;
    for (int i = 1; i < d->failures && delay < d->opt.max_backoff_ms; i++)
        delay *= 2;
    if (delay > d->opt.max_backoff_ms)
        delay = d->opt.max_backoff_ms;
    if (odo_random_bytes(&r, 1) != 0)
        r = 128;
    delay += (delay / 2) * r / 255;
    if (delay > d->opt.max_backoff_ms)
        delay = d->opt.max_backoff_ms;
    /* A gateway that said how long to wait (rate limit, database away) is left alone at least
     * that long, plus up to a tenth more so that the devices it turned away come back spread. */
    if (delay < d->asked_wait_ms)
        delay = d->asked_wait_ms + d->asked_wait_ms / 10 * r / 255;
    if (d->asked_wait_ms)
        odo_log(&d->log, ODO_LOG_WARN,
                "sync failed (%d in a row); retry in %.1f s (the gateway asked for %lld s)",
                d->failures, (double)delay / 1000, (long long)(d->asked_wait_ms / 1000));
    else
        odo_log(&d->log, ODO_LOG_WARN, "sync failed (%d in a row); retry in %.1f s", d->failures,
                (double)delay / 1000);
    sd_notifyf(0, "STATUS=retrying in %lld s: %s", (long long)(delay / 1000), d->last_error);
    return delay;
}

/* Whether any user has changes waiting. */
static int has_pending(const char *user, void *ctx)
{
    struct daemon *d = ctx;
    struct odo_sync_state st;
    struct odo_err err;
    if (odo_replica_state(d->store, user, &st, &err) == 0 && st.outbox > 0) {
        d->ok_users = 1;
        return 1;
    }
    return 0;
}

static bool outbox_waiting(struct daemon *d)
{
    struct odo_err err;
    d->ok_users = 0;
    (void)!odo_replica_users(d->store, has_pending, d, &err);
    return d->ok_users > 0;
}

/*
 * Reads what inotify has; true when any of it was a write to the database's own files (the
 * database, its WAL, its rollback journal). The folder's other files (odologd's own log beside
 * the database, say) are not the database changing.
 */
static bool drain(struct daemon *d)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    size_t n = strlen(d->db_name);
    bool ours = false;
    ssize_t len;

    while ((len = read(d->ifd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->len && strncmp(ev->name, d->db_name, n) == 0 &&
                (ev->name[n] == '\0' || strcmp(ev->name + n, "-wal") == 0 ||
                 strcmp(ev->name + n, "-journal") == 0))
                ours = true;
            p += sizeof(*ev) + ev->len;
        }
    }
    return ours;
}

/* ---- the scanner ------------------------------------------------------------------------ */

/* One scan: a VIN is decoded and registered for the scan user; anything else is logged. */
static int on_scan(const char *text, bool too_long, void *ctx)
{
    struct daemon *d = ctx;
    struct odo_device_scan r;
    struct odo_err err;

    if (odo_device_scan_register(d->lookup, d->store, d->opt.scan_user, text, too_long, &r, &err) !=
        0)
        odo_log(&d->log, ODO_LOG_ERROR, "scan %s not registered: %s", r.vin, err.msg);
    else if (r.result == ODO_DEVICE_SCAN_REFUSED)
        odo_log(&d->log, ODO_LOG_WARN, "scan '%.40s' refused: %s", text, r.why);
    else
        odo_log(&d->log, ODO_LOG_INFO, "scan %s: %s '%s' for %s (decoded from %s)", r.vin,
                r.result == ODO_DEVICE_SCAN_ADDED ? "registered" : "already registered as",
                r.vehicle.name, d->opt.scan_user, r.decoded.source);
    return 0;
}

/* ---- options, setup, the loop ----------------------------------------------------------- */

static int seconds(const char *s, const char *what, int min, int *out_ms)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < min || v > 86400) {
        fprintf(stderr, "odologd: %s is a number of seconds from %d to 86400\n", what, min);
        return -1;
    }
    *out_ms = (int)v * 1000;
    return 0;
}

/* The UI's options together: loopback unless asked, and then only with a pairing code. Returns
 * RUN or EXIT_USAGE after a message. */
static int check_ui_options(struct options *o)
{
    struct odo_ui_options uo = {.listen = o->ui_listen, .port = o->ui_port};
    struct odo_err err;
    char *text, *nl;
    size_t len;

    if (!o->ui_port && (o->ui_listen || o->ui_pairing_file)) {
        fprintf(stderr, "odologd: --ui-listen and --ui-pairing-file go with --ui-port\n");
        return EXIT_USAGE;
    }
    if (!o->ui_port)
        return RUN;
    if (o->once) {
        fprintf(stderr, "odologd: --once runs one sync and exits: it serves no UI\n");
        return EXIT_USAGE;
    }
    if (o->ui_pairing_file) {
        if (odo_fs_read_all(o->ui_pairing_file, sizeof(o->ui_pairing) - 1, &text, &len, &err)) {
            fprintf(stderr, "odologd: --ui-pairing-file: %s\n", err.msg);
            return EXIT_USAGE;
        }
        if ((nl = strpbrk(text, "\r\n")))
            *nl = '\0';
        snprintf(o->ui_pairing, sizeof(o->ui_pairing), "%s", text);
        memset(text, 0, len);
        free(text);
        uo.pairing_code = o->ui_pairing;
    }
    if (odo_ui_check(&uo, &err)) {
        fprintf(stderr, "odologd: %s\n", err.msg);
        return EXIT_USAGE;
    }
    return RUN;
}

/* Parses the command line into *o. Returns RUN, or the exit code to end with: 0 after --help
 * (printed), EXIT_USAGE after a message on stderr. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {"debounce", required_argument, NULL, 'b'},
                                         {"backoff", required_argument, NULL, 'k'},
                                         {"max-backoff", required_argument, NULL, 'm'},
                                         {"log-level", required_argument, NULL, 'l'},
                                         {"once", no_argument, NULL, 'o'},
                                         {"scanner", required_argument, NULL, 's'},
                                         {"scanner-type", required_argument, NULL, 't'},
                                         {"scanner-baud", required_argument, NULL, 'r'},
                                         {"scan-user", required_argument, NULL, 'u'},
                                         {"version", no_argument, NULL, 'V'},
                                         {"ui-port", required_argument, NULL, 'p'},
                                         {"ui-listen", required_argument, NULL, 'a'},
                                         {"ui-pairing-file", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct odo_err err;
    int ch;

    memset(o, 0, sizeof(*o));
    o->level = ODO_LOG_INFO;
    o->interval_ms = 300000;
    o->debounce_ms = 5000;
    o->backoff_ms = 10000;
    o->max_backoff_ms = 900000;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->db = optarg;
            break;
        case 'i':
            if (seconds(optarg, "--interval", 1, &o->interval_ms))
                return EXIT_USAGE;
            break;
        case 'b':
            if (seconds(optarg, "--debounce", 0, &o->debounce_ms))
                return EXIT_USAGE;
            break;
        case 'k':
            if (seconds(optarg, "--backoff", 1, &o->backoff_ms))
                return EXIT_USAGE;
            break;
        case 'm':
            if (seconds(optarg, "--max-backoff", 1, &o->max_backoff_ms))
                return EXIT_USAGE;
            break;
        case 'l':
            if (odo_log_level_parse(optarg, &o->level)) {
                fprintf(stderr, "odologd: --log-level is error, warn, info or debug\n");
                return EXIT_USAGE;
            }
            break;
        case 'o':
            o->once = true;
            break;
        case 's':
            o->scanner_path = optarg;
            break;
        case 't':
            if (strcmp(optarg, "auto") == 0)
                o->scanner_opt.kind = ODO_SCANNER_AUTO;
            else if (strcmp(optarg, "evdev") == 0)
                o->scanner_opt.kind = ODO_SCANNER_EVDEV;
            else if (strcmp(optarg, "tty") == 0)
                o->scanner_opt.kind = ODO_SCANNER_TTY;
            else {
                fprintf(stderr, "odologd: --scanner-type is auto, evdev or tty\n");
                return EXIT_USAGE;
            }
            break;
        case 'r': {
            char *end;
            long baud = strtol(optarg, &end, 10);
            if (*end || baud < 1200 || baud > 230400) {
                fprintf(stderr, "odologd: --scanner-baud is a speed from 1200 to 230400\n");
                return EXIT_USAGE;
            }
            o->scanner_opt.baud = (int)baud; /* a speed the port supports: checked on open */
            break;
        }
        case 'u':
            o->scan_user = optarg;
            break;
        case 'p': {
            char *end;
            long port = strtol(optarg, &end, 10);
            if (*end || port < 1 || port > 65535) {
                fprintf(stderr, "odologd: --ui-port is a port number from 1 to 65535\n");
                return EXIT_USAGE;
            }
            o->ui_port = (int)port;
            break;
        }
        case 'a':
            o->ui_listen = optarg;
            break;
        case 'c':
            o->ui_pairing_file = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'V':
            printf("odologd %s\n", ODO_VERSION);
            return 0;
        default:
            fputs(usage, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "odologd: unexpected argument '%s'\n%s", argv[optind], usage);
        return EXIT_USAGE;
    }
    if (o->max_backoff_ms < o->backoff_ms)
        o->max_backoff_ms = o->backoff_ms;
    o->scan_user = odo_device_user(o->scan_user);
    if (o->scanner_path && odo_user_check(o->scan_user, &err)) {
        fprintf(stderr, "odologd: --scan-user: %s\n", err.msg);
        return EXIT_USAGE;
    }
    o->scanner_opt.grab = true;
    return check_ui_options(o);
}

/* Starts the touch UI's thread; a scanner then belongs to it. Returns 0 or EXIT_UI. */
static int start_ui(struct daemon *d)
{
    struct odo_ui_options uo = {.db_path = d->db,
                                .vpic_path = d->vpic,
                                .listen = d->opt.ui_listen,
                                .port = d->opt.ui_port,
                                .pairing_code = d->opt.ui_pairing[0] ? d->opt.ui_pairing : NULL,
                                .scanner = d->opt.scanner_path != NULL,
                                .log = &d->log};
    struct odo_err err;

    d->port.owner = "the VIN screen of the touch UI";
    if (headunit_start(&uo, d->opt.scanner_path ? &d->port : NULL, &d->ui, &err)) {
        odo_log(&d->log, ODO_LOG_ERROR, "%s", err.msg);
        return EXIT_UI;
    }
    return 0;
}

/*
 * Opens what the daemon works with: the log, the store, the VIN lookup when a scanner is
 * configured, the touch UI when asked for; then, unless it runs once, the stop signals, the watch
 * on the database's directory and the watchdog. Returns 0, or EXIT_STORAGE having logged why;
 * teardown closes whatever was opened either way.
 */
static int setup(struct daemon *d)
{
    char dir[ODO_DEVICE_PATH_MAX];
    struct odo_err err;
    sigset_t mask;

    d->sfd = d->ifd = -1;
    odo_log_init(&d->log, "odologd", d->opt.level);
    if (odo_device_db_path(d->opt.db, d->db_buf, sizeof(d->db_buf), &d->db, &err) ||
        odo_store_open(d->db, NULL, &d->store, &err)) {
        odo_log(&d->log, ODO_LOG_ERROR, "%s", err.msg);
        return EXIT_STORAGE;
    }
    d->port = (struct scanport){.path = d->opt.scanner_path,
                                .opt = d->opt.scanner_opt,
                                .log = &d->log,
                                .owner = d->opt.scan_user,
                                .on_scan = on_scan,
                                .ctx = d};
    if (d->opt.scanner_path || d->opt.ui_port) {
        struct odo_vin_lookup_options lo = {NULL, true, false, 0};
        if (odo_device_vpic_path(d->db, d->vpic_buf, sizeof(d->vpic_buf), &lo.vpic_path, &err))
            odo_log(&d->log, ODO_LOG_WARN, "%s", err.msg); /* decodes go on without vPIC */
        if (d->opt.scanner_path && !d->opt.ui_port &&
            odo_vin_lookup_open(d->store, d->opt.scan_user, &lo, &d->lookup, &err)) {
            odo_log(&d->log, ODO_LOG_ERROR, "%s", err.msg);
            return EXIT_STORAGE;
        }
        d->vpic = lo.vpic_path;
    }
    if (d->opt.once) {
        signal(SIGHUP, SIG_IGN); /* a reload during one cycle changes nothing */
        return 0;
    }

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    d->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    /* Local writes show as writes to the database's WAL (or the file itself). */
    d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (odo_fs_dirname(d->db, dir, sizeof(dir)) == 0)
        inotify_add_watch(d->ifd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO);
    snprintf(d->db_name, sizeof(d->db_name), "%s",
             strrchr(d->db, '/') ? strrchr(d->db, '/') + 1 : d->db);
    if (sd_watchdog_enabled(0, &d->wd_usec) <= 0)
        d->wd_usec = 0;
    /* Last, with the stop signals blocked: the UI's thread inherits the mask, so they arrive
     * at the main loop's signalfd only. */
    return d->opt.ui_port ? start_ui(d) : 0;
}

/* How long poll may sleep, in ms: until the next cycle, the scanner's retry or the watchdog's
 * next feeding, whichever comes first. */
static int poll_timeout(const struct daemon *d, int64_t next)
{
    int64_t now = odo_mono_ms(), wait = next - now;

    if (!d->ui && scanport_wait_ms(&d->port) < wait)
        wait = scanport_wait_ms(&d->port);
    if (d->wd_usec) {
        int64_t until_wd = (int64_t)(d->wd_usec / 2000) - (now - d->last_wd);
        if (wait > until_wd)
            wait = until_wd;
    }
    if (wait < 0)
        wait = 0;
    return (int)(wait > INT_MAX ? INT_MAX : wait);
}

/*
 * The event loop, until a stop signal: a cycle when its time comes (at once, then after the
 * interval or the backoff), a prompt one soon after a local write, scans as they arrive, the
 * watchdog fed. Tells systemd it is ready, and stopping. Returns 0.
 */
static int run_loop(struct daemon *d)
{
    int64_t next;

    sd_notifyf(0, "READY=1\nSTATUS=starting");
    if (d->ui) {
        char addr[96];
        headunit_address(d->ui, addr, sizeof(addr));
        odo_log(&d->log, ODO_LOG_INFO, "touch UI at %s", addr);
    }
    odo_log(&d->log, ODO_LOG_INFO, "running: interval %d s, debounce %d s, backoff %d..%d s%s",
            d->opt.interval_ms / 1000, d->opt.debounce_ms / 1000, d->opt.backoff_ms / 1000,
            d->opt.max_backoff_ms / 1000, d->wd_usec ? ", watchdog on" : "");
    next = odo_mono_ms(); /* a first cycle right away */
    while (!d->stopping) {
        struct pollfd fds[3] = {{d->sfd, POLLIN, 0}, {d->ifd, POLLIN, 0}, {-1, POLLIN, 0}};

        feed_watchdog(d);
        if (!d->ui) {
            scanport_attach(&d->port);
            fds[2].fd = scanport_fd(&d->port);
        }
        if (poll(fds, ODO_ARRAY_LEN(fds), poll_timeout(d, next)) < 0 && errno != EINTR)
            break;
        if ((fds[0].revents & POLLIN) && stop_signalled(d))
            break;
        if (fds[2].fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)))
            scanport_read(&d->port);
        if ((fds[1].revents & POLLIN) && drain(d)) {
            odo_log(&d->log, ODO_LOG_DEBUG, "the database changed");
            /* Only writes that left changes waiting matter (not our own applying). */
            if (d->failures == 0 && outbox_waiting(d) && next > odo_mono_ms() + d->opt.debounce_ms)
                next = odo_mono_ms() + d->opt.debounce_ms;
        }
        if (d->nudged) {
            d->nudged = false;
            next = odo_mono_ms();
        }
        if (odo_mono_ms() >= next) {
            int64_t delay = cycle(d);
            if (d->stopping)
                break;
            (void)drain(d); /* what the cycle itself wrote */
            next = odo_mono_ms() + delay;
            /* A write that landed during the cycle still gets its prompt sync. */
            if (d->failures == 0 && outbox_waiting(d))
                next = odo_mono_ms() + d->opt.debounce_ms;
        }
    }
    sd_notify(0, "STOPPING=1");
    return 0;
}

/* Closes what setup opened (any part of it). */
static void teardown(struct daemon *d)
{
    if (d->sfd >= 0)
        close(d->sfd);
    if (d->ifd >= 0)
        close(d->ifd);
    headunit_stop(d->ui); /* first: it may own the scanner */
    scanport_close(&d->port);
    odo_vin_lookup_close(d->lookup);
    odo_store_close(d->store);
}

int main(int argc, char **argv)
{
    struct daemon d;
    int rc;

    memset(&d, 0, sizeof(d));
    if ((rc = parse_options(argc, argv, &d.opt)) != RUN)
        return rc;
    if ((rc = setup(&d)) == 0 && d.opt.once) {
        cycle(&d);
        rc = d.failed_users ? EXIT_SYNC : 0;
    } else if (rc == 0) {
        rc = run_loop(&d);
    }
    teardown(&d);
    return rc;
}
