/*
 * Inside sync/client: what the transport implementations share. Nothing outside sync/client
 * includes this header, but for a test that brings an implementation of its own (an in-process
 * gateway: its struct starts with struct odo_transport, whose ops are its functions).
 */
#ifndef ODO_SYNC_TRANSPORT_IMPL_H
#define ODO_SYNC_TRANSPORT_IMPL_H

#include <stdbool.h>

#include "sync/client/transport.h"

enum odo_url_scheme { ODO_URL_COAPS, ODO_URL_COAP, ODO_URL_HTTPS };

struct odo_url {
    enum odo_url_scheme scheme;
    char host[256];
    int port;
};

/* Parses a gateway URL: a known scheme, a host (an IPv6 address in brackets), an optional port,
 * no path. ODO_EINVAL with a sentence otherwise. */
int odo_url_parse(const char *url, struct odo_url *out, struct odo_err *err) ODO_MUST_CHECK;
/* Whether url starts with a scheme a transport speaks (coaps://, coap://, https://). */
bool odo_url_known_scheme(const char *url);

struct odo_transport_ops {
    int (*request)(struct odo_transport *t, const char *path, const char *body, size_t len,
                   int *status, struct odo_buf *resp, struct odo_err *err);
    void (*close)(struct odo_transport *t);
};

/* Every implementation's struct starts with this. */
struct odo_transport {
    const struct odo_transport_ops *ops;
    struct odo_transport_stats stats;
    int timeout_ms;
};

int odo_coap_open(const struct odo_url *url, const struct odo_transport_options *opt,
                  struct odo_transport **out, struct odo_err *err) ODO_MUST_CHECK;
int odo_https_open(const struct odo_url *url, const struct odo_transport_options *opt,
                   struct odo_transport **out, struct odo_err *err) ODO_MUST_CHECK;

#endif
