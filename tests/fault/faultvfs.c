/*
 * The fault-injecting VFS of faultvfs.h. Every write made since a file's last sync is recorded
 * with the bytes it overwrote (an undo log), so that a power cut can be replayed exactly.
 */
#define _GNU_SOURCE
#include "faultvfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct undo {
    sqlite3_int64 offset;
    int len;
    unsigned char *old; /* the bytes that were there (len may be shorter than the write) */
};

struct tracked {
    char path[512];
    sqlite3_int64 synced_size;
    struct undo *undo;
    size_t n, cap;
};

static struct {
    int registered;
    enum faultvfs_mode mode;
    int countdown; /* write ops until the fault; 0 = disarmed */
    int fired, cut, ops;
    struct tracked files[16];
    size_t nfiles;
    sqlite3_vfs *root;
} g;

struct fault_file {
    sqlite3_file base;
    struct tracked *t; /* NULL for files we do not track (temporary files) */
    sqlite3_file *real;
};

#define REAL(f) (((struct fault_file *)(f))->real)

static struct tracked *track(const char *path, sqlite3_file *real)
{
    sqlite3_int64 size = 0;

    for (size_t i = 0; i < g.nfiles; i++)
        if (strcmp(g.files[i].path, path) == 0)
            return &g.files[i];
    if (g.nfiles == sizeof(g.files) / sizeof(g.files[0]))
        return NULL;
    struct tracked *t = &g.files[g.nfiles++];
    memset(t, 0, sizeof(*t));
    snprintf(t->path, sizeof(t->path), "%s", path);
    real->pMethods->xFileSize(real, &size);
    t->synced_size = size; /* what was there before we saw it is durable */
    return t;
}

static void forget_undo(struct tracked *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->undo[i].old);
    t->n = 0;
}

/* Counts one write operation; returns nonzero when it must fail. */
static int fault_now(void)
{
    if (g.cut)
        return 1;
    g.ops++;
    if (g.countdown > 0 && --g.countdown == 0) {
        g.fired = 1;
        if (g.mode == FAULTVFS_POWER_CUT)
            g.cut = 1;
        return 1;
    }
    return 0;
}

/* Remembers what [offset, offset+len) held before it is overwritten or cut off. */
static int remember(struct fault_file *f, sqlite3_int64 offset, int len)
{
    struct undo u = {offset, 0, NULL};
    sqlite3_int64 size = 0;

    if (!f->t)
        return SQLITE_OK;
    f->real->pMethods->xFileSize(f->real, &size);
    if (offset < size) {
        u.len = (int)(offset + len <= size ? len : size - offset);
        u.old = malloc((size_t)u.len);
        if (!u.old)
            return SQLITE_NOMEM;
        if (f->real->pMethods->xRead(f->real, u.old, u.len, offset) != SQLITE_OK) {
            free(u.old);
            return SQLITE_IOERR_READ;
        }
    }
    if (f->t->n == f->t->cap) {
        size_t cap = f->t->cap ? f->t->cap * 2 : 64;
        struct undo *nu = realloc(f->t->undo, cap * sizeof(*nu));
        if (!nu) {
            free(u.old);
            return SQLITE_NOMEM;
        }
        f->t->undo = nu;
        f->t->cap = cap;
    }
    f->t->undo[f->t->n++] = u;
    return SQLITE_OK;
}

static int f_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
    return rc;
}

static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    if (g.cut)
        return SQLITE_IOERR_READ;
    return REAL(f)->pMethods->xRead(REAL(f), buf, amt, off);
}

