/*
 * The HTTPS transport: libmicrohttpd with TLS, a pool of threads each waiting on epoll, and the
 * limits that keep it serving while one address misbehaves. libmicrohttpd caps connections in
 * total and per address and closes idle ones; what it lacks is a deadline for a whole request,
 * since its timeout restarts with every byte. So each connection is recorded when it opens,
 * and a reaper thread shuts down the socket of any whose request (TLS handshake, headers and
 * body) is still arriving past ODOLOG_REQUEST_DEADLINE; libmicrohttpd then closes it as it would
 * a client that hung up.
 *
 * Bodies are read into a buffer capped at the path's limit. Past the limit nothing more is kept:
 * the rest is read and dropped up to the limit again, so that a client that overshot by a little
 * hears its 413; a body declared larger than that is answered 413 before any of it is read, and
 * one that keeps coming (chunked) is cut off there by closing the connection, since
 * libmicrohttpd 0.9.75 cannot answer in the middle of a body.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "platform/fs.h"
#include "sync/gateway/internal.h"

#define REAPER_TICK_MS 250
#define PEER_TEXT_LEN  64

/* An open connection, as the reaper sees it. */
struct conn {
    struct conn *prev, *next;
    int fd;
    int64_t started_ms; /* when the request now arriving began: the connection, or the answer
                           before it on a kept-alive connection */
    bool answering;     /* the whole request arrived; the deadline no longer applies */
    bool cut;           /* the reaper shut it down */
    char peer[PEER_TEXT_LEN];
};

struct odo_gw_http {
    struct MHD_Daemon *daemon;
    struct odo_gw *gw;
    char *cert, *key;
    pthread_mutex_t lock; /* the list of connections */
    struct conn *conns;
    pthread_t reaper;
    bool reaper_running;
    atomic_int stop;
};

struct upload {
    struct odo_buf body;
    bool too_large;
    size_t dropped; /* bytes read past the limit and not kept */
};

