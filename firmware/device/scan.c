/*
 * A scanned VIN's way into the logbook, written once for every device program.
 */
#include "firmware/device/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/clock.h"
#include "storage/settings.h"

int odo_device_this_year(void)
{
    char d[ODO_DATE_TEXT_LEN + 1];
    odo_date_format(odo_date_local(odo_clock_now(NULL)), d);
    return atoi(d);
}

int odo_device_scan_register(struct odo_vin_lookup *lookup, struct odo_store *store,
                             const char *user, const char *text, bool too_long,
                             struct odo_device_scan *out, struct odo_err *err)
{
    struct odo_vin_info info;
    struct odo_settings set;
    struct odo_err why;
    bool added = false;
    int year = odo_device_this_year(), rc;

    memset(out, 0, sizeof(*out));
    out->result = ODO_DEVICE_SCAN_REFUSED;
    if (too_long) {
        snprintf(out->why, sizeof(out->why), "too long to be a VIN");
        return 0;
    }
    if (odo_vin_decode(text, year, &info, &why) != 0) {
        snprintf(out->why, sizeof(out->why), "%s", why.msg);
        return 0;
    }
    memcpy(out->vin, info.vin, sizeof(out->vin));
    if ((rc = odo_vin_lookup(lookup, info.vin, year, &out->decoded, &out->cached, out->note,
                             sizeof(out->note), err)))
        return rc;
    out->result = ODO_DEVICE_SCAN_DECODED;
    if (!store)
        return 0;
    if ((rc = odo_settings_load(store, user, &set, err)) ||
        (rc = odo_vehicle_register_vin(store, user, &out->decoded, set.units.dist, &out->vehicle,
                                       &added, err)))
        return rc;
    out->result = added ? ODO_DEVICE_SCAN_ADDED : ODO_DEVICE_SCAN_KNOWN;
    return 0;
}
