/*
 * The offline vPIC decoder against the installed vPIC database (scripts/dev setup fetches it;
 * ODOLOG_VPIC names it): corgi's fixture expectations (tests/data/vpic_expectations.tsv, with
 * our documented disagreements), the shared VIN sample, vPIC's error codes, and the install
 * path on small databases made here (a refused file leaves the installed one as it was). The
 * device's cache of decodes is tested here too.
 */
#include <ctype.h>
#include <sqlite3.h>
#include <strings.h>
#include <zlib.h>

#include "storage/store.h"
#include "storage/vincache.h"
#include "storage/vin/vpic.h"
#include "test.h"

#define REF_YEAR 2026

static struct odo_vpic *vpic;

static void open_vpic(void)
{
    const char *path = getenv("ODOLOG_VPIC");
    struct odo_err err;

    if (vpic)
        return;
    if (!path || !*path)
        TEST_FAIL("ODOLOG_VPIC is not set (ctest sets it to .data/vpic/vpic.db)");
    if (odo_vpic_open(path, &vpic, &err) != 0)
        TEST_FAIL("%s (run ./scripts/dev setup and build to fetch and install it)", err.msg);
}

/* Letters and digits only, lower case: "Harley-Davidson" and "Harley Davidson" compare equal. */
static void squash(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++)
        if (isalnum((unsigned char)*in))
            out[n++] = (char)tolower((unsigned char)*in);
    out[n] = '\0';
}

static bool same_name(const char *a, const char *b)
{
    char x[128], y[128];
    squash(a, x, sizeof(x));
    squash(b, y, sizeof(y));
    return strcmp(x, y) == 0;
}

/* Splits a TSV line in place into at most n fields; returns how many. */
static int split(char *line, char **f, int n)
{
    int k = 0;
    line[strcspn(line, "\r\n")] = '\0';
    f[k++] = line;
    for (char *p = line; *p && k < n; p++)
        if (*p == '\t') {
            *p = '\0';
            f[k++] = p + 1;
        }
    for (int i = k; i < n; i++)
        f[i] = "";
    return k;
}

static void decode(const char *vin, struct odo_vin_decoded *d)
{
    struct odo_err err;
    open_vpic();
    ASSERT_OK(odo_vpic_decode(vpic, vin, REF_YEAR, d, &err), &err);
}

static bool has_code(const struct odo_vin_decoded *d, int code)
{
    for (int i = 0; i < d->nerrors; i++)
        if (d->errors[i] == code)
            return true;
    return false;
}

static void test_corgi_fixtures_decode_to_their_make_model_and_year_or_a_documented_difference(void)
{
    FILE *f = fopen(ODO_TEST_DATA "/vpic_expectations.tsv", "r");
    char line[512];
    int rows = 0, agree = 0, bad = 0;

    ASSERT(f);
    while (fgets(line, sizeof(line), f)) {
        char *c[6];
        struct odo_vin_decoded d;
        if (line[0] == '#' || strncmp(line, "vin\t", 4) == 0)
            continue;
        split(line, c, 6);
        decode(c[0], &d);
        rows++;
        const char *want_model = c[4][0] ? (strcmp(c[4], "-") == 0 ? "" : c[4]) : c[2];
        bool ok = same_name(d.make, c[1]) && d.model_year == atoi(c[3]) &&
                  strcasecmp(d.model, want_model) == 0; /* "OPTIQ" is vPIC's "Optiq" */
        if (!ok) {
            fprintf(stderr, "  %s: want %s %s %s, got %s %s %d (%s)\n", c[0], c[1], want_model,
                    c[3], d.make, d.model, d.model_year, d.error_text);
            bad++;
        }
        agree += ok && !c[4][0];
    }
    fclose(f);
    printf("  %d fixture VINs: %d agree with corgi's expectations, %d documented differences\n",
           rows, agree, rows - agree);
    ASSERT_INT(rows, >=, 150);
    ASSERT_EQ(bad, 0);
}

