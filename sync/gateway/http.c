/*
 * The HTTPS transport: libmicrohttpd with TLS and an internal thread pool. Bodies are read into
 * a buffer capped at the path's limit; a Content-Length over it is refused before reading.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "platform/fs.h"
#include "sync/gateway/gateway.h"

struct odo_gw_http {
    struct MHD_Daemon *daemon;
    char *cert, *key;
};

struct upload {
    struct odo_buf body;
    bool too_large;
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
    ret = MHD_queue_response(conn, (unsigned)resp->http, r);
    MHD_destroy_response(r);
    return ret;
}

static void peer_text(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(out, cap, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct odo_gw *gw = cls;
    struct upload *u = *con_cls;
    struct odo_gw_request req;
    struct odo_gw_response resp;
    const char *auth, *ctype, *clen;
    char peer[64];
    enum MHD_Result ret;

    (void)version;
    if (!u) {
        /* First call: headers only. A declared length over the limit is refused at once. */
        u = calloc(1, sizeof(*u));
        if (!u)
            return MHD_NO;
        odo_buf_init(&u->body, limit_for(url));
        *con_cls = u;
        clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (clen && strtoull(clen, NULL, 10) > limit_for(url))
            u->too_large = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!u->too_large) {
            odo_buf_append(&u->body, upload_data, *upload_data_size);
            if (u->body.overflow)
                u->too_large = true;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    peer_text(conn, peer, sizeof(peer));
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
    odo_gw_handle(gw, &req, &resp);
    ret = send_response(conn, &resp);
    odo_buf_free(&resp.body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct upload *u = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (u) {
        odo_buf_free(&u->body);
        free(u);
        *con_cls = NULL;
    }
}

int odo_gw_http_start(struct odo_gw *gw, struct odo_gw_http **out, struct odo_err *err)
{
    const struct odo_gw_config *cfg = odo_gw_cfg(gw);
    struct odo_gw_http *h = calloc(1, sizeof(*h));
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    struct sockaddr *sa;
    size_t len;
    int rc;

    *out = NULL;
    if (!h)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
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
    h->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG |
            (sa->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        (uint16_t)cfg->https_port, NULL, NULL, on_request, gw, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_HTTPS_MEM_CERT, h->cert, MHD_OPTION_HTTPS_MEM_KEY, h->key,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!h->daemon) {
        odo_gw_http_stop(h);
        return odo_err_set(err, ODO_ENET,
                           "cannot serve HTTPS on %s:%d (port in use, or a bad certificate)",
                           cfg->listen, cfg->https_port);
    }
    *out = h;
    return 0;
}

void odo_gw_http_stop(struct odo_gw_http *h)
{
    if (!h)
        return;
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    if (h->key)
        memset(h->key, 0, strlen(h->key));
    free(h->key);
    free(h->cert);
    free(h);
}
