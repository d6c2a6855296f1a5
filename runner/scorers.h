/*
 * runner/scorers.h - how a compare judges one answer.
 *
 * A scorer is written as a SPEC on the command line or in an eval spec (docs/compare.md):
 *
 *   equals[:TEXT]            trimmed answer == TEXT (default: the case's expected; a non-string
 *                            expected is compared as JSON, key order ignored)
 *   contains[:A|B|..]        every listed text occurs in the answer (default: expected, a string or
 *   contains-any[:A|B|..]    an array of strings); -any: at least one; icontains, icontains-any:
 *   icontains[:..]           the same ignoring ASCII case
 *   regex:PATTERN            POSIX extended regular expression matches somewhere in the answer
 *   json-valid               the answer is one JSON document
 *   json-schema[:FILE]       the answer is JSON valid against FILE (default: the prompt's
 * output.schema) similarity[:f1|edit][>=T] token F1 (default) or 1 - normalized Levenshtein
 * distance against the expected string; value in [0,1], pass when value >= T (default 0.8)
 *   max-cost:USD             the call cost at most USD (value = cost; an unknown cost fails)
 *   max-latency:MS[ms|s]     the call took at most MS milliseconds (value = latency in ms)
 *   judge:RUBRIC@TARGET[>=T] an LLM judge: the rubric prompt RUBRIC (a registry ref, may itself
 * carry
 *                            @vN) rendered with {input, output, expected} and sent to TARGET
 *                            (provider/model); its answer must be a JSON object with a numeric
 *                            "score" in [0,1] (or exactly such a number); anything else is an
 * error, never a zero. Pass when score >= T (default 0.5).
 *
 * Each scorer yields a value and pass/fail. Binary scorers have value 1 or 0. The "normalized"
 * value of a scorer (what the per-case score averages) is the value for scorers on [0,1] and the
 * pass bit for the bounds (max-cost, max-latency).
 */
#ifndef RS_RUNNER_SCORERS_H
#define RS_RUNNER_SCORERS_H

#include "util/error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef enum {
    RS_SCORER_EQUALS,
    RS_SCORER_CONTAINS,
    RS_SCORER_REGEX,
    RS_SCORER_JSON_VALID,
    RS_SCORER_JSON_SCHEMA,
    RS_SCORER_SIMILARITY,
    RS_SCORER_MAX_COST,
    RS_SCORER_MAX_LATENCY,
    RS_SCORER_JUDGE
} rs_scorer_kind;

typedef struct rs_scorer rs_scorer;

/* Parse a SPEC. RS_EINVAL with a message quoting the spec and saying what was expected. */
int rs_scorer_parse(rs_scorer **out, const char *spec, rs_error *err);
void rs_scorer_free(rs_scorer *s);

const char *rs_scorer_spec(const rs_scorer *s); /* the spec as given (its name in reports) */
rs_scorer_kind rs_scorer_kind_of(const rs_scorer *s);
/* 1 when the value is binary (0/1), 0 for continuous values. */
int rs_scorer_is_binary(const rs_scorer *s);

/* For judge scorers: the rubric ref and the target (borrowed). NULL for other kinds. */
const char *rs_scorer_judge_rubric(const rs_scorer *s);
const char *rs_scorer_judge_target(const rs_scorer *s);

/* Set the schema json-schema checks when the spec names no file (the prompt's output.schema). The
 * scorer keeps a copy. 0 or RS_ENOMEM. */
int rs_scorer_set_default_schema(rs_scorer *s, const cJSON *schema);

/* What a scorer sees of one call. */
typedef struct rs_score_input {
    const char *output;    /* the answer text ("" when none) */
    const cJSON *expected; /* the case's expected value, NULL when none */
    int cost_known;
    double cost_usd;
    double latency_ms;
    const char *judge_answer; /* judge scorers: the judge's answer text */
} rs_score_input;

typedef struct rs_score {
    double value;
    int pass;
    double normalized; /* in [0,1]: value or pass, see above */
} rs_score;

/*
 * Score one answer. A scorer that cannot score (no expected value for `equals`, a schema file that
 * does not parse, a malformed judge answer) returns an error (RS_EINVAL / RS_ESCHEMA) with the
 * reason: callers record it as a scoring error, never as a zero.
 */
int rs_scorer_score(rs_score *out, const rs_scorer *s, const rs_score_input *in, rs_error *err);

/* The pass bit a stored value implies (re-reporting from the log stores only values). */
int rs_scorer_pass_of(const rs_scorer *s, double value);

/* The judge's input variables {input: VARS, output: TEXT, expected: EXPECTED|null}. */
cJSON *rs_scorer_judge_vars(const cJSON *vars, const char *output, const cJSON *expected);

/* Strictly parse a judge's answer into a score in [0,1] (see the header comment). */
int rs_scorer_parse_judge_answer(double *score, const char *answer, rs_error *err);

/*
 * Where REF@PROVIDER/MODEL splits: the rightmost '@' followed by a provider name (letters, digits,
 * '-', '_', '.') and '/', so refs keep their own @vN / @label ("support/triage@v3@openai/gpt-4o"
 * splits before "openai"). NULL when there is none.
 */
const char *rs_ref_target_split(const char *s);

/* Exposed for tests: token F1 and 1 - normalized edit distance of two texts, in [0,1]. */
double rs_similarity_f1(const char *a, const char *b);
int rs_similarity_edit(double *out, const char *a, const char *b);

/* JSON Schema validation of an answer (templates/jsonschema_validate.h, the validator of
 * `render --strict`): 0, or RS_ESCHEMA with "output.PATH: RULE" of the first failure. */
int rs_scorer_schema_check(const cJSON *schema, const cJSON *value, rs_error *err);

#endif
