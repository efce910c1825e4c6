/*
 * Reading the fields of a parsed JSON document strictly, and writing the pieces of JSON every
 * message shares (internal.h).
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "platform/uuid.h"
#include "sync/protocol/internal.h"

/* ---- reading ---------------------------------------------------------------------------- */

/* True when it is a JSON number holding a whole number in [min, max] (checked before any
 * conversion, which would be undefined out of range). */
bool odo_json_whole(const cJSON *it, double min, double max)
{
    return cJSON_IsNumber(it) && it->valuedouble == floor(it->valuedouble) &&
           it->valuedouble >= min && it->valuedouble <= max;
}

/* Parses body; refuses what is not one JSON object. */
cJSON *odo_json_parse(const char *body, size_t len, size_t max, struct odo_err *err)
{
    cJSON *doc;

    if (len > max) {
        odo_err_set(err, ODO_ETOOBIG, "the body is %zu bytes; the limit is %zu", len, max);
        return NULL;
    }
    const char *end = NULL;
    doc = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    /* Nothing but white space may follow the document. */
    while (doc && end && end < body + len && isspace((unsigned char)*end))
        end++;
    if (!doc || (end && end != body + len)) {
        cJSON_Delete(doc);
        odo_err_set(err, ODO_EPROTO, "the body is not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        odo_err_set(err, ODO_EPROTO, "the body must be a JSON object");
        return NULL;
    }
    return doc;
}

int odo_json_open(const char *body, size_t len, size_t max, const char *const *keys,
                  const char *what, void **doc, struct odo_err *err)
{
    cJSON *d = odo_json_parse(body, len, max, err);
    int rc;

    if (!d)
        return err ? err->code : ODO_EPROTO;
    *doc = d;
    if ((rc = odo_json_check_keys(d, keys, what, err)) || (rc = odo_json_version(d, err)))
        return rc;
    return 0;
}

/* Refuses keys outside `allowed` and any key given twice. */
int odo_json_check_keys(const cJSON *o, const char *const *allowed, const char *where,
                        struct odo_err *err)
{
    for (const cJSON *k = o->child; k; k = k->next) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(k->string, *a) == 0;
        if (!ok)
            return odo_err_set(err, ODO_EPROTO, "unknown field '%.40s' in %s", k->string, where);
        for (const cJSON *j = k->next; j; j = j->next)
            if (strcmp(j->string, k->string) == 0)
                return odo_err_set(err, ODO_EPROTO, "field '%.40s' appears twice in %s", k->string,
                                   where);
    }
    return 0;
}

int odo_json_int(const cJSON *o, const char *key, bool required, int64_t min, int64_t max,
                 int64_t *out, struct odo_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!it) {
        if (required)
            return odo_err_set(err, ODO_EPROTO, "field '%s' is missing", key);
        return 1;
    }
    if (!odo_json_whole(it, -ODO_JSON_WHOLE_MAX, ODO_JSON_WHOLE_MAX))
        return odo_err_set(err, ODO_EPROTO, "field '%s' must be an integer", key);
    if ((int64_t)it->valuedouble < min || (int64_t)it->valuedouble > max)
        return odo_err_set(err, ODO_EPROTO, "field '%s' is out of range", key);
    *out = (int64_t)it->valuedouble;
    return 0;
}

int odo_json_str(const cJSON *o, const char *key, bool required, size_t max, const char **out,
                 struct odo_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!it) {
        if (required)
            return odo_err_set(err, ODO_EPROTO, "field '%s' is missing", key);
        *out = NULL;
        return 1;
    }
    if (!cJSON_IsString(it))
        return odo_err_set(err, ODO_EPROTO, "field '%s' must be a string", key);
    if (strlen(it->valuestring) > max)
        return odo_err_set(err, ODO_ETOOBIG, "field '%s' is longer than %zu bytes", key, max);
    *out = it->valuestring;
    return 0;
}

int odo_json_bool(const cJSON *o, const char *key, bool *out, struct odo_err *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!it) {
        *out = false;
        return 0;
    }
    if (!cJSON_IsBool(it))
        return odo_err_set(err, ODO_EPROTO, "field '%s' must be true or false", key);
    *out = cJSON_IsTrue(it);
    return 0;
}

int odo_json_hlc(const cJSON *o, const char *key, bool required, odo_hlc *out, struct odo_err *err)
{
    const char *s;
    int rc = odo_json_str(o, key, required, ODO_HLC_TEXT_LEN, &s, err);

    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (odo_hlc_parse(s, out) != 0)
        return odo_err_set(err, ODO_EPROTO, "field '%s' is not an HLC (16 hex digits)", key);
    return 0;
}

int odo_json_version(const cJSON *o, struct odo_err *err)
{
    int64_t v;
    int rc = odo_json_int(o, "v", true, 0, 1000, &v, err);
    if (rc != 0)
        return rc;
    if (v != ODO_PROTOCOL_VERSION)
        return odo_err_set(err, ODO_EPROTO, "protocol version %lld is not served; this is %d",
                           (long long)v, ODO_PROTOCOL_VERSION);
    return 0;
}

int odo_json_device(const cJSON *o, char out[ODO_UUID_TEXT_LEN + 1], struct odo_err *err)
{
    const char *s;
    int rc = odo_json_str(o, "device", true, ODO_UUID_TEXT_LEN, &s, err);
    if (rc != 0)
        return rc;
    if (!odo_uuid_valid(s))
        return odo_err_set(err, ODO_EPROTO, "field 'device' is not a UUID");
    for (int i = 0; i < ODO_UUID_TEXT_LEN; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[ODO_UUID_TEXT_LEN] = '\0';
    return 0;
}

/* ---- writing ---------------------------------------------------------------------------- */

void odo_json_put_hlc(struct odo_buf *b, odo_hlc h)
{
    char t[ODO_HLC_TEXT_LEN + 1];
    odo_hlc_format(h, t);
    odo_buf_putc(b, '"');
    odo_buf_append(b, t, ODO_HLC_TEXT_LEN);
    odo_buf_putc(b, '"');
}

void odo_json_put_val(struct odo_buf *b, const struct odo_val *v)
{
    switch (v->kind) {
    case ODO_VAL_NULL:
        odo_buf_puts(b, "null");
        break;
    case ODO_VAL_INT:
        odo_buf_int(b, v->i);
        break;
    case ODO_VAL_STR:
        odo_buf_json_str(b, v->s);
        break;
    }
}
