/*
 * The CSV reader of storage/io/csv.h: a buffered byte reader with one-record lookahead state.
 */
#define _GNU_SOURCE /* fseeko: files over 2 GB on 32-bit ARM too */
#include "storage/io/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READ_CHUNK 65536

struct odo_csv {
    FILE *f;
    char delim, escape;
    int64_t size;
    int64_t pos;  /* file offset of the next byte to read */
    long line;    /* line of the next byte */
    char *record; /* the unquoted fields, NUL-separated */
    size_t len;
};

int odo_csv_open(const char *path, struct odo_csv **out, struct odo_err *err)
{
    struct odo_csv *r;
    struct stat st;
    unsigned char bom[3];

    *out = NULL;
    r = calloc(1, sizeof(*r));
    if (!r || !(r->record = malloc(ODO_CSV_RECORD_MAX + 1))) {
        free(r);
        return odo_err_set(err, ODO_ENOMEM, "out of memory reading '%s'", path);
    }
    r->f = fopen(path, "rb");
    if (!r->f || fstat(fileno(r->f), &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = r->f ? (S_ISDIR(st.st_mode) ? EISDIR : errno) : errno;
        odo_csv_close(r);
        return odo_err_set(err, ODO_EIO, "cannot read '%s': %s", path, strerror(e));
    }
    setvbuf(r->f, NULL, _IOFBF, READ_CHUNK);
    r->size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : 0;
    r->delim = ',';
    r->line = 1;
    /* A UTF-8 byte-order mark is no part of the first field. */
    if (fread(bom, 1, 3, r->f) == 3 && bom[0] == 0xef && bom[1] == 0xbb && bom[2] == 0xbf)
        r->pos = 3;
    if (fseeko(r->f, (off_t)r->pos, SEEK_SET) != 0) {
        odo_csv_close(r);
        return odo_err_set(err, ODO_EIO, "cannot read '%s': it is not a file to read from", path);
    }
    *out = r;
    return 0;
}

void odo_csv_close(struct odo_csv *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->record);
    free(r);
}

void odo_csv_set_format(struct odo_csv *r, char delimiter, char escape)
{
    r->delim = delimiter;
    r->escape = escape;
}

int64_t odo_csv_position(const struct odo_csv *r)
{
    return r->pos;
}

int64_t odo_csv_size(const struct odo_csv *r)
{
    return r->size;
}

const char *odo_csv_field(const struct odo_csv_record *rec, int index)
{
    return index >= 0 && index < rec->n ? rec->field[index] : "";
}

int odo_csv_seek(struct odo_csv *r, int64_t offset, long line, struct odo_err *err)
{
    if (fseeko(r->f, (off_t)offset, SEEK_SET) != 0)
        return odo_err_set(err, ODO_EIO, "cannot go back in the file: %s", strerror(errno));
    r->pos = offset;
    r->line = line;
    return 0;
}

/* Appends byte c to the record being read. */
static int put(struct odo_csv *r, char c, long line, struct odo_err *err)
{
    if (r->len >= ODO_CSV_RECORD_MAX)
        return odo_err_set(err, ODO_ETOOBIG,
                           "line %ld: a record is longer than %d bytes: is this a CSV file?", line,
                           ODO_CSV_RECORD_MAX);
    r->record[r->len++] = c;
    return 0;
}

/* Ends the field being read at `start` in the record. */
static int end_field(struct odo_csv *r, struct odo_csv_record *rec, size_t *start, long line,
                     struct odo_err *err)
{
    int rc;

    if (rec->n >= ODO_CSV_COLS_MAX)
        return odo_err_set(err, ODO_ETOOBIG, "line %ld: more than %d fields in one record", line,
                           ODO_CSV_COLS_MAX);
    if ((rc = put(r, '\0', line, err)))
        return rc;
    rec->field[rec->n++] = r->record + *start;
    *start = r->len;
    return 0;
}

int odo_csv_next(struct odo_csv *r, struct odo_csv_record *rec, struct odo_err *err)
{
    bool quoted = false, was_quoted = false, any = false;
    size_t start = 0;
    int c, rc;

    memset(rec, 0, sizeof(*rec));
    rec->line = r->line;
    rec->offset = r->pos;
    r->len = 0;
    for (;;) {
        c = getc(r->f);
        if (c == EOF) {
            if (ferror(r->f))
                return odo_err_set(err, ODO_EIO, "cannot read the file: %s", strerror(errno));
            if (!any)
                return 0;
            break;
        }
        r->pos++;
        any = true;
        if (c == '\n')
            r->line++;
        if (!r->delim) { /* whole lines */
            if (c == '\n')
                break;
            if (c != '\r' && (rc = put(r, (char)c, rec->line, err)))
                return rc;
            continue;
        }
        if (quoted) {
            if (c == '"') {
                int d = getc(r->f);
                if (d == '"') {
                    r->pos++;
                    if ((rc = put(r, '"', rec->line, err)))
                        return rc;
                    continue;
                }
                if (d != EOF)
                    ungetc(d, r->f);
                quoted = false;
                continue;
            }
            if ((rc = put(r, (char)c, rec->line, err)))
                return rc;
            continue;
        }
        if (r->escape && c == r->escape) {
            int d = getc(r->f);
            if (d == EOF)
                break;
            r->pos++;
            if (d == '\n')
                r->line++;
            if ((rc = put(r, (char)d, rec->line, err)))
                return rc;
            continue;
        }
        if (c == '"' && r->len == start && !was_quoted) {
            quoted = was_quoted = true;
            continue;
        }
        if (c == '\r')
            continue;
        if (c == '\n')
            break;
        if (c == r->delim) {
            if ((rc = end_field(r, rec, &start, rec->line, err)))
                return rc;
            was_quoted = false;
            continue;
        }
        if ((rc = put(r, (char)c, rec->line, err)))
            return rc;
    }
    if ((rc = end_field(r, rec, &start, rec->line, err)))
        return rc;
    rec->blank = rec->n == 1 && !rec->field[0][0] && !was_quoted;
    return 1;
}
