/* The time options of sls.embed_url (embed_time.c). */
#ifndef SLS_EMBED_TIME_H
#define SLS_EMBED_TIME_H

#include "compat.h"

/* start_time or end_time: Unix seconds (for queryTimeType 99) or a string
 * in the console's relative form (for -2 and -3). */
typedef struct sls_time_opt {
	int         given;
	int         relative;
	long long   secs;
	const char *text;
	size_t      len;
} sls_time_opt;

/* Checks time_type, start_time and end_time (the values at the stack
 * indices given, which stay there) together, raising on misuse; *type_out
 * is 0 when no queryTimeType goes. */
void sls_embed_read_times(lua_State *L, int at_type, int at_start, int at_end,
                          long long *type_out, sls_time_opt *start, sls_time_opt *end);
/* autoFresh: "30s", "5m", "1h", at least 15 seconds. */
int  sls_embed_valid_auto_fresh(const char *s, size_t n);

#endif
