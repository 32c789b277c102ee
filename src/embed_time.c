/* The time options of sls.embed_url: time_type, start_time and end_time,
 * checked together, and autoFresh's duration. */
#include "embed_time.h"

#include <string.h>

#include "args.h"
#include "embed.h"

#define FN SLS_EMBED_FN
#define TIME_MAX 253402300799LL          /* 9999-12-31T23:59:59Z */

static int valid_time_type(long long t)
{
	return (t >= 1 && t <= 27) || t == -2 || t == -3 || t == 99;
}

/* "30s", "5m", "1h": digits and one unit, at least 15 seconds, as the
 * console requires. */
int sls_embed_valid_auto_fresh(const char *s, size_t n)
{
	unsigned long v = 0, mult;
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9' && v < 1000000)
		v = v * 10 + (unsigned long)(s[i++] - '0');
	if (i == 0 || i + 1 != n)
		return 0;
	switch (s[i]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	default:  return 0;
	}
	return v * mult >= 15;
}

/* A time in the console's relative form for queryTimeType -2 and -3 (the
 * embedding docs: "start:-10m,end:now", "start:-2h,end:absolute"): a minus,
 * 1 to 9 digits and a unit of 1 to 8 letters; as an end also "now" or
 * "absolute". */
static int valid_relative_time(const char *s, size_t n, int is_end)
{
	size_t i = 1, digits, letters;

	if (is_end && ((n == 3 && memcmp(s, "now", 3) == 0) ||
	               (n == 8 && memcmp(s, "absolute", 8) == 0)))
		return 1;
	if (n < 3 || s[0] != '-')
		return 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	digits = i - 1;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
		i++;
	letters = i - 1 - digits;
	return i == n && digits >= 1 && digits <= 9 && letters >= 1 && letters <= 8;
}

/* start_time or end_time, the value at at (it stays on the stack). */
static void read_time(lua_State *L, int at, const char *name, int is_end, sls_time_opt *t)
{
	char d[96];

	memset(t, 0, sizeof *t);
	if (lua_type(L, at) != LUA_TSTRING) {
		t->given = sls_args_int_at(L, at, FN, name, 0, TIME_MAX, &t->secs);
		return;
	}
	t->text = sls_args_str_at(L, at, FN, name, 32, 1, 0, &t->len);
	if (!valid_relative_time(t->text, t->len, is_end))
		sls_args_fail(L, "%s: option '%s' must be Unix seconds, or for time_type -2 "
		              "and -3 a relative time such as %s (got %s)", FN, name,
		              is_end ? "\"now\", \"absolute\" or \"-5m\"" : "\"-10m\"",
		              sls_args_describe(L, at, d, sizeof d));
	t->given = t->relative = 1;
}

/* The time options: time_type, start_time, end_time, checked together.
 * Fills the strings to send; *type_out is 0 when no queryTimeType goes. */
void sls_embed_read_times(lua_State *L, int at_type, int at_start, int at_end,
                          long long *type_out, sls_time_opt *start, sls_time_opt *end)
{
	long long type = 0;
	int has_type;

	has_type = sls_args_int_at(L, at_type, FN, "time_type", -3, 99, &type);
	if (has_type && !valid_time_type(type))
		sls_args_fail(L, "%s: option 'time_type' must be 1..27, -2, -3 or 99 "
		              "(got %lld)", FN, type);
	read_time(L, at_start, "start_time", 0, start);
	read_time(L, at_end, "end_time", 1, end);
	if (start->given != end->given)
		sls_args_fail(L, "%s: options 'start_time' and 'end_time' go together "
		              "(got only %s)", FN, start->given ? "start_time" : "end_time");
	if (start->given && start->relative != end->relative)
		sls_args_fail(L, "%s: options 'start_time' and 'end_time' must both be Unix "
		              "seconds or both relative times", FN);
	if (start->given && !start->relative && start->secs > end->secs)
		sls_args_fail(L, "%s: option 'start_time' must not be after 'end_time' "
		              "(got %lld > %lld)", FN, start->secs, end->secs);
	if (has_type && type >= 1 && type <= 27 && start->given)
		sls_args_fail(L, "%s: options 'start_time' and 'end_time' need time_type 99, "
		              "-2 or -3 (got %lld)", FN, type);
	if (has_type && type < 0 && !start->given)
		sls_args_fail(L, "%s: time_type %lld needs options 'start_time' and "
		              "'end_time' as relative times such as \"-10m\" and \"now\"", FN, type);
	if (has_type && type < 0 && !start->relative)
		sls_args_fail(L, "%s: time_type %lld needs relative times in 'start_time' "
		              "and 'end_time' such as \"-10m\" and \"now\" (got %lld)", FN,
		              type, start->secs);
	if (has_type && type == 99 && !start->given)
		sls_args_fail(L, "%s: time_type 99 needs options 'start_time' and 'end_time'", FN);
	if (has_type && type == 99 && start->relative)
		sls_args_fail(L, "%s: time_type 99 needs 'start_time' and 'end_time' in Unix "
		              "seconds (got \"%s\")", FN, start->text);
	if (!has_type && start->relative)
		sls_args_fail(L, "%s: relative times in 'start_time' and 'end_time' need "
		              "time_type -2 or -3", FN);
	if (!has_type && start->given)
		type = 99;                  /* an absolute range is type 99 */
	*type_out = type;
}
