/*
 * registry/resolve.c - references to commits, reading a version's files, variant choice, and
 * the read-only listings (list, history, show, labels).
 */
#include "registry/internal.h"

#include "templates/yaml_json.h"
#include "render/variant.h"
#include "util/alloc.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int reg_json_out(char **out, cJSON *v, rs_error *err)
{
    *out = NULL;
    if (!v)
        return rs_error_set(err, RS_ENOMEM, "out of memory building JSON");
    char *s = rs_json_print(v, 0);
    cJSON_Delete(v);
    if (!s)
        return rs_error_set(err, RS_ENOMEM, "out of memory printing JSON");
    *out = s;
    return 0;
}

static void iso_time(char out[32], const git_time *t)
{
    time_t local = (time_t)t->time + (time_t)t->offset * 60;
    struct tm tm;
    gmtime_r(&local, &tm);
    int off = t->offset < 0 ? -t->offset : t->offset;
    int n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     t->offset < 0 ? '-' : '+', off / 60, off % 60);
    if (n < 0 || n >= 32)
        out[0] = '\0';
}

int reg_add_commit_facts(cJSON *obj, rs_registry *reg, const git_oid *commit, rs_error *err)
{
    git_commit *c = NULL;
    char hex[GIT_OID_HEXSZ + 1], date[32];
    int grc = reg_git(reg, err);
    if (grc)
        return grc;
    grc = git_commit_lookup(&c, reg->repo, commit);
    git_oid_tostr(hex, sizeof hex, commit);
    if (grc < 0)
        return reg_git_fail(err, grc, "commit %s is missing or corrupt in %s", hex, reg->root);
    const git_signature *a = git_commit_author(c);
    iso_time(date, &a->when);
    const char *summary = git_commit_summary(c);
    int ok = cJSON_AddStringToObject(obj, "commit", hex) &&
             cJSON_AddStringToObject(obj, "date", date) &&
             cJSON_AddNumberToObject(obj, "time", (double)a->when.time) &&
             cJSON_AddStringToObject(obj, "author", a->name ? a->name : "") &&
             cJSON_AddStringToObject(obj, "email", a->email ? a->email : "") &&
             cJSON_AddStringToObject(obj, "message", summary ? summary : "");
    git_commit_free(c);
    return ok ? 0 : rs_error_set(err, RS_ENOMEM, "out of memory");
}

/* ---- references ---- */

static int not_found_name(rs_registry *reg, const git_oid *tip, const char *name, rs_error *err)
{
    cJSON *names = NULL;
    rs_str msg = RS_STR_INIT;
    const char **cands = NULL;
    rs_str_appendf(&msg, "no prompt '%s' in the registry %s", name, reg->root);
    if (reg_names_at(&names, reg, tip, NULL) == 0) {
        int n = cJSON_GetArraySize(names);
        cands = rs_calloc((size_t)n + 1, sizeof *cands);
        if (cands) {
            int i = 0;
            const cJSON *it;
            cJSON_ArrayForEach(it, names) cands[i++] = it->valuestring;
            reg_suggest(&msg, name, cands, (size_t)n);
        }
    }
    int rc = rs_error_set(err, RS_ENOTFOUND, "%s", rs_str_cstr(&msg));
    rs_free(cands);
    cJSON_Delete(names);
    rs_str_free(&msg);
    return rc;
}

static int is_version_spec(const char *spec, long *n)
{
    if (spec[0] != 'v' || !spec[1])
        return 0;
    long v = 0;
    for (const char *p = spec + 1; *p; p++) {
        if (*p < '0' || *p > '9' || v > 100000000)
            return 0;
        v = v * 10 + (*p - '0');
    }
    *n = v;
    return 1;
}

