/*
 * Files and directories: where odolog keeps its data, creating directory chains, and the
 * durable replace (fsync a finished temporary, rename it over the file, fsync the directory)
 * that keeps a file whole across a power cut.
 */
#ifndef ODO_PLATFORM_FS_H
#define ODO_PLATFORM_FS_H

#include <stddef.h>

#include "platform/error.h"

/*
 * Writes the default data directory into out: $XDG_DATA_HOME/odolog, else
 * $HOME/.local/share/odolog. Does not create it. Returns 0, or ODO_EINVAL (no HOME) or
 * ODO_ETOOBIG (path longer than cap), with a sentence in err.
 */
int odo_fs_data_dir(char *out, size_t cap, struct odo_err *err) ODO_MUST_CHECK;

/* Creates dir and its missing parents with mode (existing ones are fine). 0 or ODO_EIO. */
int odo_fs_mkdirs(const char *dir, unsigned mode, struct odo_err *err) ODO_MUST_CHECK;

/* Writes the directory part of path (or "." when there is none) into out. */
int odo_fs_dirname(const char *path, char *out, size_t cap) ODO_MUST_CHECK;

/* fsyncs a directory so a rename or create in it is durable. 0 or ODO_EIO. */
int odo_fs_sync_dir(const char *dir) ODO_MUST_CHECK;

/*
 * Puts the finished file tmp in place of path, durably: fsyncs tmp, renames it over path and
 * fsyncs path's directory, so that readers (and a reboot after a power cut) see the old file or
 * the new one, never a mix. tmp must be on the same file system as path (in practice, in the
 * same directory); the caller wrote and closed it. Returns 0, or ODO_EIO or ODO_ETOOBIG with a
 * sentence in err: before the rename path is untouched and tmp is left for the caller to
 * remove; when only the directory sync failed, path already holds the new file but the change
 * may not survive a power cut.
 */
int odo_fs_replace(const char *tmp, const char *path, struct odo_err *err) ODO_MUST_CHECK;

/*
 * Reads the whole of path into a new NUL-terminated buffer (caller frees) of at most cap bytes.
 * Returns 0, ODO_EIO, or ODO_ETOOBIG when the file is larger than cap.
 */
int odo_fs_read_all(const char *path, size_t cap, char **out, size_t *out_len,
                    struct odo_err *err) ODO_MUST_CHECK;

#endif
