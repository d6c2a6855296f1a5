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

/*
 * Why this is exact: m / 10^k with m < 10^15 and k <= 19 is a division of two exactly represented
 * doubles, so IEEE gives the correctly rounded quotient, which is what strtod("m e-k") gives; when
 * it equals v, the decimal m e-k names v. The smallest such k gives the fewest digits, and with at
 * most 15 digits no other decimal of as many digits rounds to v (DBL_DIG), so it is the shortest
 * round-trip form JavaScript prints and the digits "%.15g" prints.
 */
size_t rs_jsnum_short_decimal(double v, char *buf)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                   1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
    double a = v < 0 ? -v : v;
    if (!(a >= 1e-4 && a < 1e15) || a == (double)(unsigned long long)a)
        return 0; /* NaN fails too; integers are the callers' own faster case */
    for (int k = 1; k < (int)(sizeof pow10 / sizeof pow10[0]); k++) {
        double scaled = a * pow10[k];
        if (scaled >= 1e15)
            return 0; /* more than 15 significant digits */
        unsigned long long m = (unsigned long long)(scaled + 0.5);
        if ((double)m / pow10[k] != a)
            continue;
        unsigned long long p = (unsigned long long)pow10[k];
        unsigned long long ip = m / p, frac = m % p;
        size_t len = v < 0 ? 1 : 0;
        if (v < 0)
            buf[0] = '-';
        len += format_integer((double)ip, buf + len);
        buf[len++] = '.';
        /* All k digits, none of them trailing zeros: m ending in 0 would have matched at k - 1
         * (m / 10 is a rounding of v * 10^(k-1) off by under 0.2), and k = 1 is an integer. */
        for (int i = k - 1; i >= 0; i--) {
            buf[len + (size_t)i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        len += (size_t)k;
        buf[len] = '\0';
        return len;
    }
    return 0;
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
    size_t len = rs_jsnum_short_decimal(v, buf);
    if (len)
        return len;
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
