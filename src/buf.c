#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "text.h"

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
	/* 512 to start: a request, an answer's head or a ticket fits at once,
	 * so a call does not pay a malloc, a copy and a wipe per doubling. */
	cap = b->cap ? b->cap : 512;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	/* Not realloc: it would free the old block unwiped, and buffers here
	 * hold secrets (the signing scratch, the security token's header). */
	p = malloc(cap);
	if (p == NULL)
		goto oom;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len + 1);
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return 1;
oom:
	b->oom = 1;
	return 0;
}

void sls_buf_add(sls_buf *b, const void *p, size_t n)
{
	/* The common case, room already there, without a call. */
	if (!(n < b->cap - b->len && !b->oom) && !sls_buf_reserve(b, n))
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
	return (sls_byte_class[c] & SLS_BYTE_UNRESERVED) != 0;
}

/* Hand-written: libcurl's curl_easy_escape needs a handle and allocates per
 * call, and OpenSSL has no URL encoder. The one encoder of the module: the
 * request builder, embed links and sls._pct (credentials.lua) all use it. */
size_t sls_pct_encode(char *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *p = out;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (sls_byte_class[c] & SLS_BYTE_UNRESERVED) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	return (size_t)(p - out);
}

void sls_buf_addpct(sls_buf *b, const char *s, size_t n)
{
	if (!sls_buf_reserve(b, 3 * n))
		return;
	b->len += sls_pct_encode(b->data + b->len, s, n);
	b->data[b->len] = '\0';
}

const char *sls_buf_str(const sls_buf *b)
{
	return b->data != NULL ? b->data : "";
}
