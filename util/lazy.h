/*
 * util/lazy.h - a value of an immutable, shared object that is computed on first use, once,
 * whichever thread asks first (a content hash that most users of a compiled template never read:
 * computing it eagerly cost a source-to-result render a tenth of its time).
 *
 *     if (rs_lazy_begin(&obj->hash_once)) {
 *         compute obj->hash;
 *         rs_lazy_end(&obj->hash_once);
 *     }
 *     read obj->hash
 *
 * rs_lazy_begin returns 1 to exactly one caller, which must compute and then call rs_lazy_end;
 * it returns 0 to every other caller once the value is ready (waiting, if another thread is
 * computing it, until it is), and the value's writes are then visible to them.
 */
#ifndef RS_UTIL_LAZY_H
#define RS_UTIL_LAZY_H

#include <stdatomic.h>

typedef struct rs_lazy {
    atomic_int state; /* 0 not computed, 1 being computed, 2 ready */
} rs_lazy;

/* Zero-initialised storage (calloc, memset, = {0}) is a valid rs_lazy too. */
void rs_lazy_init(rs_lazy *l);
int rs_lazy_begin(rs_lazy *l);
void rs_lazy_end(rs_lazy *l);

#endif