static int unknown_spec(rs_registry *reg, const cJSON *labels, const char *name, const char *spec,
                        size_t nversions, rs_error *err)
{
    rs_str msg = RS_STR_INIT;
    const char *cands[64];
    size_t n = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, reg_labels_for(reg, labels, name))
    {
        if (n < 64)
            cands[n++] = l->string;
    }
    rs_str_appendf(&msg, "'%s' is not a version, label or revision of '%s'", spec, name);
    reg_suggest(&msg, spec, cands, n);
    if (n) {
        rs_str_puts(&msg, "; labels:");
        for (size_t i = 0; i < n; i++)
            rs_str_appendf(&msg, " %s", cands[i]);
    }
    if (nversions)
        rs_str_appendf(&msg, "; versions: v1..v%zu", nversions);
    (void)reg;
    int rc = rs_error_set(err, RS_ENOTFOUND, "%s", rs_str_cstr(&msg));
    rs_str_free(&msg);
    return rc;
}

int reg_need_base_at(rs_registry *reg, const git_oid *commit, const char *name, const char *how,
                     rs_error *err)
{
    const struct pfiles *pf = NULL;
    rs_error local = RS_ERROR_INIT;
    int rc = reg_pfiles(&pf, reg, commit, name, &local);
    if (rc == 0 && pf->has_base)
        return 0;
    if (rc && rc != RS_ENOTFOUND) {
        if (err)
            *err = local;
        return rc;
    }
    char s[8];
    reg_short(s, commit);
    return rs_error_set(err, RS_ENOTFOUND,
                        "%s points at commit %s, where " PROMPTS_DIR "%s.prompt does not exist",
                        how, s, name);
}

/* Whether the native reader finds commit (0 when it does not know: ask libgit2). */
static int native_commit_exists(rs_registry *reg, const git_oid *commit)
{
    unsigned char *data = NULL;
    size_t len = 0;
    if (!reg->gr || gr_read(&data, &len, NULL, reg->gr, commit->id, GR_COMMIT) != GR_OK)
        return 0;
    rs_free(data);
    return 1;
}

/* spec as a full 40-digit commit id the native reader resolves (to the commit itself, or
   through annotated tags to one), as git_revparse_single + peel would: 1 and *commit, else 0
   (libgit2 decides: short ids, ref names, anything else). */
static int native_full_id(git_oid *commit, rs_registry *reg, const char *spec)
{
    unsigned char id[GR_OID_SIZE];
    if (!reg->gr || strlen(spec) != GR_HEX_SIZE || gr_oid_from_hex(id, spec, GR_HEX_SIZE))
        return 0;
    for (int depth = 0; depth < 8; depth++) {
        unsigned char *data = NULL;
        size_t len = 0;
        int type = 0, target = 0;
        if (gr_read(&data, &len, &type, reg->gr, id, 0) != GR_OK)
            return 0;
        int ok = type == GR_TAG && gr_tag_target(id, &target, data, len) == GR_OK;
        rs_free(data);
        if (type == GR_COMMIT) {
            memcpy(commit->id, id, GR_OID_SIZE);
            return 1;
        }
        if (!ok)
            return 0;
    }
    return 0;
}

