/*
 * render/prompt_cache.c - compiled prompts by content hash, bounded LRU (see prompt_cache.h).
 *
 * The key is the exact bytes of the source and of the options that change the result; a 64-bit
 * hash of them picks the bucket and a full comparison confirms the match. That is what a
 * SHA-256 key would identify, without its cost: hashing bench/render.prompt's 1.2 KB with
 * SHA-256 took 5.5 us, half of a cached source-to-result render, where this hash and memcmp take
 * well under 0.3 us (and cannot collide). A hash table (chains, power-of-two buckets) plus a
 * doubly linked recency list. The lock is held only to look up,
 * link and unlink; compiling, revalidating partials and freeing prompts happen outside it, so a
 * slow compile in one thread does not stall hits in the others.
 */
#include "render/prompt_cache.h"

#include "util/alloc.h"
#include "util/json.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* What identifies a compiled prompt: the source and the options that change the result. */
typedef struct key {
    uint64_t hash;
    const char *src;
    size_t len;
    const char *filename, *partials_dir, *schemas; /* NULL when not given */
} key;

typedef struct entry {
    key k;                     /* its strings owned by the entry (one block: see entry_new) */
    rs_prompt *p;              /* the cache's own reference */
    struct entry *prev, *next; /* recency: head is the most recently used */
    struct entry *chain;       /* next in the bucket */
} entry;

struct rs_prompt_cache {
    pthread_mutex_t mu;
    size_t capacity, count, nbuckets;
    entry **buckets;
    entry *head, *tail;
    atomic_ulong hits, misses, stale, evictions;
};

static int oom(rs_error *err)
{
    return rs_error_set(err, RS_ENOMEM, "out of memory");
}

int rs_prompt_cache_new(rs_prompt_cache **out, size_t capacity, rs_error *err)
{
    *out = NULL;
    if (capacity == 0)
        capacity = 256; /* as documented in rosetta/prompt.h */
    size_t nb = 16;
    while (nb < capacity && nb < ((size_t)1 << 20))
        nb <<= 1;
    rs_prompt_cache *c = rs_calloc(1, sizeof(*c));
    if (!c)
        return oom(err);
    c->buckets = rs_calloc(nb, sizeof(*c->buckets));
    if (!c->buckets || pthread_mutex_init(&c->mu, NULL) != 0) {
        rs_free(c->buckets);
        rs_free(c);
        return oom(err);
    }
    c->capacity = capacity;
    c->nbuckets = nb;
    atomic_init(&c->hits, 0);
    atomic_init(&c->misses, 0);
    atomic_init(&c->stale, 0);
    atomic_init(&c->evictions, 0);
    *out = c;
    return 0;
}

void rs_prompt_cache_free(rs_prompt_cache *c)
{
    if (!c)
        return;
    for (entry *e = c->head, *next; e; e = next) {
        next = e->next;
        rs_prompt_free(e->p);
        rs_free(e);
    }
    pthread_mutex_destroy(&c->mu);
    rs_free(c->buckets);
    rs_free(c);
}

/* A fast 64-bit hash (multiply-xorshift over 8-byte words; seeded per field so that fields do
 * not run together). Only picks buckets: matches are confirmed byte for byte. */
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v * 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
    h = mix(h, s ? n + 1 : 0); /* absent and empty differ */
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = mix(h, w);
    }
    uint64_t tail = 0;
    if (i < n)
        memcpy(&tail, s + i, n - i);
    return mix(h, tail);
}

