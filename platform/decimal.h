/*
 * Exact decimals as scaled integers. Money, volume and distance never pass through binary
 * floating point: a value with scale s is stored as value * 10^s in an int64_t. The scales are
 * fixed per kind of quantity (below) and are the same in SQLite, in reports and on the wire
 * (where they are decimal strings), so the device and the gateway share this module.
 */
#ifndef ODO_PLATFORM_DECIMAL_H
#define ODO_PLATFORM_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "platform/error.h"

#define ODO_SCALE_DISTANCE 1 /* odometer and distances: tenths of a km or mile */
#define ODO_SCALE_VOLUME   3 /* fuel volume: thousandths of a litre or gallon */
#define ODO_SCALE_PRICE    3 /* price per volume unit: thousandths of a currency unit */
#define ODO_SCALE_MONEY    2 /* amounts: hundredths of a currency unit */

#define ODO_DEC_TEXT_MAX 32

/*
 * Parses a plain decimal ("41352", "10.12", "-3.5") into v * 10^scale. No exponent, no
 * thousands separators, at most `scale` decimals (more is refused, not rounded), and the result
 * must fit an int64_t. `what` names the field in the error sentence. Returns 0 or ODO_EINVAL.
 */
int odo_dec_parse(const char *s, int scale, int64_t *out, const char *what,
                  struct odo_err *err) ODO_MUST_CHECK;

/*
 * Formats v (scaled by `scale`) with at least min_decimals and at most `scale` decimals,
 * dropping trailing zeros in between. Returns out.
 */
char *odo_dec_format(int64_t v, int scale, int min_decimals, char *out, size_t cap);

/*
 * round(a * b / (c * d)), halves away from zero, for non-negative a, b and positive c, d,
 * computed exactly in 128 bits whatever the platform. Saturates at INT64_MAX.
 */
int64_t odo_muldiv_round(uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/* 10^n for 0 <= n <= 18. */
int64_t odo_pow10(int n);

#endif
