/*
 * The device's cache of VIN decodes (vin_cache): answers from a vPIC database or a gateway are
 * kept for 30 days, so that a VIN scanned again decodes at once and, for answers that came
 * from a gateway, without the network. Decodes from the VIN alone are never cached: a better
 * answer may come later.
 */
#ifndef ODO_STORAGE_VINCACHE_H
#define ODO_STORAGE_VINCACHE_H

#include <stdbool.h>

#include "storage/store.h"
#include "storage/vin/vpic.h"

#define ODO_VIN_CACHE_TTL_DAYS 30

/*
 * The cached decode of vin (normalised) into *out when there is one that has not expired;
 * *found says whether there was. out->source is where it first came from; *fetched_at
 * (ODO_TIME_TEXT_LEN + 1 bytes, may be NULL) when.
 */
int odo_vin_cache_get(struct odo_store *s, const char *vin, struct odo_vin_decoded *out,
                      bool *found, char *fetched_at, struct odo_err *err) ODO_MUST_CHECK;

/* Caches d (source "vpic" or "gateway"; others are ignored) for ODO_VIN_CACHE_TTL_DAYS. */
int odo_vin_cache_put(struct odo_store *s, const struct odo_vin_decoded *d,
                      struct odo_err *err) ODO_MUST_CHECK;

/* Forgets cached decodes: those from source, or all when source is NULL; and every expired
 * one. *removed (may be NULL) receives how many went. */
int odo_vin_cache_clear(struct odo_store *s, const char *source, int *removed,
                        struct odo_err *err) ODO_MUST_CHECK;

#endif
