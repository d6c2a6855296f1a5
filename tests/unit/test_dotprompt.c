/*
 * Unit tests for the Dotprompt layer: frontmatter splitting, YAML typing and errors, Picoschema,
 * JSON Schema validation messages, message splitting, and rs_prompt end to end (including every
 * allocation failing in turn). Expected values come from the reference (dotprompt 1.1.2 and the
 * npm `yaml` package it uses), checked by hand with shared/tools/dotprompt-ref.
 */
#include "test_helpers.h"

#include "render/js_json.h"
#include "render/messages.h"
#include "render/prompt.h"
#include "rosetta/prompt.h"
#include "templates/frontmatter.h"
#include "templates/jsonschema_validate.h"
#include "templates/picoschema.h"
#include "templates/yaml_json.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/utf8.h"

#include <pthread.h>

/* ---- helpers ---- */

static cJSON *json(const char *text)
{
    cJSON *v = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_json_parse(&v, text, strlen(text), "test", &err), &err);
    return v;
}

/* JSON.stringify(v) compact, as a new string. */
static char *js(const cJSON *v)
{
    rs_str s = RS_STR_INIT;
    assert_int_equal(rs_js_stringify(&s, v, ""), 0);
    size_t n;
    char *out = rs_str_detach(&s, &n);
    assert_non_null(out);
    return out;
}

static void assert_json_text(const cJSON *v, const char *want)
{
    char *got = js(v);
    if (strcmp(got, want) != 0) {
        print_error("expected %s\n     got %s\n", want, got);
        rs_free(got);
        fail();
    }
    rs_free(got);
}

/* ---- frontmatter ---- */

typedef struct split_case {
    const char *src;
    int has;
    const char *yaml;
    const char *body;
} split_case;

static void frontmatter_split_cases(void **state)
{
    (void)state;
    static const split_case cases[] = {
        {"no frontmatter\n", 0, NULL, "no frontmatter\n"},
        {"---\nmodel: a\n---\n\n  body \n", 1, "model: a", "body"},
        {"---\r\nmodel: a\r\n---\r\nbody\r\n", 1, "model: a", "body"},
        {"---\rmodel: a\r---\rbody", 1, "model: a", "body"},
        /* no newline after the closing dashes: no match, the whole file is the template */
        {"---\nmodel: a\n---", 0, NULL, "---\nmodel: a\n---"},
        /* empty frontmatter: the reference treats the file as having none (untrimmed) */
        {"---\n\n---\nbody ", 0, NULL, "---\n\n---\nbody "},
        {"---\n---\nbody", 0, NULL, "---\n---\nbody"},
        /* white space after the dashes, blank lines before the YAML */
        {"---  \n\n  \nmodel: a\n---   \n\n  body  \n\n", 1, "model: a", "body"},
        /* the first closing line wins; ---- is not one */
        {"---\na: 1\n----\nb: 2\n---\nbody", 1, "a: 1\n----\nb: 2", "body"},
        {"---\na: 1\n---\nb\n---\nc", 1, "a: 1", "b\n---\nc"},
        /* not at the start */
        {"  ---\na: 1\n---\nbody", 0, NULL, "  ---\na: 1\n---\nbody"},
        /* JavaScript white space (U+00A0, U+3000) is trimmed from the body */
        {"---\na: 1\n---\n\xc2\xa0 body\xe3\x80\x80", 1, "a: 1", "body"},
        /* white-space-only frontmatter is frontmatter (YAML null) */
        {"---\n \n---\nHi", 1, " ", "Hi"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const split_case *c = &cases[i];
        rs_frontmatter fm;
        rs_frontmatter_split(&fm, c->src, strlen(c->src));
        if (fm.has_frontmatter != c->has)
            print_error("case %zu: %s\n", i, c->src);
        assert_int_equal(fm.has_frontmatter, c->has);
        if (c->yaml) {
            assert_int_equal(fm.yaml_len, strlen(c->yaml));
            assert_memory_equal(c->src + fm.yaml_off, c->yaml, fm.yaml_len);
        }
        assert_int_equal(fm.body_len, strlen(c->body));
        assert_memory_equal(c->src + fm.body_off, c->body, fm.body_len);
    }
}

static void js_trim_unicode(void **state)
{
    (void)state;
    const char *s = "\xef\xbb\xbf\t x \xe2\x80\xa8\xe2\x80\x8a";
    size_t off, n;
    rs_js_trim(s, strlen(s), &off, &n);
    assert_int_equal(n, 1);
    assert_int_equal(s[off], 'x');
    assert_true(rs_js_is_blank("\xe2\x80\xaf \n", 5));
    assert_false(rs_js_is_blank("\xe2\x80\x8b", 3)); /* U+200B is not white space in JS */
}

static void utf8_replacement_as_node(void **state)
{
    (void)state;
    /* E0 80: E0 needs A0..BF next, so each byte is its own ill-formed subsequence;
     * E0 A0 41: one U+FFFD for E0 A0; a truncated 4-byte sequence at the end: one */
    static const char *const cases[][2] = {
        {"ok \xc3\xa9", "ok \xc3\xa9"},
        {"\xe0\x80", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xe0\xa0"
         "A",
         "\xef\xbf\xbd"
         "A"},
        {"\xff"
         "x",
         "\xef\xbf\xbd"
         "x"},
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"a\xf0\x9f\x98", "a\xef\xbf\xbd"},
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        size_t n;
        char *out = rs_utf8_sanitize(cases[i][0], strlen(cases[i][0]), &n);
        assert_non_null(out);
        assert_string_equal(out, cases[i][1]);
        assert_int_equal(n, strlen(cases[i][1]));
        assert_int_equal(rs_utf8_valid(cases[i][0], strlen(cases[i][0])), i == 0);
        rs_free(out);
    }
}

