/*
 * Rate limits: token buckets in fixed tables (per device and per user for requests; coap.c keeps
 * one per address for DTLS handshakes), and the 429 answer with the time to retry after.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/internal.h"

#define PROBES 4 /* slots a key may live in: a short, bounded search */

int odo_gw_buckets_init(struct odo_gw_buckets *b, size_t n)
{
    size_t cap = 1;
    while (cap < n)
        cap *= 2;
    b->slots = calloc(cap, sizeof(*b->slots));
    b->n = b->slots ? cap : 0;
    pthread_mutex_init(&b->lock, NULL);
    return b->slots ? 0 : ODO_ENOMEM;
}

void odo_gw_buckets_free(struct odo_gw_buckets *b)
{
    free(b->slots);
    b->slots = NULL;
    pthread_mutex_destroy(&b->lock);
}

/* The bucket's tokens brought up to now. */
static double refilled(const struct odo_gw_bucket *s, double per_ms, int burst, int64_t now_ms)
{
    double t = s->tokens + (double)(now_ms - s->at_ms) * per_ms;
    return t > burst ? burst : t;
}

/* key's slot, or the one it takes over: a free or full-again slot, else the least recent. */
static struct odo_gw_bucket *slot_for(struct odo_gw_buckets *b, const char *key, double per_ms,
                                      int burst, int64_t now_ms)
{
    unsigned h = 2166136261u;
    struct odo_gw_bucket *spare = NULL, *oldest = NULL;

    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (size_t i = 0; i < PROBES; i++) {
        struct odo_gw_bucket *s = &b->slots[(h + i) & (b->n - 1)];
        if (strcmp(s->key, key) == 0)
            return s;
        if (!spare && (!s->key[0] || refilled(s, per_ms, burst, now_ms) >= burst))
            spare = s;
        if (!oldest || s->at_ms < oldest->at_ms)
            oldest = s;
    }
    spare = spare ? spare : oldest;
    snprintf(spare->key, sizeof(spare->key), "%s", key);
    spare->tokens = burst;
    spare->at_ms = now_ms;
    return spare;
}

int64_t odo_gw_bucket_take(struct odo_gw_buckets *b, const char *key, double per_ms, int burst,
                           int64_t now_ms)
{
    int64_t wait = 0;

    pthread_mutex_lock(&b->lock);
    struct odo_gw_bucket *s = slot_for(b, key, per_ms, burst, now_ms);
    s->tokens = refilled(s, per_ms, burst, now_ms);
    s->at_ms = now_ms;
    if (s->tokens >= 1.0)
        s->tokens -= 1.0;
    else
        wait = (int64_t)((1.0 - s->tokens) / per_ms) + 1;
    pthread_mutex_unlock(&b->lock);
    return wait;
}

int odo_gw_check_rate(struct odo_gw *gw, const char *device, const char *user,
                      struct odo_gw_response *resp)
{
    const struct odo_gw_limits *l = &gw->cfg.limits;
    char key[ODO_GW_THROTTLE_KEY_LEN], msg[160];
    int64_t now = odo_mono_ms(), wait;
    bool by_user = false;

    /* A device's bucket is its user's too: over HTTPS the device id is only what the request
     * says, so a token of one user must not spend another user's device's requests. */
    snprintf(key, sizeof(key), "device:%.64s:%.36s", user ? user : "-", device);
    wait =
        odo_gw_bucket_take(&gw->device_rate, key, l->device_rate / 60000.0, l->device_burst, now);
    if (wait == 0 && user) {
        snprintf(key, sizeof(key), "user:%s", user);
        wait = odo_gw_bucket_take(&gw->user_rate, key, l->user_rate / 60000.0, l->user_burst, now);
        by_user = true;
    }
    if (wait == 0)
        return 0;
    {
        int secs = (int)((wait + 999) / 1000);
        snprintf(msg, sizeof(msg), "too many requests from this %s (over %d a minute)",
                 by_user ? "user" : "device", by_user ? l->user_rate : l->device_rate);
        odo_gw_fail_retry(resp, ODO_PE_THROTTLED, msg, secs);
    }
    return -1;
}
