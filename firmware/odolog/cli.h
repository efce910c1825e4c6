/*
 * Shared by the odolog commands: the invocation's context (database, user, output mode), exit
 * codes, argument parsing into exact quantities, aligned tables and streamed JSON.
 */
#ifndef ODO_FIRMWARE_CLI_H
#define ODO_FIRMWARE_CLI_H

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "firmware/device/paths.h"
#include "platform/error.h"
#include "storage/settings.h"
#include "storage/store.h"
#include "storage/vehicles.h"
#include "storage/vin/vpic.h"

/* Exit codes, as `odolog --help` lists them. */
enum {
    EXIT_USAGE = 1,    /* the command line is wrong */
    EXIT_INVALID = 2,  /* input refused: malformed, out of range, against a rule */
    EXIT_NOTFOUND = 3, /* no such vehicle, log, item or id */
    EXIT_STORAGE = 4,  /* the database could not be opened, read or written */
    EXIT_SYNC = 5,     /* sync failed or is not set up; nothing was lost */
    EXIT_FILE = 6,     /* another file or device could not be read or written */
};

struct cli {
    const char *prog;
    const char *db_option; /* --db, or NULL */
    const char *db_path;   /* NULL until cli_db_path settles it */
    char db_buf[ODO_DEVICE_PATH_MAX];
    const char *user;
    bool json;
    struct odo_store *store;
    struct odo_settings settings;
    struct odo_err err;
    char vpic_buf[ODO_DEVICE_PATH_MAX];
};

/* A command: "vehicle add" is {"vehicle", "add", ...}; sub is NULL for one-word commands. */
struct cli_command {
    const char *name;
    const char *sub;
    int (*run)(struct cli *c, int argc, char **argv);
    const char *summary;
    const char *usage; /* the help text after "usage: odolog " */
};

extern const struct cli_command cli_commands[];

/* The exit code for an ODO_E* code. */
int cli_exit_code(int rc);

/* Reports message as the reason for exit code `code` on stderr ("odolog: message", or a JSON
 * object {"error": {"exit", "kind", "message"}} under --json) and returns code. */
int cli_report(struct cli *c, int code, const char *message);

/* cli_report of rc's exit code and the sentence in c->err. */
int cli_fail(struct cli *c, int rc);

/* Reports a usage error (with cmd's usage line and a pointer to --help unless --json) and
 * returns EXIT_USAGE. */
int cli_usage(struct cli *c, const struct cli_command *cmd, const char *fmt, ...) ODO_PRINTF(3, 4);

/* Prints a warning to stderr. */
void cli_warn(const char *fmt, ...) ODO_PRINTF(1, 2);

/* Prints cmd's help to stdout and returns 0. */
int cli_help(const struct cli_command *cmd);

/*
 * getopt_long over argv for cmd, with --help handled: returns the option's value, -1 at the
 * end, or 'h' after printing help (the caller returns 0), or '?' after a usage message (the
 * caller returns EXIT_USAGE).
 */
int cli_getopt(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
               const struct option *opts, const char *shortopts);

/* Parses a command that takes exactly one argument and only --help: *arg receives it. Returns
 * 0, -1 after help was printed (exit 0), or EXIT_USAGE after a message (`missing` when there is
 * no argument). */
int cli_one_arg(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                const char *missing, const char **arg);

/* The one argument left after the options (at optind): *arg receives it. Returns 0, or
 * EXIT_USAGE after a message (`missing` when there is none, or the first one too many). */
int cli_positional(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                   const char *missing, const char **arg);

/* Settles c->db_path as odo_device_db_path does (--db, $ODOLOG_DB, the data directory, created
 * on first use). Returns 0 or an exit code, having printed why. */
int cli_db_path(struct cli *c);

/* Opens the database (creating the default directory on first use) and loads the user's
 * settings. Returns 0 or an exit code, having printed why. */
int cli_open(struct cli *c);

/* cli_open for a command that only reads: a database nobody may write (file or directory) is
 * opened read-only instead of refused. */
int cli_open_read(struct cli *c);

/* storage/entry.h's parsers with c->err: they print nothing and leave a sentence in c->err;
 * each returns 0 or ODO_EINVAL. */
int cli_distance(struct cli *c, const char *s, const char *what, int64_t *out) ODO_MUST_CHECK;
int cli_volume(struct cli *c, const char *s, int64_t *out) ODO_MUST_CHECK;
int cli_price(struct cli *c, const char *s, int64_t *out) ODO_MUST_CHECK;
int cli_money(struct cli *c, const char *s, const char *what, int64_t *out) ODO_MUST_CHECK;
int cli_int(struct cli *c, const char *s, const char *what, long min, long max,
            long *out) ODO_MUST_CHECK;

