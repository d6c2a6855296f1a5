/*
 * registry/labels_read.c - reading labels.yaml at a commit: the whole document (cached per
 * handle by blob, indexed by name) or, for resolving one NAME@LABEL, one label found by a scan of
 * the text that builds nothing. Both accept the canonical layout rosetta writes and leave every
 * other text to the YAML parser, so a label means what YAML says.
 */
#include "registry/internal.h"
#include "registry/reg_yaml.h"

#include "util/alloc.h"
#include "util/vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- labels.yaml ---- */

static int cmp_member(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* A key as labels.yaml writes it: plain [A-Za-z0-9_./-]+ or "..." without escapes or control
   characters (a NUL would end the name early in one reader and not in another), then ':'.
   Returns its length (and *start), 0 when the text is not in that form. */
static size_t canon_key(const char *p, const char *end, const char **start, size_t *used)
{
    const char *q = p;
    size_t n = 0;
    if (q < end && *q == '"') {
        q++;
        *start = q;
        while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
            q++;
        if (q >= end || *q != '"')
            return 0;
        n = (size_t)(q - *start);
        q++;
    } else {
        *start = q;
        while (q < end &&
               ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
                *q == '_' || *q == '-' || *q == '.' || *q == '/'))
            q++;
        n = (size_t)(q - *start);
        if (n && (**start == '-' || **start == '.'))
            return 0;
    }
    if (n == 0 || q >= end || *q != ':')
        return 0;
    *used = (size_t)(q + 1 - p);
    return n;
}

static const char *line_rest_blank(const char *q, const char *end)
{
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
        q++;
    return q == end || *q == '\n' ? q : NULL;
}

/* What the canonical scan reports, line by line. A callback returning nonzero stops the scan
   (the text is then treated as not canonical). */
struct canon_sink {
    int (*name)(void *ctx, const char *name, size_t len);
    int (*label)(void *ctx, const char *label, size_t len, const char *sha);
    void *ctx;
};

/*
 * labels.yaml exactly as rosetta writes it (comments, "{}", `name:` then `  label: "sha"` lines)
 * is read by this line scanner instead of libyaml: in a registry of thousands of prompts it is
 * most of the cost of resolving NAME@LABEL in a fresh process. Anything else - another layout,
 * anything unusual - returns 0 and the YAML parser decides, so the meaning is always YAML's.
 * The sinks check duplicates (YAML reports them).
 */
static int scan_canonical(const char *src, size_t len, const struct canon_sink *sink)
{
    const char *p = src, *end = src + len;
    int empty_seen = 0, in_name = 0, names = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end, *k = NULL, *q;
        size_t used = 0, kl;
        if (*p == '#' || line_rest_blank(p, end) == eol) {
            /* comment or blank */
        } else if (eol - p >= 2 && p[0] == '{' && p[1] == '}' && line_rest_blank(p + 2, end) &&
                   !in_name && names == 0) {
            empty_seen = 1;
        } else if (p[0] != ' ' && !empty_seen && (kl = canon_key(p, eol, &k, &used)) &&
                   line_rest_blank(p + used, end)) {
            if (sink->name(sink->ctx, k, kl))
                return 0;
            in_name = 1;
            names++;
        } else if (in_name && eol - p > 2 && p[0] == ' ' && p[1] == ' ' && p[2] != ' ' &&
                   (kl = canon_key(p + 2, eol, &k, &used))) {
            q = p + 2 + used;
            while (q < eol && *q == ' ')
                q++;
            int quoted = q < eol && *q == '"';
            const char *h = q + quoted;
            size_t hl = 0;
            while (h + hl < eol &&
                   ((h[hl] >= '0' && h[hl] <= '9') || (h[hl] >= 'a' && h[hl] <= 'f')))
                hl++;
            q = h + hl;
            if (hl != GIT_OID_HEXSZ || (quoted && (q >= eol || *q++ != '"')) ||
                !line_rest_blank(q, end) || sink->label(sink->ctx, k, kl, h))
                return 0;
        } else {
            return 0;
        }
        p = nl ? nl + 1 : end;
    }
    return 1;
}

/* ---- the whole document (labels_fast) ---- */

struct build {
    cJSON *doc, *cur;
};

static int build_name(void *ctx, const char *name, size_t len)
{
    struct build *b = ctx;
    char *n = rs_strndup(name, len);
    b->cur = n ? cJSON_AddObjectToObject(b->doc, n) : NULL;
    rs_free(n);
    return b->cur == NULL;
}

static int build_label(void *ctx, const char *label, size_t len, const char *sha)
{
    struct build *b = ctx;
    char *l = rs_strndup(label, len), *h = rs_strndup(sha, GIT_OID_HEXSZ);
    cJSON *v = h ? cJSON_CreateString(h) : NULL;
    int ok = l && v && !cJSON_GetObjectItemCaseSensitive(b->cur, l) &&
             cJSON_AddItemToObject(b->cur, l, v);
    if (!ok)
        cJSON_Delete(v);
    rs_free(l);
    rs_free(h);
    return !ok;
}

