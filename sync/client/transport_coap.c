/*
 * The coaps transport (and plain coap for tests): libcoap, one DTLS session per transport, the
 * device id as PSK identity, block-wise transfers done by libcoap (a handler gets whole bodies).
 */
#include <coap3/coap.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "platform/clock.h"
#include "sync/client/transport_impl.h"

struct coap_transport {
    struct odo_transport base;
    coap_context_t *ctx;
    coap_session_t *session;
    /* the request waiting for its answer */
    uint8_t token[8];
    size_t token_len;
    int done; /* 1 answered, -1 failed */
    int code;
    struct odo_buf *resp;
    char failure[160];
};

static coap_response_t on_response(coap_session_t *session, const coap_pdu_t *sent,
                                   const coap_pdu_t *received, const coap_mid_t mid)
{
    struct coap_transport *t = coap_session_get_app_data(session);
    coap_bin_const_t tok = coap_pdu_get_token(received);
    const uint8_t *data = NULL;
    size_t len = 0, offset = 0, total = 0;
    unsigned code = coap_pdu_get_code(received);

    (void)sent;
    (void)mid;
    if (!t || t->done || tok.length != t->token_len || memcmp(tok.s, t->token, t->token_len))
        return COAP_RESPONSE_OK; /* a late answer to something we gave up on */
    t->code = (int)(code >> 5) * 100 + (int)(code & 0x1f);
    if (coap_get_data_large(received, &len, &data, &offset, &total) && len)
        odo_buf_append(t->resp, data, len);
    t->base.stats.wire_in += len;
    t->done = 1;
    return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *session, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
    struct coap_transport *t = coap_session_get_app_data(session);
    static const char *const why[] = {"no answer after retries", "not deliverable",
                                      "the gateway reset the exchange",
                                      "the DTLS handshake failed (wrong key or identity?)",
                                      "the network reported an error (ICMP)"};
    (void)sent;
    (void)mid;
    if (!t || t->done)
        return;
    snprintf(t->failure, sizeof(t->failure), "coaps: %s",
             (unsigned)reason < sizeof(why) / sizeof(why[0]) ? why[reason] : "failed");
    t->done = -1;
}

static int on_event(coap_session_t *session, const coap_event_t event)
{
    struct coap_transport *t = coap_session_get_app_data(session);
    if (t && !t->done && (event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_DTLS_CLOSED)) {
        snprintf(t->failure, sizeof(t->failure),
                 "coaps: the DTLS session failed (wrong key or identity, or the gateway is down)");
        t->done = -1;
    }
    return 0;
}

static int coap_request(struct odo_transport *base, const char *path, const char *body, size_t len,
                        int *status, struct odo_buf *resp, struct odo_err *err)
{
    struct coap_transport *t = (struct coap_transport *)base;
    coap_pdu_t *pdu;
    const char *seg = path;
    int64_t deadline;

    pdu = coap_pdu_init(COAP_MESSAGE_CON, body ? COAP_REQUEST_CODE_POST : COAP_REQUEST_CODE_GET,
                        coap_new_message_id(t->session), coap_session_max_pdu_size(t->session));
    if (!pdu)
        return odo_err_set(err, ODO_ENOMEM, "cannot build a CoAP request");
    coap_session_new_token(t->session, &t->token_len, t->token);
    coap_add_token(pdu, t->token_len, t->token);
    while (*seg == '/')
        seg++;
    while (*seg) {
        size_t n = strcspn(seg, "/");
        coap_add_option(pdu, COAP_OPTION_URI_PATH, n, (const uint8_t *)seg);
        seg += n;
        while (*seg == '/')
            seg++;
    }
    if (body) {
        uint8_t cf[4];
        coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(cf, sizeof(cf), COAP_MEDIATYPE_APPLICATION_JSON), cf);
        if (!coap_add_data_large_request(t->session, pdu, len, (const uint8_t *)body, NULL, NULL)) {
            coap_delete_pdu(pdu);
            return odo_err_set(err, ODO_ENOMEM, "cannot attach the request body");
        }
    }
    t->done = 0;
    t->code = 0;
    t->resp = resp;
    t->failure[0] = '\0';
    if (coap_send(t->session, pdu) == COAP_INVALID_MID)
        return odo_err_set(err, ODO_ENET, "coaps: the request could not be sent");
    base->stats.wire_out += len;
    /* The body must stay put until libcoap has sent every block: the caller keeps it until we
     * return, and we return only once the answer (to the last block) is in. */
    deadline = odo_mono_ms() + base->timeout_ms;
    while (!t->done) {
        int64_t left = deadline - odo_mono_ms();
        if (left <= 0) {
            t->done = -1;
            snprintf(t->failure, sizeof(t->failure), "coaps: no answer within %d s",
                     base->timeout_ms / 1000);
            break;
        }
        coap_io_process(t->ctx, left > 200 ? 200 : (uint32_t)left);
    }
    t->resp = NULL;
    if (t->done < 0)
        return odo_err_set(err, ODO_ENET, "%s", t->failure);
    *status = t->code;
    return 0;
}

