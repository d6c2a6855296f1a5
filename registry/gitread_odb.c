/*
 * registry/gitread_odb.c - the object store: packs under objects/pack (mapped on first use) and
 * loose objects under objects/XX/, each object checked against its id before it is returned,
 * and a small cache of recent objects (a render reads the same trees several times).
 */
#include "registry/gitread_int.h"

#include "util/alloc.h"
#include "util/sha1.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char *type_name(int type)
{
    switch (type) {
    case GR_COMMIT:
        return "commit";
    case GR_TREE:
        return "tree";
    case GR_BLOB:
        return "blob";
    case GR_TAG:
        return "tag";
    default:
        return NULL;
    }
}

/* The id git gives (type, data): SHA-1 of "TYPE SIZE\0DATA". */
static int hash_matches(const unsigned char oid[GR_OID_SIZE], int type, const unsigned char *data,
                        size_t len)
{
    const char *tn = type_name(type);
    if (!tn)
        return 0;
    char hdr[64];
    int n = snprintf(hdr, sizeof hdr, "%s %zu", tn, len);
    if (n < 0 || (size_t)n >= sizeof hdr)
        return 0;
    rs_sha1 s;
    unsigned char got[RS_SHA1_SIZE];
    rs_sha1_init(&s);
    rs_sha1_update(&s, hdr, (size_t)n + 1);
    rs_sha1_update(&s, data, len);
    rs_sha1_final(&s, got);
    return memcmp(got, oid, GR_OID_SIZE) == 0;
}

int gr_read_file(char **data, size_t *len, const char *path, size_t max)
{
    *data = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? GR_NOTFOUND : GR_UNSUPPORTED;
    struct stat st;
    int rc = GR_UNSUPPORTED;
    char *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max)
        goto done;
    size_t size = (size_t)st.st_size, got = 0;
    if (!(buf = rs_malloc(size + 1))) {
        rc = GR_NOMEM;
        goto done;
    }
    while (got < size) {
        ssize_t k = read(fd, buf + got, size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            goto done; /* an error, or the file shrank: let libgit2 read it */
        got += (size_t)k;
    }
    buf[size] = '\0';
    *data = buf;
    *len = size;
    buf = NULL;
    rc = GR_OK;
done:
    rs_free(buf);
    close(fd);
    return rc;
}

static int map_file(void **map, size_t *len, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return GR_UNSUPPORTED;
    struct stat st;
    int rc = GR_UNSUPPORTED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            *map = m;
            *len = (size_t)st.st_size;
            rc = GR_OK;
        }
    }
    close(fd);
    return rc;
}

/* Map every pack whose index and pack pass gr_pack_check. A pack that does not is skipped: its
   objects are then "not found" here and libgit2 is asked for them. */
static int load_packs(gr_repo *r)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%sobjects/pack", r->gitdir);
    r->packs_loaded = 1;
    if (n < 0 || (size_t)n >= sizeof dir)
        return GR_UNSUPPORTED;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? GR_OK : GR_UNSUPPORTED;
    struct dirent *e;
    int rc = GR_OK;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".idx") != 0)
            continue;
        char ipath[4096], ppath[4096];
        n = snprintf(ipath, sizeof ipath, "%s/%s", dir, e->d_name);
        int m = snprintf(ppath, sizeof ppath, "%s/%.*s.pack", dir, (int)(len - 4), e->d_name);
        if (n < 0 || (size_t)n >= sizeof ipath || m < 0 || (size_t)m >= sizeof ppath)
            continue;
        struct gr_mapped_pack mp;
        memset(&mp, 0, sizeof mp);
        if (map_file(&mp.idx_map, &mp.idx_len, ipath) != GR_OK)
            continue;
        if (map_file(&mp.pack_map, &mp.pack_len, ppath) != GR_OK ||
            gr_pack_check(&mp.pack, mp.idx_map, mp.idx_len, mp.pack_map, mp.pack_len) != GR_OK) {
            munmap(mp.idx_map, mp.idx_len);
            if (mp.pack_map)
                munmap(mp.pack_map, mp.pack_len);
            continue;
        }
        struct gr_mapped_pack *grown = rs_realloc(r->packs, (r->npacks + 1) * sizeof *grown);
        if (!grown) {
            munmap(mp.idx_map, mp.idx_len);
            munmap(mp.pack_map, mp.pack_len);
            rc = GR_NOMEM;
            break;
        }
        r->packs = grown;
        r->packs[r->npacks++] = mp;
    }
    closedir(d);
    return rc;
}

void gr_odb_free(gr_repo *r)
{
    for (size_t i = 0; i < r->npacks; i++) {
        munmap(r->packs[i].idx_map, r->packs[i].idx_len);
        munmap(r->packs[i].pack_map, r->packs[i].pack_len);
    }
    rs_free(r->packs);
    r->packs = NULL;
    r->npacks = 0;
    for (size_t i = 0; i < GR_CACHE; i++) {
        rs_free(r->cache[i].data);
        r->cache[i].data = NULL;
    }
}