/* A text slice, for the duplicate-name check. */
struct slice {
    const char *p;
    size_t n;
};

static int cmp_slice(const void *a, const void *b)
{
    const struct slice *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Whether any name occurs twice (found by sorting, not by a scan per name). */
static int has_duplicate(struct slice *names, size_t n)
{
    size_t i = 1;
    while (i < n && cmp_slice(&names[i - 1], &names[i]) < 0)
        i++;
    if (i >= n)
        return 0; /* strictly ascending, as rosetta writes them: no sort needed */
    qsort(names, n, sizeof *names, cmp_slice);
    for (i = 1; i < n; i++)
        if (cmp_slice(&names[i - 1], &names[i]) == 0)
            return 1;
    return 0;
}

static cJSON *labels_fast(const char *src, size_t len)
{
    struct build b = {cJSON_CreateObject(), NULL};
    struct canon_sink sink = {build_name, build_label, &b};
    if (!b.doc || !scan_canonical(src, len, &sink))
        goto bad;
    int n = cJSON_GetArraySize(b.doc);
    if (n > 1) {
        struct slice *names = rs_malloc((size_t)n * sizeof *names);
        int i = 0;
        const cJSON *it;
        if (!names)
            goto bad;
        cJSON_ArrayForEach(it, b.doc)
        {
            names[i].p = it->string;
            names[i++].n = strlen(it->string);
        }
        int dup = has_duplicate(names, (size_t)n);
        rs_free(names);
        if (dup)
            goto bad;
    }
    return b.doc;
bad:
    cJSON_Delete(b.doc);
    return NULL;
}

/* ---- one label (lookup_fast) ---- */

struct lookup {
    const char *name, *label; /* what is looked for */
    size_t name_len, label_len;
    rs_vec names;  /* struct slice: every name, for the duplicate check */
    rs_vec labels; /* struct slice: the current name's labels, for theirs */
    int in_name;   /* the current name is the one looked for */
    const char *sha;
};

static int lookup_name(void *ctx, const char *name, size_t len)
{
    struct lookup *l = ctx;
    struct slice s = {name, len};
    l->labels.len = 0;
    l->in_name = len == l->name_len && memcmp(name, l->name, len) == 0;
    return rs_vec_push(&l->names, &s) != 0;
}

static int lookup_label(void *ctx, const char *label, size_t len, const char *sha)
{
    struct lookup *l = ctx;
    struct slice s = {label, len};
    for (size_t i = 0; i < l->labels.len; i++)
        if (cmp_slice(&RS_VEC_AT(&l->labels, struct slice, i), &s) == 0)
            return 1; /* a label twice under one name */
    if (l->in_name && len == l->label_len && memcmp(label, l->label, len) == 0)
        l->sha = sha;
    return rs_vec_push(&l->labels, &s) != 0;
}

int reg_labels_lookup_text(const char **sha, const char *src, size_t len, const char *name,
                           const char *label)
{
    struct lookup l = {name,
                       label,
                       strlen(name),
                       strlen(label),
                       RS_VEC_INIT(struct slice),
                       RS_VEC_INIT(struct slice),
                       0,
                       NULL};
    struct canon_sink sink = {lookup_name, lookup_label, &l};
    int rc = -1;
    if (scan_canonical(src, len, &sink) && !has_duplicate(l.names.items, l.names.len)) {
        *sha = l.sha;
        rc = l.sha != NULL;
    }
    rs_vec_free(&l.names);
    rs_vec_free(&l.labels);
    return rc;
}

int reg_labels_parse(cJSON **out, const char *src, size_t len, const char *file, rs_error *err)
{
    cJSON *doc = labels_fast(src, len);
    *out = NULL;
    int rc = doc ? 0 : reg_yaml_parse(&doc, src, len, file, REG_YAML_STRINGS, err);
    if (rc)
        return rc;
    if (cJSON_IsNull(doc)) {
        cJSON_Delete(doc);
        if (!(doc = cJSON_CreateObject()))
            return rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    if (!cJSON_IsObject(doc)) {
        rc = rs_error_set_at(err, RS_ESYNTAX, file, 1, 1,
                             "%s must map prompt names to {label: commit}", file);
        goto done;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, doc)
    {
        if (cJSON_IsNull(p))
            continue;
        if (!cJSON_IsObject(p)) {
            rc = rs_error_set_at(err, RS_ESYNTAX, file, 0, 0,
                                 "%s: '%s' must be a mapping of label: commit", file, p->string);
            goto done;
        }
        const cJSON *l;
        cJSON_ArrayForEach(l, p)
        {
            git_oid oid;
            if (!cJSON_IsString(l) || strlen(l->valuestring) != GIT_OID_HEXSZ ||
                git_oid_fromstr(&oid, l->valuestring) < 0) {
                rc = rs_error_set_at(err, RS_ESYNTAX, file, 0, 0,
                                     "%s: label '%s' of '%s' must be a full commit id (40 hex "
                                     "digits)",
                                     file, l->string, p->string);
                goto done;
            }
        }
    }
    *out = doc;
    doc = NULL;
done:
    cJSON_Delete(doc);
    return rc;
}

/* Index reg->labels by name: resolving NAME@LABEL in a registry of thousands of prompts must
   not scan them all. Without memory for the index, lookups fall back to a scan. */
static void index_labels(rs_registry *reg)
{
    rs_free(reg->lindex);
    reg->lindex = NULL;
    reg->nlindex = 0;
    int n = cJSON_GetArraySize(reg->labels);
    if (n < 16 || !(reg->lindex = rs_malloc((size_t)n * sizeof *reg->lindex)))
        return;
    const cJSON *it;
    cJSON_ArrayForEach(it, reg->labels) reg->lindex[reg->nlindex++] = it;
    qsort(reg->lindex, reg->nlindex, sizeof *reg->lindex, cmp_member);
}

const cJSON *reg_labels_for(rs_registry *reg, const cJSON *labels, const char *name)
{
    if (labels != reg->labels || !reg->lindex)
        return cJSON_GetObjectItemCaseSensitive(labels, name);
    size_t lo = 0, hi = reg->nlindex;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(reg->lindex[mid]->string, name);
        if (c == 0)
            return reg->lindex[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int reg_labels_at(const cJSON **out, rs_registry *reg, const git_oid *commit, rs_error *err)
{
    git_oid blob;
    char *src = NULL;
    size_t len = 0;
    cJSON *doc = NULL;
    *out = NULL;
    rs_error local = RS_ERROR_INIT;
    int rc = reg_blob_oid_at(&blob, reg, commit, LABELS_FILE, &local);
    if (rc == RS_ENOTFOUND) {
        if (!reg->have_labels || !git_oid_is_zero(&reg->labels_blob)) {
            cJSON_Delete(reg->labels);
            reg->labels = cJSON_CreateObject();
            memset(&reg->labels_blob, 0, sizeof reg->labels_blob);
            reg->have_labels = reg->labels != NULL;
            index_labels(reg);
        }
        if (!reg->labels)
            return rs_error_set(err, RS_ENOMEM, "out of memory");
        *out = reg->labels;
        return 0;
    }
    if (rc) {
        if (err)
            *err = local;
        return rc;
    }
    if (reg->have_labels && git_oid_equal(&blob, &reg->labels_blob)) {
        *out = reg->labels;
        return 0;
    }
    if ((rc = reg_read_blob(&src, &len, reg, &blob, LABELS_FILE, err)))
        goto done;
    if ((rc = reg_labels_parse(&doc, src, len, LABELS_FILE, err))) {
        char s[8];
        reg_short(s, commit);
        /* say which commit carries the bad file: the fix is a new commit */
        char msg[RS_ERROR_MESSAGE_MAX];
        int n = snprintf(msg, sizeof msg, "%s (in commit %s)", err ? err->message : "", s);
        if (err && n > 0 && (size_t)n < sizeof msg)
            memcpy(err->message, msg, (size_t)n + 1);
        goto done;
    }
    cJSON_Delete(reg->labels);
    reg->labels = doc;
    doc = NULL;
    git_oid_cpy(&reg->labels_blob, &blob);
    reg->have_labels = 1;
    index_labels(reg);
    *out = reg->labels;
done:
    cJSON_Delete(doc);
    rs_free(src);
    return rc;
}

int reg_label_lookup(char sha[SHA_HEX], int *found, rs_registry *reg, const git_oid *commit,
                     const char *name, const char *label, rs_error *err)
{
    git_oid blob;
    char *src = NULL;
    size_t len = 0;
    const char *h = NULL;
    *found = 0;
    rs_error local = RS_ERROR_INIT;
    int rc = reg_blob_oid_at(&blob, reg, commit, LABELS_FILE, &local);
    int fast = -1;
    /* One lookup in a blob (a fresh process) scans; a handle that keeps resolving uses the
       indexed document instead, built on its second lookup. */
    if (rc == 0 && !(reg->have_labels && git_oid_equal(&blob, &reg->labels_blob)) &&
        !git_oid_equal(&blob, &reg->labels_scanned) &&
        reg_read_blob(&src, &len, reg, &blob, LABELS_FILE, &local) == 0) {
        fast = reg_labels_lookup_text(&h, src, len, name, label);
        git_oid_cpy(&reg->labels_scanned, &blob);
    }
    if (fast >= 0) {
        if (fast) {
            memcpy(sha, h, GIT_OID_HEXSZ);
            sha[GIT_OID_HEXSZ] = '\0';
            *found = 1;
        }
        rs_free(src);
        return 0;
    }
    rs_free(src);
    /* the cached document, a missing file, an unusual layout, an error: as reg_labels_at says */
    const cJSON *labels = NULL;
    if ((rc = reg_labels_at(&labels, reg, commit, err)))
        return rc;
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(reg_labels_for(reg, labels, name), label);
    if (cJSON_IsString(l)) {
        memcpy(sha, l->valuestring, GIT_OID_HEXSZ);
        sha[GIT_OID_HEXSZ] = '\0';
        *found = 1;
    }
    return 0;
}
