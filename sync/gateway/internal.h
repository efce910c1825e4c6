/*
 * Inside the gateway: its state, which gateway.c creates and the other files keep parts of
 * (auth.c the throttle table, limits.c the rate buckets, events.c the counts of what was
 * refused, keeper.c the background thread), and what they share. Nothing outside sync/gateway/
 * includes this header.
 */
#ifndef ODO_GATEWAY_INTERNAL_H
#define ODO_GATEWAY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sync/gateway/gateway.h"
#include "sync/gateway/jwt.h"
#include "sync/gateway/keys.h"
#include "sync/gateway/pg.h"

#define ODO_GW_THROTTLE_SLOTS 1024
#define ODO_GW_THROTTLE_KEY_LEN                                                                    \
    112 /* bytes of a source's key ("user:...", "device:USER:ID"), NUL included */

/* Failed validations of one source (a user, a DTLS identity or an address). */
struct odo_gw_throttle_slot {
    char key[ODO_GW_THROTTLE_KEY_LEN];
    int failures;
    int64_t until_ms;
};

/* ---- token buckets (limits.c) ----------------------------------------------------------- */

/* One key's bucket: tokens refill at a steady rate up to a burst; a request takes one. */
struct odo_gw_bucket {
    char key[ODO_GW_THROTTLE_KEY_LEN];
    double tokens;
    int64_t at_ms; /* when tokens was last brought up to date */
};

/* A fixed table of buckets. A key's slot may be taken over once its bucket is full again (it is
 * then as if it had never been used), or, when every candidate is busy, the least recent one's. */
struct odo_gw_buckets {
    pthread_mutex_t lock;
    struct odo_gw_bucket *slots;
    size_t n; /* a power of two */
};

int odo_gw_buckets_init(struct odo_gw_buckets *b, size_t n) ODO_MUST_CHECK;
void odo_gw_buckets_free(struct odo_gw_buckets *b);

/* Takes one token from key's bucket, which refills per_ms tokens a millisecond up to burst.
 * Returns 0 when there was one, else the milliseconds until there will be. */
int64_t odo_gw_bucket_take(struct odo_gw_buckets *b, const char *key, double per_ms, int burst,
                           int64_t now_ms);

/* ---- what was refused (events.c) -------------------------------------------------------- */

enum odo_gw_event {
    ODO_GW_EV_HTTPS_OVER_CAP,    /* HTTPS connections refused: the total or an address's cap */
    ODO_GW_EV_HTTPS_DEADLINE,    /* HTTPS connections closed at the request deadline */
    ODO_GW_EV_HTTPS_TOO_LARGE,   /* HTTPS bodies cut off at their limit */
    ODO_GW_EV_HTTPS_FAILED,      /* other connection failures libmicrohttpd reported (TLS) */
    ODO_GW_EV_HS_THROTTLED,      /* DTLS handshakes over an address's rate */
    ODO_GW_EV_HS_OVER_CAP,       /* DTLS handshakes over an address's sessions */
    ODO_GW_EV_HS_UNKNOWN,        /* DTLS handshakes naming no registered device */
    ODO_GW_EV_HS_TIMED_OUT,      /* DTLS handshakes not done in time (a wrong or a decoy key) */
    ODO_GW_EV_SESSIONS_EVICTED,  /* idle DTLS sessions closed for newer ones from the address */
    ODO_GW_EV_BLOCKWISE_REFUSED, /* coaps block-wise bodies refused: too large, or over a cap */
    ODO_GW_EV_RATE_LIMITED,      /* requests answered 429 */
    ODO_GW_EV_LINES_HELD,        /* request log lines held back by the per-interval budget */
    ODO_GW_EV_COUNT
};

#define ODO_GW_EVENT_LINES 50 /* refusals that get a line of their own per interval */

