/*
 * util/json_build.c - cJSON nodes on the heap or in an arena (see json_build.h).
 *
 * Heap nodes come from cJSON's own constructors (so cJSON_Delete frees them with the hooks
 * rs_global_init installs); arena nodes are zeroed cJSON structs with their key and string in
 * the same arena.
 */
#include "util/json_build.h"

#include "rosetta/error.h"

#include <limits.h>
#include <string.h>

static cJSON *arena_node(rs_arena *a, int type)
{
    cJSON *n = rs_arena_alloc(a, sizeof(*n));
    if (n) {
        memset(n, 0, sizeof(*n));
        n->type = type;
    }
    return n;
}

cJSON *rs_jt_node(const rs_jt *b, int type)
{
    if (b->arena)
        return arena_node(b->arena, type);
    switch (type) {
    case cJSON_True:
        return cJSON_CreateTrue();
    case cJSON_False:
        return cJSON_CreateFalse();
    case cJSON_Object:
        return cJSON_CreateObject();
    case cJSON_Array:
        return cJSON_CreateArray();
    default:
        return cJSON_CreateNull();
    }
}

cJSON *rs_jt_bool(const rs_jt *b, int v)
{
    return rs_jt_node(b, v ? cJSON_True : cJSON_False);
}

cJSON *rs_jt_number(const rs_jt *b, double d)
{
    if (!b->arena)
        return cJSON_CreateNumber(d);
    cJSON *n = arena_node(b->arena, cJSON_Number);
    if (n) {
        /* as cJSON_SetNumberHelper: valueint saturated; NaN gets what that helper's (int)NaN
         * gives on x86-64 (INT_MIN), without the undefined conversion */
        n->valuedouble = d;
        n->valueint = d >= (double)INT_MAX             ? INT_MAX
                      : d <= (double)INT_MIN || d != d ? INT_MIN
                                                       : (int)d;
    }
    return n;
}

cJSON *rs_jt_string(const rs_jt *b, const char *s, size_t n)
{
    cJSON *node;
    char *copy;
    if (b->arena) {
        /* the node and its text in one allocation */
        if (n > (size_t)-1 - sizeof(*node) - 1)
            return NULL;
        node = rs_arena_alloc(b->arena, sizeof(*node) + n + 1);
        if (!node)
            return NULL;
        memset(node, 0, sizeof(*node));
        node->type = cJSON_String;
        copy = (char *)(node + 1);
        if (n)
            memcpy(copy, s, n);
        copy[n] = '\0';
    } else {
        if (n == (size_t)-1)
            return NULL;
        copy = cJSON_malloc(n + 1);
        node = copy ? cJSON_CreateNull() : NULL;
        if (!node) {
            cJSON_free(copy);
            return NULL;
        }
        if (n)
            memcpy(copy, s, n);
        copy[n] = '\0';
        node->type = cJSON_String;
    }
    node->valuestring = copy;
    return node;
}

cJSON *rs_jt_cstring(const rs_jt *b, const char *s)
{
    return rs_jt_string(b, s, strlen(s));
}

cJSON *rs_jt_cstring_kept(const rs_jt *b, const char *s)
{
    if (!b->arena)
        return rs_jt_cstring(b, s);
    cJSON *n = arena_node(b->arena, cJSON_String);
    if (n)
        n->valuestring = (char *)s; /* arena trees are never changed or freed node by node */
    return n;
}

cJSON *rs_jt_ref(const rs_jt *b, const cJSON *item)
{
    if (!b->arena) {
        return cJSON_IsObject(item)   ? cJSON_CreateObjectReference(item->child)
               : cJSON_IsArray(item)  ? cJSON_CreateArrayReference(item->child)
               : cJSON_IsString(item) ? cJSON_CreateStringReference(item->valuestring)
                                      : cJSON_Duplicate(item, 1);
    }
    int type = item->type & 0xFF;
    cJSON *n = arena_node(b->arena, type);
    if (!n)
        return NULL;
    if (type == cJSON_Object || type == cJSON_Array) {
        n->child = item->child;
        n->type |= cJSON_IsReference;
    } else if (type == cJSON_String || type == cJSON_Raw) {
        n->valuestring = item->valuestring;
        n->type |= cJSON_IsReference;
    }
    n->valueint = item->valueint;
    n->valuedouble = item->valuedouble;
    return n;
}

cJSON *rs_jt_dup(const rs_jt *b, const cJSON *item)
{
    if (!b->arena)
        return cJSON_Duplicate(item, 1);
    int type = item->type & 0xFF;
    cJSON *n = arena_node(b->arena, type);
    if (!n)
        return NULL;
    n->valueint = item->valueint;
    n->valuedouble = item->valuedouble;
    if (item->valuestring && !(n->valuestring = rs_arena_strndup(b->arena, item->valuestring,
                                                                 strlen(item->valuestring))))
        return NULL;
    for (const cJSON *c = item->child; c; c = c->next) {
        cJSON *d = rs_jt_dup(b, c);
        if (!d ||
            (c->string && !(d->string = rs_arena_strndup(b->arena, c->string, strlen(c->string)))))
            return NULL;
        rs_jt_push(n, d);
    }
    return n;
}

