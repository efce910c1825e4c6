/*
 * The HTTPS transport: mbedtls over TCP, the gateway's certificate verified against the CA file
 * (or the system's CAs) and its name, HTTP/1.1 with keep-alive, Content-Length or chunked
 * answers. One connection per transport, re-opened once when the gateway closed it.
 */
#define _GNU_SOURCE
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <strings.h>

#include "sync/client/transport_impl.h"

#define SYSTEM_CAS "/etc/ssl/certs/ca-certificates.crt"
#define HEADER_MAX 16384

struct https_transport {
    struct odo_transport base;
    struct odo_url url;
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_context entropy;
    bool connected;
    /* bytes read past the end of the previous answer */
    char pending[HEADER_MAX];
    size_t npending;
};

static void tls_error(int ret, char *out, size_t cap)
{
    mbedtls_strerror(ret, out, cap);
}

static void disconnect(struct https_transport *t)
{
    if (t->connected) {
        mbedtls_ssl_close_notify(&t->ssl);
        mbedtls_ssl_session_reset(&t->ssl);
        mbedtls_net_free(&t->net);
        mbedtls_net_init(&t->net);
    }
    t->connected = false;
    t->npending = 0;
}

static int connect_tls(struct https_transport *t, struct odo_err *err)
{
    char port[8], why[128];
    uint32_t flags;
    int ret;

    snprintf(port, sizeof(port), "%d", t->url.port);
    if ((ret = mbedtls_net_connect(&t->net, t->url.host, port, MBEDTLS_NET_PROTO_TCP)) != 0) {
        tls_error(ret, why, sizeof(why));
        return odo_err_set(err, ODO_ENET, "https: cannot reach %s:%d (%s)", t->url.host,
                           t->url.port, why);
    }
    /* A request goes out as several TLS records; with Nagle each record after the first would
     * wait for the gateway's delayed ACK (40 ms per request on Linux). */
    (void)setsockopt(t->net.fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
    mbedtls_ssl_set_bio(&t->ssl, &t->net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
    while ((ret = mbedtls_ssl_handshake(&t->ssl)) != 0) {
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        flags = mbedtls_ssl_get_verify_result(&t->ssl);
        if (flags && flags != (uint32_t)-1) {
            char info[256];
            mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
            info[strcspn(info, "\n")] = '\0';
            mbedtls_net_free(&t->net);
            mbedtls_net_init(&t->net);
            mbedtls_ssl_session_reset(&t->ssl);
            return odo_err_set(err, ODO_ENET,
                               "https: the gateway's certificate was not accepted (%s)", info);
        }
        tls_error(ret, why, sizeof(why));
        mbedtls_net_free(&t->net);
        mbedtls_net_init(&t->net);
        mbedtls_ssl_session_reset(&t->ssl);
        return odo_err_set(err, ODO_ENET, "https: the TLS handshake failed (%s)", why);
    }
    t->connected = true;
    t->npending = 0;
    return 0;
}

static int write_all(struct https_transport *t, const unsigned char *p, size_t n)
{
    while (n > 0) {
        int ret = mbedtls_ssl_write(&t->ssl, p, n);
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (ret <= 0)
            return -1;
        p += ret;
        n -= (size_t)ret;
        t->base.stats.wire_out += (uint64_t)ret;
    }
    return 0;
}

/* Reads at least one more byte into buf (cap) after *len; 0, or -1 on EOF/error/timeout. */
static int read_more(struct https_transport *t, char *buf, size_t cap, size_t *len)
{
    int ret;

    if (*len >= cap)
        return -1;
    do
        ret = mbedtls_ssl_read(&t->ssl, (unsigned char *)buf + *len, cap - *len);
    while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
    if (ret <= 0)
        return -1;
    *len += (size_t)ret;
    t->base.stats.wire_in += (uint64_t)ret;
    return 0;
}

/* Reads exactly n body bytes into resp, using what was already read first. */
static int read_body(struct https_transport *t, char *buf, size_t *have, size_t n,
                     struct odo_buf *resp)
{
    while (n > 0) {
        if (*have == 0 && read_more(t, buf, HEADER_MAX, have) != 0)
            return -1;
        size_t take = *have < n ? *have : n;
        odo_buf_append(resp, buf, take);
        memmove(buf, buf + take, *have - take);
        *have -= take;
        n -= take;
        if (resp->overflow)
            return -1;
    }
    return 0;
}

/* Reads a line ending in CRLF from the buffered stream into line. */
static int read_line(struct https_transport *t, char *buf, size_t *have, char *line, size_t cap)
{
    char *eol;
    while (!(eol = memchr(buf, '\n', *have)))
        if (read_more(t, buf, HEADER_MAX, have) != 0)
            return -1;
    size_t n = (size_t)(eol - buf) + 1;
    if (n >= cap)
        return -1;
    memcpy(line, buf, n);
    line[n] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    memmove(buf, buf + n, *have - n);
    *have -= n;
    return 0;
}

static int exchange(struct https_transport *t, const char *path, const char *body, size_t len,
                    int *status, struct odo_buf *resp)
{
    char head[512], line[1024];
    char *buf = t->pending;
    size_t *have = &t->npending;
    long long content_length = -1;
    bool chunked = false, close_after = false;
    int n;

    n = snprintf(head, sizeof(head),
                 "%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: odolog\r\nAccept: "
                 "application/json\r\nConnection: keep-alive\r\n",
                 body ? "POST" : "GET", path, t->url.host, t->url.port);
    if (body)
        n += snprintf(head + n, sizeof(head) - (size_t)n,
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n", len);
    n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
    if (write_all(t, (const unsigned char *)head, (size_t)n) ||
        (body && write_all(t, (const unsigned char *)body, len)))
        return -1;
    if (read_line(t, buf, have, line, sizeof(line)) || sscanf(line, "HTTP/1.%*d %d", status) != 1)
        return -1;
    for (;;) {
        if (read_line(t, buf, have, line, sizeof(line)))
            return -1;
        if (!line[0])
            break;
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            content_length = atoll(line + 15);
        else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 && strstr(line, "chunked"))
            chunked = true;
        else if (strncasecmp(line, "Connection:", 11) == 0 && strcasestr(line, "close"))
            close_after = true;
    }
    if (chunked) {
        for (;;) {
            long size;
            if (read_line(t, buf, have, line, sizeof(line)))
                return -1;
            size = strtol(line, NULL, 16);
            if (size < 0)
                return -1;
            if (size == 0) {
                read_line(t, buf, have, line, sizeof(line));
                break;
            }
            if (read_body(t, buf, have, (size_t)size, resp) ||
                read_line(t, buf, have, line, sizeof(line)))
                return -1;
        }
    } else if (content_length >= 0) {
        if (read_body(t, buf, have, (size_t)content_length, resp))
            return -1;
    } else {
        /* No length: the body runs to the end of the connection. */
        while (read_more(t, buf, HEADER_MAX, have) == 0) {
            odo_buf_append(resp, buf, *have);
            *have = 0;
        }
        odo_buf_append(resp, buf, *have);
        *have = 0;
        close_after = true;
    }
    if (close_after)
        disconnect(t);
    return resp->overflow ? -1 : 0;
}

static int https_request(struct odo_transport *base, const char *path, const char *body, size_t len,
                         int *status, struct odo_buf *resp, struct odo_err *err)
{
    struct https_transport *t = (struct https_transport *)base;
    int rc;

    /* A kept-alive connection may have been closed by the gateway: try once more on a fresh
     * one. */
    for (int attempt = 0; attempt < 2; attempt++) {
        bool fresh = !t->connected;
        if (!t->connected && (rc = connect_tls(t, err)))
            return rc;
        odo_buf_reset(resp);
        if (exchange(t, path, body, len, status, resp) == 0)
            return 0;
        disconnect(t);
        if (resp->overflow)
            return odo_err_set(err, ODO_ETOOBIG, "https: the answer is over the limit");
        if (fresh)
            break;
    }
    return odo_err_set(err, ODO_ENET, "https: the gateway closed the connection or timed out");
}

static void https_close(struct odo_transport *base)
{
    struct https_transport *t = (struct https_transport *)base;
    disconnect(t);
    mbedtls_net_free(&t->net);
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    free(t);
}

static const struct odo_transport_ops ops = {https_request, https_close};

int odo_https_open(const struct odo_url *url, const struct odo_transport_options *opt,
                   struct odo_transport **out, struct odo_err *err)
{
    struct https_transport *t = calloc(1, sizeof(*t));
    const char *ca = opt->ca_file && *opt->ca_file ? opt->ca_file : SYSTEM_CAS;
    char why[128];
    int ret;

    if (!t)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    t->base.ops = &ops;
    t->base.timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 30000;
    t->url = *url;
    mbedtls_net_init(&t->net);
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_entropy_init(&t->entropy);
    if ((ret = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                                     (const unsigned char *)"odolog-https", 12)) != 0) {
        https_close(&t->base);
        return odo_err_set(err, ODO_EIO, "no randomness for TLS");
    }
    if ((ret = mbedtls_x509_crt_parse_file(&t->ca, ca)) < 0) {
        tls_error(ret, why, sizeof(why));
        https_close(&t->base);
        return odo_err_set(err, ODO_EINVAL, "https: cannot read the CA file '%s' (%s)", ca, why);
    }
    mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                MBEDTLS_SSL_PRESET_DEFAULT);
    /* Verification is required: an unverified gateway is no gateway. */
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_read_timeout(&t->conf, (uint32_t)t->base.timeout_ms);
    if ((ret = mbedtls_ssl_setup(&t->ssl, &t->conf)) != 0 ||
        (ret = mbedtls_ssl_set_hostname(&t->ssl, url->host)) != 0) {
        tls_error(ret, why, sizeof(why));
        https_close(&t->base);
        return odo_err_set(err, ODO_ENET, "https: TLS setup failed (%s)", why);
    }
    *out = &t->base;
    return 0;
}
