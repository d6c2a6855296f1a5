/*
 * Unit tests for the Handlebars engine (templates/hbs.h) and util/sha256.
 * Expected outputs were checked against Handlebars 4.7 as the Dotprompt reference runs it
 * (knownHelpersOnly, noEscape) unless a test turns escaping on.
 */
#include "test_helpers.h"

#include "templates/hbs.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/jsnum.h"
#include "util/sha256.h"

#include <pthread.h>

/* ---- helpers ---- */

static const char *partial_table[][2] = {
    {"p", "[{{a}}]"},
    {"lines", "A\nB\n"},
    {"ctx", "{{a}}-{{b}}"},
    {"self", "{{n}}{{> self}}"},
    {"iter", "{{@index}}:{{this}};"},
    {"nested", "<{{> p}}>"},
    {"root", "{{@root.top}}|{{../top}}"},
};

static int table_resolver(char **src, size_t *len, void *userdata, const char *name, rs_error *err)
{
    (void)userdata;
    for (size_t i = 0; i < sizeof partial_table / sizeof partial_table[0]; i++) {
        if (!strcmp(partial_table[i][0], name)) {
            *len = strlen(partial_table[i][1]);
            *src = rs_strndup(partial_table[i][1], *len);
            return *src ? 0 : rs_error_set(err, RS_ENOMEM, "out of memory");
        }
    }
    return RS_ENOTFOUND;
}

static rs_hbs_options base_options(void)
{
    rs_hbs_options o = RS_HBS_OPTIONS_INIT;
    o.filename = "t.hbs";
    o.resolve = table_resolver;
    return o;
}

/* Compile and render; returns rs_malloc'd output, or NULL with err set. */
static char *try_render(const char *tmpl, const char *json, const rs_hbs_options *o, rs_error *err)
{
    cJSON *data = NULL;
    rs_hbs_template *tpl = NULL;
    rs_str out = RS_STR_INIT;
    char *res = NULL;
    if (json && rs_json_parse(&data, json, strlen(json), "data", err))
        goto done;
    if (rs_hbs_compile(&tpl, tmpl, strlen(tmpl), o, err))
        goto done;
    if (rs_hbs_render(&out, tpl, data, NULL, err))
        goto done;
    res = rs_strndup(rs_str_cstr(&out), out.len);
done:
    rs_str_free(&out);
    rs_hbs_free(tpl);
    cJSON_Delete(data);
    return res;
}

static void check_render_opts(const char *tmpl, const char *json, const char *expected,
                              const rs_hbs_options *o)
{
    rs_error err = RS_ERROR_INIT;
    char *got = try_render(tmpl, json, o, &err);
    if (!got) {
        char buf[2048];
        print_error("template %s failed: %s\n", tmpl, rs_error_format(&err, buf, sizeof buf));
        fail();
    }
    if (strcmp(got, expected) != 0)
        print_error("template: %s\n     got: [%s]\nexpected: [%s]\n", tmpl, got, expected);
    assert_string_equal(got, expected);
    rs_free(got);
}

static void check_render(const char *tmpl, const char *json, const char *expected)
{
    rs_hbs_options o = base_options();
    check_render_opts(tmpl, json, expected, &o);
}

static void check_render_html(const char *tmpl, const char *json, const char *expected)
{
    rs_hbs_options o = base_options();
    o.escape_html = 1;
    check_render_opts(tmpl, json, expected, &o);
}

/* The template fails (compile or render) with `code` and "file:line:col: message". */
static void check_error_opts(const char *tmpl, const char *json, int code, const char *message,
                             const rs_hbs_options *o)
{
    rs_error err = RS_ERROR_INIT;
    char *got = try_render(tmpl, json, o, &err);
    if (got)
        print_error("template %s rendered [%s], expected an error\n", tmpl, got);
    assert_null(got);
    char buf[2048];
    rs_error_format(&err, buf, sizeof buf);
    if (strcmp(buf, message) != 0)
        print_error("template: %s\n     got: %s\nexpected: %s\n", tmpl, buf, message);
    assert_string_equal(buf, message);
    assert_int_equal(err.code, code);
}

static void check_error(const char *tmpl, int code, const char *message)
{
    rs_hbs_options o = base_options();
    check_error_opts(tmpl, NULL, code, message, &o);
}

/* ---- interpolation and values ---- */

static void paths(void **state)
{
    (void)state;
    const char *d = "{\"a\":{\"b\":{\"c\":\"deep\"}},\"x y\":1,\"xs\":[5,6],\"a.b\":7}";
    check_render("{{a.b.c}} {{a/b/c}} {{this.a.b.c}} {{./a.b.c}}", d, "deep deep deep deep");
    check_render("{{[x y]}} {{xs.[1]}} {{[a.b]}} {{xs.length}}", d, "1 6 7 2");
    /* a number after a separator is a NUMBER token, not a name, as in Handlebars */
    check_error("{{xs.1}}", RS_ESYNTAX, "t.hbs:1:6: expected a name, found '1'");
    check_render("{{missing}}|{{a.missing.deeper}}|{{xs.[9]}}", d, "||");
    check_render("{{#with a}}{{b.c}}|{{../xs.[0]}}|{{@root.a.b.c}}{{/with}}", d, "deep|5|deep");
    /* a string's length counts UTF-16 code units, as JavaScript does */
    check_render("{{s.length}} {{s.[0]}}", "{\"s\":\"\xc3\xa9\xf0\x9d\x84\x9e\"}", "3 \xc3\xa9");
}

