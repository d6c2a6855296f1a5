/*
 * registry/gitread.h - a small, read-only reader of git repositories: refs (HEAD, loose refs,
 * packed-refs), loose and packed objects (pack .idx v2, OFS_DELTA / REF_DELTA chains), commits'
 * trees and trees' entries. SHA-1 repositories only.
 *
 * Why: opening libgit2 costs a process ~5 ms before it reads anything (Debian's libgit2 parses
 * the system's CA bundle in git_libgit2_init), several times what `git show` takes in all. The
 * read-only commands (render, show of NAME@LABEL) need only what this file declares.
 *
 * It is a fast path, never a second opinion: anything it does not handle exactly as git does
 * (worktree .git files, alternates, shallow or grafted history, extensions, odd config, pack or
 * index versions it does not know, objects above a size cap, delta chains above a depth cap) is
 * GR_UNSUPPORTED, an object it cannot find is GR_NOTFOUND and one that fails any check is
 * GR_CORRUPT; the registry then asks libgit2, which gives the answer and the error message. An
 * object is returned only after its SHA-1 matched the id asked for, as libgit2 checks too.
 *
 * Inputs are untrusted: every parser bounds-checks (tests/fuzz/fuzz_gitread.c).
 */
#ifndef RS_REGISTRY_GITREAD_H
#define RS_REGISTRY_GITREAD_H

#include <stddef.h>
#include <stdint.h>

#define GR_OID_SIZE 20
#define GR_HEX_SIZE 40
/* Caps of the fast path (beyond them libgit2 reads the object). */
#define GR_MAX_OBJECT ((size_t)64 << 20)
#define GR_MAX_DELTA_DEPTH 512

/* GR_NOTFOUND: an object or ref this reader did not find (libgit2 may: ask it). GR_NOPATH: the
   commit's (hash-checked) trees have no such path, a definitive answer. */
enum gr_status {
    GR_OK = 0,
    GR_NOTFOUND = -1,
    GR_UNSUPPORTED = -2,
    GR_CORRUPT = -3,
    GR_NOMEM = -4,
    GR_NOPATH = -5
};

/* Object types as pack entries number them (loose headers use the names). */
enum gr_type {
    GR_COMMIT = 1,
    GR_TREE = 2,
    GR_BLOB = 3,
    GR_TAG = 4,
    GR_OFS_DELTA = 6,
    GR_REF_DELTA = 7
};

/* ---- parsers of object and pack bytes (gitread_parse.c, gitread_delta.c): no I/O ---- */

/* 40 hex digits (either case) to 20 bytes. 0 or GR_CORRUPT. */
int gr_oid_from_hex(unsigned char oid[GR_OID_SIZE], const char *hex, size_t len);
void gr_oid_to_hex(char hex[GR_HEX_SIZE + 1], const unsigned char oid[GR_OID_SIZE]);

/* A loose object's inflated header "TYPE SIZE\0": *type, *size and *hdrlen (bytes through the
   NUL). Sizes above GR_MAX_OBJECT are GR_UNSUPPORTED. */
int gr_loose_header(int *type, size_t *size, size_t *hdrlen, const unsigned char *p, size_t n);

/* A pack entry's header (type in bits 4-6 of the first byte, size in 7-bit groups). */
int gr_pack_entry_header(int *type, size_t *size, size_t *hdrlen, const unsigned char *p, size_t n);
/* The negative offset of an OFS_DELTA base (git's big-endian base-128 "offset - 1" encoding). */
int gr_ofs_delta_distance(uint64_t *dist, size_t *used, const unsigned char *p, size_t n);

/* The tree id of a commit ("tree HEX\n" first line). */
int gr_commit_tree(unsigned char tree[GR_OID_SIZE], const unsigned char *p, size_t n);
/* The object an annotated tag points at ("object HEX\ntype NAME\n"). */
int gr_tag_target(unsigned char oid[GR_OID_SIZE], int *type, const unsigned char *p, size_t n);

/* One tree entry: mode (octal), name (not NUL-terminated), id; type from the mode as git does
   (040000 tree, 160000 commit, anything else blob). */
