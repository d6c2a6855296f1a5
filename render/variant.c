/*
 * render/variant.c - variant choice for a target; see variant.h for the rules.
 */
#include "render/variant.h"

#include "util/alloc.h"
#include "util/str.h"

#include <string.h>

/* Match one [set] at *gp against c. Returns 1/0, or RS_EINVAL when the set is not closed;
   advances *gp past the set. */
static int match_set(const char **gp, char c)
{
    const char *g = *gp + 1;
    int negate = 0, hit = 0;
    if (*g == '!' || *g == '^') {
        negate = 1;
        g++;
    }
    int first = 1; /* a ']' right after '[' or '[!' is a member, as in fnmatch */
    while (*g && (*g != ']' || first)) {
        first = 0;
        char lo = *g++;
        char hi = lo;
        if (*g == '-' && g[1] && g[1] != ']') {
            hi = g[1];
            g += 2;
        }
        if ((unsigned char)c >= (unsigned char)lo && (unsigned char)c <= (unsigned char)hi)
            hit = 1;
    }
    if (*g != ']')
        return RS_EINVAL;
    *gp = g + 1;
    return hit != negate;
}

/* Iterative glob matching with one backtrack point for the last '*' (linear for typical globs). */
int rs_variant_glob_match(const char *glob, const char *s)
{
    const char *g = glob, *star_g = NULL, *star_s = NULL;
    for (;;) {
        if (*g == '*') {
            while (*g == '*')
                g++;
            star_g = g;
            star_s = s;
            continue;
        }
        if (*s == '\0') {
            if (*g == '\0')
                return 1;
            if (*g == '[') {
                /* still validate the set so a malformed glob is reported consistently */
                const char *t = g;
                if (match_set(&t, 'x') == RS_EINVAL)
                    return RS_EINVAL;
            }
            return 0;
        }
        int ok = 0;
        const char *next = g + 1;
        if (*g == '?') {
            ok = 1;
        } else if (*g == '[') {
            const char *t = g;
            int m = match_set(&t, *s);
            if (m == RS_EINVAL)
                return RS_EINVAL;
            ok = m;
            next = t;
        } else if (*g == '\\' && g[1]) {
            ok = g[1] == *s;
            next = g + 2;
        } else if (*g != '\0') {
            ok = *g == *s;
        }
        if (ok) {
            g = next;
            s++;
            continue;
        }
        if (!star_g)
            return 0;
        g = star_g;
        s = ++star_s;
    }
}

struct spec {
    size_t wildcards, prefix, length;
};

static struct spec specificity(const char *glob)
{
    struct spec sp = {0, 0, strlen(glob)};
    int seen_wild = 0;
    for (const char *g = glob; *g; g++) {
        if (*g == '\\' && g[1]) {
            g++;
            if (!seen_wild)
                sp.prefix++;
            continue;
        }
        if (*g == '*' || *g == '?' || *g == '[') {
            sp.wildcards++;
            seen_wild = 1;
            if (*g == '[') {
                const char *t = g + 1;
                if (*t == '!' || *t == '^')
                    t++;
                if (*t == ']')
                    t++;
                while (*t && *t != ']')
                    t++;
                g = *t ? t : g;
            }
            continue;
        }
        if (!seen_wild)
            sp.prefix++;
    }
    return sp;
}

/* >0 when a is more specific than b. */
static int spec_cmp(struct spec a, struct spec b)
{
    if (a.wildcards != b.wildcards)
        return a.wildcards < b.wildcards ? 1 : -1;
    if (a.prefix != b.prefix)
        return a.prefix > b.prefix ? 1 : -1;
    if (a.length != b.length)
        return a.length > b.length ? 1 : -1;
    return 0;
}

static int finish(char **reason, rs_str *r, rs_error *err)
{
    if (rs_str_error(r))
        return rs_str_report(r, err, "a variant reason");
    *reason = rs_str_detach(r, NULL);
    if (!*reason)
        *reason = rs_strdup("");
    return *reason ? 0 : rs_error_set(err, RS_ENOMEM, "out of memory");
}

