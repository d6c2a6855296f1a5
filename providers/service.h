/*
 * providers/service.h - the built-in services and the quirk names rosetta.yaml uses.
 */
#ifndef RS_PROVIDERS_SERVICE_H
#define RS_PROVIDERS_SERVICE_H

#include "providers/provider.h"

/* Quirk flag for a rosetta.yaml name ("max_tokens_legacy", ...); 0 when unknown. */
unsigned rs_quirk_from_name(const char *name);
/* The rosetta.yaml name of one quirk bit; NULL when not a single known bit. */
const char *rs_quirk_name(unsigned bit);

/* Number of built-in services and the name of the i-th (for listings and the golden tests). */
size_t rs_service_builtin_count(void);
const char *rs_service_builtin_name(size_t i);

#endif
