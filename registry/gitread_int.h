/*
 * registry/gitread_int.h - what the native reader's files share: the repository handle.
 */
#ifndef RS_REGISTRY_GITREAD_INT_H
#define RS_REGISTRY_GITREAD_INT_H

#include "registry/gitread.h"

struct gr_mapped_pack {
    void *idx_map, *pack_map; /* mmap'd files */
    size_t idx_len, pack_len;
    gr_pack pack;
};

#define GR_CACHE 8

struct gr_cached {
    unsigned char oid[GR_OID_SIZE];
    int type;
    unsigned char *data;
    size_t len;
};

struct gr_repo {
    char *gitdir;  /* "/abs/.git/" */
    char *workdir; /* "/abs/" or NULL when bare */
    int packs_loaded;
    struct gr_mapped_pack *packs;
    size_t npacks;
    struct gr_cached cache[GR_CACHE]; /* recently read objects (trees are read repeatedly) */
    size_t cache_next;
};

/* Read a whole small file (*data rs_malloc'd, NUL-appended). GR_NOTFOUND when it does not exist,
   GR_UNSUPPORTED when it is not a regular file or is larger than max. */
int gr_read_file(char **data, size_t *len, const char *path, size_t max);

/* Release the object store's packs and cache (gitread_odb.c). */
void gr_odb_free(gr_repo *r);

#endif
