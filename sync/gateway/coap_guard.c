/*
 * Who may hold a DTLS session, and for how long. libcoap caps sessions and handshakes only in
 * total, so a single address could fill them; here every server session gets a slot (through
 * libcoap's session events) that records its address, and the identity callback, which runs
 * once the address has answered the DTLS cookie, admits a handshake only within the address's
 * handshake rate (a token bucket) and session cap, making room by closing the address's oldest
 * idle session when it can. Handshakes not done within ODOLOG_HANDSHAKE_TIMEOUT are dropped
 * without a word, whether the key was wrong or the identity a decoy's: both look the same.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/coap_impl.h"

#define AUDIT_PER_SWEEP 16   /* slots checked against libcoap's own list per round of the loop */
#define LATE_CHECK_MS   1000 /* how often a session past its handshake deadline is looked at */

int odo_coap_guard_init(struct odo_coap *c, struct odo_err *err)
{
    const struct odo_gw_limits *l = &c->gw->cfg.limits;

    c->nslots = (size_t)l->coaps_sessions + (size_t)l->coaps_sessions / 4 + 128;
    c->slots = calloc(c->nslots, sizeof(*c->slots));
    if (!c->slots || odo_gw_buckets_init(&c->handshakes, c->nslots) != 0) {
        free(c->slots);
        c->slots = NULL;
        return odo_err_set(err, ODO_ENOMEM, "out of memory for coaps sessions");
    }
    return 0;
}

void odo_coap_guard_free(struct odo_coap *c)
{
    for (size_t i = 0; c->slots && i < c->nslots; i++)
        odo_coap_upload_end(c, &c->slots[i]);
    free(c->slots);
    c->slots = NULL;
    odo_gw_buckets_free(&c->handshakes);
}

struct odo_coap_session *odo_coap_slot(coap_session_t *session)
{
    return session ? coap_session_get_app_data(session) : NULL;
}

static void peer_of(coap_session_t *session, char out[ODO_COAP_PEER_LEN])
{
    const coap_address_t *a = coap_session_get_addr_remote(session);

    strcpy(out, "?");
    if (a && a->addr.sa.sa_family == AF_INET)
        inet_ntop(AF_INET, &a->addr.sin.sin_addr, out, ODO_COAP_PEER_LEN);
    else if (a && a->addr.sa.sa_family == AF_INET6)
        inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, out, ODO_COAP_PEER_LEN);
}

static void take_slot(struct odo_coap *c, coap_session_t *session)
{
    for (size_t i = 0; i < c->nslots; i++)
        if (!c->slots[i].session) {
            struct odo_coap_session *s = &c->slots[i];
            memset(s, 0, sizeof(*s));
            s->session = session;
            s->created_ms = odo_mono_ms();
            coap_address_copy(&s->remote, coap_session_get_addr_remote(session));
            s->ifindex = coap_session_get_ifindex(session);
            peer_of(session, s->peer);
            coap_session_set_app_data(session, s);
            return;
        }
    /* The pool is full: the session has no slot, and its handshake will be refused. */
    coap_session_set_app_data(session, NULL);
}

static void give_back(struct odo_coap *c, struct odo_coap_session *s)
{
    odo_coap_upload_end(c, s);
    if (s->session)
        coap_session_set_app_data(s->session, NULL);
    s->session = NULL;
}

int odo_coap_on_event(coap_session_t *session, const coap_event_t event)
{
    struct odo_coap *c = coap_get_app_data(coap_session_get_context(session));
    struct odo_coap_session *s = odo_coap_slot(session);

    if (!c)
        return 0;
    if (event == COAP_EVENT_SERVER_SESSION_NEW) {
        take_slot(c, session);
    } else if (event == COAP_EVENT_SERVER_SESSION_DEL && s) {
        give_back(c, s);
    } else if (event == COAP_EVENT_DTLS_CONNECTED && s) {
        const coap_bin_const_t *id = coap_session_get_psk_identity(session);
        char text[ODO_UUID_TEXT_LEN + 1];
        s->established = true;
        if (id && id->length == ODO_UUID_TEXT_LEN) {
            memcpy(text, id->s, id->length);
            text[id->length] = '\0';
            odo_gw_keys_seen(c->gw->keys, text); /* only a registered device can get here */
        }
    }
    return 0;
}

/* Sessions of peer that passed admission and are not on their way out. */
static int admitted_from(struct odo_coap *c, const char *peer)
{
    int n = 0;
    for (size_t i = 0; i < c->nslots; i++)
        n += c->slots[i].session && c->slots[i].admitted && !c->slots[i].evict &&
             !c->slots[i].closing && strcmp(c->slots[i].peer, peer) == 0;
    return n;
}

