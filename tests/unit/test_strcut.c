/* Unit tests for util/strcut.h: fixed-buffer copies cut visibly and on character boundaries. */
#include "test_helpers.h"

#include "util/strcut.h"

static void fits_is_copied_whole(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(rs_copy_cut(buf, sizeof buf, "1234567"), 0); /* 7 + NUL: exactly fits */
    assert_string_equal(buf, "1234567");
    assert_int_equal(rs_copy_cut(buf, sizeof buf, NULL), 0);
    assert_string_equal(buf, "");
    assert_int_equal(rs_copy_cut(buf, sizeof buf, ""), 0);
    assert_string_equal(buf, "");
}

static void too_long_ends_with_dots(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(rs_copy_cut(buf, sizeof buf, "12345678"), 1); /* one byte too many */
    assert_string_equal(buf, "1234...");
    char big[1024], dst[600];
    memset(big, 'e', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(rs_copy_cut(dst, sizeof dst, big), 1);
    assert_int_equal(strlen(dst), sizeof dst - 1);
    assert_string_equal(dst + sizeof dst - 4, "...");
}

static void never_cuts_inside_a_character(void **state)
{
    (void)state;
    char buf[8];
    /* "ab" then U+20AC (3 bytes) then more: 4 bytes of text fit, the euro sign would straddle */
    assert_int_equal(rs_copy_cut(buf, sizeof buf, "ab\xE2\x82\xAC" "cdef"), 1);
    assert_string_equal(buf, "ab...");
    /* a 4-byte character that ends exactly at the cut is kept */
    assert_int_equal(rs_copy_cut(buf, sizeof buf, "\xF0\x9F\x98\x80" "xyzw"), 1);
    assert_string_equal(buf, "\xF0\x9F\x98\x80...");
    /* only continuation bytes before the cut (ill-formed text): nothing kept but the mark */
    assert_int_equal(rs_copy_cut(buf, sizeof buf, "\x80\x80\x80\x80\x80\x80\x80\x80"), 1);
    assert_string_equal(buf, "...");
}

static void tiny_buffers(void **state)
{
    (void)state;
    char buf[4] = "zzz";
    assert_int_equal(rs_copy_cut(buf, 0, "abc"), 1);
    assert_string_equal(buf, "zzz"); /* size 0: nothing written */
    assert_int_equal(rs_copy_cut(buf, 3, "abcdef"), 1);
    assert_string_equal(buf, ""); /* no room for the mark: empty, never a silent prefix */
    assert_int_equal(rs_copy_cut(buf, 4, "abcd"), 1);
    assert_string_equal(buf, "...");
    assert_int_equal(rs_copy_cut(buf, 4, "abc"), 0);
    assert_string_equal(buf, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fits_is_copied_whole),
        cmocka_unit_test(too_long_ends_with_dots),
        cmocka_unit_test(never_cuts_inside_a_character),
        cmocka_unit_test(tiny_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
