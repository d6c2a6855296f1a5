/*
 * util/json_build.h - building cJSON trees either on the heap (cJSON's allocator, freed with
 * cJSON_Delete) or in an arena (freed all at once with the arena), by the same code.
 *
 * Why: a compiled prompt's frontmatter, metadata and JSON Schemas are a few hundred small nodes
 * built once and freed together. Built with cJSON_Create* they cost two allocations each and a
 * cJSON_Delete walk; that was most of a source-to-result render. Code that builds such trees
 * (the YAML fast path, Picoschema, a prompt's metadata) takes an rs_jt and works unchanged for
 * callers that want a heap tree they own.
 *
 * Arena trees: never pass one of their nodes to cJSON_Delete, cJSON_Replace*, cJSON_Delete*,
 * cJSON_Detach* + Delete, or cJSON_Add*ToObject (those allocate on the heap). Read them with the
 * usual cJSON getters; cJSON_Duplicate gives a heap copy the caller owns (keys and strings are
 * copied: arena nodes never carry cJSON_StringIsConst). A reference node (rs_jt_ref) shares
 * another tree's members, which must outlive it.
 */
#ifndef RS_UTIL_JSON_BUILD_H
#define RS_UTIL_JSON_BUILD_H

#include "util/arena.h"

#include <cjson/cJSON.h>
#include <stddef.h>
#include <string.h>

typedef struct rs_jt {
    rs_arena *arena; /* NULL: heap nodes */
} rs_jt;

/* A node of type cJSON_NULL, cJSON_True, cJSON_False, cJSON_Object or cJSON_Array. NULL when
 * out of memory (for every constructor here). */
cJSON *rs_jt_node(const rs_jt *b, int type);
cJSON *rs_jt_bool(const rs_jt *b, int v);
cJSON *rs_jt_number(const rs_jt *b, double d);
/* A string node holding a copy of (s, n) (need not be NUL-terminated). */
cJSON *rs_jt_string(const rs_jt *b, const char *s, size_t n);
cJSON *rs_jt_cstring(const rs_jt *b, const char *s);
/* A string node of the NUL-terminated s, which outlives the tree (a literal, or text in the
 * tree's arena): an arena tree points at s instead of copying it, a heap tree copies it. */
cJSON *rs_jt_cstring_kept(const rs_jt *b, const char *s);
/* A node sharing item's members (objects, arrays) or text (strings); other scalars copied. */
cJSON *rs_jt_ref(const rs_jt *b, const cJSON *item);
/* A deep copy of item (no key). */
cJSON *rs_jt_dup(const rs_jt *b, const cJSON *item);

/* obj[key]: cJSON_GetObjectItemCaseSensitive (the first member so named; NULL for NULL, a
 * non-object or an absent key), inline and testing first bytes before strcmp: compiling a
 * prompt looks keys up some hundred times, in objects of a few members. */
static inline cJSON *rs_jt_get(const cJSON *obj, const char *key)
{
    if (!obj || !key)
        return NULL;
    for (cJSON *c = obj->child; c && c->string; c = c->next) {
        if (c->string[0] == key[0] && strcmp(c->string, key) == 0)
            return c;
    }
    return NULL;
}

/* A heap copy of item (an arena tree or any other) that the caller frees with cJSON_Delete: keys
 * and strings copied, except that reference nodes (rs_jt_ref) stay references to the same members
 * or text, which must outlive the copy. NULL when out of memory. */
cJSON *rs_jt_heap_copy(const cJSON *item);

/* Append item to an array. item must be non-NULL and have no key. */
void rs_jt_push(cJSON *array, cJSON *item);
/* Append item to an object under a copy of key. Takes item over: on RS_ENOMEM (also when item
 * is NULL) it is dropped. 0 or RS_ENOMEM. */
int rs_jt_add(const rs_jt *b, cJSON *obj, const char *key, cJSON *item);
/* obj[key] = v as a JavaScript assignment: in place of the present member (which is dropped),
 * else appended. Takes v over as rs_jt_add does. */
int rs_jt_set(const rs_jt *b, cJSON *obj, const char *key, cJSON *v);
/* rs_jt_add and rs_jt_set for a key that outlives the tree (a literal, or a key of a tree that
 * is freed with it): an arena tree points at the key instead of copying it; a heap tree copies
 * it as always. */
int rs_jt_add_kept(const rs_jt *b, cJSON *obj, const char *key, cJSON *item);
int rs_jt_set_kept(const rs_jt *b, cJSON *obj, const char *key, cJSON *v);
/* Unlink obj[key] and drop it; nothing when absent. */
void rs_jt_remove(const rs_jt *b, cJSON *obj, const char *key);
/* Free a detached heap node; nothing for arena nodes (the arena frees them). NULL-safe. */
void rs_jt_drop(const rs_jt *b, cJSON *v);

#endif
