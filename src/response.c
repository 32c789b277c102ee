#include "response.h"

#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int sls_retryable_status(long status, const char *code)
{
	if (status >= 500 || status == 429)
		return 1;
	if (code == NULL)
		return 0;
	return strcmp(code, "ServerBusy") == 0 ||
	       strcmp(code, "InternalServerError") == 0 ||
	       strstr(code, "QuotaExceed") != NULL ||
	       strstr(code, "LimitExceed") != NULL ||
	       strstr(code, "Throttl") != NULL;
}

int sls_looks_like_html(const char *body, size_t n)
{
	size_t i = 0;

	while (i < n && is_blank(body[i]))
		i++;
	return i < n && body[i] == '<';
}

long sls_retry_after(sls_span v)
{
	long secs = 0;
	size_t i;

	if (v.n == 0 || v.n > 6)
		return -1;
	for (i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;      /* an HTTP date: not worth honouring */
		secs = secs * 10 + (v.p[i] - '0');
	}
	return secs;
}
