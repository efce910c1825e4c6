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

int odo_fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
                        struct odo_err *err)
{
    char tmp[4096], dir[4096];
    const char *p = data;
    int fd, rc = ODO_EIO;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp) ||
        odo_fs_dirname(path, dir, sizeof(dir)) != 0)
        return odo_err_set(err, ODO_ETOOBIG, "path too long: '%s'", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return odo_err_set(err, ODO_EIO, "cannot create '%s': %s", tmp, strerror(errno));
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            odo_err_set(err, ODO_EIO, "cannot write '%s': %s", tmp, strerror(errno));
            goto out_unlink;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) != 0) {
        odo_err_set(err, ODO_EIO, "cannot sync '%s': %s", tmp, strerror(errno));
        goto out_unlink;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path) != 0) {
        odo_err_set(err, ODO_EIO, "cannot replace '%s': %s", path, strerror(errno));
        goto out_unlink;
    }
    if (odo_fs_sync_dir(dir) != 0)
        return odo_err_set(err, ODO_EIO, "cannot sync directory '%s'", dir);
    return 0;
out_unlink:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return rc;
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
