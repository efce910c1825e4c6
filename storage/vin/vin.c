/*
 * VIN normalisation, check digit, model year and the ISO 3779 region/country table.
 */
#include "storage/vin/vin.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Transliteration of 49 CFR 565.15; 0 marks a character no VIN may hold. */
static int vin_value(char c)
{
    static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
    static const int values[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
    const char *p;

    if (c >= '0' && c <= '9')
        return c - '0' + 100; /* offset so that '0' is distinguishable from "invalid" */
    if (c == '\0')
        return 0;
    p = strchr(letters, c);
    return p ? values[p - letters] + 100 : 0;
}

char odo_vin_check_digit(const char *vin)
{
    static const int weights[ODO_VIN_LEN] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    int sum = 0;

    for (int i = 0; i < ODO_VIN_LEN; i++) {
        int v = vin_value(vin[i]);
        if (v == 0)
            return 0;
        sum += (v - 100) * weights[i];
    }
    sum %= 11;
    return sum == 10 ? 'X' : (char)('0' + sum);
}

/* odo_vin_normalize, also saying which problem refused the input. */
static int normalize(const char *raw, char out[ODO_VIN_LEN + 1], unsigned *problem,
                     struct odo_err *err)
{
    char buf[64];
    size_t n = 0;
    const char *b = raw, *e;

    out[0] = '\0';
    *problem = ODO_VIN_BAD_LENGTH;
    if (!raw)
        return odo_err_set(err, ODO_EINVAL, "no VIN given");
    while (*b && isspace((unsigned char)*b))
        b++;
    e = b + strlen(b);
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    if ((size_t)(e - b) >= sizeof(buf))
        return odo_err_set(err, ODO_EINVAL, "a VIN has 17 characters; this input has %zu",
                           (size_t)(e - b));
    for (const char *p = b; p < e; p++)
        buf[n++] = (char)toupper((unsigned char)*p);
    buf[n] = '\0';

    /* Code 39 start/stop characters, when a scanner passes them through. */
    if (n >= 2 && buf[0] == '*' && buf[n - 1] == '*') {
        memmove(buf, buf + 1, n - 2);
        n -= 2;
        buf[n] = '\0';
    }
    /* The import marker: Code 39 VIN labels on imported vehicles start with an extra 'I'. */
    if (n == ODO_VIN_LEN + 1 && buf[0] == 'I') {
        memmove(buf, buf + 1, n);
        n--;
    }
    if (n != ODO_VIN_LEN)
        return odo_err_set(err, ODO_EINVAL, "a VIN has 17 characters; '%s' has %zu", buf, n);
    *problem = ODO_VIN_BAD_CHARS;
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == 'I' || c == 'O' || c == 'Q')
            return odo_err_set(err, ODO_EINVAL,
                               "VINs never contain the letter %c (position %zu of '%s'); "
                               "it is probably the digit %c",
                               c, i + 1, buf, c == 'I' ? '1' : '0');
        if (c == '*' || c == '?')
            return odo_err_set(err, ODO_EINVAL,
                               "'%s' has a wildcard at position %zu: a full VIN is needed", buf,
                               i + 1);
        if (!vin_value(c))
            return odo_err_set(err, ODO_EINVAL,
                               "'%s' has a character that VINs never contain at position %zu", buf,
                               i + 1);
    }
    memcpy(out, buf, ODO_VIN_LEN + 1);
    *problem = 0;
    return 0;
}

int odo_vin_normalize(const char *raw, char out[ODO_VIN_LEN + 1], struct odo_err *err)
{
    unsigned problem;
    return normalize(raw, out, &problem, err);
}

int odo_vin_model_year(char code, char pos7, int ref_year, int *other)
{
    static const char codes[] = "ABCDEFGHJKLMNPRSTVWXY123456789";
    const char *p = code ? strchr(codes, code) : NULL;
    int early, late, year;

    *other = 0;
    if (!p)
        return 0;
    early = 1980 + (int)(p - codes);
    late = early + 30;
    if (isdigit((unsigned char)pos7)) {
        year = early;
        *other = late;
    } else {
        year = late;
        *other = early;
    }
    /* Vehicles are sold as next year's model at most a year ahead. */
    if (year > ref_year + 1) {
        *other = year;
        year = early;
    }
    return year;
}

/*
 * ISO 3779 country ranges. The second character runs A-Z (without I, O, Q), then 1-9, then 0;
 * a range is inclusive in that order. Countries not listed fall back to the region alone.
 */
struct country_range {
    char first;
    char from, to;
    const char *country;
};

