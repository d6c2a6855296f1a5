/*
 * tests/fuzz/fuzz_frontmatter.c - libFuzzer target for the frontmatter layer: the split (the
 * reference's regex by hand), libyaml -> JSON with core-schema typing, aliases and locations,
 * and Picoschema over whatever input/output schema the YAML holds. Any input must end in a value
 * or an rs_error, never a crash, a leak or a hang (alias expansion is bounded).
 *
 *   scripts/fuzz.sh runs it with tests/fuzz/corpus/frontmatter/ as the seed corpus.
 */
#include "templates/frontmatter.h"
#include "templates/jsonschema_validate.h"
#include "templates/picoschema.h"
#include "templates/yaml_internal.h"
#include "templates/yaml_json.h"
#include "util/alloc.h"
#include "util/json.h"

#include <stdlib.h>

#include <stdint.h>
#include <string.h>

static void schemas(const rs_yaml_doc *doc)
{
    static const char *const keys[] = {"input", "output"};
    if (!cJSON_IsObject(doc->root))
        return;
    for (size_t i = 0; i < 2; i++) {
        const cJSON *holder = cJSON_GetObjectItemCaseSensitive(doc->root, keys[i]);
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(holder, "schema");
        if (!schema)
            continue;
        rs_pico_opts po = RS_PICO_OPTS_INIT;
        po.doc = doc;
        po.named = cJSON_GetObjectItemCaseSensitive(doc->root, "schemas");
        rs_error err = RS_ERROR_INIT;
        cJSON *out = NULL;
        if (rs_picoschema(&out, schema, &po, &err) == 0 && out) {
            /* validate the frontmatter's own default against it: exercises the validator */
            const cJSON *def = cJSON_GetObjectItemCaseSensitive(holder, "default");
            rs_error verr = RS_ERROR_INIT;
            (void)rs_jsonschema_validate(out, def, "input", &verr);
        }
        cJSON_Delete(out);
    }
}

static int loc_cmp(const void *x, const void *y)
{
    const rs_yaml_loc *p = x, *q = y;
    unsigned a[5] = {p->line, p->col, (unsigned)p->has_key, p->has_key ? p->key_line : 0,
                     p->has_key ? p->key_col : 0};
    unsigned b[5] = {q->line, q->col, (unsigned)q->has_key, q->has_key ? q->key_line : 0,
                     q->has_key ? q->key_col : 0};
    for (int i = 0; i < 5; i++) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

/* Whenever the fast YAML path accepts a text, libyaml must give the same values and places. */
static void fast_path_agrees(const char *text, size_t len, const rs_yaml_opts *yo)
{
    rs_yaml_doc fast, slow;
    rs_error err = RS_ERROR_INIT;
    if (rs_yaml_parse_fast(&fast, text, len, yo) != 1)
        return;
    if (rs_yaml_parse_libyaml(&slow, text, len, yo, &err) != 0)
        __builtin_trap(); /* accepted what libyaml rejects */
    /* compared as printed: NaN equals NaN there */
    char *a = rs_json_print(fast.root, 0), *b = rs_json_print(slow.root, 0);
    if (!a || !b || strcmp(a, b) != 0 || fast.nlocs != slow.nlocs)
        __builtin_trap();
    rs_free(a);
    rs_free(b);
    qsort(fast.locs, fast.nlocs, sizeof(rs_yaml_loc), loc_cmp);
    qsort(slow.locs, slow.nlocs, sizeof(rs_yaml_loc), loc_cmp);
    for (size_t i = 0; i < fast.nlocs; i++) {
        if (loc_cmp(&fast.locs[i], &slow.locs[i]) != 0)
            __builtin_trap();
    }
    rs_yaml_doc_free(&fast);
    rs_yaml_doc_free(&slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    rs_frontmatter fm;
    rs_frontmatter_split(&fm, src, size);
    if (fm.body_off + fm.body_len > size)
        __builtin_trap();
    if (!fm.has_frontmatter)
        return 0;
    if (fm.yaml_off + fm.yaml_len > size || fm.yaml_len == 0)
        __builtin_trap();
    rs_yaml_opts yo = RS_YAML_OPTS_INIT;
    yo.filename = "fuzz.prompt";
    yo.file_src = src;
    yo.file_len = size;
    yo.line_offset = 1;
    yo.max_nodes = 20000;
    rs_yaml_doc doc;
    rs_error err = RS_ERROR_INIT;
    fast_path_agrees(src + fm.yaml_off, fm.yaml_len, &yo);
    if (rs_yaml_parse(&doc, src + fm.yaml_off, fm.yaml_len, &yo, &err) == 0) {
        schemas(&doc);
        rs_yaml_doc_free(&doc);
    } else if (err.message[0] == '\0') {
        __builtin_trap(); /* every failure says why */
    }
    return 0;
}

#ifdef RS_FUZZ_REPLAY
/* Without libFuzzer (ctest fuzz_frontmatter_corpus): run every file of the given directories
 * once, under the test build's sanitizers. */
#include "util/file.h"

#include <dirent.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int files = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        if (!d) {
            fprintf(stderr, "fuzz_frontmatter: cannot open %s\n", argv[i]);
            return 1;
        }
        while ((e = readdir(d)) != NULL) {
            char path[4096];
            char *buf = NULL;
            size_t len = 0;
            rs_error err = RS_ERROR_INIT;
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (rs_file_read(&buf, &len, path, &err) != 0)
                continue;
            LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
            rs_free(buf);
            files++;
        }
        closedir(d);
    }
    printf("%d inputs replayed\n", files);
    return files > 0 ? 0 : 1;
}
#endif
