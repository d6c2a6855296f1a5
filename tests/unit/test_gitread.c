/*
 * tests/unit/test_gitread.c - the native git reader (registry/gitread_*.c) against git itself
 * and libgit2 on real repositories built with the `git` command in temp dirs: loose objects,
 * then packs from `git gc` (OFS_DELTA chains, packed-refs), REF_DELTA packs, annotated tags, a
 * branch, a detached HEAD, a bare clone. Every object must come back byte-identical with the same
 * type as `git cat-file` and libgit2 give; HEAD and paths must resolve as `git rev-parse` and
 * `git ls-tree` say. Each case the reader does not handle must be refused (GR_UNSUPPORTED) so
 * the registry asks libgit2, and the registry must then still answer right.
 */
#include "registry/gitread.h"
#include "rosetta/registry.h"
#include "util/alloc.h"
#include "util/str.h"

#include "test_helpers.h"
#include "test_shell.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void shq(const char *fmt, const char *a, const char *b)
{
    char *o = rs_test_sh(NULL, fmt, a, b);
    rs_free(o);
}

static char tmp[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/rs_gitread_XXXXXX");
    assert_non_null(mkdtemp(tmp));
    setenv("GIT_AUTHOR_NAME", "T", 1);
    setenv("GIT_AUTHOR_EMAIL", "t@example.com", 1);
    setenv("GIT_COMMITTER_NAME", "T", 1);
    setenv("GIT_COMMITTER_EMAIL", "t@example.com", 1);
    git_libgit2_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    shq("rm -rf '%s'%s", tmp, "");
    git_libgit2_shutdown();
    return 0;
}

/* A repository with history worth packing: a text file growing by a line per commit (deltas),
   a binary-ish file, nested directories, an annotated tag, a lightweight tag and a branch. */
static void make_repo(const char *dir)
{
    char *o = rs_test_sh(NULL,
                         "set -e; git init -q -b main '%s'; cd '%s';"
                         "mkdir -p prompts/team/deep;"
                         "for i in $(seq 1 12); do"
                         "  seq 1 $((40 + i)) | sed 's/^/line of the prompt /' > prompts/a.prompt;"
                         "  printf 'v%%s\\000\\001\\377 binary\\n' $i > bin.dat;"
                         "  echo deep $i > prompts/team/deep/x.prompt;"
                         "  [ $i -eq 3 ] && echo once > prompts/_partial.prompt;"
                         "  git add -A; git commit -qm \"commit $i\";"
                         "  [ $i -eq 5 ] && git tag -a v5 -m 'annotated five';"
                         "  [ $i -eq 6 ] && git tag light6;"
                         "  [ $i -eq 7 ] && git branch feature;"
                         "done; true",
                         dir, dir);
    rs_free(o);
}

/* Every object in the repository: gr_read agrees with git cat-file and with libgit2. */
static size_t check_all_objects(const char *dir)
{
    gr_repo *r = NULL;
    assert_int_equal(gr_open(&r, dir), GR_OK);
    git_repository *repo = NULL;
    git_odb *odb = NULL;
    assert_int_equal(git_repository_open(&repo, dir), 0);
    assert_int_equal(git_repository_odb(&odb, repo), 0);
    char *list =
        rs_test_sh(NULL,
                   "git -C '%s' cat-file --batch-all-objects --batch-check='%%(objectname) "
                   "%%(objecttype)'",
                   dir);
    size_t count = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char hex[GR_HEX_SIZE + 1], tname[16];
        assert_int_equal(sscanf(line, "%40s %15s", hex, tname), 2);
        unsigned char oid[GR_OID_SIZE];
        assert_int_equal(gr_oid_from_hex(oid, hex, GR_HEX_SIZE), GR_OK);
        unsigned char *data = NULL;
        size_t len = 0;
        int type = 0;
        int rc = gr_read(&data, &len, &type, r, oid, 0);
        if (rc != GR_OK)
            print_error("gr_read %s (%s) in %s: %d\n", hex, tname, dir, rc);
        assert_int_equal(rc, GR_OK);
        static const char *const names[] = {"", "commit", "tree", "blob", "tag"};
        assert_string_equal(names[type], tname);
        size_t glen = 0;
        char *want = rs_test_sh(&glen, "git -C '%s' cat-file %s %s", dir, tname, hex);
        assert_int_equal(len, glen);
        assert_memory_equal(data, want, len);
        git_odb_object *obj = NULL;
        git_oid goid;
        memcpy(goid.id, oid, GR_OID_SIZE);
        assert_int_equal(git_odb_read(&obj, odb, &goid), 0);
        assert_int_equal(git_odb_object_size(obj), len);
        assert_memory_equal(git_odb_object_data(obj), data, len);
        git_odb_object_free(obj);
        /* asking for another type is "not found", never the object */
        unsigned char *other = NULL;
        assert_int_equal(gr_read(&other, &len, NULL, r, oid, type == GR_BLOB ? GR_TREE : GR_BLOB),
                         GR_NOTFOUND);
        rs_free(want);
        rs_free(data);
        count++;
    }
    rs_free(list);
    git_odb_free(odb);
    git_repository_free(repo);
    gr_free(r);
    return count;
}

