/*
 * tests/fuzz/fuzz_decode_ollama.c - libFuzzer target for the "ollama" dialect: its response
 * decoder, its stream decoder (NDJSON framing + events), its error classifier and the retry-hint
 * header parser, chosen by the first input byte (see fuzz_decode.h).
 * Seeds: tests/fuzz/corpus/decode_ollama/ (the recorded transcripts, mode byte prepended).
 */
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode_one("ollama", data, size);
}