struct odo_gw_events {
    atomic_long count[ODO_GW_EV_COUNT];
    atomic_int lines;     /* refusal lines written in this interval */
    pthread_mutex_t lock; /* the busiest-address tally and the interval */
    char busiest[64];     /* the majority candidate among the interval's addresses */
    long busiest_count;
    int64_t since_ms; /* when the interval began */
};

/* Counts one event from peer (an address, or NULL). Any thread. */
void odo_gw_event(struct odo_gw *gw, enum odo_gw_event ev, const char *peer);

/* When the interval is over (or force), writes one line summing up its events, if any. */
void odo_gw_events_flush(struct odo_gw *gw, bool force);

/* Whether a refusal may have a line of its own: the first ODO_GW_EVENT_LINES per interval; the
 * rest are counted in the summary. */
bool odo_gw_events_may_log(struct odo_gw *gw);

/* Logs one line, whatever line breaks the message holds (libpq's do). */
void odo_gw_log_line(struct odo_gw *gw, enum odo_log_level level, const char *fmt, ...)
    ODO_PRINTF(3, 4);

/* ---- the background thread (keeper.c) ---------------------------------------------------- */

/* Keeps the device keys in step with the devices table (LISTEN), writes last_seen_at in
 * batches and the event summaries, on a connection of its own that it re-opens after an
 * outage. */
struct odo_gw_keeper;
int odo_gw_keeper_start(struct odo_gw *gw, struct odo_gw_keeper **out,
                        struct odo_err *err) ODO_MUST_CHECK;
/* Stops the thread after a last batch and summary; NULL is fine. */
void odo_gw_keeper_stop(struct odo_gw_keeper *k);

/* ---- the gateway ------------------------------------------------------------------------- */

struct odo_gw {
    struct odo_gw_config cfg;
    struct odo_log log;
    struct odo_pg_pool *pool;
    struct odo_jwt_config jwt;
    pthread_mutex_t lock; /* the clock and the throttle table */
    odo_hlc clock;
    struct odo_gw_throttle_slot throttle[ODO_GW_THROTTLE_SLOTS];
    struct odo_vpic *vpic;     /* NULL: this gateway has no VIN data */
    pthread_mutex_t vpic_lock; /* one SQLite connection, one decode at a time */
    struct odo_gw_buckets device_rate, user_rate;
    struct odo_gw_events events;
    struct odo_gw_keys *keys;
    struct odo_gw_keeper *keeper;
    pthread_mutex_t health_lock; /* the last health check, reused for a second */
    int64_t health_at_ms;
    bool health_db;
};

/* Makes resp the error answer e with message (gateway.c). */
void odo_gw_fail(struct odo_gw_response *resp, enum odo_pe e, const char *message);
/* The same with a time to retry after, in seconds: in the message ("; retry in N s"), the body's
 * "retry_after", and the transport's Retry-After header or Max-Age option. */
void odo_gw_fail_retry(struct odo_gw_response *resp, enum odo_pe e, const char *message,
                       int retry_after_s);

/*
 * Takes one request from the rate buckets of device (as user's; over coaps, the DTLS identity)
 * and of user (NULL: none). Returns 0, or -1 with resp
 * holding 429 and the seconds until the next request may come (limits.c).
 */
int odo_gw_check_rate(struct odo_gw *gw, const char *device, const char *user,
                      struct odo_gw_response *resp);

/*
 * Verifies the token (body field or bearer header) of req into claims. Returns 0, or -1 with
 * resp holding the refusal: unauthorized, or too_many_requests when the source that fails is
 * throttled (auth.c).
 */
int odo_gw_authenticate(struct odo_gw *gw, const struct odo_gw_request *req, const char *token,
                        struct odo_jwt_claims *claims, struct odo_gw_response *resp);

/* 0 when the device a request speaks for may speak (coaps: the DTLS identity); else -1 with resp
 * holding the refusal (auth.c). */
int odo_gw_check_device(const struct odo_gw_request *req, const char *device,
                        struct odo_gw_response *resp);

#endif