/* k's fields point at the caller's strings; k->schemas is from rs_malloc (free it). */
static int make_key(key *k, const char *src, size_t len, const rs_prompt_compile_opts *o,
                    rs_error *err)
{
    *k = (key){0, src ? src : "", src ? len : 0, o->filename, o->partials_dir, NULL};
    if (o->schemas && !(k->schemas = rs_json_print(o->schemas, 0)))
        return oom(err);
    uint64_t h = hash_bytes(0x726f7365747461ull, k->src, k->len);
    h = hash_bytes(h, k->filename, k->filename ? strlen(k->filename) : 0);
    h = hash_bytes(h, k->partials_dir, k->partials_dir ? strlen(k->partials_dir) : 0);
    k->hash = hash_bytes(h, k->schemas, k->schemas ? strlen(k->schemas) : 0);
    return 0;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_key(const key *a, const key *b)
{
    return a->hash == b->hash && a->len == b->len && memcmp(a->src, b->src, a->len) == 0 &&
           same_str(a->filename, b->filename) && same_str(a->partials_dir, b->partials_dir) &&
           same_str(a->schemas, b->schemas);
}

/* An entry holding a copy of k (the strings in one block after the struct). */
static entry *entry_new(const key *k)
{
    size_t fl = k->filename ? strlen(k->filename) + 1 : 0;
    size_t dl = k->partials_dir ? strlen(k->partials_dir) + 1 : 0;
    size_t sl = k->schemas ? strlen(k->schemas) + 1 : 0;
    entry *e = rs_calloc(1, sizeof(*e) + k->len + 1 + fl + dl + sl);
    if (!e)
        return NULL;
    char *at = (char *)(e + 1);
    e->k.hash = k->hash;
    e->k.len = k->len;
    e->k.src = memcpy(at, k->src, k->len);
    at += k->len + 1;
    if (fl) {
        e->k.filename = memcpy(at, k->filename, fl);
        at += fl;
    }
    if (dl) {
        e->k.partials_dir = memcpy(at, k->partials_dir, dl);
        at += dl;
    }
    if (sl)
        e->k.schemas = memcpy(at, k->schemas, sl);
    return e;
}

static size_t bucket_of(const rs_prompt_cache *c, uint64_t hash)
{
    return (size_t)hash & (c->nbuckets - 1);
}

/* ---- under the lock ---- */

static entry *find(rs_prompt_cache *c, const key *k)
{
    for (entry *e = c->buckets[bucket_of(c, k->hash)]; e; e = e->chain) {
        if (same_key(&e->k, k))
            return e;
    }
    return NULL;
}

static void list_unlink(rs_prompt_cache *c, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void list_push_front(rs_prompt_cache *c, entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void remove_entry(rs_prompt_cache *c, entry *e)
{
    entry **pp = &c->buckets[bucket_of(c, e->k.hash)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    list_unlink(c, e);
    c->count--;
}

/* ---- get ---- */

/*
 * Put p under key (replacing what is there: a stale prompt, or one another thread compiled at the
 * same time) and take a reference for the caller. What leaves the table is returned in *drop
 * (entries, linked through chain) to be freed after the lock is released.
 */
static void insert_locked(rs_prompt_cache *c, entry *fresh, rs_prompt *p, entry **drop,
                          rs_prompt **old)
{
    entry *e = find(c, &fresh->k);
    if (e) {
        *old = e->p;
        e->p = p;
        list_unlink(c, e);
        list_push_front(c, e);
        fresh->chain = *drop; /* not needed (its p is NULL): the existing entry holds p */
        *drop = fresh;
        return;
    }
    fresh->p = p;
    size_t b = bucket_of(c, fresh->k.hash);
    fresh->chain = c->buckets[b];
    c->buckets[b] = fresh;
    list_push_front(c, fresh);
    c->count++;
    while (c->count > c->capacity) {
        entry *victim = c->tail;
        remove_entry(c, victim);
        victim->chain = *drop;
        *drop = victim;
        atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
    }
}

int rs_prompt_cache_get(rs_prompt_cache *c, rs_prompt **out, const char *src, size_t len,
                        const rs_prompt_compile_opts *opts, rs_error *err)
{
    rs_prompt_compile_opts defaults = RS_PROMPT_COMPILE_OPTS_INIT;
    key k;
    rs_prompt *p = NULL, *old = NULL;
    entry *fresh = NULL, *drop = NULL;
    int rc;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if ((rc = make_key(&k, src, len, opts, err)) != 0)
        return rc;

    pthread_mutex_lock(&c->mu);
    entry *e = find(c, &k);
    if (e) {
        p = rs_prompt_retain(e->p);
        list_unlink(c, e);
        list_push_front(c, e);
    }
    pthread_mutex_unlock(&c->mu);
    if (p) {
        if (rs_prompt_partials_used(p) == 0 || rs_prompt_current(p, opts)) {
            atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
            *out = p;
            goto done;
        }
        atomic_fetch_add_explicit(&c->stale, 1, memory_order_relaxed);
        rs_prompt_free(p);
        p = NULL;
    }
    atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);

    if ((rc = rs_prompt_compile(&p, src, len, opts, err)) != 0)
        goto done;
    if (!(fresh = entry_new(&k))) {
        rs_prompt_free(p);
        rc = oom(err);
        goto done;
    }
    *out = rs_prompt_retain(p); /* the caller's; the table keeps the compile's own */
    pthread_mutex_lock(&c->mu);
    insert_locked(c, fresh, p, &drop, &old);
    pthread_mutex_unlock(&c->mu);
    rs_prompt_free(old);
    while (drop) {
        entry *next = drop->chain;
        rs_prompt_free(drop->p);
        rs_free(drop);
        drop = next;
    }
done:
    rs_free((char *)k.schemas);
    return rc;
}

void rs_prompt_cache_get_stats(rs_prompt_cache *c, rs_prompt_cache_stats *st)
{
    st->hits = atomic_load(&c->hits);
    st->misses = atomic_load(&c->misses);
    st->stale = atomic_load(&c->stale);
    st->evictions = atomic_load(&c->evictions);
    pthread_mutex_lock(&c->mu);
    st->size = c->count;
    st->capacity = c->capacity;
    pthread_mutex_unlock(&c->mu);
}
