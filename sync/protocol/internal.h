/*
 * Inside the protocol module: reading and writing JSON fields (json.c) and values and row groups
 * (rows.c), which the message files (push.c, pull.c, vin.c, status.c) share. Nothing outside
 * sync/protocol/ includes this header.
 */
#ifndef ODO_SYNC_PROTOCOL_INTERNAL_H
#define ODO_SYNC_PROTOCOL_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/protocol/messages.h"

#define ODO_JSON_WHOLE_MAX 9007199254740992.0 /* 2^53: integers JSON numbers hold exactly */

/* ---- reading (json.c) ---------------------------------------------------------------- */

/* True when it is a JSON number holding a whole number in [min, max]. */
bool odo_json_whole(const cJSON *it, double min, double max);

/* Parses body, at most max bytes, as one JSON object; NULL with err set otherwise. */
cJSON *odo_json_parse(const char *body, size_t len, size_t max, struct odo_err *err);

/*
 * Opens a message: parses body (at most max bytes) into *doc, which the message keeps and frees,
 * also when a check fails; then refuses fields outside keys (NULL-terminated) and a version other
 * than this one. `what` names the message in the sentences ("a push").
 */
int odo_json_open(const char *body, size_t len, size_t max, const char *const *keys,
                  const char *what, void **doc, struct odo_err *err);

/* Refuses keys outside `allowed` (NULL-terminated) and any key given twice. */
int odo_json_check_keys(const cJSON *o, const char *const *allowed, const char *where,
                        struct odo_err *err);

/*
 * Field readers: 0 and *out set; 1 when an optional field is absent (odo_json_str sets *out to
 * NULL); a negative code with err set when the field is missing or malformed.
 */
int odo_json_int(const cJSON *o, const char *key, bool required, int64_t min, int64_t max,
                 int64_t *out, struct odo_err *err);
int odo_json_str(const cJSON *o, const char *key, bool required, size_t max, const char **out,
                 struct odo_err *err);
/* An absent flag is false (returns 0). */
int odo_json_bool(const cJSON *o, const char *key, bool *out, struct odo_err *err);
/* An absent optional HLC returns 0 and leaves *out alone. */
int odo_json_hlc(const cJSON *o, const char *key, bool required, odo_hlc *out, struct odo_err *err);
/* "v": this protocol's version, or an error. */
int odo_json_version(const cJSON *o, struct odo_err *err);
/* "device": a UUID, copied lower-case into out. */
int odo_json_device(const cJSON *o, char out[ODO_UUID_TEXT_LEN + 1], struct odo_err *err);

/* ---- writing (json.c) ---------------------------------------------------------------- */

/* An HLC as a JSON string of 16 hex digits. */
void odo_json_put_hlc(struct odo_buf *b, odo_hlc h);
/* A value: null, an integer or a string. */
void odo_json_put_val(struct odo_buf *b, const struct odo_val *v);

/* ---- row groups (rows.c) ------------------------------------------------------------- */

/* Whether a JSON item has the kind column c's values have (a mismatch fails the request). */
bool odo_rows_kind_fits(const struct odo_wire_col *c, const cJSON *it);
/* The value of a JSON item whose kind fits. */
void odo_rows_to_val(const cJSON *it, struct odo_val *v);
/* A group's "t" and "cols": the table and its column indexes (push: user tables only, and only
 * columns of schema or older); and its "rows", which must be an array. */
int odo_rows_decode_head(const cJSON *g, bool push, int schema, const struct odo_wire_table **table,
                         int *ncols, int cols[ODO_WIRE_COLS_MAX], const cJSON **rows,
                         struct odo_err *err);
/* The envelope a row opens with: [id, revision, ...], the id a UUID and the revision (called
 * rev_name in the sentence: "a base revision") a whole number. */
int odo_rows_decode_envelope(const cJSON *r, const char *rev_name, const char **id, int64_t *rev,
                             struct odo_err *err);
/* An array of groups of full rows ([id, rev, values...]), each value checked against its column.
 * On error nothing is left allocated. */
int odo_rows_decode_groups(const cJSON *arr, struct odo_row_group **out, size_t *nout,
                           struct odo_err *err);
void odo_rows_free_groups(struct odo_row_group *groups, size_t n);

/* Starts writing an array of groups into b (the caller wrote the '['). */
void odo_groups_start(struct odo_groups_out *o, struct odo_buf *b);
/* Begins the next group: closes the open one, if any. */
void odo_groups_next(struct odo_groups_out *o);
/* Separates an item of the open group from the one before it. */
void odo_groups_item(struct odo_groups_out *o);
/* Closes the last group, if any (the caller writes the ']'). */
void odo_groups_close(struct odo_groups_out *o);

/* Begins a group of rows: {"t": name, "cols": [names], "rows": [ */
void odo_rows_put_group(struct odo_groups_out *o, const struct odo_wire_table *t, const int *cols,
                        int ncols);
/* A full row of the open group: [id, rev, values...]. */
void odo_rows_put_row(struct odo_groups_out *o, const char *id, int64_t rev,
                      const struct odo_val *vals, int ncols);

#endif
