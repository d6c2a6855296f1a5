/*
 * providers/decode.h - the decoding half of each dialect (responses, stream events, errors).
 * Implemented in providers/<dialect>_decode.c; the dialect tables in providers/dialects.c point here.
 * Signatures are those of the rs_dialect slots in providers/provider.h.
 */
#ifndef RS_PROVIDERS_DECODE_H
#define RS_PROVIDERS_DECODE_H

#include "providers/provider.h"

#define RS_DECLARE_DECODER(prefix)                                                                 \
    int prefix##_decode(rs_result *res, rs_provider_error *pe, const char *body, size_t len,       \
                        rs_error *err);                                                            \
    int prefix##_stream_event(rs_stream *st, rs_result *res, rs_provider_error *pe,                \
                              const char *event, const char *data, size_t len, rs_error *err);     \
    void prefix##_stream_free(rs_stream *st);                                                      \
    void prefix##_classify_error(rs_provider_error *pe, int http_status, const char *body,         \
                                 size_t len, long retry_after_ms);

/* OpenAI Chat Completions and the OpenAI-compatible services */
RS_DECLARE_DECODER(rs_openai)

/* OpenAI Responses */
RS_DECLARE_DECODER(rs_openai_responses)

/* Anthropic Messages */
RS_DECLARE_DECODER(rs_anthropic)

/* Gemini generateContent */
RS_DECLARE_DECODER(rs_gemini)

/* Ollama /api/chat (NDJSON streams) */
RS_DECLARE_DECODER(rs_ollama)

/* the offline mock provider */
RS_DECLARE_DECODER(rs_mock)

/*
 * Conventions every decoder follows, so results compare across providers:
 *   - usage.input counts every prompt token, cached ones included (OpenAI prompt_tokens, Gemini
 *     promptTokenCount, Anthropic input + cache_creation + cache_read); usage.cached is the part
 *     read from a cache. usage.output counts every generated token, reasoning included (Gemini:
 *     candidates + thoughts); usage.reasoning is that part. -1 = the provider did not say.
 *   - tool-call arguments are parsed and re-printed compactly; arguments that are not a JSON
 *     object make the response undecodable (RS_FAIL_DECODE), never a silently wrong call.
 *   - a stream's accumulated result is complete only once st->done is set; the stream decoder in
 *     providers/sse.h turns "ended without its terminal event" into RS_FAIL_STREAM.
 *   - messages put in rs_provider_error come from the provider's error body (truncated to fit);
 *     request bodies and headers are never echoed, so no key can leak through them.
 */

/* ---------- helpers shared by the decoders (providers/result.c) ---------- */

/* Fill pe (NULL-safe) with a class, status, retry hint and printf-style message; returns
 * RS_EPROVIDER and, when err is not NULL, sets err to the same message. */
int rs_provider_fail(rs_provider_error *pe, rs_error *err, rs_fail_class cls, int http_status,
                     long retry_after_ms, const char *fmt, ...) RS_PRINTF(6, 7);

/* The class a bare HTTP status implies (providers.md §7), before any body is looked at. */
rs_fail_class rs_fail_class_for_status(int http_status);

/*
 * Append a tool call to res. args (args_len bytes; NULL or empty = "{}") must be a JSON object:
 * it is parsed and stored re-printed. Anything else: RS_EPROVIDER with pe->cls RS_FAIL_DECODE.
 * id may be NULL/empty (Gemini, Ollama give none): a stable "call_<n>" is made up.
 */
int rs_result_add_tool_call(rs_result *res, rs_provider_error *pe, const char *id,
                            const char *name, const char *args, size_t args_len, rs_error *err);

/* Set res->finish and res->finish_raw (copied, truncated to fit). */
void rs_result_set_finish(rs_result *res, rs_finish f, const char *raw);

/* Parse a provider body as JSON, skipping leading whitespace (DeepSeek sends blank lines while
 * busy). RS_EPROVIDER + RS_FAIL_DECODE with the parse position on failure. */
int rs_decode_json(cJSON **out, rs_provider_error *pe, const char *body, size_t len,
                   const char *what, rs_error *err);

/* A JSON number or numeric string as a long; -1 when absent or not a number. */
long rs_decode_long(const cJSON *obj, const char *key);

/* Record the model the provider says answered (obj[key] when it is a string; cut to fit). */
void rs_decode_model(rs_result *res, const cJSON *obj, const char *key);

/*
 * Fill pe for a failed HTTP answer or an error event: cls (already decided by the dialect from the
 * status and the provider's error code/type), the status (200 for an error inside a stream), the
 * retry hint, and a one-line message "HTTP 429 rate_limit_exceeded: Rate limit reached ..." built
 * from kind (the provider's code or type, may be NULL) and message (may be NULL: then the first
 * line of a non-JSON body, up to 200 bytes, is quoted).
 */
void rs_provider_error_http(rs_provider_error *pe, rs_fail_class cls, int http_status,
                            long retry_after_ms, const char *kind, const char *message,
                            const char *body, size_t len);

/* A dialect's reading of its JSON error object into pe. */
typedef void (*rs_error_reader)(rs_provider_error *pe, int status, long retry_ms, const cJSON *e,
                                const char *body, size_t len);

/*
 * The classify_error every JSON dialect shares: parse body, find its error object (the root
 * itself when key is NULL, else root[key]) and let the dialect's reader classify it; a body that
 * is not JSON or has no such object is classified by the HTTP status alone.
 */
void rs_classify_json_error(rs_provider_error *pe, int http_status, const char *body, size_t len,
                            long retry_after_ms, const char *key, rs_error_reader read);

/* Provider error codes/types that mean "out of money or over a spend limit": not retryable. */
int rs_is_quota_code(const char *code);

#endif