int reg_resolve(rs_registry_ref **out, rs_registry *reg, const char *ref, rs_error *err)
{
    rs_registry_ref *r = NULL;
    char name[MAX_NAME + 2];
    const char *at = strchr(ref, '@');
    size_t nlen = at ? (size_t)(at - ref) : strlen(ref);
    const char *spec = at ? at + 1 : NULL;
    git_oid tip, commit;
    git_object *obj = NULL, *peeled = NULL;
    int rc = 0;
    *out = NULL;
    if (nlen > MAX_NAME)
        return rs_error_set(err, RS_EINVAL, "prompt name longer than %d bytes", MAX_NAME);
    memcpy(name, ref, nlen);
    name[nlen] = '\0';
    if ((rc = rs_registry_check_name(name, err)))
        return rc;
    if (spec && !*spec)
        return rs_error_set(err, RS_EINVAL,
                            "'%s': nothing after '@' (a version vN, a label or a revision)", ref);
    if ((rc = reg_tip(reg, &tip, NULL, err)))
        return rc;
    r = rs_calloc(1, sizeof *r);
    if (!r || !(r->name = rs_strdup(name))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    r->reg = reg;
    long vn = 0;
    if (!spec) {
        const struct pfiles *pf = NULL;
        rs_error local = RS_ERROR_INIT;
        int prc = reg_pfiles(&pf, reg, &tip, name, &local);
        if (prc == RS_ENOTFOUND || (prc == 0 && !pf->has_base)) {
            rc = not_found_name(reg, &tip, name, err);
            goto done;
        }
        if (prc) {
            rc = prc;
            if (err)
                *err = local;
            goto done;
        }
        commit = tip;
    } else if (is_version_spec(spec, &vn)) {
        const struct history *h = NULL;
        size_t first, count;
        if ((rc = reg_history(&h, reg, &tip, err)))
            goto done;
        reg_history_range(h, name, &first, &count);
        if (count == 0) {
            rc = not_found_name(reg, &tip, name, err);
            goto done;
        }
        if (vn < 1 || (size_t)vn > count) {
            rc = rs_error_set(err, RS_ENOTFOUND, "'%s' has versions v1..v%zu; there is no v%ld",
                              name, count, vn);
            goto done;
        }
        commit = h->commits[h->changes[first + (size_t)vn - 1].idx];
        if ((rc = reg_need_base_at(reg, &commit, name, ref, err)))
            goto done;
    } else {
        const cJSON *labels = NULL;
        char sha[SHA_HEX];
        int found = 0;
        if ((rc = reg_label_lookup(sha, &found, reg, &tip, name, spec, err)))
            goto done;
        if (found) {
            git_oid_fromstr(&commit, sha);
            if (!(r->label = rs_strdup(spec))) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory");
                goto done;
            }
            char how[300];
            int n = snprintf(how, sizeof how, "label '%s' of '%s'", spec, name);
            if (n < 0 || (size_t)n >= sizeof how)
                how[0] = '\0';
            /* a label at a commit the repository lacks is a missing object, not a missing name */
            if (!native_commit_exists(reg, &commit)) {
                if ((rc = reg_git(reg, err)))
                    goto done;
                git_commit *c = NULL;
                int grc = git_commit_lookup(&c, reg->repo, &commit);
                git_commit_free(c);
                if (grc < 0) {
                    rc = reg_git_fail(err, grc == GIT_ENOTFOUND ? GIT_ERROR : grc,
                                      "%s points at commit %s, which is missing or "
                                      "corrupt in %s",
                                      how, sha, reg->root);
                    goto done;
                }
            }
            if ((rc = reg_need_base_at(reg, &commit, name, how, err)))
                goto done;
        } else if (native_full_id(&commit, reg, spec)) {
            if ((rc = reg_need_base_at(reg, &commit, name, ref, err)))
                goto done;
        } else {
            if ((rc = reg_git(reg, err)))
                goto done;
            int grc = git_revparse_single(&obj, reg->repo, spec);
            if (grc == 0)
                grc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
            if (grc == GIT_ENOTFOUND || grc == GIT_EAMBIGUOUS || grc == GIT_EINVALIDSPEC ||
                grc == GIT_EPEEL || grc == GIT_ERROR) {
                const struct history *h = NULL;
                size_t first = 0, count = 0;
                if (reg_history(&h, reg, &tip, NULL) == 0)
                    reg_history_range(h, name, &first, &count);
                if (grc == GIT_EAMBIGUOUS)
                    rc = rs_error_set(err, RS_EINVAL,
                                      "'%s' is an ambiguous commit prefix; give more digits", spec);
                else if ((rc = reg_labels_at(&labels, reg, &tip, err)) == 0)
                    rc = unknown_spec(reg, labels, name, spec, count, err);
                goto done;
            }
            if (grc < 0) {
                rc = reg_git_fail(err, grc, "cannot resolve '%s' in %s", spec, reg->root);
                goto done;
            }
            git_oid_cpy(&commit, git_object_id(peeled));
            if ((rc = reg_need_base_at(reg, &commit, name, ref, err)))
                goto done;
        }
    }
    git_oid_cpy(&r->commit, &commit);
    git_oid_tostr(r->hex, sizeof r->hex, &commit);
    *out = r;
    r = NULL;
done:
    git_object_free(obj);
    git_object_free(peeled);
    rs_registry_ref_free(r);
    return rc;
}

