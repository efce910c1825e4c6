/*
 * VIN lookups on the device: cache, local vPIC, gateway, the VIN alone.
 */
#include "sync/client/vinlookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/text.h"
#include "storage/replica.h"
#include "storage/vincache.h"
#include "sync/client/engine.h"
#include "sync/client/transport.h"
#include "sync/protocol/messages.h"

#define GATEWAY_TIMEOUT_MS 8000

struct odo_vin_lookup {
    struct odo_store *store;
    const char *user;
    struct odo_vin_lookup_options opt;
    struct odo_vpic *vpic;
    bool vpic_tried;
    char vpic_problem[320];
};

int odo_vin_lookup_open(struct odo_store *s, const char *user,
                        const struct odo_vin_lookup_options *opt, struct odo_vin_lookup **out,
                        struct odo_err *err)
{
    struct odo_vin_lookup *l = calloc(1, sizeof(*l));

    *out = NULL;
    if (!l)
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    l->store = s;
    l->user = user;
    l->opt = *opt;
    *out = l;
    return 0;
}

void odo_vin_lookup_close(struct odo_vin_lookup *l)
{
    if (!l)
        return;
    odo_vpic_close(l->vpic);
    free(l);
}

static void append(char *note, size_t cap, const char *sentence)
{
    size_t n = strlen(note);
    snprintf(note + n, cap - n, "%s%s", n ? "; " : "", sentence);
}

/* Asks the gateway. 0 with *out, or a code with a sentence (never fatal for the lookup). */
static int ask_gateway(struct odo_vin_lookup *l, const char *vin, struct odo_vin_decoded *out,
                       struct odo_err *err)
{
    struct odo_transport *t = NULL;
    struct odo_vin_answer ans;
    struct odo_buf req, resp;
    char token[ODO_TOKEN_MAX + 1], path[40];
    size_t count;
    const struct odo_vin_field *f = odo_vin_fields(&count);
    int status, rc;

    if ((rc = odo_replica_token(l->store, l->user, token, sizeof(token), err)))
        return rc;
    rc = odo_sync_connect_timeout(
        l->store, l->opt.timeout_ms ? l->opt.timeout_ms : GATEWAY_TIMEOUT_MS, &t, err);
    memset(&ans, 0, sizeof(ans));
    odo_buf_init(&req, ODO_SMALL_BODY_MAX);
    odo_buf_init(&resp, ODO_SMALL_BODY_MAX);
    if (rc)
        goto out;
    odo_vin_req_encode(&req, odo_store_device_id(l->store), token);
    snprintf(path, sizeof(path), "/v1/vin/%s", vin);
    if ((rc = odo_transport_request(t, path, req.data, req.len, &status, &resp, err)))
        goto out;
    if (status == 404) {
        rc = odo_err_set(err, ODO_ENOTFOUND, "the gateway has no VIN data");
        goto out;
    }
    if (status < 200 || status > 299) {
        enum odo_pe e;
        char msg[160] = "";
        (void)odo_error_decode(resp.data, resp.len, &e, msg, sizeof(msg), NULL);
        rc = odo_err_set(err, ODO_ENET, "the gateway answered %d%s%s", status, msg[0] ? ": " : "",
                         msg);
        goto out;
    }
    if ((rc = odo_vin_answer_decode(resp.data, resp.len, &ans, err)))
        goto out;
    if (strcmp(ans.vin, vin) != 0) {
        rc = odo_err_set(err, ODO_EPROTO, "the gateway answered for another VIN");
        goto out;
    }
    /* Keep what the VIN itself says (region, country), take the rest from the gateway. */
    for (size_t i = 0; i < count; i++)
        if (strcmp(f[i].name, "region") && strcmp(f[i].name, "country"))
            ((char *)out + f[i].offset)[0] = '\0';
    for (size_t i = 0; i < ans.nfields; i++)
        for (size_t k = 0; k < count; k++)
            if (strcmp(ans.names[i], f[k].name) == 0 && strcmp(f[k].name, "region") &&
                strcmp(f[k].name, "country"))
                odo_strlcpy((char *)out + f[k].offset, ans.values[i], f[k].size);
    out->model_year = ans.model_year;
    out->nerrors = 0;
    for (size_t i = 0; i < ans.nerrors && i < ODO_VPIC_ERRORS_MAX; i++)
        out->errors[out->nerrors++] = ans.errors[i];
    odo_strlcpy(out->error_text, ans.error_text ? ans.error_text : "", sizeof(out->error_text));
    strcpy(out->source, "gateway");
out:
    memset(token, 0, sizeof(token));
    odo_vin_answer_free(&ans);
    odo_buf_free(&req);
    odo_buf_free(&resp);
    odo_transport_close(t);
    return rc;
}

int odo_vin_lookup(struct odo_vin_lookup *l, const char *raw, int ref_year,
                   struct odo_vin_decoded *out, bool *cached, char *note, size_t cap,
                   struct odo_err *err)
{
    struct odo_err e2;
    bool found = false;
    int rc;

    *cached = false;
    note[0] = '\0';
    /* What the VIN alone says: the base of every answer, and the refusal of a non-VIN. */
    if ((rc = odo_vin_decode_offline(raw, ref_year, out, err)))
        return rc;
    if (l->store && !l->opt.refresh) {
        struct odo_vin_decoded c;
        if ((rc = odo_vin_cache_get(l->store, out->vin, &c, &found, NULL, err)))
            return rc;
        if (found) {
            odo_strlcpy(c.region, out->region, sizeof(c.region));
            odo_strlcpy(c.country, out->country, sizeof(c.country));
            *out = c;
            *cached = true;
            return 0;
        }
    }
    if (!l->vpic_tried && l->opt.vpic_path) {
        l->vpic_tried = true;
        if (odo_vpic_open(l->opt.vpic_path, &l->vpic, &e2) != 0)
            snprintf(l->vpic_problem, sizeof(l->vpic_problem), "%s", e2.msg);
    } else if (!l->vpic_tried) {
        l->vpic_tried = true;
        snprintf(l->vpic_problem, sizeof(l->vpic_problem), "no vPIC database is configured");
    }
    if (l->vpic) {
        if ((rc = odo_vpic_decode(l->vpic, raw, ref_year, out, err)))
            return rc;
    } else {
        append(note, cap, l->vpic_problem);
        if (l->store && l->opt.network) {
            struct odo_vin_decoded g = *out;
            if (ask_gateway(l, out->vin, &g, &e2) == 0) {
                *out = g;
            } else {
                char s[400];
                snprintf(s, sizeof(s), "the gateway was not asked or did not answer (%.300s)",
                         e2.msg);
                append(note, cap, s);
            }
        }
    }
    if (l->store && (rc = odo_vin_cache_put(l->store, out, err)))
        return rc;
    return 0;
}
