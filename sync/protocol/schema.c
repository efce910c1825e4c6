/*
 * The wire schema, version 1. Limits match the device store's checks (the storage headers) so
 * anything a device accepted passes, and anything else is refused at the door.
 */
#include "sync/protocol/schema.h"

#include <string.h>

static const char *const dist_units[] = {"km", "mi", NULL};
static const char *const vol_units[] = {"L", "gal_us", "gal_imp", NULL};
static const char *const categories[] = {
    "engine", "transmission", "brakes",  "tires",      "suspension", "electrical", "climate",
    "body",   "fluids",       "filters", "inspection", "other",      NULL};
static const char *const renewal_kinds[] = {"insurance", "registration", "emissions", NULL};

#define ODO_MAX   99999999LL /* 9,999,999.9 in tenths */
#define MONEY_MAX 1000000000LL
#define COMMON                                                                                     \
    {"notes", ODO_W_TEXT, true, 0, 0, 1000, NULL, 1, "text"},                                      \
        {"created_at", ODO_W_TIME, false, 0, 0, 0, NULL, 1, "timestamptz"},                        \
        {"updated_at", ODO_W_TIME, false, 0, 0, 0, NULL, 1, "timestamptz"},                        \
    {                                                                                              \
        "deleted_at", ODO_W_TIME, true, 0, 0, 0, NULL, 1, "timestamptz"                            \
    }

static const struct odo_wire_col vehicles[] = {
    {"vin", ODO_W_TEXT, true, 0, 17, 17, NULL, 1, "text"},
    {"name", ODO_W_TEXT, false, 0, 1, 64, NULL, 1, "text"},
    {"make", ODO_W_TEXT, true, 0, 0, 64, NULL, 1, "text"},
    {"model", ODO_W_TEXT, true, 0, 0, 64, NULL, 1, "text"},
    {"model_year", ODO_W_INT, true, 0, 1900, 2100, NULL, 1, "integer"},
    {"trim", ODO_W_TEXT, true, 0, 0, 64, NULL, 1, "text"},
    {"plate", ODO_W_TEXT, true, 0, 0, 16, NULL, 1, "text"},
    {"odometer_unit", ODO_W_ENUM, false, 0, 0, 0, dist_units, 1, "text"},
    COMMON,
    /* schema 2: from a VIN decode (docs/vin.md) */
    {"body_class", ODO_W_TEXT, true, 0, 0, 64, NULL, 2, "text"},
    {"engine", ODO_W_TEXT, true, 0, 0, 96, NULL, 2, "text"},
    {"fuel_type", ODO_W_TEXT, true, 0, 0, 64, NULL, 2, "text"},
};

static const struct odo_wire_col fuel_logs[] = {
    {"vehicle_id", ODO_W_UUID, false, 0, 0, 0, NULL, 1, "uuid"},
    {"filled_at", ODO_W_TIME, false, 0, 0, 0, NULL, 1, "timestamptz"},
    {"odometer", ODO_W_DEC, false, 1, 0, ODO_MAX, NULL, 1, "numeric(9,1)"},
    {"volume", ODO_W_DEC, false, 3, 1, 2000000, NULL, 1, "numeric(10,3)"},
    {"volume_unit", ODO_W_ENUM, false, 0, 0, 0, vol_units, 1, "text"},
    {"unit_price", ODO_W_DEC, true, 3, 0, 100000000, NULL, 1, "numeric(12,3)"},
    {"total_cost", ODO_W_DEC, true, 2, 0, MONEY_MAX, NULL, 1, "numeric(12,2)"},
    {"currency", ODO_W_CURRENCY, true, 0, 0, 0, NULL, 1, "text"},
    {"is_full", ODO_W_BOOL, false, 0, 0, 1, NULL, 1, "boolean"},
    {"missed", ODO_W_BOOL, false, 0, 0, 1, NULL, 1, "boolean"},
    {"station_id", ODO_W_UUID, true, 0, 0, 0, NULL, 1, "uuid"},
    {"station", ODO_W_TEXT, true, 0, 0, 64, NULL, 1, "text"},
    COMMON,
};

static const struct odo_wire_col odometer_readings[] = {
    {"vehicle_id", ODO_W_UUID, false, 0, 0, 0, NULL, 1, "uuid"},
    {"read_at", ODO_W_TIME, false, 0, 0, 0, NULL, 1, "timestamptz"},
    {"odometer", ODO_W_DEC, false, 1, 0, ODO_MAX, NULL, 1, "numeric(9,1)"},
    {"forced", ODO_W_BOOL, false, 0, 0, 1, NULL, 1, "boolean"},
    COMMON,
};

