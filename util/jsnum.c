#include "util/jsnum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Shortest round-trip digits: try 1..17 significant digits and keep the first that reads back as
 * the same double (ECMA-262 Number::toString asks for the fewest digits that identify the value).
 */
static void shortest_digits(double v, char *digits, int *ndigits, int *exp10)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v || prec == 17)
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
    *exp10 = atoi(p + 1);
}

size_t rs_jsnum_format(double v, char *buf)
{
    if (isnan(v))
        return (size_t)snprintf(buf, RS_JSNUM_MAX, "NaN");
    if (isinf(v))
        return (size_t)snprintf(buf, RS_JSNUM_MAX, v < 0 ? "-Infinity" : "Infinity");
    if (v == 0)
        return (size_t)snprintf(buf, RS_JSNUM_MAX, "0");
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
