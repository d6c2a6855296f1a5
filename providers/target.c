/*
 * providers/target.c - "provider/model" target specs.
 */
#include "providers/provider.h"

#include <string.h>

/*
 * Split spec at the first '/': the provider is a short lower-case name ([a-z0-9._-]), the model is
 * everything after it, slashes included ("openrouter/anthropic/claude-sonnet-4.5"). RS_EINVAL with
 * the spec quoted when it does not have that shape or a part is too long.
 */
int rs_target_parse(rs_target *out, const char *spec, rs_error *err)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        return rs_error_set(err, RS_EINVAL, "empty target: expected PROVIDER/MODEL");
    const char *slash = strchr(spec, '/');
    if (!slash)
        return rs_error_set(err, RS_EINVAL,
                            "target '%s' has no model: expected PROVIDER/MODEL (e.g. "
                            "openai/gpt-4o-mini)",
                            spec);
    size_t plen = (size_t)(slash - spec);
    size_t mlen = strlen(slash + 1);
    if (plen == 0)
        return rs_error_set(err, RS_EINVAL, "target '%s' has an empty provider", spec);
    if (mlen == 0)
        return rs_error_set(err, RS_EINVAL, "target '%s' has an empty model", spec);
    if (plen >= sizeof out->provider)
        return rs_error_set(err, RS_EINVAL, "target '%s': provider name is longer than %zu bytes",
                            spec, sizeof out->provider - 1);
    if (mlen >= sizeof out->model)
        return rs_error_set(err, RS_EINVAL, "target '%s': model name is longer than %zu bytes",
                            spec, sizeof out->model - 1);
    for (size_t i = 0; i < plen; i++) {
        char c = spec[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return rs_error_set(err, RS_EINVAL,
                                "target '%s': provider '%.*s' may contain only a-z, 0-9, '-', "
                                "'_' and '.'",
                                spec, (int)plen, spec);
    }
    for (size_t i = 0; i < mlen; i++) {
        unsigned char c = (unsigned char)slash[1 + i];
        if (c <= ' ' || c == 0x7f)
            return rs_error_set(err, RS_EINVAL,
                                "target '%s': the model name contains a space or control character",
                                spec);
    }
    memcpy(out->provider, spec, plen);
    memcpy(out->model, slash + 1, mlen + 1);
    memset(out->provider + plen, 0, sizeof out->provider - plen);
    return 0;
}
