/*
 * cli/cmd_render.c - `rosetta render`: a .prompt file (and data) to the RenderedPrompt JSON the
 * Dotprompt reference prints for the same arguments.
 *
 * The command is three steps, each its own function so later features plug in with small edits:
 * parse_args (the options struct), load_source (where the .prompt text comes from: a file or
 * standard input today, a registry REF later) and emit (what is printed: the RenderedPrompt or
 * metadata today, a provider request body for --target later). Nothing is printed on stdout
 * until the whole result exists, so a failure never leaves partial output.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/prompt.h"
#include "rosetta/provider.h"
#include "rosetta/registry.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta render --source FILE|- [--data DATA.json] [--options OPTS.json]\n"
    "                      [--partials DIR] [--schemas SCHEMAS.json] [--metadata] [--strict]\n"
    "                      [--reference] [--compact]\n"
    "                      [--target PROVIDER/MODEL [--body | --curl] [--stream]]\n"
    "       rosetta render REF [--variant V | --target PROVIDER/MODEL [--curl] [--stream]]\n"
    "                      [--data DATA.json] [--var k=v ...] [--explain] [--strict]\n"
    "                      [--compact] [-C DIR]\n"
    "\n"
    "Render a Dotprompt .prompt file and print the result as JSON: the resolved metadata and the\n"
    "messages (role + content parts), exactly as the Dotprompt reference renderer prints it.\n"
    "\n"
    "  --source FILE|-     the .prompt file (- reads standard input)\n"
    "  --data DATA.json    {\"input\": {..}, \"context\": {..}, \"messages\": [..], \"docs\": [..]}\n"
    "                      input: the template's variables; context: @variables (@auth, @state..);\n"
    "                      messages: the conversation history ({{history}})\n"
    "  --options OPTS.json metadata merged over the frontmatter (with --metadata); when rendering\n"
    "                      only its input.default is used, as in the reference\n"
    "  --partials DIR      partial {{> a/b}} is DIR/a/_b.prompt\n"
    "  --schemas FILE      {\"Name\": <JSON Schema>}: named types for Picoschema\n"
    "  --metadata          print the resolved metadata (renderMetadata) instead of rendering\n"
    "  --strict            refuse input that does not match the frontmatter's input.schema\n"
    "  --reference         behave exactly as the reference: do not apply the frontmatter's\n"
    "                      input.default (applied by default; the reference ignores it)\n"
    "  --compact           print the JSON on one line\n"
    "  --target P/M        print the exact request body for provider P, model M (openai,\n"
    "                      openai-responses, anthropic, gemini, ollama, mistral, groq, together,\n"
    "                      deepseek, openrouter, vllm, llamacpp, mock); exit 3 with the reason\n"
    "                      when the prompt cannot be expressed for it\n"
    "  --body              with --target: the body only (the default)\n"
    "  --curl              with --target: a ready curl command (endpoint, headers, body); the key\n"
    "                      is written as its variable ($ANTHROPIC_API_KEY), never its value\n"
    "  --stream            with --target: the streaming form of the request\n"
    "\n"
    "From the registry: REF is NAME, NAME@vN, NAME@LABEL or NAME@<sha|tag|branch>; partials are\n"
    "taken at the same commit and the output is what --source prints for that file.\n"
    "  --variant V         render the variant NAME.V.prompt\n"
    "  --target P/M        also chooses the file: the variant whose rosetta.targets globs match\n"
    "                      P/M (most specific wins), else the variant named P, else the base\n"
    "  --var k=v           set input k to the string v (repeatable; merged over --data)\n"
    "  --explain           tell on stderr the commit, version, file chosen and why\n"
    "  -C DIR              the registry at or above DIR (default: $ROSETTA_REGISTRY, else the\n"
    "                      registry enclosing the current directory)\n"
    "\n"
    "Errors print 'rosetta: FILE:LINE:COL: message' with the source line; exit codes: 2 usage,\n"
    "3 bad template/frontmatter/data (or input rejected by --strict), 4 file or partial not found.\n";

/* Everything the command line says. Later features add fields here (registry REF, --target). */
typedef struct render_args {
    const char *source;   /* --source FILE, "-" for standard input */
    const char *data;     /* --data */
    const char *options;  /* --options */
    const char *partials; /* --partials */
    const char *schemas;  /* --schemas */
    int metadata;         /* --metadata */
    int strict;           /* --strict */
    int reference;        /* --reference */
    int compact;          /* --compact */
    const char *target;   /* --target PROVIDER/MODEL: print the provider request */
    int curl;             /* --curl (else --body) */
    int stream;           /* --stream */
    const char *ref;      /* a registry REF instead of --source */
    const char *variant;  /* --variant (with REF) */
    const char *registry; /* -C DIR (with REF) */
    int explain;          /* --explain (with REF) */
    int nvars;            /* how many --var k=v (read back from argv by ref_data) */
    int argc;
    char **argv;
} render_args;

