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

/* guarded by the documented "call before starting threads" contract */
static int init_count;
static unsigned parts; /* RS_GLOBAL_* set up so far, released when init_count drops to 0 */

const char *rs_version(void)
{
    return RS_VERSION;
}

/* Set up the parts of what not set up yet. */
static int add_parts(unsigned what, rs_error *err)
{
    if ((what & RS_GLOBAL_GIT) && !(parts & RS_GLOBAL_GIT)) {
        int grc = git_libgit2_init();
        if (grc < 0)
            return rs_error_set(err, RS_EGIT, "libgit2 could not be initialised (%d)", grc);
        parts |= RS_GLOBAL_GIT;
    }
    if ((what & RS_GLOBAL_HTTP) && !(parts & RS_GLOBAL_HTTP)) {
        CURLcode crc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (crc != CURLE_OK) {
            rs_error_set(err, RS_EHTTP, "libcurl could not be initialised: %s",
                         curl_easy_strerror(crc));
            rs_error_set_cause(err, (int)crc);
            return RS_EHTTP;
        }
        parts |= RS_GLOBAL_HTTP;
    }
    return 0;
}

static void release_parts(void)
{
    if (parts & RS_GLOBAL_HTTP)
        curl_global_cleanup();
    if (parts & RS_GLOBAL_GIT)
        git_libgit2_shutdown();
    parts = 0;
}

int rs_global_init_for(unsigned what, rs_error *err)
{
    if (init_count++ == 0) {
        cJSON_Hooks hooks = {rs_malloc, rs_free};
        cJSON_InitHooks(&hooks);
    }
    int rc = add_parts(what, err);
    if (rc) {
        /* this call counts for nothing; a first call leaves nothing set up */
        if (--init_count == 0)
            release_parts();
    }
    return rc;
}

int rs_global_init(rs_error *err)
{
    return rs_global_init_for(RS_GLOBAL_ALL, err);
}

void rs_global_shutdown(void)
{
    if (init_count == 0 || --init_count > 0)
        return;
    release_parts();
}
