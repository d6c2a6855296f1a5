/*
 * tests/unit/test_json_build.c - util/json_build (cJSON trees on the heap or in an arena by the
 * same calls) and util/lazy (a value computed once, on first use, from any thread).
 */
#include "test_helpers.h"

#include "util/alloc.h"
#include "util/arena.h"
#include "util/json.h"
#include "util/json_build.h"
#include "util/lazy.h"

#include <math.h>
#include <pthread.h>

/* {"a": 1, "b": ["x", true, null], "c": {"d": "e"}} built with b's allocator. */
static cJSON *build_sample(const rs_jt *b)
{
    cJSON *o = rs_jt_node(b, cJSON_Object);
    cJSON *arr = rs_jt_node(b, cJSON_Array);
    cJSON *inner = rs_jt_node(b, cJSON_Object);
    assert_non_null(o);
    assert_non_null(arr);
    assert_non_null(inner);
    rs_jt_push(arr, rs_jt_string(b, "xyz", 1)); /* (s, n): only "x" */
    rs_jt_push(arr, rs_jt_bool(b, 1));
    rs_jt_push(arr, rs_jt_node(b, cJSON_NULL));
    assert_int_equal(rs_jt_add(b, o, "a", rs_jt_number(b, 1)), 0);
    assert_int_equal(rs_jt_add(b, o, "b", arr), 0);
    assert_int_equal(rs_jt_add_kept(b, inner, "d", rs_jt_cstring(b, "e")), 0);
    assert_int_equal(rs_jt_add_kept(b, o, "c", inner), 0);
    return o;
}

static void expect_json(const cJSON *v, const char *want)
{
    char *got = rs_json_print(v, 0);
    assert_non_null(got);
    assert_string_equal(got, want);
    rs_free(got);
}

/* The same calls give the same tree on the heap and in an arena. */
static void test_heap_and_arena_agree(void **state)
{
    (void)state;
    rs_arena a;
    rs_arena_init(&a, 256); /* small blocks: the tree spans several */
    rs_jt heap = {NULL}, arena = {&a};
    cJSON *h = build_sample(&heap), *t = build_sample(&arena);
    const char *want = "{\"a\":1,\"b\":[\"x\",true,null],\"c\":{\"d\":\"e\"}}";
    expect_json(h, want);
    expect_json(t, want);
    cJSON_Delete(h);
    rs_arena_free(&a);
}

/* rs_jt_set is a JavaScript assignment: in place (first, middle, last, only member) or appended;
 * the list stays well linked (cJSON's head->prev is the tail). */
static void test_set_in_place(void **state)
{
    (void)state;
    rs_arena a;
    rs_arena_init(&a, 0);
    rs_jt b = {&a};
    cJSON *o = rs_jt_node(&b, cJSON_Object);
    assert_int_equal(rs_jt_set(&b, o, "only", rs_jt_number(&b, 1)), 0);
    assert_int_equal(rs_jt_set(&b, o, "only", rs_jt_number(&b, 2)), 0);
    expect_json(o, "{\"only\":2}");
    assert_ptr_equal(o->child->prev, o->child);
    assert_int_equal(rs_jt_set(&b, o, "m", rs_jt_number(&b, 3)), 0);
    assert_int_equal(rs_jt_set(&b, o, "z", rs_jt_number(&b, 4)), 0);
    assert_int_equal(rs_jt_set(&b, o, "only", rs_jt_cstring(&b, "first")), 0);
    assert_int_equal(rs_jt_set(&b, o, "m", rs_jt_cstring(&b, "middle")), 0);
    assert_int_equal(rs_jt_set_kept(&b, o, "z", rs_jt_cstring(&b, "last")), 0);
    assert_int_equal(rs_jt_set_kept(&b, o, "new", rs_jt_node(&b, cJSON_True)), 0);
    expect_json(o, "{\"only\":\"first\",\"m\":\"middle\",\"z\":\"last\",\"new\":true}");
    assert_ptr_equal(o->child->prev, cJSON_GetObjectItemCaseSensitive(o, "new"));
    rs_jt_remove(&b, o, "m");
    expect_json(o, "{\"only\":\"first\",\"z\":\"last\",\"new\":true}");
    rs_arena_free(&a);
}

