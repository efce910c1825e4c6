/*
 * Who may ask: verifying the token of a request, counting failed validations against the source
 * that fails and throttling it with a capped, growing wait, and holding a coaps request to the
 * device its DTLS handshake authenticated.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sync/gateway/internal.h"

#define THROTTLE_FREE_FAILURES 5      /* failures before any wait */
#define THROTTLE_MAX_WAIT_MS   300000 /* the backoff cap: five minutes */

/* ---- throttling ------------------------------------------------------------------------- */

static struct odo_gw_throttle_slot *slot_for(struct odo_gw *gw, const char *key)
{
    unsigned h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return &gw->throttle[h % ODO_GW_THROTTLE_SLOTS];
}

/* Milliseconds the key must still wait, 0 when it may try. */
static int64_t throttle_wait(struct odo_gw *gw, const char *key)
{
    int64_t wait = 0, now = odo_clock_now(NULL);
    pthread_mutex_lock(&gw->lock);
    struct odo_gw_throttle_slot *s = slot_for(gw, key);
    if (strcmp(s->key, key) == 0 && s->until_ms > now)
        wait = s->until_ms - now;
    pthread_mutex_unlock(&gw->lock);
    return wait;
}

static void throttle_failed(struct odo_gw *gw, const char *key)
{
    pthread_mutex_lock(&gw->lock);
    struct odo_gw_throttle_slot *s = slot_for(gw, key);
    if (strcmp(s->key, key) != 0) {
        snprintf(s->key, sizeof(s->key), "%s", key);
        s->failures = 0;
        s->until_ms = 0;
    }
    s->failures++;
    if (s->failures > THROTTLE_FREE_FAILURES) {
        int64_t wait = 1000LL << (s->failures - THROTTLE_FREE_FAILURES - 1 > 20
                                      ? 20
                                      : s->failures - THROTTLE_FREE_FAILURES - 1);
        s->until_ms =
            odo_clock_now(NULL) + (wait > THROTTLE_MAX_WAIT_MS ? THROTTLE_MAX_WAIT_MS : wait);
    }
    pthread_mutex_unlock(&gw->lock);
}

static void throttle_ok(struct odo_gw *gw, const char *key)
{
    pthread_mutex_lock(&gw->lock);
    struct odo_gw_throttle_slot *s = slot_for(gw, key);
    if (strcmp(s->key, key) == 0) {
        s->failures = 0;
        s->until_ms = 0;
    }
    pthread_mutex_unlock(&gw->lock);
}

/* ---- authentication --------------------------------------------------------------------- */

/* Answers 429 with the wait in whole seconds, rounded up; returns -1. */
static int refuse_throttled(struct odo_gw_response *resp, int64_t wait_ms)
{
    odo_gw_fail_retry(resp, ODO_PE_THROTTLED, "too many failed attempts",
                      (int)((wait_ms + 999) / 1000));
    return -1;
}

/*
 * Verifies the token (body field or bearer header). Failed validations are counted per user once
 * the signature verified (an expired token, say), and per transport identity or address before
 * that; past a few, that key is answered 429 with a capped, growing wait, and a success resets
 * it. A token that verifies is never held back by its address: that is what keeps one abuser
 * behind a shared address from locking out everyone else there.
 */
int odo_gw_authenticate(struct odo_gw *gw, const struct odo_gw_request *req, const char *token,
                        struct odo_jwt_claims *claims, struct odo_gw_response *resp)
{
    char peer_key[ODO_GW_THROTTLE_KEY_LEN], user_key[ODO_GW_THROTTLE_KEY_LEN];
    struct odo_err err;
    int sig_ok;
    int64_t wait;

    snprintf(peer_key, sizeof(peer_key), "peer:%s",
             req->psk_identity ? req->psk_identity
             : req->peer       ? req->peer
                               : "?");
    if (!token)
        token = req->bearer;
    if (odo_jwt_verify(&gw->jwt, token, odo_clock_now(NULL) / 1000, claims, &sig_ok, &err) == 0) {
        snprintf(user_key, sizeof(user_key), "user:%s", claims->sub);
        if ((wait = throttle_wait(gw, user_key)) > 0)
            return refuse_throttled(resp, wait);
        throttle_ok(gw, peer_key);
        throttle_ok(gw, user_key);
        return 0;
    }
    if (sig_ok)
        snprintf(user_key, sizeof(user_key), "user:%s", claims->sub[0] ? claims->sub : "?");
    const char *key = sig_ok && claims->sub[0] ? user_key : peer_key;
    if ((wait = throttle_wait(gw, key)) > 0)
        return refuse_throttled(resp, wait);
    throttle_failed(gw, key);
    odo_gw_fail(resp, ODO_PE_UNAUTHORIZED, err.msg);
    return -1;
}

/* The device a request speaks for must be the one DTLS authenticated (coaps). */
int odo_gw_check_device(const struct odo_gw_request *req, const char *device,
                        struct odo_gw_response *resp)
{
    if (req->transport == ODO_GW_COAPS &&
        (!req->psk_identity || strcasecmp(req->psk_identity, device) != 0)) {
        odo_gw_fail(resp, ODO_PE_FORBIDDEN, "the device in the request is not the DTLS identity");
        return -1;
    }
    return 0;
}