static size_t limit_for(const char *url)
{
    return strcmp(url, "/v1/sync/push") == 0 ? ODO_PUSH_BODY_MAX : ODO_SMALL_BODY_MAX;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct odo_gw_response *resp)
{
    size_t len;
    char *data = odo_buf_detach(&resp->body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, data ? data : (char *)"", data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (resp->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof(secs), "%d", resp->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    ret = MHD_queue_response(conn, (unsigned)resp->http, r);
    MHD_destroy_response(r);
    return ret;
}

static void peer_text(const struct sockaddr *sa, char *out, size_t cap)
{
    snprintf(out, cap, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void set_answering(struct odo_gw_http *h, struct conn *cn, bool answering)
{
    if (!cn)
        return;
    pthread_mutex_lock(&h->lock);
    cn->answering = answering;
    if (!answering)
        cn->started_ms = odo_mono_ms();
    pthread_mutex_unlock(&h->lock);
}

/* Hands a whole request (or one refused from its headers) to the gateway and queues the answer. */
static enum MHD_Result answer(struct odo_gw_http *h, struct MHD_Connection *conn, const char *url,
                              const char *method, struct upload *u)
{
    struct odo_gw_request req;
    struct odo_gw_response resp;
    const char *auth, *ctype;
    struct conn *cn = conn_of(conn);
    char peer[PEER_TEXT_LEN];
    enum MHD_Result ret;

    set_answering(h, cn, true);
    auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    snprintf(peer, sizeof(peer), "%s", cn ? cn->peer : "?");
    memset(&req, 0, sizeof(req));
    req.transport = ODO_GW_HTTPS;
    req.method = method;
    req.path = url;
    req.body = u->body.data ? u->body.data : "";
    req.len = u->body.len;
    req.too_large = u->too_large;
    req.bearer = auth && strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : NULL;
    req.content_type = ctype;
    req.peer = peer;
    odo_gw_handle(h->gw, &req, &resp);
    ret = send_response(conn, &resp);
    odo_buf_free(&resp.body);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct odo_gw_http *h = cls;
    struct upload *u = *con_cls;
    const char *clen;

    (void)version;
    if (!u) {
        /* First call: headers only. A declared length over the limit is answered at once. */
        u = calloc(1, sizeof(*u));
        if (!u)
            return MHD_NO;
        odo_buf_init(&u->body, limit_for(url));
        *con_cls = u;
        clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (clen && strtoull(clen, NULL, 10) > 2 * limit_for(url)) {
            u->too_large = true;
            return answer(h, conn, url, method, u);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!u->too_large) {
            odo_buf_append(&u->body, upload_data, *upload_data_size);
            if (u->body.overflow) {
                u->too_large = true;
                odo_buf_free(&u->body);
            }
        } else {
            u->dropped += *upload_data_size;
        }
        *upload_data_size = 0;
        if (u->dropped > limit_for(url)) {
            /* Still coming at twice the limit: stop reading here. */
            struct conn *cn = conn_of(conn);
            odo_gw_event(h->gw, ODO_GW_EV_HTTPS_TOO_LARGE, cn ? cn->peer : NULL);
            return MHD_NO;
        }
        return MHD_YES;
    }
    return answer(h, conn, url, method, u);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct upload *u = *con_cls;
    (void)toe;
    set_answering(cls, conn_of(conn), false);
    if (u) {
        odo_buf_free(&u->body);
        free(u);
        *con_cls = NULL;
    }
}

/* Records a connection when it opens (the deadline starts there) and forgets it when it
 * closes, before libmicrohttpd closes its socket. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct odo_gw_http *h = cls;
    struct conn *cn = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (!fd || !(cn = calloc(1, sizeof(*cn))))
            return; /* not watched: the idle timeout still applies */
        cn->fd = fd->connect_fd;
        cn->started_ms = odo_mono_ms();
        peer_text(addr ? addr->client_addr : NULL, cn->peer, sizeof(cn->peer));
        pthread_mutex_lock(&h->lock);
        cn->next = h->conns;
        if (h->conns)
            h->conns->prev = cn;
        h->conns = cn;
        pthread_mutex_unlock(&h->lock);
        *socket_context = cn;
    } else if (cn) {
        pthread_mutex_lock(&h->lock);
        if (cn->prev)
            cn->prev->next = cn->next;
        else
            h->conns = cn->next;
        if (cn->next)
            cn->next->prev = cn->prev;
        pthread_mutex_unlock(&h->lock);
        free(cn);
        *socket_context = NULL;
    }
}

/* Shuts down every connection whose request has been arriving for longer than the deadline. */
static void *reap(void *arg)
{
    struct odo_gw_http *h = arg;
    const int64_t deadline = (int64_t)h->gw->cfg.limits.request_deadline_s * 1000;

    while (!atomic_load(&h->stop)) {
        int64_t now = odo_mono_ms();
        pthread_mutex_lock(&h->lock);
        for (struct conn *cn = h->conns; cn; cn = cn->next)
            if (!cn->answering && !cn->cut && now - cn->started_ms > deadline) {
                /* The socket stays open (no descriptor is freed under libmicrohttpd's feet);
                 * its reads end, and libmicrohttpd closes it. */
                shutdown(cn->fd, SHUT_RDWR);
                cn->cut = true;
                odo_gw_event(h->gw, ODO_GW_EV_HTTPS_DEADLINE, cn->peer);
            }
        pthread_mutex_unlock(&h->lock);
        poll(NULL, 0, REAPER_TICK_MS);
    }
    return NULL;
}

/* libmicrohttpd's own messages: a connection refused at a cap, a TLS failure. Under a flood
 * there is one per connection, so they are counted into the summary, not logged one by one. */
static void on_mhd_message(void *cls, const char *fmt, va_list ap)
{
    struct odo_gw_http *h = cls;
    char msg[256];

    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    odo_gw_event(
        h->gw, strstr(msg, "connection limit") ? ODO_GW_EV_HTTPS_OVER_CAP : ODO_GW_EV_HTTPS_FAILED,
        NULL);
    odo_log(&h->gw->log, ODO_LOG_DEBUG, "https: %s", msg);
}

int odo_gw_http_start(struct odo_gw *gw, struct odo_gw_http **out, struct odo_err *err)
{
    const struct odo_gw_config *cfg = &gw->cfg;
    const struct odo_gw_limits *l = &cfg->limits;
    struct odo_gw_http *h = calloc(1, sizeof(*h));
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    struct sockaddr *sa;
    size_t len;
    int rc;

    *out = NULL;
    if (!h)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    h->gw = gw;
    pthread_mutex_init(&h->lock, NULL);
    if ((rc = odo_fs_read_all(cfg->tls_cert, 1u << 20, &h->cert, &len, err)) ||
        (rc = odo_fs_read_all(cfg->tls_key, 1u << 20, &h->key, &len, err))) {
        odo_gw_http_stop(h);
        return rc;
    }
    memset(&a4, 0, sizeof(a4));
    memset(&a6, 0, sizeof(a6));
    if (inet_pton(AF_INET, cfg->listen, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)cfg->https_port);
        sa = (struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, cfg->listen, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)cfg->https_port);
        sa = (struct sockaddr *)&a6;
    } else {
        odo_gw_http_stop(h);
        return odo_err_set(err, ODO_EINVAL, "ODOLOG_LISTEN '%s' is not an IP address", cfg->listen);
    }
    /* epoll (MHD_USE_AUTO on Linux): select() stops at 1024 descriptors, and a slow-connection
     * attack measured in docs/security.md pushed every honest connection past them. */
    h->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG |
            (sa->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        (uint16_t)cfg->https_port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_HTTPS_MEM_CERT, h->cert, MHD_OPTION_HTTPS_MEM_KEY, h->key,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)l->https_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)l->https_per_address, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)l->idle_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_message, h, MHD_OPTION_END);
    if (!h->daemon) {
        odo_gw_http_stop(h);
        return odo_err_set(err, ODO_ENET,
                           "cannot serve HTTPS on %s:%d (port in use, or a bad certificate)",
                           cfg->listen, cfg->https_port);
    }
    if (pthread_create(&h->reaper, NULL, reap, h) != 0) {
        odo_gw_http_stop(h);
        return odo_err_set(err, ODO_ENOMEM, "cannot start the HTTPS deadline thread");
    }
    h->reaper_running = true;
    *out = h;
    return 0;
}

void odo_gw_http_stop(struct odo_gw_http *h)
{
    if (!h)
        return;
    atomic_store(&h->stop, 1);
    if (h->reaper_running)
        pthread_join(h->reaper, NULL);
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    pthread_mutex_destroy(&h->lock);
    if (h->key)
        memset(h->key, 0, strlen(h->key));
    free(h->key);
    free(h->cert);
    free(h);
}