static void coap_close(struct odo_transport *base)
{
    struct coap_transport *t = (struct coap_transport *)base;
    if (t->session) {
        coap_session_set_app_data(t->session, NULL);
        coap_session_release(t->session);
    }
    if (t->ctx)
        coap_free_context(t->ctx);
    coap_cleanup();
    free(t);
}

static const struct odo_transport_ops ops = {coap_request, coap_close};

int odo_coap_open(const struct odo_url *url, const struct odo_transport_options *opt,
                  struct odo_transport **out, struct odo_err *err)
{
    struct coap_transport *t = calloc(1, sizeof(*t));
    struct addrinfo hints, *ai = NULL;
    coap_address_t dst;
    char port[8];

    if (!t)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    t->base.ops = &ops;
    t->base.timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 30000;
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(port, sizeof(port), "%d", url->port);
    if (getaddrinfo(url->host, port, &hints, &ai) != 0 || !ai) {
        coap_close(&t->base);
        return odo_err_set(err, ODO_ENET, "cannot resolve the gateway '%s'", url->host);
    }
    coap_address_init(&dst);
    dst.size = ai->ai_addrlen;
    memcpy(&dst.addr, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);

    t->ctx = coap_new_context(NULL);
    if (!t->ctx) {
        coap_close(&t->base);
        return odo_err_set(err, ODO_ENOMEM, "cannot make a CoAP context");
    }
    coap_context_set_block_mode(t->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_register_response_handler(t->ctx, on_response);
    coap_register_nack_handler(t->ctx, on_nack);
    coap_register_event_handler(t->ctx, on_event);
    if (url->scheme == ODO_URL_COAPS) {
        coap_dtls_cpsk_t psk;
        memset(&psk, 0, sizeof(psk));
        psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
        psk.psk_info.identity.s = (const uint8_t *)opt->psk_identity;
        psk.psk_info.identity.length = strlen(opt->psk_identity);
        psk.psk_info.key.s = opt->psk;
        psk.psk_info.key.length = opt->psk_len;
        if (!coap_dtls_is_supported()) {
            coap_close(&t->base);
            return odo_err_set(err, ODO_ENET, "this libcoap has no DTLS");
        }
        t->session = coap_new_client_session_psk2(t->ctx, NULL, &dst, COAP_PROTO_DTLS, &psk);
    } else {
        t->session = coap_new_client_session(t->ctx, NULL, &dst, COAP_PROTO_UDP);
    }
    if (!t->session) {
        coap_close(&t->base);
        return odo_err_set(err, ODO_ENET, "cannot open a CoAP session to %s", url->host);
    }
    coap_session_set_app_data(t->session, t);
    *out = &t->base;
    return 0;
}
