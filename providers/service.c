/*
 * providers/service.c - services: a dialect + base URL + key variable + quirks.
 *
 * The built-ins below carry each provider's documented deviations (shared/providers.md §5); a
 * rosetta.yaml "providers" section overrides their fields or adds new OpenAI-compatible services
 * without code (docs/providers.md has the shape).
 */
#include "providers/service.h"

#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned bit;
} quirk_names[] = {
    {"max_tokens_legacy", RS_QUIRK_MAX_TOKENS_LEGACY},
    {"no_seed", RS_QUIRK_NO_SEED},
    {"no_json_schema", RS_QUIRK_NO_JSON_SCHEMA},
    {"no_image_url", RS_QUIRK_NO_IMAGE_URL},
    {"no_stream_usage", RS_QUIRK_NO_STREAM_USAGE},
    {"no_developer_role", RS_QUIRK_NO_DEVELOPER_ROLE},
    {"random_seed_name", RS_QUIRK_RANDOM_SEED_NAME},
    {"tool_choice_any", RS_QUIRK_TOOL_CHOICE_ANY},
    {"tool_id_9", RS_QUIRK_TOOL_ID_9},
    {"top_k", RS_QUIRK_TOP_K},
    {"no_images", RS_QUIRK_NO_IMAGES},
    {"key_optional", RS_QUIRK_KEY_OPTIONAL},
};

unsigned rs_quirk_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof quirk_names / sizeof quirk_names[0]; i++)
        if (strcmp(quirk_names[i].name, name) == 0)
            return quirk_names[i].bit;
    return 0;
}

const char *rs_quirk_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof quirk_names / sizeof quirk_names[0]; i++)
        if (quirk_names[i].bit == bit)
            return quirk_names[i].name;
    return NULL;
}

/* The OpenAI-compatible services that are not OpenAI itself never get the developer role. */
#define COMPAT RS_QUIRK_NO_DEVELOPER_ROLE

