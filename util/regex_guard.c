/*
 * util/regex_guard.c - an upper bound on what regcomp will build for an extended regex.
 *
 * The estimate walks the pattern once with a stack of groups: an atom costs 1, a group the sum
 * of what it holds, and a quantifier multiplies the cost of the item before it (by 2 for '+',
 * which glibc compiles as "x x*", and by the larger bound for "{n,m}"). A quantifier right after
 * another is refused outright: POSIX leaves it undefined and it is how the blow-up starts.
 */
#include "util/regex_guard.h"

#include <string.h>

#define MAX_NESTING 64

int rs_regex_check(const char *pattern, const char **why)
{
    size_t len = strlen(pattern);
    if (len > RS_REGEX_MAX_LENGTH) {
        *why = "the pattern is longer than 2000 characters";
        return -1;
    }
    double group[MAX_NESTING + 1]; /* cost of each open group so far */
    int depth = 0;
    double last = 0;     /* cost of the item a quantifier would apply to; 0: none */
    int after_quant = 0; /* the previous token was a quantifier */
    group[0] = 0;
    for (size_t i = 0; i < len; i++) {
        char c = pattern[i];
        double m = 0; /* multiplier when c starts a quantifier */
        if (c == '\\' && i + 1 < len) {
            i++;
            last = 1;
            group[depth] += 1;
            after_quant = 0;
            continue;
        }
        if (c == '[') { /* a bracket expression is one atom; ']' first is literal */
            size_t j = i + 1;
            if (j < len && pattern[j] == '^')
                j++;
            if (j < len && pattern[j] == ']')
                j++;
            while (j < len && pattern[j] != ']') {
                if (pattern[j] == '[' && j + 1 < len && strchr(":.=", pattern[j + 1])) {
                    const char *end = strstr(pattern + j + 2, (char[]){pattern[j + 1], ']', 0});
                    j = end ? (size_t)(end - pattern) + 2 : len;
                    continue;
                }
                j++;
            }
            i = j < len ? j : len;
            last = 1;
            group[depth] += 1;
            after_quant = 0;
            continue;
        }
        if (c == '(') {
            if (depth == MAX_NESTING) {
                *why = "groups are nested more than 64 deep";
                return -1;
            }
            group[++depth] = 0;
            last = 0;
            after_quant = 0;
            continue;
        }
        if (c == ')' && depth > 0) {
            last = group[depth] > 0 ? group[depth] : 1;
            depth--;
            group[depth] += last;
            after_quant = 0;
            continue;
        }
        if (c == '|') {
            last = 0;
            after_quant = 0;
            continue;
        }
        if (c == '*' || c == '?') {
            m = 1;
        } else if (c == '+') {
            m = 2;
        } else if (c == '{') {
            /* {n}, {n,}, {n,m}: the larger bound copies the item that many times */
            double lo = 0, hi = -1;
            size_t j = i + 1;
            while (j < len && pattern[j] >= '0' && pattern[j] <= '9')
                lo = lo * 10 + (pattern[j++] - '0');
            if (j < len && pattern[j] == ',') {
                j++;
                if (j < len && pattern[j] >= '0' && pattern[j] <= '9') {
                    hi = 0;
                    while (j < len && pattern[j] >= '0' && pattern[j] <= '9')
                        hi = hi * 10 + (pattern[j++] - '0');
                }
            }
            if (j < len && pattern[j] == '}') {
                m = (hi > lo ? hi : lo) + 1;
                i = j;
            }
        }
        if (m > 0) {
            if (after_quant) {
                *why = "a quantifier follows another quantifier";
                return -1;
            }
            /* the item was counted once already; the quantifier adds the copies */
            group[depth] += last * (m - 1);
            last *= m;
            after_quant = 1;
        } else {
            last = 1;
            group[depth] += 1;
            after_quant = 0;
        }
        if (group[depth] > RS_REGEX_MAX_COST || last > RS_REGEX_MAX_COST) {
            *why = "the pattern expands to too many states (nested or large repetitions)";
            return -1;
        }
    }
    return 0;
}