/* HEAD, and every path at a few commits, as git resolves them. */
static void check_head_and_paths(const char *dir, int detached)
{
    gr_repo *r = NULL;
    assert_int_equal(gr_open(&r, dir), GR_OK);
    unsigned char head[GR_OID_SIZE], commit[GR_OID_SIZE], id[GR_OID_SIZE];
    char *branch = NULL, hex[GR_HEX_SIZE + 1];
    assert_int_equal(gr_head(head, &branch, r), GR_OK);
    char *want = rs_test_sh(NULL, "git -C '%s' rev-parse HEAD", dir);
    gr_oid_to_hex(hex, head);
    assert_string_equal(hex, want);
    rs_free(want);
    if (detached) {
        assert_null(branch);
    } else {
        want = rs_test_sh(NULL, "git -C '%s' symbolic-ref HEAD", dir);
        assert_string_equal(branch, want);
        rs_free(want);
    }
    rs_free(branch);
    static const char *const revs[] = {"HEAD", "HEAD~4", "v5^{commit}", "light6", "feature"};
    for (size_t i = 0; i < sizeof revs / sizeof revs[0]; i++) {
        char *c = rs_test_sh(NULL, "git -C '%s' rev-parse '%s'", dir, revs[i]);
        assert_int_equal(gr_oid_from_hex(commit, c, GR_HEX_SIZE), GR_OK);
        char *tree = rs_test_sh(NULL, "git -C '%s' ls-tree -r -t '%s'", dir, c);
        for (char *line = strtok(tree, "\n"); line; line = strtok(NULL, "\n")) {
            char mode[16], tname[16], ohex[GR_HEX_SIZE + 1], path[1024];
            assert_int_equal(sscanf(line, "%15s %15s %40s\t%1023[^\n]", mode, tname, ohex, path),
                             4);
            int type = 0;
            assert_int_equal(gr_path_at(id, &type, r, commit, path), GR_OK);
            gr_oid_to_hex(hex, id);
            assert_string_equal(hex, ohex);
            assert_int_equal(type, strcmp(tname, "tree") == 0 ? GR_TREE : GR_BLOB);
        }
        int type = 0;
        assert_int_equal(gr_path_at(id, &type, r, commit, "prompts/missing.prompt"), GR_NOPATH);
        assert_int_equal(gr_path_at(id, &type, r, commit, "bin.dat/below"), GR_NOPATH);
        assert_int_equal(gr_path_at(id, &type, r, commit, "nothing/at/all"), GR_NOPATH);
        rs_free(tree);
        rs_free(c);
    }
    gr_free(r);
}

static void test_loose_then_packed(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/repo", tmp);
    make_repo(dir);
    /* loose objects and loose refs */
    char *n = rs_test_sh(NULL, "ls '%s/.git/objects/pack' | wc -l", dir);
    assert_string_equal(n, "0");
    rs_free(n);
    assert_true(check_all_objects(dir) > 40);
    check_head_and_paths(dir, 0);

    /* git gc: one pack with OFS_DELTA chains, refs in packed-refs */
    shq("git -C '%s' gc -q --aggressive%s", dir, "");
    n = rs_test_sh(
        NULL, "ls '%s/.git/objects/pack' | grep -c 'idx$'; test ! -e '%s/.git/refs/heads/main'",
        dir, dir);
    assert_string_equal(n, "1");
    rs_free(n);
    /* the pack does hold delta chains (verify-pack lists "chain length = N") */
    n = rs_test_sh(NULL, "git verify-pack -v '%s'/.git/objects/pack/*.idx | grep -c 'chain length'",
                   dir);
    assert_true(atoi(n) > 0);
    rs_free(n);
    assert_true(check_all_objects(dir) > 40);
    check_head_and_paths(dir, 0);

    /* REF_DELTA: bases named by id instead of offset */
    shq("git -C '%s' -c repack.useDeltaBaseOffset=false repack -adfq --depth=20%s", dir, "");
    assert_true(check_all_objects(dir) > 40);
    check_head_and_paths(dir, 0);

    /* a pack plus newer loose objects, a detached HEAD */
    shq("cd '%s' && echo more >> prompts/a.prompt && git commit -qam more && git checkout -q "
        "--detach HEAD~1%s",
        dir, "");
    assert_true(check_all_objects(dir) > 40);
    check_head_and_paths(dir, 1);

    /* a bare clone (core.bare = true): no work tree */
    char bare[600];
    snprintf(bare, sizeof bare, "%s/bare.git", tmp);
    shq("git clone -q --bare '%s' '%s'", dir, bare);
    gr_repo *r = NULL;
    assert_int_equal(gr_open(&r, bare), GR_OK);
    assert_null(gr_workdir(r));
    gr_free(r);
    assert_true(check_all_objects(bare) > 40);
}

