#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void sls_buf_reset(sls_buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void sls_buf_free(sls_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void sls_buf_wipe(sls_buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	sls_buf_free(b);
}

void sls_buf_clear(sls_buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->len);
	sls_buf_reset(b);
}

int sls_buf_reserve(sls_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return 0;
	if (extra > (size_t)-1 - b->len - 1)
		goto oom;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 1;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		goto oom;
	b->data = p;
	b->cap = cap;
	return 1;
oom:
	b->oom = 1;
	return 0;
}

void sls_buf_add(sls_buf *b, const void *p, size_t n)
{
	if (!sls_buf_reserve(b, n))
		return;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void sls_buf_adds(sls_buf *b, const char *s)
{
	sls_buf_add(b, s, strlen(s));
}

void sls_buf_addc(sls_buf *b, char c)
{
	sls_buf_add(b, &c, 1);
}

void sls_buf_addf(sls_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !sls_buf_reserve(b, (size_t)n)) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sls_buf_addhex(sls_buf *b, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (!sls_buf_reserve(b, 2 * n))
		return;
	for (i = 0; i < n; i++) {
		b->data[b->len++] = hex[p[i] >> 4];
		b->data[b->len++] = hex[p[i] & 15];
	}
	b->data[b->len] = '\0';
}

int sls_is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
}

/* Hand-written: libcurl's curl_easy_escape needs a handle and allocates per
 * call, and OpenSSL has no URL encoder. */
void sls_buf_addpct(sls_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (!sls_buf_reserve(b, 3 * n))
		return;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (sls_is_unreserved(c)) {
			b->data[b->len++] = (char)c;
		} else {
			b->data[b->len++] = '%';
			b->data[b->len++] = hex[c >> 4];
			b->data[b->len++] = hex[c & 15];
		}
	}
	b->data[b->len] = '\0';
}

const char *sls_buf_str(const sls_buf *b)
{
	return b->data != NULL ? b->data : "";
}
