/*
 * tests/test_helpers.h - cmocka helpers shared by the unit tests.
 * assert_rs_ok prints the rs_error (location and message) when a call fails, so a failing test
 * says why instead of "-3 != 0".
 */
#ifndef RS_TEST_HELPERS_H
#define RS_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rosetta/error.h"

#define assert_rs_ok(expr, errp)                                                                   \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != 0) {                                                                            \
            char buf_[2048];                                                                       \
            print_error("%s failed: %s (%s)\n", #expr, rs_error_format((errp), buf_, sizeof buf_), \
                        rs_error_name(rc_));                                                       \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* Path of a file under the source tree or the shared/ folder (set by ctest's environment). */
static inline const char *rs_test_path(char *buf, size_t size, const char *env, const char *rel)
{
    const char *root = getenv(env);
    if (!root)
        root = ".";
    int n = snprintf(buf, size, "%s/%s", root, rel);
    assert_true(n > 0 && (size_t)n < size);
    return buf;
}

#define RS_SOURCE_PATH(buf, rel) rs_test_path((buf), sizeof(buf), "RS_SOURCE_DIR", (rel))
#define RS_SHARED_PATH(buf, rel) rs_test_path((buf), sizeof(buf), "RS_SHARED_DIR", (rel))

#endif
