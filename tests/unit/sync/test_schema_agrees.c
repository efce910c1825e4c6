/*
 * The wire schema (sync/protocol/schema.c) against the device store whose rules it copies, on a
 * real SQLite file: the same synced tables and columns with the same types and nulls; every
 * enum value the wire allows is a name the store keeps, and nothing else is; every text limit
 * is the size of the store's field; every decimal has the store's scale and bounds; integers,
 * flags and currencies are bounded alike.
 *
 * "The store" is probed in two places. Its repository API (what `odolog` writes) holds each
 * column in a record struct, reached here through `fields` (offset and size of the member, and
 * where migrations/device has a CHECK on it). Its CHECK constraints are reached as a pulled row
 * reaches them, through odo_replica_apply_row: the triggers on a synced table call functions
 * only the store registers, so a plain SQLite connection may read the file (PRAGMA table_info)
 * but cannot write a row.
 */
#include <ctype.h>
#include <sqlite3.h>
#include <stddef.h>

#include "platform/clock.h"
#include "platform/decimal.h"
#include "platform/uuid.h"
#include "storage/fuel.h"
#include "storage/maintenance.h"
#include "storage/odometer.h"
#include "storage/renewals.h"
#include "storage/replica.h"
#include "storage/store.h"
#include "storage/units.h"
#include "storage/vehicles.h"
#include "sync/protocol/messages.h"
#include "sync/protocol/schema.h"
#include "test.h"

#define USER            "schema"
#define SAMPLE_VIN      "2HKRW2H20NH207506" /* the store's API checks a VIN's check digit */
#define WIRE_TABLES_MAX 16                  /* room for this test's rows, one per wire table */

/* ---- the store's side of each rule ---------------------------------------------------- */

enum field_kind { F_TEXT, F_I64, F_INT, F_ENUM };

/*
 * A synced column as the repository API holds it: a member of the table's record struct, and
 * whether a CHECK in migrations/device refuses a value below the wire's min (text: shorter)
 * and above its max (text: longer). A column without such a CHECK relies on the API's checks
 * and the size of its field; a pulled value is held to the wire's limits by the decoder first.
 */
struct field {
    const char *table, *col;
    size_t offset, size;
    enum field_kind kind;
    int scale; /* decimals: the store's ODO_SCALE_* */
    bool check_min, check_max;
    bool api_max_tighter; /* the API refuses the wire's max too (a plausibility rule) */
};

#define FIELD(tbl, type, member, kind, scale, check_min, check_max)                                \
    {                                                                                              \
        tbl, #member, offsetof(type, member), sizeof(((type *)0)->member), kind, scale, check_min, \
            check_max, false                                                                       \
    }
#define TEXT(tbl, type, member, check_min, check_max)                                              \
    FIELD(tbl, type, member, F_TEXT, 0, check_min, check_max)
#define DEC(tbl, type, member, scale, check_min)                                                   \
    FIELD(tbl, type, member, F_I64, scale, check_min, false)

static const struct field fields[] = {
    TEXT("vehicles", struct odo_vehicle, vin, true, true), /* length(vin) = 17 */
    TEXT("vehicles", struct odo_vehicle, name, true, true),
    TEXT("vehicles", struct odo_vehicle, make, false, false),
    TEXT("vehicles", struct odo_vehicle, model, false, false),
    TEXT("vehicles", struct odo_vehicle, trim, false, false),
    TEXT("vehicles", struct odo_vehicle, plate, false, false),
    TEXT("vehicles", struct odo_vehicle, notes, false, false),
    TEXT("vehicles", struct odo_vehicle, body_class, false, true),
    TEXT("vehicles", struct odo_vehicle, engine, false, true),
    TEXT("vehicles", struct odo_vehicle, fuel_type, false, true),
    {"vehicles", "model_year", offsetof(struct odo_vehicle, model_year),
     sizeof(((struct odo_vehicle *)0)->model_year), F_INT, 0, true, true,
     true}, /* the API: at most two years past the store's clock */
    FIELD("vehicles", struct odo_vehicle, odometer_unit, F_ENUM, 0, false, false),

    DEC("fuel_logs", struct odo_fuel_log, odometer, ODO_SCALE_DISTANCE, true),
    DEC("fuel_logs", struct odo_fuel_log, volume, ODO_SCALE_VOLUME, true),
    FIELD("fuel_logs", struct odo_fuel_log, volume_unit, F_ENUM, 0, false, false),
    DEC("fuel_logs", struct odo_fuel_log, unit_price, ODO_SCALE_PRICE, true),
    DEC("fuel_logs", struct odo_fuel_log, total_cost, ODO_SCALE_MONEY, true),
    TEXT("fuel_logs", struct odo_fuel_log, currency, false, false),
    TEXT("fuel_logs", struct odo_fuel_log, station, false, false),
    TEXT("fuel_logs", struct odo_fuel_log, notes, false, false),

    DEC("odometer_readings", struct odo_reading, odometer, ODO_SCALE_DISTANCE, true),
    TEXT("odometer_readings", struct odo_reading, notes, false, false),

    TEXT("maintenance", struct odo_maint, type, true, true),
    FIELD("maintenance", struct odo_maint, category, F_ENUM, 0, false, false),
    TEXT("maintenance", struct odo_maint, description, false, false),
    DEC("maintenance", struct odo_maint, due_odometer, ODO_SCALE_DISTANCE, true),
    FIELD("maintenance", struct odo_maint, interval_months, F_INT, 0, true, false),
    DEC("maintenance", struct odo_maint, interval_distance, ODO_SCALE_DISTANCE, true),
    /* The only odometer without a CHECK (>= 0) in 001_init.sql: the API checks it. */
    DEC("maintenance", struct odo_maint, last_done_odometer, ODO_SCALE_DISTANCE, false),
    TEXT("maintenance", struct odo_maint, notes, false, false),

    DEC("service_records", struct odo_service, odometer, ODO_SCALE_DISTANCE, true),
    TEXT("service_records", struct odo_service, description, false, false),
    DEC("service_records", struct odo_service, cost, ODO_SCALE_MONEY, true),
    TEXT("service_records", struct odo_service, currency, false, false),
    TEXT("service_records", struct odo_service, shop, false, false),
    TEXT("service_records", struct odo_service, notes, false, false),

    FIELD("renewals", struct odo_renewal, kind, F_ENUM, 0, false, false),
    TEXT("renewals", struct odo_renewal, document_number, false, false),
    TEXT("renewals", struct odo_renewal, issuer, false, false),
    DEC("renewals", struct odo_renewal, cost, ODO_SCALE_MONEY, true),
    TEXT("renewals", struct odo_renewal, currency, false, false),
    TEXT("renewals", struct odo_renewal, notes, false, false),
};

