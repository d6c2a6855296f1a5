/*
 * runner/global.c - rs_global_init: the only process-wide state, reference-counted.
 * It sits in runner/ because runner is the top of the library and may name every dependency.
 */
#include "rosetta/rosetta.h"

#include "util/alloc.h"
#include "util/error.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <git2.h>

static int init_count; /* guarded by the documented "call before starting threads" contract */

const char *rs_version(void)
{
    return RS_VERSION;
}

int rs_global_init(rs_error *err)
{
    if (init_count++ > 0)
        return 0;
    cJSON_Hooks hooks = {rs_malloc, rs_free};
    cJSON_InitHooks(&hooks);
    int grc = git_libgit2_init();
    if (grc < 0) {
        init_count = 0;
        return rs_error_set(err, RS_EGIT, "libgit2 could not be initialised (%d)", grc);
    }
    CURLcode crc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (crc != CURLE_OK) {
        git_libgit2_shutdown();
        init_count = 0;
        rs_error_set(err, RS_EHTTP, "libcurl could not be initialised: %s",
                     curl_easy_strerror(crc));
        rs_error_set_cause(err, (int)crc);
        return RS_EHTTP;
    }
    return 0;
}

void rs_global_shutdown(void)
{
    if (init_count == 0 || --init_count > 0)
        return;
    curl_global_cleanup();
    git_libgit2_shutdown();
}
