/* Unit tests for util/: errors, string builder, vector, arena, JSON helpers, JS numbers. */
#include "test_helpers.h"

#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/json.h"
#include "util/jsnum.h"
#include "util/regex_guard.h"
#include "util/sha1.h"
#include "util/str.h"
#include "util/vec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void error_format_with_location(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    const char *src = "line one\n  {{#each x}}\n";
    int rc = rs_error_set_at(&err, RS_ESYNTAX, "p.prompt", 2, 3, "unclosed {{#each}}");
    assert_int_equal(rc, RS_ESYNTAX);
    rs_error_set_snippet(&err, src, strlen(src), 2);
    char buf[512];
    assert_string_equal(rs_error_format(&err, buf, sizeof buf), "p.prompt:2:3: unclosed {{#each}}");
    assert_string_equal(rs_error_format_long(&err, buf, sizeof buf),
                        "p.prompt:2:3: unclosed {{#each}}\n      {{#each x}}\n      ^");
    assert_string_equal(rs_error_name(RS_ESYNTAX), "RS_ESYNTAX");
    assert_string_equal(rs_error_describe(RS_ENOTFOUND), "not found");
    assert_string_equal(rs_error_name(12345), "RS_EUNKNOWN");
}

static void error_truncation_is_visible(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rs_error_set(&err, RS_EINVAL, "%s", big);
    size_t n = strlen(err.message);
    assert_int_equal(n, RS_ERROR_MESSAGE_MAX - 1);
    assert_string_equal(err.message + n - 3, "...");
    char small[16];
    rs_error_format(&err, small, sizeof small);
    assert_string_equal(small + strlen(small) - 3, "...");
}

static void location_of_offsets(void **state)
{
    (void)state;
    const char *s = "ab\ncd\n\nef";
    int l, c;
    rs_location_of(s, strlen(s), 0, &l, &c);
    assert_int_equal(l, 1);
    assert_int_equal(c, 1);
    rs_location_of(s, strlen(s), 4, &l, &c);
    assert_int_equal(l, 2);
    assert_int_equal(c, 2);
    rs_location_of(s, strlen(s), 7, &l, &c);
    assert_int_equal(l, 4);
    assert_int_equal(c, 1);
}

static void str_appends_and_limits(void **state)
{
    (void)state;
    rs_str s;
    rs_str_init(&s, 10);
    assert_string_equal(rs_str_cstr(&s), "");
    assert_int_equal(rs_str_puts(&s, "hello"), 0);
    assert_int_equal(rs_str_appendf(&s, "%d", 42), 0);
    assert_string_equal(rs_str_cstr(&s), "hello42");
    assert_int_equal(rs_str_puts(&s, "toolong"), RS_ELIMIT);
    /* sticky: a small append after the failure is refused too */
    assert_int_equal(rs_str_putc(&s, 'x'), RS_ELIMIT);
    assert_string_equal(rs_str_cstr(&s), "hello42");
    rs_error err = RS_ERROR_INIT;
    assert_int_equal(rs_str_report(&s, &err, "the output"), RS_ELIMIT);
    assert_non_null(strstr(err.message, "limit of 10 bytes"));
    assert_null(rs_str_detach(&s, NULL));
    rs_str_reset(&s);
    assert_int_equal(rs_str_puts(&s, "0123456789"), 0);
    size_t len;
    char *p = rs_str_detach(&s, &len);
    assert_int_equal(len, 10);
    assert_string_equal(p, "0123456789");
    rs_free(p);
    rs_str_free(&s);
}

static void str_growth_is_large(void **state)
{
    (void)state;
    rs_str s = RS_STR_INIT;
    for (int i = 0; i < 100000; i++)
        assert_int_equal(rs_str_putc(&s, (char)('a' + i % 26)), 0);
    assert_int_equal(s.len, 100000);
    assert_int_equal(s.ptr[25], 'z');
    assert_int_equal(s.ptr[100000], '\0');
    rs_str_free(&s);
}