static const struct field *field_of(const char *table, const char *col)
{
    for (size_t i = 0; i < ODO_ARRAY_LEN(fields); i++)
        if (strcmp(fields[i].table, table) == 0 && strcmp(fields[i].col, col) == 0)
            return &fields[i];
    return NULL;
}

/* The store's enum behind an ENUM column: member i's name, or NULL past the last member (the
 * name functions index a table, so the last member is named here). */
static const char *store_enum_name(const char *col, int i)
{
    if (strcmp(col, "odometer_unit") == 0)
        return i <= ODO_DIST_MI ? odo_dist_unit_name((enum odo_dist_unit)i) : NULL;
    if (strcmp(col, "volume_unit") == 0)
        return i <= ODO_VOL_GAL_IMP ? odo_vol_unit_name((enum odo_vol_unit)i) : NULL;
    if (strcmp(col, "category") == 0)
        return i <= ODO_MAINT_OTHER ? odo_maint_category_name((enum odo_maint_category)i) : NULL;
    if (strcmp(col, "kind") == 0)
        return i <= ODO_RENEWAL_EMISSIONS ? odo_renewal_kind_name((enum odo_renewal_kind)i) : NULL;
    TEST_FAIL("no store enum for column %s: name it in store_enum_name", col);
}

/* The store's parser for an ENUM column (what `odolog` runs on typed input). */
static int store_enum_parse(const char *col, const char *s, int *out)
{
    int rc = ODO_EINVAL;

    if (strcmp(col, "odometer_unit") == 0) {
        enum odo_dist_unit u;
        if ((rc = odo_dist_unit_parse(s, &u, NULL)) == 0)
            *out = (int)u;
    } else if (strcmp(col, "volume_unit") == 0) {
        enum odo_vol_unit u;
        if ((rc = odo_vol_unit_parse(s, &u, NULL)) == 0)
            *out = (int)u;
    } else if (strcmp(col, "category") == 0) {
        enum odo_maint_category c;
        if ((rc = odo_maint_category_parse(s, &c, NULL)) == 0)
            *out = (int)c;
    } else if (strcmp(col, "kind") == 0) {
        enum odo_renewal_kind k;
        if ((rc = odo_renewal_kind_parse(s, &k, NULL)) == 0)
            *out = (int)k;
    }
    return rc;
}

/* ---- a store with one row of every wire table --------------------------------------- */

struct fixture {
    char dir[256], path[300];
    int64_t now; /* when the store was opened, by its clock: the system's */
    struct odo_store *s;
    struct odo_err err;
    const struct odo_wire_table *tables;
    size_t ntables;
    char ids[WIRE_TABLES_MAX][ODO_UUID_TEXT_LEN + 1]; /* the row of each wire table */
};

/* A value as both ends hold it: on the wire (for odo_val_check) and as the store's cell. */
struct value {
    struct odo_val wire;
    struct odo_cell cell;
    char text[ODO_NOTES_MAX + 2], dec[ODO_DEC_TEXT_MAX], time[ODO_TIME_TEXT_LEN + 1];
};

static void num_value(const struct odo_wire_col *c, int64_t x, struct value *v)
{
    memset(v, 0, sizeof(*v));
    v->wire.kind = ODO_VAL_INT;
    v->wire.i = x;
    v->cell.kind = ODO_CELL_INT;
    v->cell.i = x;
    if (c->type == ODO_W_DEC) { /* a decimal string on the wire, scaled on the device */
        v->wire.kind = ODO_VAL_STR;
        v->wire.s = odo_dec_format(x, c->scale, c->scale, v->dec, sizeof(v->dec));
    } else if (c->type == ODO_W_TIME) { /* milliseconds on the wire, text on the device */
        odo_time_format(x, v->time);
        v->cell.kind = ODO_CELL_TEXT;
        v->cell.s = v->time;
    }
}