/* A loose object: a zlib stream of "TYPE SIZE\0" and the data. */
static int read_loose(unsigned char **data, size_t *len, int *type, gr_repo *r,
                      const unsigned char oid[GR_OID_SIZE])
{
    char hex[GR_HEX_SIZE + 1], path[4096];
    gr_oid_to_hex(hex, oid);
    int n = snprintf(path, sizeof path, "%sobjects/%.2s/%s", r->gitdir, hex, hex + 2);
    if (n < 0 || (size_t)n >= sizeof path)
        return GR_UNSUPPORTED;
    char *file = NULL;
    size_t flen = 0;
    int rc = gr_read_file(&file, &flen, path, GR_MAX_OBJECT);
    if (rc)
        return rc;
    unsigned char head[32], *out = NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) {
        rs_free(file);
        return GR_NOMEM;
    }
    z.next_in = (unsigned char *)file;
    z.avail_in = (uInt)flen;
    z.next_out = head;
    z.avail_out = sizeof head;
    int zrc = inflate(&z, Z_NO_FLUSH);
    size_t got = sizeof head - z.avail_out, size = 0, hl = 0;
    rc = GR_CORRUPT;
    if ((zrc != Z_OK && zrc != Z_STREAM_END) || !memchr(head, '\0', got) ||
        (rc = gr_loose_header(type, &size, &hl, head, got)) != GR_OK)
        goto done;
    rc = GR_CORRUPT;
    if (got - hl > size)
        goto done;
    if (!(out = rs_malloc(size + 1))) {
        rc = GR_NOMEM;
        goto done;
    }
    memcpy(out, head + hl, got - hl);
    if (zrc != Z_STREAM_END) {
        z.next_out = out + (got - hl);
        z.avail_out = (uInt)(size - (got - hl) + 1); /* a spare byte catches overlong data */
        zrc = inflate(&z, Z_FINISH);
    }
    if (zrc != Z_STREAM_END || (size_t)z.total_out != hl + size)
        goto done;
    out[size] = '\0';
    *data = out;
    *len = size;
    out = NULL;
    rc = GR_OK;
done:
    inflateEnd(&z);
    rs_free(out);
    rs_free(file);
    return rc;
}

/* The object, borrowed from the cache (valid until GR_CACHE further reads). */
static int read_cached(const struct gr_cached **out, gr_repo *r,
                       const unsigned char oid[GR_OID_SIZE])
{
    for (size_t i = 0; i < GR_CACHE; i++)
        if (r->cache[i].data && memcmp(r->cache[i].oid, oid, GR_OID_SIZE) == 0) {
            *out = &r->cache[i];
            return GR_OK;
        }
    int rc = GR_OK;
    if (!r->packs_loaded && (rc = load_packs(r)))
        return rc;
    unsigned char *data = NULL;
    size_t len = 0;
    int type = 0;
    rc = GR_NOTFOUND;
    for (size_t i = 0; i < r->npacks && rc == GR_NOTFOUND; i++) {
        uint64_t off;
        rc = gr_pack_find(&off, &r->packs[i].pack, oid);
        if (rc == GR_OK)
            rc = gr_pack_read(&data, &len, &type, &r->packs[i].pack, off);
    }
    if (rc == GR_NOTFOUND)
        rc = read_loose(&data, &len, &type, r, oid);
    if (rc)
        return rc;
    if (!hash_matches(oid, type, data, len)) {
        rs_free(data);
        return GR_CORRUPT;
    }
    struct gr_cached *c = &r->cache[r->cache_next++ % GR_CACHE];
    rs_free(c->data);
    memcpy(c->oid, oid, GR_OID_SIZE);
    c->type = type;
    c->data = data;
    c->len = len;
    *out = c;
    return GR_OK;
}

int gr_read(unsigned char **data, size_t *len, int *type, gr_repo *r,
            const unsigned char oid[GR_OID_SIZE], int want_type)
{
    const struct gr_cached *c = NULL;
    *data = NULL;
    int rc = read_cached(&c, r, oid);
    if (rc)
        return rc;
    if (want_type && c->type != want_type)
        return GR_NOTFOUND;
    unsigned char *copy = rs_malloc(c->len + 1);
    if (!copy)
        return GR_NOMEM;
    memcpy(copy, c->data, c->len + 1);
    *data = copy;
    *len = c->len;
    if (type)
        *type = c->type;
    return GR_OK;
}

int gr_path_at(unsigned char oid_out[GR_OID_SIZE], int *type, gr_repo *r,
               const unsigned char commit[GR_OID_SIZE], const char *path)
{
    const struct gr_cached *c = NULL;
    unsigned char cur[GR_OID_SIZE];
    int rc = read_cached(&c, r, commit);
    if (rc)
        return rc;
    if (c->type != GR_COMMIT)
        return GR_UNSUPPORTED;
    if ((rc = gr_commit_tree(cur, c->data, c->len)))
        return rc;
    const char *p = path;
    if (!*p)
        return GR_UNSUPPORTED;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0)
            return GR_UNSUPPORTED;
        if ((rc = read_cached(&c, r, cur)))
            return rc;
        if (c->type != GR_TREE)
            return GR_CORRUPT;
        gr_tree_entry e;
        if ((rc = gr_tree_find(&e, c->data, c->len, p, n)))
            return rc == GR_NOTFOUND ? GR_NOPATH : rc;
        memcpy(cur, e.oid, GR_OID_SIZE);
        if (!slash) {
            memcpy(oid_out, cur, GR_OID_SIZE);
            *type = e.type;
            return GR_OK;
        }
        if (e.type != GR_TREE)
            return GR_NOPATH;
        p = slash + 1;
    }
}
