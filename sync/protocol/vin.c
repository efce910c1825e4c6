/*
 * VIN decoding through the gateway (/v1/vin/{vin}): the request body and the answer, both ways.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/text.h"
#include "sync/protocol/internal.h"

void odo_vin_req_free(struct odo_vin_req *r)
{
    if (!r)
        return;
    cJSON_Delete(r->doc);
    memset(r, 0, sizeof(*r));
}

int odo_vin_req_decode(const char *body, size_t len, struct odo_vin_req *out, struct odo_err *err)
{
    static const char *const keys[] = {"v", "device", "token", NULL};
    cJSON *doc;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = odo_json_open(body, len, ODO_SMALL_BODY_MAX, keys, "a VIN request", &out->doc, err)))
        goto out_free;
    doc = out->doc;
    if ((rc = odo_json_device(doc, out->device, err)))
        goto out_free;
    if ((rc = odo_json_str(doc, "token", false, ODO_TOKEN_MAX, &out->token, err)) < 0)
        goto out_free;
    return 0;
out_free:
    odo_vin_req_free(out);
    return rc;
}

void odo_vin_req_encode(struct odo_buf *b, const char *device, const char *token)
{
    odo_buf_printf(b, "{\"v\":%d,\"device\":", ODO_PROTOCOL_VERSION);
    odo_buf_json_str(b, device);
    if (token) {
        odo_buf_puts(b, ",\"token\":");
        odo_buf_json_str(b, token);
    }
    odo_buf_putc(b, '}');
}

void odo_vin_answer_encode(struct odo_buf *b, const struct odo_vin_answer *a)
{
    odo_buf_printf(b, "{\"v\":%d,\"vin\":", ODO_PROTOCOL_VERSION);
    odo_buf_json_str(b, a->vin);
    odo_buf_puts(b, ",\"source\":");
    odo_buf_json_str(b, a->source);
    if (a->model_year)
        odo_buf_printf(b, ",\"model_year\":%d", a->model_year);
    else
        odo_buf_puts(b, ",\"model_year\":null");
    odo_buf_puts(b, ",\"fields\":{");
    for (size_t i = 0, first = 1; i < a->nfields; i++) {
        if (!a->values[i] || !a->values[i][0])
            continue; /* unknown: left out */
        if (!first)
            odo_buf_putc(b, ',');
        first = 0;
        odo_buf_json_str(b, a->names[i]);
        odo_buf_putc(b, ':');
        odo_buf_json_str(b, a->values[i]);
    }
    odo_buf_puts(b, "},\"errors\":[");
    for (size_t i = 0; i < a->nerrors; i++)
        odo_buf_printf(b, "%s%d", i ? "," : "", a->errors[i]);
    odo_buf_puts(b, "],\"error_text\":");
    odo_buf_json_str(b, a->error_text ? a->error_text : "");
    odo_buf_putc(b, '}');
}

void odo_vin_answer_free(struct odo_vin_answer *a)
{
    if (!a)
        return;
    cJSON_Delete(a->doc);
    memset(a, 0, sizeof(*a));
}

int odo_vin_answer_decode(const char *body, size_t len, struct odo_vin_answer *out,
                          struct odo_err *err)
{
    static const char *const keys[] = {"v",      "vin",    "source",     "model_year",
                                       "fields", "errors", "error_text", NULL};
    const cJSON *it, *fields, *errors, *my;
    const char *s;
    cJSON *doc;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = odo_json_open(body, len, ODO_SMALL_BODY_MAX, keys, "a VIN answer", &out->doc, err)))
        goto out_free;
    doc = out->doc;
    if ((rc = odo_json_str(doc, "vin", true, 17, &s, err)))
        goto out_free;
    if (strlen(s) != 17) {
        rc = odo_err_set(err, ODO_EPROTO, "field 'vin' must have 17 characters");
        goto out_free;
    }
    memcpy(out->vin, s, 18);
    if ((rc = odo_json_str(doc, "source", true, sizeof(out->source) - 1, &s, err)))
        goto out_free;
    snprintf(out->source, sizeof(out->source), "%s", s);
    my = cJSON_GetObjectItemCaseSensitive(doc, "model_year");
    if (my && !cJSON_IsNull(my)) {
        if (!odo_json_whole(my, 1900, 2100)) {
            rc = odo_err_set(err, ODO_EPROTO, "field 'model_year' must be a year or null");
            goto out_free;
        }
        out->model_year = (int)my->valuedouble;
    }
    fields = cJSON_GetObjectItemCaseSensitive(doc, "fields");
    if (!cJSON_IsObject(fields)) {
        rc = odo_err_set(err, ODO_EPROTO, "field 'fields' must be an object");
        goto out_free;
    }
    cJSON_ArrayForEach(it, fields)
    {
        if (!cJSON_IsString(it) || strlen(it->valuestring) > ODO_VIN_VALUE_MAX ||
            !odo_text_valid(it->valuestring)) {
            rc = odo_err_set(err, ODO_EPROTO, "decoded value '%.40s' must be a short text",
                             it->string);
            goto out_free;
        }
        if (out->nfields == ODO_VIN_FIELDS_MAX) {
            rc = odo_err_set(err, ODO_ETOOBIG, "more than %d decoded values", ODO_VIN_FIELDS_MAX);
            goto out_free;
        }
        out->names[out->nfields] = it->string;
        out->values[out->nfields++] = it->valuestring;
    }
    errors = cJSON_GetObjectItemCaseSensitive(doc, "errors");
    if (!cJSON_IsArray(errors) || cJSON_GetArraySize(errors) > ODO_VIN_ERRORS_MAX) {
        rc = odo_err_set(err, ODO_EPROTO, "field 'errors' must be an array of codes");
        goto out_free;
    }
    cJSON_ArrayForEach(it, errors)
    {
        if (!odo_json_whole(it, 0, 9999)) {
            rc = odo_err_set(err, ODO_EPROTO, "an error code must be a number");
            goto out_free;
        }
        out->errors[out->nerrors++] = (int)it->valuedouble;
    }
    if ((rc = odo_json_str(doc, "error_text", false, 320, &out->error_text, err)) < 0)
        goto out_free;
    return 0;
out_free:
    odo_vin_answer_free(out);
    return rc;
}
