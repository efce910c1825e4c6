/*
 * Bodies that arrive block by block (RFC 7959 Block1). libcoap hands each block over as it
 * comes (its single-body mode would gather the whole body before anyone could look at its
 * size); here the body limit holds at every block: a Size1 over the limit, or a block that
 * reaches past it, is answered 4.13 there and then, with Size1 naming the limit. A session holds
 * at most one upload of at most the limit, a device one upload at a time, an address a capped
 * number of them, and all of them together a capped number of bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/coap_impl.h"

#define BUSY_RETRY_AFTER_S 5 /* what a body refused for lack of room is told to wait */

void odo_coap_upload_end(struct odo_coap *c, struct odo_coap_session *s)
{
    if (!s->upload)
        return;
    c->upload_bytes -= s->upload->body.len;
    odo_buf_free(&s->upload->body);
    free(s->upload);
    s->upload = NULL;
}

/* The device a session speaks for: its DTLS identity (plain coap, for tests: none). */
static bool same_device(const struct odo_coap_session *a, const struct odo_coap_session *b)
{
    const coap_bin_const_t *x = coap_session_get_psk_identity(a->session);
    const coap_bin_const_t *y = coap_session_get_psk_identity(b->session);
    return x && y && x->length == y->length && memcmp(x->s, y->s, x->length) == 0;
}

/* Before a first block: makes room under the caps, or refuses (resp set, false). */
static bool may_start(struct odo_coap *c, struct odo_coap_session *s, struct odo_gw_response *resp)
{
    const struct odo_gw_limits *l = &c->gw->cfg.limits;
    int from_peer = 0;
    char msg[160];

    for (size_t i = 0; i < c->nslots; i++) {
        struct odo_coap_session *o = &c->slots[i];
        if (o == s || !o->session || !o->upload)
            continue;
        if (same_device(o, s)) /* the device started over on another session */
            odo_coap_upload_end(c, o);
        else if (strcmp(o->peer, s->peer) == 0)
            from_peer++;
    }
    if (from_peer >= l->blockwise_per_address) {
        snprintf(msg, sizeof(msg), "too many bodies arriving block by block from this address (%d)",
                 l->blockwise_per_address);
        odo_gw_fail_retry(resp, ODO_PE_THROTTLED, msg, BUSY_RETRY_AFTER_S);
        return false;
    }
    return true;
}

/* Refuses the block with resp already set, forgetting the upload. */
static enum odo_coap_block refuse(struct odo_coap *c, struct odo_coap_session *s)
{
    odo_gw_event(c->gw, ODO_GW_EV_BLOCKWISE_REFUSED, s ? s->peer : NULL);
    if (s)
        odo_coap_upload_end(c, s);
    return ODO_COAP_BLOCK_REFUSED;
}

static enum odo_coap_block too_large(struct odo_coap *c, struct odo_coap_session *s, size_t limit,
                                     struct odo_gw_response *resp)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "the body is over the limit of %zu bytes for this path", limit);
    odo_gw_fail(resp, ODO_PE_TOO_LARGE, msg);
    return refuse(c, s);
}

enum odo_coap_block odo_coap_block_take(struct odo_coap *c, coap_session_t *session,
                                        const coap_pdu_t *request, const char *path, size_t limit,
                                        const coap_block_b_t *block, const char **body, size_t *len,
                                        struct odo_gw_response *resp)
{
    struct odo_coap_session *s = odo_coap_slot(session);
    const struct odo_gw_limits *l = &c->gw->cfg.limits;
    const size_t memory = (size_t)l->blockwise_memory_mb << 20;
    const uint8_t *data = NULL;
    size_t n = 0, offset = 0, total = 0;
    coap_opt_iterator_t it;
    coap_opt_t *size1 = coap_check_option(request, COAP_OPTION_SIZE1, &it);
    struct odo_coap_upload *u;

    odo_buf_init(&resp->body, ODO_ANSWER_BODY_MAX);
    resp->retry_after = 0;
    coap_get_data_large(request, &n, &data, &offset, &total);
    offset = (size_t)block->num << (block->szx + 4);
    /* The limit, before a byte is kept: the size the client announces, and where it is now. */
    if (size1 && coap_decode_var_bytes(coap_opt_value(size1), coap_opt_length(size1)) > limit)
        return too_large(c, s, limit, resp);
    if (offset + n > limit)
        return too_large(c, s, limit, resp);
    if (!s) {
        odo_gw_fail_retry(resp, ODO_PE_UNAVAILABLE, "the gateway is full", BUSY_RETRY_AFTER_S);
        return refuse(c, NULL);
    }
    if (block->num == 0) {
        odo_coap_upload_end(c, s);
        if (!may_start(c, s, resp))
            return refuse(c, s);
        if (!(s->upload = calloc(1, sizeof(*s->upload)))) {
            odo_gw_fail_retry(resp, ODO_PE_UNAVAILABLE, "out of memory", BUSY_RETRY_AFTER_S);
            return refuse(c, s);
        }
        snprintf(s->upload->path, sizeof(s->upload->path), "%s", path);
        odo_buf_init(&s->upload->body, limit);
    }
    u = s->upload;
    /* Blocks come in order; the last one may come again when its answer was lost. */
    if (!u || strcmp(u->path, path) != 0 || offset > u->body.len ||
        (offset < u->body.len && offset + n != u->body.len)) {
        odo_gw_fail(resp, ODO_PE_BAD_REQUEST,
                    "a block arrived out of order or without its first block; send the body "
                    "again from the start");
        resp->coap = 408; /* 4.08 Request Entity Incomplete */
        return refuse(c, s);
    }
    if (offset == u->body.len) {
        if (c->upload_bytes + n > memory) {
            odo_gw_fail_retry(resp, ODO_PE_UNAVAILABLE,
                              "the gateway holds as many bodies as it may", BUSY_RETRY_AFTER_S);
            return refuse(c, s);
        }
        odo_buf_append(&u->body, data, n);
        if (u->body.overflow) { /* under the limit, so the memory ran out */
            odo_gw_fail_retry(resp, ODO_PE_UNAVAILABLE, "out of memory", BUSY_RETRY_AFTER_S);
            return refuse(c, s);
        }
        c->upload_bytes += n;
    }
    u->last_ms = odo_mono_ms();
    if (block->m) {
        resp->http = 200;
        resp->coap = 231; /* 2.31 Continue */
        return ODO_COAP_BLOCK_MORE;
    }
    *body = u->body.data ? u->body.data : "";
    *len = u->body.len;
    return ODO_COAP_BLOCK_DONE;
}