static const struct country_range countries[] = {
    {'A', 'A', 'H', "South Africa"},
    {'A', 'J', 'N', "Ivory Coast"},
    {'B', 'A', 'E', "Angola"},
    {'B', 'F', 'K', "Kenya"},
    {'B', 'L', 'R', "Tanzania"},
    {'C', 'A', 'E', "Benin"},
    {'C', 'F', 'K', "Madagascar"},
    {'C', 'L', 'R', "Tunisia"},
    {'D', 'A', 'E', "Egypt"},
    {'D', 'F', 'K', "Morocco"},
    {'D', 'L', 'R', "Zambia"},
    {'E', 'A', 'E', "Ethiopia"},
    {'E', 'F', 'K', "Mozambique"},
    {'F', 'A', 'E', "Ghana"},
    {'F', 'F', 'K', "Nigeria"},
    {'H', 'A', '0', "China"},
    {'J', 'A', '0', "Japan"},
    {'K', 'A', 'E', "Sri Lanka"},
    {'K', 'F', 'K', "Israel"},
    {'K', 'L', 'R', "South Korea"},
    {'K', 'S', '0', "Kazakhstan"},
    {'L', 'A', '0', "China"},
    {'M', 'A', 'E', "India"},
    {'M', 'F', 'K', "Indonesia"},
    {'M', 'L', 'R', "Thailand"},
    {'M', 'S', '0', "Myanmar"},
    {'N', 'A', 'E', "Iran"},
    {'N', 'F', 'K', "Pakistan"},
    {'N', 'L', 'R', "Turkey"},
    {'P', 'A', 'E', "Philippines"},
    {'P', 'F', 'K', "Singapore"},
    {'P', 'L', 'R', "Malaysia"},
    {'R', 'A', 'E', "United Arab Emirates"},
    {'R', 'F', 'K', "Taiwan"},
    {'R', 'L', 'M', "Vietnam"},
    {'R', 'N', 'R', "Saudi Arabia"},
    {'S', 'A', 'M', "United Kingdom"},
    {'S', 'N', 'T', "Germany"},
    {'S', 'U', 'Z', "Poland"},
    {'S', '1', '4', "Latvia"},
    {'T', 'A', 'H', "Switzerland"},
    {'T', 'J', 'P', "Czech Republic"},
    {'T', 'R', 'V', "Hungary"},
    {'T', 'W', '1', "Portugal"},
    {'U', 'H', 'M', "Denmark"},
    {'U', 'N', 'T', "Ireland"},
    {'U', 'U', 'Z', "Romania"},
    {'U', '5', '7', "Slovakia"},
    {'V', 'A', 'E', "Austria"},
    {'V', 'F', 'R', "France"},
    {'V', 'S', 'W', "Spain"},
    {'V', 'X', '2', "Serbia"},
    {'V', '3', '5', "Croatia"},
    {'V', '6', '0', "Estonia"},
    {'W', 'A', '0', "Germany"},
    {'X', 'A', 'E', "Bulgaria"},
    {'X', 'F', 'K', "Greece"},
    {'X', 'L', 'R', "Netherlands"},
    {'X', 'S', 'W', "Russia"},
    {'X', 'X', '2', "Luxembourg"},
    {'X', '3', '0', "Russia"},
    {'Y', 'A', 'E', "Belgium"},
    {'Y', 'F', 'K', "Finland"},
    {'Y', 'L', 'R', "Malta"},
    {'Y', 'S', 'W', "Sweden"},
    {'Y', 'X', '2', "Norway"},
    {'Y', '3', '5', "Belarus"},
    {'Y', '6', '0', "Ukraine"},
    {'Z', 'A', 'R', "Italy"},
    {'Z', 'X', '2', "Slovenia"},
    {'Z', '3', '5', "Lithuania"},
    {'Z', '6', '0', "Russia"},
    {'1', 'A', '0', "United States"},
    {'2', 'A', '0', "Canada"},
    {'3', 'A', 'W', "Mexico"},
    {'3', 'X', '7', "Costa Rica"},
    {'3', '8', '9', "Cayman Islands"},
    {'4', 'A', '0', "United States"},
    {'5', 'A', '0', "United States"},
    {'6', 'A', 'W', "Australia"},
    {'7', 'A', 'E', "New Zealand"},
    {'8', 'A', 'E', "Argentina"},
    {'8', 'F', 'K', "Chile"},
    {'8', 'L', 'R', "Ecuador"},
    {'8', 'S', 'W', "Peru"},
    {'8', 'X', '2', "Venezuela"},
    {'9', 'A', 'E', "Brazil"},
    {'9', 'F', 'K', "Colombia"},
    {'9', 'L', 'R', "Paraguay"},
    {'9', 'S', 'W', "Uruguay"},
    {'9', 'X', '2', "Trinidad and Tobago"},
    {'9', '3', '9', "Brazil"},
};

