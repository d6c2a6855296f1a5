/*
 * Unit tests for registry/ and render/variant.c on real git repositories in temporary
 * directories, cross-checked with the `git` command (log, show, rev-list, fsck).
 */
#include "test_helpers.h"
#include "test_shell.h"

#include "registry/internal.h"
#include "registry/reg_yaml.h"
#include "render/variant.h"
#include "rosetta/registry.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---- */

static void write_file(const char *dir, const char *rel, const char *content)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    char *mk = rs_test_sh(NULL, "mkdir -p '%s'", path);
    rs_free(mk);
    *slash = '/';
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_file_write_atomic(path, content, strlen(content), &err), &err);
}

struct fx {
    char dir[256];
    rs_registry *reg;
};

static int fx_setup(void **state)
{
    struct fx *f = rs_calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rs_regtest_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    rs_error err = RS_ERROR_INIT;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/reg", f->dir);
    assert_rs_ok(rs_registry_init(&f->reg, sub, NULL, &err), &err);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    rs_registry_free(f->reg);
    char *o = rs_test_sh(NULL, "rm -rf '%s'", f->dir);
    rs_free(o);
    rs_free(f);
    return 0;
}

static const char *root(struct fx *f)
{
    return rs_registry_root(f->reg);
}

/* Save and return the JSON result parsed. */
static cJSON *save(struct fx *f, const char *msg)
{
    char *out = NULL;
    cJSON *j = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_registry_save(&out, f->reg, NULL, 0, msg, &err), &err);
    assert_rs_ok(rs_json_parse(&j, out, strlen(out), NULL, &err), &err);
    rs_free(out);
    return j;
}

static int saved_version(cJSON *j, const char *name)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(j, "prompts"))
    {
        if (strcmp(rs_json_string(p, "name"), name) == 0)
            return cJSON_GetObjectItemCaseSensitive(p, "version")->valueint;
    }
    return -1;
}

static char *read_ref(struct fx *f, const char *ref, const char *variant)
{
    rs_registry_ref *r = NULL;
    rs_error err = RS_ERROR_INIT;
    char *src = NULL;
    size_t len = 0;
    assert_rs_ok(rs_registry_resolve(&r, f->reg, ref, &err), &err);
    assert_rs_ok(rs_registry_read(&src, &len, f->reg, r, variant, &err), &err);
    rs_registry_ref_free(r);
    return src;
}

static char *git_head(struct fx *f)
{
    return rs_test_sh(NULL, "git -C '%s' rev-parse HEAD", root(f));
}

/* ---- yaml ---- */

static void yaml_typed_and_strings(void **state)
{
    (void)state;
    cJSON *j = NULL;
    rs_error err = RS_ERROR_INIT;
    const char *y = "a: 1\nb: true\nc: ~\nd: \"2\"\ne: [x, 1.5]\nf: &A {k: v}\ng: *A\n";
    assert_rs_ok(reg_yaml_parse(&j, y, strlen(y), "t.yaml", REG_YAML_TYPED, &err), &err);
    char *s = rs_json_print(j, 0);
    assert_string_equal(s, "{\"a\":1,\"b\":true,\"c\":null,\"d\":\"2\",\"e\":[\"x\",1.5],"
                           "\"f\":{\"k\":\"v\"},\"g\":{\"k\":\"v\"}}");
    rs_free(s);
    cJSON_Delete(j);
    assert_rs_ok(reg_yaml_parse(&j, y, strlen(y), "t.yaml", REG_YAML_STRINGS, &err), &err);
    assert_string_equal(rs_json_string(j, "a"), "1");
    cJSON_Delete(j);
    const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
    assert_int_equal(reg_yaml_parse(&j, bad, strlen(bad), "bad.yaml", 0, &err), RS_ESYNTAX);
    assert_null(j);
    assert_string_equal(err.file, "bad.yaml");
    assert_true(err.line >= 2);
    const char *dup = "a: 1\na: 2\n";
    assert_int_equal(reg_yaml_parse(&j, dup, strlen(dup), "d.yaml", 0, &err), RS_ESYNTAX);
    assert_non_null(strstr(err.message, "duplicate key 'a'"));
    assert_int_equal(err.line, 2);
}

/* labels.yaml as rosetta writes it takes a line parser; every other layout goes through YAML;
   both must mean the same. */
static void labels_fast_path_agrees_with_yaml(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "# c\n{}\n",
        "# header\ntriage:\n  production: \"0123456789abcdef0123456789abcdef01234567\"\n"
        "  staging: 89abcdef0123456789abcdef0123456789abcdef\n\"true\":\n  \"x.y\": "
        "\"0000000000000000000000000000000000000000\"\nsupport/t-1:\n  a: "
        "\"1111111111111111111111111111111111111111\"  \n",
        /* not the canonical layout: YAML reads them */
        "triage: {production: \"0123456789abcdef0123456789abcdef01234567\"}\n",
        "triage:\n    production: \"0123456789abcdef0123456789abcdef01234567\" # c\n",
        "a:\n  l: \"0123456789abcdef0123456789abcdef01234567\"\na:\n  m: "
        "\"0123456789abcdef0123456789abcdef01234567\"\n",
        "a:\n  l: \"0123\"\n",
    };
    static const int ok[] = {1, 1, 1, 1, 0, 0};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        cJSON *fast = NULL, *slow = NULL;
        rs_error err = RS_ERROR_INIT;
        int rc = reg_labels_parse(&fast, texts[i], strlen(texts[i]), "labels.yaml", &err);
        assert_int_equal(rc == 0, ok[i]);
        if (!ok[i])
            continue;
        assert_rs_ok(reg_yaml_parse(&slow, texts[i], strlen(texts[i]), "labels.yaml",
                                    REG_YAML_STRINGS, &err),
                     &err);
        if (cJSON_IsNull(slow)) {
            cJSON_Delete(slow);
            slow = cJSON_CreateObject();
        }
        assert_true(rs_json_equal(fast, slow));
        cJSON_Delete(fast);
        cJSON_Delete(slow);
    }
}

/* The one-label scan (NAME@LABEL in a fresh process) answers only for texts the parser
   accepts, and then as the parsed document says: for every label present, and for absent ones. */