/* ---- YAML typing ---- */

static void yaml_core_schema_typing(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"a: yes", "{\"a\":\"yes\"}"},
        {"a: no", "{\"a\":\"no\"}"},
        {"a: on", "{\"a\":\"on\"}"},
        {"a: 1.0", "{\"a\":1}"},
        {"a: 0x1F", "{\"a\":31}"},
        {"a: 0o17", "{\"a\":15}"},
        {"a: 0b11", "{\"a\":\"0b11\"}"},
        {"a: 1_000", "{\"a\":\"1_000\"}"},
        {"a: 007", "{\"a\":7}"},
        {"a: +5", "{\"a\":5}"},
        {"a: -0", "{\"a\":0}"},
        {"a: 1e3", "{\"a\":1000}"},
        {"a: .5", "{\"a\":0.5}"},
        {"a: 5.", "{\"a\":5}"},
        {"a: .inf", "{\"a\":null}"},
        {"a: -.INF", "{\"a\":null}"},
        {"a: .NaN", "{\"a\":null}"},
        {"a: 12345678901234567890", "{\"a\":12345678901234567000}"},
        {"a: ~", "{\"a\":null}"},
        {"a: Null", "{\"a\":null}"},
        {"a: NULL", "{\"a\":null}"},
        {"a:", "{\"a\":null}"},
        {"a: nULL", "{\"a\":\"nULL\"}"},
        {"a: True", "{\"a\":true}"},
        {"a: FALSE", "{\"a\":false}"},
        {"a: tRUE", "{\"a\":\"tRUE\"}"},
        {"a: \"1\"", "{\"a\":\"1\"}"},
        {"a: 'true'", "{\"a\":\"true\"}"},
        {"a: 2001-12-14", "{\"a\":\"2001-12-14\"}"},
        {"a: !!str 5", "{\"a\":\"5\"}"},
        {"a: !!int \"7\"", "{\"a\":7}"},
        {"a: !!float 3", "{\"a\":\"3\"}"},
        {"a: !!bool yes", "{\"a\":\"yes\"}"},
        {"a: !foo bar", "{\"a\":\"bar\"}"},
        {"a: ! 5", "{\"a\":\"5\"}"},
        {"a: |\n  text\n", "{\"a\":\"text\\n\"}"},
        {"a: |-\n  text\n", "{\"a\":\"text\"}"},
        {"a: >\n  one\n  two\n", "{\"a\":\"one two\\n\"}"},
        /* keys: JavaScript property names, index keys first */
        {"b: 1\n2: x\n1: y\na: z", "{\"1\":\"y\",\"2\":\"x\",\"b\":1,\"a\":\"z\"}"},
        {"1.0: x\n~: y\ntrue: z\n0x10: w", "{\"1\":\"x\",\"16\":\"w\",\"\":\"y\",\"true\":\"z\"}"},
        /* no merge keys in YAML 1.2: << is a key like any other */
        {"a: &x {b: 1}\nc:\n  <<: *x\n  d: 2",
         "{\"a\":{\"b\":1},\"c\":{\"<<\":{\"b\":1},\"d\":2}}"},
        {"a: &s hello\nb: *s", "{\"a\":\"hello\",\"b\":\"hello\"}"},
        /* 1 and "1" are different YAML keys; the later replaces the earlier in place */
        {"1: a\n\"1\": b\nc: d", "{\"1\":\"b\",\"c\":\"d\"}"},
        {"# only a comment\n", "null"},
        {"", "null"},
        {"[1, two]", "[1,\"two\"]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cJSON *v = NULL;
        rs_error err = RS_ERROR_INIT;
        assert_rs_ok(rs_yaml_to_json(&v, cases[i][0], strlen(cases[i][0]), NULL, &err), &err);
        char *got = js(v);
        if (strcmp(got, cases[i][1]) != 0)
            print_error("yaml %s\n  expected %s\n  got %s\n", cases[i][0], cases[i][1], got);
        assert_string_equal(got, cases[i][1]);
        rs_free(got);
        cJSON_Delete(v);
    }
}