/* An object whose bytes do not hash to its name is refused, not returned. */
static void test_corrupt_object(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/corrupt", tmp);
    shq("set -e; git init -q '%s'; cd '%s'; echo a > a; git add a; git commit -qm a", dir, dir);
    char *blob = rs_test_sh(NULL, "git -C '%s' rev-parse HEAD:a", dir);
    const char *fake = "0123456789abcdef0123456789abcdef01234567";
    char *o = rs_test_sh(NULL,
                         "mkdir -p '%s/.git/objects/01' && cp '%s/.git/objects/%.2s/%s' "
                         "'%s/.git/objects/01/23456789abcdef0123456789abcdef01234567'",
                         dir, dir, blob, blob + 2, dir);
    rs_free(o);
    gr_repo *r = NULL;
    unsigned char oid[GR_OID_SIZE], *data = NULL;
    size_t len = 0;
    assert_int_equal(gr_open(&r, dir), GR_OK);
    assert_int_equal(gr_oid_from_hex(oid, fake, GR_HEX_SIZE), GR_OK);
    assert_int_equal(gr_read(&data, &len, NULL, r, oid, 0), GR_CORRUPT);
    assert_null(data);
    /* a truncated loose object */
    o = rs_test_sh(NULL,
                   "f='%s/.git/objects/%.2s/%s'; chmod u+w \"$f\"; head -c 8 \"$f\" > \"$f.t\"; "
                   "mv \"$f.t\" \"$f\"",
                   dir, blob, blob + 2);
    rs_free(o);
    assert_int_equal(gr_oid_from_hex(oid, blob, GR_HEX_SIZE), GR_OK);
    assert_int_not_equal(gr_read(&data, &len, NULL, r, oid, 0), GR_OK);
    assert_null(data);
    gr_free(r);
    rs_free(blob);
}