static void label_lookup_agrees_with_parse(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "# c\n{}\n",
        "# header\ntriage:\n  production: \"0123456789abcdef0123456789abcdef01234567\"\n"
        "  staging: 89abcdef0123456789abcdef0123456789abcdef\n\"true\":\n  \"x.y\": "
        "\"0000000000000000000000000000000000000000\"\nsupport/t-1:\n  a: "
        "\"1111111111111111111111111111111111111111\"  \n",
        /* names out of order (sorted to find duplicates), a name without labels */
        "zeta:\n  production: \"0123456789abcdef0123456789abcdef01234567\"\nalpha:\nmid:\n  "
        "production: \"89abcdef0123456789abcdef0123456789abcdef\"\n",
        /* not canonical: the parser decides */
        "triage: {production: \"0123456789abcdef0123456789abcdef01234567\"}\n",
        /* refused by the parser: duplicates of a name, of a label, a short id */
        "a:\n  l: \"0123456789abcdef0123456789abcdef01234567\"\nb:\na:\n  m: "
        "\"0123456789abcdef0123456789abcdef01234567\"\n",
        "a:\n  l: \"0123456789abcdef0123456789abcdef01234567\"\n  l: "
        "\"89abcdef0123456789abcdef0123456789abcdef\"\n",
        "a:\n  l: \"0123\"\n",
    };
    static const char *const absent[][2] = {
        {"triage", "canary"}, {"nobody", "production"}, {"alpha", "production"}, {"a", "x"}};
    size_t answered = 0;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t len = strlen(texts[i]);
        cJSON *doc = NULL;
        rs_error err = RS_ERROR_INIT;
        int parsed = reg_labels_parse(&doc, texts[i], len, "labels.yaml", &err) == 0;
        const cJSON *p, *l;
        const char *sha = NULL;
        cJSON_ArrayForEach(p, doc)
        {
            const cJSON *labels_of = cJSON_IsObject(p) ? p : NULL;
            cJSON_ArrayForEach(l, labels_of)
            {
                int rc = reg_labels_lookup_text(&sha, texts[i], len, p->string, l->string);
                assert_int_not_equal(rc, 0);
                if (rc == 1) {
                    assert_memory_equal(sha, l->valuestring, 40);
                    answered++;
                }
            }
        }
        for (size_t k = 0; k < sizeof absent / sizeof absent[0]; k++) {
            int rc = reg_labels_lookup_text(&sha, texts[i], len, absent[k][0], absent[k][1]);
            if (rc >= 0)
                assert_true(parsed);
            if (parsed && rc >= 0) {
                l = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(doc, absent[k][0]), absent[k][1]);
                assert_int_equal(rc, cJSON_IsString(l));
            }
        }
        if (!parsed)
            assert_int_equal(reg_labels_lookup_text(&sha, texts[i], len, "a", "l"), -1);
        cJSON_Delete(doc);
    }
    assert_int_equal(answered, 6); /* the canonical texts were answered by the scan */
}

/* ---- names ---- */

static void names_are_validated(void **state)
{
    (void)state;
    static const char *const good[] = {"triage", "support/triage", "a-b_c9", "x/y/z"};
    static const char *const bad[] = {"",     "../etc/passwd", "a/../b", "/abs",
                                      "a//b", "_partial",      "a/_b",   "a.b",
                                      "a b",  "a\x01",         "-x",     "a/"};
    rs_error err = RS_ERROR_INIT;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_rs_ok(rs_registry_check_name(good[i], &err), &err);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(rs_registry_check_name(bad[i], &err), RS_EINVAL);
        assert_true(strlen(err.message) > 0);
    }
    assert_int_equal(reg_check_label("v12", &err), RS_EINVAL);
    assert_rs_ok(reg_check_label("prod-2.1", &err), &err);
    char name[MAX_NAME + 1], variant[MAX_NAME + 1];
    assert_int_equal(reg_classify("a/b.claude.prompt", name, variant), 1);
    assert_string_equal(name, "a/b");
    assert_string_equal(variant, "claude");
    assert_int_equal(reg_classify("a/_hdr.prompt", name, variant), 2);
    assert_string_equal(name, "a/hdr");
    assert_int_equal(reg_classify("a.b.c.prompt", name, variant), 0);
    assert_int_equal(reg_classify("README.md", name, variant), 0);
    assert_int_equal(reg_edit_distance("triage", "traige"), 2);
    assert_int_equal(reg_edit_distance("", "abc"), 3);
}

/* ---- variant choice ---- */

static void variant_globs_and_specificity(void **state)
{
    (void)state;
    assert_int_equal(rs_variant_glob_match("anthropic/*", "anthropic/claude-3"), 1);
    assert_int_equal(rs_variant_glob_match("openrouter/*", "openrouter/anthropic/claude"), 1);
    assert_int_equal(rs_variant_glob_match("openai/gpt-4?", "openai/gpt-4o"), 1);
    assert_int_equal(rs_variant_glob_match("openai/gpt-[34]*", "openai/gpt-5"), 0);
    assert_int_equal(rs_variant_glob_match("openai/gpt-[!3]*", "openai/gpt-4o"), 1);
    assert_int_equal(rs_variant_glob_match("a*b*c", "axxbyyc"), 1);
    assert_int_equal(rs_variant_glob_match("a*b*c", "axxbyy"), 0);
    assert_int_equal(rs_variant_glob_match("x[a-", "xa"), RS_EINVAL);

    const char *const t_any[] = {"anthropic/*"};
    const char *const t_claude[] = {"anthropic/claude-3-5-*", "openai/none"};
    const char *const t_all[] = {"*"};
    rs_variant_candidate c[] = {
        {NULL, NULL, 0},        {"broad", t_any, 1}, {"claude35", t_claude, 2},
        {"anything", t_all, 1}, {"ollama", NULL, 0},
    };
    size_t n = sizeof c / sizeof c[0], idx = 99;
    char *why = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_variant_choose(&idx, &why, c, n, "anthropic/claude-3-5-haiku", NULL, &err),
                 &err);
    assert_int_equal(idx, 2); /* one wildcard each: the longer literal prefix wins */
    assert_non_null(strstr(why, "anthropic/claude-3-5-*"));
    assert_non_null(strstr(why, "most specific of 3"));
    rs_free(why);
    assert_rs_ok(rs_variant_choose(&idx, &why, c, n, "anthropic/claude-2", NULL, &err), &err);
    assert_int_equal(idx, 1);
    rs_free(why);
    assert_rs_ok(rs_variant_choose(&idx, &why, c, n, "ollama/llama3.2:1b", NULL, &err), &err);
    assert_int_equal(idx, 3); /* a glob match comes before the provider-named variant */
    rs_free(why);
    c[3].ntargets = 0;
    assert_rs_ok(rs_variant_choose(&idx, &why, c, n, "ollama/llama3.2:1b", NULL, &err), &err);
    assert_int_equal(idx, 4);
    assert_non_null(strstr(why, "named after the provider 'ollama'"));
    rs_free(why);
    assert_rs_ok(rs_variant_choose(&idx, &why, c, n, "gemini/gemini-2.0", NULL, &err), &err);
    assert_int_equal(idx, 0);
    assert_non_null(strstr(why, "the base"));
    rs_free(why);
    assert_rs_ok(rs_variant_choose(&idx, &why, c, n, "anthropic/x", "ollama", &err), &err);
    assert_int_equal(idx, 4);
    assert_non_null(strstr(why, "explicitly"));
    rs_free(why);
    assert_int_equal(rs_variant_choose(&idx, &why, c, n, NULL, "nope", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "no variant 'nope'"));
    assert_non_null(strstr(err.message, "'broad'"));
    assert_null(why);
    /* equal specificity: the variant name decides, whatever the order */
    const char *const g1[] = {"openai/*"};
    rs_variant_candidate tie[] = {{"zeta", g1, 1}, {"alpha", g1, 1}};
    assert_rs_ok(rs_variant_choose(&idx, &why, tie, 2, "openai/gpt-4o", NULL, &err), &err);
    assert_int_equal(idx, 1);
    rs_free(why);
}

