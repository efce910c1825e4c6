/*
 * The coaps transport: libcoap with DTLS and a pre-shared key per device (the PSK identity is
 * the device id; keys come from memory, see keys.h), answers sent block-wise by libcoap, and
 * bodies taken block by block (coap_block.c) so their limit holds as they arrive. Sessions and
 * handshakes are held to their address's share (coap_guard.c). Plain coap is only served when
 * the test flag allows it. libcoap is single-threaded: this loop runs in the thread that calls
 * it.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/coap_impl.h"

#define LOOP_WAIT_MS   250 /* the longest wait for traffic before the sweep runs again */
#define SWEEP_EVERY_MS 100 /* and the shortest time between two sweeps, however busy */

static void release_body(coap_session_t *session, void *app_ptr)
{
    (void)session;
    free(app_ptr);
}

/* Sends resp: its code, the wait before a retry (Max-Age, RFC 8516), the limit a 4.13 met
 * (Size1), the Block1 option that closes a block-wise body, and the body, block-wise when
 * large. */
static void respond(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
                    const coap_string_t *query, coap_pdu_t *response, struct odo_gw_response *resp,
                    const coap_block_b_t *block1, size_t limit)
{
    uint8_t buf[4];
    size_t n;
    char *out;

    coap_pdu_set_code(response, (coap_pdu_code_t)COAP_RESPONSE_CODE(resp->coap));
    if (resp->retry_after > 0)
        coap_add_option(response, COAP_OPTION_MAXAGE,
                        coap_encode_var_safe(buf, sizeof(buf), (unsigned)resp->retry_after), buf);
    if (resp->coap == 413 && block1) /* the largest body the path takes (RFC 7959 2.9.3) */
        coap_add_option(response, COAP_OPTION_SIZE1,
                        coap_encode_var_safe(buf, sizeof(buf), (unsigned)limit), buf);
    else if (block1 && !block1->m && resp->coap / 100 == 2) /* libcoap adds it to a 2.31 */
        coap_add_option(response, COAP_OPTION_BLOCK1,
                        coap_encode_var_safe(buf, sizeof(buf),
                                             (block1->num << 4) | (block1->m << 3) | block1->szx),
                        buf);
    if (resp->coap == 231)
        return;
    out = odo_buf_detach(&resp->body, &n);
    if (out)
        coap_add_data_large_response(resource, session, request, response, query,
                                     COAP_MEDIATYPE_APPLICATION_JSON, -1, 0, n,
                                     (const uint8_t *)out, release_body, out);
}

static size_t limit_for(const char *route)
{
    return strcmp(route, "/v1/sync/push") == 0 ? ODO_PUSH_BODY_MAX : ODO_SMALL_BODY_MAX;
}

static void on_any(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
                   const coap_string_t *query, coap_pdu_t *response)
{
    struct odo_coap *c = coap_resource_get_userdata(resource);
    static const char *const methods[] = {"",       "GET",   "POST",  "PUT",
                                          "DELETE", "FETCH", "PATCH", "iPATCH"};
    struct odo_gw_request req;
    struct odo_gw_response resp;
    coap_string_t *path = coap_get_uri_path(request);
    const coap_bin_const_t *ident = coap_session_get_psk_identity(session);
    struct odo_coap_session *slot = odo_coap_slot(session);
    const uint8_t *data = NULL;
    size_t len = 0, offset = 0, total = 0;
    char route[256], peer[ODO_COAP_PEER_LEN], identity[ODO_UUID_TEXT_LEN + 1];
    coap_block_b_t block1;
    bool blockwise = coap_get_block_b(session, request, COAP_OPTION_BLOCK1, &block1);
    coap_opt_iterator_t it;
    coap_opt_t *cf;
    unsigned code = coap_pdu_get_code(request);

    memset(&req, 0, sizeof(req));
    snprintf(route, sizeof(route), "/%.*s", path ? (int)path->length : 0,
             path ? (const char *)path->s : "");
    coap_delete_string(path);
    snprintf(peer, sizeof(peer), "%s", slot ? slot->peer : "?");
    if (ident && ident->length < sizeof(identity)) {
        memcpy(identity, ident->s, ident->length);
        identity[ident->length] = '\0';
        req.psk_identity = identity;
    }
    if (blockwise) {
        switch (odo_coap_block_take(c, session, request, route, limit_for(route), &block1,
                                    &req.body, &req.len, &resp)) {
        case ODO_COAP_BLOCK_MORE:
        case ODO_COAP_BLOCK_REFUSED:
            respond(resource, session, request, query, response, &resp, &block1, limit_for(route));
            odo_buf_free(&resp.body);
            return;
        case ODO_COAP_BLOCK_DONE:
            break;
        }
    } else {
        coap_get_data_large(request, &len, &data, &offset, &total);
        req.body = len ? (const char *)data : "";
        req.len = len;
        req.too_large = len > limit_for(route);
    }
    cf = coap_check_option(request, COAP_OPTION_CONTENT_FORMAT, &it);
    req.transport = coap_session_get_proto(session) == COAP_PROTO_DTLS ? ODO_GW_COAPS : ODO_GW_COAP;
    req.method = code < sizeof(methods) / sizeof(methods[0]) ? methods[code] : "?";
    req.path = route;
    req.content_type = cf && coap_decode_var_bytes(coap_opt_value(cf), coap_opt_length(cf)) !=
                                   COAP_MEDIATYPE_APPLICATION_JSON
                           ? "application/octet-stream"
                           : NULL;
    req.peer = peer;
    /* The handlers read bodies as text of a given length; a whole body is not copied. */
    odo_gw_handle(c->gw, &req, &resp);
    if (blockwise && slot)
        odo_coap_upload_end(c, slot);
    respond(resource, session, request, query, response, &resp, blockwise ? &block1 : NULL,
            limit_for(route));
    odo_buf_free(&resp.body);
}

