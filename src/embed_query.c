/* The query of an embed link: parameters gathered in order, each plain or
 * to be percent-encoded, strings made here anchored, the caller's params
 * sorted, then the whole query written at once. */
#include "embed_query.h"

#include <string.h>

#include <openssl/evp.h>

#include "args.h"
#include "buf.h"

void sls_query_init(sls_query *q, const char *fn)
{
	q->fn = fn;
	q->n = 0;
	q->anchors = 0;
}

void sls_query_add(lua_State *L, sls_query *q, const char *name, size_t name_len,
                   const char *value, size_t len, int plain)
{
	sls_query_pair *p;

	if (q->n >= SLS_QUERY_MAX) {
		sls_args_fail(L, "%s: the link would have more than %d parameters", q->fn,
		              SLS_QUERY_MAX);
		return;
	}
	p = &q->pair[q->n++];
	p->name = name;
	p->name_len = name_len;
	p->value = value;
	p->len = len;
	p->plain = plain;
}

void sls_query_param(lua_State *L, sls_query *q, const char *name, const char *value,
                     size_t len)
{
	sls_query_add(L, q, name, strlen(name), value, len, SLS_QUERY_PLAIN_NAME);
}

void sls_query_own(lua_State *L, sls_query *q, const char *name, const char *value)
{
	sls_query_add(L, q, name, strlen(name), value, strlen(value),
	              SLS_QUERY_PLAIN_NAME | SLS_QUERY_PLAIN_VALUE);
}

void sls_query_anchors(lua_State *L, sls_query *q)
{
	if (q->anchors == 0) {
		lua_newtable(L);
		q->anchors = lua_gettop(L);
	}
}

void sls_query_anchor(lua_State *L, sls_query *q)
{
	if (q->anchors == 0) {                /* the table, below the value */
		lua_newtable(L);
		lua_insert(L, -2);
		q->anchors = lua_gettop(L) - 1;
	}
	lua_rawseti(L, q->anchors, (int)sls_rawlen(L, q->anchors) + 1);
}

void sls_query_encodable(lua_State *L, sls_query *q, const char *name, const char *encoding,
                         const char *s, size_t n, int b64)
{
	unsigned char *enc;

	if (s == NULL)
		return;
	if (b64) {                            /* by OpenSSL, into Lua-owned memory */
		enc = lua_newuserdata(L, 4 * ((n + 2) / 3) + 1);
		n = (size_t)EVP_EncodeBlock(enc, (const unsigned char *)s, (int)n);
		sls_query_anchor(L, q);
		sls_query_param(L, q, name, (const char *)enc, n);
		sls_query_own(L, q, encoding, "base64");
	} else {
		sls_query_param(L, q, name, s, n);
	}
}

/* Byte order of two names, a shorter prefix first. */
static int name_cmp(const sls_query_pair *a, const sls_query_pair *b)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->name, b->name, n);

	return c != 0 ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

void sls_query_sort_from(sls_query *q, int first)
{
	int i, j;

	/* Insertion sort: `params` holds a handful of names. */
	for (i = first + 1; i < q->n; i++)
		for (j = i; j > first && name_cmp(&q->pair[j - 1], &q->pair[j]) > 0; j--) {
			sls_query_pair t = q->pair[j];
			q->pair[j] = q->pair[j - 1];
			q->pair[j - 1] = t;
		}
}

size_t sls_query_room(const sls_query *q)
{
	size_t total = 0;
	int i;

	for (i = 0; i < q->n; i++)
		total += 2 + 3 * (q->pair[i].name_len + q->pair[i].len);
	return total;
}

/* n bytes of s at p, percent-encoded unless plain; the end. */
static char *put(char *p, const char *s, size_t n, int plain)
{
	if (!plain)
		return p + sls_pct_encode(p, s, n);
	memcpy(p, s, n);
	return p + n;
}

char *sls_query_write(const sls_query *q, char *p)
{
	int i;

	for (i = 0; i < q->n; i++) {
		const sls_query_pair *a = &q->pair[i];
		*p++ = i == 0 ? '?' : '&';
		p = put(p, a->name, a->name_len, a->plain & SLS_QUERY_PLAIN_NAME);
		*p++ = '=';
		p = put(p, a->value, a->len, a->plain & SLS_QUERY_PLAIN_VALUE);
	}
	return p;
}