cJSON *rs_jt_heap_copy(const cJSON *item)
{
    cJSON *n = cJSON_CreateNull();
    if (!n)
        return NULL;
    n->type = item->type & ~cJSON_StringIsConst;
    n->valueint = item->valueint;
    n->valuedouble = item->valuedouble;
    if (item->type & cJSON_IsReference) {
        n->child = item->child;
        n->valuestring = item->valuestring;
        return n;
    }
    if (item->valuestring) {
        size_t len = strlen(item->valuestring) + 1;
        if (!(n->valuestring = cJSON_malloc(len))) {
            cJSON_Delete(n);
            return NULL;
        }
        memcpy(n->valuestring, item->valuestring, len);
    }
    for (const cJSON *c = item->child; c; c = c->next) {
        cJSON *d = rs_jt_heap_copy(c);
        size_t klen = c->string ? strlen(c->string) + 1 : 0;
        if (d && c->string && (d->string = cJSON_malloc(klen)) != NULL)
            memcpy(d->string, c->string, klen);
        if (!d || (c->string && !d->string)) {
            cJSON_Delete(d);
            cJSON_Delete(n);
            return NULL;
        }
        rs_jt_push(n, d);
    }
    return n;
}

void rs_jt_push(cJSON *array, cJSON *item)
{
    cJSON *head = array->child;
    item->next = NULL;
    if (!head) {
        array->child = item;
        item->prev = item;
        return;
    }
    /* cJSON keeps the tail in head->prev */
    head->prev->next = item;
    item->prev = head->prev;
    head->prev = item;
}

static int add(const rs_jt *b, cJSON *obj, const char *key, cJSON *item, int copy)
{
    if (!item)
        return RS_ENOMEM;
    if (!b->arena) {
        if (!cJSON_AddItemToObject(obj, key, item)) {
            cJSON_Delete(item);
            return RS_ENOMEM;
        }
        return 0;
    }
    /* never cJSON_StringIsConst: cJSON_Duplicate then copies the key into heap copies */
    item->string = copy ? rs_arena_strndup(b->arena, key, strlen(key)) : (char *)key;
    if (!item->string)
        return RS_ENOMEM;
    item->type &= ~cJSON_StringIsConst;
    rs_jt_push(obj, item);
    return 0;
}

int rs_jt_add(const rs_jt *b, cJSON *obj, const char *key, cJSON *item)
{
    return add(b, obj, key, item, 1);
}

int rs_jt_add_kept(const rs_jt *b, cJSON *obj, const char *key, cJSON *item)
{
    return add(b, obj, key, item, 0);
}

void rs_jt_drop(const rs_jt *b, cJSON *v)
{
    if (!b->arena)
        cJSON_Delete(v);
}

/* Put n where old is in obj's member list (old is left unlinked). */
static void relink(cJSON *obj, cJSON *old, cJSON *n)
{
    cJSON *tail = obj->child->prev;
    n->next = old->next;
    n->prev = old == tail && old == obj->child ? n : old->prev;
    if (old == obj->child)
        obj->child = n;
    else
        old->prev->next = n;
    if (old->next)
        old->next->prev = n;
    else
        obj->child->prev = n; /* n is the new tail */
    old->next = old->prev = NULL;
}

static int set(const rs_jt *b, cJSON *obj, const char *key, cJSON *v, int copy)
{
    if (!v)
        return RS_ENOMEM;
    cJSON *old = rs_jt_get(obj, key);
    if (!old)
        return add(b, obj, key, v, copy);
    if (b->arena) {
        v->string = old->string; /* the same key, in the same arena */
        v->type &= ~cJSON_StringIsConst;
        relink(obj, old, v);
        return 0;
    }
    /* by hand: cJSON_ReplaceItemInObject ignores a failed copy of the key */
    size_t n = strlen(key) + 1;
    char *k = cJSON_malloc(n);
    if (!k) {
        cJSON_Delete(v);
        return RS_ENOMEM;
    }
    memcpy(k, key, n);
    if (v->string && !(v->type & cJSON_StringIsConst))
        cJSON_free(v->string);
    v->string = k;
    v->type &= ~cJSON_StringIsConst;
    cJSON_ReplaceItemViaPointer(obj, old, v);
    return 0;
}

int rs_jt_set(const rs_jt *b, cJSON *obj, const char *key, cJSON *v)
{
    return set(b, obj, key, v, 1);
}

int rs_jt_set_kept(const rs_jt *b, cJSON *obj, const char *key, cJSON *v)
{
    return set(b, obj, key, v, 0);
}

void rs_jt_remove(const rs_jt *b, cJSON *obj, const char *key)
{
    cJSON *old = rs_jt_get(obj, key);
    if (old)
        rs_jt_drop(b, cJSON_DetachItemViaPointer(obj, old));
}
