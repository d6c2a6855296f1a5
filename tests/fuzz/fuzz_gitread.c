/*
 * tests/fuzz/fuzz_gitread.c - libFuzzer target for the native git reader's parsers of untrusted
 * bytes (registry/gitread_*.c): loose object headers, pack entry headers and OFS_DELTA
 * distances, commits, tags, trees, deltas, zlib streams, and a whole pack + .idx read with delta
 * chains. Any input must end in a value or a status, never a crash, a leak or a hang.
 *
 * The first byte chooses what the rest is (so one corpus reaches every parser):
 *   0 loose header, 1 pack entry header + OFS distance, 2 commit, 3 tag, 4 tree,
 *   5 delta: [base length (2 bytes)][base][delta], 6 zlib stream,
 *   7 pack: [idx length (4 bytes)][idx][pack], every object of the index read.
 *   scripts/fuzz.sh runs it with tests/fuzz/corpus/gitread/ as the seed corpus.
 */
#include "registry/gitread.h"
#include "util/alloc.h"

#include <stdint.h>
#include <string.h>

static void check_pack(const uint8_t *p, size_t n)
{
    if (n < 4)
        return;
    size_t il = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    p += 4;
    n -= 4;
    if (il > n)
        return;
    gr_pack pk;
    if (gr_pack_check(&pk, p, il, p + il, n - il) != GR_OK)
        return;
    /* every id the index lists, found and read (ids in the index follow the fan-out) */
    const uint8_t *ids = p + 8 + 256 * 4;
    for (uint32_t i = 0; i < pk.count && i < 64; i++) {
        uint64_t off;
        if (gr_pack_find(&off, &pk, ids + (size_t)i * GR_OID_SIZE) != GR_OK)
            continue;
        unsigned char *data = NULL;
        size_t len = 0;
        int type = 0;
        if (gr_pack_read(&data, &len, &type, &pk, off) == GR_OK) {
            if (type < GR_COMMIT || type > GR_TAG || data[len] != '\0')
                __builtin_trap();
            rs_free(data);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    int type = 0;
    size_t sz = 0, hl = 0;
    unsigned char oid[GR_OID_SIZE];
    switch (data[0] % 8) {
    case 0:
        if (gr_loose_header(&type, &sz, &hl, p, n) == GR_OK && (hl > n || p[hl - 1] != '\0'))
            __builtin_trap();
        break;
    case 1: {
        uint64_t dist;
        size_t used;
        if (gr_pack_entry_header(&type, &sz, &hl, p, n) == GR_OK && hl > n)
            __builtin_trap();
        if (gr_ofs_delta_distance(&dist, &used, p, n) == GR_OK && used > n)
            __builtin_trap();
        break;
    }
    case 2:
        (void)gr_commit_tree(oid, p, n);
        break;
    case 3:
        (void)gr_tag_target(oid, &type, p, n);
        break;
    case 4: {
        gr_tree_entry e;
        size_t pos = 0;
        int rc;
        while ((rc = gr_tree_next(&e, p, n, &pos)) == 1)
            if (pos > n || e.name + e.name_len > (const char *)p + n)
                __builtin_trap();
        (void)gr_tree_find(&e, p, n, "prompts", 7);
        break;
    }
    case 5: {
        if (n < 2)
            break;
        size_t bl = (size_t)p[0] << 8 | p[1];
        if (bl > n - 2)
            break;
        unsigned char *out = NULL;
        size_t ol = 0;
        if (gr_delta_apply(&out, &ol, p + 2, bl, p + 2 + bl, n - 2 - bl) == GR_OK) {
            if (out[ol] != '\0')
                __builtin_trap();
            rs_free(out);
        }
        break;
    }
    case 6: {
        unsigned char out[4097];
        size_t want = n ? p[0] * 16u : 0, used = 0;
        if (n && gr_inflate(out, want, p + 1, n - 1, &used) == GR_OK && used > n - 1)
            __builtin_trap();
        break;
    }
    default:
        check_pack(p, n);
        break;
    }
    return 0;
}
