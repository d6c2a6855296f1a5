#include "util/file.h"

#include "util/alloc.h"
#include "util/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rs_file_read(char **out, size_t *len, const char *path, rs_error *err)
{
    *out = NULL;
    if (len)
        *len = 0;
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        rs_error_set_at(err, e == ENOENT ? RS_ENOTFOUND : RS_EIO, path, 0, 0, "cannot open: %s",
                        strerror(e));
        rs_error_set_cause(err, e);
        return err ? err->code : RS_EIO;
    }
    rs_str buf = RS_STR_INIT;
    char chunk[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            rc = rs_error_set_at(err, RS_EIO, is_stdin ? "<stdin>" : path, 0, 0,
                                 "cannot read: %s", strerror(e));
            rs_error_set_cause(err, e);
            goto done;
        }
        if (n == 0)
            break;
        if (rs_str_append(&buf, chunk, (size_t)n)) {
            rc = rs_str_report(&buf, err, path);
            goto done;
        }
    }
    size_t n = 0;
    char *data = rs_str_detach(&buf, &n);
    if (!data) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory reading %s", path);
        goto done;
    }
    *out = data;
    if (len)
        *len = n;
done:
    if (!is_stdin)
        close(fd);
    rs_str_free(&buf);
    return rc;
}

int rs_file_write_atomic(const char *path, const char *data, size_t len, rs_error *err)
{
    rs_str tmp = RS_STR_INIT;
    int rc = 0, fd = -1;
    rs_str_appendf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    if (rs_str_error(&tmp))
        return rs_str_report(&tmp, err, "a temporary file name");
    fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = rs_error_set_at(err, RS_EIO, path, 0, 0, "cannot create: %s", strerror(errno));
        goto done;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = rs_error_set_at(err, RS_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
            goto done;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0) {
        rc = rs_error_set_at(err, RS_EIO, path, 0, 0, "cannot sync: %s", strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = rs_error_set_at(err, RS_EIO, path, 0, 0, "cannot close: %s", strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp.ptr, path) != 0)
        rc = rs_error_set_at(err, RS_EIO, path, 0, 0, "cannot rename into place: %s",
                             strerror(errno));
done:
    if (fd >= 0)
        close(fd);
    if (rc && tmp.ptr)
        unlink(tmp.ptr);
    rs_str_free(&tmp);
    return rc;
}
