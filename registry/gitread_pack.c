/*
 * registry/gitread_pack.c - reading objects from a pack held in memory: the v2 index (fan-out,
 * sorted ids, 32-bit offsets with a table of 64-bit ones), entry headers, zlib streams, and
 * delta chains resolved base first. Both files are untrusted: every offset is checked before it
 * is read, a chain is at most GR_MAX_DELTA_DEPTH long and every size at most GR_MAX_OBJECT.
 */
#include "registry/gitread.h"

#include "util/alloc.h"

#include <string.h>
#include <zlib.h>

#define IDX_HEADER 8
#define IDX_FANOUT (256 * 4)
#define PACK_HEADER 12

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int gr_pack_check(gr_pack *p, const unsigned char *idx, size_t idx_len, const unsigned char *pack,
                  size_t pack_len)
{
    static const unsigned char idx_magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
    memset(p, 0, sizeof *p);
    if (idx_len < IDX_HEADER + IDX_FANOUT + 2 * GR_OID_SIZE)
        return GR_CORRUPT;
    if (memcmp(idx, idx_magic, 4) != 0)
        return GR_UNSUPPORTED; /* a v1 index */
    if (memcmp(idx, idx_magic, 8) != 0)
        return GR_UNSUPPORTED;
    uint32_t prev = 0;
    for (int i = 0; i < 256; i++) {
        uint32_t f = be32(idx + IDX_HEADER + 4 * i);
        if (f < prev)
            return GR_CORRUPT;
        prev = f;
    }
    uint64_t n = prev;
    uint64_t fixed = IDX_HEADER + IDX_FANOUT + n * (GR_OID_SIZE + 4 + 4) + 2 * GR_OID_SIZE;
    if (fixed > idx_len || (idx_len - fixed) % 8 != 0)
        return GR_CORRUPT;
    if (pack_len < PACK_HEADER + GR_OID_SIZE || memcmp(pack, "PACK", 4) != 0)
        return GR_CORRUPT;
    uint32_t version = be32(pack + 4);
    if (version != 2 && version != 3)
        return GR_UNSUPPORTED;
    if (be32(pack + 8) != n)
        return GR_CORRUPT;
    /* the index names the pack it indexes by the pack's trailing checksum */
    if (memcmp(idx + idx_len - 2 * GR_OID_SIZE, pack + pack_len - GR_OID_SIZE, GR_OID_SIZE) != 0)
        return GR_CORRUPT;
    p->idx = idx;
    p->idx_len = idx_len;
    p->pack = pack;
    p->pack_len = pack_len;
    p->count = (uint32_t)n;
    return GR_OK;
}

int gr_pack_find(uint64_t *offset, const gr_pack *p, const unsigned char oid[GR_OID_SIZE])
{
    const unsigned char *fan = p->idx + IDX_HEADER;
    uint32_t lo = oid[0] ? be32(fan + 4 * (oid[0] - 1)) : 0, hi = be32(fan + 4 * oid[0]);
    const unsigned char *ids = fan + IDX_FANOUT;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = memcmp(ids + (size_t)mid * GR_OID_SIZE, oid, GR_OID_SIZE);
        if (c == 0) {
            const unsigned char *offs = ids + (size_t)p->count * (GR_OID_SIZE + 4);
            uint32_t o = be32(offs + (size_t)mid * 4);
            if (o & 0x80000000u) {
                /* an index into the 64-bit offsets that follow the 32-bit ones */
                size_t big = (size_t)(o & 0x7fffffffu);
                const unsigned char *bigs = offs + (size_t)p->count * 4;
                size_t nbig = (size_t)(p->idx + p->idx_len - 2 * GR_OID_SIZE - bigs) / 8;
                if (big >= nbig)
                    return GR_CORRUPT;
                *offset = (uint64_t)be32(bigs + 8 * big) << 32 | be32(bigs + 8 * big + 4);
            } else {
                *offset = o;
            }
            return GR_OK;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return GR_NOTFOUND;
}

int gr_inflate(unsigned char *out, size_t want, const unsigned char *in, size_t in_len,
               size_t *used)
{
    /* one spare output byte (callers allocate want + 1 for the NUL) tells a stream longer than
       declared from one that ends exactly */
    if (want >= GR_MAX_OBJECT + 1)
        return GR_UNSUPPORTED;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return GR_NOMEM;
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)(in_len > UINT32_MAX ? UINT32_MAX : in_len);
    z.next_out = out;
    z.avail_out = (uInt)(want + 1);
    int zrc = inflate(&z, Z_FINISH);
    size_t got = (size_t)z.total_out, consumed = (size_t)z.total_in;
    inflateEnd(&z);
    if (zrc != Z_STREAM_END || got != want)
        return GR_CORRUPT;
    out[want] = '\0';
    if (used)
        *used = consumed;
    return GR_OK;
}

