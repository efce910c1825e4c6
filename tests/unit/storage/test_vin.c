/*
 * VIN normalisation, validation and offline decoding, against the public VIN sample and cases
 * of our own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/vin/vin.h"
#include "test.h"

#define REF_YEAR 2026

static void test_public_sample_check_digits_and_years_match_the_sources(void)
{
    char path[512], line[1024];
    FILE *f;
    int rows = 0, with_year = 0;

    snprintf(path, sizeof(path), "%s/vins-public.tsv", ODO_TEST_DATA);
    f = fopen(path, "r");
    ASSERT(f != NULL);
    ASSERT(fgets(line, sizeof(line), f) != NULL); /* header */
    while (fgets(line, sizeof(line), f)) {
        char *fields[5] = {0}, *p = line;
        struct odo_vin_info info;
        struct odo_err err;
        int rc;

        line[strcspn(line, "\r\n")] = '\0';
        for (int i = 0; i < 5 && p; i++) {
            fields[i] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = '\0';
        }
        int expect_check = atoi(fields[1]);
        rc = odo_vin_decode(fields[0], REF_YEAR, &info, &err);
        rows++;
        if (strlen(fields[0]) != ODO_VIN_LEN) {
            /* Wrong lengths are refused before any check digit is computed. */
            ASSERT(rc != 0);
            ASSERT(info.errors & ODO_VIN_BAD_LENGTH);
            ASSERT_EQ(expect_check, 0);
            continue;
        }
        if (info.errors & ODO_VIN_BAD_CHARS) {
            /* I, O or Q somewhere: refused before any check digit is computed. */
            ASSERT(rc != 0);
            ASSERT_EQ(expect_check, 0);
            continue;
        }
        if (info.check_digit_ok != (expect_check == 1))
            TEST_FAIL("%s: check digit %s, the sample says %d", fields[0],
                      info.check_digit_ok ? "ok" : "wrong", expect_check);
        /* Binding only for North-American WMIs; elsewhere a mismatch is a warning. */
        if (!info.check_digit_ok && info.check_digit_applies)
            ASSERT(rc != 0);
        if (!info.check_digit_ok && !info.check_digit_applies) {
            if (!(info.warnings & ODO_VIN_BAD_CHECK_DIGIT))
                TEST_FAIL("%s: no check-digit warning (rc %d)", fields[0], rc);
            ASSERT((info.errors & ODO_VIN_BAD_CHECK_DIGIT) == 0);
        }
        if (fields[3] && fields[3][0]) {
            with_year++;
            if (info.model_year != atoi(fields[3]))
                TEST_FAIL("%s: model year %d, the sample says %s", fields[0], info.model_year,
                          fields[3]);
        }
    }
    fclose(f);
    ASSERT_INT(rows, >=, 50);
    ASSERT_INT(with_year, >=, 30);
}

static void test_scanner_input_is_normalised(void)
{
    char vin[ODO_VIN_LEN + 1];
    struct odo_err err;

    /* The Code 39 import marker on an 18-character scan. */
    ASSERT_OK(odo_vin_normalize("I5FNRL38488B411196", vin, &err), &err);
    ASSERT_STR(vin, "5FNRL38488B411196");
    ASSERT_OK(odo_vin_normalize("  1n6aa0ed4an318993\r\n", vin, &err), &err);
    ASSERT_STR(vin, "1N6AA0ED4AN318993");
    ASSERT_OK(odo_vin_normalize("*JHLRD77874C026456*", vin, &err), &err);
    ASSERT_STR(vin, "JHLRD77874C026456");
    /* An 'I' at the front of a 17-character VIN is a real (invalid) character, not a marker. */
    ASSERT_EQ(odo_vin_normalize("IHLRD77874C026456", vin, &err), ODO_EINVAL);
}