static void literals_as_names(void **state)
{
    (void)state;
    /* a literal in name position is looked up as a key, as Handlebars does */
    check_render("{{\"a b\"}} {{1}} {{true}} {{'q'}}", "{\"a b\":1,\"1\":2,\"true\":3,\"q\":4}",
                 "1 2 3 4");
}

static void js_values(void **state)
{
    (void)state;
    check_render("{{a}} {{b}} {{c}} {{d}} {{e}}",
                 "{\"a\":1e21,\"b\":0.1,\"c\":-0.0,\"d\":1.5e-7,\"e\":123456789012}",
                 "1e+21 0.1 0 1.5e-7 123456789012");
    check_render("{{x}}", "{\"x\":[1,[2,3],null,{\"a\":1},true]}", "1,2,3,,[object Object],true");
    check_render("[{{n}}][{{t}}][{{f}}][{{o}}]", "{\"n\":null,\"t\":true,\"f\":false,\"o\":{}}",
                 "[][true][false][[object Object]]");
}

static void adjacent_values_add(void **state)
{
    (void)state;
    /* Handlebars compiles a program to `v1 + v2 + ...`: leading numbers and booleans add up */
    const char *d = "{\"a\":2,\"b\":3,\"t\":true,\"s\":\"x\",\"xs\":[],\"arr\":[1,2]}";
    check_render("{{a}}{{b}}", d, "5");
    check_render("{{a}}{{b}}x{{a}}{{b}}", d, "5x23");
    check_render("{{t}}{{t}}{{a}}", d, "4");
    check_render("{{a}}{{s}}{{b}}", d, "2x3");
    check_render("{{a}}{{missing}}{{b}}", d, "23");
    check_render("{{#if t}}{{a}}{{/if}}{{b}}", d, "5");
    check_render("{{#each xs}}{{else}}{{a}}{{/each}}{{b}}", d, "5");
    check_render("{{a}}{{#if t}}s{{/if}}", d, "2s");
    check_render("{{arr}}{{b}}", d, "1,23");
    check_render("{{a}}{{> p}}", "{\"a\":2}", "2[2]");
    /* escaping makes every {{value}} a string */
    check_render_html("{{a}}{{b}}", d, "23");
    check_render_html("{{{a}}}{{{b}}}", d, "5");
    /* only the start of a program adds: after a string it is all concatenation */
    check_render_html("{{a}}{{b}}|{{{a}}}{{{b}}}", d, "23|23");
}

static void html_escaping(void **state)
{
    (void)state;
    const char *d = "{\"x\":\"<a href='u'>&\\\"`=</a>\",\"xs\":[\"<\",\">\"]}";
    check_render_html("{{x}}", d,
                      "&lt;a href&#x3D;&#x27;u&#x27;&gt;&amp;&quot;&#x60;&#x3D;&lt;/a&gt;");
    check_render_html("{{{x}}}|{{&x}}|{{xs}}", d,
                      "<a href='u'>&\"`=</a>|<a href='u'>&\"`=</a>|&lt;,&gt;");
    check_render("{{x}}", d, "<a href='u'>&\"`=</a>");
    rs_str out = RS_STR_INIT;
    assert_int_equal(rs_hbs_escape(&out, "a<b", 3), 0);
    assert_string_equal(rs_str_cstr(&out), "a&lt;b");
    rs_str_free(&out);
}

static void escaped_mustaches(void **state)
{
    (void)state;
    check_render("\\{{x}} \\\\{{x}} {{x}}", "{\"x\":1}", "{{x}} \\1 1");
}

static void data_variables(void **state)
{
    (void)state;
    rs_hbs_template *tpl = NULL;
    rs_error err = RS_ERROR_INIT;
    const char *t =
        "{{@auth.uid}}|{{@root.x}}|{{@index}}|{{#each xs}}{{@root.x}}{{@auth.uid}}{{/each}}";
    assert_rs_ok(rs_hbs_compile(&tpl, t, strlen(t), NULL, &err), &err);
    cJSON *ctx = NULL, *data = NULL;
    assert_rs_ok(rs_json_parse(&ctx, "{\"x\":\"X\",\"xs\":[1]}", 19, NULL, &err), &err);
    assert_rs_ok(rs_json_parse(&data, "{\"auth\":{\"uid\":\"u1\"}}", 21, NULL, &err), &err);
    rs_str out = RS_STR_INIT;
    assert_rs_ok(rs_hbs_render(&out, tpl, ctx, data, &err), &err);
    assert_string_equal(rs_str_cstr(&out), "u1|X||Xu1");
    rs_str_free(&out);
    cJSON_Delete(ctx);
    cJSON_Delete(data);
    rs_hbs_free(tpl);
}

/* ---- whitespace ---- */

static void tilde_control(void **state)
{
    (void)state;
    check_render("a {{~x~}} b", "{\"x\":1}", "a1b");
    check_render("a\n\n{{~#if x~}}\n\n b \n\n{{~/if~}}\n\nc", "{\"x\":1}", "abc");
    check_render("{{#if a~}} A {{~else~}} B {{~/if}}|", "{\"a\":false}", "B|");
    check_render("{{~#if a~}}  x  {{~else if b~}} y {{~else~}} w {{~/if~}}", "{\"b\":1}", "y");
    check_render("  {{~! comment ~}}  x", NULL, "x");
    check_render("a {{~> p~}} b", "{\"a\":1}", "a[1]b");
}

