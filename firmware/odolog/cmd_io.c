/*
 * odolog import and export.
 */
#include "firmware/odolog/cli.h"

int cmd_import(struct cli *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_report(c, EXIT_USAGE, "import: not built yet");
}

int cmd_export(struct cli *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_report(c, EXIT_USAGE, "export: not built yet");
}
