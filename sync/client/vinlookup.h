/*
 * Decoding a VIN on the device, from the best source at hand: the device's cache of earlier
 * answers (30 days), then a vPIC database on the device, then the gateway's (when this device
 * is logged in and the network allows), and at last the VIN alone. Answers from a database are
 * cached. The sentence in `note` says which better source was not available and why.
 */
#ifndef ODO_SYNC_VINLOOKUP_H
#define ODO_SYNC_VINLOOKUP_H

#include <stdbool.h>

#include "storage/store.h"
#include "storage/vin/vpic.h"

struct odo_vin_lookup_options {
    const char *vpic_path; /* the device's vPIC database; NULL or missing file: none */
    bool network;          /* may ask the gateway */
    bool refresh;          /* ignore (and replace) a cached answer */
    int timeout_ms;        /* for the gateway; 0: 8 s */
};

struct odo_vin_lookup;

/* s (may be NULL: no cache, no gateway), user and opt->vpic_path are borrowed: they must
 * outlive the lookup. Nothing opens yet. */
int odo_vin_lookup_open(struct odo_store *s, const char *user,
                        const struct odo_vin_lookup_options *opt, struct odo_vin_lookup **out,
                        struct odo_err *err) ODO_MUST_CHECK;
void odo_vin_lookup_close(struct odo_vin_lookup *l);

/*
 * Decodes raw (scanner or keyboard text; normalised first). Returns 0 with *out (out->source:
 * "vpic", "gateway" or "vin"; *cached set when it came from the cache), ODO_EINVAL when raw is
 * no VIN, or a storage error. note (cap bytes) receives "" or why a better source was skipped.
 */
int odo_vin_lookup(struct odo_vin_lookup *l, const char *raw, int ref_year,
                   struct odo_vin_decoded *out, bool *cached, char *note, size_t cap,
                   struct odo_err *err) ODO_MUST_CHECK;

#endif
