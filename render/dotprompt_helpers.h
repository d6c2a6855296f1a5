/*
 * render/dotprompt_helpers.h - the Dotprompt helpers for the Handlebars engine: role, history,
 * section, media, json, ifEquals, unlessEquals, written as the reference's helpers.ts: they emit
 * the <<<dotprompt:...>>> markers that render/messages.c splits on.
 */
#ifndef RS_RENDER_DOTPROMPT_HELPERS_H
#define RS_RENDER_DOTPROMPT_HELPERS_H

#include "templates/hbs.h"

#include <stddef.h>

/* The helper table (static, immutable) and its length. */
const rs_hbs_helper *rs_dotprompt_helpers(size_t *count);

#endif