static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    int rc;
    if (fault_now())
        return SQLITE_IOERR_WRITE;
    rc = remember((struct fault_file *)f, off, amt);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xWrite(REAL(f), buf, amt, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    sqlite3_int64 cur = 0;
    int rc;

    if (fault_now())
        return SQLITE_IOERR_TRUNCATE;
    REAL(f)->pMethods->xFileSize(REAL(f), &cur);
    if (size < cur && (rc = remember((struct fault_file *)f, size, (int)(cur - size))) != SQLITE_OK)
        return rc;
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
    struct fault_file *ff = (struct fault_file *)f;
    int rc;

    if (fault_now())
        return SQLITE_IOERR_FSYNC;
    rc = REAL(f)->pMethods->xSync(REAL(f), flags);
    if (rc == SQLITE_OK && ff->t) {
        forget_undo(ff->t);
        REAL(f)->pMethods->xFileSize(REAL(f), &ff->t->synced_size);
    }
    return rc;
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    if (g.cut)
        return SQLITE_IOERR_FSTAT;
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int f_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int f_check_reserved(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device_characteristics(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    if (g.cut)
        return SQLITE_IOERR_SHMMAP;
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static const sqlite3_io_methods methods = {
    2, /* shared memory, no memory-mapped I/O */
    f_close,
    f_read,
    f_write,
    f_truncate,
    f_sync,
    f_file_size,
    f_lock,
    f_unlock,
    f_check_reserved,
    f_file_control,
    f_sector_size,
    f_device_characteristics,
    f_shm_map,
    f_shm_lock,
    f_shm_barrier,
    f_shm_unmap,
    NULL,
    NULL,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out)
{
    struct fault_file *f = (struct fault_file *)file;
    int rc;

    (void)vfs;
    f->real = (sqlite3_file *)(f + 1);
    f->t = NULL;
    if (g.cut) {
        file->pMethods = NULL;
        return SQLITE_CANTOPEN;
    }
    rc = g.root->xOpen(g.root, name, f->real, flags, out);
    if (rc != SQLITE_OK) {
        file->pMethods = NULL;
        return rc;
    }
    file->pMethods = &methods;
    if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)))
        f->t = track(name, f->real);
    return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    if (fault_now())
        return SQLITE_IOERR_DELETE;
    return g.root->xDelete(g.root, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return g.root->xAccess(g.root, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return g.root->xFullPathname(g.root, name, n, out);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return g.root->xRandomness(g.root, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return g.root->xSleep(g.root, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return g.root->xCurrentTime(g.root, out);
}

static int v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return g.root->xGetLastError(g.root, n, out);
}

static int v_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return g.root->xCurrentTimeInt64(g.root, out);
}

/* The VFS: its methods are fixed; the sizes come from the VFS it wraps, at registration. */
static sqlite3_vfs fault_vfs = {
    .iVersion = 2,
    .zName = FAULTVFS_NAME,
    .xOpen = v_open,
    .xDelete = v_delete,
    .xAccess = v_access,
    .xFullPathname = v_full_pathname,
    .xRandomness = v_randomness,
    .xSleep = v_sleep,
    .xCurrentTime = v_current_time,
    .xGetLastError = v_last_error,
    .xCurrentTimeInt64 = v_current_time64,
};

int faultvfs_register(void)
{
    if (g.registered)
        return SQLITE_OK;
    g.root = sqlite3_vfs_find(NULL);
    if (!g.root)
        return SQLITE_ERROR;
    fault_vfs.szOsFile = (int)sizeof(struct fault_file) + g.root->szOsFile;
    fault_vfs.mxPathname = g.root->mxPathname;
    g.registered = 1;
    return sqlite3_vfs_register(&fault_vfs, 0);
}

void faultvfs_arm(enum faultvfs_mode mode, int n)
{
    g.mode = mode;
    g.countdown = n > 0 ? n : 0;
    g.fired = 0;
    g.cut = 0;
    g.ops = 0;
}

int faultvfs_fired(void)
{
    return g.fired;
}

int faultvfs_ops(void)
{
    return g.ops;
}

int faultvfs_power_restore(void)
{
    int rc = 0;

    for (size_t i = 0; i < g.nfiles; i++) {
        struct tracked *t = &g.files[i];
        int fd = open(t->path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            forget_undo(t);
            continue;
        }
        for (size_t k = t->n; k-- > 0;) {
            struct undo *u = &t->undo[k];
            if (u->len > 0 && pwrite(fd, u->old, (size_t)u->len, u->offset) != u->len)
                rc = -1;
        }
        if (ftruncate(fd, t->synced_size) != 0)
            rc = -1;
        close(fd);
        forget_undo(t);
        free(t->undo);
        t->undo = NULL;
        t->cap = 0;
        char shm[600];
        snprintf(shm, sizeof(shm), "%s-shm", t->path);
        unlink(shm);
    }
    g.nfiles = 0;
    g.cut = 0;
    g.countdown = 0;
    return rc;
}
