/*
 * File-system helpers over POSIX calls.
 */
#define _GNU_SOURCE
#include "platform/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int odo_fs_data_dir(char *out, size_t cap, struct odo_err *err)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;

    if (xdg && xdg[0] == '/')
        n = snprintf(out, cap, "%s/odolog", xdg);
    else if (home && home[0])
        n = snprintf(out, cap, "%s/.local/share/odolog", home);
    else
        return odo_err_set(err, ODO_EINVAL,
                           "no data directory: set HOME or XDG_DATA_HOME, or pass --db PATH");
    if (n < 0 || (size_t)n >= cap)
        return odo_err_set(err, ODO_ETOOBIG, "the data directory path is too long");
    return 0;
}

int odo_fs_mkdirs(const char *dir, unsigned mode, struct odo_err *err)
{
    char buf[4096];
    size_t len = strlen(dir);

    if (len == 0 || len >= sizeof(buf))
        return odo_err_set(err, ODO_EINVAL, "bad directory path '%s'", dir);
    memcpy(buf, dir, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
            return odo_err_set(err, ODO_EIO, "cannot create directory '%s': %s", buf,
                               strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
        return odo_err_set(err, ODO_EIO, "cannot create directory '%s': %s", buf, strerror(errno));
    return 0;
}

int odo_fs_dirname(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    size_t n;

    if (!slash) {
        if (cap < 2)
            return ODO_ETOOBIG;
        strcpy(out, ".");
        return 0;
    }
    n = slash == path ? 1 : (size_t)(slash - path);
    if (n + 1 > cap)
        return ODO_ETOOBIG;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

int odo_fs_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return ODO_EIO;
    if (fsync(fd) != 0)
        rc = ODO_EIO;
    close(fd);
    return rc;
}

int odo_fs_replace(const char *tmp, const char *path, struct odo_err *err)
{
    char dir[4096];
    int fd, rc = 0;

    if (odo_fs_dirname(path, dir, sizeof(dir)) != 0)
        return odo_err_set(err, ODO_ETOOBIG, "path too long: '%s'", path);
    /* The data first: a rename that reaches the disk before the data would leave an empty or
     * partial file in place of the old one. */
    fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        rc = odo_err_set(err, ODO_EIO, "cannot sync '%s': %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (rc)
        return rc;
    if (rename(tmp, path) != 0)
        return odo_err_set(err, ODO_EIO, "cannot move '%s' into place: %s", path, strerror(errno));
    if (odo_fs_sync_dir(dir) != 0)
        return odo_err_set(err, ODO_EIO,
                           "'%s' is in place, but its directory '%s' cannot be synced: the "
                           "change may not survive a power cut",
                           path, dir);
    return 0;
}

int odo_fs_read_all(const char *path, size_t cap, char **out, size_t *out_len, struct odo_err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, alloc = 0;

    if (!f)
        return odo_err_set(err, ODO_EIO, "cannot open '%s': %s", path, strerror(errno));
    for (;;) {
        if (alloc - len < 4096 + 1) {
            size_t next = alloc ? alloc * 2 : 8192;
            if (next > cap + 1)
                next = cap + 1;
            if (next <= len + 1) {
                free(buf);
                fclose(f);
                return odo_err_set(err, ODO_ETOOBIG, "'%s' is larger than %zu bytes", path, cap);
            }
            char *nb = realloc(buf, next);
            if (!nb) {
                free(buf);
                fclose(f);
                return odo_err_set(err, ODO_ENOMEM, "out of memory reading '%s'", path);
            }
            buf = nb;
            alloc = next;
        }
        size_t n = fread(buf + len, 1, alloc - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return odo_err_set(err, ODO_EIO, "cannot read '%s'", path);
    }
    fclose(f);
    buf[len] = '\0';
    *out = buf;
    if (out_len)
        *out_len = len;
    return 0;
}