static void text_value(const char *s, struct value *v)
{
    memset(v, 0, sizeof(*v));
    if (strlen(s) >= sizeof(v->text))
        TEST_FAIL("a text of %zu bytes: grow struct value", strlen(s));
    memcpy(v->text, s, strlen(s) + 1);
    v->wire.kind = ODO_VAL_STR;
    v->wire.s = v->text;
    v->cell.kind = ODO_CELL_TEXT;
    v->cell.s = v->text;
}

/* A text of n bytes that both the wire and the store's API take for column col. */
static void text_of(const char *col, size_t n, struct value *v)
{
    char s[sizeof(v->text)];

    if (n >= sizeof(s))
        TEST_FAIL("a text of %zu bytes: grow struct value", n);
    if (strcmp(col, "vin") == 0 && n == strlen(SAMPLE_VIN)) {
        text_value(SAMPLE_VIN, v);
        return;
    }
    memset(s, 'x', n);
    s[n] = '\0';
    text_value(s, v);
}

/* The first row id of the table a UUID column points at. */
static const char *parent_id(struct fixture *f, const struct odo_wire_col *c)
{
    static const struct {
        const char *col, *table;
    } refs[] = {
        {"vehicle_id", "vehicles"}, {"maintenance_id", "maintenance"}, {"station_id", "stations"}};

    for (size_t i = 0; i < ODO_ARRAY_LEN(refs); i++)
        if (strcmp(c->name, refs[i].col) == 0)
            for (size_t t = 0; t < f->ntables; t++)
                if (strcmp(f->tables[t].name, refs[i].table) == 0)
                    return f->ids[t];
    TEST_FAIL("no table for the UUID column %s", c->name);
}

/* The smallest value the wire takes for column c. */
static void smallest(struct fixture *f, const struct odo_wire_col *c, struct value *v)
{
    char day[ODO_DATE_TEXT_LEN + 1];

    switch (c->type) {
    case ODO_W_UUID:
        text_value(parent_id(f, c), v);
        break;
    case ODO_W_TEXT:
        text_of(c->name, c->min > 0 ? (size_t)c->min : 1, v);
        break;
    case ODO_W_ENUM:
        text_value(c->allowed[0], v);
        break;
    case ODO_W_TIME:
        num_value(c, f->now, v);
        break;
    case ODO_W_DATE:
        odo_date_format(odo_date_local(f->now), day);
        text_value(day, v);
        break;
    case ODO_W_CURRENCY:
        text_value("EUR", v);
        break;
    case ODO_W_DEC:
    case ODO_W_INT:
    case ODO_W_BOOL:
        num_value(c, c->min, v);
        break;
    }
}

static void setup(struct fixture *f)
{
    struct value vals[ODO_WIRE_COLS_MAX];
    const char *names[ODO_WIRE_COLS_MAX];
    struct odo_cell cells[ODO_WIRE_COLS_MAX];

    memset(f, 0, sizeof(*f));
    test_tmpdir(f->dir);
    snprintf(f->path, sizeof(f->path), "%s/o.db", f->dir);
    ASSERT_OK(odo_store_open(f->path, NULL, &f->s, &f->err), &f->err);
    f->now = odo_clock_now(odo_store_clock(f->s));
    f->tables = odo_wire_tables(&f->ntables);
    ASSERT(f->ntables <= WIRE_TABLES_MAX);
    for (size_t t = 0; t < f->ntables; t++)
        ASSERT_OK(odo_uuid_v7(f->now, f->ids[t]), (struct odo_err *)NULL);
    /* One row of each table, every column at its smallest, as a pull would bring it (deleted,
     * then: the API's own rows, a vehicle with the same VIN among them, stay apart). */
    ASSERT_OK(odo_replica_begin_apply(f->s, &f->err), &f->err);
    for (size_t t = 0; t < f->ntables; t++) {
        const struct odo_wire_table *w = &f->tables[t];
        ASSERT(w->ncols <= ODO_WIRE_COLS_MAX);
        for (size_t c = 0; c < w->ncols; c++) {
            smallest(f, &w->cols[c], &vals[c]);
            if (odo_val_check(&w->cols[c], &vals[c].wire))
                TEST_FAIL("%s.%s: the fixture's value is not valid on the wire", w->name,
                          w->cols[c].name);
            names[c] = w->cols[c].name;
            cells[c] = vals[c].cell;
        }
        if (odo_replica_apply_row(f->s, USER, w->name, names, NULL, (int)w->ncols, f->ids[t], 1,
                                  cells, &f->err) != 0)
            TEST_FAIL("a row of %s valid on the wire is refused by the store: %s", w->name,
                      f->err.msg);
    }
    ASSERT_OK(odo_replica_end_apply(f->s, true, &f->err), &f->err);
}

static void teardown(struct fixture *f)
{
    odo_store_close(f->s);
    test_rmdir(f->dir);
}

/* ---- reading back ----------------------------------------------------------------------- */

struct readback {
    bool found;
    enum odo_cell_kind kind;
    int64_t i;
    char s[ODO_NOTES_MAX + 2];
};

static int copy_cell(int index, const struct odo_cell *cells, void *ctx)
{
    struct readback *r = ctx;
    (void)index;
    r->found = true;
    r->kind = cells[0].kind;
    r->i = cells[0].i;
    if (cells[0].kind == ODO_CELL_TEXT)
        snprintf(r->s, sizeof(r->s), "%s", cells[0].s);
    return 0;
}