static void standalone_lines(void **state)
{
    (void)state;
    check_render("a\n  {{#if x}}\n  b\n  {{/if}}\nc", "{\"x\":1}", "a\n  b\nc");
    check_render("a\n  {{#if x}}\n  b\n  {{else}}\n  d\n  {{/if}}\nc", "{\"x\":0}", "a\n  d\nc");
    check_render("  {{!-- comment --}}\nx", NULL, "x");
    check_render("{{#each xs}}\n  - {{this}}\n{{/each}}\n", "{\"xs\":[1,2]}", "  - 1\n  - 2\n");
    check_render(" {{#if a}}\r\n x\r\n {{/if}}\r\n", "{\"a\":1}", " x\r\n");
    check_render("a\n{{#if a}}\n{{else if b}}\ny\n{{/if}}\nb", "{\"b\":1}", "a\ny\nb");
    /* not standalone: other content on the line */
    check_render("a {{#if x}}b{{/if}}\n", "{\"x\":1}", "a b\n");
}

static void partial_indentation(void **state)
{
    (void)state;
    check_render("x\n  {{> lines}}\ny", NULL, "x\n  A\n  B\ny");
    /* Handlebars indents the partial's output, data lines included */
    check_render("x\n  {{> p}}\ny", "{\"a\":\"1\\n2\"}", "x\n  [1\n  2]y");
}

/* ---- blocks ---- */

static void each_arrays_and_objects(void **state)
{
    (void)state;
    check_render(
        "{{#each xs}}{{@index}}:{{this}}{{#if @first}}F{{/if}}{{#if @last}}L{{/if}},{{/each}}",
        "{\"xs\":[\"a\",\"b\",\"c\"]}", "0:aF,1:b,2:cL,");
    /* integer-like keys first, ascending; then insertion order ("01" and "-1" are not indexes) */
    check_render("{{#each o}}{{@key}}={{this}}({{@index}}) {{/each}}",
                 "{\"o\":{\"b\":1,\"10\":2,\"a\":3,\"2\":4,\"01\":5,\"-1\":6}}",
                 "2=4(0) 10=2(1) b=1(2) a=3(3) 01=5(4) -1=6(5) ");
    check_render("{{#each xs}}x{{else}}empty{{/each}}|{{#each s}}x{{else}}str{{/each}}",
                 "{\"xs\":[],\"s\":\"abc\"}", "empty|str");
    check_render("{{#each xs}}{{#each ../ys}}{{@../index}}.{{@index}} {{/each}}{{/each}}",
                 "{\"xs\":[1,2],\"ys\":[1,2]}", "0.0 0.1 1.0 1.1 ");
    check_render("{{#each xs}}{{../n}}{{this}}{{/each}}", "{\"xs\":[1,2],\"n\":\"N\"}", "N1N2");
    check_render("{{#each xs as |v i|}}{{i}}={{v}} {{/each}}", "{\"xs\":[\"a\",\"b\"]}",
                 "0=a 1=b ");
    check_render("{{#each o as |v k|}}{{k}}={{v}} {{/each}}", "{\"o\":{\"x\":1,\"y\":2}}",
                 "x=1 y=2 ");
}

static void conditionals(void **state)
{
    (void)state;
    const char *d = "{\"z\":0,\"e\":[],\"o\":{},\"s\":\"\",\"t\":true}";
    check_render("{{#if z}}y{{else}}n{{/if}}{{#if e}}y{{else}}n{{/if}}{{#if o}}y{{else}}n{{/if}}"
                 "{{#if s}}y{{else}}n{{/if}}{{#if t}}y{{else}}n{{/if}}",
                 d, "nnyny");
    check_render("{{#if z includeZero=true}}y{{else}}n{{/if}}", d, "y");
    check_render("{{#unless t}}u{{else}}t{{/unless}}{{#unless z}}U{{/unless}}", d, "tU");
    check_render("{{#if a}}a{{else if b}}b{{else if c}}c{{else}}w{{/if}}", "{\"c\":1}", "c");
    check_render("{{#if a}}A{{^}}B{{/if}}", "{\"a\":false}", "B");
    check_render("{{^if a}}N{{else}}Y{{/if}}", "{\"a\":1}", "Y");
    /* if keeps the context, so ../ has nothing above the root (Handlebars 4 depths) */
    check_render("{{#if x}}{{#if y}}[{{../z}}]{{/if}}{{/if}}", "{\"x\":1,\"y\":1,\"z\":\"Z\"}",
                 "[]");
    /* a helper called on a null context sees {} (nullContext) as this, which is not a depth */
    check_render("{{#each xs}}{{#unless .}}<{{.}}|{{../n}}>{{/unless}}{{/each}}",
                 "{\"xs\":[null,1],\"n\":\"N\"}", "<[object Object]|N>");
}

