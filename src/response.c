#include "response.h"

#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static sls_span trim(const char *p, const char *end)
{
	sls_span s;

	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	s.p = p;
	s.n = (size_t)(end - p);
	return s;
}

int sls_header_next(const char **cur, const char *end, sls_span *name, sls_span *value)
{
	while (*cur < end) {
		const char *line = *cur, *eol, *colon;

		eol = memchr(line, '\n', (size_t)(end - line));
		eol = eol ? eol : end;
		*cur = eol < end ? eol + 1 : end;
		colon = memchr(line, ':', (size_t)(eol - line));
		/* The status line and the blank line have no name. */
		if (colon == NULL || colon == line ||
		    (eol - line >= 5 && memcmp(line, "HTTP/", 5) == 0))
			continue;
		*name = trim(line, colon);
		*value = trim(colon + 1, eol);
		if (name->n > 0)
			return 1;
	}
	return 0;
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