/* Column col of row id in table as the store holds it. */
static void read_back(struct fixture *f, const char *table, const char *id, const char *col,
                      struct readback *out)
{
    memset(out, 0, sizeof(*out));
    ASSERT_OK(odo_replica_read_rows(f->s, USER, table, &id, 1, &col, 1, copy_cell, out, &f->err),
              &f->err);
    if (!out->found)
        TEST_FAIL("row %s of %s is not there", id, table);
}

static bool holds(const struct readback *r, const struct odo_cell *want)
{
    if (r->kind != want->kind)
        return false;
    if (want->kind == ODO_CELL_INT)
        return r->i == want->i;
    return want->kind == ODO_CELL_NULL || strcmp(r->s, want->s) == 0;
}

/* ---- the two ways into the store -------------------------------------------------------- */

/* The reason of the newest conflict (a pulled row set aside) into ctx. */
static int newest_conflict(const struct odo_conflict *c, void *ctx)
{
    snprintf(ctx, ODO_CONFLICT_REASON_MAX + 1, "%s", c->reason);
    return 1;
}

/*
 * Applies v to column c of table t's row as a pulled row is applied, reads it back and rolls
 * back. Returns the store's result: a row a CHECK refuses is set aside in the conflicts list
 * (storage/replica.h), returned here as ODO_EINVAL with the conflict's reason, which names the
 * constraint, in f->err; *kept tells whether the value read back as given.
 */
static int sql_try(struct fixture *f, size_t t, const struct odo_wire_col *c, const struct value *v,
                   bool *kept)
{
    const char *table = f->tables[t].name;
    struct readback got;
    int rc;

    *kept = false;
    ASSERT_OK(odo_replica_begin_apply(f->s, &f->err), &f->err);
    rc = odo_replica_apply_row(f->s, USER, table, &c->name, NULL, 1, f->ids[t], 1, &v->cell,
                               &f->err);
    if (rc == 0) {
        char reason[ODO_CONFLICT_REASON_MAX + 1] = "";
        ASSERT_OK(odo_replica_conflicts(f->s, USER, newest_conflict, reason, &f->err), &f->err);
        if (reason[0])
            rc = odo_err_set(&f->err, ODO_EINVAL, "%s", reason);
    }
    if (rc == 0) {
        read_back(f, table, f->ids[t], c->name, &got);
        *kept = holds(&got, &v->cell);
    }
    ASSERT_OK(odo_replica_end_apply(f->s, false, NULL), (struct odo_err *)NULL);
    return rc;
}

/* The CHECK constraints take v for c, and keep it as given. */
static void sql_takes(struct fixture *f, size_t t, const struct odo_wire_col *c,
                      const struct value *v, const char *what)
{
    bool kept;
    if (sql_try(f, t, c, v, &kept) != 0)
        TEST_FAIL("%s.%s: the store refuses %s: %s", f->tables[t].name, c->name, what, f->err.msg);
    if (!kept)
        TEST_FAIL("%s.%s: the store does not keep %s as given", f->tables[t].name, c->name, what);
}

/* A CHECK constraint refuses v for c. */
static void sql_refuses(struct fixture *f, size_t t, const struct odo_wire_col *c,
                        const struct value *v, const char *what)
{
    bool kept;
    if (sql_try(f, t, c, v, &kept) != ODO_EINVAL)
        TEST_FAIL("%s.%s: the store's CHECK takes %s", f->tables[t].name, c->name, what);
    ASSERT_CONTAINS(f->err.msg, "CHECK constraint failed");
}

/* Where migrations/device has a CHECK (check), it refuses v; where it has none, SQLite keeps v
 * and the column relies on the API and the wire: the fields table says which, and is held to
 * it both ways. */
static void sql_bound(struct fixture *f, size_t t, const struct odo_wire_col *c, bool check,
                      const struct value *v, const char *what)
{
    if (check) {
        sql_refuses(f, t, c, v, what);
        return;
    }
    bool kept;
    if (sql_try(f, t, c, v, &kept) != 0 || !kept)
        TEST_FAIL("%s.%s: a CHECK refuses %s (%s): mark it in the fields table", f->tables[t].name,
                  c->name, what, f->err.msg);
}

union record {
    struct odo_vehicle vehicle;
    struct odo_fuel_log fill;
    struct odo_reading reading;
    struct odo_maint item;
    struct odo_service service;
    struct odo_renewal renewal;
};

_Static_assert(offsetof(struct odo_vehicle, id) == 0 && offsetof(struct odo_fuel_log, id) == 0 &&
                   offsetof(struct odo_reading, id) == 0 && offsetof(struct odo_maint, id) == 0 &&
                   offsetof(struct odo_service, id) == 0 && offsetof(struct odo_renewal, id) == 0,
               "every record starts with its id");

static void set_field(union record *r, const struct field *fld, const char *text, int64_t num)
{
    char *p = (char *)r + fld->offset;

    if (fld->kind == F_TEXT) {
        if (strlen(text) >= fld->size)
            TEST_FAIL("%zu bytes do not fit %s.%s", strlen(text), fld->table, fld->col);
        memcpy(p, text, strlen(text) + 1);
    } else if (fld->kind == F_I64) {
        memcpy(p, &num, sizeof(num));
    } else {
        int n = (int)num;
        memcpy(p, &n, sizeof(n));
    }
}