/* A heap copy of an arena tree owns its keys and strings: it outlives the arena. References
 * share the referred tree's members; copies of them are deep. */
static void test_duplicate_outlives_arena(void **state)
{
    (void)state;
    rs_arena a;
    rs_arena_init(&a, 0);
    rs_jt b = {&a};
    char key[8] = "k", text[8] = "v";
    cJSON *o = rs_jt_node(&b, cJSON_Object);
    assert_int_equal(rs_jt_add(&b, o, key, rs_jt_cstring(&b, text)), 0);
    assert_int_equal(rs_jt_add_kept(&b, o, "lit", rs_jt_number(&b, NAN)), 0);
    cJSON *ref = rs_jt_ref(&b, o);
    cJSON *dup = rs_jt_dup(&b, ref);
    key[0] = text[0] = 'X'; /* rs_jt_add copied them */
    cJSON *heap = cJSON_Duplicate(dup, 1);
    assert_non_null(heap);
    assert_true(ref->type & cJSON_IsReference);
    assert_ptr_equal(ref->child, o->child);
    rs_arena_free(&a);
    assert_string_equal(heap->child->string, "k");
    assert_string_equal(heap->child->valuestring, "v");
    assert_true(isnan(heap->child->next->valuedouble));
    cJSON_Delete(heap);
}

/* rs_jt_get answers as cJSON_GetObjectItemCaseSensitive: the first member so named, NULL for an
 * absent key, a NULL object or key, or an array (members without keys). rs_jt_cstring_kept
 * points an arena string at the text it was given and copies it into a heap one. */