/* ---- init, save, versions ---- */

static void init_makes_a_clean_registry(void **state)
{
    struct fx *f = *state;
    char *count = rs_test_sh(NULL, "git -C '%s' rev-list --count HEAD", root(f));
    assert_string_equal(count, "1");
    rs_free(count);
    char *st = rs_test_sh(NULL, "git -C '%s' status --porcelain", root(f));
    assert_string_equal(st, "");
    rs_free(st);
    char *ign = rs_test_sh(NULL, "cat '%s/.gitignore'", root(f));
    assert_string_equal(ign, ".rosetta/");
    rs_free(ign);
    rs_error err = RS_ERROR_INIT;
    rs_registry *again = NULL;
    assert_int_equal(rs_registry_init(&again, root(f), NULL, &err), RS_EEXISTS);
    char other[300];
    snprintf(other, sizeof other, "%s/other", f->dir);
    write_file(other, "keep.txt", "mine\n");
    assert_int_equal(rs_registry_init(NULL, other, NULL, &err), RS_ECONFLICT);
    assert_non_null(strstr(err.message, "not empty"));
    rs_registry_init_opts o = RS_REGISTRY_INIT_OPTS_INIT;
    o.force = 1;
    assert_rs_ok(rs_registry_init(NULL, other, &o, &err), &err);
    char *kept =
        rs_test_sh(NULL, "cat '%s/keep.txt' && git -C '%s' status --porcelain", other, other);
    assert_string_equal(kept, "mine\n?? keep.txt");
    rs_free(kept);
    rs_registry *opened = NULL;
    assert_rs_ok(rs_registry_open(&opened, other, &err), &err);
    rs_registry_free(opened);
}

static void save_counts_versions_like_git(void **state)
{
    struct fx *f = *state;
    write_file(root(f), "prompts/greet.prompt",
               "---\nmodel: openai/gpt-4o\n---\nHello {{name}}!\n");
    cJSON *j = save(f, "greet v1");
    assert_int_equal(saved_version(j, "greet"), 1);
    cJSON_Delete(j);
    write_file(root(f), "prompts/greet.prompt", "Hi {{name}}!\n");
    write_file(root(f), "prompts/greet.anthropic.prompt", "Hey {{name}}\n");
    j = save(f, "greet v2");
    assert_int_equal(saved_version(j, "greet"), 2);
    cJSON_Delete(j);
    /* nothing changed: no commit */
    char *before = git_head(f);
    j = save(f, "nothing");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "commit")));
    cJSON_Delete(j);
    char *after = git_head(f);
    assert_string_equal(before, after);
    rs_free(before);
    rs_free(after);
    /* a commit with plain git counts as a version; one touching another file does not */
    write_file(root(f), "prompts/greet.anthropic.prompt", "Hey there {{name}}\n");
    write_file(root(f), "datasets/d.jsonl", "{\"vars\": {}}\n");
    char *o = rs_test_sh(NULL,
                         "cd '%s' && git add -A && git commit -qm 'by git' && git commit -q "
                         "--allow-empty -m empty",
                         root(f));
    rs_free(o);
    rs_registry_ref *r = NULL;
    rs_error err = RS_ERROR_INIT;
    int v = 0;
    assert_rs_ok(rs_registry_resolve(&r, f->reg, "greet", &err), &err);
    assert_rs_ok(rs_registry_ref_version(&v, f->reg, r, &err), &err);
    assert_int_equal(v, 3);
    rs_registry_ref_free(r);
    /* git agrees: the commits touching the prompt's files */
    char *n = rs_test_sh(NULL,
                         "git -C '%s' log --first-parent --format=%%H -- 'prompts/greet.prompt' "
                         "'prompts/greet.*.prompt' | wc -l",
                         root(f));
    assert_string_equal(n, "3");
    rs_free(n);
    /* NAME@v1 reads what git show gives for the oldest of them */
    char *sha1 = rs_test_sh(NULL,
                            "git -C '%s' log --first-parent --reverse --format=%%H -- "
                            "prompts/greet.prompt | head -1",
                            root(f));
    char *shown = rs_test_sh(NULL, "git -C '%s' show %s:prompts/greet.prompt", root(f), sha1);
    char *mine = read_ref(f, "greet@v1", NULL);
    assert_string_equal(shown, "---\nmodel: openai/gpt-4o\n---\nHello {{name}}!");
    assert_string_equal(mine, "---\nmodel: openai/gpt-4o\n---\nHello {{name}}!\n");
    rs_free(mine);
    mine = read_ref(f, "greet@v3", "anthropic");
    assert_string_equal(mine, "Hey there {{name}}\n");
    rs_free(mine);
    /* history JSON: newest first */
    char *hist = NULL;
    assert_rs_ok(rs_registry_history(&hist, f->reg, "greet", &err), &err);
    cJSON *h = NULL;
    assert_rs_ok(rs_json_parse(&h, hist, strlen(hist), NULL, &err), &err);
    assert_int_equal(cJSON_GetArraySize(h), 3);
    assert_int_equal(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(h, 0), "version")->valueint, 3);
    assert_string_equal(rs_json_string(cJSON_GetArrayItem(h, 0), "message"), "by git");
    assert_string_equal(rs_json_string(cJSON_GetArrayItem(h, 2), "commit"), sha1);
    cJSON_Delete(h);
    rs_free(hist);
    rs_free(sha1);
    rs_free(shown);
    /* the versions cache: a fresh handle reads it, a damaged one is rebuilt, both agree */
    char *cache = rs_test_sh(NULL, "head -c 19 '%s/.git/rosetta-versions'", root(f));
    assert_string_equal(cache, "rosetta-versions 1 ");
    rs_free(cache);
    for (int damage = 0; damage < 3; damage++) {
        if (damage == 1)
            write_file(root(f), ".git/rosetta-versions", "rosetta-versions 1 garbage\n");
        if (damage == 2)
            write_file(root(f), ".git/rosetta-versions",
                       "rosetta-versions 1 0123456789012345678901234567890123456789 1 1\n"
                       "0123456789012345678901234567890123456789\n0 greet\n");
        rs_registry *fresh = NULL;
        assert_rs_ok(rs_registry_open(&fresh, root(f), &err), &err);
        assert_rs_ok(rs_registry_resolve(&r, fresh, "greet@v2", &err), &err);
        assert_rs_ok(rs_registry_ref_version(&v, fresh, r, &err), &err);
        assert_int_equal(v, 2);
        rs_registry_ref_free(r);
        assert_rs_ok(rs_registry_resolve(&r, fresh, "greet", &err), &err);
        assert_rs_ok(rs_registry_ref_version(&v, fresh, r, &err), &err);
        assert_int_equal(v, 3);
        rs_registry_ref_free(r);
        rs_registry_free(fresh);
    }
    char *fsck = rs_test_sh(
        NULL, "git -C '%s' fsck --strict 2>&1 && git -C '%s' status --porcelain", root(f), root(f));
    assert_null(strstr(fsck, "error"));
    rs_free(fsck);
}

