/*
 * The coaps transport: libcoap with DTLS and a pre-shared key per device (the PSK identity is
 * the device id, the key comes from the devices table), block-wise transfers handled by libcoap
 * so a handler sees whole bodies. Plain coap is only served when the test flag allows it.
 * libcoap is single-threaded: this loop runs in the thread that calls it.
 */
#include <arpa/inet.h>
#include <coap3/coap.h>
#include <stdlib.h>
#include <string.h>

#include "sync/gateway/gateway.h"

/* What the DTLS identity callback works with; it lives as long as the CoAP loop. */
struct coap_loop {
    struct odo_gw *gw;
    unsigned char key[64];
    coap_bin_const_t out;
};

static const coap_bin_const_t *on_identity(coap_bin_const_t *identity, coap_session_t *session,
                                           void *arg)
{
    struct coap_loop *loop = arg;
    char id[40];
    size_t n;

    (void)session;
    if (!identity || identity->length >= sizeof(id))
        return NULL;
    memcpy(id, identity->s, identity->length);
    id[identity->length] = '\0';
    n = odo_gw_device_psk(loop->gw, id, loop->key, sizeof(loop->key));
    if (n == 0) {
        odo_log(odo_gw_log(loop->gw), ODO_LOG_WARN, "coaps: unknown device identity '%.36s'", id);
        return NULL;
    }
    loop->out.s = loop->key;
    loop->out.length = n;
    return &loop->out; /* libcoap copies it before the next handshake */
}

static void release_body(coap_session_t *session, void *app_ptr)
{
    (void)session;
    free(app_ptr);
}

static void on_any(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
                   const coap_string_t *query, coap_pdu_t *response)
{
    struct odo_gw *gw = coap_resource_get_userdata(resource);
    static const char *const methods[] = {"",       "GET",   "POST",  "PUT",
                                          "DELETE", "FETCH", "PATCH", "iPATCH"};
    struct odo_gw_request req;
    struct odo_gw_response resp;
    coap_string_t *path = coap_get_uri_path(request);
    const coap_bin_const_t *ident = coap_session_get_psk_identity(session);
    const uint8_t *data = NULL;
    size_t len = 0, offset = 0, total = 0;
    char route[256], peer[64], identity[40], *body;
    coap_opt_iterator_t it;
    coap_opt_t *cf;
    unsigned code = coap_pdu_get_code(request);

    memset(&req, 0, sizeof(req));
    snprintf(route, sizeof(route), "/%.*s", path ? (int)path->length : 0,
             path ? (const char *)path->s : "");
    coap_delete_string(path);
    coap_print_addr(coap_session_get_addr_remote(session), (unsigned char *)peer, sizeof(peer));
    if (ident && ident->length < sizeof(identity)) {
        memcpy(identity, ident->s, ident->length);
        identity[ident->length] = '\0';
        req.psk_identity = identity;
    }
    coap_get_data_large(request, &len, &data, &offset, &total);
    body = malloc(len + 1);
    if (body) {
        if (len)
            memcpy(body, data, len);
        body[len] = '\0';
    }
    cf = coap_check_option(request, COAP_OPTION_CONTENT_FORMAT, &it);
    req.transport = coap_session_get_proto(session) == COAP_PROTO_DTLS ? ODO_GW_COAPS : ODO_GW_COAP;
    req.method = code < sizeof(methods) / sizeof(methods[0]) ? methods[code] : "?";
    req.path = route;
    req.body = body ? body : "";
    req.len = body ? len : 0;
    req.too_large = total > ODO_PUSH_BODY_MAX ||
                    (strcmp(route, "/v1/sync/push") != 0 && total > ODO_SMALL_BODY_MAX);
    req.content_type = cf && coap_decode_var_bytes(coap_opt_value(cf), coap_opt_length(cf)) !=
                                   COAP_MEDIATYPE_APPLICATION_JSON
                           ? "application/octet-stream"
                           : NULL;
    req.peer = peer;
    odo_gw_handle(gw, &req, &resp);
    free(body);
    coap_pdu_set_code(response, (coap_pdu_code_t)COAP_RESPONSE_CODE(resp.coap));
    {
        size_t n;
        char *out = odo_buf_detach(&resp.body, &n);
        if (out)
            coap_add_data_large_response(resource, session, request, response, query,
                                         COAP_MEDIATYPE_APPLICATION_JSON, -1, 0, n,
                                         (const uint8_t *)out, release_body, out);
    }
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

int odo_gw_coap_run(struct odo_gw *gw, volatile int *stop, struct odo_err *err)
{
    const struct odo_gw_config *cfg = odo_gw_cfg(gw);
    struct coap_loop loop = {gw, {0}, {0, NULL}};
    coap_dtls_spsk_t psk;
    coap_context_t *ctx;
    coap_resource_t *any;
    int rc = 0;

    coap_startup();
    coap_set_log_level(LOG_ERR);
    ctx = coap_new_context(NULL);
    if (!ctx)
        return odo_err_set(err, ODO_ENOMEM, "cannot make a CoAP context");
    coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_context_set_max_idle_sessions(ctx, 1000);
    memset(&psk, 0, sizeof(psk));
    psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    psk.validate_id_call_back = on_identity;
    psk.id_call_back_arg = &loop;
    psk.psk_info.hint.s = (const uint8_t *)"odolog";
    psk.psk_info.hint.length = 6;
    if (cfg->coaps_port && (!coap_dtls_is_supported() || !coap_context_set_psk2(ctx, &psk))) {
        rc = odo_err_set(err, ODO_ENET, "this libcoap cannot do DTLS with pre-shared keys");
        goto out;
    }
    if ((cfg->coaps_port &&
         (rc = add_endpoint(ctx, cfg->listen, cfg->coaps_port, COAP_PROTO_DTLS, err))) ||
        (cfg->coap_port && cfg->allow_insecure &&
         (rc = add_endpoint(ctx, cfg->listen, cfg->coap_port, COAP_PROTO_UDP, err))))
        goto out;
    any = coap_resource_unknown_init2(on_any, 0);
    coap_resource_set_userdata(any, gw);
    coap_register_request_handler(any, COAP_REQUEST_GET, on_any);
    coap_register_request_handler(any, COAP_REQUEST_POST, on_any);
    coap_register_request_handler(any, COAP_REQUEST_DELETE, on_any);
    coap_add_resource(ctx, any);
    while (!*stop)
        coap_io_process(ctx, 250);
out:
    coap_free_context(ctx);
    coap_cleanup();
    memset(loop.key, 0, sizeof(loop.key));
    return rc;
}