int rs_variant_choose(size_t *index, char **reason, const rs_variant_candidate *cands, size_t n,
                      const char *target, const char *explicit_variant, rs_error *err)
{
    rs_str r = RS_STR_INIT;
    int rc = 0;
    *reason = NULL;
    *index = 0;
    size_t base = n;
    for (size_t i = 0; i < n; i++)
        if (!cands[i].variant && base == n)
            base = i;

    if (explicit_variant) {
        for (size_t i = 0; i < n; i++) {
            if (cands[i].variant && strcmp(cands[i].variant, explicit_variant) == 0) {
                *index = i;
                rs_str_appendf(&r, "variant '%s' was asked for explicitly", explicit_variant);
                rc = finish(reason, &r, err);
                goto done;
            }
        }
        rs_str_appendf(&r, "there is no variant '%s' (", explicit_variant);
        size_t listed = 0;
        for (size_t i = 0; i < n; i++)
            if (cands[i].variant)
                rs_str_appendf(&r, "%s'%s'", listed++ ? ", " : "variants: ", cands[i].variant);
        if (!listed)
            rs_str_puts(&r, "the prompt has no variants");
        rs_str_putc(&r, ')');
        rc = rs_error_set(err, RS_ENOTFOUND, "%s", rs_str_cstr(&r));
        goto done;
    }

    if (target && *target) {
        size_t best = n, matches = 0;
        const char *best_glob = NULL;
        struct spec best_spec = {0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            if (!cands[i].variant)
                continue;
            for (size_t k = 0; k < cands[i].ntargets; k++) {
                const char *g = cands[i].targets[k];
                int m = rs_variant_glob_match(g, target);
                if (m == RS_EINVAL) {
                    rc = rs_error_set(err, RS_EINVAL,
                                      "variant '%s': malformed rosetta.targets glob '%s' (an "
                                      "unclosed '[')",
                                      cands[i].variant, g);
                    goto done;
                }
                if (!m)
                    continue;
                matches++;
                struct spec sp = specificity(g);
                int c = best == n ? 1 : spec_cmp(sp, best_spec);
                if (c > 0 || (c == 0 && strcmp(cands[i].variant, cands[best].variant) < 0)) {
                    best = i;
                    best_glob = g;
                    best_spec = sp;
                }
            }
        }
        if (best < n) {
            *index = best;
            rs_str_appendf(&r, "its rosetta.targets glob '%s' matches %s", best_glob, target);
            if (matches > 1)
                rs_str_appendf(&r, " (the most specific of %zu matching globs)", matches);
            rc = finish(reason, &r, err);
            goto done;
        }
        const char *slash = strchr(target, '/');
        size_t plen = slash ? (size_t)(slash - target) : strlen(target);
        for (size_t i = 0; i < n; i++) {
            if (cands[i].variant && strlen(cands[i].variant) == plen &&
                strncmp(cands[i].variant, target, plen) == 0) {
                *index = i;
                rs_str_appendf(&r,
                               "it is named after the provider '%.*s' and no rosetta.targets glob "
                               "matches %s",
                               (int)plen, target, target);
                rc = finish(reason, &r, err);
                goto done;
            }
        }
        if (base == n) {
            rc = rs_error_set(err, RS_ENOTFOUND,
                              "no variant fits %s and the prompt has no base file", target);
            goto done;
        }
        *index = base;
        rs_str_appendf(&r,
                       "the base: no variant's rosetta.targets matches %s and none is named "
                       "'%.*s'",
                       target, (int)plen, target);
        rc = finish(reason, &r, err);
        goto done;
    }
    if (base == n) {
        rc = rs_error_set(err, RS_ENOTFOUND, "the prompt has no base file; name a variant");
        goto done;
    }
    *index = base;
    rs_str_puts(&r, "the base: no target or variant was given");
    rc = finish(reason, &r, err);
done:
    rs_str_free(&r);
    return rc;
}
