/*
 * Helpers shared by the odolog commands.
 */
#define _GNU_SOURCE
#include "firmware/odolog/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "platform/text.h"
#include "platform/decimal.h"
#include "storage/entry.h"
#include "storage/maintenance.h"
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
    case ODO_EIO:
        return EXIT_FILE;
    case ODO_ENET:
    case ODO_EPROTO:
    case ODO_EAUTH:
    case ODO_EUPGRADE:
        return EXIT_SYNC;
    default:
        return EXIT_STORAGE;
    }
}

/* The word an exit code goes by in a JSON error. */
static const char *exit_name(int code)
{
    static const char *const names[] = {"ok",      "usage", "invalid", "not_found",
                                        "storage", "sync",  "file"};
    return code >= 0 && code < (int)ODO_ARRAY_LEN(names) ? names[code] : "error";
}

int cli_report(struct cli *c, int code, const char *message)
{
    if (c && c->json) {
        cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
        char *text;

        cJSON_AddNumberToObject(e, "exit", code);
        cJSON_AddStringToObject(e, "kind", exit_name(code));
        cJSON_AddStringToObject(e, "message", message);
        text = cJSON_PrintUnformatted(o);
        fprintf(stderr, "%s\n", text ? text : "{\"error\":null}");
        free(text);
        cJSON_Delete(o);
    } else {
        fprintf(stderr, "odolog: %s\n", message);
    }
    return code;
}

int cli_fail(struct cli *c, int rc)
{
    return cli_report(c, cli_exit_code(rc), odo_err_text(&c->err, rc));
}

/* The first line of cmd's usage ("fuel add [--vehicle V] ..."). */
static void usage_line(const struct cli_command *cmd, char *out, size_t cap)
{
    size_t n = strcspn(cmd->usage, "\n");

    snprintf(out, cap, "%.*s", (int)n, cmd->usage);
}

int cli_usage(struct cli *c, const struct cli_command *cmd, const char *fmt, ...)
{
    char msg[512], line[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c && c->json)
        return cli_report(c, EXIT_USAGE, msg);
    fprintf(stderr, "odolog: %s\n", msg);
    if (cmd) {
        usage_line(cmd, line, sizeof(line));
        fprintf(stderr, "usage: odolog %s\n(see 'odolog %s%s%s --help')\n", line, cmd->name,
                cmd->sub ? " " : "", cmd->sub ? cmd->sub : "");
    } else {
        fputs("(see 'odolog --help')\n", stderr);
    }
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

int cli_getopt(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
               const struct option *opts, const char *shortopts)
{
    int ch;

    /* getopt words the problem itself, except under --json, where it is worded here. */
    opterr = !c->json;
    ch = getopt_long(argc, argv, shortopts, opts, NULL);
    if (ch == 'h') {
        cli_help(cmd);
        return 'h';
    }
    if (ch == '?' || ch == ':') {
        if (c->json) {
            const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
            cli_usage(c, cmd, ch == ':' ? "option '%s' needs a value" : "unknown option '%s'", arg);
        } else {
            char line[256];
            usage_line(cmd, line, sizeof(line));
            fprintf(stderr, "usage: odolog %s\n(see 'odolog %s%s%s --help')\n", line, cmd->name,
                    cmd->sub ? " " : "", cmd->sub ? cmd->sub : "");
        }
        return '?';
    }
    return ch;
}

int cli_one_arg(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                const char *missing, const char **arg)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int ch;

    while ((ch = cli_getopt(c, cmd, argc, argv, opts, "h")) != -1)
        return ch == 'h' ? -1 : EXIT_USAGE;
    return cli_positional(c, cmd, argc, argv, missing, arg);
}

int cli_positional(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
                   const char *missing, const char **arg)
{
    if (optind >= argc)
        return cli_usage(c, cmd, "%s", missing);
    if (optind + 1 < argc)
        return cli_usage(c, cmd, "unexpected argument '%s'", argv[optind + 1]);
    *arg = argv[optind];
    return 0;
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
    return odo_entry_distance(s, what, out, &c->err);
}

int cli_volume(struct cli *c, const char *s, int64_t *out)
{
    return odo_entry_volume(s, out, &c->err);
}

int cli_price(struct cli *c, const char *s, int64_t *out)
{
    return odo_entry_price(s, out, &c->err);
}

int cli_money(struct cli *c, const char *s, const char *what, int64_t *out)
{
    return odo_entry_money(s, what, out, &c->err);
}

int cli_int(struct cli *c, const char *s, const char *what, long min, long max, long *out)
{
    return odo_entry_int(s, what, min, max, out, &c->err);
}

