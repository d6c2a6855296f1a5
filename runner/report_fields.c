/*
 * runner/report_fields.c - reading numbers back out of a compare report, for the renderers (the
 * terminal table and the HTML page read the same members the same way: absent means NAN, which
 * both print as "-").
 */
#include "runner/compare.h"

#include <math.h>

double rs_report_num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

double rs_report_ci(const cJSON *o, const char *a, int i)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), "ci");
    const cJSON *v = cJSON_GetArrayItem(x, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}