/* What was read from disk for one invocation; freed by inputs_free. */
typedef struct render_inputs {
    char *source;
    size_t source_len;
    const char *source_name; /* for error locations */
    char *data;
    char *options;
    char *schemas;
} render_inputs;

static void inputs_free(render_inputs *in)
{
    rs_free(in->source);
    rs_free(in->data);
    rs_free(in->options);
    rs_free(in->schemas);
}

/* 0 on success, else the exit code (usage errors are printed here). */
static int parse_args(render_args *a, int argc, char **argv, int *help)
{
    memset(a, 0, sizeof(*a));
    *help = 0;
    a->argc = argc;
    a->argv = argv;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = NULL;
        if (cli_is_help(arg)) {
            *help = 1;
            return 0;
        } else if (strcmp(arg, "--source") == 0) {
            slot = &a->source;
        } else if (strcmp(arg, "--data") == 0) {
            slot = &a->data;
        } else if (strcmp(arg, "--options") == 0) {
            slot = &a->options;
        } else if (strcmp(arg, "--partials") == 0) {
            slot = &a->partials;
        } else if (strcmp(arg, "--schemas") == 0) {
            slot = &a->schemas;
        } else if (strcmp(arg, "--metadata") == 0) {
            a->metadata = 1;
        } else if (strcmp(arg, "--strict") == 0) {
            a->strict = 1;
        } else if (strcmp(arg, "--reference") == 0) {
            a->reference = 1;
        } else if (strcmp(arg, "--compact") == 0) {
            a->compact = 1;
        } else if (strcmp(arg, "--target") == 0) {
            slot = &a->target;
        } else if (strcmp(arg, "--body") == 0) {
            a->curl = 0;
        } else if (strcmp(arg, "--curl") == 0) {
            a->curl = 1;
        } else if (strcmp(arg, "--stream") == 0) {
            a->stream = 1;
        } else if (strcmp(arg, "--variant") == 0) {
            slot = &a->variant;
        } else if (strcmp(arg, "-C") == 0) {
            slot = &a->registry;
        } else if (strcmp(arg, "--explain") == 0) {
            a->explain = 1;
        } else if (strcmp(arg, "--var") == 0) {
            if (i + 1 >= argc || !strchr(argv[i + 1], '=') || argv[i + 1][0] == '=')
                return cli_usage_error("render", "--var needs NAME=VALUE");
            i++;
            a->nvars++;
        } else if (arg[0] != '-' && !a->ref) {
            a->ref = arg;
        } else {
            return cli_usage_error("render", "unknown argument '%s'", arg);
        }
        if (slot) {
            if (i + 1 >= argc)
                return cli_usage_error("render", "%s needs a value", arg);
            if (*slot)
                return cli_usage_error("render", "%s given twice", arg);
            *slot = argv[++i];
        }
    }
    if (a->ref && a->source)
        return cli_usage_error("render", "give a registry REF or --source FILE, not both");
    if (!a->ref && (a->variant || a->registry || a->explain || a->nvars))
        return cli_usage_error("render", "--variant, --var, --explain and -C go with a registry "
                                         "REF");
    if (a->ref && (a->options || a->partials || a->schemas || a->metadata || a->reference))
        return cli_usage_error("render", "--options, --partials, --schemas, --metadata and "
                                         "--reference go with --source FILE");
    if (a->variant && a->target)
        return cli_usage_error("render", "--variant and --target exclude each other");
    if (!a->source && !a->ref)
        return cli_usage_error("render", "a registry REF or --source FILE is required");
    if (!a->target && (a->curl || a->stream))
        return cli_usage_error("render", "--curl and --stream need --target PROVIDER/MODEL");
    if (a->target && a->metadata)
        return cli_usage_error("render", "--metadata and --target cannot be combined");
    int stdin_users = (a->source && strcmp(a->source, "-") == 0) + (a->data && strcmp(a->data, "-") == 0) +
                      (a->options && strcmp(a->options, "-") == 0) +
                      (a->schemas && strcmp(a->schemas, "-") == 0);
    if (stdin_users > 1)
        return cli_usage_error("render", "only one of the inputs can be read from standard input");
    return 0;
}

