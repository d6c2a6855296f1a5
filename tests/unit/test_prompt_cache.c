/*
 * Unit tests for the compiled-prompt cache (render/prompt_cache.c, rosetta/prompt.h's
 * rs_prompt_cache_*): hits, misses on a changed source / options / partial, LRU eviction with a
 * held prompt outliving it, 8 threads getting and rendering at once, every allocation failing;
 * and that the render options sharing the prompt's / data's members change no output.
 */
#include "test_helpers.h"

#include "render/prompt.h"
#include "render/prompt_cache.h"
#include "rosetta/prompt.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SRC_A "---\nmodel: m\ninput:\n  schema:\n    name: string\n---\nHello {{name}}!"
#define SRC_B "---\nmodel: m\n---\n{{role \"system\"}}Be brief.{{role \"user\"}}Hi {{name}}"
#define SRC_P "Before {{> greet}} after"

static rs_prompt_cache *new_cache(size_t capacity)
{
    rs_prompt_cache *c = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_prompt_cache_new(&c, capacity, &err), &err);
    return c;
}

static rs_prompt *get(rs_prompt_cache *c, const char *src, const rs_prompt_compile_opts *co)
{
    rs_prompt *p = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_prompt_cache_get(c, &p, src, strlen(src), co, &err), &err);
    assert_non_null(p);
    return p;
}

/* The first message's text (user or otherwise) rendered with {"input": {"name": NAME}}. */
static char *render_text(const rs_prompt *p, const char *name)
{
    char data[128];
    snprintf(data, sizeof(data), "{\"input\": {\"name\": \"%s\"}}", name);
    char *out = NULL;
    rs_error err = RS_ERROR_INIT;
    rs_prompt_render_options ro = RS_PROMPT_RENDER_OPTIONS_INIT;
    ro.indent = 0;
    assert_rs_ok(rs_prompt_render_json(&out, NULL, p, data, NULL, &ro, &err), &err);
    cJSON *doc = NULL;
    assert_rs_ok(rs_json_parse(&doc, out, strlen(out), "out", &err), &err);
    rs_free(out);
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(doc, "messages");
    const cJSON *last = msgs && msgs->child ? msgs->child->prev : NULL;
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(last, "content");
    const cJSON *text = content ? cJSON_GetObjectItemCaseSensitive(content->child, "text") : NULL;
    assert_true(cJSON_IsString(text));
    char *copy = rs_strdup(text->valuestring);
    cJSON_Delete(doc);
    return copy;
}

static void assert_stats(rs_prompt_cache *c, unsigned long hits, unsigned long misses,
                         unsigned long stale, unsigned long evictions, size_t size)
{
    rs_prompt_cache_stats st;
    rs_prompt_cache_get_stats(c, &st);
    assert_int_equal(st.hits, hits);
    assert_int_equal(st.misses, misses);
    assert_int_equal(st.stale, stale);
    assert_int_equal(st.evictions, evictions);
    assert_int_equal(st.size, size);
}

static void hit_and_miss_on_changed_source(void **state)
{
    (void)state;
    rs_prompt_cache *c = new_cache(8);
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    rs_prompt *a1 = get(c, SRC_A, &co);
    rs_prompt *a2 = get(c, SRC_A, &co);
    assert_ptr_equal(a1, a2); /* the same compiled prompt */
    assert_stats(c, 1, 1, 0, 0, 1);
    /* one byte more is another prompt */
    rs_prompt *b = get(c, SRC_A " ", &co);
    assert_ptr_not_equal(a1, b);
    /* (the key is the bytes: the compiled content is the same, the body being trimmed) */
    assert_string_equal(rs_prompt_hash(a1), rs_prompt_hash(b));
    /* so are other options that change the result: a file name, named schemas */
    co.filename = "a.prompt";
    rs_prompt *named = get(c, SRC_A, &co);
    assert_ptr_not_equal(a1, named);
    co.filename = NULL;
    cJSON *schemas = cJSON_Parse("{\"T\": {\"type\": \"string\"}}");
    assert_non_null(schemas);
    co.schemas = schemas;
    rs_prompt *with_schemas = get(c, SRC_A, &co);
    assert_ptr_not_equal(a1, with_schemas);
    assert_ptr_equal(with_schemas, get(c, SRC_A, &co));
    rs_prompt_free(with_schemas); /* the second get's reference */
    assert_stats(c, 2, 4, 0, 0, 4);

    char *t = render_text(a2, "Ada");
    assert_string_equal(t, "Hello Ada!");
    rs_free(t);
    /* the cache keeps its own reference: freeing all of ours leaves the entries usable */
    rs_prompt_free(a1);
    rs_prompt_free(a2);
    rs_prompt_free(b);
    rs_prompt_free(named);
    rs_prompt_free(with_schemas);
    co.schemas = NULL;
    rs_prompt *again = get(c, SRC_A, &co);
    t = render_text(again, "Bo");
    assert_string_equal(t, "Hello Bo!");
    rs_free(t);
    rs_prompt_free(again);
    cJSON_Delete(schemas);
    rs_prompt_cache_free(c);
}

