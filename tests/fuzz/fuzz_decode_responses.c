/*
 * tests/fuzz/fuzz_decode_responses.c - libFuzzer target for the "openai-responses" dialect: its
 * response decoder, its stream decoder (SSE framing + events), its error classifier and the
 * retry-hint header parser, chosen by the first input byte (see fuzz_decode.h). Seeds:
 * tests/fuzz/corpus/decode_responses/ (the recorded transcripts, mode byte prepended).
 */
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_one("openai-responses", data, size);
}
