/*
 * The transport interface: URL parsing and dispatch to the coaps or HTTPS implementation.
 */
#include "sync/client/transport_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The schemes the transports speak, with their default ports. */
static const struct scheme {
    const char *prefix;
    enum odo_url_scheme scheme;
    int port;
} schemes[] = {
    {"coaps://", ODO_URL_COAPS, 5684},
    {"coap://", ODO_URL_COAP, 5683},
    {"https://", ODO_URL_HTTPS, 443},
};

static const struct scheme *scheme_of(const char *url)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(schemes); i++)
        if (strncmp(url, schemes[i].prefix, strlen(schemes[i].prefix)) == 0)
            return &schemes[i];
    return NULL;
}

bool odo_url_known_scheme(const char *url)
{
    return scheme_of(url) != NULL;
}

int odo_url_parse(const char *url, struct odo_url *out, struct odo_err *err)
{
    const struct scheme *sc = scheme_of(url);
    const char *p, *host, *end;
    size_t n;

    memset(out, 0, sizeof(*out));
    if (!sc)
        return odo_err_set(err, ODO_EINVAL,
                           "gateway URL '%.80s' must start with coaps:// or https://", url);
    out->scheme = sc->scheme;
    out->port = sc->port;
    p = url + strlen(sc->prefix);
    if (*p == '[') {
        host = p + 1;
        end = strchr(host, ']');
        if (!end)
            return odo_err_set(err, ODO_EINVAL, "bad IPv6 address in '%.80s'", url);
        n = (size_t)(end - host);
        p = end + 1;
    } else {
        host = p;
        n = strcspn(p, ":/");
        p += n;
    }
    if (n == 0 || n >= sizeof(out->host))
        return odo_err_set(err, ODO_EINVAL, "no host in gateway URL '%.80s'", url);
    memcpy(out->host, host, n);
    if (*p == ':') {
        char *e;
        long port = strtol(p + 1, &e, 10);
        if (e == p + 1 || port < 1 || port > 65535 || (*e && *e != '/'))
            return odo_err_set(err, ODO_EINVAL, "bad port in gateway URL '%.80s'", url);
        out->port = (int)port;
        p = e;
    }
    if (*p && strcmp(p, "/") != 0)
        return odo_err_set(err, ODO_EINVAL, "the gateway URL '%.80s' takes no path", url);
    return 0;
}

int odo_transport_open(const struct odo_transport_options *opt, struct odo_transport **out,
                       struct odo_err *err)
{
    struct odo_url url;
    int rc;

    *out = NULL;
    if ((rc = odo_url_parse(opt->url, &url, err)))
        return rc;
    if (url.scheme == ODO_URL_HTTPS)
        return odo_https_open(&url, opt, out, err);
    if (url.scheme == ODO_URL_COAPS &&
        (!opt->psk_identity || !opt->psk || opt->psk_len < ODO_PSK_MIN))
        return odo_err_set(err, ODO_EINVAL,
                           "coaps needs this device's pre-shared key: odolog login --psk HEX");
    return odo_coap_open(&url, opt, out, err);
}

void odo_transport_close(struct odo_transport *t)
{
    if (t)
        t->ops->close(t);
}

int odo_transport_request(struct odo_transport *t, const char *path, const char *body, size_t len,
                          int *status, struct odo_buf *resp, struct odo_err *err)
{
    int rc;

    odo_buf_reset(resp);
    rc = t->ops->request(t, path, body, len, status, resp, err);
    if (rc == 0) {
        t->stats.requests++;
        t->stats.body_out += body ? len : 0;
        t->stats.body_in += resp->len;
    }
    return rc;
}

const struct odo_transport_stats *odo_transport_stats(const struct odo_transport *t)
{
    return &t->stats;
}
