/*
 * tests/fuzz/fuzz_registry.c - libFuzzer target for the registry's parsers of untrusted text:
 * labels.yaml (libyaml -> cJSON, every scalar a string, duplicate keys, aliases bounded), prompt
 * names and label names, the {{> partial}} scanner, and rosetta.targets globs with variant
 * choice. Any input must end in a value or an rs_error, never a crash, a leak or a hang.
 *
 *   scripts/fuzz.sh runs it with tests/fuzz/corpus/registry/ as the seed corpus.
 */
#include "registry/internal.h"
#include "registry/reg_yaml.h"
#include "render/variant.h"
#include "util/alloc.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    rs_error err = RS_ERROR_INIT;
    cJSON *doc = NULL;
    int parsed = reg_labels_parse(&doc, text, size, "labels.yaml", &err) == 0;
    if (parsed && !cJSON_IsObject(doc))
        __builtin_trap(); /* a parsed labels.yaml is always an object */
    /* the one-label scan agrees with the parse wherever it answers */
    const cJSON *p;
    int asked = 0;
    const cJSON *names = parsed ? doc : NULL;
    cJSON_ArrayForEach(p, names)
    {
        const cJSON *l;
        const cJSON *labels_of = cJSON_IsObject(p) ? p : NULL;
        cJSON_ArrayForEach(l, labels_of)
        {
            const char *sha = NULL;
            int rc =
                asked++ < 16 ? reg_labels_lookup_text(&sha, text, size, p->string, l->string) : -1;
            if (rc == 0 || (rc == 1 && strncmp(sha, l->valuestring, 40) != 0))
                __builtin_trap();
        }
    }
    const char *sha = NULL;
    int rc = reg_labels_lookup_text(&sha, text, size, "p", "production");
    if (rc >= 0 && !parsed)
        __builtin_trap(); /* the scan accepted a text the parser refuses */
    if (rc >= 0) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(doc, "p"), "production");
        if (rc != cJSON_IsString(l) || (rc == 1 && strncmp(sha, l->valuestring, 40) != 0))
            __builtin_trap();
    }
    cJSON_Delete(doc);
    doc = NULL;
    (void)reg_yaml_parse(&doc, text, size, "x.yaml", REG_YAML_TYPED, &err);
    cJSON_Delete(doc);

    cJSON *partials = cJSON_CreateArray();
    if (partials)
        (void)reg_scan_partials(partials, text, size);
    cJSON_Delete(partials);

    /* The input split at its first NUL: a glob and a target ("provider/model"). */
    char *s = rs_strndup(text, size);
    if (!s)
        return 0;
    const char *target = s + strlen(s) + (strlen(s) < size ? 1 : 0);
    if ((size_t)(target - s) > size)
        target = "";
    (void)rs_registry_check_name(s, &err);
    (void)reg_check_label(s, &err);
    char name[MAX_NAME + 1], variant[MAX_NAME + 1];
    (void)reg_classify(s, name, variant);
    const char *globs[1] = {s};
    rs_variant_candidate c[2] = {{NULL, NULL, 0}, {"v", globs, 1}};
    size_t idx = 0;
    char *why = NULL;
    if (rs_variant_choose(&idx, &why, c, 2, target, NULL, &err) == 0 && idx > 1)
        __builtin_trap();
    rs_free(why);
    rs_free(s);
    return 0;
}