static void with_and_lookup(void **state)
{
    (void)state;
    check_render(
        "{{#with a}}{{b}}{{/with}}|{{#with z}}Z{{else}}none{{/with}}|{{#with zero}}{{.}}{{/with}}",
        "{\"a\":{\"b\":1},\"z\":[],\"zero\":0}", "1|none|0");
    check_render("{{#with o as |p|}}{{p.a}}{{/with}}", "{\"o\":{\"a\":\"A\"}}", "A");
    check_render("{{lookup . \"k\"}} {{lookup xs 1}} {{lookup o k2}} {{lookup xs 'length'}}",
                 "{\"k\":\"K\",\"xs\":[8,9],\"o\":{\"z\":1},\"k2\":\"z\"}", "K 9 1 2");
    check_render("{{lookup (lookup o 'a') 'b'}}|{{#each (lookup o 'l')}}{{.}}{{/each}}",
                 "{\"o\":{\"a\":{\"b\":\"AB\"},\"l\":[1,2]}}", "AB|12");
    check_render("{{lookup z 'x'}}|{{lookup n 'x'}}", "{\"z\":0,\"n\":5}", "0|");
}

static void sections(void **state)
{
    (void)state;
    check_render("{{#x}}[{{.}}]{{/x}}{{^x}}none{{/x}}", "{\"x\":[1,2]}", "[1][2]");
    check_render("{{#x}}[{{.}}]{{/x}}{{^x}}none{{/x}}", "{\"x\":[]}", "none");
    check_render("{{#x}}[{{a}}]{{/x}}", "{\"x\":{\"a\":1}}", "[1]");
    check_render("{{#x}}yes{{/x}}|{{#z}}Z{{this}}{{/z}}", "{\"x\":\"\",\"z\":0}", "yes|Z0");
    check_render("{{#x}}y{{else}}E{{/x}}", "{\"x\":null}", "E");
    check_render("{{#x}}{{@index}}{{/x}}", "{\"x\":[\"a\",\"b\"]}", "01");
}

/* ---- partials ---- */

static void partials(void **state)
{
    (void)state;
    check_render("x {{> p}} y", "{\"a\":1}", "x [1] y");
    check_render("{{> ctx c}}|{{> ctx a=5}}|{{> ctx c a=7}}",
                 "{\"a\":1,\"b\":2,\"c\":{\"a\":\"A\",\"b\":\"B\"}}", "A-B|5-2|7-B");
    check_render("{{#each xs}}{{> iter}}{{/each}}", "{\"xs\":[\"a\",\"b\"]}", "0:a;1:b;");
    check_render("{{> nested}}", "{\"a\":1}", "<[1]>");
    check_render("{{#with o}}{{> root}}{{/with}}", "{\"top\":\"T\",\"o\":{}}", "T|");
    /* a missing partial that rendering never reaches is fine, as in the reference */
    check_render("{{#if false}}{{> nowhere}}{{/if}}ok", NULL, "ok");
    check_error("a\n{{> nowhere}}", RS_ENOTFOUND,
                "t.hbs:2:1: partial 'nowhere' could not be found");
}

static void inline_partials_and_partial_blocks(void **state)
{
    (void)state;
    check_render("{{#*inline \"x\"}}in {{v}}{{/inline}}{{> x}} and {{> x v=\"hash\"}}",
                 "{\"v\":\"ctx\"}", "in ctx and in hash");
    /* defined anywhere in the program, scoped to it; an inner definition shadows */
    check_render("{{> x}}{{#*inline \"x\"}}late{{/inline}}", NULL, "late");
    check_render("{{#*inline \"x\"}}A{{/inline}}{{#if t}}{{#*inline \"x\"}}B{{/inline}}{{> "
                 "x}}{{/if}}{{> x}}",
                 "{\"t\":true}", "BA");
    check_render("a\n{{#*inline \"x\"}}\nbody\n{{/inline}}\nb\n{{> x}}\n", NULL, "a\nb\nbody\n");
    /* a partial block renders its body when the partial does not exist ... */
    check_render("{{#> nowhere}}fallback {{v}}{{/nowhere}}", "{\"v\":\"V\"}", "fallback V");
    check_render("{{#> nowhere c}}{{a}}{{/nowhere}}|{{#> nowhere a=1}}{{a}}{{/nowhere}}",
                 "{\"a\":\"A\",\"c\":{\"a\":\"C\"}}", "C|1");
    /* ... and the partial with {{> @partial-block}} when it does */
    check_render("{{#*inline \"layout\"}}<{{> @partial-block}}>{{/inline}}{{#> layout}}inner "
                 "{{v}}{{/layout}}",
                 "{\"v\":\"V\"}", "<inner V>");
    check_render("{{#*inline \"l\"}}L({{> @partial-block}}){{/inline}}{{#*inline \"i\"}}I({{> "
                 "@partial-block}}){{/inline}}"
                 "{{#> l}}{{#> i}}deep{{/i}}{{/l}}",
                 NULL, "L(I(deep))");
    check_error(
        "x {{> @partial-block}}", RS_ENOTFOUND,
        "t.hbs:1:3: partial '@partial-block' could not be found (not inside a partial block)");
}

static void partial_recursion_is_bounded(void **state)
{
    (void)state;
    rs_hbs_options o = base_options();
    o.max_depth = 10;
    check_error_opts(
        "{{> self}}", "{\"n\":1}", RS_ELIMIT,
        "self:1:6: partial 'self' nested deeper than 10 levels (does it include itself?)", &o);
}