int rs_registry_resolve(rs_registry_ref **out, rs_registry *reg, const char *ref, rs_error *err)
{
    return reg_resolve(out, reg, ref, err);
}

void rs_registry_ref_free(rs_registry_ref *ref)
{
    if (!ref)
        return;
    rs_free(ref->name);
    rs_free(ref->label);
    rs_free(ref);
}

const char *rs_registry_ref_name(const rs_registry_ref *ref)
{
    return ref->name;
}

const char *rs_registry_ref_commit(const rs_registry_ref *ref)
{
    return ref->hex;
}

const char *rs_registry_ref_label(const rs_registry_ref *ref)
{
    return ref->label;
}

int rs_registry_ref_version(int *version, rs_registry *reg, const rs_registry_ref *ref,
                            rs_error *err)
{
    return reg_version_at(version, reg, ref->name, &ref->commit, err);
}

/* ---- reading a version ---- */

int reg_choose(const struct pfile **file, char **reason, rs_registry *reg, const struct pfiles *pf,
               const char *target, const char *variant, rs_error *err)
{
    rs_variant_candidate *cands = rs_calloc(pf->nfiles ? pf->nfiles : 1, sizeof *cands);
    const char ***globs = rs_calloc(pf->nfiles ? pf->nfiles : 1, sizeof *globs);
    char *why = NULL;
    int rc = 0;
    *file = NULL;
    *reason = NULL;
    if (!cands || !globs) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    if (variant && (rc = reg_check_variant(variant, err)))
        goto done;
    for (size_t i = 0; i < pf->nfiles; i++) {
        struct pfile *f = &pf->files[i];
        cands[i].variant = f->variant;
        if (!f->variant || variant || !target)
            continue;
        const cJSON *t = NULL;
        if ((rc = reg_pfile_targets(&t, reg, f, err)))
            goto done;
        int n = cJSON_GetArraySize(t);
        if (n <= 0)
            continue;
        if (!(globs[i] = rs_calloc((size_t)n, sizeof *globs[i]))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        int k = 0;
        const cJSON *g;
        cJSON_ArrayForEach(g, t) globs[i][k++] = g->valuestring;
        cands[i].targets = globs[i];
        cands[i].ntargets = (size_t)n;
    }
    size_t idx = 0;
    if ((rc = rs_variant_choose(&idx, &why, cands, pf->nfiles, target, variant, err))) {
        if (rc == RS_ENOTFOUND && err) {
            char msg[RS_ERROR_MESSAGE_MAX];
            int n = snprintf(msg, sizeof msg, "%s: %s", pf->name, err->message);
            if (n > 0 && (size_t)n < sizeof msg)
                memcpy(err->message, msg, (size_t)n + 1);
        }
        goto done;
    }
    rs_str r = RS_STR_INIT;
    rs_str_appendf(&r, "%s: %s", pf->files[idx].path, why);
    if ((rc = rs_str_report(&r, err, "a reason"))) {
        rs_str_free(&r);
        goto done;
    }
    *reason = rs_str_detach(&r, NULL);
    rs_str_free(&r);
    *file = &pf->files[idx];
done:
    if (globs)
        for (size_t i = 0; i < pf->nfiles; i++)
            rs_free(globs[i]);
    rs_free(globs);
    rs_free(cands);
    rs_free(why);
    return rc;
}

int rs_registry_choose(char **variant_out, char **reason, rs_registry *reg,
                       const rs_registry_ref *ref, const char *target, const char *variant,
                       rs_error *err)
{
    const struct pfiles *pf = NULL;
    const struct pfile *f = NULL;
    *variant_out = NULL;
    *reason = NULL;
    int rc = reg_pfiles(&pf, reg, &ref->commit, ref->name, err);
    if (rc == 0)
        rc = reg_choose(&f, reason, reg, pf, target, variant, err);
    if (rc == 0 && f->variant && !(*variant_out = rs_strdup(f->variant))) {
        rs_free(*reason);
        *reason = NULL;
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
    }
    return rc;
}

int rs_registry_read(char **src, size_t *len, rs_registry *reg, const rs_registry_ref *ref,
                     const char *variant, rs_error *err)
{
    const struct pfiles *pf = NULL;
    *src = NULL;
    int rc = reg_pfiles(&pf, reg, &ref->commit, ref->name, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < pf->nfiles; i++) {
        const struct pfile *f = &pf->files[i];
        if ((!variant && !f->variant) || (variant && f->variant && !strcmp(variant, f->variant)))
            return reg_read_blob(src, len, reg, &f->blob, f->path, err);
    }
    return rs_error_set(err, RS_ENOTFOUND, "'%s' has no %s%s at commit %.7s", ref->name,
                        variant ? "variant " : "base file", variant ? variant : "", ref->hex);
}

int rs_registry_partial_resolver(char **src, size_t *len, void *userdata, const char *name,
                                 rs_error *err)
{
    const rs_registry_ref *ref = userdata;
    rs_str path = RS_STR_INIT;
    git_oid blob;
    *src = NULL;
    int rc = rs_registry_check_name(name, err);
    if (rc)
        return rc;
    reg_partial_path(&path, name);
    if ((rc = rs_str_report(&path, err, "a partial path")))
        goto done;
    rs_error local = RS_ERROR_INIT;
    rc = reg_blob_oid_at(&blob, ref->reg, &ref->commit, path.ptr, &local);
    if (rc == RS_ENOTFOUND) {
        rc = rs_error_set(err, RS_ENOTFOUND, "partial '%s' (%s) does not exist at commit %.7s",
                          name, path.ptr, ref->hex);
        goto done;
    }
    if (rc) {
        if (err)
            *err = local;
        goto done;
    }
    rc = reg_read_blob(src, len, ref->reg, &blob, path.ptr, err);
done:
    rs_str_free(&path);
    return rc;
}

/* ---- listings ---- */

/* Partials used by the files of pf, followed through partials (at the same commit). */
int reg_partials_used(cJSON *arr, rs_registry *reg, const struct pfiles *pf, rs_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < pf->nfiles && rc == 0; i++) {
        char *src = NULL;
        size_t len = 0;
        if ((rc = reg_read_blob(&src, &len, reg, &pf->files[i].blob, pf->files[i].path, err)))
            break;
        rc = reg_scan_partials(arr, src, len) ? rs_error_set(err, RS_ENOMEM, "out of memory") : 0;
        rs_free(src);
    }
    /* arr grows while we walk it: each partial's own partials are appended and visited too */
    for (int i = 0; rc == 0 && i < cJSON_GetArraySize(arr) && i < 256; i++) {
        const char *p = cJSON_GetArrayItem(arr, i)->valuestring;
        rs_str path = RS_STR_INIT;
        char *src = NULL;
        size_t len = 0;
        reg_partial_path(&path, p);
        if (!rs_str_error(&path) && reg_read_at(&src, &len, reg, &pf->commit, path.ptr, NULL) == 0)
            rc = reg_scan_partials(arr, src, len) ? rs_error_set(err, RS_ENOMEM, "out of memory")
                                                  : 0;
        rs_free(src);
        rs_str_free(&path);
    }
    return rc;
}

