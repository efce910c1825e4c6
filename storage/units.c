/*
 * Unit names and exact conversions.
 */
#include "storage/units.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "platform/decimal.h"

#define UM_PER_TENTH_KM      100000000LL  /* 0.1 km = 100 m */
#define UM_PER_TENTH_MI      160934400LL  /* 0.1 mi = 160.9344 m */
#define PL_PER_MILLI_L       1000000000LL /* 1 mL */
#define PL_PER_MILLI_GAL_US  3785411784LL /* 3.785411784 mL */
#define PL_PER_MILLI_GAL_IMP 4546090000LL /* 4.54609 mL */

void odo_units_default(enum odo_unit_system system, struct odo_units *out)
{
    out->system = system;
    switch (system) {
    case ODO_UNITS_US:
        out->dist = ODO_DIST_MI;
        out->vol = ODO_VOL_GAL_US;
        out->econ = ODO_ECON_MPG_US;
        break;
    case ODO_UNITS_UK:
        out->dist = ODO_DIST_MI;
        out->vol = ODO_VOL_L;
        out->econ = ODO_ECON_MPG_UK;
        break;
    case ODO_UNITS_METRIC:
    default:
        out->dist = ODO_DIST_KM;
        out->vol = ODO_VOL_L;
        out->econ = ODO_ECON_L_PER_100KM;
        break;
    }
}

static const char *const dist_names[] = {"km", "mi"};
static const char *const vol_names[] = {"L", "gal_us", "gal_imp"};
static const char *const econ_names[] = {"l_per_100km", "km_per_l", "mpg_us", "mpg_uk"};
static const char *const system_names[] = {"metric", "us", "uk"};

const char *odo_dist_unit_name(enum odo_dist_unit u)
{
    return dist_names[u];
}

const char *odo_vol_unit_name(enum odo_vol_unit u)
{
    return vol_names[u];
}

const char *odo_econ_unit_name(enum odo_econ_unit u)
{
    return econ_names[u];
}

const char *odo_unit_system_name(enum odo_unit_system s)
{
    return system_names[s];
}

const char *odo_dist_unit_label(enum odo_dist_unit u)
{
    return dist_names[u];
}

const char *odo_vol_unit_label(enum odo_vol_unit u)
{
    static const char *const labels[] = {"L", "gal", "gal (imp)"};
    return labels[u];
}

const char *odo_econ_unit_label(enum odo_econ_unit u)
{
    static const char *const labels[] = {"L/100km", "km/L", "mpg", "mpg (UK)"};
    return labels[u];
}

static int find_name(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(s, names[i]) == 0)
            return (int)i;
    return -1;
}

int odo_dist_unit_parse(const char *s, enum odo_dist_unit *out, struct odo_err *err)
{
    int i = find_name(s, dist_names, ODO_ARRAY_LEN(dist_names));
    if (i < 0)
        return odo_err_set(err, ODO_EINVAL, "unknown distance unit '%s': use km or mi", s);
    *out = (enum odo_dist_unit)i;
    return 0;
}

int odo_vol_unit_parse(const char *s, enum odo_vol_unit *out, struct odo_err *err)
{
    int i = find_name(s, vol_names, ODO_ARRAY_LEN(vol_names));
    if (i < 0 && strcasecmp(s, "gal") == 0)
        i = ODO_VOL_GAL_US;
    if (i < 0 && strcasecmp(s, "imp_gal") == 0)
        i = ODO_VOL_GAL_IMP;
    if (i < 0)
        return odo_err_set(err, ODO_EINVAL,
                           "unknown volume unit '%s': use L, gal_us (or gal) or gal_imp", s);
    *out = (enum odo_vol_unit)i;
    return 0;
}

int odo_econ_unit_parse(const char *s, enum odo_econ_unit *out, struct odo_err *err)
{
    int i = find_name(s, econ_names, ODO_ARRAY_LEN(econ_names));
    if (i < 0)
        return odo_err_set(err, ODO_EINVAL,
                           "unknown economy unit '%s': use l_per_100km, km_per_l, mpg_us or "
                           "mpg_uk",
                           s);
    *out = (enum odo_econ_unit)i;
    return 0;
}

