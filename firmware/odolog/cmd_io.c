/*
 * odolog import and export: options, a progress bar on a terminal, and the report; what a row
 * means and whether it may be stored is storage/io's business.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/odolog/cli.h"
#include "platform/fs.h"
#include "storage/io/io.h"

enum {
    OPT_FORMAT = 256,
    OPT_VEHICLE,
    OPT_CREATE,
    OPT_DATE_FORMAT,
    OPT_CURRENCY,
    OPT_SKIP_BAD,
    OPT_DRY_RUN,
    OPT_NO_PROGRESS,
    OPT_CONFIRM,
    OPT_OUT
};

/* What the import's callbacks need. */
struct import_ctx {
    struct cli *c;
    cJSON *problems; /* --json: the bad rows, up to PROBLEMS_MAX */
    long more;       /* bad rows past that */
    bool bar;        /* a progress bar is on stderr */
    int last_pct;
};

#define PROBLEMS_MAX 10000 /* bad rows listed in a JSON report; the count is always whole */
#define BAR_WIDTH    30

static void on_problem(const struct odo_import_problem *p, void *ctx)
{
    struct import_ctx *x = ctx;

    if (x->problems) {
        if (cJSON_GetArraySize(x->problems) >= PROBLEMS_MAX) {
            x->more++;
            return;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "line", (double)p->line);
        cJSON_AddStringToObject(o, "why", p->why);
        cJSON_AddItemToArray(x->problems, o);
        return;
    }
    if (x->bar)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "odolog: line %ld: %s\n", p->line, p->why);
    x->last_pct = -1;
}

static void on_progress(int64_t done, int64_t total, void *ctx)
{
    struct import_ctx *x = ctx;
    int pct = total > 0 ? (int)(done * 100 / total) : 0, fill;

    if (!x->bar || pct == x->last_pct)
        return;
    x->last_pct = pct;
    fill = pct * BAR_WIDTH / 100;
    fprintf(stderr, "\rimporting [%.*s%*s] %3d%%", fill, "##############################",
            BAR_WIDTH - fill, "", pct);
    fflush(stderr);
}

static void print_report(struct cli *c, const struct odo_import_report *rep, bool dry_run,
                         struct import_ctx *x)
{
    if (c->json) {
        cJSON *o = cJSON_CreateObject(), *added = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "format", odo_import_format_name(rep->format));
        cJSON_AddNumberToObject(o, "rows", rep->rows);
        cJSON_AddNumberToObject(added, "fuel", rep->fills);
        cJSON_AddNumberToObject(added, "readings", rep->readings);
        cJSON_AddNumberToObject(added, "services", rep->services);
        cJSON_AddNumberToObject(added, "maintenance", rep->maintenance);
        cJSON_AddNumberToObject(added, "renewals", rep->renewals);
        cJSON_AddNumberToObject(added, "vehicles", rep->vehicles_created);
        cJSON_AddItemToObject(o, dry_run ? "would_add" : "added", added);
        cJSON_AddNumberToObject(o, "vehicles_matched", rep->vehicles_matched);
        cJSON_AddNumberToObject(o, "duplicates", rep->duplicates);
        cJSON_AddNumberToObject(o, "converted", rep->converted);
        cJSON_AddNumberToObject(o, "bad", rep->bad);
        cJSON_AddBoolToObject(o, "dry_run", dry_run);
        cJSON_AddBoolToObject(o, "stored", rep->stored);
        cJSON_AddItemToObject(o, "problems", x->problems);
        x->problems = NULL;
        if (x->more)
            cJSON_AddNumberToObject(o, "problems_not_listed", x->more);
        json_print(o);
        return;
    }
    printf("%s %s: %ld fill-up%s, %ld odometer reading%s, %ld service record%s",
           dry_run       ? "would import from"
           : rep->stored ? "imported from"
                         : "nothing imported from",
           odo_import_format_name(rep->format), rep->fills, rep->fills == 1 ? "" : "s",
           rep->readings, rep->readings == 1 ? "" : "s", rep->services,
           rep->services == 1 ? "" : "s");
    if (rep->maintenance || rep->renewals)
        printf(", %ld maintenance item%s, %ld document%s", rep->maintenance,
               rep->maintenance == 1 ? "" : "s", rep->renewals, rep->renewals == 1 ? "" : "s");
    if (rep->vehicles_created)
        printf(" (%ld vehicle%s %s)", rep->vehicles_created, rep->vehicles_created == 1 ? "" : "s",
               dry_run ? "to add" : "added");
    printf("\n");
    if (rep->duplicates)
        printf("%ld row%s already in the logbook skipped\n", rep->duplicates,
               rep->duplicates == 1 ? "" : "s");
    if (rep->converted)
        printf("%ld odometer value%s converted to the vehicle's unit\n", rep->converted,
               rep->converted == 1 ? "" : "s");
    if (rep->bad)
        printf("%ld bad row%s %s\n", rep->bad, rep->bad == 1 ? "" : "s",
               rep->stored ? "skipped" : "(listed above)");
}

