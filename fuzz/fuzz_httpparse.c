/* libFuzzer target: the HTTP/1.1 reader both transports share. An answer
 * read whole and the same answer split at every offset must give the same
 * verdict, status, body and keep-alive; nothing past the caps is kept. The
 * first byte picks raw (cosocket) or decoded (libcurl: lines, then body)
 * mode. The header fields recorded lie inside the head, a name and a value
 * without blanks around them, alike however the answer was split. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/httpparse.h"
#include "../src/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_all(sls_httpp *p, const char *d, size_t n, size_t cut, int decoded)
{
	int r;

	sls_httpp_reset(p, decoded);
	if (!decoded) {
		r = sls_httpp_feed(p, d, cut, NULL);
		if (r != SLS_HTTPP_ERROR && cut < n)
			r = sls_httpp_feed(p, d + cut, n - cut, NULL);
		return r == SLS_HTTPP_MORE ? sls_httpp_eof(p) : r;
	}
	/* libcurl's way: whole header lines up to the blank one, then the body
	 * in two pieces. */
	{
		size_t off = 0;
		r = SLS_HTTPP_MORE;
		while (off < n && r == SLS_HTTPP_MORE) {
			const char *nl = memchr(d + off, '\n', n - off);
			size_t len = nl ? (size_t)(nl - (d + off)) + 1 : n - off;
			r = sls_httpp_feed(p, d + off, len, NULL);
			off += len;
			if (len <= 2 && p->status >= 200)
				break;                /* the head's end */
		}
		if (r == SLS_HTTPP_MORE && off < n) {
			size_t mid = off + (cut < n - off ? cut : 0);
			r = sls_httpp_body(p, d + off, mid - off);
			if (r == SLS_HTTPP_MORE)
				r = sls_httpp_body(p, d + mid, n - mid);
		}
		return r == SLS_HTTPP_MORE ? sls_httpp_eof(p) : r;
	}
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The recorded fields lie within the head and read as header lines do. */
static void check_fields(const sls_httpp *p)
{
	size_t i;

	for (i = 0; i < sls_httpp_nfields(p); i++) {
		const char *name, *value;
		size_t name_n, value_n;
		sls_httpp_field_get(p, i, &name, &name_n, &value, &value_n);
		const char *after = name + name_n;
		while (*after == ' ' || *after == '\t' || *after == '\r')
			after++;
		if (name < p->head.data || name_n == 0 || value < after + 1 ||
		    value + value_n > p->head.data + p->head.len ||
		    memchr(name, ':', name_n) != NULL || *after != ':' ||
		    blank(name[name_n - 1]) ||
		    (value_n > 0 && (blank(value[0]) || blank(value[value_n - 1]))))
			abort();
	}
}

/* Two reads of one answer recorded the same fields. */
static int same_fields(const sls_httpp *a, const sls_httpp *b)
{
	size_t i;

	if (sls_httpp_nfields(a) != sls_httpp_nfields(b))
		return 0;
	for (i = 0; i < sls_httpp_nfields(a); i++) {
		const char *an, *av, *bn, *bv;
		size_t ann, avn, bnn, bvn;
		sls_httpp_field_get(a, i, &an, &ann, &av, &avn);
		sls_httpp_field_get(b, i, &bn, &bnn, &bv, &bvn);
		if (ann != bnn || avn != bvn || memcmp(an, bn, ann) != 0 || memcmp(av, bv, avn) != 0)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sls_httpp whole, split;
	const char *d = (const char *)data + 1;
	size_t n, cut;
	int decoded, r;

	if (size < 1 || size > 8192)
		return 0;
	decoded = data[0] & 1;
	n = size - 1;
	r = read_all(&whole, d, n, n, decoded);
	if (whole.head.len > SLS_HEAD_MAX || whole.body.len > SLS_BODY_MAX)
		abort();
	if (r == SLS_HTTPP_ERROR && (whole.code == NULL || whole.why == NULL))
		abort();
	check_fields(&whole);
	for (cut = 0; cut < n; cut++) {
		int s = read_all(&split, d, n, cut, decoded);
		if (s != r || split.status != whole.status ||
		    (r == SLS_HTTPP_DONE && (split.body.len != whole.body.len ||
		                             memcmp(sls_buf_str(&split.body), sls_buf_str(&whole.body),
		                                    whole.body.len) != 0 ||
		                             split.keep_alive != whole.keep_alive ||
		                             !same_fields(&split, &whole))) ||
		    (r == SLS_HTTPP_ERROR && strcmp(split.code, whole.code) != 0))
			abort();
	}
	return 0;
}