/* The entry at off: its type, size and where its data (or delta base reference) starts. */
static int entry_at(int *type, size_t *size, size_t *data, const gr_pack *p, uint64_t off)
{
    size_t end = p->pack_len - GR_OID_SIZE, hl;
    if (off < PACK_HEADER || off >= end)
        return GR_CORRUPT;
    int rc = gr_pack_entry_header(type, size, &hl, p->pack + off, end - (size_t)off);
    if (rc)
        return rc;
    *data = (size_t)off + hl;
    return GR_OK;
}

static int inflate_at(unsigned char **out, const gr_pack *p, size_t at, size_t size)
{
    size_t end = p->pack_len - GR_OID_SIZE;
    if (at >= end)
        return GR_CORRUPT;
    unsigned char *buf = rs_malloc(size + 1);
    if (!buf)
        return GR_NOMEM;
    int rc = gr_inflate(buf, size, p->pack + at, end - at, NULL);
    if (rc) {
        rs_free(buf);
        return rc;
    }
    *out = buf;
    return GR_OK;
}

struct link {
    size_t data, size; /* a delta's zlib data and its inflated size */
};

int gr_pack_read(unsigned char **data, size_t *len, int *type, const gr_pack *p, uint64_t offset)
{
    struct link chain[GR_MAX_DELTA_DEPTH];
    size_t depth = 0, size, at;
    int t, rc;
    unsigned char *cur = NULL;
    *data = NULL;
    /* follow the chain down to its base, remembering each delta on the way */
    for (;;) {
        if ((rc = entry_at(&t, &size, &at, p, offset)))
            return rc;
        if (t >= GR_COMMIT && t <= GR_TAG)
            break;
        if (depth == GR_MAX_DELTA_DEPTH)
            return GR_UNSUPPORTED;
        size_t end = p->pack_len - GR_OID_SIZE;
        if (t == GR_OFS_DELTA) {
            uint64_t dist;
            size_t used;
            if ((rc = gr_ofs_delta_distance(&dist, &used, p->pack + at, end - at)))
                return rc;
            if (dist == 0 || dist > offset)
                return GR_CORRUPT;
            chain[depth].data = at + used;
            chain[depth++].size = size;
            offset -= dist;
        } else { /* GR_REF_DELTA: the base by id, in this pack (a thin pack's bases are not) */
            if (end - at < GR_OID_SIZE)
                return GR_CORRUPT;
            uint64_t base;
            if ((rc = gr_pack_find(&base, p, p->pack + at)))
                return rc == GR_NOTFOUND ? GR_UNSUPPORTED : rc;
            chain[depth].data = at + GR_OID_SIZE;
            chain[depth++].size = size;
            offset = base;
        }
    }
    if ((rc = inflate_at(&cur, p, at, size)))
        return rc;
    while (depth > 0) {
        unsigned char *delta = NULL, *next = NULL;
        size_t next_len = 0;
        depth--;
        if ((rc = inflate_at(&delta, p, chain[depth].data, chain[depth].size))) {
            rs_free(cur);
            return rc;
        }
        rc = gr_delta_apply(&next, &next_len, cur, size, delta, chain[depth].size);
        rs_free(delta);
        rs_free(cur);
        if (rc)
            return rc;
        cur = next;
        size = next_len;
    }
    *data = cur;
    *len = size;
    *type = t;
    return GR_OK;
}
