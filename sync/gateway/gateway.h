/*
 * The gateway: configuration, shared state, and the one request handler that both transports
 * (HTTPS through libmicrohttpd, coaps through libcoap) call. A transport turns its request into
 * a struct odo_gw_request and sends back the struct odo_gw_response it gets.
 */
#ifndef ODO_GATEWAY_GATEWAY_H
#define ODO_GATEWAY_GATEWAY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "platform/clock.h"
#include "platform/log.h"
#include "sync/gateway/jwt.h"
#include "sync/gateway/pg.h"
#include "sync/protocol/buf.h"
#include "sync/protocol/messages.h"

/*
 * What one address, device or user may hold or send, and how long things may take. Defaults are
 * far above what a small fleet uses (docs/operations.md, "Limits"); tests set them low.
 */
struct odo_gw_limits {
    int https_connections;     /* open HTTPS connections in total */
    int https_per_address;     /* open HTTPS connections from one address */
    int idle_timeout_s;        /* silence before an HTTPS connection or a DTLS session is closed */
    int request_deadline_s;    /* to receive a whole HTTPS request (TLS handshake, headers, body),
                                  and the longest wait between two blocks of a coaps body */
    int coaps_sessions;        /* DTLS sessions in total */
    int coaps_per_address;     /* DTLS sessions from one address */
    int handshake_rate;        /* new DTLS handshakes per second from one address, sustained */
    int handshake_burst;       /* ... and at once */
    int handshake_timeout_s;   /* a DTLS handshake not done by then is dropped, silently */
    int blockwise_per_address; /* coaps bodies arriving block by block from one address */
    int blockwise_memory_mb;   /* all of those bodies together */
    int device_rate, device_burst; /* requests of one device: a minute, sustained; at once */
    int user_rate, user_burst;     /* requests of one user over all devices: the same */
    int summary_interval_s;        /* one log line per interval sums up what was refused */
    int last_seen_interval_s;      /* devices' last_seen_at is written in batches this often */
};

#define ODO_GW_SEAL_KEY_LEN 32 /* AES-256: the key device keys are sealed with */

struct odo_gw_config {
    char database_url[1024];
    unsigned char jwt_key[256];
    size_t jwt_key_len;
    char jwt_issuer[128];
    char jwt_audience[128];
    char listen[64]; /* address to bind, e.g. 127.0.0.1 or :: */
    int https_port;  /* 0: no HTTPS */
    int coaps_port;  /* 0: no coaps */
    int coap_port;   /* plain coap, for tests only: needs allow_insecure */
    bool allow_insecure;
    char tls_cert[512]; /* PEM files for HTTPS */
    char tls_key[512];
    int pool_size;
    int http_threads;
    int schema_min;
    enum odo_log_level log_level;
    char vpic[1024]; /* a vPIC database installed by `odolog vin db install`; "": no VIN data */
    /* ODOLOG_DEVICE_KEY_SECRET, which device keys are sealed under at rest; when unset, a key
     * derived from the JWT secret (seal_key_derived) */
    unsigned char seal_key[ODO_GW_SEAL_KEY_LEN];
    bool seal_key_derived;
    struct odo_gw_limits limits;
};

/* Defaults, then the file (KEY=VALUE lines, # comments), then the environment (DATABASE_URL,
 * ODOLOG_JWT_SECRET, ...; docs/operations.md lists them). path may be NULL. The JWT secret is
 * required (every command needs it or the database); the rest is checked by the serve check. */
int odo_gw_config_load(struct odo_gw_config *cfg, const char *path,
                       struct odo_err *err) ODO_MUST_CHECK;

/* What serving needs beyond that: a database, TLS files for HTTPS, a port, and the test flag for
 * plain coap. */
int odo_gw_config_check_serve(const struct odo_gw_config *cfg, struct odo_err *err) ODO_MUST_CHECK;

enum odo_gw_transport { ODO_GW_HTTPS, ODO_GW_COAPS, ODO_GW_COAP };

struct odo_gw_request {
    enum odo_gw_transport transport;
    const char *method; /* "GET", "POST", ... */
    const char *path;
    const char *body;
    size_t len;
    bool too_large;           /* the transport stopped reading at the body limit */
    const char *bearer;       /* HTTP: the Authorization bearer token, or NULL */
    const char *content_type; /* NULL when the request named none */
    const char *peer;         /* the client's address, for logs and throttling */
    const char *psk_identity; /* coaps: the device id the DTLS handshake authenticated */
};

struct odo_gw_response {
    int http;        /* HTTP status */
    int coap;        /* CoAP code as class * 100 + detail */
    int retry_after; /* seconds to wait before trying again (429, 503); 0: not said */
    struct odo_buf body;
};

struct odo_gw;

int odo_gw_create(const struct odo_gw_config *cfg, struct odo_gw **out,
                  struct odo_err *err) ODO_MUST_CHECK;
void odo_gw_destroy(struct odo_gw *gw);

/* Handles one request (any thread). resp->body must be freed by the caller. */
void odo_gw_handle(struct odo_gw *gw, const struct odo_gw_request *req,
                   struct odo_gw_response *resp);

const struct odo_gw_config *odo_gw_cfg(const struct odo_gw *gw);
const struct odo_log *odo_gw_log(const struct odo_gw *gw);

/* The transports; each runs until *stop becomes nonzero. */
struct odo_gw_http;
int odo_gw_http_start(struct odo_gw *gw, struct odo_gw_http **out,
                      struct odo_err *err) ODO_MUST_CHECK;
void odo_gw_http_stop(struct odo_gw_http *h);
int odo_gw_coap_run(struct odo_gw *gw, volatile int *stop, struct odo_err *err) ODO_MUST_CHECK;

#endif
