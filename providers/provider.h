/*
 * providers/provider.h - the contract between provider dialects, the transport and the runner.
 *
 * A dialect is a const table of functions (STYLE.md §6): encoding a neutral RenderedPrompt into the
 * provider's request body, naming the endpoint and headers, decoding a response, a stream event and
 * an error. A service is a configured instance of a dialect (openai, groq, together, ... all speak
 * the "openai" dialect with their own base URL, key variable and quirks), so a new OpenAI-compatible
 * service is configuration, not code.
 *
 * Ownership: everything a function here fills (rs_str, rs_result) is owned by the caller.
 * Keys: a dialect's headers() is the only place a key's value is read (from the environment named by
 * the service); the value goes into the header list and nowhere else (never into errors or logs).
 */
#ifndef RS_PROVIDERS_PROVIDER_H
#define RS_PROVIDERS_PROVIDER_H

#include "util/error.h"
#include "util/str.h"
#include "util/vec.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/* ---------- targets and services ---------- */

/* "provider/model", split at the first '/' ("openrouter/anthropic/claude-sonnet-4.5"). */
typedef struct rs_target {
    char provider[64];
    char model[256];
} rs_target;

int rs_target_parse(rs_target *out, const char *spec, rs_error *err);

/* Quirk flags of OpenAI-compatible services (providers.md lists each service's). */
enum {
    RS_QUIRK_MAX_TOKENS_LEGACY = 1 << 0,  /* send max_tokens, not max_completion_tokens */
    RS_QUIRK_NO_SEED = 1 << 1,
    RS_QUIRK_NO_JSON_SCHEMA = 1 << 2,     /* only response_format json_object */
    RS_QUIRK_NO_IMAGE_URL = 1 << 3,       /* images must be inline data: URLs */
    RS_QUIRK_NO_STREAM_USAGE = 1 << 4,    /* no stream_options.include_usage */
    RS_QUIRK_NO_DEVELOPER_ROLE = 1 << 5,
    RS_QUIRK_RANDOM_SEED_NAME = 1 << 6,   /* Mistral: random_seed instead of seed */
    RS_QUIRK_TOOL_CHOICE_ANY = 1 << 7,    /* Mistral: "any" instead of "required" */
    RS_QUIRK_TOOL_ID_9 = 1 << 8,          /* Mistral: tool-call ids exactly 9 chars [a-zA-Z0-9] */
    RS_QUIRK_TOP_K = 1 << 9,              /* accepts top_k (Together, vLLM, llama.cpp, OpenRouter) */
    RS_QUIRK_NO_IMAGES = 1 << 10,         /* takes no image parts at all (DeepSeek) */
    RS_QUIRK_KEY_OPTIONAL = 1 << 11       /* a key is sent only when its variable is set (local) */
};

typedef struct rs_dialect rs_dialect;

typedef struct rs_service {
    char name[64];           /* "openai", "groq", "mock", or a name from rosetta.yaml */
    const rs_dialect *dialect;
    char base_url[512];      /* no trailing slash, e.g. "https://api.groq.com/openai/v1" */
    char key_env[64];        /* environment variable holding the key; "" = no key needed */
    unsigned quirks;         /* RS_QUIRK_* */
} rs_service;

/*
 * Find the service for a provider name: built-ins (openai, openai-responses, anthropic, gemini,
 * ollama, mistral, groq, together, deepseek, openrouter, vllm, llamacpp, mock), overridden or
 * extended by the "providers" section of rosetta.yaml (config may be NULL). Base URL environment
 * overrides (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, GEMINI_BASE_URL, OLLAMA_HOST, ...) apply.
 */
int rs_service_lookup(rs_service *out, const char *provider, const cJSON *config, rs_error *err);

/* ---------- requests ---------- */

typedef struct rs_encode_opts {
    int stream;               /* ask for a streamed response */
} rs_encode_opts;

#define RS_ENCODE_OPTS_INIT {0}

/* An HTTP request ready to send. headers are "Name: value" strings (char *, rs_malloc'd). */
typedef struct rs_request {
    rs_str url;
    rs_vec headers;           /* of char * */
    rs_str body;
    int stream;
} rs_request;

void rs_request_init(rs_request *req);
void rs_request_free(rs_request *req);

/*
 * Build the whole request for `rendered` (a RenderedPrompt, render/prompt.h) to svc/model:
 * endpoint, headers (with the key from the environment, when with_key), body.
 * When with_key is 0 the key header carries "$KEY_ENV" literally (for `render --curl`).
 */
int rs_request_build(rs_request *req, const rs_service *svc, const char *model,
                     const cJSON *rendered, const rs_encode_opts *o, int with_key, rs_error *err);

/* A shell command that sends req with curl (URL, -H per header, -d body, -N when streaming),
 * everything single-quoted except a "$KEY_ENV" header, which the shell expands. */
int rs_request_curl(rs_str *out, const rs_request *req, rs_error *err);

/* ---------- responses ---------- */