int odo_unit_system_parse(const char *s, enum odo_unit_system *out, struct odo_err *err)
{
    int i = find_name(s, system_names, ODO_ARRAY_LEN(system_names));
    if (i < 0)
        return odo_err_set(err, ODO_EINVAL, "unknown unit system '%s': use metric, us or uk", s);
    *out = (enum odo_unit_system)i;
    return 0;
}

static int64_t um_per_tenth(enum odo_dist_unit u)
{
    return u == ODO_DIST_MI ? UM_PER_TENTH_MI : UM_PER_TENTH_KM;
}

static int64_t pl_per_milli(enum odo_vol_unit u)
{
    return u == ODO_VOL_GAL_US    ? PL_PER_MILLI_GAL_US
           : u == ODO_VOL_GAL_IMP ? PL_PER_MILLI_GAL_IMP
                                  : PL_PER_MILLI_L;
}

/* round(v / d) for possibly negative v, halves away from zero. */
static int64_t div_round_signed(int64_t v, int64_t d)
{
    int64_t q = odo_muldiv_round((uint64_t)(v < 0 ? -v : v), 1, (uint64_t)d, 1);
    return v < 0 ? -q : q;
}

int64_t odo_dist_to_um(int64_t tenths, enum odo_dist_unit u)
{
    return tenths * um_per_tenth(u);
}

int64_t odo_dist_from_um(int64_t um, enum odo_dist_unit u)
{
    return div_round_signed(um, um_per_tenth(u));
}

int64_t odo_vol_to_pl(int64_t milli, enum odo_vol_unit u)
{
    return milli * pl_per_milli(u);
}

int64_t odo_vol_from_pl(int64_t pl, enum odo_vol_unit u)
{
    return div_round_signed(pl, pl_per_milli(u));
}

int64_t odo_economy(int64_t um, int64_t pl, enum odo_econ_unit e)
{
    if (um <= 0 || pl <= 0)
        return -1;
    switch (e) {
    case ODO_ECON_L_PER_100KM:
        /* (pl / 1e12 L) / (um / 1e9 km) * 100 km, times 100 for two decimals */
        return odo_muldiv_round((uint64_t)pl, 10, (uint64_t)um, 1);
    case ODO_ECON_KM_PER_L:
        return odo_muldiv_round((uint64_t)um, 100000, (uint64_t)pl, 1);
    case ODO_ECON_MPG_US:
        /* (um / 1,609,344,000) / (pl / 3,785,411,784,000), times 100 */
        return odo_muldiv_round((uint64_t)um, 378541178400000ULL, 1609344000ULL, (uint64_t)pl);
    case ODO_ECON_MPG_UK:
        return odo_muldiv_round((uint64_t)um, 454609000000000ULL, 1609344000ULL, (uint64_t)pl);
    }
    return -1;
}

int64_t odo_cost_per_distance(int64_t cents, int64_t um, enum odo_dist_unit u, int *scale)
{
    if (um <= 0 || cents < 0)
        return -1;
    if (u == ODO_DIST_MI) {
        *scale = 3;
        /* thousandths per mile = cents * 10 * 1,609,344,000 um / um */
        return odo_muldiv_round((uint64_t)cents, 16093440000ULL, (uint64_t)um, 1);
    }
    *scale = 2;
    /* hundredths per 100 km = cents * 1e11 um / um */
    return odo_muldiv_round((uint64_t)cents, 100000000000ULL, (uint64_t)um, 1);
}

int odo_currency_check(char *code, struct odo_err *err)
{
    if (!code[0])
        return 0;
    if (strlen(code) != 3)
        goto out_refuse;
    for (int i = 0; i < 3; i++) {
        if (!isalpha((unsigned char)code[i]) || (unsigned char)code[i] > 0x7f)
            goto out_refuse;
        code[i] = (char)toupper((unsigned char)code[i]);
    }
    return 0;
out_refuse:
    return odo_err_set(err, ODO_EINVAL, "a currency is a three-letter ISO code such as EUR");
}