static void write_file(const char *path, const char *text)
{
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_file_write_atomic(path, text, strlen(text), &err), &err);
}

static void miss_on_changed_partial(void **state)
{
    (void)state;
    char dir[] = "/tmp/rs-prompt-cache-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/_greet.prompt", dir);
    rs_prompt_cache *c = new_cache(8);
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.partials_dir = dir;

    /* not there yet: the prompt compiles (a missing partial fails only when rendered) */
    rs_prompt *missing = get(c, SRC_P, &co);
    assert_int_equal(rs_prompt_partials_used(missing), 1);
    write_file(path, "hi {{name}}");
    rs_prompt *p1 = get(c, SRC_P, &co); /* it appeared: stale */
    assert_ptr_not_equal(missing, p1);
    assert_stats(c, 0, 2, 1, 0, 1);
    rs_prompt *p2 = get(c, SRC_P, &co);
    assert_ptr_equal(p1, p2);
    assert_stats(c, 1, 2, 1, 0, 1);
    char *t = render_text(p1, "Ada");
    assert_string_equal(t, "Before hi Ada after");
    rs_free(t);

    write_file(path, "hello {{name}}"); /* changed: a miss, compiled afresh */
    rs_prompt *p3 = get(c, SRC_P, &co);
    assert_ptr_not_equal(p1, p3);
    assert_stats(c, 1, 3, 2, 0, 1);
    t = render_text(p3, "Ada");
    assert_string_equal(t, "Before hello Ada after");
    rs_free(t);
    /* the replaced prompt is still ours and still renders what it was compiled with */
    t = render_text(p1, "Ada");
    assert_string_equal(t, "Before hi Ada after");
    rs_free(t);

    unlink(path); /* removed: a miss too */
    rs_prompt *p4 = get(c, SRC_P, &co);
    assert_ptr_not_equal(p3, p4);
    assert_stats(c, 1, 4, 3, 0, 1);

    rs_prompt_free(missing);
    rs_prompt_free(p1);
    rs_prompt_free(p2);
    rs_prompt_free(p3);
    rs_prompt_free(p4);
    rs_prompt_cache_free(c);
    rmdir(dir);
}

/* A resolver whose answers the test changes: the cache notices through revalidation. */
static int table_resolver(char **src, size_t *len, void *ud, const char *name, rs_error *err)
{
    (void)err;
    const char *text = *(const char **)ud;
    *src = NULL;
    if (strcmp(name, "greet") != 0 || !text)
        return RS_ENOTFOUND;
    *len = strlen(text);
    *src = rs_strndup(text, *len);
    return *src ? 0 : rs_error_set(err, RS_ENOMEM, "out of memory");
}

static void miss_on_changed_resolver_partial(void **state)
{
    (void)state;
    const char *greet = "one";
    rs_prompt_cache *c = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_prompt_cache_new(&c, 0, &err), &err); /* the public API */
    rs_prompt_options po = RS_PROMPT_OPTIONS_INIT;
    po.partials = table_resolver;
    po.partials_userdata = &greet;
    rs_prompt *p1 = NULL, *p2 = NULL, *p3 = NULL;
    assert_rs_ok(rs_prompt_cache_open(c, &p1, SRC_P, strlen(SRC_P), &po, &err), &err);
    assert_rs_ok(rs_prompt_cache_open(c, &p2, SRC_P, strlen(SRC_P), &po, &err), &err);
    assert_ptr_equal(p1, p2);
    greet = "two";
    assert_rs_ok(rs_prompt_cache_open(c, &p3, SRC_P, strlen(SRC_P), &po, &err), &err);
    assert_ptr_not_equal(p1, p3);
    char *t = render_text(p3, "x");
    assert_string_equal(t, "Before two after");
    rs_free(t);
    rs_prompt_cache_stats st;
    rs_prompt_cache_get_stats(c, &st);
    assert_int_equal(st.capacity, 256);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.stale, 1);
    /* a compile error is reported and not cached */
    rs_prompt *bad = NULL;
    assert_int_equal(rs_prompt_cache_open(c, &bad, "{{#if}}", 7, &po, &err), RS_ESYNTAX);
    assert_null(bad);
    rs_prompt_cache_get_stats(c, &st);
    assert_int_equal(st.size, 1);
    rs_prompt_free(p1);
    rs_prompt_free(p2);
    rs_prompt_free(p3);
    rs_prompt_cache_free(c);
}

