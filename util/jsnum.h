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

#endif
