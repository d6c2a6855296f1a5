/*
 * util/jsnum.h - numbers printed exactly as JavaScript's Number.prototype.toString prints them.
 * Templates must print values as the reference (JavaScript) does: 1e+21, 0.1, 1.5e-7, -0 as "0".
 */
#ifndef RS_UTIL_JSNUM_H
#define RS_UTIL_JSNUM_H

#include <stddef.h>

#define RS_JSNUM_MAX 32

/* Write the JavaScript string form of v into buf (at least RS_JSNUM_MAX bytes). Returns length. */
size_t rs_jsnum_format(double v, char *buf);

/*
 * The common non-integer case of both number printers, without printf: when v is a decimal of at
 * most 15 significant digits and 1e-4 <= |v| < 1e15 (the range where JavaScript and C's "%.15g"
 * both write plain fixed notation and agree digit for digit), write it as such ("0.2", "-12.75",
 * "0.0001") and return the length; otherwise write nothing and return 0 (the caller's printf path).
 * buf holds at least RS_JSNUM_MAX bytes.
 */
size_t rs_jsnum_short_decimal(double v, char *buf);

#endif