static void lru_eviction(void **state)
{
    (void)state;
    rs_prompt_cache *c = new_cache(2);
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    rs_prompt *a = get(c, SRC_A, &co);
    rs_prompt *b = get(c, SRC_B, &co);
    rs_prompt_free(get(c, SRC_A, &co)); /* a is now the most recently used */
    rs_prompt *p = get(c, SRC_P, &co);  /* evicts b, the least recently used */
    assert_stats(c, 1, 3, 0, 1, 2);
    rs_prompt_free(get(c, SRC_A, &co)); /* still there */
    assert_stats(c, 2, 3, 0, 1, 2);
    rs_prompt *b2 = get(c, SRC_B, &co); /* gone: compiled again, evicting p */
    assert_ptr_not_equal(b, b2);
    assert_stats(c, 2, 4, 0, 2, 2);
    /* the evicted prompts we hold still render */
    char *t = render_text(b, "Ada");
    assert_string_equal(t, "Hi Ada");
    rs_free(t);
    rs_prompt_free(a);
    rs_prompt_free(b);
    rs_prompt_free(p);
    rs_prompt_cache_free(c); /* b2 outlives the cache too */
    t = render_text(b2, "Bo");
    assert_string_equal(t, "Hi Bo");
    rs_free(t);
    rs_prompt_free(b2);
}

/* ---- 8 threads ---- */

struct worker {
    rs_prompt_cache *c;
    int id, failures;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    static const char *const sources[] = {SRC_A, SRC_B, SRC_A " ", SRC_B " "};
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    for (int i = 0; i < 400; i++) {
        const char *src = sources[(i + w->id) % 4];
        rs_prompt *p = NULL;
        rs_error err = RS_ERROR_INIT;
        if (rs_prompt_cache_get(w->c, &p, src, strlen(src), &co, &err) != 0) {
            w->failures++;
            continue;
        }
        rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
        cJSON *data = cJSON_Parse("{\"input\": {\"name\": \"T\"}}");
        cJSON *out = NULL;
        if (!data || rs_prompt_render(&out, p, data, NULL, &ro, &err) != 0)
            w->failures++;
        const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(out, "messages");
        if (cJSON_GetArraySize(msgs) < 1)
            w->failures++;
        cJSON_Delete(out);
        cJSON_Delete(data);
        rs_prompt_free(p);
    }
    return NULL;
}

static void concurrent_get(void **state)
{
    (void)state;
    /* capacity 3 < 4 sources: hits, misses and evictions all race */
    rs_prompt_cache *c = new_cache(3);
    pthread_t t[8];
    struct worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){c, i, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    rs_prompt_cache_stats st;
    rs_prompt_cache_get_stats(c, &st);
    assert_int_equal(st.hits + st.misses, 8 * 400);
    assert_true(st.hits > 0 && st.misses >= 4 && st.evictions > 0);
    assert_true(st.size <= 3);
    rs_prompt_cache_free(c);
}

static void allocation_failure(void **state)
{
    (void)state;
    const char *text = "two";
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.resolve = table_resolver;
    co.resolve_userdata = &text;
    cJSON *schemas = cJSON_Parse("{\"T\": {\"type\": \"string\"}}");
    assert_non_null(schemas);
    co.schemas = schemas;
    long n;
    for (n = 0; n < 100000; n++) {
        rs_prompt_cache *c = NULL;
        rs_prompt *p = NULL, *q = NULL;
        rs_error err = RS_ERROR_INIT;
        rs_alloc_fail_after(n);
        int rc = rs_prompt_cache_new(&c, 1, &err);
        if (rc == 0)
            rc = rs_prompt_cache_get(c, &p, SRC_P, strlen(SRC_P), &co, &err); /* miss */
        if (rc == 0)
            rc = rs_prompt_cache_get(c, &q, SRC_P, strlen(SRC_P), &co, &err); /* hit */
        rs_prompt_free(q);
        q = NULL;
        if (rc == 0)
            rc = rs_prompt_cache_get(c, &q, SRC_A, strlen(SRC_A), &co, &err); /* evicts */
        rs_alloc_fail_after(-1);
        rs_prompt_free(p);
        rs_prompt_free(q);
        rs_prompt_cache_free(c);
        if (rc == 0)
            break;
        assert_int_equal(rc, RS_ENOMEM);
        assert_null(rc == 0 ? NULL : q);
    }
    assert_true(n > 10 && n < 100000);
    cJSON_Delete(schemas);
}

/*
 * share_data / share_metadata change only who owns the result's members, never the result:
 * every combination prints the same JSON, and without sharing the result outlives the data and
 * the prompt (ASan would report a use after free).
 */
