/*
 * tests/test_shell.h - running a shell command from a unit test (the registry tests build real
 * repositories with `git` and cross-check our answers against its output).
 */
#ifndef RS_TEST_SHELL_H
#define RS_TEST_SHELL_H

#include "test_helpers.h"
#include "util/alloc.h"
#include "util/str.h"

#include <stdio.h>

/*
 * Run the command fmt, ... with popen; it must exit 0, else the test fails naming it. Returns its
 * stdout (rs_free): with len, exactly as written and *len its size (objects may hold NULs);
 * without, NUL-terminated with trailing newlines trimmed.
 */
static inline char *rs_test_sh(size_t *len, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof cmd);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    rs_str out = RS_STR_INIT;
    char buf[4096];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, p)) > 0)
        rs_str_append(&out, buf, r);
    int status = pclose(p);
    if (status != 0) {
        print_error("command failed (%d): %s\n", status, cmd);
        fail();
    }
    size_t l = 0;
    char *s = rs_str_detach(&out, &l);
    rs_str_free(&out);
    if (!s)
        s = rs_strdup("");
    if (len)
        *len = l;
    else
        while (l && s[l - 1] == '\n')
            s[--l] = '\0';
    return s;
}

#endif
