/*
 * tests/fuzz/fuzz_decode_mock.c - libFuzzer target for the "mock" dialect's decoders:
 * responses, streams (SSE framing + events) and error bodies (see fuzz_decode.h).
 * Seeds: tests/fuzz/corpus/decode_mock/ (the recorded transcripts, mode byte prepended).
 */
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_one("mock", data, size);
}