static void resolve_every_reference_form(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    write_file(root(f), "prompts/support/triage.prompt", "one\n");
    cJSON_Delete(save(f, "t1"));
    char *c1 = git_head(f);
    write_file(root(f), "prompts/support/triage.prompt", "two\n");
    cJSON_Delete(save(f, "t2"));
    char *o = rs_test_sh(NULL, "cd '%s' && git tag first %s && git branch old %s", root(f), c1, c1);
    rs_free(o);
    char ref[128];
    const char *const ones[] = {"support/triage@v1", "support/triage@first", "support/triage@old",
                                ref};
    snprintf(ref, sizeof ref, "support/triage@%.8s", c1);
    for (size_t i = 0; i < 4; i++) {
        char *s = read_ref(f, ones[i], NULL);
        assert_string_equal(s, "one\n");
        rs_free(s);
    }
    char *s = read_ref(f, "support/triage", NULL);
    assert_string_equal(s, "two\n");
    rs_free(s);
    rs_registry_ref *r = NULL;
    assert_int_equal(rs_registry_resolve(&r, f->reg, "support/traige", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "did you mean 'support/triage'"));
    assert_int_equal(rs_registry_resolve(&r, f->reg, "support/triage@v7", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "v1..v2"));
    assert_int_equal(rs_registry_resolve(&r, f->reg, "support/triage@nosuch", &err), RS_ENOTFOUND);
    assert_int_equal(rs_registry_resolve(&r, f->reg, "support/triage@", &err), RS_EINVAL);
    assert_int_equal(rs_registry_resolve(&r, f->reg, "../x", &err), RS_EINVAL);
    assert_null(r);
    /* a revision where the prompt does not exist yet */
    char *init = rs_test_sh(NULL, "git -C '%s' rev-list --max-parents=0 HEAD", root(f));
    snprintf(ref, sizeof ref, "support/triage@%s", init);
    assert_int_equal(rs_registry_resolve(&r, f->reg, ref, &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "does not exist"));
    rs_free(init);
    rs_free(c1);
}

/* ---- labels ---- */

static void labels_move_log_rollback(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    char *out = NULL;
    write_file(root(f), "prompts/p.prompt", "v1\n");
    cJSON_Delete(save(f, "p1"));
    write_file(root(f), "prompts/p.prompt", "v2\n");
    cJSON_Delete(save(f, "p2"));
    assert_rs_ok(rs_registry_label_set(&out, f->reg, "p@v1", "production", &err), &err);
    rs_free(out);
    assert_rs_ok(rs_registry_label_set(&out, f->reg, "p@v2", "production", &err), &err);
    assert_non_null(strstr(out, "\"changed\":true"));
    rs_free(out);
    assert_rs_ok(rs_registry_label_set(&out, f->reg, "p@production", "staging", &err), &err);
    rs_free(out);
    /* moving to where it is already: no commit */
    char *before = git_head(f);
    assert_rs_ok(rs_registry_label_set(&out, f->reg, "p@v2", "production", &err), &err);
    assert_non_null(strstr(out, "\"changed\":false"));
    rs_free(out);
    char *after = git_head(f);
    assert_string_equal(before, after);
    rs_free(before);
    rs_free(after);
    char *s = read_ref(f, "p@production", NULL);
    assert_string_equal(s, "v2\n");
    rs_free(s);
    /* three label commits, visible to git, and the work tree is clean */
    char *n = rs_test_sh(NULL, "git -C '%s' log --format=%%s -- labels.yaml | grep -c '^label: p '",
                         root(f));
    assert_string_equal(n, "3");
    rs_free(n);
    char *st = rs_test_sh(NULL, "git -C '%s' status --porcelain", root(f));
    assert_string_equal(st, "");
    rs_free(st);
    char *log = NULL;
    assert_rs_ok(rs_registry_label_log(&log, f->reg, "p", &err), &err);
    cJSON *l = NULL;
    assert_rs_ok(rs_json_parse(&l, log, strlen(log), NULL, &err), &err);
    assert_int_equal(cJSON_GetArraySize(l), 3);
    assert_string_equal(rs_json_string(cJSON_GetArrayItem(l, 0), "label"), "staging");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 2), "from")));
    assert_string_equal(rs_json_string(cJSON_GetArrayItem(l, 0), "author"), "Tester");
    cJSON_Delete(l);
    rs_free(log);
    assert_rs_ok(rs_registry_rollback(&out, f->reg, "p", "production", &err), &err);
    rs_free(out);
    s = read_ref(f, "p@production", NULL);
    assert_string_equal(s, "v1\n");
    rs_free(s);
    assert_int_equal(rs_registry_rollback(&out, f->reg, "p", "staging", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "no previous target"));
    assert_rs_ok(rs_registry_label_delete(&out, f->reg, "p", "staging", &err), &err);
    rs_free(out);
    rs_registry_ref *r = NULL;
    assert_int_equal(rs_registry_resolve(&r, f->reg, "p@staging", &err), RS_ENOTFOUND);
    assert_int_equal(rs_registry_label_delete(&out, f->reg, "p", "staging", &err), RS_ENOTFOUND);
    assert_int_equal(rs_registry_label_set(&out, f->reg, "p", "v3", &err), RS_EINVAL);
    assert_int_equal(rs_registry_label_set(&out, f->reg, "nope", "x", &err), RS_ENOTFOUND);
    char *labels = NULL;
    assert_rs_ok(rs_registry_labels(&labels, f->reg, "p", &err), &err);
    assert_non_null(strstr(labels, "\"production\":{\"commit\":"));
    assert_non_null(strstr(labels, "\"version\":1"));
    rs_free(labels);
}

