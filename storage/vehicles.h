/*
 * Vehicles of one user: add, find, list, edit, soft delete and restore.
 *
 * A VIN is optional, but when present it is normalised and validated (storage/vin.h) and unique
 * among the user's live vehicles. Soft-deleting a vehicle soft-deletes its children (fuel logs,
 * odometer readings, maintenance, service records, renewals) in the same transaction with the
 * same deleted_at; restoring it restores exactly those children and not ones deleted before.
 * The current odometer is derived: the latest reading of any kind (storage/odometer.h).
 */
#ifndef ODO_STORAGE_VEHICLES_H
#define ODO_STORAGE_VEHICLES_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/clock.h"
#include "platform/uuid.h"
#include "storage/store.h"
#include "storage/units.h"
#include "storage/vin/vin.h"
#include "storage/vin/vpic.h"

#define ODO_NAME_MAX   64
#define ODO_LABEL_MAX  64 /* make, model, trim, station, issuer, document number */
#define ODO_PLATE_MAX  16
#define ODO_ENGINE_MAX 96 /* "3.5 L, 6 cyl V-Shaped, GTDI" */
#define ODO_NOTES_MAX  1000
#define ODO_NONE       (-1) /* an absent non-negative quantity */

struct odo_vehicle {
    char id[ODO_UUID_TEXT_LEN + 1];
    char vin[ODO_VIN_LEN + 1]; /* "" when the vehicle has none */
    char name[ODO_NAME_MAX + 1];
    char make[ODO_LABEL_MAX + 1];
    char model[ODO_LABEL_MAX + 1];
    char trim[ODO_LABEL_MAX + 1];
    char plate[ODO_PLATE_MAX + 1];
    int model_year;                     /* 0 when unknown */
    char body_class[ODO_LABEL_MAX + 1]; /* schema 2: "Pickup", "Sedan/Saloon"... */
    char engine[ODO_ENGINE_MAX + 1];    /* schema 2: a description */
    char fuel_type[ODO_LABEL_MAX + 1];  /* schema 2: "Gasoline", "Electric"... */
    enum odo_dist_unit odometer_unit;
    char notes[ODO_NOTES_MAX + 1];
    int64_t odometer; /* current odometer in tenths of odometer_unit, ODO_NONE if no reading */
    char created_at[ODO_TIME_TEXT_LEN + 1];
    char updated_at[ODO_TIME_TEXT_LEN + 1];
    char deleted_at[ODO_TIME_TEXT_LEN + 1]; /* "" when live */
};

/*
 * Adds v for user. v->vin may be raw input: it is normalised in place. When v->name is empty it
 * is made from year, make and model, else from the VIN, with " (2)", " (3)"... when another live
 * vehicle is already called that. Fills v->id and the timestamps. Errors: ODO_EINVAL (bad field,
 * invalid VIN), ODO_EEXIST (a live vehicle has this VIN, or the name given, case-insensitively),
 * storage errors.
 */
int odo_vehicle_add(struct odo_store *s, const char *user, struct odo_vehicle *v,
                    struct odo_err *err) ODO_MUST_CHECK;

/* Fills the fields of v that are empty (make, model, year, trim, body class, engine, fuel type)
 * from a decode of its VIN; text too long for a field is cut at a character boundary. */
void odo_vehicle_fill(struct odo_vehicle *v, const struct odo_vin_decoded *d);

/*
 * A scanned VIN as a vehicle of user: the live vehicle with d->vin when there is one (*added
 * false), else a new one filled from the decode (unless it came from the VIN alone), its
 * odometer in unit (*added true). Errors as odo_vehicle_add.
 */
int odo_vehicle_register_vin(struct odo_store *s, const char *user, const struct odo_vin_decoded *d,
                             enum odo_dist_unit unit, struct odo_vehicle *v, bool *added,
                             struct odo_err *err) ODO_MUST_CHECK;

/* Reads vehicle id of user, live or deleted. ODO_ENOTFOUND when there is none. */
int odo_vehicle_get(struct odo_store *s, const char *user, const char *id, struct odo_vehicle *v,
                    struct odo_err *err) ODO_MUST_CHECK;

/*
 * Finds a vehicle by what a person typed: its id, a unique id prefix of at least 4 characters,
 * its VIN, or its name (case-insensitive). Only live vehicles unless include_deleted.
 * ODO_ENOTFOUND when nothing matches, ODO_EINVAL when several do (the sentence says whether the
 * id part or the name was shared).
 */
int odo_vehicle_resolve(struct odo_store *s, const char *user, const char *ref,
                        bool include_deleted, struct odo_vehicle *v,
                        struct odo_err *err) ODO_MUST_CHECK;

/* The user's only live vehicle, for commands that can default to it. ODO_ENOTFOUND when the
 * user has none, ODO_EINVAL when there are several. */
int odo_vehicle_only(struct odo_store *s, const char *user, struct odo_vehicle *v,
                     struct odo_err *err) ODO_MUST_CHECK;

/* Calls fn for each of the user's vehicles in order of creation; fn returns nonzero to stop. */
int odo_vehicle_list(struct odo_store *s, const char *user, bool include_deleted,
                     int (*fn)(const struct odo_vehicle *v, void *ctx), void *ctx,
                     struct odo_err *err) ODO_MUST_CHECK;

/*
 * Writes the editable fields of v (a live vehicle of user, by v->id). The odometer unit cannot
 * change once readings exist; a new name must not be another live vehicle's. Same errors as
 * odo_vehicle_add, and ODO_ENOTFOUND.
 */
int odo_vehicle_update(struct odo_store *s, const char *user, struct odo_vehicle *v,
                       struct odo_err *err) ODO_MUST_CHECK;

/* The vehicle's current odometer: the latest value of any kind (reading, fuel log, service
 * record), in tenths of its unit, or ODO_NONE when it has none. */
int odo_vehicle_odometer(struct odo_store *s, const char *user, const char *vehicle_id,
                         int64_t *out, struct odo_err *err) ODO_MUST_CHECK;

/* Soft-deletes vehicle id and its live children in one transaction. ODO_ENOTFOUND when there
 * is no live vehicle id. */
int odo_vehicle_remove(struct odo_store *s, const char *user, const char *id,
                       struct odo_err *err) ODO_MUST_CHECK;

/* Restores deleted vehicle id and the children deleted with it. ODO_ENOTFOUND when there is no
 * deleted vehicle id; ODO_EEXIST when a live vehicle now has its VIN or its name. */
int odo_vehicle_restore(struct odo_store *s, const char *user, const char *id,
                        struct odo_err *err) ODO_MUST_CHECK;

/* Checks that vehicle_id is a live vehicle of user and reads it into v (v may be NULL), without
 * its current odometer (v->odometer is ODO_NONE): this runs on every write and stays cheap. */
int odo_vehicle_require_live(struct odo_store *s, const char *user, const char *vehicle_id,
                             struct odo_vehicle *v, struct odo_err *err) ODO_MUST_CHECK;

#endif
