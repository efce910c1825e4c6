/*
 * odolog scan: VINs from a handheld scanner (keyboard/evdev, serial tty, or standard input) or
 * from photos of VIN labels; each is checked, decoded, and with --register added as a vehicle.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/device/scan.h"
#include "firmware/odolog/cli.h"
#include "firmware/scan/barcode.h"
#include "platform/scanner.h"
#include "platform/text.h"
#include "sync/client/vinlookup.h"

enum {
    OPT_DEVICE = 256,
    OPT_EVDEV,
    OPT_TTY,
    OPT_BAUD,
    OPT_REGISTER,
    OPT_ONCE,
    OPT_OFFLINE,
    OPT_IMAGE
};

struct scan_ctx {
    struct cli *c;
    struct odo_vin_lookup *lookup;
    bool do_register, once;
    int scans, invalid;
    int fatal; /* an exit code that ends the run (storage trouble) */
};

static void refuse(struct scan_ctx *x, const char *text, const char *why)
{
    x->invalid++;
    if (x->c->json) {
        cJSON *o = cJSON_CreateObject();
        json_str(o, "scan", text);
        cJSON_AddBoolToObject(o, "valid", false);
        json_str(o, "message", why);
        char *s = cJSON_PrintUnformatted(o);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(o);
    }
    fprintf(stderr, "odolog: scan '%s': %s; nothing stored\n", text, why);
}

static int on_scan(const char *text, bool too_long, void *ctx)
{
    struct scan_ctx *x = ctx;
    struct cli *c = x->c;
    struct odo_device_scan r;
    const struct odo_vin_decoded *d = &r.decoded;
    int rc;

    x->scans++;
    rc = odo_device_scan_register(x->lookup, x->do_register ? c->store : NULL, c->user, text,
                                  too_long, &r, &c->err);
    if (rc) {
        x->fatal = cli_fail(c, rc);
        return 1;
    }
    if (r.result == ODO_DEVICE_SCAN_REFUSED) {
        refuse(x, text, r.why);
        return x->once;
    }
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        char *s;
        json_str(o, "scan", text);
        json_str(o, "vin", r.vin);
        cJSON_AddBoolToObject(o, "valid", true);
        cJSON_AddItemToObject(o, "decoded", cli_json_decoded(d, r.cached, r.note));
        if (x->do_register) {
            cJSON_AddBoolToObject(o, "registered", r.result == ODO_DEVICE_SCAN_ADDED);
            cJSON_AddItemToObject(o, "vehicle", json_vehicle(&r.vehicle));
        }
        s = cJSON_PrintUnformatted(o);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(o);
    } else {
        char year[8] = "";
        if (d->model_year)
            snprintf(year, sizeof(year), "%d", d->model_year);
        printf("%s  %s%s%s%s%s  (%s)\n", r.vin, year, d->make[0] ? " " : "", d->make,
               d->model[0] ? " " : "", d->model,
               strcmp(d->source, "vin") == 0 ? "from the VIN alone" : d->source);
        if (r.result == ODO_DEVICE_SCAN_ADDED)
            printf("  registered as '%s' (id %s)\n", r.vehicle.name, cli_short_id(r.vehicle.id));
        else if (r.result == ODO_DEVICE_SCAN_KNOWN)
            printf("  already registered as '%s'\n", r.vehicle.name);
        if (r.note[0] && strcmp(d->source, "vin") == 0)
            cli_warn("%s", r.note);
    }
    fflush(stdout);
    return x->once;
}

static int scan_device(struct scan_ctx *x, const char *path, const struct odo_scanner_options *o)
{
    struct odo_scanner *s;
    struct cli *c = x->c;
    int rc;

    if ((rc = odo_scanner_open(path, o, &s, &c->err)))
        return cli_fail(c, rc);
    for (;;) {
        struct pollfd p = {odo_scanner_fd(s), POLLIN, 0};
        if (poll(&p, 1, -1) < 0)
            continue;
        rc = odo_scanner_read(s, on_scan, x, &c->err);
        if (rc < 0) {
            odo_scanner_close(s);
            return cli_fail(c, rc);
        }
        if (rc != 0) /* the end of the input, a --once scan, or trouble in on_scan */
            break;
    }
    odo_scanner_close(s);
    return 0;
}

