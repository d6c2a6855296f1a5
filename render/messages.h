/*
 * render/messages.h - the rendered template text to messages, as the reference's toMessages
 * (dotprompt 1.1.2 parse.ts) does it:
 *
 *   - the text is split at <<<dotprompt:role:NAME>>> (NAME lower-case letters) and
 *     <<<dotprompt:history>>>; pieces that are only white space are dropped;
 *   - the first message is a user message; a role marker starts a new message when the current
 *     one has non-blank text, else it renames the current one;
 *   - the history marker inserts data.messages (each with metadata.purpose = "history") and
 *     starts a model message;
 *   - messages without text are dropped; each message's text is split at
 *     <<<dotprompt:media:url URL [TYPE]>>> and <<<dotprompt:section NAME>>> into parts
 *     ({"text"}, {"media": {"url", "contentType"}}, {"metadata": {"purpose", "pending": true}});
 *   - without a history marker, data.messages go before the last message when it is a user
 *     message, else after all of them (or are the result when there are no messages).
 * A piece is classified by its first characters, exactly as the reference does, so text that
 * merely starts like a marker behaves as it does there.
 */
#ifndef RS_RENDER_MESSAGES_H
#define RS_RENDER_MESSAGES_H

#include "util/error.h"
#include "util/json_build.h"

#include <cjson/cJSON.h>
#include <stddef.h>

/*
 * *out = the messages array (owned by the caller). history is data.messages: NULL when absent
 * (undefined), a JSON null, or an array (anything else: RS_EINVAL).
 */
int rs_dotprompt_messages(cJSON **out, const char *text, size_t len, const cJSON *history,
                          rs_error *err);

/* The same, built by b (on the heap, or in an arena: then nothing is allocated per node and the
 * result lives as long as the arena). share_history 1: the history messages in *out refer to
 * history's members (and keys) instead of copying them, as the reference's `{...m}` does: *out
 * must not outlive history. */
int rs_dotprompt_messages_build(cJSON **out, const rs_jt *b, const char *text, size_t len,
                                const cJSON *history, int share_history, rs_error *err);

#endif
