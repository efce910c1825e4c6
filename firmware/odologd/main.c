/*
 * odologd: the device's background sync. It syncs every logged-in user periodically, soon
 * after a local write (it watches the database file), backs off exponentially with jitter while
 * the gateway is unreachable, tells systemd it is ready and alive (sd_notify, watchdog), and
 * stops cleanly on SIGTERM. One event loop, fed by a signalfd and an inotify descriptor.
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
#include <time.h>
#include <unistd.h>

#include "platform/clock.h"
#include "platform/fs.h"
#include "platform/log.h"
#include "platform/scanner.h"
#include "platform/text.h"
#include "platform/uuid.h"
#include "storage/replica.h"
#include "storage/settings.h"
#include "storage/vehicles.h"
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
    "  --backoff S       first retry after a failure (default 10), doubling with jitter...\n"
    "  --max-backoff S   ...up to S seconds (default 900)\n"
    "  --once            one cycle, then exit (0 when every user synced)\n"
    "  --db PATH         the database (default: $ODOLOG_DB, else the user's data directory)\n"
    "  --scanner PATH    a barcode scanner (/dev/input/event*, a serial tty): each VIN scanned\n"
    "                    is decoded and registered as a vehicle of --scan-user (default\n"
    "                    $ODOLOG_USER, else 'default'); other scans are logged and dropped.\n"
    "                    An unplugged scanner is looked for again every 5 s.\n"
    "Under systemd (Type=notify) it reports readiness and feeds the watchdog.\n"
    "A stop signal (SIGTERM, SIGINT) is honoured between round trips, even mid-sync.\n"
    "Exit codes: 0 stopped cleanly (--once: every user synced), 1 usage,\n"
    "4 the database cannot be opened, 5 (--once) a user's sync failed.\n";

struct daemon {
    struct odo_log log;
    struct odo_store *store;
    int sfd;          /* SIGTERM/SIGINT arrive here */
    bool stopping;    /* one of them arrived */
    uint64_t wd_usec; /* the systemd watchdog interval; 0: none */
    int64_t last_wd;  /* when the watchdog was last fed (monotonic ms) */
    int interval_ms, debounce_ms, backoff_ms, max_backoff_ms;
    int failures;
    bool once;
    int ok_users, failed_users;
    char last_error[320];
    /* the scanner, when configured */
    const char *scanner_path;
    struct odo_scanner_options scanner_opt;
    struct odo_scanner *scanner;
    int64_t scanner_retry; /* when to look for an unplugged scanner again (monotonic ms) */
    const char *scan_user;
    struct odo_vin_lookup *lookup;
    char vpic[4200]; /* the vPIC database's path, for as long as the lookup lives */
};

