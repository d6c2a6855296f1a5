/*
 * rosetta/provider.h - a rendered prompt as the exact HTTP request a provider expects.
 *
 * Input is a RenderedPrompt as JSON text (rosetta/prompt.h renders one); output is the request:
 * endpoint URL, headers and body, for a target "PROVIDER/MODEL" (openai, openai-responses,
 * anthropic, gemini, ollama, mistral, groq, together, deepseek, openrouter, vllm, llamacpp, mock,
 * or a service declared under `providers:` in rosetta.yaml; docs/providers.md has the rules).
 * Apps that do their own HTTP send exactly this; Rosetta's runner sends the same bytes.
 *
 * Keys: with with_key = 0 the auth header carries the variable's name ("$ANTHROPIC_API_KEY"),
 * so the request can be printed; with with_key = 1 it carries the value from the environment,
 * and the value appears nowhere else (not in errors, not in the body).
 */
#ifndef ROSETTA_PROVIDER_H
#define ROSETTA_PROVIDER_H

#include "rosetta/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rs_provider_request rs_provider_request;

typedef struct rs_provider_options {
    int stream;   /* ask for a streamed answer (stream fields, Gemini's SSE endpoint) */
    int with_key; /* 1: the key's value in the auth header; 0: "$VARIABLE" */
    const char
        *config_json; /* rosetta.yaml as JSON (its "providers" section is read); may be NULL */
} rs_provider_options;

#define RS_PROVIDER_OPTIONS_INIT                                                                   \
    {                                                                                              \
        0, 0, NULL                                                                                 \
    }

/*
 * Encode rendered_json (len bytes) for target. Errors: RS_EINVAL (bad target, malformed
 * RenderedPrompt or config value), RS_ESYNTAX (JSON text with line:col), RS_ENOTFOUND (unknown
 * provider), RS_ECONFIG (bad providers entry, key variable not set with with_key), and
 * RS_EUNSUPPORTED when the prompt cannot be expressed for that provider; the message says why
 * ("config.temperature = 1.5 is out of range for anthropic (accepted: 0 to 1)"). *out is NULL
 * on failure; free it with rs_provider_request_free.
 */
int rs_provider_encode(rs_provider_request **out, const char *target, const char *rendered_json,
                       size_t len, const rs_provider_options *opts, rs_error *err);

/* The endpoint URL; borrowed from r until rs_provider_request_free. */
const char *rs_provider_request_url(const rs_provider_request *r);
/* The body (compact JSON, NUL-terminated; *len its length when len is not NULL); borrowed. */
const char *rs_provider_request_body(const rs_provider_request *r, size_t *len);
/* Headers as "Name: value" lines; borrowed. */
size_t rs_provider_request_header_count(const rs_provider_request *r);
const char *rs_provider_request_header(const rs_provider_request *r, size_t i);
/* The provider's dialect ("openai", "anthropic", ...); borrowed. */
const char *rs_provider_request_dialect(const rs_provider_request *r);
/* A ready-to-run curl command (URL, -H per header, -d body); *out freed with rs_free. */
int rs_provider_request_curl(char **out, const rs_provider_request *r, rs_error *err);
/* NULL-safe. */
void rs_provider_request_free(rs_provider_request *r);

#ifdef __cplusplus
}
#endif

#endif
