/*
 * odolog completion bash: a bash completion script made from the command table, so that it
 * knows every command, subcommand and option that --help describes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "firmware/odolog/cli.h"

/* Options whose value is a file name. */
static const char *const file_options[] = {"--db", "--out", "--image", "--token-file",
                                           "--ca", "--to",  "--device"};

/* Options with a fixed set of values, as the help texts list them. */
static const struct {
    const char *option, *values;
} value_options[] = {
    {"--units", "metric us uk"},
    {"--distance", "km mi"},
    {"--unit", "km mi L gal_us gal_imp"},
    {"--volume-unit", "L gal_us gal_imp"},
    {"--economy", "l_per_100km km_per_l mpg_us mpg_uk"},
    {"--kind", "insurance registration emissions"},
    {"--category", "engine transmission brakes tires suspension electrical climate body fluids "
                   "filters inspection other"},
    {"--format", "odolog odolog-json fuelly acar lubelogger spritmonitor drivvo gasbuddy csv "
                 "json"},
    {"--date-format", "mdy dmy ymd"},
};

/* Prints the distinct --options of a help text, space-separated. */
static void print_options(const char *usage)
{
    char seen[2048] = " ";

    for (const char *p = strstr(usage, "--"); p; p = strstr(p + 2, "--")) {
        char opt[40];
        size_t n = 2;

        if (p > usage && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
            continue;
        while (n < sizeof(opt) - 2 && (isalnum((unsigned char)p[n]) || p[n] == '-'))
            n++;
        if (n == 2 || p[n - 1] == '-')
            continue;
        snprintf(opt, sizeof(opt), " %.*s ", (int)n, p);
        if (strstr(seen, opt) || strlen(seen) + strlen(opt) >= sizeof(seen))
            continue;
        strcat(seen, opt + 1);
        printf("%.*s ", (int)n, p);
    }
    printf("--help");
}

/* The words that may follow `path` (a group: "vehicle", "vin db"), space-separated. */
static void print_next_words(const char *name, const char *prefix)
{
    char last[64] = "";
    size_t n = prefix ? strlen(prefix) : 0;

    for (const struct cli_command *k = cli_commands; k->name; k++) {
        const char *rest;
        char word[64];

        if (strcmp(k->name, name) != 0 || !k->sub)
            continue;
        if (prefix && (strncmp(k->sub, prefix, n) != 0 || k->sub[n] != ' '))
            continue;
        rest = prefix ? k->sub + n + 1 : k->sub;
        snprintf(word, sizeof(word), "%.*s", (int)strcspn(rest, " "), rest);
        if (strcmp(word, last) != 0)
            printf("%s ", word);
        snprintf(last, sizeof(last), "%s", word);
    }
}

static void print_script(void)
{
    const char *last = "";

    puts("# bash completion for odolog, made by 'odolog completion bash' from its help texts.\n"
         "_odolog()\n"
         "{\n"
         "    local cur prev words=() i skip=0\n"
         "    COMPREPLY=()\n"
         "    cur=${COMP_WORDS[COMP_CWORD]}\n"
         "    prev=${COMP_WORDS[COMP_CWORD-1]}\n"
         "    # The command words so far, without the global options and their values.\n"
         "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "        if ((skip)); then skip=0; continue; fi\n"
         "        case ${COMP_WORDS[i]} in\n"
         "        --db | --user) skip=1 ;;\n"
         "        -*) ;;\n"
         "        *) words+=(\"${COMP_WORDS[i]}\") ;;\n"
         "        esac\n"
         "    done\n"
         "    case $prev in");
    printf("    ");
    for (size_t i = 0; i < ODO_ARRAY_LEN(file_options); i++)
        printf("%s%s", i ? " | " : "", file_options[i]);
    puts(")\n        COMPREPLY=($(compgen -f -- \"$cur\"))\n        return ;;");
    for (size_t i = 0; i < ODO_ARRAY_LEN(value_options); i++)
        printf("    %s)\n        COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"))\n        return ;;\n",
               value_options[i].option, value_options[i].values);
    puts("    esac\n"
         "    local next\n"
         "    case \"${words[*]}\" in");
    /* The first word: every command name, and the global options. */
    printf("    \"\")\n        next=\"");
    for (const struct cli_command *k = cli_commands; k->name; k++) {
        if (strcmp(k->name, last) != 0)
            printf("%s ", k->name);
        last = k->name;
    }
    puts("help --db --user --json --help --version\" ;;");
    /* Each command: its options (and, for a command that takes a file, file names). */
    for (const struct cli_command *k = cli_commands; k->name; k++) {
        printf("    \"%s%s%s\")\n        next=\"", k->name, k->sub ? " " : "",
               k->sub ? k->sub : "");
        if (!k->sub && strcmp(k->name, "completion") == 0)
            printf("bash ");
        if (!k->sub)
            print_next_words(k->name, NULL); /* "sync" is a command and a group */
        print_options(k->usage);
        printf("\"");
        if (strstr(k->usage, " FILE") && !strstr(k->usage, "--out FILE"))
            printf("\n        COMPREPLY=($(compgen -f -- \"$cur\"))");
        puts(" ;;");
    }
    /* Each group: the words that may follow it. Groups with a command of their own ("sync")
     * were listed above, with its options; their subcommands join them. */
    last = "";
    for (const struct cli_command *k = cli_commands; k->name; k++) {
        if (!k->sub || strcmp(k->name, last) == 0 || cli_find(k->name, NULL))
            continue;
        last = k->name;
        printf("    \"%s\")\n        next=\"", k->name);
        print_next_words(k->name, NULL);
        puts("--help\" ;;");
        for (const struct cli_command *s = k; s->name && strcmp(s->name, k->name) == 0; s++) {
            size_t w = s->sub ? strcspn(s->sub, " ") : 0;
            char prefix[32];
            if (!s->sub || !s->sub[w] ||
                (s != k && strncmp(s[-1].sub ? s[-1].sub : "", s->sub, w + 1) == 0))
                continue;
            snprintf(prefix, sizeof(prefix), "%.*s", (int)w, s->sub);
            printf("    \"%s %s\")\n        next=\"", k->name, prefix);
            print_next_words(k->name, prefix);
            puts("--help\" ;;");
        }
    }
    puts("    help*)\n"
         "        next=\"$(odolog help 2>/dev/null | sed -n 's/^  \\([a-z]*\\) .*/\\1/p' | sort "
         "-u)\" ;;\n"
         "    *) next=\"--help\" ;;\n"
         "    esac\n"
         "    COMPREPLY+=($(compgen -W \"$next\" -- \"$cur\"))\n"
         "}\n"
         "complete -F _odolog odolog");
}

int cmd_completion(struct cli *c, int argc, char **argv)
{
    const struct cli_command *cmd = cli_find("completion", NULL);
    const char *shell;
    int rc = cli_one_arg(c, cmd, argc, argv, "which shell? odolog completes in bash", &shell);

    if (rc)
        return rc < 0 ? 0 : rc;
    if (strcmp(shell, "bash") != 0)
        return cli_usage(c, cmd, "odolog has a completion script for bash only, not '%s'", shell);
    print_script();
    return 0;
}