static int scan_image(struct scan_ctx *x, const char *path)
{
    struct odo_gray_image img;
    struct odo_barcode codes[ODO_BARCODES_MAX];
    struct cli *c = x->c;
    char found[600] = "";
    int n = 0, rc;
    size_t len = 0;

    if ((rc = odo_image_load(path, &img, &c->err))) {
        if (rc == ODO_EINVAL || rc == ODO_EIO) {
            refuse(x, path, c->err.msg);
            return 0;
        }
        return cli_fail(c, rc);
    }
    rc = odo_barcodes_find(&img, ODO_VIN_LEN, codes, &n, &c->err);
    odo_image_free(&img);
    if (rc)
        return cli_fail(c, rc);
    /* The first code that holds a VIN; labels may carry other codes too. */
    for (int i = 0; i < n; i++) {
        char vin[ODO_VIN_LEN + 1];
        if (odo_vin_normalize(codes[i].text, vin, NULL) == 0) {
            on_scan(codes[i].text, false, x);
            return x->fatal;
        }
        len += (size_t)snprintf(found + len, sizeof(found) - len, "%s%s '%.60s'", len ? ", " : "",
                                codes[i].symbology, codes[i].text);
        if (len >= sizeof(found))
            break;
    }
    x->scans++;
    char why[700];
    snprintf(why, sizeof(why), "no VIN barcode found in the image%s%s", n ? "; found " : "", found);
    refuse(x, path, why);
    return 0;
}

int cmd_scan(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"device", required_argument, NULL, OPT_DEVICE},
                                         {"evdev", no_argument, NULL, OPT_EVDEV},
                                         {"tty", no_argument, NULL, OPT_TTY},
                                         {"baud", required_argument, NULL, OPT_BAUD},
                                         {"register", no_argument, NULL, OPT_REGISTER},
                                         {"once", no_argument, NULL, OPT_ONCE},
                                         {"offline", no_argument, NULL, OPT_OFFLINE},
                                         {"image", no_argument, NULL, OPT_IMAGE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("scan", NULL);
    struct odo_scanner_options so = {ODO_SCANNER_AUTO, 0, true};
    struct scan_ctx x;
    const char *device = "-";
    bool images = false, network = true;
    long baud;
    int ch, rc = 0;

    memset(&x, 0, sizeof(x));
    x.c = c;
    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case OPT_DEVICE:
            device = optarg;
            break;
        case OPT_EVDEV:
            so.kind = ODO_SCANNER_EVDEV;
            break;
        case OPT_TTY:
            so.kind = ODO_SCANNER_TTY;
            break;
        case OPT_BAUD:
            if (cli_int(c, optarg, "--baud", 1200, 230400, &baud))
                return cli_fail(c, ODO_EINVAL);
            so.baud = (int)baud;
            break;
        case OPT_REGISTER:
            x.do_register = true;
            break;
        case OPT_ONCE:
            x.once = true;
            break;
        case OPT_OFFLINE:
            network = false;
            break;
        case OPT_IMAGE:
            images = true;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (images && optind >= argc)
        return cli_usage(c, cmd, "give the image files to read with --image");
    if (!images && optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s' (images need --image)", argv[optind]);
    if (x.do_register && (rc = cli_open(c)))
        return rc;
    if ((rc = cli_vin_lookup_open(c, network, false, &x.lookup)))
        return rc;
    if (images) {
        for (int i = optind; i < argc && !rc && !x.fatal && !(x.once && x.scans); i++)
            rc = scan_image(&x, argv[i]);
    } else {
        rc = scan_device(&x, device, &so);
    }
    odo_vin_lookup_close(x.lookup);
    if (rc || x.fatal)
        return rc ? rc : x.fatal;
    return x.invalid ? EXIT_INVALID : 0;
}