int rs_registry_list(char **json, rs_registry *reg, rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    git_oid tip;
    cJSON *names = NULL, *out = cJSON_CreateArray();
    const struct history *h = NULL;
    const cJSON *labels = NULL;
    *json = NULL;
    int rc = 0;
    if (!out)
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    if ((rc = reg_tip(reg, &tip, NULL, err)) || (rc = reg_names_at(&names, reg, &tip, err)) ||
        (rc = reg_history(&h, reg, &tip, err)) || (rc = reg_labels_at(&labels, reg, &tip, err)))
        goto done;
    const cJSON *it;
    cJSON_ArrayForEach(it, names)
    {
        const char *name = it->valuestring;
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(out, o)) {
            cJSON_Delete(o);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        size_t first, count;
        reg_history_range(h, name, &first, &count);
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddNumberToObject(o, "version", (double)count);
        if (count && (rc = reg_add_commit_facts(
                          o, reg, &h->commits[h->changes[first + count - 1].idx], err)))
            goto done;
        cJSON *ls = cJSON_AddObjectToObject(o, "labels");
        const cJSON *l;
        cJSON_ArrayForEach(l, reg_labels_for(reg, labels, name))
            cJSON_AddStringToObject(ls, l->string, l->valuestring);
        const struct pfiles *pf = NULL;
        if ((rc = reg_pfiles(&pf, reg, &tip, name, err)))
            goto done;
        cJSON *vs = cJSON_AddArrayToObject(o, "variants");
        for (size_t i = 0; i < pf->nfiles; i++)
            if (pf->files[i].variant)
                cJSON_AddItemToArray(vs, cJSON_CreateString(pf->files[i].variant));
        cJSON *ps = cJSON_AddArrayToObject(o, "partials");
        if (!ps) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = reg_partials_used(ps, reg, pf, err)))
            goto done;
    }
    rc = reg_json_out(json, out, err);
    out = NULL;
