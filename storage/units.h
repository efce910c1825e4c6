/*
 * Units of distance, fuel volume and fuel economy, and exact conversions between them.
 *
 * Every stored quantity carries its unit: a vehicle's odometer unit, a fuel log's volume unit.
 * Reports convert to the user's preferred units. Conversions go through canonical integers
 * (micrometres, picolitres) in which every supported unit is a whole number, so no conversion
 * passes through floating point: 1 mi = 1,609,344,000 um, 1 US gal = 3,785,411,784,000 pL,
 * 1 imperial gal = 4,546,090,000,000 pL.
 */
#ifndef ODO_STORAGE_UNITS_H
#define ODO_STORAGE_UNITS_H

#include <stdint.h>

#include "platform/error.h"

enum odo_dist_unit { ODO_DIST_KM, ODO_DIST_MI };
enum odo_vol_unit { ODO_VOL_L, ODO_VOL_GAL_US, ODO_VOL_GAL_IMP };
enum odo_econ_unit { ODO_ECON_L_PER_100KM, ODO_ECON_KM_PER_L, ODO_ECON_MPG_US, ODO_ECON_MPG_UK };
enum odo_unit_system { ODO_UNITS_METRIC, ODO_UNITS_US, ODO_UNITS_UK };

/* A user's preferred units for reports. */
struct odo_units {
    enum odo_unit_system system;
    enum odo_dist_unit dist;
    enum odo_vol_unit vol;
    enum odo_econ_unit econ;
};

#define ODO_ECON_SCALE 2 /* economy figures carry two decimals */

/* The defaults of a unit system: metric = km, L, L/100 km; us = mi, US gal, MPG (US);
 * uk = mi, L, MPG (imperial). */
void odo_units_default(enum odo_unit_system system, struct odo_units *out);

/* Names as stored and typed: "km"/"mi"; "L"/"gal_us"/"gal_imp";
 * "l_per_100km"/"km_per_l"/"mpg_us"/"mpg_uk"; "metric"/"us"/"uk". */
/*
 * Checks a currency code and upper-cases it in place: "" (none) or three ASCII letters, as the
 * wire carries ISO 4217 codes ("eur" is kept as "EUR"). Returns 0 or ODO_EINVAL with a sentence.
 * Fill-ups, service records, renewals and the settings all take currencies through this one rule.
 */
int odo_currency_check(char *code, struct odo_err *err) ODO_MUST_CHECK;

const char *odo_dist_unit_name(enum odo_dist_unit u);
const char *odo_vol_unit_name(enum odo_vol_unit u);
const char *odo_econ_unit_name(enum odo_econ_unit u);
const char *odo_unit_system_name(enum odo_unit_system s);

/* Short labels for people: "km", "mi", "L", "gal", "L/100km", "km/L", "mpg", "mpg (UK)". */
const char *odo_dist_unit_label(enum odo_dist_unit u);
const char *odo_vol_unit_label(enum odo_vol_unit u);
const char *odo_econ_unit_label(enum odo_econ_unit u);

/* Parsers for the names above (volume also takes "l", "gal" = US gallon, "imp_gal").
 * Return 0 or ODO_EINVAL with a sentence listing what is accepted. */
int odo_dist_unit_parse(const char *s, enum odo_dist_unit *out, struct odo_err *err) ODO_MUST_CHECK;
int odo_vol_unit_parse(const char *s, enum odo_vol_unit *out, struct odo_err *err) ODO_MUST_CHECK;
int odo_econ_unit_parse(const char *s, enum odo_econ_unit *out, struct odo_err *err) ODO_MUST_CHECK;
int odo_unit_system_parse(const char *s, enum odo_unit_system *out,
                          struct odo_err *err) ODO_MUST_CHECK;

/* A distance in tenths of unit u, in micrometres. */
int64_t odo_dist_to_um(int64_t tenths, enum odo_dist_unit u);
/* Micrometres in tenths of unit u, rounded half away from zero. */
int64_t odo_dist_from_um(int64_t um, enum odo_dist_unit u);
/* A volume in thousandths of unit u, in picolitres. */
int64_t odo_vol_to_pl(int64_t milli, enum odo_vol_unit u);
/* Picolitres in thousandths of unit u, rounded. */
int64_t odo_vol_from_pl(int64_t pl, enum odo_vol_unit u);

/*
 * Fuel economy of distance um over volume pl in unit e, times 10^ODO_ECON_SCALE, rounded.
 * Returns -1 when it is undefined (no distance or no fuel).
 */
int64_t odo_economy(int64_t um, int64_t pl, enum odo_econ_unit e);

/*
 * Cost per distance: for km users, hundredths per 100 km (scale 2); for mile users, thousandths
 * per mile (scale 3). *scale receives which. Returns -1 when there is no distance.
 */
int64_t odo_cost_per_distance(int64_t cents, int64_t um, enum odo_dist_unit u, int *scale);

#endif