static void labels_faults_leave_the_repository_alone(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    char *out = NULL;
    write_file(root(f), "prompts/p.prompt", "v1\n");
    cJSON_Delete(save(f, "p1"));
    assert_rs_ok(rs_registry_label_set(&out, f->reg, "p", "production", &err), &err);
    rs_free(out);
    /* uncommitted edits to labels.yaml: refused */
    write_file(root(f), "labels.yaml", "# mine\n{}\n");
    char *before = git_head(f);
    assert_int_equal(rs_registry_label_set(&out, f->reg, "p", "staging", &err), RS_ECONFLICT);
    assert_non_null(strstr(err.message, "uncommitted changes"));
    char *after = git_head(f);
    assert_string_equal(before, after);
    rs_free(after);
    char *mine = rs_test_sh(NULL, "cat '%s/labels.yaml'", root(f));
    assert_string_equal(mine, "# mine\n{}");
    rs_free(mine);
    /* labels.yaml committed by hand as invalid YAML: a located error */
    write_file(root(f), "labels.yaml", "p:\n  production: [unclosed\n");
    char *o = rs_test_sh(NULL, "cd '%s' && git commit -qam 'broken labels'", root(f));
    rs_free(o);
    rs_registry_ref *r = NULL;
    assert_int_equal(rs_registry_resolve(&r, f->reg, "p@production", &err), RS_ESYNTAX);
    assert_string_equal(err.file, "labels.yaml");
    assert_true(err.line >= 2);
    assert_non_null(strstr(err.message, "in commit"));
    /* a label at a commit where the prompt does not exist */
    char *init = rs_test_sh(NULL, "git -C '%s' rev-list --max-parents=0 HEAD", root(f));
    char text[256];
    snprintf(text, sizeof text, "p:\n  production: \"%s\"\n", init);
    write_file(root(f), "labels.yaml", text);
    o = rs_test_sh(NULL, "cd '%s' && git commit -qam 'label at init'", root(f));
    rs_free(o);
    assert_int_equal(rs_registry_resolve(&r, f->reg, "p@production", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "label 'production' of 'p' points at commit"));
    assert_non_null(strstr(err.message, "prompts/p.prompt does not exist"));
    /* a label at a commit the repository does not have */
    write_file(root(f), "labels.yaml",
               "p:\n  production: \"0123456789012345678901234567890123456789\"\n");
    o = rs_test_sh(NULL, "cd '%s' && git commit -qam 'label at nothing'", root(f));
    rs_free(o);
    assert_int_equal(rs_registry_resolve(&r, f->reg, "p@production", &err), RS_EGIT);
    assert_non_null(strstr(err.message, "missing or corrupt"));
    assert_null(r);
    rs_free(init);
    rs_free(before);
}

/* ---- save validation ---- */

static void save_refuses_invalid_prompts(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    char *out = NULL;
    write_file(root(f), "prompts/_sig.prompt", "-- {{who}}\n");
    write_file(root(f), "prompts/a.prompt", "Hello {{> sig}}\n");
    cJSON_Delete(save(f, "a"));
    char *before = git_head(f);
    write_file(root(f), "prompts/a.prompt", "fine\n");
    write_file(root(f), "prompts/b.prompt", "line one\n{{#each items}}\nno close\n");
    assert_int_equal(rs_registry_save(&out, f->reg, NULL, 0, "broken", &err), RS_ESYNTAX);
    assert_string_equal(err.file, "prompts/b.prompt");
    assert_true(err.line >= 2);
    write_file(root(f), "prompts/b.prompt", "---\nmodel: [x\n---\nbody\n");
    assert_int_equal(rs_registry_save(&out, f->reg, NULL, 0, "broken", &err), RS_ESYNTAX);
    assert_string_equal(err.file, "prompts/b.prompt");
    assert_true(err.line >= 2);
    write_file(root(f), "prompts/b.prompt", "{{> missing}}\n");
    assert_int_equal(rs_registry_save(&out, f->reg, NULL, 0, "broken", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "missing"));
    char *o =
        rs_test_sh(NULL, "rm '%s/prompts/b.prompt' '%s/prompts/_sig.prompt'", root(f), root(f));
    rs_free(o);
    write_file(root(f), "prompts/a.prompt", "Hello {{> sig}}\n");
    /* deleting a partial another prompt uses is refused too */
    assert_int_equal(rs_registry_save(&out, f->reg, NULL, 0, "broken", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "sig"));
    write_file(root(f), "datasets/d.jsonl", "{\"vars\": {}}\nnot json\n");
    const char *only[] = {"datasets/d.jsonl"};
    assert_int_equal(rs_registry_save(&out, f->reg, only, 1, "broken", &err), RS_ESYNTAX);
    assert_int_equal(err.line, 2);
    char *after = git_head(f);
    assert_string_equal(before, after);
    rs_free(after);
    rs_free(before);
    assert_int_equal(rs_registry_save(&out, f->reg, NULL, 0, "", &err), RS_EINVAL);
    const char *outside[] = {"../x"};
    assert_int_equal(rs_registry_save(&out, f->reg, outside, 1, "m", &err), RS_EINVAL);
}

