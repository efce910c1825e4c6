/*
 * VINs on the device: the reference year every VIN is read against, and "scan → look up →
 * register", the one path a scanned VIN takes in every device program (odolog scan, odologd's
 * scanner, the head unit's UI). The caller owns the scanner and the output: this says what
 * happened, in a struct the caller prints or logs.
 */
#ifndef ODO_FIRMWARE_DEVICE_SCAN_H
#define ODO_FIRMWARE_DEVICE_SCAN_H

#include <stdbool.h>

#include "platform/error.h"
#include "storage/store.h"
#include "storage/vehicles.h"
#include "storage/vin/vin.h"
#include "storage/vin/vpic.h"
#include "sync/client/vinlookup.h"

/* The calendar year now, in local time: the reference for a VIN's model-year code. */
int odo_device_this_year(void);

/* What became of one scan. */
enum odo_device_scan_result {
    ODO_DEVICE_SCAN_REFUSED, /* not a VIN: `why` says so; nothing decoded or stored */
    ODO_DEVICE_SCAN_DECODED, /* a VIN, decoded; no store was given, so nothing stored */
    ODO_DEVICE_SCAN_ADDED,   /* decoded and registered: `vehicle` is the new vehicle */
    ODO_DEVICE_SCAN_KNOWN,   /* decoded; `vehicle` is the user's live vehicle with this VIN */
};

/* A sentence from the lookup: which better source was skipped and why. */
#define ODO_DEVICE_NOTE_MAX 700

struct odo_device_scan {
    enum odo_device_scan_result result;
    char vin[ODO_VIN_LEN + 1];                    /* normalised; "" when refused */
    struct odo_vin_decoded decoded;               /* decoded.source: "vpic", "gateway" or "vin" */
    bool cached;                                  /* the decode came from the device's cache */
    char note[ODO_DEVICE_NOTE_MAX];               /* "" or why a better source was not used */
    struct odo_vehicle vehicle;                   /* ADDED, KNOWN */
    char why[sizeof(((struct odo_err *)0)->msg)]; /* REFUSED: the sentence a person reads */
};

/*
 * One scan: text (as the scanner read it; too_long when the scanner cut it) is normalised and
 * validated as a VIN against this year, decoded through lookup, and, when store is not NULL,
 * registered as a vehicle of user (in the distance unit of user's settings), or found when the
 * user already has a live vehicle with that VIN. All borrowed. Fills *out and returns 0 for
 * every outcome, a refusal included; returns the lookup's, the settings' or the store's error
 * (a sentence in err; out->vin names the VIN) when it could not finish.
 */
int odo_device_scan_register(struct odo_vin_lookup *lookup, struct odo_store *store,
                             const char *user, const char *text, bool too_long,
                             struct odo_device_scan *out, struct odo_err *err) ODO_MUST_CHECK;

#endif
