/*
 * tests/fuzz/fuzz_decode_responses.c - libFuzzer target for the "openai-responses" dialect's decoders:
 * responses, streams (SSE framing + events) and error bodies (see fuzz_decode.h).
 * Seeds: tests/fuzz/corpus/decode_responses/ (the recorded transcripts, mode byte prepended).
 */
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_one("openai-responses", data, size);
}
