/*
 * What the gateway refused, counted and summed up in one log line per interval, so that a flood
 * of handshakes, connections or requests costs a few lines, not one per attempt. The busiest
 * address of the interval is named in the line (a majority vote over the events, which finds an
 * address that sent most of them without a table of every address).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sync/gateway/internal.h"

static const char *const event_text[ODO_GW_EV_COUNT] = {
    [ODO_GW_EV_HTTPS_OVER_CAP] = "HTTPS connections over a connection cap",
    [ODO_GW_EV_HTTPS_DEADLINE] = "HTTPS connections closed at the request deadline",
    [ODO_GW_EV_HTTPS_TOO_LARGE] = "HTTPS bodies cut off at their limit",
    [ODO_GW_EV_HTTPS_FAILED] = "HTTPS connections failed (TLS or protocol)",
    [ODO_GW_EV_HS_THROTTLED] = "DTLS handshakes over an address's rate",
    [ODO_GW_EV_HS_OVER_CAP] = "DTLS handshakes over an address's sessions",
    [ODO_GW_EV_HS_UNKNOWN] = "DTLS handshakes naming no registered device",
    [ODO_GW_EV_HS_TIMED_OUT] = "DTLS handshakes not completed in time (wrong key?)",
    [ODO_GW_EV_SESSIONS_EVICTED] = "idle DTLS sessions closed for newer ones",
    [ODO_GW_EV_BLOCKWISE_REFUSED] = "coaps block-wise bodies refused",
    [ODO_GW_EV_RATE_LIMITED] = "requests answered 429",
    [ODO_GW_EV_LINES_HELD] = "request log lines held back",
};

void odo_gw_event(struct odo_gw *gw, enum odo_gw_event ev, const char *peer)
{
    struct odo_gw_events *e = &gw->events;

    atomic_fetch_add(&e->count[ev], 1);
    if (!peer || ev == ODO_GW_EV_LINES_HELD)
        return;
    /* Boyer-Moore majority: an address that sent more than half of the events ends up here. */
    pthread_mutex_lock(&e->lock);
    if (strcmp(e->busiest, peer) == 0) {
        e->busiest_count++;
    } else if (e->busiest_count == 0) {
        snprintf(e->busiest, sizeof(e->busiest), "%s", peer);
        e->busiest_count = 1;
    } else {
        e->busiest_count--;
    }
    pthread_mutex_unlock(&e->lock);
}

bool odo_gw_events_may_log(struct odo_gw *gw)
{
    if (atomic_fetch_add(&gw->events.lines, 1) < ODO_GW_EVENT_LINES)
        return true;
    atomic_fetch_add(&gw->events.count[ODO_GW_EV_LINES_HELD], 1);
    return false;
}

void odo_gw_events_flush(struct odo_gw *gw, bool force)
{
    struct odo_gw_events *e = &gw->events;
    int64_t now = odo_mono_ms();
    char line[1024], busiest[64] = "";
    size_t n = 0;
    long total = 0;

    pthread_mutex_lock(&e->lock);
    if (!e->since_ms)
        e->since_ms = now;
    if (!force && now - e->since_ms < (int64_t)gw->cfg.limits.summary_interval_s * 1000) {
        pthread_mutex_unlock(&e->lock);
        return;
    }
    if (e->busiest_count > 0)
        snprintf(busiest, sizeof(busiest), "%s", e->busiest);
    e->busiest[0] = '\0';
    e->busiest_count = 0;
    line[0] = '\0';
    for (int i = 0; i < ODO_GW_EV_COUNT; i++) {
        long c = atomic_exchange(&e->count[i], 0);
        if (c > 0 && n < sizeof(line))
            n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%ld %s", total ? ", " : "", c,
                                  event_text[i]);
        total += c;
    }
    atomic_store(&e->lines, 0);
    {
        int64_t secs = (now - e->since_ms + 500) / 1000;
        e->since_ms = now;
        pthread_mutex_unlock(&e->lock);
        if (total > 0)
            odo_log(&gw->log, ODO_LOG_WARN, "in the last %lld s: %s%s%s", (long long)secs, line,
                    busiest[0] ? "; most from " : "", busiest);
    }
}

void odo_gw_log_line(struct odo_gw *gw, enum odo_log_level level, const char *fmt, ...)
{
    char line[1024];
    size_t n = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* libpq's messages span lines ("...\n\tIs the server running..."): one line each here. */
    for (size_t i = 0; line[i]; i++) {
        bool space = line[i] == '\n' || line[i] == '\t' || line[i] == '\r';
        if (space && (n == 0 || line[n - 1] == ' '))
            continue;
        line[n++] = space ? ' ' : line[i];
    }
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    odo_log(&gw->log, level, "%s", line);
}