static void test_the_shared_sample_decodes_to_its_stated_make_and_year(void)
{
    FILE *f = fopen(ODO_TEST_DATA "/vins-public.tsv", "r");
    char line[512];
    int checked = 0;

    ASSERT(f);
    ASSERT(fgets(line, sizeof(line), f)); /* header */
    while (fgets(line, sizeof(line), f)) {
        char *c[5];
        struct odo_vin_decoded d;
        struct odo_err err;
        split(line, c, 5);
        open_vpic();
        if (odo_vpic_decode(vpic, c[0], REF_YEAR, &d, &err) != 0) {
            ASSERT_EQ(err.code, ODO_EINVAL); /* no VIN at all: ABC123, an I at position 10 */
            continue;
        }
        if (strcmp(c[0], "95VCB1K589M017683") == 0) {
            /* A Brazilian small manufacturer (WMI 95V + CB1) vPIC does not list. */
            ASSERT(has_code(&d, ODO_VPIC_WMI_UNKNOWN));
            ASSERT_STR(d.make, "");
            continue;
        }
        if (strcmp(c[0], "JTMW53FV60D023016") == 0) {
            /* A European Toyota: no year code, and WMI JTM serves more than one make. */
            ASSERT(has_code(&d, ODO_VPIC_BAD_YEAR));
            continue;
        }
        if (c[2][0] && !same_name(d.make, c[2]))
            TEST_FAIL("%s: make %s, not %s", c[0], d.make, c[2]);
        if (isdigit((unsigned char)c[3][0]) && d.model_year != atoi(c[3]))
            TEST_FAIL("%s: model year %d, not %s", c[0], d.model_year, c[3]);
        ASSERT_EQ(has_code(&d, ODO_VPIC_CHECK_DIGIT), c[1][0] == '0');
        checked++;
    }
    fclose(f);
    ASSERT_INT(checked, >=, 40);
}