static void save_only_given_paths(void **state)
{
    struct fx *f = *state;
    write_file(root(f), "prompts/a.prompt", "a\n");
    write_file(root(f), "prompts/b.prompt", "b\n");
    rs_error err = RS_ERROR_INIT;
    char *out = NULL;
    const char *only[] = {"prompts/a.prompt"};
    assert_rs_ok(rs_registry_save(&out, f->reg, only, 1, "just a", &err), &err);
    rs_free(out);
    char *files = rs_test_sh(NULL, "git -C '%s' show --name-only --format= HEAD", root(f));
    assert_string_equal(files, "prompts/a.prompt");
    rs_free(files);
    char *st = rs_test_sh(NULL, "git -C '%s' status --porcelain", root(f));
    assert_string_equal(st, "?? prompts/b.prompt");
    rs_free(st);
}

/* ---- faults ---- */

static void faults_are_named(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    rs_registry *r2 = NULL;
    char *out = NULL;
    /* not a registry */
    assert_int_equal(rs_registry_open(&r2, "/", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "not a rosetta registry"));
    char plain[300];
    snprintf(plain, sizeof plain, "%s/plain", f->dir);
    char *o = rs_test_sh(NULL, "git init -q '%s'", plain);
    rs_free(o);
    assert_int_equal(rs_registry_open(&r2, plain, &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "has no rosetta.yaml"));
    /* an empty repository with a rosetta.yaml not yet committed */
    write_file(plain, "rosetta.yaml", "version: 1\n");
    assert_rs_ok(rs_registry_open(&r2, plain, &err), &err);
    rs_registry_ref *ref = NULL;
    assert_int_equal(rs_registry_resolve(&ref, r2, "x", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "no commits yet"));
    assert_int_equal(rs_registry_list(&out, r2, &err), RS_ENOTFOUND);
    rs_registry_free(r2);

    write_file(root(f), "prompts/p.prompt", "v1\n");
    cJSON_Delete(save(f, "p1"));
    /* locked index: the save is refused, nothing committed */
    char *before = git_head(f);
    write_file(root(f), "prompts/p.prompt", "v2\n");
    o = rs_test_sh(NULL, "touch '%s/.git/index.lock'", root(f));
    rs_free(o);
    assert_int_equal(rs_registry_save(&out, f->reg, NULL, 0, "locked", &err), RS_ECONFLICT);
    assert_non_null(strstr(err.message, "index.lock"));
    char *after = git_head(f);
    assert_string_equal(before, after);
    rs_free(after);
    o = rs_test_sh(NULL, "rm '%s/.git/index.lock'", root(f));
    rs_free(o);
    /* detached HEAD: reads work, writes are refused */
    o = rs_test_sh(NULL, "git -C '%s' checkout -q --detach", root(f));
    rs_free(o);
    char *s = read_ref(f, "p", NULL);
    assert_string_equal(s, "v1\n");
    rs_free(s);
    assert_int_equal(rs_registry_label_set(&out, f->reg, "p", "prod", &err), RS_ECONFLICT);
    assert_non_null(strstr(err.message, "detached"));
    assert_int_equal(rs_registry_save(&out, f->reg, NULL, 0, "m", &err), RS_ECONFLICT);
    o = rs_test_sh(NULL, "git -C '%s' checkout -q main", root(f));
    rs_free(o);
    /* a corrupt object: the blob of q.prompt overwritten with garbage */
    write_file(root(f), "prompts/q.prompt", "q1\n");
    cJSON_Delete(save(f, "q1"));
    char *qblob = rs_test_sh(NULL, "git -C '%s' rev-parse HEAD:prompts/q.prompt", root(f));
    o = rs_test_sh(NULL,
                   "f='%s/.git/objects/%.2s/%s'; chmod u+w \"$f\"; printf 'not zlib' > \"$f\"",
                   root(f), qblob, qblob + 2);
    rs_free(o);
    {
        rs_registry *fresh = NULL;
        assert_rs_ok(rs_registry_open(&fresh, root(f), &err), &err);
        assert_rs_ok(rs_registry_resolve(&ref, fresh, "q", &err), &err);
        size_t qlen = 0;
        assert_int_equal(rs_registry_read(&s, &qlen, fresh, ref, NULL, &err), RS_EGIT);
        assert_non_null(strstr(err.message, qblob));
        assert_non_null(strstr(err.message, "missing or corrupt"));
        rs_registry_ref_free(ref);
        rs_registry_free(fresh);
    }
    o = rs_test_sh(NULL, "rm -f '%s/.git/objects/%.2s/%s'", root(f), qblob, qblob + 2);
    rs_free(o);
    o = rs_test_sh(NULL,
                   "cd '%s' && git rm -q --cached prompts/q.prompt && rm prompts/q.prompt && git "
                   "commit -qm 'drop q' && git update-index -q --refresh; true",
                   root(f));
    rs_free(o);
    rs_free(qblob);
    /* a missing object: the blob of p.prompt removed from the object store */
    char *blob = rs_test_sh(NULL, "git -C '%s' rev-parse HEAD:prompts/p.prompt", root(f));
    o = rs_test_sh(NULL, "rm -f '%s/.git/objects/%.2s/%s'", root(f), blob, blob + 2);
    rs_free(o);
    rs_registry *fresh = NULL;
    assert_rs_ok(rs_registry_open(&fresh, root(f), &err), &err);
    assert_rs_ok(rs_registry_resolve(&ref, fresh, "p", &err), &err);
    size_t len = 0;
    assert_int_equal(rs_registry_read(&s, &len, fresh, ref, NULL, &err), RS_EGIT);
    assert_non_null(strstr(err.message, blob));
    assert_non_null(strstr(err.message, "missing or corrupt"));
    rs_registry_ref_free(ref);
    rs_registry_free(fresh);
    rs_free(blob);
    rs_free(before);
}

