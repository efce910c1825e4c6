/*
 * What the vPIC decoder (vpic.c) and its installer (vpic_install.c) share; nothing outside
 * storage/vin/ includes this.
 */
#ifndef ODO_STORAGE_VIN_INTERNAL_H
#define ODO_STORAGE_VIN_INTERNAL_H

#include <stdbool.h>

/* The format of what odo_vpic_install leaves (its indexes and metadata); the decoder opens only
 * this format. Bumped when the indexes change. */
#define ODO_VPIC_FORMAT "1"

/* Whether s is a plain SQL identifier (letters, digits, '_'): table names read from vPIC's own
 * tables are used in statements only when they are. */
bool odo_vpic_identifier(const char *s);

#endif