static void sharing_renders_the_same(void **state)
{
    (void)state;
    static const char *const sources[] = {
        SRC_B, "---\nmodel: m\n---\n{{role \"system\"}}S{{history}}{{role \"user\"}}Q {{name}}",
        "Only {{name}}", /* history goes before the last user message */
    };
    static const char *data_text =
        "{\"input\": {\"name\": \"Ana\"}, \"messages\": ["
        "{\"role\": \"user\", \"content\": [{\"text\": \"hi\"}], \"metadata\": "
        "{\"purpose\": \"x\", \"k\": [1, \"v\"]}},"
        "{\"role\": \"model\", \"content\": [{\"text\": \"yes\"}], \"source\": \"s\"}]}";
    for (size_t i = 0; i < sizeof(sources) / sizeof(*sources); i++) {
        char *first = NULL;
        for (int mode = 0; mode < 4; mode++) {
            rs_prompt *p = NULL;
            cJSON *data = cJSON_Parse(data_text), *out = NULL;
            rs_error err = RS_ERROR_INIT;
            rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
            rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
            ro.share_metadata = mode & 1;
            ro.share_data = (mode >> 1) & 1;
            assert_non_null(data);
            assert_rs_ok(rs_prompt_compile(&p, sources[i], strlen(sources[i]), &co, &err), &err);
            assert_rs_ok(rs_prompt_render(&out, p, data, NULL, &ro, &err), &err);
            if (!ro.share_data) {
                cJSON_Delete(data);
                data = NULL;
            }
            if (!ro.share_metadata) {
                rs_prompt_free(p);
                p = NULL;
            }
            char *text = rs_json_print(out, 0);
            assert_non_null(text);
            /* the history marker marks them; without one they are inserted as given */
            assert_true(!strstr(text, "\"purpose\":\"history\"") == (i != 1));
            assert_non_null(strstr(text, "\"k\":[1,\"v\"]"));
            if (!first)
                first = text;
            else {
                assert_string_equal(first, text);
                rs_free(text);
            }
            cJSON_Delete(out);
            cJSON_Delete(data);
            rs_prompt_free(p);
        }
        rs_free(first);
    }
}

/* The root context and @data are built without the heap up to a size (and for object inputs);
 * past it, and for other inputs, on the heap: the same results either way. */
static void context_beyond_the_stack_nodes(void **state)
{
    (void)state;
    static const char *src = "{{k0}}-{{k59}}-{{@c}}-{{@metadata.x}}";
    char data[4096];
    size_t o = 0;
    o += (size_t)snprintf(data + o, sizeof(data) - o, "{\"input\": {");
    for (int k = 0; k < 60; k++)
        o +=
            (size_t)snprintf(data + o, sizeof(data) - o, "%s\"k%d\": \"v%d\"", k ? ", " : "", k, k);
    snprintf(data + o, sizeof(data) - o,
             "}, \"context\": {\"c\": \"C\", \"metadata\": {\"x\": \"X\"}}}");
    static const char *const small = "{\"input\": {\"k0\": \"v0\", \"k59\": \"v59\"}, "
                                     "\"context\": {\"c\": \"C\", \"metadata\": {\"x\": \"X\"}}}";
    const char *datas[] = {data, small};
    for (int i = 0; i < 2; i++) {
        rs_prompt *p = NULL;
        rs_error err = RS_ERROR_INIT;
        char *out = NULL;
        assert_rs_ok(rs_prompt_open(&p, src, strlen(src), NULL, &err), &err);
        rs_prompt_render_options ro = RS_PROMPT_RENDER_OPTIONS_INIT;
        ro.indent = 0;
        assert_rs_ok(rs_prompt_render_json(&out, NULL, p, datas[i], NULL, &ro, &err), &err);
        assert_non_null(strstr(out, "\"text\":\"v0-v59-C-X\""));
        rs_free(out);
        /* a non-object input is spread by copy (the heap path): "ab" gives {0: "a", 1: "b"} */
        assert_rs_ok(rs_prompt_render_json(&out, NULL, p, "{\"input\": \"ab\"}", NULL, &ro, &err),
                     &err);
        assert_non_null(strstr(out, "\"text\":\"---\""));
        rs_free(out);
        rs_prompt_free(p);
    }
}

int main(void)
{
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_and_miss_on_changed_source),
        cmocka_unit_test(miss_on_changed_partial),
        cmocka_unit_test(miss_on_changed_resolver_partial),
        cmocka_unit_test(lru_eviction),
        cmocka_unit_test(concurrent_get),
        cmocka_unit_test(allocation_failure),
        cmocka_unit_test(sharing_renders_the_same),
        cmocka_unit_test(context_beyond_the_stack_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
