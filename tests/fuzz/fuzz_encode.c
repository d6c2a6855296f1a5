/*
 * tests/fuzz/fuzz_encode.c - libFuzzer target for the encoding half of the provider dialects: the
 * input is a RenderedPrompt (JSON), encoded for every built-in service (the first byte of the
 * input, when it is a digit, also turns on streaming). Any input must end in a body that is valid
 * JSON or in an rs_error with a message, never a crash, a leak or a hang.
 *
 *   scripts/fuzz.sh runs it with tests/fuzz/corpus/encode/ (the golden RenderedPrompts) as seeds.
 */
#include "providers/provider.h"
#include "providers/service.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_error err = RS_ERROR_INIT;
    cJSON *rendered = NULL;
    if (rs_json_parse(&rendered, (const char *)data, size, "fuzz.json", &err) != 0)
        return 0;
    rs_encode_opts o = RS_ENCODE_OPTS_INIT;
    o.stream = size > 0 && data[0] >= '0' && data[0] <= '9';
    for (size_t i = 0; i < rs_service_builtin_count(); i++) {
        rs_service svc;
        rs_str body = RS_STR_INIT;
        rs_error_clear(&err);
        if (rs_service_lookup(&svc, rs_service_builtin_name(i), NULL, &err) != 0)
            abort();
        int rc = svc.dialect->encode(&body, &svc, "fuzz-model", rendered, &o, &err);
        if (rc == 0) {
            cJSON *back = NULL;
            if (rs_json_parse(&back, body.ptr, body.len, "body", &err) != 0)
                abort(); /* an encoder printed something that is not JSON */
            cJSON_Delete(back);
        } else if (err.message[0] == '\0') {
            abort(); /* every failure says why */
        }
        rs_str_free(&body);
    }
    cJSON_Delete(rendered);
    return 0;
}