static void str_survives_allocation_failure(void **state)
{
    (void)state;
    rs_str s = RS_STR_INIT;
    assert_int_equal(rs_str_puts(&s, "abc"), 0);
    rs_alloc_fail_after(0);
    char big[1000];
    memset(big, 'x', sizeof big);
    assert_int_equal(rs_str_append(&s, big, sizeof big), RS_ENOMEM);
    rs_alloc_fail_after(-1);
    assert_string_equal(rs_str_cstr(&s), "abc"); /* content kept */
    assert_int_equal(rs_str_error(&s), RS_ENOMEM);
    rs_str_free(&s);
}

static void vec_push_pop(void **state)
{
    (void)state;
    rs_vec v = RS_VEC_INIT(int);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rs_vec_push(&v, &i), 0);
    assert_int_equal(v.len, 1000);
    assert_int_equal(RS_VEC_AT(&v, int, 999), 999);
    int last = -1;
    assert_int_equal(rs_vec_pop(&v, &last), 0);
    assert_int_equal(last, 999);
    int *z = rs_vec_push_zero(&v);
    assert_non_null(z);
    assert_int_equal(*z, 0);
    rs_alloc_fail_after(0);
    size_t before = v.len;
    int big = 7;
    /* force growth: fill to capacity, then the next push must allocate and fail cleanly */
    while (v.len < v.cap)
        assert_int_equal(rs_vec_push(&v, &big), 0);
    before = v.len;
    assert_int_equal(rs_vec_push(&v, &big), RS_ENOMEM);
    rs_alloc_fail_after(-1);
    assert_int_equal(v.len, before);
    rs_vec_free(&v);
    rs_vec empty = RS_VEC_INIT(int);
    assert_int_equal(rs_vec_pop(&empty, NULL), RS_ENOTFOUND);
}

/* An arena started on a caller's buffer allocates from it (aligned, even from an odd start) without
 * the heap, then goes on in heap blocks; freeing it frees only those (ASan checks). */
static void arena_starts_in_a_buffer(void **state)
{
    (void)state;
    unsigned char buf[256 + 1];
    rs_arena a;
    rs_arena_init_buffer(&a, buf + 1, sizeof(buf) - 1, 64);
    rs_alloc_fail_after(0); /* the buffer needs no heap */
    unsigned char *first = rs_arena_alloc(&a, 10), *zero = rs_arena_alloc(&a, 0);
    rs_alloc_fail_after(-1);
    assert_true(first > buf && first < buf + sizeof(buf));
    assert_true(zero > first && zero < buf + sizeof(buf));
    assert_int_equal((uintptr_t)first % _Alignof(max_align_t), 0);
    long before = rs_alloc_count();
    for (int i = 0; i < 40; i++) {
        unsigned char *p = rs_arena_alloc(&a, 24);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        memset(p, i, 24);
    }
    assert_true(rs_alloc_count() > before); /* past the buffer: heap blocks */
    rs_arena_free(&a);
    rs_arena_init_buffer(&a, NULL, 0, 0); /* no buffer: an ordinary arena */
    assert_non_null(rs_arena_alloc(&a, 8));
    rs_arena_free(&a);
}

static void arena_allocates_aligned_and_large(void **state)
{
    (void)state;
    rs_arena a;
    rs_arena_init(&a, 128);
    for (int i = 0; i < 100; i++) {
        void *p = rs_arena_alloc(&a, (size_t)(i % 13 + 1));
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
    }
    char *big = rs_arena_alloc(&a, 10000);
    assert_non_null(big);
    memset(big, 1, 10000);
    char *s = rs_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    int *zeros = rs_arena_calloc(&a, 10, sizeof(int));
    for (int i = 0; i < 10; i++)
        assert_int_equal(zeros[i], 0);
    rs_arena_reset(&a);
    assert_non_null(rs_arena_alloc(&a, 16));
    rs_arena_free(&a);
    rs_alloc_fail_after(0);
    assert_null(rs_arena_alloc(&a, 16));
    rs_alloc_fail_after(-1);
    rs_arena_free(&a);
}

