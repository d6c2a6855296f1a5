/*
 * runner/split.c - sticky, deterministic assignment of live traffic to arms (rosetta/compare.h).
 *
 * FNV-1a 64 over experiment, a NUL byte and the key, then MurmurHash3's fmix64 finalizer; the
 * top 53 bits as a fraction in [0, 1) pick the arm whose cumulative weight interval contains it.
 * The finalizer matters: FNV-1a's high bits hardly move when only the last bytes of the key
 * change ("user-1" .. "user-60" all landed in one arm without it). Neither is cryptographic and
 * neither needs to be: keys are not adversarial here, and both are a few lines in any language,
 * so an app can reproduce the assignment itself.
 */
#include "rosetta/compare.h"

#include "runner/dataset.h"
#include "util/error.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPLIT_ARMS 32

int rs_split_choose(char *arm, size_t size, const char *split, const char *experiment,
                    const char *key, rs_error *err)
{
    struct {
        const char *name;
        size_t len;
        double w;
    } arms[MAX_SPLIT_ARMS];
    size_t n = 0;
    double total = 0;
    const char *p = split;
    if (!split || !*split)
        return rs_error_set(err, RS_EINVAL, "empty split (write NAME=WEIGHT,NAME=WEIGHT)");
    while (*p) {
        const char *eq = strchr(p, '=');
        const char *comma = strchr(p, ',');
        if (!comma)
            comma = p + strlen(p);
        if (!eq || eq > comma || eq == p)
            return rs_error_set(err, RS_EINVAL,
                                "split '%s': each part is NAME=WEIGHT (e.g. v3=50,v4=50)", split);
        if (n == MAX_SPLIT_ARMS)
            return rs_error_set(err, RS_ELIMIT, "split '%s': more than %d arms", split,
                                MAX_SPLIT_ARMS);
        char num[64];
        size_t nl = (size_t)(comma - eq - 1);
        if (nl == 0 || nl >= sizeof num)
            return rs_error_set(err, RS_EINVAL, "split '%s': missing weight after '%.*s='", split,
                                (int)(eq - p), p);
        memcpy(num, eq + 1, nl);
        num[nl] = '\0';
        char *end;
        errno = 0;
        double w = strtod(num, &end);
        if (*end || errno || !(w > 0) || !isfinite(w))
            return rs_error_set(err, RS_EINVAL, "split '%s': weight '%s' is not a positive number",
                                split, num);
        for (size_t i = 0; i < n; i++)
            if (arms[i].len == (size_t)(eq - p) && memcmp(arms[i].name, p, arms[i].len) == 0)
                return rs_error_set(err, RS_EINVAL, "split '%s': arm '%.*s' appears twice", split,
                                    (int)arms[i].len, arms[i].name);
        arms[n].name = p;
        arms[n].len = (size_t)(eq - p);
        arms[n].w = w;
        total += w;
        n++;
        p = *comma ? comma + 1 : comma;
    }
    uint64_t h = rs_fnv1a64(RS_FNV64_OFFSET, experiment ? experiment : "",
                            experiment ? strlen(experiment) : 0);
    h = rs_fnv1a64(h, "", 1);
    h = rs_fnv1a64(h, key ? key : "", key ? strlen(key) : 0);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    double u = (double)(h >> 11) / 9007199254740992.0; /* 2^53 */
    double acc = 0;
    size_t pick = n - 1;
    for (size_t i = 0; i < n; i++) {
        acc += arms[i].w / total;
        if (u < acc) {
            pick = i;
            break;
        }
    }
    if (arms[pick].len + 1 > size)
        return rs_error_set(err, RS_ELIMIT, "arm name too long");
    memcpy(arm, arms[pick].name, arms[pick].len);
    arm[arms[pick].len] = '\0';
    return 0;
}
