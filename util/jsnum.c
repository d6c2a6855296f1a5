#include "util/jsnum.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Shortest round-trip digits (ECMA-262 Number::toString asks for the fewest digits that identify
 * the value, the closest such when there are several). Any decimal of at most 15 significant
 * digits survives decimal -> double -> 15-digit decimal unchanged (DBL_DIG), so when a <= 15 digit
 * form exists, "%.14e" yields it padded with zeros; otherwise 16 digits may do, and 17 always do.
 * printf rounds correctly, so the form found is also the closest. Three tries at most; subnormals
 * carry fewer digits than DBL_DIG promises, so they search from one digit up.
 */
static void shortest_digits(double v, char *digits, int *ndigits, int *exp10)
{
    char buf[40];
    for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
        if (prec == 17 || strtod(buf, NULL) == v)
            break;
    }
    /* buf is "d.ddddde[+-]xx" */
    int k = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    *ndigits = k;
    *exp10 = (int)strtol(p + 1, NULL, 10);
}

/* Integers below 2^53 are exact and print as plain digits: the common case, without printf. */
static size_t format_integer(double v, char *buf)
{
    unsigned long long u = (unsigned long long)(v < 0 ? -v : v);
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

size_t rs_jsnum_format(double v, char *buf)
{
    if (isnan(v))
        return (size_t)snprintf(buf, RS_JSNUM_MAX, "NaN");
    if (isinf(v))
        return (size_t)snprintf(buf, RS_JSNUM_MAX, v < 0 ? "-Infinity" : "Infinity");
    if (v == 0)
        return (size_t)snprintf(buf, RS_JSNUM_MAX, "0");
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v)
        return format_integer(v, buf);
    size_t len = 0;
    if (v < 0) {
        buf[len++] = '-';
        v = -v;
    }
    char d[24];
    int k, e;
    shortest_digits(v, d, &k, &e);
    int n = e + 1; /* position of the decimal point relative to the digits */
    if (k <= n && n <= 21) {
        memcpy(buf + len, d, (size_t)k);
        len += (size_t)k;
        for (int i = 0; i < n - k; i++)
            buf[len++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(buf + len, d, (size_t)n);
        len += (size_t)n;
        buf[len++] = '.';
        memcpy(buf + len, d + n, (size_t)(k - n));
        len += (size_t)(k - n);
    } else if (-6 < n && n <= 0) {
        buf[len++] = '0';
        buf[len++] = '.';
        for (int i = 0; i < -n; i++)
            buf[len++] = '0';
        memcpy(buf + len, d, (size_t)k);
        len += (size_t)k;
    } else {
        buf[len++] = d[0];
        if (k > 1) {
            buf[len++] = '.';
            memcpy(buf + len, d + 1, (size_t)(k - 1));
            len += (size_t)(k - 1);
        }
        len += (size_t)snprintf(buf + len, RS_JSNUM_MAX - len, "e%c%d", n - 1 < 0 ? '-' : '+',
                                abs(n - 1));
    }
    buf[len] = '\0';
    return len;
}