static void json_parse_reports_location(void **state)
{
    (void)state;
    rs_error err = RS_ERROR_INIT;
    cJSON *v = NULL;
    const char *bad = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    assert_int_equal(rs_json_parse(&v, bad, strlen(bad), "data.json", &err), RS_ESYNTAX);
    assert_null(v);
    assert_string_equal(err.file, "data.json");
    assert_int_equal(err.line, 3);
    struct {
        const char *text;
        int column;
        const char *message;
    } located[] = {
        {"{\"input\": {\"a\": 1,}}", 19, "invalid JSON: expected a string key"},
        {"[1,2,,3]", 6, "invalid JSON: expected a value (object, array, string, number, true, false or null)"},
        {"{\"a\" 1}", 6, "invalid JSON: expected ':' after the key"},
        {"{\"a\":1  \n", 7, "invalid JSON: expected ',' or '}'"},
        {"\"abc", 5, "invalid JSON: unterminated string"},
        {"{\"a\":\"x\\q\"}", 9, "invalid JSON: invalid escape in a string"},
        {"nul", 4, "invalid JSON: expected a value (object, array, string, number, true, false or null)"},
    };
    for (size_t i = 0; i < sizeof located / sizeof located[0]; i++) {
        assert_int_equal(rs_json_parse(&v, located[i].text, strlen(located[i].text), NULL, &err),
                         RS_ESYNTAX);
        assert_int_equal(err.line, 1);
        assert_int_equal(err.column, located[i].column);
        assert_string_equal(err.message, located[i].message);
    }
    const char *trailing = "{} x";
    assert_int_equal(rs_json_parse(&v, trailing, strlen(trailing), NULL, &err), RS_ESYNTAX);
    assert_int_equal(err.column, 4);
    const char *good = "{\"b\":[1,2],\"a\":\"x\"}";
    assert_rs_ok(rs_json_parse(&v, good, strlen(good), NULL, &err), &err);
    assert_string_equal(rs_json_string(v, "a"), "x");
    assert_null(rs_json_string(v, "b"));
    cJSON *w = NULL;
    const char *reordered = "{\"a\":\"x\",\"b\":[1,2]}";
    assert_rs_ok(rs_json_parse(&w, reordered, strlen(reordered), NULL, &err), &err);
    assert_true(rs_json_equal(v, w));
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(w, "b"), 1, cJSON_CreateNumber(3));
    assert_false(rs_json_equal(v, w));
    cJSON_Delete(v);
    cJSON_Delete(w);
}