typedef struct yaml_error_case {
    const char *src;
    int code;
    int line, col;
    const char *message;
} yaml_error_case;

static void yaml_errors_with_locations(void **state)
{
    (void)state;
    static const yaml_error_case cases[] = {
        {"model: a\nmodel: b\n", RS_ESYNTAX, 3, 1,
         "invalid frontmatter: duplicate key 'model' (first at 2:1)"},
        {"1: a\n1.0: b\n", RS_ESYNTAX, 3, 1,
         "invalid frontmatter: duplicate key '1' (first at 2:1)"},
        {"config: *nope\n", RS_ESYNTAX, 2, 9, "invalid frontmatter: unknown alias 'nope'"},
        {"a: 1\n--- \nb: 2\n", RS_ESYNTAX, 3, 1,
         "invalid frontmatter: more than one YAML document"},
        {"? [a, b]\n: 1\n", RS_EUNSUPPORTED, 2, 3,
         "invalid frontmatter: a mapping key must be a scalar"},
        {"config:\n\ttemperature: 1\n", RS_ESYNTAX, 3, 1,
         "invalid frontmatter: tabs are not allowed for indentation in YAML"},
        {"a: {b: 1\n", RS_ESYNTAX, 3, 1,
         "invalid frontmatter: did not find expected ',' or '}' (flow mapping opened at 2:4)"},
        {"a: \"x\n", RS_ESYNTAX, 3, 1,
         "invalid frontmatter: found unexpected end of stream while scanning a quoted scalar "
         "opened at 2:4"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const yaml_error_case *c = &cases[i];
        /* as inside a .prompt file: the YAML starts on line 2 */
        char file[256];
        snprintf(file, sizeof(file), "---\n%s---\nbody", c->src);
        rs_yaml_opts yo = RS_YAML_OPTS_INIT;
        yo.filename = "p.prompt";
        yo.file_src = file;
        yo.file_len = strlen(file);
        yo.line_offset = 1;
        cJSON *v = NULL;
        rs_error err = RS_ERROR_INIT;
        int rc = rs_yaml_to_json(&v, file + 4, strlen(c->src), &yo, &err);
        assert_null(v);
        if (rc != c->code || err.line != c->line || err.column != c->col ||
            strcmp(err.message, c->message) != 0)
            print_error("case %zu: %d %d:%d %s\n", i, rc, err.line, err.column, err.message);
        assert_int_equal(rc, c->code);
        assert_string_equal(err.file, "p.prompt");
        assert_int_equal(err.line, c->line);
        assert_int_equal(err.column, c->col);
        assert_string_equal(err.message, c->message);
    }
}

static void yaml_alias_expansion_is_limited(void **state)
{
    (void)state;
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
    rs_yaml_opts yo = RS_YAML_OPTS_INIT;
    yo.max_nodes = 10000;
    cJSON *v = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_int_equal(rs_yaml_to_json(&v, bomb, strlen(bomb), &yo, &err), RS_ELIMIT);
    assert_null(v);
    assert_non_null(strstr(err.message, "more than 10000 values"));
}

static void yaml_nesting_is_limited(void **state)
{
    (void)state;
    size_t n = 100000;
    char *deep = rs_malloc(2 * n + 8);
    assert_non_null(deep);
    memcpy(deep, "a: ", 3);
    memset(deep + 3, '[', n);
    memset(deep + 3 + n, ']', n);
    deep[3 + 2 * n] = '\0';
    cJSON *v = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_int_equal(rs_yaml_to_json(&v, deep, strlen(deep), NULL, &err), RS_ELIMIT);
    assert_null(v);
    assert_string_equal(err.message, "invalid frontmatter: nested deeper than 512 levels");
    rs_free(deep);
}

/* ---- Picoschema ---- */

static void picoschema_rules(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"\"string\"", "{\"type\":\"string\"}"},
        {"\"any\"", "{\"type\":\"any\"}"},
        {"\"number, a count\"", "{\"type\":\"number\",\"description\":\"a count\"}"},
        {"{\"type\":\"object\",\"x\":1}", "{\"type\":\"object\",\"x\":1}"},
        {"{\"properties\":{\"a\":{}},\"type\":\"thing\"}",
         "{\"properties\":{\"a\":{}},\"type\":\"object\"}"},
        {"{\"a\":\"string\",\"b?\":\"integer, the b\"}",
         "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{\"type\":"
         "[\"integer\",\"null\"],\"description\":\"the b\"}},\"required\":[\"a\"],"
         "\"additionalProperties\":false}"},
        {"{\"a?\":\"any\"}",
         "{\"type\":\"object\",\"properties\":{\"a\":{}},\"additionalProperties\":false}"},
        {"{\"tags(array, the tags)\":\"string\"}",
         "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"items\":{\"type\":"
         "\"string\"},\"description\":\"the tags\"}},\"required\":[\"tags\"],"
         "\"additionalProperties\":false}"},
        {"{\"tags?(array)\":{\"x\":\"number\"}}",
         "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":[\"array\",\"null\"],\"items\":"
         "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\"}},\"required\":[\"x\"],"
         "\"additionalProperties\":false}}},\"additionalProperties\":false}"},
        {"{\"o?(object)\":{\"(*)\":\"string\"}}",
         "{\"type\":\"object\",\"properties\":{\"o\":{\"type\":[\"object\",\"null\"],"
         "\"properties\":{},\"additionalProperties\":{\"type\":\"string\"}}},"
         "\"additionalProperties\":false}"},
        {"{\"o?(object)\":\"any\"}",
         "{\"type\":\"object\",\"properties\":{\"o\":{\"type\":[null,\"null\"]}},"
         "\"additionalProperties\":false}"},
        {"{\"t?(enum, tier)\":[\"free\",\"pro\"]}",
         "{\"type\":\"object\",\"properties\":{\"t\":{\"enum\":[\"free\",\"pro\",null],"
         "\"description\":\"tier\"}},\"additionalProperties\":false}"},
        {"{\"t?(enum)\":[\"a\",null]}",
         "{\"type\":\"object\",\"properties\":{\"t\":{\"enum\":[\"a\",null]}},"
         "\"additionalProperties\":false}"},
        {"{\"b\":\"string\",\"2\":\"string\",\"1\":\"string\"}",
         "{\"type\":\"object\",\"properties\":{\"1\":{\"type\":\"string\"},\"2\":{\"type\":"
         "\"string\"},\"b\":{\"type\":\"string\"}},\"required\":[\"1\",\"2\",\"b\"],"
         "\"additionalProperties\":false}"},
        /* the description is on the last line, after its first comma */
        {"{\"a\":\"string, one, two\"}",
         "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"description\":"
         "\"one, two\"}},\"required\":[\"a\"],\"additionalProperties\":false}"},
        {"{\"n\":\"Named, described\"}",
         "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"number\",\"description\":"
         "\"described\"}},\"required\":[\"n\"],\"additionalProperties\":false}"},
        {"\"Named\"", "{\"type\":\"number\",\"description\":\"a named\"}"},
    };
    cJSON *named = json("{\"Named\":{\"type\":\"number\",\"description\":\"a named\"}}");
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cJSON *in = json(cases[i][0]), *out = NULL;
        rs_error err = RS_ERROR_INIT;
        rs_pico_opts po = RS_PICO_OPTS_INIT;
        po.named = named;
        assert_rs_ok(rs_picoschema(&out, in, &po, &err), &err);
        assert_json_text(out, cases[i][1]);
        cJSON_Delete(in);
        cJSON_Delete(out);
    }
    cJSON_Delete(named);
}