static void partial_names_and_hash(void **state)
{
    (void)state;
    rs_hbs_options o = base_options();
    rs_hbs_template *a = NULL, *b = NULL, *c = NULL;
    rs_error err = RS_ERROR_INIT;
    const char *t = "{{> nested}}{{> p}}{{> nowhere}}";
    assert_rs_ok(rs_hbs_compile(&a, t, strlen(t), &o, &err), &err);
    assert_int_equal(rs_hbs_partial_count(a), 3);
    assert_string_equal(rs_hbs_partial_name(a, 0), "nested");
    assert_string_equal(rs_hbs_partial_name(a, 1), "nowhere");
    assert_string_equal(rs_hbs_partial_name(a, 2), "p");
    assert_null(rs_hbs_partial_name(a, 3));
    assert_rs_ok(rs_hbs_compile(&b, t, strlen(t), &o, &err), &err);
    assert_int_equal(strlen(rs_hbs_content_hash(a)), 64);
    assert_string_equal(rs_hbs_content_hash(a), rs_hbs_content_hash(b));
    o.resolve = NULL; /* same source, partials now missing: a different hash */
    assert_rs_ok(rs_hbs_compile(&c, t, strlen(t), &o, &err), &err);
    assert_string_not_equal(rs_hbs_content_hash(a), rs_hbs_content_hash(c));
    rs_hbs_free(a);
    rs_hbs_free(b);
    rs_hbs_free(c);
}

/* ---- errors ---- */

static void syntax_errors(void **state)
{
    (void)state;
    check_error("{{#each xs}}\n  {{/if}}", RS_ESYNTAX,
                "t.hbs:2:3: {{/if}} does not match {{#each}} opened at 1:1");
    check_error("a\n  {{#each xs}}x", RS_ESYNTAX, "t.hbs:2:16: unclosed {{#each}} opened at 2:3");
    check_error("{{foo 1}}", RS_ESYNTAX, "t.hbs:1:3: unknown helper 'foo'");
    check_error("x {{#foo a}}{{/foo}}", RS_ESYNTAX, "t.hbs:1:6: unknown helper 'foo'");
    check_error("{{lookup (bar 1) 'a'}}", RS_ESYNTAX, "t.hbs:1:11: unknown helper 'bar'");
    check_error("{{x (lookup a 'b')}}", RS_ESYNTAX, "t.hbs:1:3: unknown helper 'x'");
    check_error("{{x", RS_ESYNTAX, "t.hbs:1:4: unclosed '{{' opened at 1:1");
    check_error("{{x y}", RS_ESYNTAX, "t.hbs:1:6: expected '}}', found '}'");
    check_error("{{{x}}", RS_ESYNTAX, "t.hbs:1:5: expected '}}}', found '}}'");
    check_error("{{x k=}}", RS_ESYNTAX, "t.hbs:1:7: expected a value after '=', found '}}'");
    check_error("{{a.this}}", RS_ESYNTAX,
                "t.hbs:1:3: invalid path 'a.this': 'this' may only start a path");
    check_error("x\n{{else}}", RS_ESYNTAX, "t.hbs:2:1: {{else}} outside a block");
    check_error("{{/x}}", RS_ESYNTAX, "t.hbs:1:1: {{/x}} closes a block that was never opened");
    check_error("a {{!-- x", RS_ESYNTAX, "t.hbs:1:3: unclosed comment: expected '}}' after '--'");
    check_error("{{\"abc}}", RS_ESYNTAX, "t.hbs:1:3: unterminated string literal");
    check_error("{{#if}}x{{/if}}", RS_ESYNTAX,
                "t.hbs:1:4: {{#if}} requires exactly one argument, found 0");
    check_error("{{#each}}x{{/each}}", RS_ESYNTAX,
                "t.hbs:1:4: {{#each}} requires an argument to iterate over");
    check_error("{{> p a b}}", RS_ESYNTAX,
                "t.hbs:1:1: a partial takes at most one context argument, found 2");
    check_error("{{#*foo}}x{{/foo}}", RS_EUNSUPPORTED,
                "t.hbs:1:1: decorator 'foo' is not supported (only {{#*inline \"name\"}})");
    check_error(
        "{{#*inline x}}x{{/inline}}", RS_ESYNTAX,
        "t.hbs:1:1: {{#*inline}} takes the partial's name as one string, e.g. {{#*inline \"x\"}}");
    check_error("Hello {{name\nnext line", RS_ESYNTAX, "t.hbs:2:10: unclosed '{{' opened at 1:7");
    check_error("{{lookup 1.2.3 'a'}}", RS_ESYNTAX, "t.hbs:1:10: invalid number literal '1.2.3'");
    check_error("{{a.[b}}", RS_ESYNTAX, "t.hbs:1:5: unclosed '[' in path");
    check_error("{{#> p}}x{{/q}}", RS_ESYNTAX,
                "t.hbs:1:10: {{/q}} does not match {{#> p}} opened at 1:1");
    check_error("{{x #}}", RS_ESYNTAX, "t.hbs:1:5: expected '}}', found '#'");
}