typedef enum {
    RS_FINISH_UNKNOWN = 0,
    RS_FINISH_STOP,
    RS_FINISH_LENGTH,
    RS_FINISH_TOOL,
    RS_FINISH_FILTER,
    RS_FINISH_ERROR,
    RS_FINISH_OTHER
} rs_finish;

const char *rs_finish_name(rs_finish f); /* "stop", "length", ... */

typedef struct rs_tool_call {
    char *id;
    char *name;
    char *args_json;          /* the arguments as a JSON text (parsed and re-printed) */
} rs_tool_call;

/* Token counts; -1 = not reported. */
typedef struct rs_usage {
    long input;
    long output;
    long cached;
    long reasoning;
} rs_usage;

typedef struct rs_result {
    rs_str text;
    rs_vec tool_calls;        /* of rs_tool_call */
    rs_finish finish;
    char finish_raw[64];      /* the provider's own value */
    rs_usage usage;
    char response_model[256]; /* the model the provider says answered, "" if not given */
} rs_result;

void rs_result_init(rs_result *res);
void rs_result_free(rs_result *res);

/* Why an attempt failed; decides retry and fallback (providers.md §7). */
typedef enum {
    RS_FAIL_NONE = 0,
    RS_FAIL_RATE_LIMIT,       /* 429, retryable */
    RS_FAIL_OVERLOADED,       /* 503, 529, retryable */
    RS_FAIL_SERVER,           /* 500, 502, 504, other 5xx, retryable */
    RS_FAIL_TIMEOUT,          /* no answer in time, retryable */
    RS_FAIL_NETWORK,          /* connection refused/reset, retryable */
    RS_FAIL_STREAM,           /* stream cut or error event mid-stream, retryable */
    RS_FAIL_DECODE,           /* malformed response body, not retryable on the same target */
    RS_FAIL_AUTH,             /* 401/403, not retryable */
    RS_FAIL_QUOTA,            /* quota/billing/spend limit, not retryable */
    RS_FAIL_BAD_REQUEST,      /* 400/404/413/422, not retryable */
    RS_FAIL_OTHER
} rs_fail_class;

const char *rs_fail_class_name(rs_fail_class c); /* "rate_limit", "overloaded", ... */
int rs_fail_class_retryable(rs_fail_class c);

/* A classified provider error: the class, a message safe to log (never contains a key), and the
 * retry delay the provider asked for in ms (-1 when it gave none). */
typedef struct rs_provider_error {
    rs_fail_class cls;
    int http_status;
    long retry_after_ms;
    char message[512];
} rs_provider_error;

/* Stream decoding state, one per response; dialects keep what they need in `state`. */
typedef struct rs_stream {
    void *state;              /* dialect-owned, freed by the dialect's stream_free */
    int done;                 /* the terminal event was seen */
    int got_first_token;      /* set when the first text/tool delta arrived (for TTFT) */
} rs_stream;

/* The dialect table. */
struct rs_dialect {
    const char *name; /* "openai", "openai-responses", "anthropic", "gemini", "ollama", "mock" */
    int stream_ndjson; /* 1: stream is NDJSON lines (Ollama); 0: SSE */

    /* Body for the neutral RenderedPrompt. RS_EUNSUPPORTED with a precise message when the prompt
     * cannot be expressed in this dialect. */
    int (*encode)(rs_str *body, const rs_service *svc, const char *model, const cJSON *rendered,
                  const rs_encode_opts *o, rs_error *err);
    /* Full URL for model (and streaming). */
    int (*endpoint)(rs_str *url, const rs_service *svc, const char *model, int stream,
                    rs_error *err);
    /* Auth and other headers appended to headers (char *); key_value may be NULL (no key). */
    int (*headers)(rs_vec *headers, const rs_service *svc, const char *key_value, rs_error *err);

    /* A complete (non-streamed) 2xx body into res. RS_EPROVIDER with pe filled when the body is
     * an error or malformed (cls RS_FAIL_DECODE). */
    int (*decode)(rs_result *res, rs_provider_error *pe, const char *body, size_t len,
                  rs_error *err);
    /* One SSE event (event name may be NULL) or one NDJSON line (event NULL) into res; sets
     * st->done at the terminal event. An error event fills pe and returns RS_EPROVIDER. */
    int (*stream_event)(rs_stream *st, rs_result *res, rs_provider_error *pe, const char *event,
                        const char *data, size_t len, rs_error *err);
    void (*stream_free)(rs_stream *st);
    /* A non-2xx answer: classify status + body (+ the retry hint already parsed from headers
     * by the transport, -1 when none) into pe. Never fails. */
    void (*classify_error)(rs_provider_error *pe, int http_status, const char *body, size_t len,
                           long retry_after_ms);
};

/* All built-in dialects, NULL-terminated; and lookup by name (NULL when unknown). */
extern const rs_dialect *const rs_dialects[];
const rs_dialect *rs_dialect_find(const char *name);

#endif