static void picoschema_errors(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"{\"a(map)\":\"string\"}",
         "input.schema: Picoschema: parenthetical type must be 'array', 'object' or 'enum', got "
         "'map'"},
        {"{\"a(enum)\":\"red\"}", "input.schema: Picoschema: the values of an enum must be a list"},
        {"{\"a\":5}", "input.schema: Picoschema: expected a type name or an object, got 5"},
        {"{\"a\":\"strng\"}", "input.schema: Picoschema: unknown type 'strng' (not a scalar type "
                              "or a named schema)"},
        {"\"Person\"", "input.schema: Picoschema: no schema named 'Person'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cJSON *in = json(cases[i][0]), *out = NULL;
        rs_error err = RS_ERROR_INIT;
        rs_pico_opts po = RS_PICO_OPTS_INIT;
        po.where = "input.schema";
        assert_int_equal(rs_picoschema(&out, in, &po, &err), RS_ESCHEMA);
        assert_null(out);
        assert_string_equal(err.message, cases[i][1]);
        cJSON_Delete(in);
    }
}

/* ---- JSON Schema validation ---- */

static void schema_validation_messages(void **state)
{
    (void)state;
    cJSON *schema =
        json("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":2,"
             "\"pattern\":\"^[a-z]+$\"},\"age\":{\"type\":[\"integer\",\"null\"],\"minimum\":0},"
             "\"tier\":{\"enum\":[\"free\",\"pro\",null]},\"tags\":{\"type\":\"array\",\"items\":"
             "{\"type\":\"string\"},\"maxItems\":2},\"counts\":{\"type\":\"object\","
             "\"additionalProperties\":{\"type\":\"integer\"}}},\"required\":[\"name\"],"
             "\"additionalProperties\":false}");
    static const char *const cases[][2] = {
        {"{\"name\":\"ab\"}", NULL},
        {"{\"name\":\"ab\",\"age\":null,\"tier\":\"pro\",\"tags\":[\"x\"],\"counts\":{\"a\":1}}",
         NULL},
        {"{}", "input.name: required property missing"},
        {"{\"name\":\"ab\",\"x\":1}", "input.x: property not allowed by the schema"},
        {"{\"name\":5}", "input.name: expected string, got 5"},
        {"{\"name\":\"a\"}", "input.name: must be at least 2 characters long"},
        {"{\"name\":\"AB\"}", "input.name: must match the pattern /^[a-z]+$/"},
        {"{\"name\":\"ab\",\"age\":1.5}", "input.age: expected integer or null, got 1.5"},
        {"{\"name\":\"ab\",\"age\":-1}", "input.age: must be >= 0"},
        {"{\"name\":\"ab\",\"tier\":\"gold\"}",
         "input.tier: \"gold\" is not one of \"free\", \"pro\", null"},
        {"{\"name\":\"ab\",\"tags\":[\"a\",2]}", "input.tags[1]: expected string, got 2"},
        {"{\"name\":\"ab\",\"tags\":[\"a\",\"b\",\"c\"]}", "input.tags: must have at most 2 items"},
        {"{\"name\":\"ab\",\"counts\":{\"y\":\"1\"}}",
         "input.counts.y: expected integer, got string"},
        {"[]", "input: expected object, got array"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cJSON *v = json(cases[i][0]);
        rs_error err = RS_ERROR_INIT;
        int rc = rs_jsonschema_validate(schema, v, "input", &err);
        if (!cases[i][1]) {
            assert_rs_ok(rc, &err);
        } else {
            assert_int_equal(rc, RS_ESCHEMA);
            assert_string_equal(err.message, cases[i][1]);
        }
        cJSON_Delete(v);
    }
    cJSON_Delete(schema);
}

/* ---- messages ---- */

static void message_splitting(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        /* text, data.messages (or NULL), expected messages */
        {"hello", NULL, "[{\"role\":\"user\",\"content\":[{\"text\":\"hello\"}]}]"},
        {"  \n ", NULL, "[]"},
        {"<<<dotprompt:role:system>>>  <<<dotprompt:role:user>>>hi", NULL,
         "[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]"},
        {"a<<<dotprompt:role:model>>>b", NULL,
         "[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]},{\"role\":\"model\",\"content\":[{"
         "\"text\":\"b\"}]}]"},
        /* a role must be lower-case letters; text that starts like a marker takes the role */
        {"<<<dotprompt:role:System>>>x", NULL, "[]"},
        {"x<<<dotprompt:history>>>y", "[{\"role\":\"user\",\"content\":[{\"text\":\"h\"}]}]",
         "[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]},{\"role\":\"user\",\"content\":[{"
         "\"text\":\"h\"}],\"metadata\":{\"purpose\":\"history\"}},{\"role\":\"model\",\"content\":"
         "[{\"text\":\"y\"}]}]"},
        /* without a history marker: before the last user message */
        {"<<<dotprompt:role:system>>>s<<<dotprompt:role:user>>>u",
         "[{\"role\":\"model\",\"content\":[{\"text\":\"h\"}]}]",
         "[{\"role\":\"system\",\"content\":[{\"text\":\"s\"}]},{\"role\":\"model\",\"content\":[{"
         "\"text\":\"h\"}]},{\"role\":\"user\",\"content\":[{\"text\":\"u\"}]}]"},
        {"", "[{\"role\":\"user\",\"content\":[{\"text\":\"h\"}]}]",
         "[{\"role\":\"user\",\"content\":[{\"text\":\"h\"}]}]"},
        {"a <<<dotprompt:media:url http://x/i.png image/png>>> b<<<dotprompt:section code>>>", NULL,
         "[{\"role\":\"user\",\"content\":[{\"text\":\"a "
         "\"},{\"media\":{\"url\":\"http://x/i.png\","
         "\"contentType\":\"image/png\"}},{\"text\":\" b\"},{\"metadata\":{\"purpose\":\"code\","
         "\"pending\":true}}]}]"},
        /* `.` does not cross a newline: not a marker */
        {"<<<dotprompt:section a\nb>>>", NULL,
         "[{\"role\":\"user\",\"content\":[{\"metadata\":{\"purpose\":\"a\\nb>>>\","
         "\"pending\":true}}]}]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cJSON *history = cases[i][1] ? json(cases[i][1]) : NULL, *out = NULL;
        rs_error err = RS_ERROR_INIT;
        assert_rs_ok(rs_dotprompt_messages(&out, cases[i][0], strlen(cases[i][0]), history, &err),
                     &err);
        assert_json_text(out, cases[i][2]);
        cJSON_Delete(out);
        cJSON_Delete(history);
    }
}

/* ---- rs_prompt ---- */

static const char *const triage =
    "---\n"
    "model: openai/gpt-4o-mini\n"
    "config: {temperature: 0.2}\n"
    "input:\n"
    "  schema: {ticket: string, tier?(enum): [free, pro]}\n"
    "  default: {tier: free}\n"
    "output: {format: json, schema: {category: string}}\n"
    "rosetta.targets: [\"anthropic/*\"]\n"
    "---\n"
    "{{role \"system\"}}Triage ({{tier}}).\n"
    "{{role \"user\"}}{{ticket}}{{#ifEquals tier \"pro\"}} [pro]{{/ifEquals}} {{json @auth}}\n";

static void prompt_render_end_to_end(void **state)
{
    (void)state;
    rs_prompt *p = NULL;
    rs_error err = RS_ERROR_INIT;
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.filename = "triage.prompt";
    assert_rs_ok(rs_prompt_compile(&p, triage, strlen(triage), &co, &err), &err);
    assert_int_equal(strlen(rs_prompt_hash(p)), 64);

    cJSON *data = json("{\"input\":{\"ticket\":\"help\"},\"context\":{\"auth\":{\"u\":1}}}");
    cJSON *out = NULL;
    assert_rs_ok(rs_prompt_render(&out, p, data, NULL, NULL, &err), &err);
    assert_json_text(cJSON_GetObjectItemCaseSensitive(out, "messages"),
                     "[{\"role\":\"system\",\"content\":[{\"text\":\"Triage (free).\\n\"}]},"
                     "{\"role\":\"user\",\"content\":[{\"text\":\"help {\\\"u\\\":1}\"}]}]");
    assert_null(cJSON_GetObjectItemCaseSensitive(out, "input")); /* render drops input */
    assert_json_text(cJSON_GetObjectItemCaseSensitive(out, "ext"),
                     "{\"rosetta\":{\"targets\":[\"anthropic/*\"]}}");
    cJSON_Delete(out);

    /* as the reference: the frontmatter default is not applied */
    rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
    ro.apply_input_default = 0;
    assert_rs_ok(rs_prompt_render(&out, p, data, NULL, &ro, &err), &err);
    char *first = js(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "messages"), 0));
    assert_non_null(strstr(first, "Triage ()"));
    rs_free(first);
    cJSON_Delete(out);

    /* strict: the tier must be one of the enum */
    cJSON *bad = json("{\"input\":{\"ticket\":\"x\",\"tier\":\"gold\"}}");
    ro.apply_input_default = 1;
    ro.strict = 1;
    assert_int_equal(rs_prompt_render(&out, p, bad, NULL, &ro, &err), RS_ESCHEMA);
    assert_null(out);
    assert_string_equal(err.message, "input does not match input.schema: input.tier: \"gold\" is "
                                     "not one of \"free\", \"pro\", null");
    cJSON_Delete(bad);

    /* metadata: options merged over the frontmatter, config one level deep */
    cJSON *opts = json("{\"model\":\"m2\",\"config\":{\"maxOutputTokens\":5}}");
    assert_rs_ok(rs_prompt_render_metadata(&out, p, opts, &err), &err);
    assert_string_equal(rs_json_string(out, "model"), "m2");
    assert_json_text(cJSON_GetObjectItemCaseSensitive(out, "config"),
                     "{\"temperature\":0.2,\"maxOutputTokens\":5}");
    assert_json_text(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "output"), "schema"),
        "{\"type\":\"object\",\"properties\":{\"category\":{\"type\":\"string\"}},"
        "\"required\":[\"category\"],\"additionalProperties\":false}");
    cJSON_Delete(out);
    cJSON_Delete(opts);
    cJSON_Delete(data);
    rs_prompt_free(p);
}