/* A vehicle name no other probe has: names are unique among a user's live vehicles. */
static void probe_name(char *name, size_t cap)
{
    static int made;
    snprintf(name, cap, "probe %d", ++made);
}

static void new_vehicle(struct fixture *f, struct odo_vehicle *v)
{
    memset(v, 0, sizeof(*v));
    probe_name(v->name, sizeof(v->name));
    v->odometer_unit = ODO_DIST_KM;
    ASSERT_OK(odo_vehicle_add(f->s, USER, v, &f->err), &f->err);
}

static void plausible_item(struct odo_maint *m, const char *vehicle_id, int32_t today)
{
    memset(m, 0, sizeof(*m));
    memcpy(m->vehicle_id, vehicle_id, ODO_UUID_TEXT_LEN + 1);
    snprintf(m->type, sizeof(m->type), "probe");
    m->category = ODO_MAINT_OTHER;
    m->due_date = today;
    m->due_odometer = ODO_NONE;
    m->last_done_date = ODO_NO_DATE;
    m->last_done_odometer = ODO_NONE;
}

/*
 * Writes a plausible record of fld's table (on a vehicle of its own) through the repository
 * API, with fld set to text (text fields) or num (the others). Returns the API's result; the
 * new row's id is in id.
 */
static int api_write(struct fixture *f, const struct field *fld, const char *text, int64_t num,
                     char id[ODO_UUID_TEXT_LEN + 1])
{
    int32_t today = odo_date_local(f->now);
    struct odo_vehicle car;
    struct odo_maint item;
    union record r;
    int rc;

    memset(&r, 0, sizeof(r));
    memset(&car, 0, sizeof(car));
    id[0] = '\0';
    if (strcmp(fld->table, "vehicles") != 0)
        new_vehicle(f, &car);
    if (strcmp(fld->table, "vehicles") == 0) {
        probe_name(r.vehicle.name, sizeof(r.vehicle.name));
        r.vehicle.odometer_unit = ODO_DIST_KM;
        set_field(&r, fld, text, num);
        rc = odo_vehicle_add(f->s, USER, &r.vehicle, &f->err);
    } else if (strcmp(fld->table, "fuel_logs") == 0) {
        memcpy(r.fill.vehicle_id, car.id, sizeof(car.id));
        r.fill.filled_at = f->now;
        r.fill.volume = 1000; /* 1 L */
        r.fill.volume_unit = ODO_VOL_L;
        r.fill.unit_price = 1500;
        r.fill.total_cost = ODO_NONE;
        snprintf(r.fill.currency, sizeof(r.fill.currency), "EUR");
        r.fill.full = true;
        set_field(&r, fld, text, num);
        /* A total given with a price must agree with it: the total's probe comes alone. */
        if (strcmp(fld->col, "total_cost") == 0)
            r.fill.unit_price = ODO_NONE;
        rc = odo_fuel_add(f->s, USER, &r.fill, &f->err);
    } else if (strcmp(fld->table, "odometer_readings") == 0) {
        memcpy(r.reading.vehicle_id, car.id, sizeof(car.id));
        r.reading.read_at = f->now;
        set_field(&r, fld, text, num);
        rc = odo_odometer_add(f->s, USER, &r.reading, &f->err);
    } else if (strcmp(fld->table, "maintenance") == 0) {
        plausible_item(&r.item, car.id, today);
        set_field(&r, fld, text, num);
        rc = odo_maint_add(f->s, USER, &r.item, &f->err);
    } else if (strcmp(fld->table, "service_records") == 0) {
        plausible_item(&item, car.id, today);
        ASSERT_OK(odo_maint_add(f->s, USER, &item, &f->err), &f->err);
        r.service.performed_at = f->now;
        r.service.odometer = ODO_NONE;
        r.service.cost = 1000;
        snprintf(r.service.currency, sizeof(r.service.currency), "EUR");
        set_field(&r, fld, text, num);
        rc = odo_maint_complete(f->s, USER, item.id, &r.service, NULL, &f->err);
    } else if (strcmp(fld->table, "renewals") == 0) {
        memcpy(r.renewal.vehicle_id, car.id, sizeof(car.id));
        r.renewal.kind = ODO_RENEWAL_INSURANCE;
        r.renewal.valid_from = today;
        r.renewal.valid_until = today + 365;
        r.renewal.cost = 10000;
        snprintf(r.renewal.currency, sizeof(r.renewal.currency), "EUR");
        set_field(&r, fld, text, num);
        rc = odo_renewal_add(f->s, USER, &r.renewal, &f->err);
    } else {
        TEST_FAIL("no API write for table %s", fld->table);
    }
    if (rc == 0)
        memcpy(id, (const char *)&r, ODO_UUID_TEXT_LEN + 1);
    return rc;
}

/* The API takes v for fld and the store keeps what the wire sends for it. */
static void api_takes(struct fixture *f, const struct field *fld, const struct value *v,
                      const char *what)
{
    char id[ODO_UUID_TEXT_LEN + 1];
    struct readback got;

    if (api_write(f, fld, v->text, v->cell.i, id) != 0)
        TEST_FAIL("%s.%s: the API refuses %s: %s", fld->table, fld->col, what, f->err.msg);
    read_back(f, fld->table, id, fld->col, &got);
    if (!holds(&got, &v->cell))
        TEST_FAIL("%s.%s: the API does not keep %s as given", fld->table, fld->col, what);
}

