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
         "     backwards, duplicate, a bad row in an import)\n"
         "  3  not found: no such vehicle, record or id\n"
         "  4  storage error: the database cannot be opened, is not an odolog database, is\n"
         "     read-only (for a command that writes), or failed to migrate\n"
         "  5  sync failed or is not set up: no gateway or token ('odolog login'), the gateway\n"
         "     is unreachable, refused the token, or needs a newer odolog; nothing was lost\n"
         "  6  another file or device cannot be read or written: an import or export file,\n"
         "     a scanner, a token file, the vPIC database\n\n"
         "With --json, an error is a JSON object on standard error too:\n"
         "  {\"error\": {\"exit\": 2, \"kind\": \"invalid\", \"message\": \"...\"}}");
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
            cli_usage(c, NULL, "option '%s' needs a value", a);
            return -1;
        }
        if (!**slot) {
            cli_usage(c, NULL, "option '%.6s' needs a non-empty value", a);
            return -1;
        }
    }
    argv[out] = NULL;
    return out;
}

/* Whether some command is called `name` and has a subcommand that starts with word `sub`
 * followed by a space ("vin db": "db install", "db status"); with sub NULL, any subcommand. */
static bool is_group(const char *name, const char *sub)
{
    size_t n = sub ? strlen(sub) : 0;

    for (const struct cli_command *k = cli_commands; k->name; k++)
        if (strcmp(k->name, name) == 0 && k->sub &&
            (!sub || (strncmp(k->sub, sub, n) == 0 && k->sub[n] == ' ')))
            return true;
    return false;
}

/* Lists the subcommands of group `name` (under word `sub` when not NULL) to out. */
static void group_help(FILE *out, const char *name, const char *sub)
{
    size_t n = sub ? strlen(sub) : 0;

    fprintf(out, "usage: odolog %s%s%s SUBCOMMAND\n\n", name, sub ? " " : "", sub ? sub : "");
    for (const struct cli_command *k = cli_commands; k->name; k++)
        if (strcmp(k->name, name) == 0 && k->sub &&
            (!sub || (strncmp(k->sub, sub, n) == 0 && k->sub[n] == ' ')))
            fprintf(out, "  %-11s %s\n", k->sub + (sub ? n + 1 : 0), k->summary);
    fprintf(out, "\n(see 'odolog %s%s%s SUBCOMMAND --help')\n", name, sub ? " " : "",
            sub ? sub : "");
}

static bool is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/*
 * The command argv[0..argc) names (after the program's name), and how many words named it
 * (*used). NULL when none does; *group then says whether argv[0] (and argv[1] when *sub_group)
 * name a group of commands.
 */
static const struct cli_command *lookup(int argc, char **argv, int *used, bool *group,
                                        bool *sub_group)
{
    const struct cli_command *cmd = NULL;

    *group = *sub_group = false;
    /* Two-word subcommands first ("vin db install"). */
    if (argc >= 3) {
        char two[64];
        snprintf(two, sizeof(two), "%s %s", argv[1], argv[2]);
        for (const struct cli_command *k = cli_commands; k->name && !cmd; k++)
            if (strcmp(k->name, argv[0]) == 0 && k->sub && strcmp(k->sub, two) == 0)
                cmd = k;
    }
    if (!cmd)
        cmd = cli_find(argv[0], argc >= 2 ? argv[1] : NULL);
    if (cmd) {
        *used = !cmd->sub ? 1 : strchr(cmd->sub, ' ') ? 3 : 2;
        return cmd;
    }
    *group = is_group(argv[0], NULL);
    *sub_group = *group && argc >= 2 && is_group(argv[0], argv[1]);
    return NULL;
}

/* odolog help [COMMAND [SUBCOMMAND...]]: help for a command or a group, on stdout. */
static int help_for(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd;
    bool group, sub_group;
    int used;

    if (argc == 0) {
        main_help();
        return 0;
    }
    if ((cmd = lookup(argc, argv, &used, &group, &sub_group)))
        return cli_help(cmd);
    if (sub_group) {
        group_help(stdout, argv[0], argv[1]);
        return 0;
    }
    if (group && argc == 1) {
        group_help(stdout, argv[0], NULL);
        return 0;
    }
    if (group)
        return cli_usage(c, NULL, "'%s' has no subcommand '%s'", argv[0], argv[1]);
    return cli_usage(c, NULL, "unknown command '%s'", argv[0]);
}

int main(int argc, char **argv)
{
    struct cli c;
    const struct cli_command *cmd;
    bool group, sub_group;
    int rc, first;

    memset(&c, 0, sizeof(c));
    c.prog = "odolog";
    argc = take_globals(&c, argc, argv);
    if (argc < 0)
        return EXIT_USAGE;
    c.user = odo_device_user(c.user);
    if (argc < 2)
        return cli_usage(&c, NULL, "give a command");
    if (strcmp(argv[1], "help") == 0)
        return help_for(&c, argc - 2, argv + 2);
    if (is_help(argv[1])) {
        main_help();
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("odolog %s\n", ODO_VERSION);
        return 0;
    }
    cmd = lookup(argc - 1, argv + 1, &first, &group, &sub_group);
    if (!cmd) {
        /* A bare group is a usage error (to stderr); "--help" is an answer (to stdout). */
        int at = sub_group ? 3 : 2;
        bool help = argc > at && is_help(argv[at]);

        if ((group && !sub_group && argc == 2) || (sub_group && argc == 3) || (group && help)) {
            if (c.json && !help)
                return cli_usage(&c, NULL, "'%s' needs a subcommand", argv[1]);
            group_help(help ? stdout : stderr, argv[1], sub_group ? argv[2] : NULL);
            return help ? 0 : EXIT_USAGE;
        }
        if (group)
            return cli_usage(&c, NULL, "'%s' has no subcommand '%s'", argv[1], argv[2]);
        return cli_usage(&c, NULL, "unknown command '%s'", argv[1]);
    }
    /* The command sees argv[0] = its name and then its own arguments. */
    optind = 0;
    opterr = 1;
    rc = cmd->run(&c, argc - first, argv + first);
    odo_store_close(c.store);
    if (fflush(stdout) != 0 && rc == 0)
        rc = cli_report(&c, EXIT_FILE, "cannot write the output (standard output failed)");
    return rc;
}