int cmd_import(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, OPT_FORMAT},
                                         {"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"create-vehicles", no_argument, NULL, OPT_CREATE},
                                         {"date-format", required_argument, NULL, OPT_DATE_FORMAT},
                                         {"currency", required_argument, NULL, OPT_CURRENCY},
                                         {"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
                                         {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                                         {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
                                         {"confirm-distance", no_argument, NULL, OPT_CONFIRM},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("import", NULL);
    struct odo_import_options o = {0};
    struct odo_import_report rep;
    struct import_ctx x = {0};
    bool progress = true;
    int ch, rc;

    x.c = c;
    x.last_pct = -1;
    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case '?':
            return EXIT_USAGE;
        case OPT_FORMAT:
            if ((rc = odo_import_format_parse(optarg, &o.format, &c->err)))
                return cli_usage(c, cmd, "%s", c->err.msg);
            break;
        case OPT_DATE_FORMAT:
            if ((rc = odo_date_order_parse(optarg, &o.date_order, &c->err)))
                return cli_usage(c, cmd, "%s", c->err.msg);
            break;
        case OPT_VEHICLE:
            o.vehicle = optarg;
            break;
        case OPT_CREATE:
            o.create_vehicles = true;
            break;
        case OPT_CURRENCY:
            o.currency = optarg;
            break;
        case OPT_SKIP_BAD:
            o.skip_bad = true;
            break;
        case OPT_DRY_RUN:
            o.dry_run = true;
            break;
        case OPT_NO_PROGRESS:
            progress = false;
            break;
        case OPT_CONFIRM:
            o.confirm_distance = true;
            break;
        }
    }
    if (optind >= argc)
        return cli_usage(c, cmd, "which file? give the export to import");
    if (optind + 1 < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind + 1]);
    if (o.vehicle && o.create_vehicles)
        return cli_usage(c, cmd, "--vehicle and --create-vehicles exclude each other");
    /* The file first: a file that cannot be read creates no database. */
    if (access(argv[optind], R_OK) != 0)
        return cli_report(
            c, EXIT_FILE,
            odo_err_text(&c->err, odo_err_set(&c->err, ODO_EIO, "cannot read '%s': %s",
                                              argv[optind], strerror(errno))));
    if ((rc = cli_open(c)))
        return rc;
    x.bar = progress && !c->json && isatty(STDERR_FILENO);
    if (c->json)
        x.problems = cJSON_CreateArray();
    o.settings = &c->settings;
    o.on_problem = on_problem;
    o.on_progress = on_progress;
    o.ctx = &x;
    rc = odo_import_file(c->store, c->user, argv[optind], &o, &rep, &c->err);
    if (x.bar)
        fputs("\r\033[K", stderr);
    if (rc == 0 || rep.rows)
        print_report(c, &rep, o.dry_run, &x);
    cJSON_Delete(x.problems);
    return rc ? cli_fail(c, rc) : 0;
}

/* Writes the export to a temporary beside path and puts it in place whole. */
static int export_to_file(struct cli *c, const char *path, const char *vehicle_id,
                          enum odo_export_format f, long *rows)
{
    char *tmp = malloc(strlen(path) + 16);
    FILE *out = NULL;
    mode_t mask;
    int fd, rc;

    if (!tmp)
        return odo_err_set(&c->err, ODO_ENOMEM, "out of memory");
    sprintf(tmp, "%s.XXXXXX", path);
    mask = umask(0);
    umask(mask);
    /* mkstemp makes it 0600: the export gets the mode any new file of the user's would. */
    if ((fd = mkstemp(tmp)) < 0 || fchmod(fd, 0666 & ~mask) != 0 || !(out = fdopen(fd, "w"))) {
        rc = odo_err_set(&c->err, ODO_EIO, "cannot write beside '%s': %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return rc;
    }
    rc = odo_export(c->store, c->user, vehicle_id, f, &c->settings, out, rows, &c->err);
    if (fclose(out) != 0 && rc == 0)
        rc = odo_err_set(&c->err, ODO_EIO, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0)
        rc = odo_fs_replace(tmp, path, &c->err);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

int cmd_export(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {{"vehicle", required_argument, NULL, OPT_VEHICLE},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {"out", required_argument, NULL, OPT_OUT},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const struct cli_command *cmd = cli_find("export", NULL);
    enum odo_export_format f = ODO_EXPORT_CSV;
    const char *ref = NULL, *path = NULL;
    struct odo_vehicle v;
    long rows = 0;
    int ch, rc;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1) {
        switch (ch) {
        case 'h':
            return 0;
        case '?':
            return EXIT_USAGE;
        case OPT_VEHICLE:
            ref = optarg;
            break;
        case OPT_FORMAT:
            if (odo_export_format_parse(optarg, &f, &c->err))
                return cli_usage(c, cmd, "%s", c->err.msg);
            break;
        case OPT_OUT:
            path = optarg;
            break;
        }
    }
    if (optind < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind]);
    if ((rc = cli_open_read(c)))
        return rc;
    /* LubeLogger's layout is one vehicle's: the only one when none is named. */
    if ((ref || f == ODO_EXPORT_LUBELOGGER) && (rc = cli_vehicle(c, ref, false, &v))) {
        if (rc == ODO_EINVAL && !ref)
            return cli_usage(c, cmd, "LubeLogger's layout holds one vehicle: give --vehicle");
        return cli_fail(c, rc);
    }
    if (path)
        rc = export_to_file(c, path, ref || f == ODO_EXPORT_LUBELOGGER ? v.id : NULL, f, &rows);
    else
        rc = odo_export(c->store, c->user, ref || f == ODO_EXPORT_LUBELOGGER ? v.id : NULL, f,
                        &c->settings, stdout, &rows, &c->err);
    if (rc)
        return cli_fail(c, rc);
    if (path && c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "out", path);
        cJSON_AddNumberToObject(o, "records", rows);
        json_print(o);
    } else if (path) {
        printf("exported %ld record%s to %s\n", rows, rows == 1 ? "" : "s", path);
    }
    return 0;
}