static void api_refuses(struct fixture *f, const struct field *fld, int64_t num, const char *what)
{
    char id[ODO_UUID_TEXT_LEN + 1];
    if (api_write(f, fld, "", num, id) != ODO_EINVAL)
        TEST_FAIL("%s.%s: the API takes %s", fld->table, fld->col, what);
}

/* ---- tests ------------------------------------------------------------------------------- */

static bool integer_type(enum odo_wire_type t)
{
    return t == ODO_W_DEC || t == ODO_W_INT || t == ODO_W_BOOL;
}

static bool envelope(const char *col)
{
    return strcmp(col, "id") == 0 || strcmp(col, "user_id") == 0 || strcmp(col, "rev") == 0;
}

static void test_the_wire_tables_are_the_synced_device_tables_with_the_same_columns(void)
{
    struct fixture f;
    sqlite3 *db;
    sqlite3_stmt *st;
    int synced = 0;

    setup(&f);
    ASSERT_EQ(sqlite3_open_v2(f.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT name, type, \"notnull\" FROM pragma_table_info(?1) "
                                 "ORDER BY cid",
                                 -1, &st, NULL),
              SQLITE_OK);
    for (size_t t = 0; t < f.ntables; t++) {
        const struct odo_wire_table *w = &f.tables[t];
        size_t matched = 0;
        bool has_id = false, has_rev = false, has_user = false;

        ASSERT(w->ncols <= ODO_WIRE_COLS_MAX);
        sqlite3_bind_text(st, 1, w->name, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            const char *type = (const char *)sqlite3_column_text(st, 1);
            bool notnull = sqlite3_column_int(st, 2) != 0;
            int i = odo_wire_col_index(w, name);
            has_id |= strcmp(name, "id") == 0;
            has_rev |= strcmp(name, "rev") == 0;
            has_user |= strcmp(name, "user_id") == 0;
            if (envelope(name))
                continue;
            if (i < 0)
                TEST_FAIL("%s.%s is in the device schema but not on the wire", w->name, name);
            const struct odo_wire_col *c = &w->cols[i];
            matched++;
            if (strcmp(type, integer_type(c->type) ? "INTEGER" : "TEXT") != 0)
                TEST_FAIL("%s.%s is %s on the device, which does not hold the wire's type", w->name,
                          name, type);
            if (notnull == c->nullable)
                TEST_FAIL("%s.%s is %s on the wire but %s on the device", w->name, name,
                          c->nullable ? "nullable" : "required", notnull ? "NOT NULL" : "nullable");
            ASSERT(c->since_schema >= ODO_SCHEMA_MIN && c->since_schema <= ODO_SCHEMA_CURRENT);
        }
        sqlite3_reset(st);
        if (matched != w->ncols)
            TEST_FAIL("%s: %zu wire columns, %zu of them in the device schema", w->name, w->ncols,
                      matched);
        if (!has_id || !has_rev || has_user != w->user_scoped)
            TEST_FAIL("%s: the device table lacks the envelope the wire assumes", w->name);
    }
    sqlite3_finalize(st);
    /* The other way: a device table with a revision is synced, so the wire knows it. */
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT m.name FROM sqlite_schema AS m WHERE m.type = 'table' AND "
                                 "EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = "
                                 "'rev')",
                                 -1, &st, NULL),
              SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!odo_wire_table(name))
            TEST_FAIL("the device table %s carries a revision but is not on the wire", name);
        synced++;
    }
    sqlite3_finalize(st);
    ASSERT_EQ(synced, f.ntables);
    sqlite3_close(db);
    teardown(&f);
}

/* The kind of field the store holds a value of a wire type in. */
static enum field_kind kind_of(enum odo_wire_type type)
{
    switch (type) {
    case ODO_W_ENUM:
        return F_ENUM;
    case ODO_W_DEC:
        return F_I64;
    case ODO_W_INT:
        return F_INT;
    default:
        return F_TEXT;
    }
}

typedef void (*column_check)(struct fixture *f, size_t t, const struct odo_wire_col *c,
                             const struct field *fld);

/*
 * Runs check on every wire column of the given type, on a fresh store, with the column's field
 * in `fields`: a column of a user's table (reference data has none) without one fails, so a
 * new wire column cannot go unchecked. Flags are C bools in the records: they have no field.
 */
static void each_column(enum odo_wire_type type, column_check check)
{
    struct fixture f;

    setup(&f);
    for (size_t t = 0; t < f.ntables; t++) {
        for (size_t i = 0; i < f.tables[t].ncols; i++) {
            const struct odo_wire_col *c = &f.tables[t].cols[i];
            const struct field *fld = field_of(f.tables[t].name, c->name);
            if (c->type != type)
                continue;
            if (f.tables[t].user_scoped && type != ODO_W_BOOL &&
                (!fld || fld->kind != kind_of(type)))
                TEST_FAIL("%s.%s: the fields table has no field of the store for it",
                          f.tables[t].name, c->name);
            check(&f, t, c, fld);
        }
    }
    teardown(&f);
}

/* The same list: the store names as many values, each allowed on the wire; every allowed value
 * is parsed, written through the API and kept as the wire spells it, and passes the CHECK;
 * anything else is refused by the wire and the CHECK. */