static void test_error_codes_say_what_could_not_be_decoded(void)
{
    struct odo_vin_decoded d;
    struct odo_err err;

    decode("2HKRW2H20NH207506", &d);
    ASSERT_EQ(d.nerrors, 1);
    ASSERT_EQ(d.errors[0], ODO_VPIC_CLEAN);
    ASSERT_STR(d.source, "vpic");
    ASSERT_STR(d.model, "CR-V");
    ASSERT_STR(d.plant_country, "CANADA"); /* 2HK: Honda of Canada */
    ASSERT_STR(d.trim, "LX");
    ASSERT_STR(d.engine_cylinders, "4");
    ASSERT_STR(d.displacement_l, "1.5");
    ASSERT_STR(d.fuel_type, "Gasoline");
    ASSERT_CONTAINS(d.body_class, "Sport Utility");

    decode("1HGCM82643A004352", &d); /* a misread check digit still decodes */
    ASSERT(has_code(&d, ODO_VPIC_CHECK_DIGIT));
    ASSERT_STR(d.model, "Accord");
    ASSERT_EQ(d.model_year, 2003);

    decode("11111111111111111", &d);
    ASSERT(has_code(&d, ODO_VPIC_WMI_UNKNOWN));
    ASSERT_STR(d.make, "");

    decode("JM3KE4BY1Z0636881", &d); /* Z at position 10 is no year */
    ASSERT(has_code(&d, ODO_VPIC_BAD_YEAR));
    ASSERT_EQ(d.model_year, 0);
    ASSERT_STR(d.make, "Mazda"); /* the WMI still says who made it */

    decode("5NMS3CAA0LH217545", &d); /* vPIC's data leaves a VDS position unexplained */
    ASSERT(has_code(&d, ODO_VPIC_INCOMPLETE));
    ASSERT_CONTAINS(d.error_text, "position");

    /* Motorcycles are not bound to the position-7 rule: the year whose schemas fit wins. */
    decode("1HD1GP4558K319097", &d);
    ASSERT_EQ(d.model_year, 2008);
    ASSERT(same_name(d.make, "Harley-Davidson"));

    open_vpic();
    ASSERT_EQ(odo_vpic_decode(vpic, "ABC123", REF_YEAR, &d, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "17 characters");
    ASSERT_EQ(odo_vpic_decode(vpic, "1HGCM82633AO04352", REF_YEAR, &d, &err), ODO_EINVAL);
}

static void test_scanner_text_is_normalised_before_decoding(void)
{
    struct odo_vin_decoded d;
    decode(" i2hkrw2h20nh207506 ", &d);
    ASSERT_STR(d.vin, "2HKRW2H20NH207506");
    ASSERT_STR(d.model, "CR-V");
}

static void test_without_a_database_the_vin_alone_is_decoded_and_says_so(void)
{
    struct odo_vin_decoded d;
    struct odo_err err;

    ASSERT_OK(odo_vin_decode_offline("WF0PXXGC5PJR71967", REF_YEAR, &d, &err), &err);
    ASSERT_STR(d.source, "vin");
    ASSERT_EQ(d.model_year, 2023);
    ASSERT_STR(d.region, "Europe");
    ASSERT_STR(d.make, "");
    ASSERT_EQ(odo_vin_decode_offline("WF0PXXGC5", REF_YEAR, &d, &err), ODO_EINVAL);
}

/* ---- install ---------------------------------------------------------------------------- */

/* A tiny database with vPIC's shape: one WMI, one schema, patterns for model and body. */
static void make_mini_vpic(const char *path)
{
    sqlite3 *db;
    char *msg = NULL;
    static const char sql[] =
        "CREATE TABLE Wmi (Id INTEGER, Wmi TEXT, ManufacturerId INTEGER, MakeId INTEGER, "
        "VehicleTypeId INTEGER, CountryId INTEGER);"
        "CREATE TABLE Wmi_VinSchema (Id INTEGER, WmiId INTEGER, VinSchemaId INTEGER, "
        "YearFrom INTEGER, YearTo INTEGER);"
        "CREATE TABLE Wmi_Make (WmiId INTEGER, MakeId INTEGER);"
        "CREATE TABLE Pattern (Id INTEGER, VinSchemaId INTEGER, Keys TEXT, ElementId INTEGER, "
        "AttributeId TEXT);"
        "CREATE TABLE Element (Id INTEGER, Name TEXT, Code TEXT, LookupTable TEXT, "
        "IsPrivate INTEGER);"
        "CREATE TABLE Make (Id INTEGER, Name TEXT);"
        "CREATE TABLE Model (Id INTEGER, Name TEXT);"
        "CREATE TABLE Make_Model (Id INTEGER, MakeId INTEGER, ModelId INTEGER);"
        "CREATE TABLE Manufacturer (Id INTEGER, Name TEXT);"
        "CREATE TABLE VehicleType (Id INTEGER, Name TEXT);"
        "CREATE TABLE BodyStyle (Id INTEGER, Name TEXT);"
        "CREATE TABLE EngineModel (Id INTEGER, Name TEXT);"
        "CREATE TABLE EngineModelPattern (Id INTEGER, EngineModelId INTEGER, ElementId "
        "INTEGER, AttributeId TEXT);"
        "INSERT INTO Wmi VALUES (1, '1ZZ', 1, 7, 2, 6);"
        "INSERT INTO Wmi_VinSchema VALUES (1, 1, 10, 2020, NULL);"
        "INSERT INTO Wmi_Make VALUES (1, 7);"
        "INSERT INTO Make VALUES (7, 'Testmobile');"
        "INSERT INTO Model VALUES (70, 'Roadster'), (71, 'Wagon');"
        "INSERT INTO Make_Model VALUES (1, 7, 70), (2, 7, 71);"
        "INSERT INTO Manufacturer VALUES (1, 'TEST MOTORS');"
        "INSERT INTO VehicleType VALUES (2, 'Passenger Car');"
        "INSERT INTO BodyStyle VALUES (3, 'Convertible/Cabriolet');"
        "INSERT INTO Element VALUES (28, 'Model', 'Model', 'Model', 0), (5, 'Body Class', "
        "'BodyClass', 'BodyStyle', 0), (34, 'Series', 'Series', NULL, 0), (26, 'Make', 'Make', "
        "'Make', 0), (999, 'Secret', 'Secret', NULL, 1);"
        "INSERT INTO Pattern VALUES (1, 10, 'A[B-D]', 28, '71'), (2, 10, 'AB*', 28, '70'),"
        "(3, 10, 'AB', 5, '3'), (4, 10, '****X', 34, 'Sport'), (5, 10, 'A', 999, 'hidden');";
    ASSERT_EQ(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        TEST_FAIL("%s", msg);
    sqlite3_close(db);
}

static void gzip_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    gzFile out = gzopen(to, "wb");
    char buf[4096];
    size_t n;
    ASSERT(in && out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        ASSERT_EQ(gzwrite(out, buf, (unsigned)n), (int)n);
    fclose(in);
    ASSERT_EQ(gzclose(out), Z_OK);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ASSERT(f);
    fputs(text, f);
    fclose(f);
}

/* vin with its check digit computed (a clean VIN for the decoder). */
static const char *with_check_digit(char out[18], const char *vin)
{
    memcpy(out, vin, 18);
    out[8] = odo_vin_check_digit(out);
    return out;
}

static void test_an_installed_database_decodes_and_a_bad_file_leaves_it_as_it_was(void)
{
    char vin[18], dir[256], raw[300], gz[300], dst[300], junk[300], junkgz[300], other[300];
    struct odo_vpic *v;
    struct odo_vin_decoded d;
    struct odo_err err;
    sqlite3 *db;

    test_tmpdir(dir);
    snprintf(raw, sizeof(raw), "%s/mini.db", dir);
    snprintf(gz, sizeof(gz), "%s/mini.db.gz", dir);
    snprintf(dst, sizeof(dst), "%s/installed/vpic.db", dir);
    snprintf(junk, sizeof(junk), "%s/junk.db", dir);
    snprintf(junkgz, sizeof(junkgz), "%s/junk.db.gz", dir);
    snprintf(other, sizeof(other), "%s/other.db", dir);
    make_mini_vpic(raw);
    gzip_file(raw, gz);

    /* Not installed yet: the raw file is refused with the command to run. */
    ASSERT_EQ(odo_vpic_open(raw, &v, &err), ODO_ENOTDB);
    ASSERT_CONTAINS(err.msg, "odolog vin db install");
    ASSERT_EQ(odo_vpic_open(dst, &v, &err), ODO_ENOTFOUND);

    ASSERT_OK(odo_vpic_install(gz, dst, &err), &err);
    ASSERT_OK(odo_vpic_open(dst, &v, &err), &err);
    /* Keys ABCDX: A[B-D] and AB* both pin two positions, so between equals of one schema the
     * newer pattern wins (Roadster); the body and the series (position 8) decode; the private
     * element never shows. Position 7 a letter: L is 2020. */
    ASSERT_OK(odo_vpic_decode(v, with_check_digit(vin, "1ZZABCDX0LZ000001"), REF_YEAR, &d, &err),
              &err);
    ASSERT_STR(d.make, "Testmobile");
    ASSERT_STR(d.model, "Roadster");
    ASSERT_STR(d.body_class, "Convertible/Cabriolet");
    ASSERT_STR(d.series, "Sport");
    ASSERT_STR(d.manufacturer, "TEST MOTORS");
    ASSERT_STR(d.vehicle_type, "Passenger Car");
    ASSERT_EQ(d.model_year, 2020);
    /* Nothing in this schema pins positions 6 and 7. */
    ASSERT(has_code(&d, ODO_VPIC_INCOMPLETE));
    ASSERT_CONTAINS(d.error_text, "positions 6 and 7");
    /* Keys ACCDX: only A[B-D] matches, so the Wagon; no body pattern matches. */
    ASSERT_OK(odo_vpic_decode(v, with_check_digit(vin, "1ZZACCDX0LZ000001"), REF_YEAR, &d, &err),
              &err);
    ASSERT_STR(d.model, "Wagon");
    ASSERT_STR(d.body_class, "");
    /* 2019, before the schema's first year: no data, but the WMI still names the make. */
    ASSERT_OK(odo_vpic_decode(v, with_check_digit(vin, "1ZZABCDX0KZ000001"), REF_YEAR, &d, &err),
              &err);
    ASSERT(has_code(&d, ODO_VPIC_NO_DATA));
    ASSERT_STR(d.make, "Testmobile");
    odo_vpic_close(v);

    /* Files that are not vPIC data are refused, and the installed database stays usable. */
    write_file(junk, "this is not a database at all, just some text");
    ASSERT_EQ(odo_vpic_install(junk, dst, &err), ODO_EINVAL);
    gzip_file(junk, junkgz);
    ASSERT_EQ(odo_vpic_install(junkgz, dst, &err), ODO_EINVAL);
    ASSERT_EQ(sqlite3_open(other, &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE Wmi (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    ASSERT_EQ(odo_vpic_install(other, dst, &err), ODO_EINVAL);
    ASSERT_CONTAINS(err.msg, "not vPIC data");
    /* A truncated download. */
    {
        FILE *in = fopen(gz, "rb"), *out;
        char buf[1 << 14];
        size_t n = fread(buf, 1, sizeof(buf), in);
        fclose(in);
        snprintf(junkgz, sizeof(junkgz), "%s/cut.db.gz", dir);
        out = fopen(junkgz, "wb");
        fwrite(buf, 1, n / 2, out);
        fclose(out);
        ASSERT_EQ(odo_vpic_install(junkgz, dst, &err), ODO_EINVAL);
    }
    ASSERT_OK(odo_vpic_open(dst, &v, &err), &err);
    ASSERT_OK(odo_vpic_decode(v, with_check_digit(vin, "1ZZABCDX0LZ000001"), REF_YEAR, &d, &err),
              &err);
    ASSERT_STR(d.model, "Roadster");
    odo_vpic_close(v);
    test_rmdir(dir);
}

/* ---- the device's cache ----------------------------------------------------------------- */

static void test_cached_decodes_come_back_whole_until_cleared(void)
{
    char dir[256], path[300];
    struct odo_store *s;
    struct odo_vin_decoded d, back;
    struct odo_err err;
    bool found;
    int removed;

    test_tmpdir(dir);
    snprintf(path, sizeof(path), "%s/odolog.db", dir);
    ASSERT_OK(odo_store_open(path, NULL, &s, &err), &err);
    decode("1FTFW5L86RFB45612", &d);
    ASSERT_OK(odo_vin_cache_put(s, &d, &err), &err);
    ASSERT_OK(odo_vin_cache_get(s, d.vin, &back, &found, NULL, &err), &err);
    ASSERT(found);
    ASSERT_STR(back.source, "vpic");
    ASSERT_STR(back.model, "F-150");
    ASSERT_STR(back.series, d.series);
    ASSERT_STR(back.engine_model, d.engine_model);
    ASSERT_STR(back.error_text, d.error_text);
    ASSERT_EQ(back.model_year, 2024);
    ASSERT_EQ(back.nerrors, d.nerrors);
    ASSERT_EQ(back.errors[0], d.errors[0]);

    /* What the VIN alone says is not cached: a better answer may come later. */
    ASSERT_OK(odo_vin_decode_offline("2HKRW2H20NH207506", REF_YEAR, &d, &err), &err);
    ASSERT_OK(odo_vin_cache_put(s, &d, &err), &err);
    ASSERT_OK(odo_vin_cache_get(s, d.vin, &back, &found, NULL, &err), &err);
    ASSERT(!found);

    ASSERT_OK(odo_vin_cache_clear(s, "vpic", &removed, &err), &err);
    ASSERT_EQ(removed, 1);
    ASSERT_OK(odo_vin_cache_get(s, "1FTFW5L86RFB45612", &back, &found, NULL, &err), &err);
    ASSERT(!found);
    odo_store_close(s);
    test_rmdir(dir);
}

RUN_TESTS(
    TEST_CASE(test_corgi_fixtures_decode_to_their_make_model_and_year_or_a_documented_difference),
    TEST_CASE(test_the_shared_sample_decodes_to_its_stated_make_and_year),
    TEST_CASE(test_error_codes_say_what_could_not_be_decoded),
    TEST_CASE(test_scanner_text_is_normalised_before_decoding),
    TEST_CASE(test_without_a_database_the_vin_alone_is_decoded_and_says_so),
    TEST_CASE(test_an_installed_database_decodes_and_a_bad_file_leaves_it_as_it_was),
    TEST_CASE(test_cached_decodes_come_back_whole_until_cleared))