/* Feeds the watchdog when half its interval has passed. */
static void feed_watchdog(struct daemon *d)
{
    int64_t now = odo_mono_ms();
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
    if (d->sfd >= 0 && poll(&p, 1, 0) > 0 && read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
        odo_log(&d->log, ODO_LOG_INFO, "stopping on signal %u", si.ssi_signo);
        d->stopping = true;
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

    if (rc == 0)
        rc = odo_sync_cycle(d->store, user, t, &opt, &rep, &err);
    odo_transport_close(t);
    if (rc == ODO_ESTOPPED)
        return 1; /* no more users: the daemon is stopping */
    if (rc) {
        d->failed_users++;
        snprintf(d->last_error, sizeof(d->last_error), "%s", err.msg);
        odo_log(&d->log, ODO_LOG_WARN, "user %s: %s", user, err.msg);
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
    if (odo_replica_users(d->store, sync_user, d, &err) < 0) {
        d->failed_users++;
        snprintf(d->last_error, sizeof(d->last_error), "%s", err.msg);
        odo_log(&d->log, ODO_LOG_ERROR, "%s", err.msg);
    }
    if (d->failed_users == 0) {
        d->failures = 0;
        sd_notifyf(0, "STATUS=synced %d user%s", d->ok_users, d->ok_users == 1 ? "" : "s");
        return d->interval_ms;
    }
    if (d->once) {
        odo_log(&d->log, ODO_LOG_WARN, "sync failed for %d user%s", d->failed_users,
                d->failed_users == 1 ? "" : "s");
        return 0;
    }
    /* Exponential backoff with jitter: a random delay between half and all of
     * backoff * 2^failures, capped, so that many devices do not retry in step. */
    d->failures++;
    delay = d->backoff_ms;
    for (int i = 1; i < d->failures && delay < d->max_backoff_ms; i++)
        delay *= 2;
    if (delay > d->max_backoff_ms)
        delay = d->max_backoff_ms;
    if (odo_random_bytes(&r, 1) != 0)
        r = 128;
    delay = delay / 2 + (delay / 2) * r / 255;
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

static void drain(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

/* ---- the scanner ------------------------------------------------------------------------ */

static int this_year(void)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

/* One scan: a VIN is decoded and registered for the scan user; anything else is logged. */
static int on_scan(const char *text, bool too_long, void *ctx)
{
    struct daemon *d = ctx;
    struct odo_vin_info info;
    struct odo_vin_decoded dec;
    struct odo_settings set;
    struct odo_vehicle v;
    struct odo_err err;
    char note[700];
    bool cached, added;

    if (too_long || odo_vin_decode(text, this_year(), &info, &err) != 0) {
        odo_log(&d->log, ODO_LOG_WARN, "scan '%.40s' refused: %s", text,
                too_long ? "too long to be a VIN" : err.msg);
        return 0;
    }
    if (odo_vin_lookup(d->lookup, info.vin, this_year(), &dec, &cached, note, sizeof(note), &err) !=
            0 ||
        odo_settings_load(d->store, d->scan_user, &set, &err) != 0 ||
        odo_vehicle_register_vin(d->store, d->scan_user, &dec, set.units.dist, &v, &added, &err)) {
        odo_log(&d->log, ODO_LOG_ERROR, "scan %s not registered: %s", info.vin, err.msg);
        return 0;
    }
    odo_log(&d->log, ODO_LOG_INFO, "scan %s: %s '%s' for %s (decoded from %s)", info.vin,
            added ? "registered" : "already registered as", v.name, d->scan_user, dec.source);
    return 0;
}

/* Opens the scanner when it is not open and its retry time has come. */
static void scanner_attach(struct daemon *d)
{
    struct odo_err err;

    if (!d->scanner_path || d->scanner || odo_mono_ms() < d->scanner_retry)
        return;
    if (odo_scanner_open(d->scanner_path, &d->scanner_opt, &d->scanner, &err) != 0) {
        if (d->scanner_retry == 0 || d->scanner_retry < 0)
            odo_log(&d->log, ODO_LOG_WARN, "%s; looking again every 5 s", err.msg);
        d->scanner_retry = odo_mono_ms() + 5000;
        return;
    }
    d->scanner_retry = 0;
    odo_log(&d->log, ODO_LOG_INFO, "reading VIN scans from %s for %s", d->scanner_path,
            d->scan_user);
}

static void scanner_read(struct daemon *d)
{
    struct odo_err err;
    int rc = odo_scanner_read(d->scanner, on_scan, d, &err);

    if (rc == 0)
        return;
    if (rc < 0)
        odo_log(&d->log, ODO_LOG_WARN, "%s", err.msg);
    else
        odo_log(&d->log, ODO_LOG_WARN, "the scanner at %s went away; looking again every 5 s",
                d->scanner_path);
    odo_scanner_close(d->scanner);
    d->scanner = NULL;
    d->scanner_retry = odo_mono_ms() + 5000;
}

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

int main(int argc, char **argv)
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
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct daemon d;
    enum odo_log_level level = ODO_LOG_INFO;
    const char *db = getenv("ODOLOG_DB");
    char dbbuf[4096], dir[4096];
    struct odo_err err;
    sigset_t mask;
    int ch, ifd;
    int64_t next;

    memset(&d, 0, sizeof(d));
    d.sfd = -1;
    d.interval_ms = 300000;
    d.debounce_ms = 5000;
    d.backoff_ms = 10000;
    d.max_backoff_ms = 900000;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            db = optarg;
            break;
        case 'i':
            if (seconds(optarg, "--interval", 1, &d.interval_ms))
                return 1;
            break;
        case 'b':
            if (seconds(optarg, "--debounce", 0, &d.debounce_ms))
                return 1;
            break;
        case 'k':
            if (seconds(optarg, "--backoff", 1, &d.backoff_ms))
                return 1;
            break;
        case 'm':
            if (seconds(optarg, "--max-backoff", 1, &d.max_backoff_ms))
                return 1;
            break;
        case 'l':
            if (odo_log_level_parse(optarg, &level)) {
                fprintf(stderr, "odologd: --log-level is error, warn, info or debug\n");
                return 1;
            }
            break;
        case 'o':
            d.once = true;
            break;
        case 's':
            d.scanner_path = optarg;
            break;
        case 't':
            if (strcmp(optarg, "auto") == 0)
                d.scanner_opt.kind = ODO_SCANNER_AUTO;
            else if (strcmp(optarg, "evdev") == 0)
                d.scanner_opt.kind = ODO_SCANNER_EVDEV;
            else if (strcmp(optarg, "tty") == 0)
                d.scanner_opt.kind = ODO_SCANNER_TTY;
            else {
                fprintf(stderr, "odologd: --scanner-type is auto, evdev or tty\n");
                return 1;
            }
            break;
        case 'r': {
            char *end;
            long baud = strtol(optarg, &end, 10);
            if (*end || baud < 1200 || baud > 230400) {
                fprintf(stderr, "odologd: --scanner-baud is a speed from 1200 to 230400\n");
                return 1;
            }
            d.scanner_opt.baud = (int)baud; /* a speed the port supports: checked on open */
            break;
        }
        case 'u':
            d.scan_user = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "odologd: unexpected argument '%s'\n%s", argv[optind], usage);
        return 1;
    }
    if (d.max_backoff_ms < d.backoff_ms)
        d.max_backoff_ms = d.backoff_ms;
    if (!d.scan_user)
        d.scan_user =
            getenv("ODOLOG_USER") && *getenv("ODOLOG_USER") ? getenv("ODOLOG_USER") : "default";
    if (d.scanner_path && odo_user_check(d.scan_user, &err)) {
        fprintf(stderr, "odologd: --scan-user: %s\n", err.msg);
        return 1;
    }
    d.scanner_opt.grab = true;
    odo_log_init(&d.log, "odologd", level);
    if (!db || !*db) {
        if (odo_fs_data_dir(dir, sizeof(dir), &err) || odo_fs_mkdirs(dir, 0700, &err)) {
            odo_log(&d.log, ODO_LOG_ERROR, "%s", err.msg);
            return 4;
        }
        snprintf(dbbuf, sizeof(dbbuf), "%.4000s/odolog.db", dir);
        db = dbbuf;
    }
    if (odo_store_open(db, NULL, &d.store, &err)) {
        odo_log(&d.log, ODO_LOG_ERROR, "%s", err.msg);
        return 4;
    }
    if (d.scanner_path) {
        const char *env = getenv("ODOLOG_VPIC");
        struct odo_vin_lookup_options lo = {NULL, true, false, 0};
        if (env && *env)
            snprintf(d.vpic, sizeof(d.vpic), "%s", env);
        else if (odo_fs_dirname(db, dir, sizeof(dir)) == 0)
            snprintf(d.vpic, sizeof(d.vpic), "%.4000s/vpic.db", dir);
        lo.vpic_path = d.vpic;
        if (odo_vin_lookup_open(d.store, d.scan_user, &lo, &d.lookup, &err)) {
            odo_log(&d.log, ODO_LOG_ERROR, "%s", err.msg);
            odo_store_close(d.store);
            return 4;
        }
    }
    if (d.once) {
        cycle(&d);
        odo_vin_lookup_close(d.lookup);
        odo_store_close(d.store);
        return d.failed_users ? 5 : 0;
    }

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    d.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    /* Local writes show as writes to the database's WAL (or the file itself). */
    ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (odo_fs_dirname(db, dir, sizeof(dir)) == 0)
        inotify_add_watch(ifd, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO);
    if (sd_watchdog_enabled(0, &d.wd_usec) <= 0)
        d.wd_usec = 0;
    sd_notifyf(0, "READY=1\nSTATUS=starting");
    odo_log(&d.log, ODO_LOG_INFO, "running: interval %d s, debounce %d s, backoff %d..%d s%s",
            d.interval_ms / 1000, d.debounce_ms / 1000, d.backoff_ms / 1000,
            d.max_backoff_ms / 1000, d.wd_usec ? ", watchdog on" : "");
    next = odo_mono_ms(); /* a first cycle right away */
    while (!d.stopping) {
        struct pollfd fds[3] = {{d.sfd, POLLIN, 0}, {ifd, POLLIN, 0}, {-1, POLLIN, 0}};
        int64_t now, wait;

        feed_watchdog(&d);
        scanner_attach(&d);
        if (d.scanner)
            fds[2].fd = odo_scanner_fd(d.scanner);
        now = odo_mono_ms();
        wait = next - now;
        if (d.scanner_path && !d.scanner && d.scanner_retry - now < wait)
            wait = d.scanner_retry - now;
        if (d.wd_usec) {
            int64_t until_wd = (int64_t)(d.wd_usec / 2000) - (now - d.last_wd);
            if (wait > until_wd)
                wait = until_wd;
        }
        if (wait < 0)
            wait = 0;
        if (poll(fds, 3, (int)(wait > INT_MAX ? INT_MAX : wait)) < 0 && errno != EINTR)
            break;
        if ((fds[0].revents & POLLIN) && stop_signalled(&d))
            break;
        if (d.scanner && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)))
            scanner_read(&d);
        if (fds[1].revents & POLLIN) {
            drain(ifd);
            odo_log(&d.log, ODO_LOG_DEBUG, "the database changed");
            /* Only writes that left changes waiting matter (not our own applying). */
            if (d.failures == 0 && outbox_waiting(&d) && next > odo_mono_ms() + d.debounce_ms)
                next = odo_mono_ms() + d.debounce_ms;
        }
        if (odo_mono_ms() >= next) {
            int64_t delay = cycle(&d);
            if (d.stopping)
                break;
            drain(ifd); /* what the cycle itself wrote */
            next = odo_mono_ms() + delay;
            /* A write that landed during the cycle still gets its prompt sync. */
            if (d.failures == 0 && outbox_waiting(&d))
                next = odo_mono_ms() + d.debounce_ms;
        }
    }
    sd_notify(0, "STOPPING=1");
    close(d.sfd);
    close(ifd);
    odo_scanner_close(d.scanner);
    odo_vin_lookup_close(d.lookup);
    odo_store_close(d.store);
    return 0;
}