static void bare_mirror_reads(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    write_file(root(f), "prompts/p.prompt", "v1 {{> s}}\n");
    write_file(root(f), "prompts/_s.prompt", "partial one\n");
    cJSON_Delete(save(f, "p1"));
    char *out = NULL;
    assert_rs_ok(rs_registry_label_set(&out, f->reg, "p", "production", &err), &err);
    rs_free(out);
    write_file(root(f), "prompts/_s.prompt", "partial two\n");
    cJSON_Delete(save(f, "s2"));
    char bare[300];
    snprintf(bare, sizeof bare, "%s/mirror.git", f->dir);
    char *o = rs_test_sh(NULL, "git clone -q --bare '%s' '%s'", root(f), bare);
    rs_free(o);
    rs_registry *b = NULL;
    assert_rs_ok(rs_registry_open(&b, bare, &err), &err);
    assert_true(rs_registry_is_bare(b));
    rs_registry_ref *r = NULL;
    assert_rs_ok(rs_registry_resolve(&r, b, "p@production", &err), &err);
    char *src = NULL;
    size_t len = 0;
    /* the partial at the label's commit, not the latest one */
    assert_rs_ok(rs_registry_partial_resolver(&src, &len, r, "s", &err), &err);
    assert_string_equal(src, "partial one\n");
    rs_free(src);
    assert_int_equal(rs_registry_partial_resolver(&src, &len, r, "nope", &err), RS_ENOTFOUND);
    rs_registry_ref_free(r);
    char *json = NULL;
    rs_registry_render_opts ro = RS_REGISTRY_RENDER_OPTS_INIT;
    assert_rs_ok(rs_registry_render(&json, NULL, b, "p@production", &ro, &err), &err);
    assert_non_null(strstr(json, "v1 partial one"));
    rs_free(json);
    assert_rs_ok(rs_registry_render(&json, NULL, b, "p", &ro, &err), &err);
    assert_non_null(strstr(json, "v1 partial two"));
    rs_free(json);
    assert_int_equal(rs_registry_save(&json, b, NULL, 0, "m", &err), RS_EUNSUPPORTED);
    assert_int_equal(rs_registry_label_set(&json, b, "p", "x", &err), RS_EUNSUPPORTED);
    rs_registry_free(b);
}

static void render_with_target_and_explain(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    write_file(root(f), "prompts/t.prompt", "base {{x}}\n");
    write_file(root(f), "prompts/t.claude.prompt",
               "---\nrosetta.targets: [\"anthropic/claude-*\"]\n---\nclaude {{x}}\n");
    write_file(root(f), "prompts/t.ollama.prompt", "ollama {{x}}\n");
    cJSON_Delete(save(f, "t"));
    rs_registry_render_opts ro = RS_REGISTRY_RENDER_OPTS_INIT;
    ro.data = "{\"input\": {\"x\": 7}}";
    const char *targets[][2] = {{"anthropic/claude-3-5-haiku", "claude 7"},
                                {"ollama/llama3.2:1b", "ollama 7"},
                                {"openai/gpt-4o", "base 7"}};
    for (size_t i = 0; i < 3; i++) {
        char *json = NULL, *explain = NULL;
        ro.target = targets[i][0];
        assert_rs_ok(rs_registry_render(&json, &explain, f->reg, "t", &ro, &err), &err);
        assert_non_null(strstr(json, targets[i][1]));
        assert_non_null(strstr(explain, "commit:"));
        assert_non_null(strstr(explain, "t@v1"));
        rs_free(json);
        rs_free(explain);
    }
    char *show = NULL;
    assert_rs_ok(rs_registry_show(&show, f->reg, "t", "anthropic/claude-3", NULL, &err), &err);
    assert_non_null(strstr(show, "prompts/t.claude.prompt: its rosetta.targets glob"));
    rs_free(show);
    assert_int_equal(rs_registry_show(&show, f->reg, "t", NULL, "gemini", &err), RS_ENOTFOUND);
    assert_non_null(strstr(err.message, "'claude', 'ollama'"));
    char *list = NULL;
    assert_rs_ok(rs_registry_list(&list, f->reg, &err), &err);
    assert_non_null(strstr(list, "\"variants\":[\"claude\",\"ollama\"]"));
    rs_free(list);
}

static void diff_between_versions_and_worktree(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    write_file(root(f), "prompts/_p.prompt", "part A\n");
    write_file(root(f), "prompts/d.prompt", "Hello {{> p}}\n");
    write_file(root(f), "prompts/other.prompt", "unrelated\n");
    cJSON_Delete(save(f, "d1"));
    write_file(root(f), "prompts/_p.prompt", "part B\n");
    write_file(root(f), "prompts/d.prompt", "Hi {{> p}}\n");
    write_file(root(f), "prompts/other.prompt", "unrelated 2\n");
    cJSON_Delete(save(f, "d2"));
    char *patch = NULL;
    assert_rs_ok(rs_registry_diff(&patch, f->reg, "d@v1", "v2", &err), &err);
    assert_non_null(strstr(patch, "-Hello {{> p}}"));
    assert_non_null(strstr(patch, "+Hi {{> p}}"));
    assert_non_null(strstr(patch, "+part B"));
    assert_null(strstr(patch, "unrelated"));
    rs_free(patch);
    write_file(root(f), "prompts/d.prompt", "Yo {{> p}}\n");
    assert_rs_ok(rs_registry_diff(&patch, f->reg, "d", NULL, &err), &err);
    assert_non_null(strstr(patch, "+Yo {{> p}}"));
    rs_free(patch);
    assert_int_equal(rs_registry_diff(&patch, f->reg, "d", "other@v1", &err), RS_EINVAL);
}