static void error_snippet(void **state)
{
    (void)state;
    rs_hbs_options o = base_options();
    rs_hbs_template *tpl = NULL;
    rs_error err = RS_ERROR_INIT;
    const char *t = "line one\n  {{#each xs}}\n  {{/if}}\n";
    assert_int_equal(rs_hbs_compile(&tpl, t, strlen(t), &o, &err), RS_ESYNTAX);
    assert_null(tpl);
    char buf[1024];
    assert_string_equal(rs_error_format_long(&err, buf, sizeof buf),
                        "t.hbs:3:3: {{/if}} does not match {{#each}} opened at 2:3\n    "
                        "  {{/if}}\n      ^");
}

static void nesting_limits(void **state)
{
    (void)state;
    rs_hbs_options o = base_options();
    o.max_depth = 8;
    rs_str t = RS_STR_INIT;
    for (int i = 0; i < 9; i++)
        rs_str_puts(&t, "{{#if x}}");
    for (int i = 0; i < 9; i++)
        rs_str_puts(&t, "{{/if}}");
    check_error_opts(rs_str_cstr(&t), NULL, RS_ELIMIT,
                     "t.hbs:1:73: blocks nested deeper than 8 levels", &o);
    rs_str_reset(&t);
    for (int i = 0; i < 10; i++)
        rs_str_puts(&t, i ? "(lookup " : "{{lookup ");
    rs_str_puts(&t, "a 'b'");
    for (int i = 0; i < 9; i++)
        rs_str_puts(&t, " 'c')");
    rs_str_puts(&t, "}}");
    check_error_opts(rs_str_cstr(&t), NULL, RS_ELIMIT,
                     "t.hbs:1:74: subexpressions nested deeper than 8 levels", &o);
    rs_str_free(&t);
    /* very deep input never overflows the stack: the default limit stops it */
    rs_str deep = RS_STR_INIT;
    for (int i = 0; i < 100000; i++)
        rs_str_puts(&deep, "{{#a}}");
    rs_hbs_template *tpl = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_int_equal(rs_hbs_compile(&tpl, deep.ptr, deep.len, NULL, &err), RS_ELIMIT);
    rs_str_free(&deep);
}

static void output_limit_restores(void **state)
{
    (void)state;
    rs_hbs_options o = base_options();
    o.max_output = 100;
    rs_hbs_template *tpl = NULL;
    rs_error err = RS_ERROR_INIT;
    const char *t = "{{#each xs}}0123456789{{/each}}";
    assert_rs_ok(rs_hbs_compile(&tpl, t, strlen(t), &o, &err), &err);
    cJSON *ctx = NULL;
    const char *d = "{\"xs\":[1,2,3,4,5,6,7,8,9,10,11]}";
    assert_rs_ok(rs_json_parse(&ctx, d, strlen(d), NULL, &err), &err);
    rs_str out = RS_STR_INIT;
    rs_str_puts(&out, "keep");
    assert_int_equal(rs_hbs_render(&out, tpl, ctx, NULL, &err), RS_ELIMIT);
    assert_string_equal(err.message, "the rendered output exceeds the limit of 100 bytes");
    assert_string_equal(rs_str_cstr(&out), "keep");
    assert_int_equal(rs_str_error(&out), 0);
    /* the buffer is usable afterwards and the limit was per render */
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(ctx, "xs"), 0);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(ctx, "xs"), 0);
    assert_rs_ok(rs_hbs_render(&out, tpl, ctx, NULL, &err), &err);
    assert_int_equal(out.len, 4 + 90);
    rs_str_free(&out);
    cJSON_Delete(ctx);
    rs_hbs_free(tpl);
}

/* ---- helpers API ---- */

static int shout(rs_str *out, const rs_hbs_call *call, void *userdata, rs_error *err)
{
    (void)err;
    rs_str_puts(out, (const char *)userdata);
    for (size_t i = 0; i < rs_hbs_call_argc(call); i++) {
        rs_str_putc(out, ' ');
        rs_hbs_append_value(out, rs_hbs_call_arg(call, i));
    }
    const cJSON *sep = rs_hbs_call_hash(call, "end");
    if (sep)
        rs_hbs_append_value(out, sep);
    const cJSON *who = rs_hbs_call_data(call, "who");
    if (who)
        rs_hbs_append_value(out, who);
    return rs_str_error(out);
}