static void prompt_errors_point_into_the_file(void **state)
{
    (void)state;
    static const struct {
        const char *src;
        int code, line, col;
        const char *msg;
    } cases[] = {
        {"---\nmodel: a\nmodel: b\n---\nx", RS_ESYNTAX, 3, 1,
         "invalid frontmatter: duplicate key 'model' (first at 2:1)"},
        {"---\n- a\n---\nx", RS_ESYNTAX, 2, 1,
         "invalid frontmatter: expected a mapping of keys, got a sequence"},
        {"---\ninput:\n  schema:\n    tags(map): string\n---\nx", RS_ESCHEMA, 4, 5,
         "Picoschema: parenthetical type must be 'array', 'object' or 'enum', got 'map'"},
        {"---\ninput:\n  schema:\n    count: 5\n---\nx", RS_ESCHEMA, 4, 12,
         "Picoschema: expected a type name or an object, got 5"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        rs_prompt *p = NULL;
        rs_error err = RS_ERROR_INIT;
        rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
        co.filename = "f.prompt";
        int rc = rs_prompt_compile(&p, cases[i].src, strlen(cases[i].src), &co, &err);
        assert_null(p);
        if (rc != cases[i].code || err.line != cases[i].line || err.column != cases[i].col)
            print_error("case %zu: %d %d:%d %s\n", i, rc, err.line, err.column, err.message);
        assert_int_equal(rc, cases[i].code);
        assert_string_equal(err.file, "f.prompt");
        assert_int_equal(err.line, cases[i].line);
        assert_int_equal(err.column, cases[i].col);
        assert_string_equal(err.message, cases[i].msg);
    }
}

static void prompt_data_shape_errors(void **state)
{
    (void)state;
    rs_prompt *p = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_prompt_compile(&p, "{{history}}x", 12, NULL, &err), &err);
    cJSON *out = NULL, *d1 = json("[1]"), *d2 = json("{\"messages\":5}");
    assert_int_equal(rs_prompt_render(&out, p, d1, NULL, NULL, &err), RS_EINVAL);
    assert_string_equal(err.message, "data must be a JSON object, got an array");
    assert_int_equal(rs_prompt_render(&out, p, d2, NULL, NULL, &err), RS_EINVAL);
    assert_string_equal(err.message, "data.messages must be an array of messages, got a number");
    assert_null(out);
    cJSON_Delete(d1);
    cJSON_Delete(d2);
    rs_prompt_free(p);
}

