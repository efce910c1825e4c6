/*
 * Vehicle identification numbers: normalising what a person or a scanner produced, validating
 * it, and decoding what the VIN itself tells with no database and no network.
 *
 * Validation follows 49 CFR 565 and ISO 3779: 17 characters from 0-9 and A-Z without I, O and Q;
 * position 9 is a check digit (weights 8 7 6 5 4 3 2 10 0 9 8 7 6 5 4 3 2, mod 11, X for 10) and
 * position 10 a model-year code. The check digit and the year code are binding for
 * North-American WMIs (first character 1-5); for others a mismatch is only a warning, because
 * most of the world does not require them. A VIN whose first character belongs to no region
 * ('0') names no manufacturer and is invalid everywhere. The model year repeats every 30 years;
 * position 7 picks the cycle (a digit: 1980-2009, a letter: 2010-2039), and a year more than one
 * year ahead of the reference year falls back to the earlier cycle.
 */
#ifndef ODO_STORAGE_VIN_H
#define ODO_STORAGE_VIN_H

#include <stdbool.h>

#include "platform/error.h"

#define ODO_VIN_LEN 17

/* Problems found in a VIN; binding ones make it invalid, the rest are warnings. */
enum odo_vin_problem {
    ODO_VIN_BAD_LENGTH = 1 << 0,
    ODO_VIN_BAD_CHARS = 1 << 1,
    ODO_VIN_BAD_CHECK_DIGIT = 1 << 2,
    ODO_VIN_BAD_YEAR_CODE = 1 << 3,
    ODO_VIN_BAD_WMI = 1 << 4, /* the manufacturer code belongs to no region: always binding */
};

struct odo_vin_info {
    char vin[ODO_VIN_LEN + 1]; /* normalised */
    char wmi[4];               /* world manufacturer identifier, positions 1-3 */
    char vds[7];               /* vehicle descriptor section, positions 4-9 */
    char vis[9];               /* vehicle identifier section, positions 10-17 */
    const char *region;        /* "North America", "Europe", ... ; never NULL */
    const char *country;       /* "United States", ... or "unassigned"; never NULL */
    bool check_digit_applies;  /* binding here: a North-American WMI */
    bool check_digit_ok;       /* position 9 equals the computed check digit */
    char check_digit_expected; /* the computed check digit */
    int model_year;            /* 0 when position 10 is no year code */
    int model_year_other;      /* the candidate of the other 30-year cycle, 0 if none */
    unsigned errors;           /* binding odo_vin_problem bits: the VIN is invalid if nonzero */
    unsigned warnings;         /* non-binding odo_vin_problem bits */
};

/*
 * Normalises raw scanner or keyboard input into out: trims whitespace, upper-cases, removes the
 * leading 'I' that Code 39 labels carry for imports when it makes an 18-character scan, and a
 * pair of Code 39 start/stop '*'. Refuses (ODO_EINVAL, with a sentence naming the position and
 * what to do) anything that is then not 17 VIN characters.
 */
int odo_vin_normalize(const char *raw, char out[ODO_VIN_LEN + 1],
                      struct odo_err *err) ODO_MUST_CHECK;

/* The 49 CFR 565 check digit of a 17-character VIN ('0'-'9' or 'X'), or 0 if it has a character
 * that no VIN may hold. */
char odo_vin_check_digit(const char *vin);

/*
 * Normalises raw and decodes it into *info. ref_year is the current calendar year, for the
 * model-year cycle. Returns 0 when the VIN is valid (warnings may be set), or ODO_EINVAL with a
 * sentence when it is not; *info is filled as far as the input allowed in both cases.
 */
int odo_vin_decode(const char *raw, int ref_year, struct odo_vin_info *info,
                   struct odo_err *err) ODO_MUST_CHECK;

/* The model year of a year code at position 10, given position 7 and the reference year;
 * 0 when the character is no year code. *other receives the other cycle's year. */
int odo_vin_model_year(char code, char pos7, int ref_year, int *other);

/* A sentence describing the warnings in info (empty when there are none). */
void odo_vin_describe_warnings(const struct odo_vin_info *info, char *out, size_t cap);

#endif
