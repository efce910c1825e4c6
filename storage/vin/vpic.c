/*
 * Offline VIN decoding over vPIC's tables. See vpic.h and docs/vin.md.
 */
#include "storage/vin/vpic.h"

#include "storage/vin/internal.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "platform/clock.h"
#include "platform/fs.h"
#include "platform/text.h"

/* Elements vPIC fills from the WMI or the input, never from patterns. */
enum {
    EL_MAKE = 26,
    EL_MANUFACTURER = 27,
    EL_MODEL = 28,
    EL_MODEL_YEAR = 29,
    EL_VEHICLE_TYPE = 39
};

/* The elements we report, and where each goes. */
static const struct {
    int element;
    size_t offset, size;
} reported[] = {
#define F(el, field)                                                                               \
    {                                                                                              \
        el, offsetof(struct odo_vin_decoded, field), sizeof(((struct odo_vin_decoded *)0)->field)  \
    }
    F(5, body_class),
    F(9, engine_cylinders),
    F(13, displacement_l),
    F(14, doors),
    F(15, drive_type),
    F(18, engine_model),
    F(24, fuel_type),
    F(25, gvwr),
    F(31, plant_city),
    F(34, series),
    F(37, transmission),
    F(38, trim),
    F(64, engine_configuration),
    F(66, fuel_type_secondary),
    F(71, engine_hp),
    F(75, plant_country),
    F(77, plant_state),
    F(126, electrification),
#undef F
};

static const struct odo_vin_field fields[] = {
#define T(field)                                                                                   \
    {                                                                                              \
#field, offsetof(struct odo_vin_decoded, field),                                           \
            sizeof(((struct odo_vin_decoded *)0)->field)                                           \
    }
    T(make),
    T(model),
    T(manufacturer),
    T(series),
    T(trim),
    T(body_class),
    T(vehicle_type),
    T(doors),
    T(drive_type),
    T(transmission),
    T(engine_model),
    T(engine_cylinders),
    T(displacement_l),
    T(engine_hp),
    T(engine_configuration),
    T(fuel_type),
    T(fuel_type_secondary),
    T(electrification),
    T(gvwr),
    T(plant_country),
    T(plant_city),
    T(plant_state),
    T(region),
    T(country),
#undef T
};

const struct odo_vin_field *odo_vin_fields(size_t *count)
{
    *count = sizeof(fields) / sizeof(fields[0]);
    return fields;
}

struct element {
    int id;
    bool private_, lookup_ok; /* lookup_ok: its lookup table exists here */
    char lookup[48];          /* "" when the value is the attribute itself */
    sqlite3_stmt *lookup_st;  /* prepared on first use */
};

struct odo_vpic {
    sqlite3 *db;
    sqlite3_stmt *wmi, *schemas, *patterns, *make_of_model, *makes_of_wmi, *make_by_id,
        *engine_model;
    struct element *elements;
    int nelements;
    char installed_at[64];
};

/* ---- helpers ---------------------------------------------------------------------------- */

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    odo_strlcpy(out, t ? (const char *)t : "", cap);
}

