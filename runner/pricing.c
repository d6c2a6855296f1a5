/*
 * runner/pricing.c - the pricing table (embedded data/model_prices.json + rosetta.yaml overrides)
 * and the cost of a call. See pricing.h and data/PRICES_SOURCE.md.
 */
#include "runner/pricing.h"

#include "util/alloc.h"
#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *key; /* "provider/model" or "provider" */
    rs_price price;
    size_t seq; /* order of arrival: of two entries with one key the later wins */
} entry;

struct rs_pricing {
    entry *items; /* sorted by key */
    size_t len, cap;
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

/* By key, then arrival: equal keys end up together, the latest last. */
static int cmp_entry_seq(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

void rs_pricing_free(rs_pricing *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->len; i++)
        rs_free(p->items[i].key);
    rs_free(p->items);
    rs_free(p);
}

size_t rs_pricing_count(const rs_pricing *p)
{
    return p ? p->len : 0;
}

static entry *find(const rs_pricing *p, const char *key)
{
    entry probe = {(char *)key, {0, 0, 0}, 0};
    return p->len ? bsearch(&probe, p->items, p->len, sizeof *p->items, cmp_entry) : NULL;
}

/* Append key; a key given again (an override of the table, or twice in one map) is resolved by
 * sort_unique once all keys are in: appending and sorting once is O(n log n), where replacing in
 * place needed a scan per key (O(n^2): 670 table keys cost ~7.6M instructions per open). */
static int put(rs_pricing *p, const char *key, const rs_price *price, rs_error *err)
{
    if (p->len == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        entry *n = rs_realloc(p->items, cap * sizeof *n);
        if (!n)
            return rs_error_set(err, RS_ENOMEM, "out of memory loading prices");
        p->items = n;
        p->cap = cap;
    }
    char *k = rs_strdup(key);
    if (!k)
        return rs_error_set(err, RS_ENOMEM, "out of memory loading prices");
    p->items[p->len].key = k;
    p->items[p->len].price = *price;
    p->items[p->len].seq = p->len;
    p->len++;
    return 0;
}

/* Sort by key for bsearch and keep only the latest entry of each key. */
static void sort_unique(rs_pricing *p)
{
    qsort(p->items, p->len, sizeof *p->items, cmp_entry_seq);
    size_t kept = 0;
    for (size_t i = 0; i < p->len; i++) {
        if (i + 1 < p->len && strcmp(p->items[i].key, p->items[i + 1].key) == 0) {
            rs_free(p->items[i].key); /* a later entry replaces it */
            continue;
        }
        p->items[kept++] = p->items[i];
    }
    p->len = kept;
}

/* A price field: a finite number >= 0, scaled; -1 when absent; -2 when present but bad. */
static double field(const cJSON *obj, const char *name, double scale)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v)
        return -1;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
        return -2;
    return v->valuedouble * scale;
}

/* One table or override entry. scale converts to USD per token. */
static int read_price(rs_price *out, const cJSON *obj, double scale, const char *where,
                      const char *key, rs_error *err)
{
    if (!cJSON_IsObject(obj))
        return rs_error_set(err, RS_ECONFIG,
                            "%s: the price of '%s' must be a map "
                            "{input, output, cached_input}",
                            where, key);
    double in = field(obj, "input", scale), outp = field(obj, "output", scale);
    double cached = field(obj, "cached_input", scale);
    if (in == -2 || outp == -2 || cached == -2)
        return rs_error_set(err, RS_ECONFIG, "%s: the prices of '%s' must be numbers >= 0", where,
                            key);
    if (in < 0 || outp < 0)
        return rs_error_set(err, RS_ECONFIG, "%s: '%s' needs both an input and an output price",
                            where, key);
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        if (strcmp(it->string, "input") && strcmp(it->string, "output") &&
            strcmp(it->string, "cached_input"))
            return rs_error_set(err, RS_ECONFIG,
                                "%s: unknown price field '%s' for '%s' "
                                "(expected input, output, cached_input)",
                                where, it->string, key);
    }
    out->input = in;
    out->output = outp;
    out->cached_input = cached >= 0 ? cached : in;
    return 0;
}