static void test_bad_characters_and_lengths_are_refused_with_a_reason(void)
{
    char vin[ODO_VIN_LEN + 1];
    struct odo_err err;

    ASSERT_EQ(odo_vin_normalize("1HGCM82633AO04352", vin, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "letter O");
    ASSERT_CONTAINS(err.msg, "position 12");
    ASSERT_EQ(odo_vin_normalize("1HGCM8263QA004352", vin, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "letter Q");
    ASSERT_EQ(odo_vin_normalize("1HGCM826*3A004352", vin, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "wildcard");
    ASSERT_EQ(odo_vin_normalize("1HGCM82633A00435", vin, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "has 16");
    ASSERT_EQ(odo_vin_normalize("1HGCM82633A0043521", vin, &err), ODO_EINVAL);
    ASSERT_EQ(odo_vin_normalize("", vin, &err), ODO_EINVAL);
    ASSERT_EQ(odo_vin_normalize("1HGCM-2633A004352", vin, &err), ODO_EINVAL);
    ASSERT_EQ(odo_vin_normalize(NULL, vin, &err), ODO_EINVAL);
}

static void test_wrong_check_digit_is_binding_in_north_america_only(void)
{
    struct odo_vin_info info;
    struct odo_err err;

    ASSERT_EQ(odo_vin_decode("1HGCM82643A004352", REF_YEAR, &info, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "check digit");
    ASSERT_EQ(info.check_digit_expected, '3');
    ASSERT_OK(odo_vin_decode("1HGCM82633A004352", REF_YEAR, &info, &err), &err);
    ASSERT_EQ(info.model_year, 2003);
    /* A Brazilian VIN with position 9 not a check digit: valid with a warning. */
    ASSERT_OK(odo_vin_decode("95VCB1K589M017683", REF_YEAR, &info, &err), &err);
    ASSERT(info.warnings & ODO_VIN_BAD_CHECK_DIGIT);
    ASSERT_STR(info.country, "Brazil");
}

static void test_model_year_uses_position_7_and_never_runs_ahead(void)
{
    int other;

    ASSERT_EQ(odo_vin_model_year('J', '4', REF_YEAR, &other), 1988);
    ASSERT_EQ(other, 2018);
    ASSERT_EQ(odo_vin_model_year('J', 'R', REF_YEAR, &other), 2018);
    ASSERT_EQ(odo_vin_model_year('T', 'A', REF_YEAR, &other), 2026);
    ASSERT_EQ(odo_vin_model_year('V', 'A', REF_YEAR, &other), 2027); /* next year's model */
    ASSERT_EQ(odo_vin_model_year('W', 'A', REF_YEAR, &other), 1998); /* 2028 is too far ahead */
    ASSERT_EQ(odo_vin_model_year('9', 'K', REF_YEAR, &other), 2009); /* 2039 likewise */
    ASSERT_EQ(odo_vin_model_year('U', 'A', REF_YEAR, &other), 0);
    ASSERT_EQ(odo_vin_model_year('Z', 'A', REF_YEAR, &other), 0);
    ASSERT_EQ(odo_vin_model_year('0', 'A', REF_YEAR, &other), 0);
}

static void test_invalid_year_code_is_binding_in_north_america_only(void)
{
    struct odo_vin_info info;
    struct odo_err err;
    char vin[ODO_VIN_LEN + 1] = "1HGCM8263UA004352";

    vin[8] = odo_vin_check_digit(vin); /* a right check digit, so only the year is wrong */
    ASSERT_EQ(odo_vin_decode(vin, REF_YEAR, &info, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "model-year");
    /* BMW (Germany) with '0' at position 10: valid, year unknown, a warning. */
    ASSERT_OK(odo_vin_decode("WBA71DC010CH14720", REF_YEAR, &info, &err), &err);
    ASSERT_EQ(info.model_year, 0);
    ASSERT(info.warnings & ODO_VIN_BAD_YEAR_CODE);
}

static void test_region_and_country_come_from_the_first_two_characters(void)
{
    static const struct {
        const char *vin, *region, *country;
    } cases[] = {
        {"WBAVL1C5XFVY41004", "Europe", "Germany"},
        {"JTDBBRBE6LJ007243", "Asia", "Japan"},
        {"1FTFW5L86RFB45612", "North America", "United States"},
        {"2HKRW2H20NH207506", "North America", "Canada"},
        {"3VWR17AU5KM502465", "North America", "Mexico"},
        {"KNDERCAA9M7182895", "Asia", "South Korea"},
        {"SALYB2RV4JA756586", "Europe", "United Kingdom"},
        {"TM912345678901234", "Europe", "Czech Republic"},
        {"95VCB1K589M017683", "South America", "Brazil"},
    };
    for (size_t i = 0; i < ODO_ARRAY_LEN(cases); i++) {
        struct odo_vin_info info;
        (void)!odo_vin_decode(cases[i].vin, REF_YEAR, &info, NULL);
        ASSERT_STR(info.region, cases[i].region);
        ASSERT_STR(info.country, cases[i].country);
    }
}

RUN_TESTS(TEST_CASE(test_public_sample_check_digits_and_years_match_the_sources),
          TEST_CASE(test_scanner_input_is_normalised),
          TEST_CASE(test_bad_characters_and_lengths_are_refused_with_a_reason),
          TEST_CASE(test_wrong_check_digit_is_binding_in_north_america_only),
          TEST_CASE(test_model_year_uses_position_7_and_never_runs_ahead),
          TEST_CASE(test_invalid_year_code_is_binding_in_north_america_only),
          TEST_CASE(test_region_and_country_come_from_the_first_two_characters))
