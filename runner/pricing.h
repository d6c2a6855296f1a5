/*
 * runner/pricing.h - what a call cost, from a pricing table.
 *
 * The table ships inside the library: data/model_prices.json (a dated snapshot of the community
 * table in BerriAI/litellm, see data/PRICES_SOURCE.md) is embedded at build time, so an
 * installed `rosetta` works anywhere. Keys are "provider/model" with our provider names
 * ("openai/gpt-4o", "anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash",
 * "openrouter/anthropic/claude-sonnet-4.5"); a bare "provider" key prices all its models.
 * Prices are USD per token.
 *
 * Overrides come from the `pricing:` map of rosetta.yaml (already parsed to cJSON), in USD per
 * MILLION tokens because that is how providers publish them:
 *     pricing:
 *       openai/gpt-4o: {input: 2.5, output: 10, cached_input: 1.25}
 *       vllm: {input: 0, output: 0}              # every vllm model: self-hosted, free
 * An override replaces the whole entry for its key.
 *
 * Lookup order for (provider, model): exact key, then the bare "provider" key; "openai-responses"
 * falls back to "openai" prices; the offline provider "mock" is free. An unknown model has an
 * UNKNOWN cost (logged as NULL, with a warning), never a silent zero.
 */
#ifndef RS_RUNNER_PRICING_H
#define RS_RUNNER_PRICING_H

#include "providers/provider.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct rs_pricing rs_pricing;

typedef struct rs_price {
    double input;        /* USD per input token */
    double output;       /* USD per output token (reasoning included) */
    double cached_input; /* USD per cached input token; = input when the table gives none */
} rs_price;

/* The embedded table plus overrides (the `pricing` node of rosetta.yaml; may be NULL).
 * RS_ECONFIG with a message naming the key when an override is malformed. */
int rs_pricing_load(rs_pricing **out, const cJSON *overrides, rs_error *err);

/* Same from a given table text (tests, `--prices FILE`); file names the source in errors. */
int rs_pricing_load_text(rs_pricing **out, const char *json, size_t len, const char *file,
                         const cJSON *overrides, rs_error *err);

void rs_pricing_free(rs_pricing *p);

/* The price for provider/model, borrowed until rs_pricing_free; NULL when unknown. */
const rs_price *rs_pricing_find(const rs_pricing *p, const char *provider, const char *model);

/* Number of entries (after overrides). */
size_t rs_pricing_count(const rs_pricing *p);

/*
 * Cost of one call: (input - cached) * input + cached * cached_input + output * output.
 * Returns 1 and sets *cost_usd when known; returns 0 when unknown (no price for the model, or
 * the provider reported no input/output token counts) and writes why into warning (may be
 * NULL) for the caller to print ("no price for groq/foo: cost recorded as unknown").
 */
int rs_pricing_cost(const rs_pricing *p, const char *provider, const char *model,
                    const rs_usage *usage, double *cost_usd, char *warning, size_t warning_size);

/* The embedded table text (NUL-terminated) and its length; generated at build time. */
extern const char rs_prices_embedded[];
extern const size_t rs_prices_embedded_len;

#endif