done:
    cJSON_Delete(out);
    cJSON_Delete(names);
    return rc;
}

int rs_registry_history(char **json, rs_registry *reg, const char *name, rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    git_oid tip;
    const struct history *h = NULL;
    const cJSON *labels = NULL;
    cJSON *out = NULL;
    *json = NULL;
    int rc = rs_registry_check_name(name, err);
    if (rc || (rc = reg_tip(reg, &tip, NULL, err)) ||
        (rc = reg_labels_at(&labels, reg, &tip, err)) || (rc = reg_history(&h, reg, &tip, err)))
        return rc;
    size_t first, count;
    reg_history_range(h, name, &first, &count);
    if (count == 0)
        return not_found_name(reg, &tip, name, err);
    if (!(out = cJSON_CreateArray()))
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    const cJSON *mine = reg_labels_for(reg, labels, name);
    for (size_t i = count; i-- > 0;) {
        const git_oid *c = &h->commits[h->changes[first + i].idx];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(out, o)) {
            cJSON_Delete(o);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        cJSON_AddNumberToObject(o, "version", (double)(i + 1));
        if ((rc = reg_add_commit_facts(o, reg, c, err)))
            goto done;
        /* a label shows at the version it resolves to (it may point at a later commit that
           changed only other files) */
        cJSON *ls = cJSON_AddArrayToObject(o, "labels");
        const cJSON *l;
        cJSON_ArrayForEach(l, mine)
        {
            git_oid lc;
            int lv = 0;
            if (ls && cJSON_IsString(l) && git_oid_fromstr(&lc, l->valuestring) == 0 &&
                reg_version_at(&lv, reg, name, &lc, NULL) == 0 && (size_t)lv == i + 1)
                cJSON_AddItemToArray(ls, cJSON_CreateString(l->string));
        }
    }
    rc = reg_json_out(json, out, err);
    out = NULL;
done:
    cJSON_Delete(out);
    return rc;
}