/* Each case the reader leaves to libgit2. */
static void test_fallback_cases(void **state)
{
    (void)state;
    char base[512], d[700];
    snprintf(base, sizeof base, "%s/fb", tmp);
    make_repo(base);
    gr_repo *r = NULL;
    struct {
        const char *name, *setup; /* setup: run with $B the base repo and $D the case's dir */
    } cases[] = {
        {"worktree", "git -C \"$B\" worktree add -q \"$D\" feature"},
        {"alternates", "git clone -q --shared \"$B\" \"$D\""},
        {"shallow", "git clone -q --depth 1 \"file://$B\" \"$D\""},
        {"grafts", "git clone -q \"$B\" \"$D\" && echo > \"$D/.git/info/grafts\""},
        {"extensions", "git clone -q \"$B\" \"$D\" && git -C \"$D\" config "
                       "core.repositoryformatversion 1 && git -C \"$D\" config "
                       "extensions.objectformat sha1"},
        {"sha256", "git init -q --object-format=sha256 \"$D\" 2>/dev/null || (git init -q \"$D\" "
                   "&& git -C \"$D\" config extensions.objectformat sha256)"},
        {"core.worktree", "git clone -q \"$B\" \"$D\" && git -C \"$D\" config core.worktree "
                          "\"$D\""},
        {"include", "git clone -q \"$B\" \"$D\" && git -C \"$D\" config include.path /dev/null"},
        {"quoted core value", "git clone -q \"$B\" \"$D\" && printf '[core]\\n\\tbare = "
                              "\"false\"\\n' >> \"$D/.git/config\""},
        {"bare not marked bare", "git clone -q --bare \"$B\" \"$D\" && git -C \"$D\" config "
                                 "core.bare false"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(d, sizeof d, "%s/case%zu", tmp, i);
        char *o = rs_test_sh(NULL, "B='%s'; D='%s'; %s", base, d, cases[i].setup);
        rs_free(o);
        int rc = gr_open(&r, d);
        if (rc != GR_UNSUPPORTED)
            print_error("case %s: gr_open %d, want GR_UNSUPPORTED\n", cases[i].name, rc);
        assert_int_equal(rc, GR_UNSUPPORTED);
        assert_null(r);
    }
    /* environment variables git would honour */
    setenv("GIT_DIR", "/nonexistent", 1);
    assert_int_equal(gr_open(&r, base), GR_UNSUPPORTED);
    unsetenv("GIT_DIR");
    /* not a repository at all: libgit2 words the refusal */
    snprintf(d, sizeof d, "%s/plain", tmp);
    shq("mkdir -p '%s'%s", d, "");
    assert_int_equal(gr_open(&r, d), GR_UNSUPPORTED);
    /* the base itself, and a subdirectory of it, are handled */
    assert_int_equal(gr_open(&r, base), GR_OK);
    gr_free(r);
    snprintf(d, sizeof d, "%s/prompts/team", base);
    assert_int_equal(gr_open(&r, d), GR_OK);
    gr_free(r);
}

/* Through the registry: a handle the native reader serves and one libgit2 serves (a linked
   worktree and a --shared clone of the same registry) resolve and read the same. */
static void test_registry_both_ways(void **state)
{
    (void)state;
    char dir[512], wt[600], shared[600];
    snprintf(dir, sizeof dir, "%s/reg", tmp);
    snprintf(wt, sizeof wt, "%s/reg-wt", tmp);
    snprintf(shared, sizeof shared, "%s/reg-shared", tmp);
    shq("set -e; git init -q -b main '%s'; cd '%s'; echo 'version: 1' > rosetta.yaml; mkdir "
        "prompts;"
        "printf -- '---\\nmodel: m/x\\n---\\nHello {{> greet}} one\\n' > prompts/p.prompt;"
        "echo hi > prompts/_greet.prompt; printf 'variant\\n' > prompts/p.fast.prompt;"
        "git add -A; git commit -qm one; sed -i 's/one/two/' prompts/p.prompt; git commit -qam two;"
        "c=$(git rev-parse HEAD~1); printf 'p:\\n  production: \"%%s\"\\n' $c > labels.yaml;"
        "git add labels.yaml; git commit -qm labels; git gc -q; echo x >> prompts/_greet.prompt;"
        "git commit -qam partial; git tag -a t1 -m t HEAD~1",
        dir, dir);
    shq("git -C '%s' worktree add -q --detach '%s' main", dir, wt);
    shq("git clone -q --shared '%s' '%s'", dir, shared);
    gr_repo *r = NULL;
    assert_int_equal(gr_open(&r, dir), GR_OK);
    gr_free(r);
    char *tag = rs_test_sh(NULL, "git -C '%s' rev-parse t1", dir);
    char *head1 = rs_test_sh(NULL, "git -C '%s' rev-parse HEAD~1", dir);
    char tagref[100], idref[100];
    snprintf(tagref, sizeof tagref, "p@%s", tag); /* an annotated tag's id, peeled */
    snprintf(idref, sizeof idref, "p@%s", head1);
    const char *refs[] = {"p", "p@production", "p@v1", "p@v2", tagref, idref, "p@t1", "p@main"};
    const char *dirs[] = {dir, wt, shared};
    char *want_commit[8] = {0}, *want_src[8] = {0}, *want_json[8] = {0};
    for (size_t d = 0; d < 3; d++) {
        rs_registry *reg = NULL;
        rs_error err = RS_ERROR_INIT;
        assert_rs_ok(rs_registry_open(&reg, dirs[d], &err), &err);
        for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
            rs_registry_ref *ref = NULL;
            char *src = NULL, *json = NULL;
            size_t len = 0;
            assert_rs_ok(rs_registry_resolve(&ref, reg, refs[i], &err), &err);
            assert_rs_ok(rs_registry_read(&src, &len, reg, ref, NULL, &err), &err);
            assert_rs_ok(rs_registry_render(&json, NULL, reg, refs[i], NULL, &err), &err);
            if (d == 0) {
                want_commit[i] = rs_strdup(rs_registry_ref_commit(ref));
                want_src[i] = src;
                want_json[i] = json;
                size_t glen = 0;
                char *git =
                    rs_test_sh(&glen, "git -C '%s' show %s:prompts/p.prompt", dir, want_commit[i]);
                assert_int_equal(len, glen);
                assert_string_equal(src, git);
                rs_free(git);
            } else {
                assert_string_equal(rs_registry_ref_commit(ref), want_commit[i]);
                assert_string_equal(src, want_src[i]);
                assert_string_equal(json, want_json[i]);
                rs_free(src);
                rs_free(json);
            }
            rs_registry_ref_free(ref);
        }
        /* the same refusal either way */
        rs_registry_ref *ref = NULL;
        assert_int_equal(rs_registry_resolve(&ref, reg, "nope@production", &err), RS_ENOTFOUND);
        assert_int_equal(rs_registry_resolve(&ref, reg, "p@staging", &err), RS_ENOTFOUND);
        rs_registry_free(reg);
    }
    for (size_t i = 0; i < 8; i++) {
        rs_free(want_commit[i]);
        rs_free(want_src[i]);
        rs_free(want_json[i]);
    }
    rs_free(tag);
    rs_free(head1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loose_then_packed),
        cmocka_unit_test(test_corrupt_object),
        cmocka_unit_test(test_fallback_cases),
        cmocka_unit_test(test_registry_both_ways),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
