/*
 * Helpers shared by the odolog commands.
 */
#define _GNU_SOURCE
#include "firmware/odolog/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "platform/text.h"
#include "platform/decimal.h"
#include "storage/odometer.h"

int cli_exit_code(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case ODO_EINVAL:
    case ODO_EEXIST:
    case ODO_ETOOBIG:
        return EXIT_INVALID;
    case ODO_ENOTFOUND:
        return EXIT_NOTFOUND;
    default:
        return EXIT_STORAGE;
    }
}

int cli_fail(struct cli *c, int rc)
{
    fprintf(stderr, "odolog: %s\n", odo_err_text(&c->err, rc));
    return cli_exit_code(rc);
}

int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("odolog: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "\nusage: odolog %s\n(see 'odolog %s%s%s --help')\n",
                strtok(strdupa(cmd->usage), "\n"), cmd->name, cmd->sub ? " " : "",
                cmd->sub ? cmd->sub : "");
    else
        fputs("\n(see 'odolog --help')\n", stderr);
    return EXIT_USAGE;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;

    fputs("odolog: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_help(const struct cli_command *cmd)
{
    printf("usage: odolog %s\n", cmd->usage);
    printf("\nGlobal options: --db PATH, --user ID, --json (see 'odolog --help').\n");
    return 0;
}

int cli_getopt(const struct cli_command *cmd, int argc, char **argv, const struct option *opts,
               const char *shortopts)
{
    int ch = getopt_long(argc, argv, shortopts, opts, NULL);

    if (ch == 'h') {
        cli_help(cmd);
        return 'h';
    }
    if (ch == '?' || ch == ':') {
        /* getopt already said what was wrong. */
        fprintf(stderr, "usage: odolog %s\n(see 'odolog %s%s%s --help')\n",
                strtok(strdupa(cmd->usage), "\n"), cmd->name, cmd->sub ? " " : "",
                cmd->sub ? cmd->sub : "");
        return '?';
    }
    return ch;
}

int cli_db_path(struct cli *c)
{
    int rc;

    if (c->db_path)
        return 0;
    if ((rc = odo_device_db_path(c->db_option, c->db_buf, sizeof(c->db_buf), &c->db_path, &c->err)))
        return cli_fail(c, rc);
    return 0;
}

/* cli_open and cli_open_read: the read-only fallback is for commands that only read. */
static int open_store(struct cli *c, bool reading)
{
    int rc;

    if ((rc = cli_db_path(c)))
        return rc;
    if ((rc = odo_user_check(c->user, &c->err)))
        return cli_fail(c, rc);
    rc = odo_store_open(c->db_path, NULL, &c->store, &c->err);
    if (rc == ODO_EREADONLY && reading) {
        /* Nobody may write the file (or its directory): read it as it is. */
        struct odo_store_options ro = {.read_only = true};
        struct odo_err first = c->err;

        rc = odo_store_open(c->db_path, &ro, &c->store, &c->err);
        if (rc == ODO_ENOTFOUND) {
            c->err = first;
            rc = ODO_EREADONLY;
        }
    }
    if (rc || (rc = odo_settings_load(c->store, c->user, &c->settings, &c->err)))
        return cli_fail(c, rc);
    return 0;
}

int cli_open(struct cli *c)
{
    return open_store(c, false);
}

int cli_open_read(struct cli *c)
{
    return open_store(c, true);
}

int cli_distance(struct cli *c, const char *s, const char *what, int64_t *out)
{
    int rc = odo_dec_parse(s, ODO_SCALE_DISTANCE, out, what, &c->err);
    if (rc == 0 && (*out < 0 || *out > ODO_ODOMETER_MAX))
        return odo_err_set(&c->err, ODO_EINVAL, "%s must be between 0 and 9999999.9", what);
    return rc;
}

int cli_volume(struct cli *c, const char *s, int64_t *out)
{
    int rc = odo_dec_parse(s, ODO_SCALE_VOLUME, out, "the volume", &c->err);
    if (rc == 0 && *out <= 0)
        return odo_err_set(&c->err, ODO_EINVAL, "the volume must be more than zero");
    return rc;
}

int cli_price(struct cli *c, const char *s, int64_t *out)
{
    int rc = odo_dec_parse(s, ODO_SCALE_PRICE, out, "the price", &c->err);
    if (rc == 0 && *out < 0)
        return odo_err_set(&c->err, ODO_EINVAL, "the price must not be negative");
    return rc;
}

int cli_money(struct cli *c, const char *s, const char *what, int64_t *out)
{
    int rc = odo_dec_parse(s, ODO_SCALE_MONEY, out, what, &c->err);
    if (rc == 0 && *out < 0)
        return odo_err_set(&c->err, ODO_EINVAL, "%s must not be negative", what);
    return rc;
}

int cli_int(struct cli *c, const char *s, const char *what, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return odo_err_set(&c->err, ODO_EINVAL, "%s must be a whole number from %ld to %ld", what,
                           min, max);
    *out = v;
    return 0;
}

int cli_copy(struct cli *c, char *dst, size_t cap, const char *src, const char *what)
{
    if (strlen(src) >= cap)
        return odo_err_set(&c->err, ODO_EINVAL, "%s is too long: at most %zu bytes", what, cap - 1);
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int cli_vehicle(struct cli *c, const char *ref, bool include_deleted, struct odo_vehicle *v)
{
    if (ref)
        return odo_vehicle_resolve(c->store, c->user, ref, include_deleted, v, &c->err);
    return odo_vehicle_only(c->store, c->user, v, &c->err);
}

const char *cli_dec(int64_t v, int scale, int min_decimals, char *buf, size_t cap)
{
    return odo_dec_format(v, scale, min_decimals, buf, cap);
}

const char *cli_short_id(const char *id)
{
    size_t n = strlen(id);
    return n > ODO_SHORT_ID_LEN ? id + n - ODO_SHORT_ID_LEN : id;
}

void table_init(struct table *t, int ncols, const char *const *head, const char *align)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    for (int i = 0; i < ncols; i++) {
        t->head[i] = head[i];
        t->right[i] = align && align[i] == 'r';
    }
}

void table_row(struct table *t, const char *const *cells)
{
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->rows][i] = strdup(cells[i] ? cells[i] : "");
    t->rows++;
    t->any = true;
    if (t->rows == TABLE_CHUNK)
        table_flush(t);
}

