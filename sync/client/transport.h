/*
 * How the sync engine reaches the gateway: POST a body to a path, get a status and a body back.
 * Two implementations share this interface: coaps (libcoap, DTLS with the device's pre-shared
 * key, block-wise transfers) and HTTPS (mbedtls, certificate verification required). Plain
 * coap:// exists for tests only.
 */
#ifndef ODO_SYNC_TRANSPORT_H
#define ODO_SYNC_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "platform/error.h"
#include "sync/protocol/buf.h"

#define ODO_PSK_MIN 16 /* bytes of a coaps pre-shared key, at least */
#define ODO_PSK_MAX 64 /* and at most */

struct odo_transport_options {
    const char *url;          /* coaps://host[:port], https://host[:port], coap://... (tests) */
    const char *psk_identity; /* coaps: the device id */
    const unsigned char *psk; /* coaps: the pre-shared key, ODO_PSK_MIN to ODO_PSK_MAX bytes */
    size_t psk_len;
    const char *ca_file; /* https: PEM file of the CA that signed the gateway */
    int timeout_ms;      /* per request; 0: 30 s */
};

struct odo_transport;

/* What moved, for `odolog sync` and the benchmarks. */
struct odo_transport_stats {
    uint64_t requests;
    uint64_t body_out, body_in; /* request and answer bodies */
    uint64_t wire_out, wire_in; /* everything the transport sent and received (framing too) */
};

/* Opens a transport for opt->url. Nothing is sent yet. */
int odo_transport_open(const struct odo_transport_options *opt, struct odo_transport **out,
                       struct odo_err *err) ODO_MUST_CHECK;
void odo_transport_close(struct odo_transport *t);

/*
 * POSTs body to path (GET when body is NULL) and waits for the answer. *status receives it as
 * an HTTP status or a CoAP code (class * 100 + detail): 2xx is success either way. resp holds the
 * answer body. Returns 0, or ODO_ENET (unreachable, timed out, handshake or certificate failed)
 * with a sentence; a non-2xx answer is not an error here.
 */
int odo_transport_request(struct odo_transport *t, const char *path, const char *body, size_t len,
                          int *status, struct odo_buf *resp, struct odo_err *err) ODO_MUST_CHECK;

const struct odo_transport_stats *odo_transport_stats(const struct odo_transport *t);

#endif