/* Copies a text argument into a fixed field; ODO_EINVAL when it does not fit. */
int cli_copy(struct cli *c, char *dst, size_t cap, const char *src,
             const char *what) ODO_MUST_CHECK;

/* The vehicle named by ref (id, VIN, name), or the user's only vehicle when ref is NULL. */
int cli_vehicle(struct cli *c, const char *ref, bool include_deleted,
                struct odo_vehicle *v) ODO_MUST_CHECK;

/* What the commands about one kind of record share (record.c, which also holds 'GROUP rm' and
 * 'GROUP restore' of every kind). */

/* An edit's (or 'maint done''s) steps after its options: the one RECORD argument at optind
 * (`which` asks for it when it is missing), "nothing to change" unless `changed` (what needs no
 * field passes true), then the database opened to write. Returns 0 with *ref set, or an exit
 * code having printed why. */
int cli_edit_open(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                  const char *which, bool changed, const char **ref);

/* A listing's steps: parses [--vehicle V] and --help with no argument after them, then opens
 * the database to read; *ref receives V or NULL. When v is not NULL, *v is the vehicle V names
 * (or the user's only one). Returns 0, -1 after help was printed (exit 0), or an exit code
 * having printed why. */
int cli_list_open(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                  const char **ref, struct odo_vehicle *v);

/* Text helpers for output. */
const char *cli_dec(int64_t v, int scale, int min_decimals, char *buf, size_t cap);
const char *cli_short_id(const char *id); /* the last ODO_SHORT_ID_LEN characters */

/*
 * An aligned text table; rows are buffered in chunks, so memory stays bounded. Columns are
 * aligned by display width (wide characters take two columns) and, by the `align` letter of
 * each: 'l' left, 'r' right, 'd' numbers on their decimal point with what follows them (a unit,
 * a currency) in a column of its own, so "3.969 USD" and "40.5 L" line up with "10 gal".
 */
#define TABLE_MAX_COLS 12
#define TABLE_CHUNK    200
struct table {
    int ncols;
    const char *head[TABLE_MAX_COLS];
    char align[TABLE_MAX_COLS];
    char *cells[TABLE_CHUNK][TABLE_MAX_COLS];
    int rows;
    bool any, header_done;
};
void table_init(struct table *t, int ncols, const char *const *head, const char *align);
void table_row(struct table *t, const char *const *cells);
void table_flush(struct table *t);
/* Flushes and frees; prints `empty` when no row was added. */
void table_end(struct table *t, const char *empty);

/* A JSON array printed element by element. */
struct jlist {
    int n;
};
void jlist_begin(struct jlist *l);
void jlist_add(struct jlist *l, cJSON *item); /* prints and frees item */
void jlist_end(struct jlist *l);
/*
 * A listing: its rows as an aligned table, or under --json as a JSON list streamed element by
 * element (a row callback adds to one or the other). `v` is the vehicle whose rows are listed,
 * for the listings whose rows need it; a listing with more to carry embeds this one.
 */
struct cli_list {
    struct cli *c;
    const struct odo_vehicle *v;
    struct table t;
    struct jlist j;
};
/* A new listing of `size` zeroed bytes (a struct cli_list, or a struct that begins with one),
 * started: the table's columns as table_init takes them; under --json the list opens. NULL when
 * out of memory (nothing is printed). cli_list_end frees it. */
void *cli_list_new(struct cli *c, size_t size, int ncols, const char *const *head,
                   const char *align);
/* Ends a listing and frees it: the JSON list closes, or the table is printed, with `empty` when
 * it had no row (NULL: nothing). Returns 0, or cli_fail's exit code when rc, the listing's ODO_E
 * code, is not 0. */
int cli_list_end(struct cli_list *l, int rc, const char *empty);
/* Prints one JSON document and frees it. */
void json_print(cJSON *doc);
/* Adds a decimal as a string (exact), or null when absent. */
void json_dec(cJSON *o, const char *key, int64_t v, int scale, bool present);
/* A calendar date as "YYYY-MM-DD", or "-" for ODO_NO_DATE. */
void cli_date_text(int32_t d, char out[ODO_DATE_TEXT_LEN + 1]);
/* Adds a calendar date as "YYYY-MM-DD", or null for ODO_NO_DATE. */
void json_date(cJSON *o, const char *key, int32_t d);
/* Adds a moment (milliseconds since the epoch) as ISO 8601 UTC text. */
void json_time(cJSON *o, const char *key, int64_t ms);
/* A new JSON object for a record of a vehicle, opening with its "id" and "vehicle_id". */
cJSON *json_record(const char *id, const char *vehicle_id);
/* Adds a string, or null when s is empty. */
void json_str(cJSON *o, const char *key, const char *s);

