/*
 * What a person can do about each kind of conflict in the list `odolog sync status` shows
 * (engine.h): the gateway's refusal reasons (docs/protocol.md) and the device's own
 * (storage/replica.h), each with one sentence.
 */
#include <string.h>

#include "storage/replica.h"
#include "sync/client/engine.h"

struct advice {
    const char *reason; /* a reason, or the start of one ending in ':' */
    const char *text;
};

static const struct advice advice[] = {
    {"vin already registered",
     "Another of your vehicles has this VIN, so the change was not kept and the vehicle shows "
     "what the gateway holds (the values here are what this device had). If both are the same "
     "vehicle, delete one; else correct the VIN of the other, then set it again."},
    {"maintenance item already exists",
     "The vehicle already has a maintenance item of this type, so the change was not kept. "
     "Record the work on that item, or give this one another type."},
    {ODO_CONFLICT_MERGED,
     "The same thing was registered on another device; the two are one now, with the details "
     "the gateway had first. The values here are what this device had: edit the item if any of "
     "them should stay."},
    {ODO_CONFLICT_DROPPED,
     "Its vehicle was deleted on another device, so this record was removed here too. The "
     "values here are what it held: add it again to a vehicle you have if it is still needed."},
    {ODO_CONFLICT_UNLINKED,
     "The maintenance item this work was recorded against was deleted on another device; the "
     "record was kept without the link. Link it to another item if needed."},
    {"unknown vehicle",
     "The vehicle is not known to the gateway any more (deleted elsewhere, or access lost), so "
     "this could not be synced; it goes when the vehicle goes here. Add it again to a vehicle "
     "you have if it is still needed."},
    {"unknown maintenance item",
     "The maintenance item it names is not known to the gateway, so this could not be synced. "
     "Record it again against an item you have."},
    {"unknown row",
     "This was deleted on another device and is gone from the gateway, so the change here was "
     "dropped. Add it again if it is still needed."},
    {"forbidden",
     "This belongs to another user; the change was not synced. Check which user is logged in "
     "(odolog sync status) before changing it again."},
    {ODO_CONFLICT_NOT_APPLIED ":",
     "A row from the gateway breaks a rule of this device's database and was set aside; it is "
     "tried again when it next changes. If it stays, update odolog."},
};

const char *odo_sync_conflict_advice(const char *reason)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(advice); i++) {
        const struct advice *a = &advice[i];
        size_t n = strlen(a->reason);
        bool prefix = n > 0 && a->reason[n - 1] == ':';
        if (prefix ? strncmp(reason, a->reason, n) == 0 : strcmp(reason, a->reason) == 0)
            return a->text;
    }
    return "The gateway refused the change and kept the value it holds; the values here are what "
           "this device had. Correct the record and sync again.";
}