static int iso_order(char c)
{
    static const char order[] = "ABCDEFGHJKLMNPRSTUVWXYZ1234567890";
    const char *p = strchr(order, c);
    return p && c ? (int)(p - order) : -1;
}

static const char *region_of(char c)
{
    if (c >= 'A' && c <= 'H')
        return "Africa";
    if (c >= 'J' && c <= 'R')
        return "Asia";
    if (c >= 'S' && c <= 'Z')
        return "Europe";
    if (c >= '1' && c <= '5')
        return "North America";
    if (c == '6' || c == '7')
        return "Oceania";
    if (c == '8' || c == '9')
        return "South America";
    return "unknown";
}

static const char *country_of(const char *vin)
{
    int second = iso_order(vin[1]);

    for (size_t i = 0; i < ODO_ARRAY_LEN(countries); i++) {
        const struct country_range *r = &countries[i];
        if (r->first == vin[0] && second >= iso_order(r->from) && second <= iso_order(r->to))
            return r->country;
    }
    return "unassigned";
}

int odo_vin_decode(const char *raw, int ref_year, struct odo_vin_info *info, struct odo_err *err)
{
    unsigned problem;
    int rc;

    memset(info, 0, sizeof(*info));
    info->region = "unknown";
    info->country = "unassigned";
    rc = normalize(raw, info->vin, &problem, err);
    if (rc != 0) {
        info->errors = problem;
        return rc;
    }
    memcpy(info->wmi, info->vin, 3);
    memcpy(info->vds, info->vin + 3, 6);
    memcpy(info->vis, info->vin + 9, 8);
    info->region = region_of(info->vin[0]);
    info->country = country_of(info->vin);
    info->check_digit_applies = info->vin[0] >= '1' && info->vin[0] <= '5';
    info->check_digit_expected = odo_vin_check_digit(info->vin);
    info->check_digit_ok = info->check_digit_expected == info->vin[8];
    info->model_year =
        odo_vin_model_year(info->vin[9], info->vin[6], ref_year, &info->model_year_other);

    /* No region has the first character (ISO 3779 assigns none to '0'): no manufacturer can
     * have this WMI, wherever the VIN claims to come from. */
    if (strcmp(info->region, "unknown") == 0) {
        info->errors = ODO_VIN_BAD_WMI;
        return odo_err_set(err, ODO_EINVAL,
                           "VIN %s names no manufacturer: no region of the world has '%c' as "
                           "its first character (ISO 3779), so '%.3s' is no real manufacturer "
                           "code",
                           info->vin, info->vin[0], info->wmi);
    }
    unsigned problems = 0;
    if (!info->check_digit_ok)
        problems |= ODO_VIN_BAD_CHECK_DIGIT;
    if (info->model_year == 0)
        problems |= ODO_VIN_BAD_YEAR_CODE;
    if (info->check_digit_applies)
        info->errors = problems;
    else
        info->warnings = problems;

    if (info->errors & ODO_VIN_BAD_CHECK_DIGIT)
        return odo_err_set(err, ODO_EINVAL,
                           "VIN %s fails its check digit: position 9 is '%c' but the other "
                           "characters give '%c'; a character was probably misread or mistyped",
                           info->vin, info->vin[8], info->check_digit_expected);
    if (info->errors & ODO_VIN_BAD_YEAR_CODE)
        return odo_err_set(err, ODO_EINVAL,
                           "VIN %s has '%c' at position 10, which is no model-year code", info->vin,
                           info->vin[9]);
    return 0;
}

void odo_vin_describe_warnings(const struct odo_vin_info *info, char *out, size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    if ((info->warnings & ODO_VIN_BAD_CHECK_DIGIT) && n < cap)
        n += (size_t)snprintf(out + n, cap - n,
                              "position 9 is '%c', not the check digit '%c' (not binding outside "
                              "North America)",
                              info->vin[8], info->check_digit_expected);
    if ((info->warnings & ODO_VIN_BAD_YEAR_CODE) && n < cap)
        snprintf(out + n, cap - n, "%sposition 10 ('%c') is no model-year code", n ? "; " : "",
                 info->vin[9]);
}