/* Commands, one function each. */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_vehicle_add(struct cli *c, int argc, char **argv);
int cmd_vehicle_list(struct cli *c, int argc, char **argv);
int cmd_vehicle_show(struct cli *c, int argc, char **argv);
int cmd_vehicle_edit(struct cli *c, int argc, char **argv);
int cmd_vehicle_rm(struct cli *c, int argc, char **argv);
int cmd_vehicle_restore(struct cli *c, int argc, char **argv);
int cmd_fuel_add(struct cli *c, int argc, char **argv);
int cmd_fuel_list(struct cli *c, int argc, char **argv);
int cmd_fuel_edit(struct cli *c, int argc, char **argv);
int cmd_fuel_rm(struct cli *c, int argc, char **argv);
int cmd_fuel_restore(struct cli *c, int argc, char **argv);
int cmd_odo_edit(struct cli *c, int argc, char **argv);
int cmd_odo_rm(struct cli *c, int argc, char **argv);
int cmd_odo_restore(struct cli *c, int argc, char **argv);
int cmd_maint_edit(struct cli *c, int argc, char **argv);
int cmd_maint_restore(struct cli *c, int argc, char **argv);
int cmd_renewal_edit(struct cli *c, int argc, char **argv);
int cmd_renewal_restore(struct cli *c, int argc, char **argv);
int cmd_service_list(struct cli *c, int argc, char **argv);
int cmd_service_add(struct cli *c, int argc, char **argv);
int cmd_service_edit(struct cli *c, int argc, char **argv);
int cmd_service_rm(struct cli *c, int argc, char **argv);
int cmd_service_restore(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_completion(struct cli *c, int argc, char **argv);
int cmd_odo_add(struct cli *c, int argc, char **argv);
int cmd_odo_list(struct cli *c, int argc, char **argv);
int cmd_maint_add(struct cli *c, int argc, char **argv);
int cmd_maint_list(struct cli *c, int argc, char **argv);
int cmd_maint_done(struct cli *c, int argc, char **argv);
int cmd_maint_rm(struct cli *c, int argc, char **argv);
int cmd_renewal_add(struct cli *c, int argc, char **argv);
int cmd_renewal_list(struct cli *c, int argc, char **argv);
int cmd_renewal_rm(struct cli *c, int argc, char **argv);
int cmd_due(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_vin_check(struct cli *c, int argc, char **argv);
int cmd_vin_decode(struct cli *c, int argc, char **argv);
int cmd_vin_db_install(struct cli *c, int argc, char **argv);
int cmd_scan(struct cli *c, int argc, char **argv);
int cmd_vin_db_status(struct cli *c, int argc, char **argv);

/* VIN decoding shared by the commands (cmd_vin.c). */
struct odo_vin_lookup;
/* The vPIC database path as odo_device_vpic_path names it, or NULL having printed why. */
const char *cli_vpic_path(struct cli *c);
/* A VIN lookup for c's user: cache and gateway when the database exists (it is opened). */
int cli_vin_lookup_open(struct cli *c, bool network, bool refresh, struct odo_vin_lookup **out);
cJSON *cli_json_decoded(const struct odo_vin_decoded *d, bool cached, const char *note);
int cmd_db_status(struct cli *c, int argc, char **argv);
int cmd_login(struct cli *c, int argc, char **argv);
int cmd_sync(struct cli *c, int argc, char **argv);
int cmd_sync_status(struct cli *c, int argc, char **argv);

/* The command entry for name/sub, for help and usage messages. */
const struct cli_command *cli_find(const char *name, const char *sub);

/* The options of recorded work (service add/edit, maint done), as typed. */
struct cli_work {
    const char *vehicle, *description, *date, *odometer, *cost, *currency, *shop, *notes;
    int count; /* how many were given, --vehicle aside */
};
struct odo_service;

/* Parses the work options (--description only when `description`) into *a. Returns 0, -1 after
 * help, or EXIT_USAGE after a message. */
int cli_work_parse(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                   bool description, struct cli_work *a);
/* Applies them onto rec; an empty odometer or cost clears it. 0 or ODO_EINVAL (c->err). */
int cli_work_apply(struct cli *c, const struct cli_work *a, struct odo_service *rec);
/* JSON of a service record; the service records of v as a table or a JSON list. */
cJSON *json_service(const struct odo_service *r);
int cli_service_table(struct cli *c, const struct odo_vehicle *v);

/* JSON of a vehicle (shared by vehicle list/show/add). */
cJSON *json_vehicle(const struct odo_vehicle *v);

#endif