static const struct odo_wire_col maintenance[] = {
    {"vehicle_id", ODO_W_UUID, false, 0, 0, 0, NULL, 1, "uuid"},
    {"type", ODO_W_TEXT, false, 0, 1, 40, NULL, 1, "text"},
    {"category", ODO_W_ENUM, false, 0, 0, 0, categories, 1, "text"},
    {"description", ODO_W_TEXT, true, 0, 0, 200, NULL, 1, "text"},
    {"due_date", ODO_W_DATE, true, 0, 0, 0, NULL, 1, "date", ODO_MERGE_SCHEDULE},
    {"due_odometer", ODO_W_DEC, true, 1, 0, ODO_MAX, NULL, 1, "numeric(9,1)", ODO_MERGE_SCHEDULE},
    {"interval_months", ODO_W_INT, true, 0, 1, 240, NULL, 1, "integer", ODO_MERGE_SCHEDULE},
    {"interval_distance", ODO_W_DEC, true, 1, 1, 10000000, NULL, 1, "numeric(9,1)",
     ODO_MERGE_SCHEDULE},
    {"last_done_date", ODO_W_DATE, true, 0, 0, 0, NULL, 1, "date", ODO_MERGE_SCHEDULE},
    {"last_done_odometer", ODO_W_DEC, true, 1, 0, ODO_MAX, NULL, 1, "numeric(9,1)",
     ODO_MERGE_SCHEDULE},
    COMMON,
};

static const struct odo_wire_col service_records[] = {
    {"vehicle_id", ODO_W_UUID, false, 0, 0, 0, NULL, 1, "uuid"},
    {"maintenance_id", ODO_W_UUID, true, 0, 0, 0, NULL, 1, "uuid"},
    {"performed_at", ODO_W_TIME, false, 0, 0, 0, NULL, 1, "timestamptz"},
    {"odometer", ODO_W_DEC, true, 1, 0, ODO_MAX, NULL, 1, "numeric(9,1)"},
    {"description", ODO_W_TEXT, false, 0, 1, 200, NULL, 1, "text"},
    {"cost", ODO_W_DEC, true, 2, 0, MONEY_MAX, NULL, 1, "numeric(12,2)"},
    {"currency", ODO_W_CURRENCY, true, 0, 0, 0, NULL, 1, "text"},
    {"shop", ODO_W_TEXT, true, 0, 0, 64, NULL, 1, "text"},
    COMMON,
};

static const struct odo_wire_col renewals[] = {
    {"vehicle_id", ODO_W_UUID, false, 0, 0, 0, NULL, 1, "uuid"},
    {"kind", ODO_W_ENUM, false, 0, 0, 0, renewal_kinds, 1, "text"},
    {"document_number", ODO_W_TEXT, true, 0, 0, 64, NULL, 1, "text"},
    {"issuer", ODO_W_TEXT, true, 0, 0, 64, NULL, 1, "text"},
    {"valid_from", ODO_W_DATE, false, 0, 0, 0, NULL, 1, "date", ODO_MERGE_VALIDITY},
    {"valid_until", ODO_W_DATE, false, 0, 0, 0, NULL, 1, "date", ODO_MERGE_VALIDITY},
    {"cost", ODO_W_DEC, true, 2, 0, MONEY_MAX, NULL, 1, "numeric(12,2)"},
    {"currency", ODO_W_CURRENCY, true, 0, 0, 0, NULL, 1, "text"},
    COMMON,
};

static const struct odo_wire_col stations[] = {
    {"name", ODO_W_TEXT, false, 0, 1, 64, NULL, 1, "text"},
    {"brand", ODO_W_TEXT, true, 0, 0, 64, NULL, 1, "text"},
    {"address", ODO_W_TEXT, true, 0, 0, 200, NULL, 1, "text"},
    {"latitude", ODO_W_TEXT, true, 0, 0, 16, NULL, 1, "text"},
    {"longitude", ODO_W_TEXT, true, 0, 0, 16, NULL, 1, "text"},
    {"updated_at", ODO_W_TIME, false, 0, 0, 0, NULL, 1, "timestamptz"},
    {"deleted_at", ODO_W_TIME, true, 0, 0, 0, NULL, 1, "timestamptz"},
};

#define TABLE(n, user, order)                                                                      \
    {                                                                                              \
#n, n, sizeof(n) / sizeof(n[0]), user, order                                               \
    }

static const struct odo_wire_table tables[] = {
    TABLE(vehicles, true, 0),          TABLE(maintenance, true, 1),     TABLE(fuel_logs, true, 2),
    TABLE(odometer_readings, true, 2), TABLE(service_records, true, 2), TABLE(renewals, true, 2),
    TABLE(stations, false, 3),
};

const struct odo_wire_table *odo_wire_tables(size_t *count)
{
    *count = sizeof(tables) / sizeof(tables[0]);
    return tables;
}

const struct odo_wire_table *odo_wire_table(const char *name)
{
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        if (strcmp(tables[i].name, name) == 0)
            return &tables[i];
    return NULL;
}

int odo_wire_col_index(const struct odo_wire_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}
