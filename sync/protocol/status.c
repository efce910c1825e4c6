/*
 * What the gateway says about itself and about failures: the protocol errors with their HTTP
 * and CoAP codes, error bodies both ways, and the health answer.
 */
#include <stdio.h>
#include <string.h>

#include "sync/protocol/internal.h"

static const struct {
    const char *name;
    int http, coap;
} pe_table[] = {
    [ODO_PE_BAD_REQUEST] = {"bad_request", 400, 400},
    [ODO_PE_UNAUTHORIZED] = {"unauthorized", 401, 401},
    [ODO_PE_FORBIDDEN] = {"forbidden", 403, 403},
    [ODO_PE_NOT_FOUND] = {"not_found", 404, 404},
    [ODO_PE_METHOD] = {"method_not_allowed", 405, 405},
    [ODO_PE_CONFLICT] = {"stale_batch", 409, 409},
    [ODO_PE_TOO_LARGE] = {"too_large", 413, 413},
    [ODO_PE_MEDIA] = {"unsupported_media_type", 415, 415},
    [ODO_PE_UPGRADE] = {"upgrade_required", 426, 412},
    [ODO_PE_THROTTLED] = {"too_many_requests", 429, 429},
    [ODO_PE_INTERNAL] = {"internal", 500, 500},
    [ODO_PE_UNAVAILABLE] = {"unavailable", 503, 503},
};

const char *odo_pe_name(enum odo_pe e)
{
    return pe_table[e].name;
}

int odo_pe_http(enum odo_pe e)
{
    return pe_table[e].http;
}

int odo_pe_coap(enum odo_pe e)
{
    return pe_table[e].coap;
}

enum odo_pe odo_pe_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(pe_table) / sizeof(pe_table[0]); i++)
        if (name && strcmp(name, pe_table[i].name) == 0)
            return (enum odo_pe)i;
    return ODO_PE_INTERNAL;
}

void odo_error_encode(struct odo_buf *b, enum odo_pe e, const char *message, int retry_after_s)
{
    odo_buf_puts(b, "{\"error\":");
    odo_buf_json_str(b, odo_pe_name(e));
    odo_buf_puts(b, ",\"message\":");
    odo_buf_json_str(b, message ? message : "");
    if (retry_after_s > 0) {
        odo_buf_puts(b, ",\"retry_after\":");
        odo_buf_int(b, retry_after_s > ODO_RETRY_AFTER_MAX ? ODO_RETRY_AFTER_MAX : retry_after_s);
    }
    odo_buf_putc(b, '}');
}

int odo_error_decode(const char *body, size_t len, enum odo_pe *e, char *msg, size_t cap,
                     int *retry_after_s)
{
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const cJSON *name, *m, *retry;

    if (retry_after_s)
        *retry_after_s = 0;
    if (!doc)
        return -1;
    name = cJSON_GetObjectItemCaseSensitive(doc, "error");
    m = cJSON_GetObjectItemCaseSensitive(doc, "message");
    retry = cJSON_GetObjectItemCaseSensitive(doc, "retry_after");
    if (!cJSON_IsString(name)) {
        cJSON_Delete(doc);
        return -1;
    }
    *e = odo_pe_parse(name->valuestring);
    snprintf(msg, cap, "%s", cJSON_IsString(m) ? m->valuestring : name->valuestring);
    /* A wait that is not a whole number of seconds in range is no wait: the device's own
     * backoff applies. */
    if (retry_after_s && odo_json_whole(retry, 1, ODO_RETRY_AFTER_MAX))
        *retry_after_s = (int)retry->valuedouble;
    cJSON_Delete(doc);
    return 0;
}

void odo_health_encode(struct odo_buf *b, bool database_ok, int schema_min, int schema_max)
{
    odo_buf_printf(b, "{\"status\":\"%s\",\"database\":\"%s\",\"protocol\":%d,\"schema\":[%d,%d]}",
                   database_ok ? "ok" : "degraded", database_ok ? "ok" : "unreachable",
                   ODO_PROTOCOL_VERSION, schema_min, schema_max);
}