/* The .prompt text and the JSON files. */
static int load_source(render_inputs *in, const render_args *a, rs_error *err)
{
    int rc = rs_file_read(&in->source, &in->source_len, a->source, err);
    if (rc)
        return rc;
    in->source_name = strcmp(a->source, "-") == 0 ? "<stdin>" : a->source;
    size_t n;
    if (a->data && (rc = rs_file_read(&in->data, &n, a->data, err)) != 0)
        return rc;
    if (a->options && (rc = rs_file_read(&in->options, &n, a->options, err)) != 0)
        return rc;
    if (a->schemas && (rc = rs_file_read(&in->schemas, &n, a->schemas, err)) != 0)
        return rc;
    return 0;
}

/* Print the document and a newline; a failed write is an error (a full disk, a closed pipe). */
static int emit(const char *json, size_t len, const render_args *a)
{
    (void)a;
    if (fwrite(json, 1, len, stdout) != len || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0) {
        fprintf(stderr, "rosetta: cannot write the result to standard output\n");
        return RS_EXIT_FAILURE;
    }
    return RS_EXIT_OK;
}

/* --target: encode the RenderedPrompt (json) for the provider and print the body or curl command
 * (the key as "$VARIABLE", never its value). config: rosetta.yaml as JSON (its providers:
 * section), NULL outside a registry. */
static int emit_request(const char *json, size_t len, const render_args *a, const char *config,
                        rs_error *err)
{
    rs_provider_request *req = NULL;
    rs_provider_options po = RS_PROVIDER_OPTIONS_INIT;
    char *curl = NULL;
    int rc;
    po.stream = a->stream;
    po.config_json = config;
    if ((rc = rs_provider_encode(&req, a->target, json, len, &po, err)) != 0) {
        /* what cannot be encoded comes from the prompt: name it (not the --data file) */
        if (a->source && strcmp(a->source, "-") != 0)
            rs_error_set_file(err, a->source);
        goto done;
    }
    if (a->curl) {
        if ((rc = rs_provider_request_curl(&curl, req, err)) != 0)
            goto done;
        rc = fputs(curl, stdout) == EOF || fflush(stdout) != 0;
    } else {
        size_t blen;
        const char *body = rs_provider_request_body(req, &blen);
        rc = fwrite(body, 1, blen, stdout) != blen || fputc('\n', stdout) == EOF ||
             fflush(stdout) != 0;
    }
    if (rc)
        rc = rs_error_set(err, RS_EIO, "cannot write the result to standard output");
done:
    rs_free(curl);
    rs_provider_request_free(req);
    return rc;
}

/* --data (text, may be NULL) with the --var k=v inputs merged into "input", as JSON text
 * (rs_free); a copy of data when there are no --var. */
static int ref_data(char **out, const render_args *a, const char *data, rs_error *err)
{
    cJSON *doc = NULL, *input = NULL;
    int rc = 0;
    *out = NULL;
    if (a->nvars == 0) {
        if (data && !(*out = rs_strdup(data)))
            return rs_error_set(err, RS_ENOMEM, "out of memory");
        return 0;
    }
    if (data && (rc = rs_json_parse(&doc, data, strlen(data), a->data, err)) != 0)
        return rc;
    if (!doc && !(doc = cJSON_CreateObject()))
        return rs_error_set(err, RS_ENOMEM, "out of memory");
    if (!cJSON_IsObject(doc)) {
        rc = rs_error_set_at(err, RS_EINVAL, a->data, 1, 1, "the data must be a JSON object");
        goto done;
    }
    input = cJSON_GetObjectItemCaseSensitive(doc, "input");
    if (!input && !(input = cJSON_AddObjectToObject(doc, "input"))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
        goto done;
    }
    if (!cJSON_IsObject(input)) {
        rc = rs_error_set_at(err, RS_EINVAL, a->data, 1, 1, "\"input\" must be a JSON object");
        goto done;
    }
    for (int i = 1; i + 1 < a->argc; i++) {
        if (strcmp(a->argv[i], "--var") != 0)
            continue;
        const char *kv = a->argv[++i], *eq = strchr(kv, '=');
        char *key = rs_strndup(kv, (size_t)(eq - kv));
        cJSON *v = cJSON_CreateString(eq + 1);
        if (key)
            cJSON_DeleteItemFromObjectCaseSensitive(input, key);
        if (!key || !v || !cJSON_AddItemToObject(input, key, v)) {
            rs_free(key);
            cJSON_Delete(v);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory");
            goto done;
        }
        rs_free(key);
    }
    if (!(*out = rs_json_print(doc, 0)))
        rc = rs_error_set(err, RS_ENOMEM, "out of memory");
done:
    cJSON_Delete(doc);
    return rc;
}

