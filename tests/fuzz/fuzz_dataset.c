/*
 * tests/fuzz/fuzz_dataset.c - libFuzzer target for compare's inputs: a JSONL dataset, and the
 * first line as a scorer SPEC that then scores the rest as an answer (and as a judge's answer).
 * Any input must end in a value or an rs_error, never a crash, a leak or a hang.
 *
 *   scripts/fuzz.sh runs it with tests/fuzz/corpus/dataset/ as the seed corpus.
 */
#include "runner/dataset.h"
#include "runner/scorers.h"
#include "util/alloc.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_error err = RS_ERROR_INIT;
    rs_dataset *ds = NULL;
    if (rs_dataset_parse(&ds, (const char *)data, size, "fuzz.jsonl", &err) == 0) {
        for (size_t i = 0; i < ds->n; i++)
            (void)rs_dataset_find(ds, ds->cases[i].id);
    }
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head = nl ? (size_t)(nl - data) : size;
    if (head < 256) {
        char spec[256];
        memcpy(spec, data, head);
        spec[head] = '\0';
        rs_scorer *s = NULL;
        rs_error serr = RS_ERROR_INIT;
        /* json-schema:FILE would read files: the fuzzer only exercises specs without I/O */
        if (strncmp(spec, "json-schema:", 12) != 0 && rs_scorer_parse(&s, spec, &serr) == 0) {
            char *answer = rs_strndup(nl ? (const char *)nl + 1 : "", nl ? size - head - 1 : 0);
            if (answer) {
                rs_score sc;
                rs_score_input in = {
                    answer, ds && ds->n ? ds->cases[0].expected : NULL, 1, 0.01, 100, answer};
                rs_error e2 = RS_ERROR_INIT;
                (void)rs_scorer_score(&sc, s, &in, &e2);
                double v;
                (void)rs_scorer_parse_judge_answer(&v, answer, &e2);
                if (strlen(answer) < 2000)
                    (void)rs_similarity_edit(&v, answer, spec);
                (void)rs_similarity_f1(answer, spec);
                rs_free(answer);
            }
            rs_scorer_free(s);
        }
    }
    rs_dataset_free(ds);
    return 0;
}