int cli_copy(struct cli *c, char *dst, size_t cap, const char *src, const char *what)
{
    return odo_entry_copy(dst, cap, src, what, &c->err);
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
        t->align[i] = align && (align[i] == 'r' || align[i] == 'd') ? align[i] : 'l';
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

/* A 'd' cell in three parts: the integer part ("-" when it is no number), the fraction with its
 * point, and the rest (" gal"). Widths in display columns. */
struct dec_cell {
    size_t int_len, frac_len; /* bytes */
    size_t int_w, frac_w, rest_w;
};

static void split_dec(const char *s, struct dec_cell *d)
{
    size_t n = (s[0] == '-' && isdigit((unsigned char)s[1])) ? 1 : 0;

    while (isdigit((unsigned char)s[n]))
        n++;
    d->int_len = n;
    d->frac_len = 0;
    if (n && s[n] == '.' && isdigit((unsigned char)s[n + 1])) {
        size_t f = 1;
        while (isdigit((unsigned char)s[n + f]))
            f++;
        d->frac_len = f;
    }
    if (n == 0) { /* no number: the whole cell sits where the numbers end */
        d->int_len = strlen(s);
        d->int_w = odo_utf8_width(s);
        d->frac_w = d->rest_w = 0;
        return;
    }
    d->int_w = d->int_len;
    d->frac_w = d->frac_len;
    d->rest_w = odo_utf8_width(s + d->int_len + d->frac_len);
}

/* The widths of a 'd' column: integer parts, fractions, rests. */
struct dec_col {
    size_t int_w, frac_w, rest_w;
};

/* Appends text padded with spaces: `left` before it, `right` after. */
static void put_padded(char *line, size_t cap, const char *s, size_t len, size_t left, size_t right)
{
    size_t n = strlen(line);
    snprintf(line + n, cap - n, "%*s%.*s%*s", (int)left, "", (int)len, s, (int)right, "");
}

/* Appends one cell to line, padded to width by the column's alignment. */
static void put_cell(char *line, size_t cap, const char *s, size_t width, char align,
                     const struct dec_col *dc)
{
    size_t w = odo_utf8_width(s), pad = width > w ? width - w : 0, n = strlen(line);

    if (n && n + 2 < cap)
        strcat(line, "  ");
    if (align == 'd' && dc) {
        struct dec_cell d;
        size_t lead;

        split_dec(s, &d);
        lead = width - (dc->int_w + dc->frac_w + dc->rest_w); /* a header wider than the data */
        put_padded(line, cap, s, d.int_len, lead + dc->int_w - d.int_w, 0);
        put_padded(line, cap, s + d.int_len, d.frac_len, 0, dc->frac_w - d.frac_w);
        put_padded(line, cap, s + d.int_len + d.frac_len, strlen(s + d.int_len + d.frac_len), 0,
                   dc->rest_w - d.rest_w);
        return;
    }
    put_padded(line, cap, s, strlen(s), align == 'l' ? 0 : pad, align == 'l' ? pad : 0);
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
    struct dec_col dc[TABLE_MAX_COLS];
    char line[4096];

    if (t->rows == 0)
        return;
    memset(dc, 0, sizeof(dc));
    for (int i = 0; i < t->ncols; i++) {
        for (int r = 0; r < t->rows; r++) {
            size_t w = odo_utf8_width(t->cells[r][i]);
            if (t->align[i] == 'd') {
                struct dec_cell d;
                split_dec(t->cells[r][i], &d);
                dc[i].int_w = d.int_w > dc[i].int_w ? d.int_w : dc[i].int_w;
                dc[i].frac_w = d.frac_w > dc[i].frac_w ? d.frac_w : dc[i].frac_w;
                dc[i].rest_w = d.rest_w > dc[i].rest_w ? d.rest_w : dc[i].rest_w;
                w = dc[i].int_w + dc[i].frac_w + dc[i].rest_w;
            }
            if (w > width[i])
                width[i] = w;
        }
        if (odo_utf8_width(t->head[i]) > width[i])
            width[i] = odo_utf8_width(t->head[i]);
    }
    if (!t->header_done) {
        line[0] = '\0';
        for (int i = 0; i < t->ncols; i++)
            put_cell(line, sizeof(line), t->head[i], width[i],
                     t->align[i] == 'd' ? 'r' : t->align[i], NULL);
        put_line(line);
        t->header_done = true;
    }
    for (int r = 0; r < t->rows; r++) {
        line[0] = '\0';
        for (int i = 0; i < t->ncols; i++) {
            put_cell(line, sizeof(line), t->cells[r][i], width[i], t->align[i], &dc[i]);
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

void *cli_list_new(struct cli *c, size_t size, int ncols, const char *const *head,
                   const char *align)
{
    struct cli_list *l = calloc(1, size);

    if (!l)
        return NULL;
    l->c = c;
    table_init(&l->t, ncols, head, align);
    if (c->json)
        jlist_begin(&l->j);
    return l;
}

int cli_list_end(struct cli_list *l, int rc, const char *empty)
{
    struct cli *c = l->c;

    if (c->json)
        jlist_end(&l->j);
    else
        table_end(&l->t, empty);
    free(l); /* the whole listing: a struct cli_list is the first member of a larger one */
    return rc ? cli_fail(c, rc) : 0;
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

void cli_date_text(int32_t d, char out[ODO_DATE_TEXT_LEN + 1])
{
    if (d == ODO_NO_DATE)
        strcpy(out, "-");
    else
        odo_date_format(d, out);
}

void json_date(cJSON *o, const char *key, int32_t d)
{
    char t[ODO_DATE_TEXT_LEN + 1];

    if (d == ODO_NO_DATE) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    odo_date_format(d, t);
    cJSON_AddStringToObject(o, key, t);
}

void json_time(cJSON *o, const char *key, int64_t ms)
{
    char t[ODO_TIME_TEXT_LEN + 1];

    odo_time_format(ms, t);
    cJSON_AddStringToObject(o, key, t);
}

cJSON *json_record(const char *id, const char *vehicle_id)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "vehicle_id", vehicle_id);
    return o;
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
