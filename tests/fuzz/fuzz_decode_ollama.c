/*
 * tests/fuzz/fuzz_decode_ollama.c - libFuzzer target for the "ollama" dialect's decoders:
 * responses, streams (NDJSON framing + events) and error bodies (see fuzz_decode.h).
 * Seeds: tests/fuzz/corpus/decode_ollama/ (the recorded transcripts, mode byte prepended).
 */
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_one("ollama", data, size);
}