int rs_pricing_load_text(rs_pricing **out, const char *json, size_t len, const char *file,
                         const cJSON *overrides, rs_error *err)
{
    int rc = 0;
    cJSON *doc = NULL;
    rs_pricing *p = NULL;
    *out = NULL;
    if ((rc = rs_json_parse(&doc, json, len, file, err)) != 0)
        goto done;
    p = rs_calloc(1, sizeof *p);
    if (!p) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory loading prices");
        goto done;
    }
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(doc, "models");
    if (!cJSON_IsObject(models)) {
        rc = rs_error_set_at(err, RS_ECONFIG, file, 0, 0, "the price table has no \"models\" map");
        goto done;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, models)
    {
        rs_price price;
        if ((rc = read_price(&price, m, 1.0, file ? file : "price table", m->string, err)) != 0)
            goto done;
        if ((rc = put(p, m->string, &price, err)) != 0)
            goto done;
    }
    if (overrides && !cJSON_IsNull(overrides)) {
        if (!cJSON_IsObject(overrides)) {
            rc = rs_error_set(err, RS_ECONFIG,
                              "rosetta.yaml: `pricing` must be a map of provider/model to prices");
            goto done;
        }
        cJSON_ArrayForEach(m, overrides)
        {
            rs_price price;
            /* overrides are in USD per million tokens */
            if ((rc = read_price(&price, m, 1e-6, "rosetta.yaml pricing", m->string, err)) != 0)
                goto done;
            if ((rc = put(p, m->string, &price, err)) != 0)
                goto done;
        }
    }
    sort_unique(p);
    *out = p;
    p = NULL;
done:
    cJSON_Delete(doc);
    rs_pricing_free(p);
    return rc;
}

int rs_pricing_load(rs_pricing **out, const cJSON *overrides, rs_error *err)
{
    return rs_pricing_load_text(out, rs_prices_embedded, rs_prices_embedded_len,
                                "data/model_prices.json", overrides, err);
}

const rs_price *rs_pricing_find(const rs_pricing *p, const char *provider, const char *model)
{
    static const rs_price free_price = {0, 0, 0};
    char key[512];
    const entry *e = NULL;
    if (!p || !provider || !model)
        return NULL;
    for (int pass = 0; pass < 2 && !e; pass++) {
        /* the Responses API bills as Chat Completions: same models, same prices */
        const char *prov = pass == 0 ? provider : "openai";
        if (pass == 1 && strcmp(provider, "openai-responses") != 0)
            break;
        int n = snprintf(key, sizeof key, "%s/%s", prov, model);
        if (n > 0 && (size_t)n < sizeof key)
            e = find(p, key);
        if (!e)
            e = find(p, prov);
    }
    if (e)
        return &e->price;
    if (strcmp(provider, "mock") == 0)
        return &free_price;
    return NULL;
}

int rs_pricing_cost(const rs_pricing *p, const char *provider, const char *model,
                    const rs_usage *usage, double *cost_usd, char *warning, size_t warning_size)
{
    if (warning && warning_size)
        warning[0] = '\0';
    const rs_price *price = rs_pricing_find(p, provider, model);
    if (!price) {
        if (warning && warning_size)
            snprintf(warning, warning_size,
                     "no price for %s/%s: cost recorded as unknown (add it under `pricing:` in "
                     "rosetta.yaml)",
                     provider ? provider : "?", model ? model : "?");
        return 0;
    }
    if (!usage || usage->input < 0 || usage->output < 0) {
        if (warning && warning_size)
            snprintf(warning, warning_size,
                     "%s/%s reported no token counts: cost recorded as unknown", provider, model);
        return 0;
    }
    long cached = usage->cached > 0 ? usage->cached : 0;
    if (cached > usage->input)
        cached = usage->input;
    *cost_usd = (double)(usage->input - cached) * price->input +
                (double)cached * price->cached_input + (double)usage->output * price->output;
    return 1;
}