static void test_get_and_kept_strings(void **state)
{
    (void)state;
    rs_arena a;
    rs_arena_init(&a, 0);
    rs_jt b = {&a}, heap = {NULL};
    cJSON *o = rs_jt_node(&b, cJSON_Object);
    assert_int_equal(rs_jt_add_kept(&b, o, "ab", rs_jt_number(&b, 1)), 0);
    assert_int_equal(rs_jt_add_kept(&b, o, "ac", rs_jt_number(&b, 2)), 0);
    assert_int_equal(rs_jt_add_kept(&b, o, "", rs_jt_number(&b, 3)), 0);
    assert_int_equal(rs_jt_add_kept(&b, o, "ab", rs_jt_number(&b, 4)), 0); /* a second "ab" */
    const char *keys[] = {"ab", "ac", "", "a", "abc", "b"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_ptr_equal(rs_jt_get(o, keys[i]), cJSON_GetObjectItemCaseSensitive(o, keys[i]));
    assert_int_equal(rs_jt_get(o, "ab")->valueint, 1);
    assert_null(rs_jt_get(o, "a"));
    assert_null(rs_jt_get(NULL, "ab"));
    assert_null(rs_jt_get(o, NULL));
    cJSON *arr = rs_jt_node(&b, cJSON_Array);
    rs_jt_push(arr, rs_jt_number(&b, 5));
    assert_null(rs_jt_get(arr, "0"));

    char text[8] = "typed";
    cJSON *kept = rs_jt_cstring_kept(&b, text), *copied = rs_jt_cstring_kept(&heap, text);
    assert_non_null(kept);
    assert_non_null(copied);
    assert_ptr_equal(kept->valuestring, text);
    assert_ptr_not_equal(copied->valuestring, text);
    text[0] = 'X';
    assert_string_equal(kept->valuestring, "Xyped");
    assert_string_equal(copied->valuestring, "typed");
    cJSON_Delete(copied);
    rs_arena_free(&a);
}

/* rs_jt_heap_copy: an arena tree copied to the heap outlives the arena, except that reference
 * nodes stay references to the members they shared; every failed allocation is reported and
 * leaks nothing (ASan checks). */
static void test_heap_copy(void **state)
{
    (void)state;
    rs_jt heap = {NULL};
    cJSON *shared = build_sample(&heap); /* outlives the copies, as a prompt's metadata does */
    rs_arena a;
    rs_arena_init(&a, 0);
    rs_jt b = {&a};
    cJSON *o = build_sample(&b);
    assert_int_equal(rs_jt_add_kept(&b, o, "ref", rs_jt_ref(&b, shared)), 0);
    assert_int_equal(rs_jt_add_kept(&b, o, "s", rs_jt_ref(&b, shared->child->next->child)), 0);
    cJSON *copy = rs_jt_heap_copy(o);
    long fails = 0;
    for (long n = 0;; n++) {
        rs_alloc_fail_after(n);
        cJSON *c = rs_jt_heap_copy(o);
        rs_alloc_fail_after(-1);
        if (c) {
            cJSON_Delete(c);
            break;
        }
        fails++;
    }
    assert_true(fails > 10); /* every allocation of the copy was made to fail once */
    rs_arena_free(&a);
    assert_non_null(copy);
    expect_json(copy, "{\"a\":1,\"b\":[\"x\",true,null],\"c\":{\"d\":\"e\"},"
                      "\"ref\":{\"a\":1,\"b\":[\"x\",true,null],\"c\":{\"d\":\"e\"}},"
                      "\"s\":\"x\"}");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(copy, "ref");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(copy, "s");
    assert_true(ref->type & cJSON_IsReference);
    assert_ptr_equal(ref->child, shared->child);
    assert_ptr_equal(s->valuestring, shared->child->next->child->valuestring);
    cJSON_Delete(copy); /* leaves the shared members alone */
    expect_json(shared, "{\"a\":1,\"b\":[\"x\",true,null],\"c\":{\"d\":\"e\"}}");
    cJSON_Delete(shared);
}

/* Heap trees take items over and free them on failure; nothing leaks (ASan checks). */
static void test_heap_failures(void **state)
{
    (void)state;
    rs_jt heap = {NULL};
    cJSON *o = rs_jt_node(&heap, cJSON_Object);
    assert_int_equal(rs_jt_add(&heap, o, "a", NULL), RS_ENOMEM);
    int failed = 0, passed = 0;
    for (long n = 0; n < 6; n++) {
        rs_alloc_fail_after(n);
        cJSON *v = rs_jt_string(&heap, "abc", 3);
        int rc = rs_jt_set(&heap, o, "a", v);
        rs_alloc_fail_after(-1);
        assert_true(rc == 0 || rc == RS_ENOMEM);
        failed += rc == RS_ENOMEM;
        passed += rc == 0;
    }
    assert_true(failed > 0 && passed > 0); /* the early ones fail, the later ones succeed */
    expect_json(o, "{\"a\":\"abc\"}");
    cJSON_Delete(o);
}

typedef struct lazy_box {
    rs_lazy once;
    int computed; /* times the value was computed */
    int value;
} lazy_box;

static void *lazy_reader(void *arg)
{
    lazy_box *b = arg;
    if (rs_lazy_begin(&b->once)) {
        b->computed++;
        b->value = 42;
        rs_lazy_end(&b->once);
    }
    return (void *)(intptr_t)b->value;
}

/* Many threads ask at once: one computes, all read the value. */
static void test_lazy_once(void **state)
{
    (void)state;
    for (int round = 0; round < 50; round++) {
        lazy_box b = {0};
        rs_lazy_init(&b.once);
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
            assert_int_equal(pthread_create(&t[i], NULL, lazy_reader, &b), 0);
        for (int i = 0; i < 8; i++) {
            void *r = NULL;
            assert_int_equal(pthread_join(t[i], &r), 0);
            assert_int_equal((int)(intptr_t)r, 42);
        }
        assert_int_equal(b.computed, 1);
        assert_int_equal(rs_lazy_begin(&b.once), 0);
    }
}

int main(void)
{
    /* cJSON allocates through rs_malloc, as after rs_global_init, so allocation failures reach it
     */
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_and_arena_agree),
        cmocka_unit_test(test_set_in_place),
        cmocka_unit_test(test_duplicate_outlives_arena),
        cmocka_unit_test(test_get_and_kept_strings),
        cmocka_unit_test(test_heap_copy),
        cmocka_unit_test(test_heap_failures),
        cmocka_unit_test(test_lazy_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