static int prep(struct odo_vpic *v, const char *sql, sqlite3_stmt **st, struct odo_err *err)
{
    if (sqlite3_prepare_v3(v->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return odo_err_set(err, ODO_ENOTDB, "the vPIC database lacks what decoding needs (%s)",
                           sqlite3_errmsg(v->db));
    return 0;
}

static struct element *element(struct odo_vpic *v, int id)
{
    int lo = 0, hi = v->nelements - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (v->elements[mid].id == id)
            return &v->elements[mid];
        if (v->elements[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

bool odo_vpic_identifier(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* ---- opening ---------------------------------------------------------------------------- */

void odo_vpic_close(struct odo_vpic *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->nelements; i++)
        sqlite3_finalize(v->elements[i].lookup_st);
    sqlite3_finalize(v->wmi);
    sqlite3_finalize(v->schemas);
    sqlite3_finalize(v->patterns);
    sqlite3_finalize(v->make_of_model);
    sqlite3_finalize(v->makes_of_wmi);
    sqlite3_finalize(v->make_by_id);
    sqlite3_finalize(v->engine_model);
    sqlite3_close(v->db);
    free(v->elements);
    free(v);
}

const char *odo_vpic_installed_at(const struct odo_vpic *v)
{
    return v->installed_at;
}

static int load_elements(struct odo_vpic *v, struct odo_err *err)
{
    sqlite3_stmt *st;
    int cap = 256, rc;

    if (prep(v,
             "SELECT e.Id, coalesce(e.IsPrivate, 0), coalesce(e.LookupTable, ''), "
             "EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'table' AND m.name = "
             "e.LookupTable) FROM Element e ORDER BY e.Id",
             &st, err))
        return ODO_ENOTDB;
    v->elements = calloc((size_t)cap, sizeof(*v->elements));
    if (!v->elements) {
        sqlite3_finalize(st);
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && v->nelements < cap) {
        struct element *e = &v->elements[v->nelements++];
        e->id = sqlite3_column_int(st, 0);
        e->private_ = sqlite3_column_int(st, 1) != 0;
        copy_col(st, 2, e->lookup, sizeof(e->lookup));
        e->lookup_ok = sqlite3_column_int(st, 3) != 0 && odo_vpic_identifier(e->lookup);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return odo_err_set(err, ODO_ENOTDB, "the vPIC element table cannot be read");
    return 0;
}

int odo_vpic_open(const char *path, struct odo_vpic **out, struct odo_err *err)
{
    struct odo_vpic *v;
    sqlite3_stmt *st = NULL;
    struct stat sb;
    char uri[4200];
    int rc;

    *out = NULL;
    if (stat(path, &sb) != 0)
        return odo_err_set(err, ODO_ENOTFOUND,
                           "no vPIC database at %s: install one with 'odolog vin db install FILE'",
                           path);
    if (!(v = calloc(1, sizeof(*v))))
        return odo_err_set(err, ODO_ENOMEM, "out of memory");
    /* Read only, and no journal to look for: the installed file never changes in place. */
    snprintf(uri, sizeof(uri), "file:%s?mode=ro&immutable=1", path);
    if (sqlite3_open_v2(uri, &v->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        rc = odo_err_set(err, ODO_ENOTDB, "%s cannot be opened as a vPIC database: %s", path,
                         sqlite3_errmsg(v->db));
        goto fail;
    }
    if (sqlite3_prepare_v2(v->db, "SELECT value FROM odo_vpic_meta WHERE key = 'format'", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), ODO_VPIC_FORMAT)) {
        rc = odo_err_set(err, ODO_ENOTDB,
                         "%s is not a vPIC database installed by this odolog: run "
                         "'odolog vin db install FILE' with the published file",
                         path);
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(v->db, "SELECT value FROM odo_vpic_meta WHERE key = 'installed_at'", -1,
                           &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        copy_col(st, 0, v->installed_at, sizeof(v->installed_at));
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = load_elements(v, err)) ||
        (rc = prep(v,
                   "SELECT w.Id, coalesce(w.MakeId, 0), coalesce(w.VehicleTypeId, 0), "
                   "coalesce(vt.Name, ''), coalesce(mf.Name, '') FROM Wmi w "
                   "LEFT JOIN VehicleType vt ON vt.Id = w.VehicleTypeId "
                   "LEFT JOIN Manufacturer mf ON mf.Id = w.ManufacturerId WHERE w.Wmi = ?1",
                   &v->wmi, err)) ||
        (rc = prep(v,
                   "SELECT wvs.VinSchemaId FROM Wmi_VinSchema wvs WHERE wvs.WmiId = ?1 AND "
                   "?2 >= wvs.YearFrom AND (wvs.YearTo IS NULL OR ?2 <= wvs.YearTo)",
                   &v->schemas, err)) ||
        (rc = prep(v,
                   "SELECT p.Id, upper(p.Keys), p.ElementId, p.AttributeId FROM Pattern p "
                   "WHERE p.VinSchemaId = ?1",
                   &v->patterns, err)) ||
        (rc = prep(v,
                   "SELECT m.Name FROM Make_Model mm JOIN Make m ON m.Id = mm.MakeId "
                   "WHERE mm.ModelId = ?1 LIMIT 2",
                   &v->make_of_model, err)) ||
        (rc = prep(v,
                   "SELECT m.Name FROM Wmi_Make wm JOIN Make m ON m.Id = wm.MakeId "
                   "WHERE wm.WmiId = ?1 LIMIT 2",
                   &v->makes_of_wmi, err)) ||
        (rc = prep(v, "SELECT Name FROM Make WHERE Id = ?1", &v->make_by_id, err)) ||
        (rc = prep(v,
                   "SELECT emp.ElementId, emp.AttributeId FROM EngineModel em "
                   "JOIN EngineModelPattern emp ON emp.EngineModelId = em.Id WHERE em.Name = ?1",
                   &v->engine_model, err)))
        goto fail;
    *out = v;
    return 0;
fail:
    sqlite3_finalize(st);
    odo_vpic_close(v);
    return rc;
}

/* ---- matching --------------------------------------------------------------------------- */

/*
 * Whether pattern keys match the VIN's keys (positions 4-8, '|', positions 10-17) as a prefix:
 * '*' any one character, "[...]" one character of a set with ranges ("[A-HJ]"), anything else
 * itself. *constrained receives the number of positions the pattern pins (a literal or a set),
 * and *mask which of positions 4-8 (bits 0-4) it pins.
 */
static bool keys_match(const char *vin_keys, const char *pat, int *constrained, unsigned *mask)
{
    int pos = 0;

    *constrained = 0;
    *mask = 0;
    for (const char *p = pat; *p; pos++) {
        char c = vin_keys[pos];
        if (!c)
            return false; /* the pattern is longer than a VIN */
        if (*p == '[') {
            const char *end = strchr(p, ']');
            bool in = false;
            if (!end)
                return false;
            for (const char *q = p + 1; q < end; q++) {
                if (q + 2 < end && q[1] == '-') {
                    in |= c >= q[0] && c <= q[2];
                    q += 2;
                } else {
                    in |= c == *q;
                }
            }
            if (!in)
                return false;
            p = end + 1;
        } else {
            if (*p != '*' && *p != c)
                return false;
            if (*p == '*' || *p == '|') {
                p++;
                continue;
            }
            p++;
        }
        (*constrained)++;
        if (pos < 5)
            *mask |= 1u << pos;
    }
    return true;
}

struct match {
    int element;
    int schema;
    int64_t pattern;
    int constrained;
    char attribute[96];
};

struct matches {
    struct match *m;
    int n, cap;
    int schemas[64], schema_elements[64], nschemas;
    unsigned covered; /* VDS positions (4-8) pinned by some matching pattern */
};

static int add_match(struct matches *ms, const struct match *m)
{
    if (ms->n == ms->cap) {
        int cap = ms->cap ? ms->cap * 2 : 64;
        struct match *n = realloc(ms->m, (size_t)cap * sizeof(*n));
        if (!n)
            return ODO_ENOMEM;
        ms->m = n;
        ms->cap = cap;
    }
    ms->m[ms->n++] = *m;
    return 0;
}

/* Collects the patterns of wmi's schemas for year that match the VIN. */
static int collect(struct odo_vpic *v, int64_t wmi_id, int year, const char *vin_keys,
                   struct matches *ms, struct odo_err *err)
{
    int rc;

    ms->n = 0;
    ms->nschemas = 0;
    ms->covered = 0;
    sqlite3_bind_int64(v->schemas, 1, wmi_id);
    sqlite3_bind_int(v->schemas, 2, year);
    while ((rc = sqlite3_step(v->schemas)) == SQLITE_ROW && ms->nschemas < 64)
        ms->schemas[ms->nschemas++] = sqlite3_column_int(v->schemas, 0);
    sqlite3_reset(v->schemas);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return odo_err_set(err, ODO_ESTORAGE, "reading vPIC schemas: %s", sqlite3_errmsg(v->db));
    for (int s = 0; s < ms->nschemas; s++) {
        uint64_t seen[4] = {0, 0, 0, 0}; /* elements this schema matched (ids < 256) */
        ms->schema_elements[s] = 0;
        sqlite3_bind_int(v->patterns, 1, ms->schemas[s]);
        while ((rc = sqlite3_step(v->patterns)) == SQLITE_ROW) {
            struct match m;
            unsigned mask;
            const char *keys = (const char *)sqlite3_column_text(v->patterns, 1);
            m.element = sqlite3_column_int(v->patterns, 2);
            if (!keys || m.element == EL_MAKE || m.element == EL_MANUFACTURER ||
                m.element == EL_MODEL_YEAR || m.element == EL_VEHICLE_TYPE)
                continue;
            if (!keys_match(vin_keys, keys, &m.constrained, &mask))
                continue;
            struct element *e = element(v, m.element);
            if (!e || e->private_)
                continue;
            m.schema = ms->schemas[s];
            m.pattern = sqlite3_column_int64(v->patterns, 0);
            copy_col(v->patterns, 3, m.attribute, sizeof(m.attribute));
            ms->covered |= mask;
            if (m.element > 0 && m.element < 256 &&
                !(seen[m.element / 64] >> (m.element % 64) & 1)) {
                seen[m.element / 64] |= 1ULL << (m.element % 64);
                ms->schema_elements[s]++;
            }
            if (add_match(ms, &m)) {
                sqlite3_reset(v->patterns);
                return odo_err_set(err, ODO_ENOMEM, "out of memory");
            }
        }
        sqlite3_reset(v->patterns);
        if (rc != SQLITE_DONE)
            return odo_err_set(err, ODO_ESTORAGE, "reading vPIC patterns: %s",
                               sqlite3_errmsg(v->db));
    }
    return 0;
}

static int schema_score(const struct matches *ms, int schema)
{
    for (int s = 0; s < ms->nschemas; s++)
        if (ms->schemas[s] == schema)
            return ms->schema_elements[s];
    return 0;
}

/*
 * The match that decides element: the pattern that pins the most positions; between equals,
 * the one from the schema that matches this VIN in the most elements (the schema written for
 * this vehicle rather than a neighbour's); then the newest pattern.
 */
static const struct match *best(const struct matches *ms, int element)
{
    const struct match *b = NULL;
    int bscore = 0;

    for (int i = 0; i < ms->n; i++) {
        const struct match *m = &ms->m[i];
        if (m->element != element)
            continue;
        int score = schema_score(ms, m->schema);
        if (!b || m->constrained > b->constrained ||
            (m->constrained == b->constrained &&
             (score > bscore || (score == bscore && m->pattern > b->pattern)))) {
            b = m;
            bscore = score;
        }
    }
    return b;
}

static int count_elements(const struct matches *ms)
{
    int n = 0;
    for (int i = 0; i < ms->n; i++) {
        bool first = true;
        for (int j = 0; j < i && first; j++)
            first = ms->m[j].element != ms->m[i].element;
        n += first;
    }
    return n;
}

/* The value of element for attribute: its lookup table's name, or the attribute itself. */
static int resolve(struct odo_vpic *v, int id, const char *attribute, char *out, size_t cap,
                   struct odo_err *err)
{
    struct element *e = element(v, id);
    char sql[128];
    int rc;

    out[0] = '\0';
    if (!e)
        return 0;
    if (!e->lookup[0]) {
        odo_strlcpy(out, attribute, cap);
        return 0;
    }
    if (!e->lookup_ok)
        return 0; /* this edition lacks the table: better nothing than a bare number */
    if (!e->lookup_st) {
        snprintf(sql, sizeof(sql), "SELECT Name FROM \"%s\" WHERE Id = ?1", e->lookup);
        if (sqlite3_prepare_v3(v->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &e->lookup_st, NULL) !=
            SQLITE_OK)
            return odo_err_set(err, ODO_ESTORAGE, "reading vPIC table %s: %s", e->lookup,
                               sqlite3_errmsg(v->db));
    }
    sqlite3_bind_text(e->lookup_st, 1, attribute, -1, SQLITE_STATIC);
    rc = sqlite3_step(e->lookup_st);
    if (rc == SQLITE_ROW)
        copy_col(e->lookup_st, 0, out, cap);
    sqlite3_reset(e->lookup_st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? 0
               : odo_err_set(err, ODO_ESTORAGE, "reading vPIC table %s", e->lookup);
}

/* One name from a statement bound to one integer; "" unless exactly one row. */
static void single_name(sqlite3_stmt *st, int64_t id, char *out, size_t cap)
{
    out[0] = '\0';
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        copy_col(st, 0, out, cap);
        if (sqlite3_step(st) == SQLITE_ROW)
            out[0] = '\0';
    }
    sqlite3_reset(st);
}

void odo_vin_engine_text(const struct odo_vin_decoded *d, char *out, size_t cap)
{
    size_t n = 0;

    out[0] = '\0';
    if (d->displacement_l[0])
        n += (size_t)snprintf(out + n, cap - n, "%.8s L", d->displacement_l);
    if (d->engine_cylinders[0] && n < cap)
        n += (size_t)snprintf(out + n, cap - n, "%s%.4s cyl", n ? ", " : "", d->engine_cylinders);
    if (d->engine_configuration[0] && n < cap)
        n += (size_t)snprintf(out + n, cap - n, "%s%.30s", n ? " " : "", d->engine_configuration);
    if (d->engine_model[0] && n < cap)
        snprintf(out + n, cap - n, "%s%.40s", n ? ", " : "", d->engine_model);
}

static void add_error(struct odo_vin_decoded *d, int code, const char *text)
{
    size_t n = strlen(d->error_text);
    if (d->nerrors < ODO_VPIC_ERRORS_MAX)
        d->errors[d->nerrors++] = code;
    snprintf(d->error_text + n, sizeof(d->error_text) - n, "%s%d - %s", n ? "; " : "", code, text);
}

int odo_vin_decode_offline(const char *raw, int ref_year, struct odo_vin_decoded *d,
                           struct odo_err *err)
{
    struct odo_vin_info info;
    int rc = odo_vin_decode(raw, ref_year, &info, NULL);

    memset(d, 0, sizeof(*d));
    strcpy(d->source, "vin");
    if (rc != 0 && (info.errors & (ODO_VIN_BAD_LENGTH | ODO_VIN_BAD_CHARS)))
        return odo_vin_decode(raw, ref_year, &info, err); /* the same refusal, with its words */
    memcpy(d->vin, info.vin, sizeof(d->vin));
    odo_strlcpy(d->region, info.region, sizeof(d->region));
    odo_strlcpy(d->country, info.country, sizeof(d->country));
    d->model_year = info.model_year;
    if (!info.check_digit_ok)
        add_error(d, ODO_VPIC_CHECK_DIGIT, "check digit (position 9) does not calculate properly");
    if (!info.model_year)
        add_error(d, ODO_VPIC_BAD_YEAR, "position 10 is no model-year code");
    return 0;
}

int odo_vpic_decode(struct odo_vpic *v, const char *raw, int ref_year, struct odo_vin_decoded *d,
                    struct odo_err *err)
{
    struct odo_vin_info info;
    struct matches ms, other;
    char wmi[7], keys[16];
    int64_t wmi_id, make_id;
    int vehicle_type, year, rc;

    if ((rc = odo_vin_decode_offline(raw, ref_year, d, err)))
        return rc;
    strcpy(d->source, "vpic");
    (void)!odo_vin_decode(d->vin, ref_year, &info, NULL);

    /* WMI: positions 1-3, or 1-3 and 12-14 for a small manufacturer ('9' at position 3). */
    memcpy(wmi, d->vin, 3);
    wmi[3] = '\0';
    if (d->vin[2] == '9') {
        memcpy(wmi + 3, d->vin + 11, 3);
        wmi[6] = '\0';
    }
    sqlite3_bind_text(v->wmi, 1, wmi, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(v->wmi);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(v->wmi);
        if (rc != SQLITE_DONE)
            return odo_err_set(err, ODO_ESTORAGE, "reading vPIC: %s", sqlite3_errmsg(v->db));
        add_error(d, ODO_VPIC_WMI_UNKNOWN,
                  "the manufacturer is not registered with NHTSA for sale in the United States");
        return 0;
    }
    wmi_id = sqlite3_column_int64(v->wmi, 0);
    make_id = sqlite3_column_int64(v->wmi, 1);
    vehicle_type = sqlite3_column_int(v->wmi, 2);
    copy_col(v->wmi, 3, d->vehicle_type, sizeof(d->vehicle_type));
    copy_col(v->wmi, 4, d->manufacturer, sizeof(d->manufacturer));
    sqlite3_reset(v->wmi);

    /* The make the WMI alone gives: its one make, else the one it names. */
    single_name(v->makes_of_wmi, wmi_id, d->make, sizeof(d->make));
    if (!d->make[0] && make_id)
        single_name(v->make_by_id, make_id, d->make, sizeof(d->make));
    if (!info.model_year)
        return 0; /* no year: no schema can be chosen */

    /* Keys: positions 4-8, '|' for the check digit, 10-17. */
    memcpy(keys, d->vin + 3, 5);
    keys[5] = '|';
    memcpy(keys + 6, d->vin + 9, 8);
    keys[14] = '\0';
    memset(&ms, 0, sizeof(ms));
    memset(&other, 0, sizeof(other));
    year = info.model_year;
    if ((rc = collect(v, wmi_id, year, keys, &ms, err)))
        goto out;
    /* Position 7 picks the 30-year cycle only for cars, MPVs, trucks and incomplete vehicles;
     * for the rest (motorcycles, trailers, buses...) the other cycle is tried too and the year
     * whose schemas decode more of the VIN wins. */
    if (vehicle_type != 2 && vehicle_type != 3 && vehicle_type != 7 && vehicle_type != 10 &&
        info.model_year_other && info.model_year_other <= ref_year + 1) {
        if ((rc = collect(v, wmi_id, info.model_year_other, keys, &other, err)))
            goto out;
        if (count_elements(&other) > count_elements(&ms)) {
            struct matches t = ms;
            ms = other;
            other = t;
            year = info.model_year_other;
        }
    }
    d->model_year = year;
    if (ms.n == 0) {
        add_error(d, ODO_VPIC_NO_DATA, "no detailed data is available for this VIN");
        goto out;
    }
    for (size_t i = 0; i < sizeof(reported) / sizeof(reported[0]); i++) {
        const struct match *m = best(&ms, reported[i].element);
        if (m && (rc = resolve(v, m->element, m->attribute, (char *)d + reported[i].offset,
                               reported[i].size, err)))
            goto out;
    }
    {
        const struct match *m = best(&ms, EL_MODEL);
        char make[ODO_VPIC_TEXT];
        if (m) {
            if ((rc = resolve(v, EL_MODEL, m->attribute, d->model, sizeof(d->model), err)))
                goto out;
            /* The model names its make (one WMI may serve several makes of a group). */
            single_name(v->make_of_model, atoll(m->attribute), make, sizeof(make));
            if (make[0])
                odo_strlcpy(d->make, make, sizeof(d->make));
        }
    }
    /* An engine model known to vPIC fills what the patterns left open. */
    if (d->engine_model[0]) {
        sqlite3_bind_text(v->engine_model, 1, d->engine_model, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(v->engine_model) == SQLITE_ROW) {
            int el = sqlite3_column_int(v->engine_model, 0);
            char attr[96];
            copy_col(v->engine_model, 1, attr, sizeof(attr));
            for (size_t i = 0; i < sizeof(reported) / sizeof(reported[0]); i++) {
                char *field = (char *)d + reported[i].offset;
                if (reported[i].element == el && !field[0] &&
                    (rc = resolve(v, el, attr, field, reported[i].size, err))) {
                    sqlite3_reset(v->engine_model);
                    goto out;
                }
            }
        }
        sqlite3_reset(v->engine_model);
    }
    if ((ms.covered & 0x1f) != 0x1f) {
        char text[160];
        size_t n = (size_t)snprintf(text, sizeof(text),
                                    "the manufacturer's data does not explain position");
        int missing = 0;
        for (int p = 0; p < 5; p++)
            if (!(ms.covered >> p & 1))
                missing++;
        if (missing > 1)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "s");
        for (int p = 0, k = 0; p < 5; p++)
            if (!(ms.covered >> p & 1))
                n += (size_t)snprintf(text + n, sizeof(text) - n, "%s %d",
                                      k++ ? (k == missing ? " and" : ",") : "", p + 4);
        add_error(d, ODO_VPIC_INCOMPLETE, text);
    }
out:
    free(ms.m);
    free(other.m);
    if (rc == 0 && d->nerrors == 0) {
        d->errors[d->nerrors++] = ODO_VPIC_CLEAN;
        strcpy(d->error_text, "0 - VIN decoded clean");
    }
    return rc;
}