int rs_registry_show(char **json, rs_registry *reg, const char *ref, const char *target,
                     const char *variant, rs_error *err)
{
    rs_registry_ref *r = NULL;
    const struct pfiles *pf = NULL;
    const struct pfile *f = NULL;
    char *reason = NULL, *src = NULL;
    size_t len = 0;
    int version = 0;
    cJSON *o = NULL;
    *json = NULL;
    int rc = reg_resolve(&r, reg, ref, err);
    if (rc || (rc = reg_pfiles(&pf, reg, &r->commit, r->name, err)) ||
        (rc = reg_choose(&f, &reason, reg, pf, target, variant, err)) ||
        (rc = reg_read_blob(&src, &len, reg, &f->blob, f->path, err)) ||
        (rc = reg_version_at(&version, reg, r->name, &r->commit, err)))
        goto done;
    if (!(o = cJSON_CreateObject())) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddNumberToObject(o, "version", version);
    if ((rc = reg_add_commit_facts(o, reg, &r->commit, err)))
        goto done;
    if (r->label)
        cJSON_AddStringToObject(o, "label", r->label);
    else
        cJSON_AddNullToObject(o, "label");
    cJSON_AddStringToObject(o, "file", f->path);
    if (f->variant)
        cJSON_AddStringToObject(o, "variant", f->variant);
    else
        cJSON_AddNullToObject(o, "variant");
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddStringToObject(o, "content", src);
    rc = reg_json_out(json, o, err);
    o = NULL;
done:
    cJSON_Delete(o);
    rs_free(src);
    rs_free(reason);
    rs_registry_ref_free(r);
    return rc;
}

int rs_registry_labels(char **json, rs_registry *reg, const char *name, rs_error *err)
{
    /* libgit2 from the start: this command writes, walks history or lists trees */
    int git_rc = reg_git(reg, err);
    if (git_rc) {
        *json = NULL;
        return git_rc;
    }
    git_oid tip;
    const cJSON *labels = NULL;
    cJSON *out = NULL;
    *json = NULL;
    int rc = rs_registry_check_name(name, err);
    if (rc || (rc = reg_tip(reg, &tip, NULL, err)) || (rc = reg_labels_at(&labels, reg, &tip, err)))
        return rc;
    const cJSON *mine = reg_labels_for(reg, labels, name);
    if (!mine) {
        const struct pfiles *pf = NULL;
        if (reg_pfiles(&pf, reg, &tip, name, NULL) != 0)
            return not_found_name(reg, &tip, name, err);
    }
    if (!(out = cJSON_CreateObject()))
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    const cJSON *l;
    cJSON_ArrayForEach(l, mine)
    {
        git_oid c;
        int v = 0;
        git_oid_fromstr(&c, l->valuestring);
        cJSON *o = cJSON_AddObjectToObject(out, l->string);
        if (!o) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        cJSON_AddStringToObject(o, "commit", l->valuestring);
        /* a label may point at a commit this clone lacks: report it, do not fail the listing */
        if (reg_version_at(&v, reg, name, &c, NULL) == 0)
            cJSON_AddNumberToObject(o, "version", v);
        else
            cJSON_AddNullToObject(o, "version");
    }
    rc = reg_json_out(json, out, err);
    out = NULL;
done:
    cJSON_Delete(out);
    return rc;
}

int rs_registry_config(char **json, rs_registry *reg, rs_error *err)
{
    git_oid tip;
    char *src = NULL;
    size_t len = 0;
    cJSON *doc = NULL;
    *json = NULL;
    int rc = reg_tip(reg, &tip, NULL, err);
    if (rc)
        return rc;
    rs_error local = RS_ERROR_INIT;
    rc = reg_read_at(&src, &len, reg, &tip, CONFIG_FILE, &local);
    if (rc == RS_ENOTFOUND) {
        doc = cJSON_CreateNull();
        rc = 0;
    } else if (rc) {
        if (err)
            *err = local;
        return rc;
    } else {
        rs_yaml_opts yo = RS_YAML_OPTS_INIT;
        yo.filename = CONFIG_FILE;
        yo.file_src = src;
        yo.file_len = len;
        rc = rs_yaml_to_json(&doc, src, len, &yo, err);
    }
    rs_free(src);
    if (rc)
        return rc;
    return reg_json_out(json, doc, err);
}
