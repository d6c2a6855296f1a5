/* Unit tests for runner/dataset: JSONL cases, all-or-nothing loading with located errors. */
#include "test_helpers.h"

#include "runner/dataset.h"
#include "util/alloc.h"

#include <sys/stat.h>
#include <unistd.h>

static void parses_cases(void **state)
{
    (void)state;
    const char *t = "\xEF\xBB\xBF{\"id\":\"a\",\"vars\":{\"x\":1},\"expected\":\"yes\"}\r\n"
                    "\n"
                    "  \n"
                    "{\"vars\":{\"x\":2}}\n"
                    "{\"id\":7,\"expected\":{\"k\":[1,2]},\"metadata\":{\"src\":\"t\"}}\n\n\n";
    rs_error err = RS_ERROR_INIT;
    rs_dataset *ds = NULL;
    assert_rs_ok(rs_dataset_parse(&ds, t, strlen(t), "d.jsonl", &err), &err);
    assert_int_equal(ds->n, 3);
    assert_string_equal(ds->cases[0].id, "a");
    assert_int_equal(ds->cases[0].line, 1);
    assert_string_equal(ds->cases[0].expected->valuestring, "yes");
    assert_int_equal(cJSON_GetObjectItem(ds->cases[0].vars, "x")->valueint, 1);
    assert_string_equal(ds->cases[1].id, "2"); /* positional id */
    assert_int_equal(ds->cases[1].line, 4);
    assert_null(ds->cases[1].expected);
    assert_string_equal(ds->cases[2].id, "7");
    assert_true(cJSON_IsObject(ds->cases[2].vars));
    assert_non_null(ds->cases[2].metadata);
    assert_ptr_equal(rs_dataset_find(ds, "7"), &ds->cases[2]);
    assert_null(rs_dataset_find(ds, "nope"));
    uint64_t h = ds->hash;
    rs_dataset_free(ds);
    /* the hash follows the bytes */
    assert_rs_ok(rs_dataset_parse(&ds, t, strlen(t) - 3, "d.jsonl", &err), &err);
    assert_true(ds->hash != h);
    rs_dataset_free(ds);
}

static void bad_lines_are_all_reported(void **state)
{
    (void)state;
    const char *t = "{\"id\":\"a\"}\n"
                    "{\"id\":\"b\",\"vars\":[1]}\n" /* 2: vars not an object */
                    "{\"id\":\"c\"\n"               /* 3: invalid JSON */
                    "{\"id\":\"d\",\"var\":{}}\n"   /* 4: typo */
                    "{\"id\":\"a\"}\n"              /* 5: duplicate */
                    "[1]\n"                         /* 6: not an object */
                    "{\"id\":1.5}\n";               /* 7: bad id */
    rs_error err = RS_ERROR_INIT;
    rs_dataset *ds = (rs_dataset *)1;
    int rc = rs_dataset_parse(&ds, t, strlen(t), "d.jsonl", &err);
    assert_int_equal(rc, RS_ESYNTAX);
    assert_null(ds);
    assert_string_equal(err.file, "d.jsonl");
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "\"vars\" must be an object"));
    assert_non_null(strstr(err.message, "5 more bad lines: 3, 4, 5, 6, 7"));
    assert_string_equal(err.snippet, "{\"id\":\"b\",\"vars\":[1]}");

    rs_error e2 = RS_ERROR_INIT;
    const char *t2 = "{\"id\":\"a\"}\n{\"id\":\"a\"}\n";
    assert_int_equal(rs_dataset_parse(&ds, t2, strlen(t2), "x.jsonl", &e2), RS_ESYNTAX);
    assert_int_equal(e2.line, 2);
    assert_non_null(strstr(e2.message, "duplicate id \"a\" (first on line 1)"));

    rs_error e3 = RS_ERROR_INIT;
    const char *t3 = "{\"id\":\"a\"}\n{\"id\": \"b\", oops}\n";
    assert_int_equal(rs_dataset_parse(&ds, t3, strlen(t3), "y.jsonl", &e3), RS_ESYNTAX);
    assert_int_equal(e3.line, 2);
    assert_true(e3.column > 10);
    assert_non_null(strstr(e3.message, "invalid JSON"));

    /* an integer id beyond long long (fuzz_dataset: the conversion was undefined) */
    rs_error e5 = RS_ERROR_INIT;
    const char *t5 = "{\"id\":7.7e32}\n";
    assert_int_equal(rs_dataset_parse(&ds, t5, strlen(t5), "w.jsonl", &e5), RS_ESYNTAX);
    assert_non_null(strstr(e5.message, "\"id\" must be a string or an integer"));

    rs_error e4 = RS_ERROR_INIT;
    assert_int_equal(rs_dataset_parse(&ds, "\n \n", 3, "z.jsonl", &e4), RS_EINVAL);
    assert_non_null(strstr(e4.message, "no cases"));
}

static void open_file_or_registry_name(void **state)
{
    (void)state;
    char dir[] = "/tmp/rs-ds-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[600], file[700];
    snprintf(sub, sizeof sub, "%s/datasets", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof sub, "%s/datasets/support", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(file, sizeof file, "%s/datasets/support/tickets.jsonl", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("{\"id\":\"t1\",\"vars\":{\"ticket\":\"refund\"},\"expected\":\"billing\"}\n", f);
    fclose(f);
    rs_error err = RS_ERROR_INIT;
    rs_dataset *ds = NULL;
    assert_rs_ok(rs_dataset_open(&ds, dir, "support/tickets", &err), &err);
    assert_string_equal(ds->name, "support/tickets");
    assert_string_equal(ds->path, file);
    rs_dataset_free(ds);
    assert_rs_ok(rs_dataset_open(&ds, NULL, file, &err), &err);
    assert_int_equal(ds->n, 1);
    rs_dataset_free(ds);
    assert_int_equal(rs_dataset_open(&ds, dir, "support/none", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "datasets/support/none.jsonl"));
    assert_int_equal(rs_dataset_open(&ds, dir, "../etc/passwd", &err), RS_EINVAL);
    remove(file);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/datasets", dir);
    rmdir(sub);
    rmdir(dir);
}

static void allocation_failures_leak_nothing(void **state)
{
    (void)state;
    const char *t = "{\"id\":\"a\",\"vars\":{\"x\":1}}\n{\"id\":\"b\",\"expected\":[1,2,3]}\n"
                    "{\"id\":\"c\",\"vars\":[]}\n";
    for (long n = 0; n < 200; n++) {
        rs_error err = RS_ERROR_INIT;
        rs_dataset *ds = NULL;
        rs_alloc_fail_after(n);
        int rc = rs_dataset_parse(&ds, t, strlen(t), "f.jsonl", &err);
        rs_alloc_fail_after(-1);
        assert_true(rc == RS_ENOMEM || rc == RS_ESYNTAX);
        assert_null(ds);
        if (rc == RS_ESYNTAX) {
            assert_int_equal(err.line, 3);
            break;
        }
    }
}

int main(void)
{
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_cases),
        cmocka_unit_test(bad_lines_are_all_reported),
        cmocka_unit_test(open_file_or_registry_name),
        cmocka_unit_test(allocation_failures_leak_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