/* {{#twice x}}..{{else}}..{{/twice}}: fn twice with x as this, else inverse with this. */
static int twice(rs_str *out, const rs_hbs_call *call, void *userdata, rs_error *err)
{
    (void)userdata;
    if (!rs_hbs_call_is_block(call))
        return rs_error_set(err, RS_ERENDER, "%s must be used as a block", rs_hbs_call_name(call));
    const cJSON *x = rs_hbs_call_arg(call, 0);
    if (!rs_hbs_truthy(x))
        return rs_hbs_call_inverse(out, call, rs_hbs_call_context(call), err);
    for (int i = 0; i < 2; i++) {
        int rc = rs_hbs_call_fn(out, call, x, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int failing(rs_str *out, const rs_hbs_call *call, void *userdata, rs_error *err)
{
    (void)out;
    (void)call;
    (void)userdata;
    return rs_error_set(err, RS_ERENDER, "failing helper says no");
}

static void registered_helpers(void **state)
{
    (void)state;
    rs_hbs_helper helpers[] = {
        {"shout", shout, "HEY"}, {"twice", twice, NULL}, {"failing", failing, NULL}};
    rs_hbs_options o = base_options();
    o.helpers = helpers;
    o.nhelpers = 3;
    check_render_opts("{{shout}}|{{shout a 1 end='!'}}|{{#if (shout)}}t{{/if}}", "{\"a\":\"x\"}",
                      "HEY|HEY x 1!|t", &o);
    check_render_opts(
        "{{#twice o}}<{{v}}>{{else}}no {{n}}{{/twice}}|{{#twice z}}y{{else}}no {{n}}{{/twice}}",
        "{\"o\":{\"v\":1},\"z\":0,\"n\":\"N\"}", "<1><1>|no N", &o);
    /* helper output in an expression is a string value */
    check_render_opts("{{lookup (shout) 'length'}}", NULL, "3", &o);
    check_error_opts("a\n {{failing}}", NULL, RS_ERENDER, "t.hbs:2:4: failing helper says no", &o);
    check_error_opts("{{twice 1}}", NULL, RS_ERENDER, "t.hbs:1:3: twice must be used as a block",
                     &o);
    /* a registered helper shadows a built-in */
    rs_hbs_helper over[] = {{"if", shout, "IF"}};
    o.helpers = over;
    o.nhelpers = 1;
    check_render_opts("{{if 1}}", NULL, "IF 1", &o);
}

static void helper_data_variables(void **state)
{
    (void)state;
    rs_hbs_helper helpers[] = {{"shout", shout, ""}};
    rs_hbs_options o = base_options();
    o.helpers = helpers;
    o.nhelpers = 1;
    rs_hbs_template *tpl = NULL;
    rs_error err = RS_ERROR_INIT;
    const char *t = "{{shout}}";
    assert_rs_ok(rs_hbs_compile(&tpl, t, strlen(t), &o, &err), &err);
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "who", "me");
    rs_str out = RS_STR_INIT;
    assert_rs_ok(rs_hbs_render(&out, tpl, NULL, data, &err), &err);
    assert_string_equal(rs_str_cstr(&out), "me");
    rs_str_free(&out);
    cJSON_Delete(data);
    rs_hbs_free(tpl);
}

/* ---- robustness ---- */

static void allocation_failures(void **state)
{
    (void)state;
    rs_hbs_helper helpers[] = {{"shout", shout, "H"}};
    rs_hbs_options o = base_options();
    o.helpers = helpers;
    o.nhelpers = 1;
    const char *t = "{{#each o}}{{@key}}{{> nested}}{{lookup ../s 'length'}}{{/each}}"
                    "{{> ctx c a=1}}{{shout (shout 1)}}{{xs}}";
    const char *d = "{\"o\":{\"b\":1,\"2\":2},\"s\":\"abc\",\"c\":{\"b\":2},\"xs\":[1,2],\"a\":0}";
    rs_error err = RS_ERROR_INIT;
    char *expected = try_render(t, d, &o, &err);
    assert_non_null(expected);
    cJSON *ctx = NULL;
    assert_rs_ok(rs_json_parse(&ctx, d, strlen(d), NULL, &err), &err);
    int succeeded = 0;
    for (long n = 0; n < 400 && !succeeded; n++) {
        rs_hbs_template *tpl = NULL;
        rs_str out = RS_STR_INIT;
        rs_alloc_fail_after(n);
        int rc = rs_hbs_compile(&tpl, t, strlen(t), &o, &err);
        if (!rc)
            rc = rs_hbs_render(&out, tpl, ctx, NULL, &err);
        rs_alloc_fail_after(-1);
        if (rc) {
            assert_int_equal(rc, RS_ENOMEM);
            assert_true(out.len == 0);
        } else {
            assert_string_equal(rs_str_cstr(&out), expected);
            succeeded = 1;
        }
        rs_str_free(&out);
        rs_hbs_free(tpl);
    }
    assert_true(succeeded);
    cJSON_Delete(ctx);
    rs_free(expected);
}

typedef struct thread_job {
    const rs_hbs_template *tpl;
    const cJSON *ctx;
    int ok;
} thread_job;

static void *render_many(void *arg)
{
    thread_job *job = arg;
    rs_error err = RS_ERROR_INIT;
    job->ok = 1;
    for (int i = 0; i < 200; i++) {
        rs_str out = RS_STR_INIT;
        if (rs_hbs_render(&out, job->tpl, job->ctx, NULL, &err) ||
            strcmp(rs_str_cstr(&out), "0:a;1:b;|3") != 0)
            job->ok = 0;
        rs_str_free(&out);
    }
    return NULL;
}

static void concurrent_renders(void **state)
{
    (void)state;
    rs_hbs_options o = base_options();
    rs_hbs_template *tpl = NULL;
    rs_error err = RS_ERROR_INIT;
    const char *t = "{{#each xs}}{{> iter}}{{/each}}|{{s.length}}";
    assert_rs_ok(rs_hbs_compile(&tpl, t, strlen(t), &o, &err), &err);
    cJSON *ctx = NULL;
    const char *d = "{\"xs\":[\"a\",\"b\"],\"s\":\"abc\"}";
    assert_rs_ok(rs_json_parse(&ctx, d, strlen(d), NULL, &err), &err);
    pthread_t th[4];
    thread_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].tpl = tpl;
        jobs[i].ctx = ctx;
        assert_int_equal(pthread_create(&th[i], NULL, render_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(jobs[i].ok);
    }
    cJSON_Delete(ctx);
    rs_hbs_free(tpl);
}

static void odd_inputs_do_not_crash(void **state)
{
    (void)state;
    static const char *inputs[] = {"{{",
                                   "}}",
                                   "{{{",
                                   "{{#",
                                   "{{/",
                                   "{{>",
                                   "{{^",
                                   "{{!",
                                   "{{!--",
                                   "{{else",
                                   "{{#if}}{{else}}",
                                   "{{[",
                                   "{{a.[b",
                                   "{{@",
                                   "{{..",
                                   "{{(",
                                   "{{a (",
                                   "{{a (b",
                                   "{{a k=(",
                                   "\\{{",
                                   "\\\\{{x",
                                   "{{{{raw}}}}",
                                   "{{#x as |a",
                                   "{{~",
                                   "{{&",
                                   "{{x}}}",
                                   "{{#if a}}{{else if}}{{/if}}",
                                   "{{\xff\xfe}}",
                                   "{{a\0"
                                   "b}}"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        rs_error err = RS_ERROR_INIT;
        rs_hbs_template *tpl = NULL;
        size_t len = strlen(inputs[i]);
        if (i == sizeof inputs / sizeof inputs[0] - 1)
            len = 7; /* with the NUL byte */
        int rc = rs_hbs_compile(&tpl, inputs[i], len, NULL, &err);
        if (rc == 0) {
            rs_str out = RS_STR_INIT;
            rs_hbs_render(&out, tpl, NULL, NULL, &err);
            rs_str_free(&out);
        } else {
            assert_true(err.message[0] != '\0');
        }
        rs_hbs_free(tpl);
    }
}

/* The engine prints integers and short decimals itself (fast paths); every number must still
 * print exactly as rs_jsnum_format (JavaScript's Number#toString) does. */
static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void number_printing_matches_js(void **state)
{
    (void)state;
    uint64_t seed = 88172645463325252ULL;
    static const double pow10[] = {1,    1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21};
    static const double fixed[] = {0.1,
                                   0.2,
                                   0.3,
                                   129.9,
                                   49.5,
                                   -0.5,
                                   1e-6,
                                   1e-7,
                                   123456789012345.6,
                                   999999999999999.9,
                                   1e15,
                                   1e21,
                                   1e21 - 65536,
                                   5e-324,
                                   0.000001234};
    rs_str out = RS_STR_INIT;
    for (long i = 0; i < 400000; i++) {
        double v;
        uint64_t r = xorshift(&seed);
        switch (i % 4) {
        case 0:
            memcpy(&v, &r, sizeof v);
            if (v != v || v - v != 0)
                continue; /* NaN, infinities */
            break;
        case 1:
            v = (double)(r % 100000000) / pow10[xorshift(&seed) % 12];
            break;
        case 2:
            v = -(double)(r % 1000000000000000ULL) / pow10[xorshift(&seed) % 22];
            break;
        default:
            v = i < (long)(sizeof fixed / sizeof fixed[0]) * 4 ? fixed[i / 4]
                                                               : (double)(r >> 11) / 4096.0;
            break;
        }
        char want[RS_JSNUM_MAX];
        rs_jsnum_format(v, want);
        cJSON node;
        memset(&node, 0, sizeof node);
        node.type = cJSON_Number;
        node.valuedouble = v;
        rs_str_reset(&out);
        assert_int_equal(rs_hbs_append_value(&out, &node), 0);
        if (strcmp(want, rs_str_cstr(&out)) != 0)
            print_error("%.17g: want %s, got %s\n", v, want, rs_str_cstr(&out));
        assert_string_equal(rs_str_cstr(&out), want);
    }
    rs_str_free(&out);
}

/* ---- sha256 ---- */

static void sha256_vectors(void **state)
{
    (void)state;
    char hex[RS_SHA256_HEX_SIZE];
    rs_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    rs_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    rs_sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* a million 'a', fed in uneven pieces */
    rs_sha256 s;
    rs_sha256_init(&s);
    char chunk[997];
    memset(chunk, 'a', sizeof chunk);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        rs_sha256_update(&s, chunk, n);
        left -= n;
    }
    rs_sha256_final_hex(&s, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths),
        cmocka_unit_test(literals_as_names),
        cmocka_unit_test(js_values),
        cmocka_unit_test(adjacent_values_add),
        cmocka_unit_test(html_escaping),
        cmocka_unit_test(escaped_mustaches),
        cmocka_unit_test(data_variables),
        cmocka_unit_test(tilde_control),
        cmocka_unit_test(standalone_lines),
        cmocka_unit_test(partial_indentation),
        cmocka_unit_test(each_arrays_and_objects),
        cmocka_unit_test(conditionals),
        cmocka_unit_test(with_and_lookup),
        cmocka_unit_test(sections),
        cmocka_unit_test(partials),
        cmocka_unit_test(inline_partials_and_partial_blocks),
        cmocka_unit_test(partial_recursion_is_bounded),
        cmocka_unit_test(partial_names_and_hash),
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(error_snippet),
        cmocka_unit_test(nesting_limits),
        cmocka_unit_test(output_limit_restores),
        cmocka_unit_test(registered_helpers),
        cmocka_unit_test(helper_data_variables),
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test(concurrent_renders),
        cmocka_unit_test(odd_inputs_do_not_crash),
        cmocka_unit_test(number_printing_matches_js),
        cmocka_unit_test(sha256_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