/* Marks peer's oldest established session without an upload for closing; false when none. */
static bool evict_oldest(struct odo_coap *c, const char *peer)
{
    struct odo_coap_session *oldest = NULL;

    for (size_t i = 0; i < c->nslots; i++) {
        struct odo_coap_session *s = &c->slots[i];
        if (s->session && s->established && !s->evict && !s->closing && !s->upload &&
            strcmp(s->peer, peer) == 0 && (!oldest || s->created_ms < oldest->created_ms))
            oldest = s;
    }
    if (oldest)
        oldest->evict = true;
    return oldest != NULL;
}

const coap_bin_const_t *odo_coap_on_identity(coap_bin_const_t *identity, coap_session_t *session,
                                             void *arg)
{
    struct odo_coap *c = arg;
    struct odo_coap_session *s = odo_coap_slot(session);
    const struct odo_gw_limits *l = &c->gw->cfg.limits;
    char id[ODO_UUID_TEXT_LEN + 1] = "";
    bool known;

    if (!s)
        return NULL;
    if (!s->admitted) {
        if (odo_gw_bucket_take(&c->handshakes, s->peer, l->handshake_rate / 1000.0,
                               l->handshake_burst, odo_mono_ms()) > 0) {
            odo_gw_event(c->gw, ODO_GW_EV_HS_THROTTLED, s->peer);
            return NULL;
        }
        if (admitted_from(c, s->peer) >= l->coaps_per_address && !evict_oldest(c, s->peer)) {
            odo_gw_event(c->gw, ODO_GW_EV_HS_OVER_CAP, s->peer);
            return NULL;
        }
        s->admitted = true;
    }
    /* An identity that cannot be a device id is looked up as "": it gets a decoy too. */
    if (identity && identity->length == ODO_UUID_TEXT_LEN &&
        !memchr(identity->s, '\0', identity->length)) {
        memcpy(id, identity->s, identity->length);
        id[identity->length] = '\0';
    }
    c->key_out.length = odo_gw_keys_handshake(c->gw->keys, id, c->key, &known);
    c->key_out.s = c->key;
    if (!known)
        odo_gw_event(c->gw, ODO_GW_EV_HS_UNKNOWN, s->peer);
    return &c->key_out; /* libcoap copies it before the next handshake */
}

/* Whether libcoap still holds the slot's session (a session freed without its event, which
 * libcoap does only when it runs out of memory, must not be touched). */
static bool alive(struct odo_coap *c, const struct odo_coap_session *s)
{
    return coap_session_get_by_peer(c->ctx, &s->remote, s->ifindex) == s->session;
}

void odo_coap_sweep(struct odo_coap *c)
{
    const struct odo_gw_limits *l = &c->gw->cfg.limits;
    int64_t now = odo_mono_ms();
    const int64_t hs_deadline = (int64_t)l->handshake_timeout_s * 1000;
    const int64_t block_deadline = (int64_t)l->request_deadline_s * 1000;

    for (size_t i = 0; i < c->nslots; i++) {
        struct odo_coap_session *s = &c->slots[i];
        if (!s->session || s->closing)
            continue;
        if (s->upload && now - s->upload->last_ms > block_deadline)
            odo_coap_upload_end(c, s);
        if (!s->evict && (s->established || now - s->created_ms <= hs_deadline ||
                          now - s->checked_ms < LATE_CHECK_MS))
            continue;
        s->checked_ms = now;
        if (!alive(c, s)) {
            odo_coap_upload_end(c, s);
            s->session = NULL;
            continue;
        }
        /* Past its deadline, a session still in its cookie exchange (a HELLO) is libcoap's to
         * drop; one in its handshake is dropped here. */
        if (!s->evict && (coap_session_get_type(s->session) != COAP_SESSION_TYPE_SERVER ||
                          coap_session_get_state(s->session) != COAP_SESSION_STATE_HANDSHAKE))
            continue;
        odo_gw_event(c->gw, s->evict ? ODO_GW_EV_SESSIONS_EVICTED : ODO_GW_EV_HS_TIMED_OUT,
                     s->peer);
        s->closing = true;
        /* In the middle of a handshake this sends nothing, as for a wrong key. */
        coap_session_disconnected(s->session, COAP_NACK_TLS_FAILED);
    }
    for (size_t n = 0; n < AUDIT_PER_SWEEP && n < c->nslots; n++) {
        struct odo_coap_session *s = &c->slots[c->audit];
        if (s->session && !alive(c, s)) {
            odo_coap_upload_end(c, s);
            s->session = NULL;
        }
        c->audit = (c->audit + 1) % c->nslots;
    }
}