/* `rosetta render REF`: resolve in the registry, choose the file for the target or variant,
 * render with partials at the same commit (rosetta/registry.h); --target then encodes. */
static int render_ref(const render_args *a, render_inputs *in, rs_error *err)
{
    rs_registry *reg = NULL;
    char *data = NULL, *out = NULL, *explain = NULL;
    size_t n;
    int rc;
    rs_registry_render_opts ro = RS_REGISTRY_RENDER_OPTS_INIT;
    ro.target = a->target;
    ro.variant = a->variant;
    ro.data_name = a->data;
    ro.strict = a->strict;
    ro.indent = a->compact || a->target ? 0 : 2;
    if ((a->data && (rc = rs_file_read(&in->data, &n, a->data, err)) != 0) ||
        (rc = ref_data(&data, a, in->data, err)) != 0 ||
        (rc = rs_registry_open(&reg, a->registry, err)) != 0)
        goto done;
    ro.data = data;
    if ((rc = rs_registry_render(&out, a->explain ? &explain : NULL, reg, a->ref, &ro, err)))
        goto done;
    if (explain)
        fputs(explain, stderr);
    if (a->target) {
        char *config = NULL;
        rc = rs_registry_config(&config, reg, err);
        if (rc == 0)
            rc = emit_request(out, strlen(out), a, config, err);
        rs_free(config);
    }
    else if (emit(out, strlen(out), a) != RS_EXIT_OK)
        rc = rs_error_set(err, RS_EIO, "cannot write the result to standard output");
done:
    rs_free(explain);
    rs_free(out);
    rs_free(data);
    rs_registry_free(reg);
    return rc;
}

int cmd_render(int argc, char **argv)
{
    render_args a;
    render_inputs in;
    rs_error err = RS_ERROR_INIT;
    rs_prompt *p = NULL;
    char *out = NULL;
    size_t out_len = 0;
    int help, code;

    memset(&in, 0, sizeof(in));
    if ((code = parse_args(&a, argc, argv, &help)) != 0)
        return code;
    if (help) {
        fputs(usage_text, stdout);
        return RS_EXIT_OK;
    }
    if (a.ref) {
        if (render_ref(&a, &in, &err) != 0)
            goto fail;
        code = RS_EXIT_OK;
        goto done;
    }
    if (load_source(&in, &a, &err) != 0)
        goto fail;

    rs_prompt_options po = RS_PROMPT_OPTIONS_INIT;
    po.filename = in.source_name;
    po.partials_dir = a.partials;
    po.schemas_json = in.schemas;
    po.schemas_name = a.schemas;
    if (rs_prompt_open(&p, in.source, in.source_len, &po, &err) != 0)
        goto fail;

    rs_prompt_render_options ro = RS_PROMPT_RENDER_OPTIONS_INIT;
    ro.strict = a.strict;
    ro.reference = a.reference;
    ro.indent = a.compact || a.target ? 0 : 2;
    ro.data_name = a.data;
    ro.options_name = a.options;
    int rc = a.metadata ? rs_prompt_metadata_json(&out, &out_len, p, in.options, &ro, &err)
                        : rs_prompt_render_json(&out, &out_len, p, in.data, in.options, &ro, &err);
    if (rc != 0)
        goto fail;
    if (a.target) {
        if (emit_request(out, out_len, &a, NULL, &err) != 0)
            goto fail;
        code = RS_EXIT_OK;
        goto done;
    }
    code = emit(out, out_len, &a);
    goto done;
fail:
    if (!err.file[0] && err.line == 0 && (err.code == RS_EINVAL || err.code == RS_ESCHEMA))
        rs_error_set_file(&err, a.data ? a.data : in.source_name);
    code = cli_fail(&err);
done:
    rs_free(out);
    rs_prompt_free(p);
    inputs_free(&in);
    return code;
}