static void enum_agrees(struct fixture *f, size_t t, const struct odo_wire_col *c,
                        const struct field *fld)
{
    struct value v;
    char odd[64];
    int n, e;

    for (n = 0; c->allowed[n]; n++)
        ;
    for (e = 0; store_enum_name(c->name, e); e++) {
        bool listed = false;
        for (int a = 0; a < n; a++)
            listed |= strcmp(c->allowed[a], store_enum_name(c->name, e)) == 0;
        if (!listed)
            TEST_FAIL("%s.%s: the store's '%s' is not allowed on the wire", fld->table, c->name,
                      store_enum_name(c->name, e));
    }
    ASSERT_EQ(e, n);
    for (int a = 0; a < n; a++) {
        text_value(c->allowed[a], &v);
        ASSERT(odo_val_check(c, &v.wire) == NULL);
        ASSERT_OK(store_enum_parse(c->name, c->allowed[a], &e), (struct odo_err *)NULL);
        ASSERT_STR(store_enum_name(c->name, e), c->allowed[a]);
        v.cell.i = e;
        api_takes(f, fld, &v, c->allowed[a]);
        sql_takes(f, t, c, &v, c->allowed[a]);
    }
    text_value("furlongs", &v);
    ASSERT(odo_val_check(c, &v.wire) != NULL);
    ASSERT_EQ(store_enum_parse(c->name, "furlongs", &e), ODO_EINVAL);
    sql_refuses(f, t, c, &v, "furlongs");
    /* Another spelling of an allowed value: the parser may take it, but stores the name the
     * wire allows; the wire and the CHECK take only that name. */
    snprintf(odd, sizeof(odd), "%s", c->allowed[0]);
    odd[0] = (char)(islower((unsigned char)odd[0]) ? toupper((unsigned char)odd[0])
                                                   : tolower((unsigned char)odd[0]));
    text_value(odd, &v);
    ASSERT(odo_val_check(c, &v.wire) != NULL);
    sql_refuses(f, t, c, &v, odd);
    if (store_enum_parse(c->name, odd, &e) == 0)
        ASSERT_STR(store_enum_name(c->name, e), c->allowed[0]);
}

static void test_every_enum_value_the_wire_allows_is_a_store_name_and_no_other_is(void)
{
    each_column(ODO_W_ENUM, enum_agrees);
}

/* The store's cap is its field (reference data has none: kept as pulled); the longest text
 * passes the wire, the API and the CHECK; a byte more (or less than the wire's min) is refused
 * by the wire, and by the CHECK where there is one. */
static void text_agrees(struct fixture *f, size_t t, const struct odo_wire_col *c,
                        const struct field *fld)
{
    struct value v;

    if (fld && (int64_t)fld->size - 1 != c->max)
        TEST_FAIL("%s.%s: the wire takes %" PRId64 " bytes, the store's field %zu", fld->table,
                  c->name, c->max, fld->size - 1);
    text_of(c->name, (size_t)c->max, &v);
    ASSERT(odo_val_check(c, &v.wire) == NULL);
    sql_takes(f, t, c, &v, "the longest text");
    if (fld)
        api_takes(f, fld, &v, "the longest text");
    text_of(c->name, (size_t)c->max + 1, &v);
    ASSERT(odo_val_check(c, &v.wire) != NULL);
    sql_bound(f, t, c, fld && fld->check_max, &v, "a byte more than the longest text");
    if (c->min > 0) {
        text_of(c->name, (size_t)c->min - 1, &v);
        ASSERT(odo_val_check(c, &v.wire) != NULL);
        sql_bound(f, t, c, fld && fld->check_min, &v, "a text shorter than the shortest");
    }
}

static void test_every_text_limit_is_the_store_field_and_the_longest_text_is_kept(void)
{
    each_column(ODO_W_TEXT, text_agrees);
}

/* A number column: the wire and the store take its min and max and refuse one past each; the
 * API refuses the value below min only when the column is required (below it lies a nullable
 * column's "absent", ODO_NONE or 0). */
static void bounds_agree(struct fixture *f, size_t t, const struct odo_wire_col *c,
                         const struct field *fld)
{
    struct value v;

    num_value(c, c->min, &v);
    ASSERT(odo_val_check(c, &v.wire) == NULL);
    sql_takes(f, t, c, &v, "the wire's min");
    api_takes(f, fld, &v, "the wire's min");
    num_value(c, c->max, &v);
    ASSERT(odo_val_check(c, &v.wire) == NULL);
    sql_takes(f, t, c, &v, "the wire's max");
    if (!fld->api_max_tighter)
        api_takes(f, fld, &v, "the wire's max");
    num_value(c, c->max + 1, &v);
    ASSERT(odo_val_check(c, &v.wire) != NULL);
    api_refuses(f, fld, c->max + 1, "one more than the wire's max");
    sql_bound(f, t, c, fld->check_max, &v, "one more than the wire's max");
    num_value(c, c->min - 1, &v);
    ASSERT(odo_val_check(c, &v.wire) != NULL);
    if (!c->nullable)
        api_refuses(f, fld, c->min - 1, "one less than the wire's min");
    sql_bound(f, t, c, fld->check_min, &v, "one less than the wire's min");
}