static void push_and_pull_fast_forward_only(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    char *out = NULL;
    write_file(root(f), "prompts/p.prompt", "v1\n");
    cJSON_Delete(save(f, "p1"));
    char remote[300], clone[300];
    snprintf(remote, sizeof remote, "%s/remote.git", f->dir);
    snprintf(clone, sizeof clone, "%s/clone", f->dir);
    char *o = rs_test_sh(NULL, "git init -q --bare -b main '%s'", remote);
    rs_free(o);
    assert_rs_ok(rs_registry_push(&out, f->reg, remote, &err), &err);
    rs_free(out);
    char *theirs = rs_test_sh(NULL, "git -C '%s' rev-parse main", remote);
    char *ours = git_head(f);
    assert_string_equal(theirs, ours);
    rs_free(theirs);
    o = rs_test_sh(NULL, "git clone -q '%s' '%s'", remote, clone);
    rs_free(o);
    rs_registry *c = NULL;
    assert_rs_ok(rs_registry_open(&c, clone, &err), &err);
    write_file(clone, "prompts/p.prompt", "v2 from the clone\n");
    assert_rs_ok(rs_registry_save(&out, c, NULL, 0, "p2", &err), &err);
    rs_free(out);
    assert_rs_ok(rs_registry_push(&out, c, NULL, &err), &err);
    rs_free(out);
    /* pull fast-forwards the first registry, work tree included */
    assert_rs_ok(rs_registry_pull(&out, f->reg, remote, &err), &err);
    assert_non_null(strstr(out, "\"updated\":true"));
    rs_free(out);
    char *s = read_ref(f, "p", NULL);
    assert_string_equal(s, "v2 from the clone\n");
    rs_free(s);
    char *wt = rs_test_sh(NULL, "cat '%s/prompts/p.prompt'; git -C '%s' status --porcelain",
                          root(f), root(f));
    assert_string_equal(wt, "v2 from the clone");
    rs_free(wt);
    assert_rs_ok(rs_registry_pull(&out, f->reg, remote, &err), &err);
    assert_non_null(strstr(out, "\"updated\":false"));
    rs_free(out);
    /* diverge: both sides commit */
    write_file(clone, "prompts/p.prompt", "v3 clone\n");
    assert_rs_ok(rs_registry_save(&out, c, NULL, 0, "p3c", &err), &err);
    rs_free(out);
    assert_rs_ok(rs_registry_push(&out, c, NULL, &err), &err);
    rs_free(out);
    write_file(root(f), "prompts/p.prompt", "v3 local\n");
    cJSON_Delete(save(f, "p3l"));
    char *before = git_head(f);
    assert_int_equal(rs_registry_pull(&out, f->reg, remote, &err), RS_ECONFLICT);
    assert_non_null(strstr(err.message, "diverged"));
    char *after = git_head(f);
    assert_string_equal(before, after);
    rs_free(after);
    /* the remote refuses a non-fast-forward push */
    assert_int_equal(rs_registry_push(&out, f->reg, remote, &err) < 0, 1);
    assert_non_null(strstr(err.message, remote));
    theirs = rs_test_sh(NULL, "git -C '%s' rev-parse main", remote);
    assert_string_not_equal(theirs, before);
    rs_free(theirs);
    assert_int_equal(rs_registry_push(&out, f->reg, "nosuchremote", &err), RS_ENOTFOUND);
    rs_registry_free(c);
    rs_free(before);
    rs_free(ours);
}

static void cas_refuses_a_stale_parent(void **state)
{
    struct fx *f = *state;
    rs_error err = RS_ERROR_INIT;
    write_file(root(f), "prompts/p.prompt", "v1\n");
    cJSON_Delete(save(f, "p1"));
    git_oid tip, stale, tree, out;
    assert_rs_ok(reg_tip(f->reg, &tip, NULL, &err), &err);
    char *parent = rs_test_sh(NULL, "git -C '%s' rev-parse HEAD~1", root(f));
    char *tree_hex = rs_test_sh(NULL, "git -C '%s' rev-parse HEAD^{tree}", root(f));
    git_oid_fromstr(&stale, parent);
    git_oid_fromstr(&tree, tree_hex);
    assert_int_equal(reg_commit_cas(&out, f->reg, "refs/heads/main", &stale, &tree, "x\n", &err),
                     RS_ECONFLICT);
    git_oid now;
    assert_rs_ok(reg_tip(f->reg, &now, NULL, &err), &err);
    assert_true(git_oid_equal(&now, &tip));
    assert_rs_ok(reg_commit_cas(&out, f->reg, "refs/heads/main", &tip, &tree, "y\n", &err), &err);
    rs_free(parent);
    rs_free(tree_hex);
}

/* Every allocation failure in resolve + read + list reports RS_ENOMEM (or succeeds) and leaks
   nothing (ASan checks the leaks). */
static void allocation_failures(void **state)
{
    struct fx *f = *state;
    write_file(root(f), "prompts/p.prompt", "v1 {{> s}}\n");
    write_file(root(f), "prompts/_s.prompt", "s\n");
    cJSON_Delete(save(f, "p1"));
    char *o = NULL;
    rs_error err = RS_ERROR_INIT;
    assert_rs_ok(rs_registry_label_set(&o, f->reg, "p", "production", &err), &err);
    rs_free(o);
    int succeeded = 0;
    for (long n = 0; n < 400 && !succeeded; n++) {
        rs_registry *reg = NULL;
        rs_registry_ref *r = NULL;
        char *src = NULL, *list = NULL, *json = NULL;
        size_t len;
        rs_alloc_fail_after(n);
        int rc = rs_registry_open(&reg, root(f), &err);
        if (rc == 0)
            rc = rs_registry_resolve(&r, reg, "p@production", &err);
        if (rc == 0)
            rc = rs_registry_read(&src, &len, reg, r, NULL, &err);
        if (rc == 0)
            rc = rs_registry_list(&list, reg, &err);
        if (rc == 0) {
            rs_registry_render_opts ro = RS_REGISTRY_RENDER_OPTS_INIT;
            rc = rs_registry_render(&json, NULL, reg, "p@production", &ro, &err);
        }
        rs_alloc_fail_after(-1);
        if (rc == 0)
            succeeded = 1;
        else if (rc != RS_ENOMEM) {
            print_error("allocation %ld: %s (%s)\n", n, err.message, rs_error_name(rc));
            fail();
        }
        rs_free(src);
        rs_free(list);
        rs_free(json);
        rs_registry_ref_free(r);
        rs_registry_free(reg);
    }
    assert_true(succeeded);
}

int main(void)
{
    setenv("GIT_AUTHOR_NAME", "Tester", 1);
    setenv("GIT_AUTHOR_EMAIL", "tester@example.com", 1);
    setenv("GIT_COMMITTER_NAME", "Tester", 1);
    setenv("GIT_COMMITTER_EMAIL", "tester@example.com", 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    unsetenv("ROSETTA_REGISTRY");
    git_libgit2_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(yaml_typed_and_strings),
        cmocka_unit_test(labels_fast_path_agrees_with_yaml),
        cmocka_unit_test(label_lookup_agrees_with_parse),
        cmocka_unit_test(names_are_validated),
        cmocka_unit_test(variant_globs_and_specificity),
        cmocka_unit_test_setup_teardown(init_makes_a_clean_registry, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(save_counts_versions_like_git, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(resolve_every_reference_form, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(labels_move_log_rollback, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(labels_faults_leave_the_repository_alone, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(save_refuses_invalid_prompts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(save_only_given_paths, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(faults_are_named, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(bare_mirror_reads, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(render_with_target_and_explain, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(diff_between_versions_and_worktree, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(push_and_pull_fast_forward_only, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(cas_refuses_a_stale_parent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(allocation_failures, fx_setup, fx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    git_libgit2_shutdown();
    return rc;
}
