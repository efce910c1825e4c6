/*
 * A CSV reader for imports: RFC 4180 records (quoted fields, doubled quotes, line breaks inside
 * quotes), any one-byte delimiter, an optional escape character (Spritmonitor writes \;), a
 * UTF-8 byte-order mark skipped, CR LF or LF line ends. It reads a file record by record with
 * a capped buffer, so memory does not grow with the file, and it can go back to any record it
 * has read (by the offset it reported), which the importer uses to revisit rows in date order.
 *
 * Inside the storage module only (storage/io): its callers are the importer's formats.
 */
#ifndef ODO_STORAGE_IO_CSV_H
#define ODO_STORAGE_IO_CSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "platform/error.h"

#define ODO_CSV_COLS_MAX   160   /* fields in one record */
#define ODO_CSV_RECORD_MAX 65536 /* bytes in one record */

struct odo_csv_record {
    int n;                         /* fields */
    char *field[ODO_CSV_COLS_MAX]; /* NUL-terminated, unquoted; valid until the next read */
    long line;                     /* the line the record starts on, from 1 */
    int64_t offset;                /* where it starts in the file, for odo_csv_seek */
    bool blank;                    /* the record is an empty line (n is 1, field[0] "") */
};

struct odo_csv;

/* Opens path for reading. ODO_EIO (with the file's name and why) when it cannot be read. The
 * caller closes the reader with odo_csv_close. */
int odo_csv_open(const char *path, struct odo_csv **out, struct odo_err *err) ODO_MUST_CHECK;
void odo_csv_close(struct odo_csv *r);

/* The delimiter (default ',') and escape character (default none: 0). A delimiter of 0 reads
 * each line whole as one field, quotes and all (JSON lines). */
void odo_csv_set_format(struct odo_csv *r, char delimiter, char escape);

/*
 * Reads the next record into *rec. Returns 1, 0 at the end of the file, or ODO_ETOOBIG (a
 * record longer than ODO_CSV_RECORD_MAX or with more than ODO_CSV_COLS_MAX fields: the line is
 * named) or ODO_EIO.
 */
int odo_csv_next(struct odo_csv *r, struct odo_csv_record *rec, struct odo_err *err) ODO_MUST_CHECK;

/* Goes back to the record that started at offset on line `line` (as a record reported them). */
int odo_csv_seek(struct odo_csv *r, int64_t offset, long line, struct odo_err *err) ODO_MUST_CHECK;

/* How far reading has come, and the file's size, in bytes (for a progress bar). */
int64_t odo_csv_position(const struct odo_csv *r);
int64_t odo_csv_size(const struct odo_csv *r);

/* The field of rec named by a header lookup: "" when index < 0 or past the record's end. */
const char *odo_csv_field(const struct odo_csv_record *rec, int index);

#endif