/* One compiled prompt rendered from many threads at once gives the same result everywhere. */
typedef struct thread_job {
    const rs_prompt *p;
    const cJSON *data;
    const char *want;
    int failures;
} thread_job;

static void *render_many(void *arg)
{
    thread_job *job = arg;
    for (int i = 0; i < 200; i++) {
        cJSON *out = NULL;
        const cJSON *in_arena = NULL;
        rs_arena arena;
        rs_error err = RS_ERROR_INIT;
        rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
        ro.share_metadata = i % 2; /* both ways: sharing must not race either */
        int use_arena = i % 4 >= 2; /* and the result on the heap or in an arena */
        rs_arena_init(&arena, 0);
        int rc = use_arena ? rs_prompt_render_arena(&in_arena, &arena, job->p, job->data, NULL,
                                                    &ro, &err)
                           : rs_prompt_render(&out, job->p, job->data, NULL, &ro, &err);
        if (rc != 0) {
            job->failures++;
            rs_arena_free(&arena);
            continue;
        }
        rs_str s = RS_STR_INIT;
        rs_js_stringify(&s, use_arena ? in_arena : out, "");
        if (strcmp(rs_str_cstr(&s), job->want) != 0)
            job->failures++;
        rs_str_free(&s);
        cJSON_Delete(out);
        rs_arena_free(&arena);
    }
    return NULL;
}