typedef struct gr_tree_entry {
    unsigned mode;
    int type;
    const char *name;
    size_t name_len;
    const unsigned char *oid;
} gr_tree_entry;

/* The entry at *pos in a tree body, advancing *pos: 1 an entry, 0 the end, GR_CORRUPT. */
int gr_tree_next(gr_tree_entry *e, const unsigned char *tree, size_t n, size_t *pos);
/* The entry named (name, len): 0, GR_NOTFOUND, GR_CORRUPT. */
int gr_tree_find(gr_tree_entry *e, const unsigned char *tree, size_t n, const char *name,
                 size_t len);

/* A delta (git's copy/insert instructions) applied to base: *out (rs_malloc, NUL-appended) of
 *out_len bytes. The declared sizes must match and stay under GR_MAX_OBJECT. */
int gr_delta_apply(unsigned char **out, size_t *out_len, const unsigned char *base, size_t base_len,
                   const unsigned char *delta, size_t delta_len);

/* ---- a pack in memory (gitread_pack.c) ---- */

typedef struct gr_pack {
    const unsigned char *idx, *pack; /* the .idx (v2) and .pack bytes */
    size_t idx_len, pack_len;
    uint32_t count; /* objects, from the index */
} gr_pack;

/* Check an index and pack (signatures, versions, sizes, fan-out, matching checksums). */
int gr_pack_check(gr_pack *p, const unsigned char *idx, size_t idx_len, const unsigned char *pack,
                  size_t pack_len);
/* The offset of oid in the pack, or GR_NOTFOUND. */
int gr_pack_find(uint64_t *offset, const gr_pack *p, const unsigned char oid[GR_OID_SIZE]);
/* The object at offset with its delta chain resolved (bases in the same pack only): *data
   (rs_malloc, NUL-appended), *len, *type. Not hash-checked (the caller checks against the id). */
int gr_pack_read(unsigned char **data, size_t *len, int *type, const gr_pack *p, uint64_t offset);

/* zlib inflate of exactly want bytes from (in, in_len); *used (may be NULL) the input consumed. */
int gr_inflate(unsigned char *out, size_t want, const unsigned char *in, size_t in_len,
               size_t *used);

/* ---- a repository (gitread_repo.c, gitread_refs.c, gitread_odb.c) ---- */

typedef struct gr_repo gr_repo;

/*
 * Find the repository at or above dir as libgit2's git_repository_open_ext(dir, 0) would, but
 * only in the plain cases: DIR/.git a directory (a work tree) or DIR a bare repository whose
 * config says core.bare = true, with a config that has no extensions, no core.worktree and no
 * includes, owned by this user, without alternates, grafts, shallow or commondir. Anything else
 * is GR_UNSUPPORTED (the caller asks libgit2). GR_NOMEM.
 */
int gr_open(gr_repo **out, const char *dir);
void gr_free(gr_repo *r);
/* The git directory and work tree with a trailing '/', as libgit2 prints them (realpath);
   workdir is NULL for a bare repository. Borrowed for r's life. */
const char *gr_gitdir(const gr_repo *r);
const char *gr_workdir(const gr_repo *r);

/* HEAD's commit id; *branch (rs_malloc, may be NULL) "refs/heads/X" when HEAD names a branch, else
   NULL (detached). Unborn HEAD is GR_NOTFOUND. */
int gr_head(unsigned char oid[GR_OID_SIZE], char **branch, gr_repo *r);

/* The object oid: *data (rs_malloc, NUL-appended; rs_free), *len, *type. want_type 0 = any, else a
   different type is GR_NOTFOUND. */
int gr_read(unsigned char **data, size_t *len, int *type, gr_repo *r,
            const unsigned char oid[GR_OID_SIZE], int want_type);

/* The entry at path ("a/b/c", no leading or doubled '/') in commit's tree; *type as
   gr_tree_entry. GR_NOPATH when no such path exists (or a component is not a tree). */
int gr_path_at(unsigned char oid_out[GR_OID_SIZE], int *type, gr_repo *r,
               const unsigned char commit[GR_OID_SIZE], const char *path);

#endif