/* The smallest step at `decimals` decimals as text: "1", "0.1", "0.001"... */
static void step_text(int decimals, char *out, size_t cap)
{
    if (decimals == 0)
        snprintf(out, cap, "1");
    else
        snprintf(out, cap, "0.%0*d", decimals, 1);
}

/* The store's scale: the smallest step at it passes the wire and the store's parser (the one
 * `odolog` reads typed numbers with); one more decimal passes neither. Then the bounds. */
static void decimal_agrees(struct fixture *f, size_t t, const struct odo_wire_col *c,
                           const struct field *fld)
{
    char text[ODO_DEC_TEXT_MAX];
    struct odo_val step = {.kind = ODO_VAL_STR, .s = text};
    int64_t got;

    ASSERT_EQ(c->scale, fld->scale);
    step_text(c->scale, text, sizeof(text));
    ASSERT_OK(odo_dec_parse(text, fld->scale, &got, c->name, &f->err), &f->err);
    ASSERT_EQ(got, 1);
    ASSERT(c->min > 1 || odo_val_check(c, &step) == NULL);
    step_text(c->scale + 1, text, sizeof(text));
    ASSERT(odo_val_check(c, &step) != NULL);
    ASSERT_EQ(odo_dec_parse(text, fld->scale, &got, c->name, NULL), ODO_EINVAL);
    bounds_agree(f, t, c, fld);
}

static void test_every_decimal_has_the_store_scale_and_the_store_bounds(void)
{
    const struct odo_wire_table *fuel = odo_wire_table("fuel_logs");

    each_column(ODO_W_DEC, decimal_agrees);
    /* The wire's volume is the largest fill the store takes, in any unit. */
    ASSERT_EQ(fuel->cols[odo_wire_col_index(fuel, "volume")].max, odo_fuel_volume_max(ODO_VOL_L));
    ASSERT(odo_fuel_volume_max(ODO_VOL_GAL_US) <= odo_fuel_volume_max(ODO_VOL_L));
    ASSERT(odo_fuel_volume_max(ODO_VOL_GAL_IMP) <= odo_fuel_volume_max(ODO_VOL_L));
}

/* A flag: 0 and 1 pass the wire and the CHECK (x IN (0, 1)); 2 passes neither. */
static void flag_agrees(struct fixture *f, size_t t, const struct odo_wire_col *c,
                        const struct field *fld)
{
    struct value v;

    (void)fld;
    ASSERT(c->min == 0 && c->max == 1);
    for (int b = 0; b <= 1; b++) {
        num_value(c, b, &v);
        ASSERT(odo_val_check(c, &v.wire) == NULL);
        sql_takes(f, t, c, &v, b ? "1" : "0");
    }
    num_value(c, 2, &v);
    ASSERT(odo_val_check(c, &v.wire) != NULL);
    sql_refuses(f, t, c, &v, "2");
}

static void test_every_integer_and_flag_is_bounded_as_the_store_bounds_it(void)
{
    each_column(ODO_W_INT, bounds_agree);
    each_column(ODO_W_BOOL, flag_agrees);
}

/* Three letters on the wire, three characters in the CHECK; and what a person types goes
 * through the API: whatever it keeps, the wire must take ("eur" is kept as "EUR"), and what the
 * wire refuses ("e1x") the API refuses too. */
static void currency_agrees(struct fixture *f, size_t t, const struct odo_wire_col *c,
                            const struct field *fld)
{
    static const char *const typed[] = {"EUR", "eur", "e1x"};
    char id[ODO_UUID_TEXT_LEN + 1];
    struct readback got;
    struct value v;
    ASSERT_EQ(fld->size - 1, 3);
    text_value("EUR", &v);
    ASSERT(odo_val_check(c, &v.wire) == NULL);
    sql_takes(f, t, c, &v, "EUR");
    for (size_t k = 0; k < 2; k++) {
        text_value(k ? "EU" : "EURO", &v);
        ASSERT(odo_val_check(c, &v.wire) != NULL);
        sql_refuses(f, t, c, &v, v.text);
    }
    for (size_t k = 0; k < ODO_ARRAY_LEN(typed); k++) {
        if (api_write(f, fld, typed[k], 0, id) != 0)
            continue;
        read_back(f, fld->table, id, fld->col, &got);
        text_value(got.s, &v);
        if (odo_val_check(c, &v.wire) != NULL)
            TEST_FAIL("%s.%s: the store keeps '%s' (typed '%s'), which the wire refuses",
                      fld->table, fld->col, got.s, typed[k]);
        if (strcmp(typed[k], "e1x") == 0)
            TEST_FAIL("%s.%s: the store kept '%s', which is no currency", fld->table, fld->col,
                      got.s);
    }
}

static void test_a_currency_the_store_keeps_is_one_the_wire_takes(void)
{
    each_column(ODO_W_CURRENCY, currency_agrees);
}

RUN_TESTS(TEST_CASE(test_the_wire_tables_are_the_synced_device_tables_with_the_same_columns),
          TEST_CASE(test_every_enum_value_the_wire_allows_is_a_store_name_and_no_other_is),
          TEST_CASE(test_every_text_limit_is_the_store_field_and_the_longest_text_is_kept),
          TEST_CASE(test_every_decimal_has_the_store_scale_and_the_store_bounds),
          TEST_CASE(test_every_integer_and_flag_is_bounded_as_the_store_bounds_it),
          TEST_CASE(test_a_currency_the_store_keeps_is_one_the_wire_takes))