static void prompt_renders_concurrently(void **state)
{
    (void)state;
    rs_prompt *p = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_prompt_compile(&p, triage, strlen(triage), NULL, &err), &err);
    cJSON *data = json("{\"input\":{\"ticket\":\"t\",\"tier\":\"pro\"},\"context\":{\"auth\":"
                       "{\"u\":1}},\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":"
                       "\"h\"}]}]}");
    cJSON *first = NULL;
    assert_rs_ok(rs_prompt_render(&first, p, data, NULL, NULL, &err), &err);
    char *want = js(first);
    cJSON_Delete(first);
    enum { NTHREADS = 8 };
    pthread_t threads[NTHREADS];
    thread_job jobs[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        jobs[i] = (thread_job){p, data, want, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, render_many, &jobs[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    rs_free(want);
    cJSON_Delete(data);
    rs_prompt_free(p);
}

/* The public API: JSON text in, JSON text out. */
static void public_api_text_round_trip(void **state)
{
    (void)state;
    rs_prompt *p = NULL;
    rs_error err = RS_ERROR_INIT;
    rs_prompt_options po = RS_PROMPT_OPTIONS_INIT;
    po.filename = "t.prompt";
    po.schemas_json = "{\"Who\": {\"type\": \"string\"}}";
    const char *src = "---\ninput:\n  schema: {name: Who}\n  default: {name: World}\n---\n"
                      "Hello {{name}}!";
    assert_rs_ok(rs_prompt_open(&p, src, strlen(src), &po, &err), &err);
    char *out = NULL;
    size_t len = 0;
    rs_prompt_render_options ro = RS_PROMPT_RENDER_OPTIONS_INIT;
    ro.indent = 0;
    assert_rs_ok(rs_prompt_render_json(&out, &len, p, NULL, NULL, &ro, &err), &err);
    assert_int_equal(len, strlen(out));
    assert_non_null(strstr(out, "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":"
                                "\"Hello World!\"}]}]"));
    rs_free(out);
    ro.reference = 1;
    assert_rs_ok(rs_prompt_render_json(&out, NULL, p, "{\"input\": {}}", NULL, &ro, &err), &err);
    assert_non_null(strstr(out, "\"Hello !\""));
    rs_free(out);
    assert_rs_ok(rs_prompt_metadata_json(&out, NULL, p, "{\"model\": \"x/y\"}", &ro, &err), &err);
    assert_non_null(strstr(out, "\"model\":\"x/y\""));
    assert_non_null(strstr(out, "\"properties\":{\"name\":{\"type\":\"string\"}}"));
    rs_free(out);
    ro.data_name = "d.json";
    assert_int_equal(rs_prompt_render_json(&out, NULL, p, "{\"input\": }", NULL, &ro, &err),
                     RS_ESYNTAX);
    assert_null(out);
    assert_string_equal(err.file, "d.json");
    assert_int_equal(err.line, 1);
    rs_prompt_free(p);
}

static const char *const heavy =
    "---\n"
    "model: m\n"
    "tools: [a, constructor]\n"
    "a.b.c: 1\n"
    "input:\n"
    "  schema:\n"
    "    t: string, the text\n"
    "    c?(object, who):\n"
    "      n: string\n"
    "      tier?(enum): [free, pro]\n"
    "    o(array, orders): {id: string, items?(array): string}\n"
    "    w?(object):\n"
    "      (*): integer\n"
    "    any?: any\n"
    "output: {format: json, schema: Named}\n"
    "---\n"
    "{{role \"system\"}}{{#each o}}{{id}}{{/each}}{{history}}{{role \"user\"}}{{t}}"
    "{{media url=t contentType=\"image/png\"}}{{section \"s\"}}{{json c indent=2}}\n";

/* Fail every allocation in turn: each run must fail cleanly (ASan checks for leaks) or pass. */
static void prompt_allocation_failures(void **state)
{
    (void)state;
    cJSON *datas[2] = {json("{\"input\":{\"ticket\":\"t\"},\"context\":{\"auth\":{\"u\":1}},"
                            "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"h\"}]}]}"),
                       json("{\"input\":{\"t\":\"x\",\"o\":[{\"id\":\"1\"}],\"c\":{\"n\":\"a\"}},"
                            "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"h\"}]}]}")};
    cJSON *named = json("{\"Named\":{\"type\":\"object\"}}");
    const char *const sources[] = {triage, heavy};
    for (size_t k = 0; k < 2; k++) {
        long n;
        for (n = 0; n < 100000; n++) {
            rs_prompt *p = NULL;
            cJSON *out = NULL, *meta = NULL;
            rs_error err = RS_ERROR_INIT;
            rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
            co.schemas = named;
            rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
            ro.strict = 1;
            ro.share_metadata = (int)(n % 2);
            rs_alloc_fail_after(n);
            int rc = rs_prompt_compile(&p, sources[k], strlen(sources[k]), &co, &err);
            if (rc == 0)
                rc = rs_prompt_render(&out, p, datas[k], NULL, &ro, &err);
            if (rc == 0)
                rc = rs_prompt_render_metadata(&meta, p, datas[k], &err);
            rs_alloc_fail_after(-1);
            cJSON_Delete(out);
            cJSON_Delete(meta);
            rs_prompt_free(p);
            if (rc == 0)
                break;
            if (rc != RS_ENOMEM && rc != RS_ELIMIT)
                print_error("source %zu, allocation %ld: %s\n", k, n, err.message);
            assert_true(rc == RS_ENOMEM || rc == RS_ELIMIT);
        }
        assert_true(n > 10 && n < 100000);
    }
    cJSON_Delete(named);
    cJSON_Delete(datas[0]);
    cJSON_Delete(datas[1]);
}

int main(void)
{
    /* cJSON allocates through rs_malloc, as after rs_global_init, so allocation failures reach it
     */
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frontmatter_split_cases),
        cmocka_unit_test(js_trim_unicode),
        cmocka_unit_test(utf8_replacement_as_node),
        cmocka_unit_test(yaml_core_schema_typing),
        cmocka_unit_test(yaml_errors_with_locations),
        cmocka_unit_test(yaml_alias_expansion_is_limited),
        cmocka_unit_test(yaml_nesting_is_limited),
        cmocka_unit_test(picoschema_rules),
        cmocka_unit_test(picoschema_errors),
        cmocka_unit_test(schema_validation_messages),
        cmocka_unit_test(message_splitting),
        cmocka_unit_test(prompt_render_end_to_end),
        cmocka_unit_test(prompt_errors_point_into_the_file),
        cmocka_unit_test(prompt_data_shape_errors),
        cmocka_unit_test(public_api_text_round_trip),
        cmocka_unit_test(prompt_renders_concurrently),
        cmocka_unit_test(prompt_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
