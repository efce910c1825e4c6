/*
 * A fault-injecting SQLite VFS for tests, wrapping the default one. It counts write operations
 * (xWrite, xTruncate, xSync) and, at the Nth, either fails that one operation with an I/O error
 * (a flaky disk) or cuts the power: that operation and every later one fail, and
 * faultvfs_power_restore() then puts every file back as it stood at its last xSync, the state a
 * disk without a write cache would be found in after the ignition is cut. The shared-memory
 * index (-shm) is volatile and is removed, as a reboot would.
 *
 * The state is process-global (this is a test harness, one store at a time).
 */
#ifndef ODO_TESTS_FAULTVFS_H
#define ODO_TESTS_FAULTVFS_H

#define FAULTVFS_NAME "odo-fault"

enum faultvfs_mode { FAULTVFS_IOERR_ONCE, FAULTVFS_POWER_CUT };

/* Registers the VFS (once). Returns SQLITE_OK or an SQLite error code. */
int faultvfs_register(void);

/* Arms a fault at the nth write operation from now (1 = the next one); n <= 0 disarms. */
void faultvfs_arm(enum faultvfs_mode mode, int n);

/* Whether the armed fault has fired. */
int faultvfs_fired(void);

/* Write operations seen since the last faultvfs_arm(). */
int faultvfs_ops(void);

/* After a power cut (with every connection closed): rolls each tracked file back to its state
 * at its last sync, removes -shm files, and forgets all tracking. Returns 0 or -1. */
int faultvfs_power_restore(void);

#endif
