#include "util/lazy.h"

#include <sched.h>

void rs_lazy_init(rs_lazy *l)
{
    atomic_init(&l->state, 0);
}

int rs_lazy_begin(rs_lazy *l)
{
    if (atomic_load_explicit(&l->state, memory_order_acquire) == 2)
        return 0;
    int expected = 0;
    if (atomic_compare_exchange_strong_explicit(&l->state, &expected, 1, memory_order_acquire,
                                                memory_order_acquire))
        return 1;
    /* another thread computes it: the values this guards take microseconds, so yield, not sleep */
    while (atomic_load_explicit(&l->state, memory_order_acquire) != 2)
        sched_yield();
    return 0;
}

void rs_lazy_end(rs_lazy *l)
{
    atomic_store_explicit(&l->state, 2, memory_order_release);
}