static void json_string_escaping(void **state)
{
    (void)state;
    rs_str s = RS_STR_INIT;
    rs_json_append_string(&s, "a\"b\\c\n\x01\xc3\xa9", 9);
    assert_string_equal(rs_str_cstr(&s), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
    rs_str_free(&s);
}

static void jsnum_matches_javascript(void **state)
{
    (void)state;
    struct {
        double v;
        const char *js;
    } cases[] = {
        {0, "0"},          {-0.0, "0"},         {1, "1"},
        {-1.5, "-1.5"},    {0.1, "0.1"},        {0.1 + 0.2, "0.30000000000000004"},
        {1e21, "1e+21"},   {1e20, "100000000000000000000"},
        {123456789012345680000.0, "123456789012345680000"},
        {1e-6, "0.000001"}, {1e-7, "1e-7"},     {1.5e-7, "1.5e-7"},
        {2.5e25, "2.5e+25"}, {42, "42"},        {3.14159, "3.14159"},
        {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
        {9007199254740991.0, "9007199254740991"}, {-9007199254740992.0, "-9007199254740992"},
        {1.0 / 3, "0.3333333333333333"}, {123.456, "123.456"}, {-42, "-42"},
        {100, "100"}, {0.000001234, "0.000001234"}, {1e100, "1e+100"}, {2.0 / 3, "0.6666666666666666"},
        {4.35, "4.35"}, {0.1 * 3, "0.30000000000000004"}, {1.1e-7, "1.1e-7"},
    };
    char buf[RS_JSNUM_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rs_jsnum_format(cases[i].v, buf);
        assert_string_equal(buf, cases[i].js);
    }
}

/* The printf-free short decimals against their oracle, C's "%.15g" when it round-trips: short
 * decimals of every length and scale, their neighbours one ulp away (which need 16-17 digits),
 * and random bit patterns. */
static void jsnum_short_decimal_agrees_with_printf(void **state)
{
    (void)state;
    unsigned long long x = 0x9e3779b97f4a7c15ULL;
    char got[RS_JSNUM_MAX], want[40];
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        if (i % 3 == 2) {
            memcpy(&v, &x, sizeof v);
        } else {
            unsigned long long m = x % 1000000000000000ULL >> (x % 50);
            v = (double)m / pow(10, (double)((x >> 58) % 20));
            if (i % 3 == 1)
                v = nextafter(v, 1e300);
            if (x & (1ULL << 40))
                v = -v;
        }
        double a = fabs(v);
        int fits = a >= 1e-4 && a < 1e15 && a != floor(a);
        snprintf(want, sizeof want, "%.15g", v);
        fits = fits && strtod(want, NULL) == v;
        size_t n = rs_jsnum_short_decimal(v, got);
        if (!fits) {
            assert_int_equal(n, 0);
            continue;
        }
        assert_int_equal(n, strlen(want));
        assert_string_equal(got, want);
    }
}

static void regex_guard_refuses_blowups(void **state)
{
    (void)state;
    const char *why = NULL;
    const char *fine[] = {"^[A-Z]+(-[0-9]+)?$", "refund|billing", "a{1,3}b*c?", "[]a+]+x",
                          "[[:alpha:]]+", "\\++", "(ab){10}", "x{255}"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
        assert_int_equal(rs_regex_check(fine[i], &why), 0);
    assert_int_equal(rs_regex_check("^[A-Z]+++++++++++++++++", &why), -1);
    assert_string_equal(why, "a quantifier follows another quantifier");
    assert_int_equal(rs_regex_check("((a{100}){100}){100}", &why), -1);
    assert_string_equal(why, "the pattern expands to too many states (nested or large repetitions)");
    assert_int_equal(rs_regex_check("(((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+", &why), -1);
    char longp[2100];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(rs_regex_check(longp, &why), -1);
}

/* SHA-1: the FIPS 180 example vectors, and any split of the input into updates gives the same
   digest as one update (blocks straddling calls, the padding at 55/56/64 bytes). */
static void sha1_hex(char out[41], const void *data, size_t len, size_t step)
{
    rs_sha1 s;
    unsigned char d[RS_SHA1_SIZE];
    rs_sha1_init(&s);
    const unsigned char *p = data;
    for (size_t at = 0; at < len; at += step)
        rs_sha1_update(&s, p + at, len - at < step ? len - at : step);
    rs_sha1_final(&s, d);
    for (int i = 0; i < RS_SHA1_SIZE; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void sha1_vectors(void **state)
{
    (void)state;
    char hex[41], again[41];
    sha1_hex(hex, "", 0, 1);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_hex(hex, "abc", 3, 3);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1_hex(hex, m, strlen(m), 7);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    char *million = rs_malloc(1000000);
    assert_non_null(million);
    memset(million, 'a', 1000000);
    sha1_hex(hex, million, 1000000, 1000000);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    for (size_t len = 0; len < 200; len++)
        for (size_t step = 1; step <= 70; step += 23) {
            sha1_hex(hex, million, len, len ? len : 1);
            sha1_hex(again, million, len, step);
            assert_string_equal(hex, again);
        }
    rs_free(million);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_format_with_location),
        cmocka_unit_test(error_truncation_is_visible),
        cmocka_unit_test(location_of_offsets),
        cmocka_unit_test(str_appends_and_limits),
        cmocka_unit_test(str_growth_is_large),
        cmocka_unit_test(str_survives_allocation_failure),
        cmocka_unit_test(vec_push_pop),
        cmocka_unit_test(arena_allocates_aligned_and_large),
        cmocka_unit_test(arena_starts_in_a_buffer),
        cmocka_unit_test(json_parse_reports_location),
        cmocka_unit_test(json_string_escaping),
        cmocka_unit_test(jsnum_matches_javascript),
        cmocka_unit_test(jsnum_short_decimal_agrees_with_printf),
        cmocka_unit_test(regex_guard_refuses_blowups),
        cmocka_unit_test(sha1_vectors),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