/* Appends one cell to line, padded to width (right- or left-aligned). */
static void put_cell(char *line, size_t cap, const char *s, size_t width, bool right)
{
    size_t w = odo_utf8_width(s), pad = width > w ? width - w : 0, n = strlen(line);

    snprintf(line + n, cap - n, "%s%*s%s%*s", n ? "  " : "", right ? (int)pad : 0, "", s,
             right ? 0 : (int)pad, "");
}

/* Prints a line without its trailing blanks. */
static void put_line(char *line)
{
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    puts(line);
}

void table_flush(struct table *t)
{
    size_t width[TABLE_MAX_COLS] = {0};
    char line[4096];

    if (t->rows == 0)
        return;
    for (int i = 0; i < t->ncols; i++) {
        width[i] = odo_utf8_width(t->head[i]);
        for (int r = 0; r < t->rows; r++) {
            size_t w = odo_utf8_width(t->cells[r][i]);
            if (w > width[i])
                width[i] = w;
        }
    }
    if (!t->header_done) {
        line[0] = '\0';
        for (int i = 0; i < t->ncols; i++)
            put_cell(line, sizeof(line), t->head[i], width[i], t->right[i]);
        put_line(line);
        t->header_done = true;
    }
    for (int r = 0; r < t->rows; r++) {
        line[0] = '\0';
        for (int i = 0; i < t->ncols; i++) {
            put_cell(line, sizeof(line), t->cells[r][i], width[i], t->right[i]);
            free(t->cells[r][i]);
        }
        put_line(line);
    }
    t->rows = 0;
}

void table_end(struct table *t, const char *empty)
{
    table_flush(t);
    if (!t->any && empty)
        printf("%s\n", empty);
}

void jlist_begin(struct jlist *l)
{
    l->n = 0;
    fputc('[', stdout);
}

void jlist_add(struct jlist *l, cJSON *item)
{
    char *text = cJSON_PrintUnformatted(item);

    if (l->n++)
        fputc(',', stdout);
    fputs(text ? text : "null", stdout);
    free(text);
    cJSON_Delete(item);
}

void jlist_end(struct jlist *l)
{
    (void)l;
    fputs("]\n", stdout);
}

void json_print(cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    puts(text ? text : "null");
    free(text);
    cJSON_Delete(doc);
}

void json_dec(cJSON *o, const char *key, int64_t v, int scale, bool present)
{
    char buf[ODO_DEC_TEXT_MAX];
    if (!present) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    cJSON_AddStringToObject(o, key, odo_dec_format(v, scale, scale, buf, sizeof(buf)));
}

void json_str(cJSON *o, const char *key, const char *s)
{
    if (s && *s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

cJSON *json_vehicle(const struct odo_vehicle *v)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", v->id);
    json_str(o, "name", v->name);
    json_str(o, "vin", v->vin);
    json_str(o, "make", v->make);
    json_str(o, "model", v->model);
    json_str(o, "trim", v->trim);
    if (v->model_year)
        cJSON_AddNumberToObject(o, "model_year", v->model_year);
    else
        cJSON_AddNullToObject(o, "model_year");
    json_str(o, "plate", v->plate);
    json_str(o, "body_class", v->body_class);
    json_str(o, "engine", v->engine);
    json_str(o, "fuel_type", v->fuel_type);
    cJSON_AddStringToObject(o, "odometer_unit", odo_dist_unit_name(v->odometer_unit));
    json_dec(o, "odometer", v->odometer, ODO_SCALE_DISTANCE, v->odometer != ODO_NONE);
    json_str(o, "notes", v->notes);
    cJSON_AddStringToObject(o, "created_at", v->created_at);
    cJSON_AddStringToObject(o, "updated_at", v->updated_at);
    json_str(o, "deleted_at", v->deleted_at);
    return o;
}
