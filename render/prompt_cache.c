/*
 * render/prompt_cache.c - compiled prompts by content hash, bounded LRU (see prompt_cache.h).
 *
 * A hash table (chains, power-of-two buckets, the key's first bytes as the index: the key is
 * already a uniform hash) plus a doubly linked recency list. The lock is held only to look up,
 * link and unlink; compiling, revalidating partials and freeing prompts happen outside it, so a
 * slow compile in one thread does not stall hits in the others.
 */
#include "render/prompt_cache.h"

#include "util/alloc.h"
#include "util/json.h"
#include "util/sha256.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

typedef struct entry {
    unsigned char key[RS_SHA256_SIZE];
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

/* A field of the key: its length, then its bytes, so that no two field lists hash alike. */
static void put_field(rs_sha256 *h, const char *s, size_t n)
{
    unsigned char b[9];
    b[0] = s != NULL; /* absent and empty differ */
    for (int i = 0; i < 8; i++)
        b[1 + i] = (unsigned char)((uint64_t)n >> (8 * i));
    rs_sha256_update(h, b, sizeof(b));
    if (s)
        rs_sha256_update(h, s, n);
}

static int make_key(unsigned char key[RS_SHA256_SIZE], const char *src, size_t len,
                    const rs_prompt_compile_opts *o, rs_error *err)
{
    rs_sha256 h;
    char *schemas = NULL;
    if (o->schemas && !(schemas = rs_json_print(o->schemas, 0)))
        return oom(err);
    rs_sha256_init(&h);
    rs_sha256_update(&h, "rosetta-prompt-cache-1", 22);
    put_field(&h, src ? src : "", src ? len : 0);
    put_field(&h, o->filename, o->filename ? strlen(o->filename) : 0);
    put_field(&h, o->partials_dir, o->partials_dir ? strlen(o->partials_dir) : 0);
    put_field(&h, schemas, schemas ? strlen(schemas) : 0);
    rs_sha256_final(&h, key);
    rs_free(schemas);
    return 0;
}

static size_t bucket_of(const rs_prompt_cache *c, const unsigned char key[RS_SHA256_SIZE])
{
    size_t b = 0;
    for (size_t i = 0; i < sizeof(size_t); i++)
        b = (b << 8) | key[i];
    return b & (c->nbuckets - 1);
}

/* ---- under the lock ---- */

static entry *find(rs_prompt_cache *c, const unsigned char key[RS_SHA256_SIZE])
{
    for (entry *e = c->buckets[bucket_of(c, key)]; e; e = e->chain) {
        if (memcmp(e->key, key, RS_SHA256_SIZE) == 0)
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
    entry **pp = &c->buckets[bucket_of(c, e->key)];
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
    entry *e = find(c, fresh->key);
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
    size_t b = bucket_of(c, fresh->key);
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
    unsigned char key[RS_SHA256_SIZE];
    rs_prompt *p = NULL, *old = NULL;
    entry *fresh = NULL, *drop = NULL;
    int rc;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if ((rc = make_key(key, src, len, opts, err)) != 0)
        return rc;

    pthread_mutex_lock(&c->mu);
    entry *e = find(c, key);
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
            return 0;
        }
        atomic_fetch_add_explicit(&c->stale, 1, memory_order_relaxed);
        rs_prompt_free(p);
        p = NULL;
    }
    atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);

    if ((rc = rs_prompt_compile(&p, src, len, opts, err)) != 0)
        return rc;
    if (!(fresh = rs_calloc(1, sizeof(*fresh)))) {
        rs_prompt_free(p);
        return oom(err);
    }
    memcpy(fresh->key, key, sizeof(key));
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
    return 0;
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