static const struct builtin {
    const char *name;
    const char *dialect;
    const char *base_url;
    const char *key_env;
    const char *url_env; /* the SDKs' base-URL variable */
    unsigned quirks;
} builtins[] = {
    {"openai", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL", 0},
    {"openai-responses", "openai-responses", "https://api.openai.com/v1", "OPENAI_API_KEY",
     "OPENAI_BASE_URL", 0},
    {"anthropic", "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY",
     "ANTHROPIC_BASE_URL", 0},
    {"gemini", "gemini", "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY",
     "GEMINI_BASE_URL", 0},
    {"ollama", "ollama", "http://localhost:11434", "OLLAMA_API_KEY", "OLLAMA_HOST",
     RS_QUIRK_KEY_OPTIONAL},
    /* max_tokens, random_seed, "any", 9-char tool ids; its schema rejects stream_options */
    {"mistral", "openai", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "MISTRAL_BASE_URL",
     COMPAT | RS_QUIRK_MAX_TOKENS_LEGACY | RS_QUIRK_RANDOM_SEED_NAME | RS_QUIRK_TOOL_CHOICE_ANY |
         RS_QUIRK_TOOL_ID_9 | RS_QUIRK_NO_STREAM_USAGE},
    /* usage arrives in x_groq on the last chunk */
    {"groq", "openai", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "GROQ_BASE_URL",
     COMPAT | RS_QUIRK_NO_STREAM_USAGE},
    {"together", "openai", "https://api.together.ai/v1", "TOGETHER_API_KEY", "TOGETHER_BASE_URL",
     COMPAT | RS_QUIRK_MAX_TOKENS_LEGACY | RS_QUIRK_TOP_K},
    /* JSON mode only, text only, no seed */
    {"deepseek", "openai", "https://api.deepseek.com", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL",
     COMPAT | RS_QUIRK_MAX_TOKENS_LEGACY | RS_QUIRK_NO_JSON_SCHEMA | RS_QUIRK_NO_IMAGES |
         RS_QUIRK_NO_SEED},
    {"openrouter", "openai", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY",
     "OPENROUTER_BASE_URL", COMPAT | RS_QUIRK_MAX_TOKENS_LEGACY | RS_QUIRK_TOP_K},
    {"vllm", "openai", "http://localhost:8000/v1", "VLLM_API_KEY", "VLLM_BASE_URL",
     COMPAT | RS_QUIRK_MAX_TOKENS_LEGACY | RS_QUIRK_TOP_K | RS_QUIRK_KEY_OPTIONAL},
    /* llama.cpp's server decodes only inline images */
    {"llamacpp", "openai", "http://localhost:8080/v1", "LLAMACPP_API_KEY", "LLAMACPP_BASE_URL",
     COMPAT | RS_QUIRK_MAX_TOKENS_LEGACY | RS_QUIRK_TOP_K | RS_QUIRK_NO_IMAGE_URL |
         RS_QUIRK_KEY_OPTIONAL},
    {"mock", "mock", "mock://offline", "", "", RS_QUIRK_KEY_OPTIONAL},
};

#define NBUILTINS (sizeof builtins / sizeof builtins[0])

size_t rs_service_builtin_count(void)
{
    return NBUILTINS;
}

const char *rs_service_builtin_name(size_t i)
{
    return i < NBUILTINS ? builtins[i].name : NULL;
}

static int set_text(char *dst, size_t size, const char *src, const char *what, const char *svc,
                    rs_error *err)
{
    size_t n = strlen(src);
    if (n >= size)
        return rs_error_set(err, RS_ECONFIG, "provider '%s': %s is longer than %zu bytes", svc,
                            what, size - 1);
    memcpy(dst, src, n + 1);
    return 0;
}

/* A base URL: http(s):// (or mock://), stored without trailing slashes. A bare host:port (the
 * usual OLLAMA_HOST form) gets http://. */
static int set_base_url(rs_service *s, const char *url, const char *from, rs_error *err)
{
    char buf[sizeof s->base_url];
    int n;
    if (strstr(url, "://"))
        n = snprintf(buf, sizeof buf, "%s", url);
    else
        n = snprintf(buf, sizeof buf, "http://%s", url);
    if (n < 0 || (size_t)n >= sizeof buf)
        return rs_error_set(err, RS_ECONFIG, "provider '%s': base URL from %s is too long", s->name,
                            from);
    if (strncmp(buf, "http://", 7) != 0 && strncmp(buf, "https://", 8) != 0 &&
        strncmp(buf, "mock://", 7) != 0)
        return rs_error_set(err, RS_ECONFIG,
                            "provider '%s': base URL '%s' from %s must start with http:// or "
                            "https://",
                            s->name, buf, from);
    while (n > 0 && buf[n - 1] == '/')
        buf[--n] = '\0';
    for (int i = 0; i < n; i++)
        if ((unsigned char)buf[i] <= ' ')
            return rs_error_set(err, RS_ECONFIG,
                                "provider '%s': base URL from %s contains a space or control "
                                "character",
                                s->name, from);
    memcpy(s->base_url, buf, (size_t)n + 1);
    return 0;
}

static int apply_entry(rs_service *s, const cJSON *e, int is_new, rs_error *err)
{
    const cJSON *v;
    int rc = 0;
    if (!cJSON_IsObject(e))
        return rs_error_set(err, RS_ECONFIG, "rosetta.yaml: providers.%s must be a mapping",
                            s->name);
    cJSON_ArrayForEach(v, e)
    {
        const char *k = v->string;
        if (strcmp(k, "quirks") == 0) {
            const cJSON *q;
            if (!cJSON_IsArray(v))
                return rs_error_set(err, RS_ECONFIG,
                                    "rosetta.yaml: providers.%s.quirks must be a list", s->name);
            s->quirks = 0; /* the list replaces the built-in set */
            cJSON_ArrayForEach(q, v)
            {
                unsigned bit = cJSON_IsString(q) ? rs_quirk_from_name(q->valuestring) : 0;
                if (!bit)
                    return rs_error_set(err, RS_ECONFIG,
                                        "rosetta.yaml: providers.%s.quirks: unknown quirk '%s' "
                                        "(see docs/providers.md)",
                                        s->name, cJSON_IsString(q) ? q->valuestring : "?");
                s->quirks |= bit;
            }
            continue;
        }
        if (!cJSON_IsString(v))
            return rs_error_set(err, RS_ECONFIG, "rosetta.yaml: providers.%s.%s must be a string",
                                s->name, k);
        if (strcmp(k, "base_url") == 0) {
            rc = set_base_url(s, v->valuestring, "rosetta.yaml", err);
        } else if (strcmp(k, "key_env") == 0) {
            rc = set_text(s->key_env, sizeof s->key_env, v->valuestring, "key_env", s->name, err);
        } else if (strcmp(k, "dialect") == 0) {
            const rs_dialect *d = rs_dialect_find(v->valuestring);
            if (!d)
                return rs_error_set(err, RS_ECONFIG,
                                    "rosetta.yaml: providers.%s.dialect '%s' is not one of openai, "
                                    "openai-responses, anthropic, gemini, ollama, mock",
                                    s->name, v->valuestring);
            s->dialect = d;
        } else {
            return rs_error_set(err, RS_ECONFIG,
                                "rosetta.yaml: providers.%s: unknown key '%s' (expected "
                                "base_url, key_env, dialect, quirks)",
                                s->name, k);
        }
        if (rc)
            return rc;
    }
    if (is_new && !s->base_url[0])
        return rs_error_set(err, RS_ECONFIG,
                            "rosetta.yaml: providers.%s is not a built-in provider and has no "
                            "base_url",
                            s->name);
    return 0;
}

/* The generic <NAME>_BASE_URL variable for services without an SDK convention. */
static void generic_url_env(char *buf, size_t size, const char *name)
{
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 10 < size; i++) {
        char c = name[i];
        buf[j++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : (c == '-' || c == '.') ? '_' : c;
    }
    memcpy(buf + j, "_BASE_URL", 10);
}

/*
 * Resolve provider to a service. Order: built-in fields, then rosetta.yaml's providers.<name>
 * (config is the whole rosetta.yaml document as cJSON, may be NULL), then the base-URL
 * environment variable (an override for one invocation wins over the repository's file).
 * RS_ENOTFOUND for an unknown provider, RS_ECONFIG for a bad entry.
 */
int rs_service_lookup(rs_service *out, const char *provider, const cJSON *config, rs_error *err)
{
    const struct builtin *b = NULL;
    const cJSON *entry = NULL;
    char url_env[96] = "";
    int rc;
    memset(out, 0, sizeof *out);
    if (!provider || !*provider)
        return rs_error_set(err, RS_EINVAL, "empty provider name");
    for (size_t i = 0; i < NBUILTINS; i++)
        if (strcmp(builtins[i].name, provider) == 0)
            b = &builtins[i];
    if (config) {
        const cJSON *providers = cJSON_GetObjectItemCaseSensitive(config, "providers");
        if (providers && !cJSON_IsNull(providers) && !cJSON_IsObject(providers))
            return rs_error_set(err, RS_ECONFIG, "rosetta.yaml: providers must be a mapping");
        entry = cJSON_GetObjectItemCaseSensitive(providers, provider);
    }
    if (!b && !entry)
        return rs_error_set(err, RS_ENOTFOUND,
                            "unknown provider '%s': built-ins are openai, openai-responses, "
                            "anthropic, gemini, ollama, mistral, groq, together, deepseek, "
                            "openrouter, vllm, llamacpp, mock; others are declared under "
                            "providers: in rosetta.yaml",
                            provider);
    if ((rc = set_text(out->name, sizeof out->name, provider, "the name", provider, err)) != 0)
        return rc;
    if (b) {
        out->dialect = rs_dialect_find(b->dialect);
        memcpy(out->base_url, b->base_url, strlen(b->base_url) + 1);
        memcpy(out->key_env, b->key_env, strlen(b->key_env) + 1);
        out->quirks = b->quirks;
        if (b->url_env[0])
            snprintf(url_env, sizeof url_env, "%s", b->url_env);
    } else {
        out->dialect =
            rs_dialect_find("openai"); /* a new service is OpenAI-compatible by default */
        out->quirks = RS_QUIRK_NO_DEVELOPER_ROLE;
    }
    if (!url_env[0])
        generic_url_env(url_env, sizeof url_env, provider);
    if (entry && (rc = apply_entry(out, entry, b == NULL, err)) != 0)
        return rc;
    const char *env = getenv(url_env);
    if (env && *env && (rc = set_base_url(out, env, url_env, err)) != 0)
        return rc;
    /* Google's SDKs accept GOOGLE_API_KEY too: name the one that is set, so --curl is right. */
    if (strcmp(out->key_env, "GEMINI_API_KEY") == 0 && !getenv("GEMINI_API_KEY") &&
        getenv("GOOGLE_API_KEY"))
        memcpy(out->key_env, "GOOGLE_API_KEY", sizeof "GOOGLE_API_KEY");
    if (!out->dialect)
        return rs_error_set(err, RS_EINTERNAL, "provider '%s': its dialect is not built in",
                            provider);
    return 0;
}
