/*
 * util/regex_guard.h - refuse POSIX regular expressions that would make regcomp explode.
 *
 * glibc's regcomp expands every repetition by copying the repeated subtree: "a{100}" is a hundred
 * copies, "(a{100}){100}" ten thousand, and stacked quantifiers ("a+++...") double at each one,
 * so a short pattern from a scorer spec or an input.schema can ask for gigabytes. Patterns come
 * from users, so they are checked before compiling.
 */
#ifndef RS_UTIL_REGEX_GUARD_H
#define RS_UTIL_REGEX_GUARD_H

#include <stddef.h>

#define RS_REGEX_MAX_LENGTH 2000
#define RS_REGEX_MAX_COST 50000

/* 0 when (ERE) pattern is cheap enough to compile; otherwise -1 and *why says what is wrong. */
int rs_regex_check(const char *pattern, const char **why);

#endif
