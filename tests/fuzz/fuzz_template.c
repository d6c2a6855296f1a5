/*
 * fuzz_template - libFuzzer target over the whole template pipeline: the input is a .prompt
 * source (frontmatter split, YAML parse, Picoschema, Handlebars lex/parse/compile, partial
 * resolution), compiled with rs_prompt_compile and, when it compiles, rendered with a fixed data
 * document (all JSON value kinds, context @variables, history messages) both leniently and with
 * --strict validation, plus renderMetadata with options. Crashes, sanitizer reports and leaks
 * are the findings; errors are expected and only checked for being well-formed.
 *
 * Bound on work per input: each block opener needs a '#', and the data's arrays have three
 * elements, so an input with at most MAX_BLOCKS '#' characters iterates at most 3^MAX_BLOCKS
 * times. Without the bound the fuzzer soon finds `{{#each}}` nested 30 deep, which is slow in
 * any Handlebars (the reference too) and would only report timeouts.
 *
 * Run: scripts/fuzz.sh fuzz_template (see tests/fuzz/README.md).
 */
#include "render/prompt.h"
#include "rosetta/rosetta.h"
#include "util/alloc.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 12

static const char DATA[] =
    "{\"input\": {\"name\": \"Ana\", \"n\": 3, \"f\": 0.5, \"neg\": -0.0, \"big\": 1e21,"
    " \"t\": true, \"no\": false, \"nil\": null, \"s\": \"caf\\u00e9 \\ud83d\\ude00 <b>\","
    " \"xs\": [1, \"two\", {\"k\": \"v\"}], \"empty\": [],"
    " \"obj\": {\"b\": 1, \"10\": 2, \"a\": [3, 4], \"2\": {\"deep\": \"d\"}},"
    " \"url\": \"https://x.test/a.png\", \"role\": \"model\"},"
    " \"context\": {\"state\": {\"user\": \"u\"}, \"auth\": {\"uid\": \"x\"}},"
    " \"messages\": [{\"role\": \"user\", \"content\": [{\"text\": \"hi\"}]},"
    " {\"role\": \"model\", \"content\": [{\"text\": \"hello\"}]}],"
    " \"docs\": [{\"content\": [{\"text\": \"doc\"}]}]}";

static const char OPTIONS[] =
    "{\"model\": \"m/opt\", \"config\": {\"temperature\": 0.1},"
    " \"input\": {\"default\": {\"name\": \"dflt\", \"extra\": [1]}}}";

static const char SCHEMAS[] =
    "{\"Person\": {\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}},"
    " \"required\": [\"name\"]}}";

/* A fixed set of partials, two of which use each other; any other name is "not found". */
static int resolve(char **src, size_t *len, void *userdata, const char *name, rs_error *err)
{
    static const struct {
        const char *name, *src;
    } partials[] = {
        {"p", "[{{name}}{{> q}}]"},
        {"q", "{{#each xs}}{{@index}}{{/each}}"},
        {"dir/r", "{{role \"system\"}}{{json this}}"},
        {"bad", "{{#if x}}unclosed"},
    };
    (void)userdata;
    for (size_t i = 0; i < sizeof(partials) / sizeof(partials[0]); i++) {
        if (strcmp(partials[i].name, name) == 0) {
            *len = strlen(partials[i].src);
            *src = rs_strndup(partials[i].src, *len);
            return *src ? 0 : rs_error_set(err, RS_ENOMEM, "out of memory");
        }
    }
    return RS_ENOTFOUND;
}

/* A failure must come with a code and a message; anything else is a bug worth stopping on. */
static void check_error(int rc, const rs_error *err)
{
    if (rc < 0 && (err->code >= 0 || err->message[0] == '\0'))
        abort();
}

/* Parsed once; read-only afterwards (libFuzzer runs inputs one at a time). */
static cJSON *data_doc, *options_doc, *schemas_doc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    rs_error err = RS_ERROR_INIT;
    (void)argc;
    (void)argv;
    if (rs_global_init(&err) != 0)
        abort();
    if (rs_json_parse(&data_doc, DATA, sizeof(DATA) - 1, "data", &err) != 0 ||
        rs_json_parse(&options_doc, OPTIONS, sizeof(OPTIONS) - 1, "options", &err) != 0 ||
        rs_json_parse(&schemas_doc, SCHEMAS, sizeof(SCHEMAS) - 1, "schemas", &err) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    size_t blocks = 0;
    for (size_t i = 0; i < size; i++)
        blocks += bytes[i] == '#';
    if (blocks > MAX_BLOCKS)
        return -1; /* not added to the corpus */

    rs_prompt *p = NULL;
    cJSON *out = NULL;
    rs_error err = RS_ERROR_INIT;
    rs_prompt_compile_opts co = RS_PROMPT_COMPILE_OPTS_INIT;
    co.filename = "fuzz.prompt";
    co.resolve = resolve;
    co.schemas = schemas_doc;
    int rc = rs_prompt_compile(&p, (const char *)bytes, size, &co, &err);
    check_error(rc, &err);
    if (rc != 0) {
        if (p)
            abort(); /* *out must be NULL on failure */
        return 0;
    }
    if (!rs_prompt_hash(p) || !rs_prompt_metadata(p))
        abort();

    for (int strict = 0; strict <= 1; strict++) {
        rs_prompt_render_opts ro = RS_PROMPT_RENDER_OPTS_INIT;
        ro.strict = strict;
        ro.apply_input_default = !strict;
        err = (rs_error)RS_ERROR_INIT;
        rc = rs_prompt_render(&out, p, data_doc, strict ? NULL : options_doc, &ro, &err);
        check_error(rc, &err);
        if ((rc == 0) != (out != NULL) || (out && !cJSON_GetObjectItemCaseSensitive(out, "messages")))
            abort();
        cJSON_Delete(out);
        out = NULL;
    }
    err = (rs_error)RS_ERROR_INIT;
    rc = rs_prompt_render_metadata(&out, p, options_doc, &err);
    check_error(rc, &err);
    cJSON_Delete(out);
    rs_prompt_free(p);
    return 0;
}

#ifdef RS_FUZZ_REPLAY
/*
 * Without libFuzzer (ctest `fuzz_template_corpus`, tests/proof.cmake): run every file named on the
 * command line, or every file in a directory named there, through the target once, so the seed
 * corpus runs under ASan+UBSan in every test build, not only in the clang fuzz build.
 */
#include "util/file.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    rs_error err = RS_ERROR_INIT;
    if (rs_file_read(&buf, &len, path, &err) != 0) {
        fprintf(stderr, "fuzz_template: %s: %s\n", path, err.message);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    rs_free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int failed = 0;
    long n = 0;
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "fuzz_template: %s: cannot stat\n", argv[i]);
            failed = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= replay_file(argv[i]);
            n++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            int k = snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (k < 0 || (size_t)k >= sizeof(path)) {
                failed = 1;
                continue;
            }
            failed |= replay_file(path);
            n++;
        }
        if (d)
            closedir(d);
        else
            failed = 1;
    }
    cJSON_Delete(data_doc);
    cJSON_Delete(options_doc);
    cJSON_Delete(schemas_doc);
    rs_global_shutdown();
    printf("fuzz_template: replayed %ld input(s)%s\n", n, failed ? ", some could not be read" : "");
    return failed || n == 0;
}
#endif
