/*
 * runner/mock_provider.h - the built-in offline provider `mock`, answered in-process.
 *
 * The runner sends nothing over the network for service "mock": it encodes the request with the
 * mock dialect like any other (so the encode path is exercised) and hands the body to
 * rs_mock_answer. Same body and model -> same answer and the same token counts, always.
 *
 * The body the mock dialect's encoder produces (providers/mock.c, the neutral request as JSON):
 *     {"model": "echo", "messages": [{"role": "system"|"user"|"assistant"|"tool",
 *                                     "parts": [{"text": ".."}, {"media": ..}, ...]}, ...],
 *      "output": {"format": "json", "schema": {JSON Schema}}  (optional), ...}
 * "content" (a string or an array of parts) is accepted in place of "parts", and
 * "output_schema" in place of output.schema. Parts contribute their "text"; others are ignored.
 * A RenderedPrompt itself (messages with "content": [{"text"}]) is accepted too.
 *
 * Models:
 *   mock/echo          the text of the last user message
 *   mock/upper         the same in upper case (ASCII)
 *   mock/fixed:TEXT    TEXT, whatever the input
 *   mock/json          a JSON value that satisfies output_schema (first enum value, "" -> the
 *                      input text for the first string, 0, false, one-item arrays), or
 *                      {"echo": TEXT} without a schema
 *   mock/fail:CLASS    always fails with that class (rate_limit, overloaded, server, timeout,
 *                      auth, quota, bad_request, ...): routes and retries can be shown offline
 * Usage: input = words (runs of non-space bytes) in every message's text, output = words in the
 * answer; cached and reasoning 0. Finish "stop" (raw "stop").
 * Latency: the runner waits ROSETTA_MOCK_LATENCY_MS (or its option) before answering.
 */
#ifndef RS_RUNNER_MOCK_PROVIDER_H
#define RS_RUNNER_MOCK_PROVIDER_H

#include "providers/provider.h"

/*
 * Answer `body` (len bytes) for model (the part after "mock/"). Returns 0 with res filled, or
 * RS_EPROVIDER with pe filled (mock/fail:..., or a body that is not the JSON above: decode), or
 * RS_EINVAL for an unknown model (err names the known ones), RS_ENOMEM.
 */
int rs_mock_answer(rs_result *res, rs_provider_error *pe, const char *model, const char *body,
                   size_t len, rs_error *err);

/* 1 when model is one rs_mock_answer knows. */
int rs_mock_model_known(const char *model);

#endif
