/*
 * Inside the coaps transport: what coap.c (the loop and the request handler), coap_guard.c
 * (sessions per address, handshake admission and deadlines) and coap_block.c (bodies that
 * arrive block by block) share. libcoap is single-threaded: everything here runs in the loop's
 * thread. Nothing outside sync/gateway/coap*.c includes this header.
 */
#ifndef ODO_GATEWAY_COAP_IMPL_H
#define ODO_GATEWAY_COAP_IMPL_H

#include <coap3/coap.h>

#include "sync/gateway/internal.h"

#define ODO_COAP_PEER_LEN 64 /* an address in text, without the port */

/* A body arriving block by block (RFC 7959 Block1) on one session. */
struct odo_coap_upload {
    char path[64];
    struct odo_buf body; /* capped at the path's limit */
    int64_t last_ms;     /* when its last block came */
};

/* What the gateway knows of one libcoap server session; its app data points here. */
struct odo_coap_session {
    coap_session_t *session; /* NULL: a free slot */
    coap_address_t remote;   /* to find the session in libcoap's list without touching it */
    int ifindex;
    char peer[ODO_COAP_PEER_LEN];
    int64_t created_ms;
    int64_t checked_ms; /* when the sweep last looked at it past its handshake deadline */
    bool admitted;      /* passed the identity callback: the address answered the DTLS cookie */
    bool established;   /* the handshake completed */
    bool evict;         /* to be closed after this round of the loop */
    bool closing;       /* closed by the gateway; libcoap frees it on its next round */
    struct odo_coap_upload *upload;
};

struct odo_coap {
    struct odo_gw *gw;
    coap_context_t *ctx;
    struct odo_coap_session *slots; /* a fixed pool: at most the sessions libcoap may hold */
    size_t nslots;
    size_t audit;                     /* the next slot the rolling audit looks at */
    struct odo_gw_buckets handshakes; /* per address */
    size_t upload_bytes;              /* what every upload holds now */
    unsigned char key[ODO_GW_PSK_MAX];
    coap_bin_const_t key_out; /* what the identity callback hands to libcoap, which copies it */
};

/* ---- coap_guard.c ------------------------------------------------------------------------ */

int odo_coap_guard_init(struct odo_coap *c, struct odo_err *err) ODO_MUST_CHECK;
void odo_coap_guard_free(struct odo_coap *c);

/* libcoap's session events: a session's slot is taken when it is made and given back when it
 * is freed; a completed handshake marks the device seen. */
int odo_coap_on_event(coap_session_t *session, const coap_event_t event);

/* The DTLS identity callback: admits the handshake for its address (rate and sessions), then
 * answers with the device's key or a decoy. NULL refuses it at once. */
const coap_bin_const_t *odo_coap_on_identity(coap_bin_const_t *identity, coap_session_t *session,
                                             void *arg);

/* Between two rounds of the loop: drops handshakes past their deadline, sessions chosen for
 * eviction and uploads whose next block is overdue. */
void odo_coap_sweep(struct odo_coap *c);

/* The slot of a session (NULL when libcoap made it while the pool was full). */
struct odo_coap_session *odo_coap_slot(coap_session_t *session);

/* ---- coap_block.c ------------------------------------------------------------------------ */

enum odo_coap_block {
    ODO_COAP_BLOCK_MORE,    /* a block taken; resp says 2.31, send it */
    ODO_COAP_BLOCK_DONE,    /* the last block: *body and *len hold the whole body */
    ODO_COAP_BLOCK_REFUSED, /* resp holds the refusal; the upload is gone */
};

/*
 * Takes one Block1 block of a request to path (limit: that path's body limit) for the session.
 * The limit holds as blocks arrive: a Size1 over it, or a block reaching past it, is refused at
 * once with 4.13, and no session ever holds more than the limit. A device has one upload at a
 * time (a new first block replaces an older upload of its own); an address has at most
 * ODOLOG_BLOCKWISE_MAX_PER_ADDRESS (4.29), and all uploads together at most
 * ODOLOG_BLOCKWISE_MEMORY_MB (5.03). With DONE, the body belongs to the session's upload until
 * odo_coap_upload_end().
 */
enum odo_coap_block odo_coap_block_take(struct odo_coap *c, coap_session_t *session,
                                        const coap_pdu_t *request, const char *path, size_t limit,
                                        const coap_block_b_t *block, const char **body, size_t *len,
                                        struct odo_gw_response *resp);

/* Frees the session's upload, if any. */
void odo_coap_upload_end(struct odo_coap *c, struct odo_coap_session *s);

#endif