static int add_endpoint(coap_context_t *ctx, const char *listen, int port, coap_proto_t proto,
                        struct odo_err *err)
{
    coap_address_t addr;

    coap_address_init(&addr);
    if (inet_pton(AF_INET, listen, &addr.addr.sin.sin_addr) == 1) {
        addr.addr.sin.sin_family = AF_INET;
        addr.addr.sin.sin_port = htons((uint16_t)port);
        addr.size = sizeof(addr.addr.sin);
    } else if (inet_pton(AF_INET6, listen, &addr.addr.sin6.sin6_addr) == 1) {
        addr.addr.sin6.sin6_family = AF_INET6;
        addr.addr.sin6.sin6_port = htons((uint16_t)port);
        addr.size = sizeof(addr.addr.sin6);
    } else {
        return odo_err_set(err, ODO_EINVAL, "ODOLOG_LISTEN '%s' is not an IP address", listen);
    }
    if (!coap_new_endpoint(ctx, &addr, proto))
        return odo_err_set(err, ODO_ENET, "cannot serve %s on %s:%d (port in use?)",
                           proto == COAP_PROTO_DTLS ? "coaps" : "coap", listen, port);
    return 0;
}

/* The context: blocks handed over one by one, session caps and timeouts, the event handler,
 * and the PSK identity callback. */
static int setup(struct odo_coap *c, struct odo_err *err)
{
    const struct odo_gw_config *cfg = &c->gw->cfg;
    const struct odo_gw_limits *l = &cfg->limits;
    coap_dtls_spsk_t psk;
    coap_resource_t *any;
    int rc;

    if (!(c->ctx = coap_new_context(NULL)))
        return odo_err_set(err, ODO_ENOMEM, "cannot make a CoAP context");
    coap_set_app_data(c->ctx, c);
    coap_context_set_block_mode(c->ctx, COAP_BLOCK_USE_LIBCOAP);
    coap_context_set_max_idle_sessions(c->ctx, (unsigned)l->coaps_sessions);
    coap_context_set_max_handshake_sessions(c->ctx, (unsigned)(c->nslots - l->coaps_sessions));
    coap_context_set_session_timeout(c->ctx, (unsigned)l->idle_timeout_s);
    coap_register_event_handler(c->ctx, odo_coap_on_event);
    memset(&psk, 0, sizeof(psk));
    psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    psk.validate_id_call_back = odo_coap_on_identity;
    psk.id_call_back_arg = c;
    psk.psk_info.hint.s = (const uint8_t *)"odolog";
    psk.psk_info.hint.length = 6;
    if (cfg->coaps_port && (!coap_dtls_is_supported() || !coap_context_set_psk2(c->ctx, &psk)))
        return odo_err_set(err, ODO_ENET, "this libcoap cannot do DTLS with pre-shared keys");
    if ((cfg->coaps_port &&
         (rc = add_endpoint(c->ctx, cfg->listen, cfg->coaps_port, COAP_PROTO_DTLS, err))) ||
        (cfg->coap_port && cfg->allow_insecure &&
         (rc = add_endpoint(c->ctx, cfg->listen, cfg->coap_port, COAP_PROTO_UDP, err))))
        return rc;
    any = coap_resource_unknown_init2(on_any, 0);
    coap_resource_set_userdata(any, c);
    coap_register_request_handler(any, COAP_REQUEST_GET, on_any);
    coap_register_request_handler(any, COAP_REQUEST_POST, on_any);
    coap_register_request_handler(any, COAP_REQUEST_DELETE, on_any);
    coap_add_resource(c->ctx, any);
    return 0;
}

int odo_gw_coap_run(struct odo_gw *gw, volatile int *stop, struct odo_err *err)
{
    struct odo_coap c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.gw = gw;
    coap_startup();
    coap_set_log_level(LOG_ERR);
    coap_dtls_set_log_level(LOG_EMERG); /* handshake failures are counted, not logged */
    if ((rc = odo_coap_guard_init(&c, err)) == 0 && (rc = setup(&c, err)) == 0)
        for (int64_t next_sweep = 0; !*stop;) {
            coap_io_process(c.ctx, LOOP_WAIT_MS);
            if (odo_mono_ms() >= next_sweep) {
                odo_coap_sweep(&c);
                next_sweep = odo_mono_ms() + SWEEP_EVERY_MS;
            }
        }
    coap_free_context(c.ctx);
    odo_coap_guard_free(&c);
    coap_cleanup();
    memset(c.key, 0, sizeof(c.key));
    return rc;
}
