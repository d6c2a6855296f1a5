/*
 * rosetta feedback - attach an outcome (a score, a label) to a logged run, later: the user
 * accepted the answer, a reviewer graded it. `rosetta stats --experiment EXP` compares the arms
 * of a live traffic split on these scores.
 */
#include "cli/cli.h"

#include "rosetta/memory.h"
#include "rosetta/registry.h"
#include "rosetta/runlog.h"
#include "util/error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: rosetta feedback RUN_ID --score X [--label L] [--log FILE]\n"
    "\n"
    "Record an outcome for run RUN_ID (from `rosetta run --json`, `rosetta runs`): a score\n"
    "(a number; 0..1 for comparisons: 1 = good, 0 = bad) and an optional label (\"thumbs-up\",\n"
    "\"resolved\", a reviewer's name). A run may get several. `rosetta stats --experiment EXP`\n"
    "compares the arms of a live traffic split on the mean feedback score of their runs.\n"
    "\n"
    "  --score X     the outcome, a finite number (required)\n"
    "  --label L     a free-text label\n"
    "  --log FILE    the run log (default $ROSETTA_LOG or .rosetta/runs.db)\n";

int cmd_feedback(int argc, char **argv)
{
    int rc = RS_EXIT_OK;
    rs_error err = RS_ERROR_INIT;
    const char *id_text = NULL, *score_text = NULL, *label = NULL, *log_path = NULL;
    rs_registry *reg = NULL;
    rs_runlog *log = NULL;
    char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            fputs(usage_text, stdout);
            goto done;
        }
        if (strcmp(a, "--score") == 0 || strcmp(a, "--label") == 0 || strcmp(a, "--log") == 0) {
            if (!v) {
                rc = cli_usage_error("feedback", "%s needs a value", a);
                goto done;
            }
            i++;
            if (a[2] == 's')
                score_text = v;
            else if (a[3] == 'a')
                label = v;
            else
                log_path = v;
        } else if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
            rc = cli_usage_error("feedback", "unknown option %s", a);
            goto done;
        } else if (!id_text) {
            id_text = a;
        } else {
            rc = cli_usage_error("feedback", "one run id, not '%s' too", a);
            goto done;
        }
    }
    if (!id_text || !score_text) {
        rc = cli_usage_error("feedback", "give a run id and --score X");
        goto done;
    }
    char *end;
    errno = 0;
    long long id = strtoll(id_text, &end, 10);
    if (*end || errno || id <= 0) {
        rc = cli_usage_error("feedback", "'%s' is not a run id", id_text);
        goto done;
    }
    errno = 0;
    double score = strtod(score_text, &end);
    if (*end || errno || !isfinite(score)) {
        rc = cli_usage_error("feedback", "--score wants a number, not '%s'", score_text);
        goto done;
    }
    rs_error rerr = RS_ERROR_INIT;
    if (rs_registry_open(&reg, NULL, &rerr) != 0)
        reg = NULL;
    if (rs_runlog_path(&path, log_path, reg ? rs_registry_root(reg) : NULL, &err) != 0 ||
        rs_runlog_open(&log, path, &err) != 0 ||
        rs_runlog_feedback(log, id, score, label, &err) != 0) {
        rc = cli_fail(&err);
        goto done;
    }
    printf("run %lld: score %g%s%s\n", id, score, label ? ", label " : "", label ? label : "");
done:
    rs_runlog_close(log);
    rs_registry_free(reg);
    rs_free(path);
    return rc;
}
