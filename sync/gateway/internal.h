/*
 * Inside the gateway's handler: its state, which gateway.c creates and auth.c's throttle table
 * lives in, and what the two share. Nothing outside sync/gateway/ includes this header.
 */
#ifndef ODO_GATEWAY_INTERNAL_H
#define ODO_GATEWAY_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "sync/gateway/gateway.h"
#include "sync/gateway/jwt.h"
#include "sync/gateway/pg.h"

#define ODO_GW_THROTTLE_SLOTS 1024
#define ODO_GW_THROTTLE_KEY_LEN                                                                    \
    80 /* bytes of a source's key ("user:...", "peer:..."), NUL included */

/* Failed validations of one source (a user, a DTLS identity or an address). */
struct odo_gw_throttle_slot {
    char key[ODO_GW_THROTTLE_KEY_LEN];
    int failures;
    int64_t until_ms;
};

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
};

/* Makes resp the error answer e with message (gateway.c). */
void odo_gw_fail(struct odo_gw_response *resp, enum odo_pe e, const char *message);

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
