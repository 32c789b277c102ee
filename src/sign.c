#include "sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static const char *find_header(const sls_sign_input *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->nheaders; i++)
		if (strcmp(in->headers[i].key, name) == 0)
			return in->headers[i].value;
	return NULL;
}

/* Pointers to kv sorted by key in byte order (strcmp compares as unsigned).
 * An insertion sort: a request has a handful of headers and query
 * parameters, and qsort's indirect calls cost more than the sort. */
static size_t sorted(const sls_kv *kv, size_t n, const sls_kv **out, size_t max)
{
	size_t i, j;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		const sls_kv *e = &kv[i];
		for (j = i; j > 0 && strcmp(out[j - 1]->key, e->key) > 0; j--)
			out[j] = out[j - 1];
		out[j] = e;
	}
	return n;
}

/* ------------------------------------------------- OpenSSL contexts */

/* Fetched once per client, not per signature: OpenSSL 3's one-shot HMAC()
 * and SHA256() look the algorithm up on every call, which was most of the
 * cost of a signature (bench/sign.c). Per client rather than per process, so
 * nothing outlives the module when Lua unloads it. */
int sls_sign_ctx_init(sls_sign_ctx *ctx)
{
	OSSL_PARAM params[2];
	static char digest[] = "SHA256";
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	int ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ctx->sha256_alg = EVP_MD_fetch(NULL, "SHA256", NULL);
	ctx->sha256 = EVP_MD_CTX_new();
	ctx->v1 = hmac ? EVP_MAC_CTX_new(hmac) : NULL;   /* each holds a reference */
	ctx->v4 = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	EVP_MAC_free(hmac);
	ctx->v1_keyed = ctx->v4_keyed = 0;
	/* The digest is set once here; later inits change only the key. */
	ok = ctx->sha256_alg != NULL && ctx->sha256 != NULL && ctx->v1 != NULL &&
	     ctx->v4 != NULL && EVP_MAC_CTX_set_params(ctx->v1, params) &&
	     EVP_MAC_CTX_set_params(ctx->v4, params);
	if (!ok)
		sls_sign_ctx_free(ctx);
	return ok;
}

void sls_sign_ctx_forget(sls_sign_ctx *ctx)
{
	ctx->v1_keyed = ctx->v4_keyed = 0;
	OPENSSL_cleanse(ctx->day, sizeof ctx->day);
}

void sls_sign_ctx_free(sls_sign_ctx *ctx)
{
	/* OpenSSL wipes the keys it holds when a MAC context is freed. */
	EVP_MD_CTX_free(ctx->sha256);
	EVP_MD_free(ctx->sha256_alg);
	EVP_MAC_CTX_free(ctx->v1);
	EVP_MAC_CTX_free(ctx->v4);
	ctx->sha256 = NULL;
	ctx->sha256_alg = NULL;
	ctx->v1 = ctx->v4 = NULL;
	sls_sign_ctx_forget(ctx);
}

/* HMAC-SHA256 of msg with mac's key; a NULL key keeps the key it has. */
static int hmac_with(EVP_MAC_CTX *mac, const void *key, size_t keylen,
                     const void *msg, size_t msglen, unsigned char out[32])
{
	size_t len = 0;

	return EVP_MAC_init(mac, key, keylen, NULL) &&
	       EVP_MAC_update(mac, msg, msglen) &&
	       EVP_MAC_final(mac, out, &len, 32) && len == 32;
}

int sls_sign_v1(const sls_sign_input *in, sls_buf *out, sls_buf *scratch,
                sls_sign_ctx *ctx)
{
	const sls_kv *h[SLS_MAX_HEADERS], *q[SLS_MAX_QUERY];
	const char *md5 = find_header(in, "content-md5");
	const char *ctype = find_header(in, "content-type");
	const char *date = find_header(in, "date");
	unsigned char mac[32];
	unsigned char b64[48];
	size_t nh, nq, i;

	sls_buf_reset(scratch);
	sls_buf_adds(scratch, in->method);
	sls_buf_addc(scratch, '\n');
	sls_buf_adds(scratch, md5 ? md5 : "");
	sls_buf_addc(scratch, '\n');
	sls_buf_adds(scratch, ctype ? ctype : "");
	sls_buf_addc(scratch, '\n');
	sls_buf_adds(scratch, date ? date : "");
	sls_buf_addc(scratch, '\n');
	nh = sorted(in->headers, in->nheaders, h, SLS_MAX_HEADERS);
	for (i = 0; i < nh; i++) {
		if (strstr(h[i]->key, "x-log-") == NULL &&
		    strstr(h[i]->key, "x-acs-") == NULL)
			continue;
		sls_buf_adds(scratch, h[i]->key);
		sls_buf_addc(scratch, ':');
		sls_buf_adds(scratch, h[i]->value);
		sls_buf_addc(scratch, '\n');
	}
	/* The resource: v1 signs query values as they are, not encoded. */
	sls_buf_adds(scratch, in->path);
	nq = sorted(in->query, in->nquery, q, SLS_MAX_QUERY);
	for (i = 0; i < nq; i++) {
		sls_buf_addc(scratch, i == 0 ? '?' : '&');
		sls_buf_adds(scratch, q[i]->key);
		sls_buf_addc(scratch, '=');
		sls_buf_adds(scratch, q[i]->value);
	}
	if (scratch->oom ||
	    !hmac_with(ctx->v1, ctx->v1_keyed ? NULL : in->secret, in->secret_len,
	               scratch->data, scratch->len, mac))
		return 0;
	ctx->v1_keyed = 1;
	EVP_EncodeBlock(b64, mac, sizeof mac);
	sls_buf_adds(out, "LOG ");
	sls_buf_adds(out, in->access_key_id);
	sls_buf_addc(out, ':');
	sls_buf_adds(out, (const char *)b64);
	OPENSSL_cleanse(mac, sizeof mac);
	return !out->oom;
}

static int is_v4_signed(const char *name)
{
	return strncmp(name, "x-log-", 6) == 0 || strncmp(name, "x-acs-", 6) == 0 ||
	       strcmp(name, "host") == 0 || strcmp(name, "content-type") == 0;
}

/* Leading and trailing blanks off, as the gateway's trim does. */
static void add_trimmed(sls_buf *b, const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	sls_buf_add(b, s, n);
}

/* Keys ctx->v4 with the signing key of day and region, unless it has it:
 * four HMACs once a day instead of on every request. */
static int v4_key(const sls_sign_input *in, const char *day, sls_sign_ctx *ctx)
{
	unsigned char k[32];
	sls_buf seed = {0};
	int ok;

	if (ctx->v4_keyed && strcmp(ctx->day, day) == 0 &&
	    strcmp(ctx->region, in->region) == 0)
		return 1;
	ctx->v4_keyed = 0;
	if (strlen(in->region) >= sizeof ctx->region)
		return 0;
	sls_buf_adds(&seed, "aliyun_v4");
	sls_buf_add(&seed, in->secret, in->secret_len);
	ok = !seed.oom &&
	     hmac_with(ctx->v4, seed.data, seed.len, day, strlen(day), k) &&
	     hmac_with(ctx->v4, k, 32, in->region, strlen(in->region), k) &&
	     hmac_with(ctx->v4, k, 32, "sls", 3, k) &&
	     hmac_with(ctx->v4, k, 32, "aliyun_v4_request", 17, k) &&
	     EVP_MAC_init(ctx->v4, k, 32, NULL);
	sls_buf_wipe(&seed);
	OPENSSL_cleanse(k, sizeof k);
	if (ok) {
		memcpy(ctx->day, day, 9);
		strcpy(ctx->region, in->region);
		ctx->v4_keyed = 1;
	}
	return ok;
}

int sls_sign_v4(const sls_sign_input *in, sls_buf *out, sls_buf *scratch,
                sls_sign_ctx *ctx)
{
	const sls_kv *h[SLS_MAX_HEADERS], *q[SLS_MAX_QUERY];
	const char *date = find_header(in, "x-log-date");
	unsigned char digest[32], mac[32];
	size_t nh, nq, i;
	char day[9];
	int first, ok;

	if (date == NULL || strlen(date) < 8 || in->region == NULL)
		return 0;
	memcpy(day, date, 8);
	day[8] = '\0';

	sls_buf_reset(scratch);
	sls_buf_adds(scratch, in->method);
	sls_buf_addc(scratch, '\n');
	sls_buf_adds(scratch, in->path[0] ? in->path : "/");
	sls_buf_addc(scratch, '\n');
	nq = sorted(in->query, in->nquery, q, SLS_MAX_QUERY);
	for (i = 0; i < nq; i++) {
		if (i > 0)
			sls_buf_addc(scratch, '&');
		sls_buf_adds(scratch, q[i]->key);
		if (q[i]->value[0] != '\0') {
			sls_buf_addc(scratch, '=');
			sls_buf_addpct(scratch, q[i]->value, strlen(q[i]->value));
		}
	}
	sls_buf_addc(scratch, '\n');
	nh = sorted(in->headers, in->nheaders, h, SLS_MAX_HEADERS);
	for (i = 0; i < nh; i++) {
		if (!is_v4_signed(h[i]->key))
			continue;
		sls_buf_adds(scratch, h[i]->key);
		sls_buf_addc(scratch, ':');
		add_trimmed(scratch, h[i]->value);
		sls_buf_addc(scratch, '\n');
	}
	sls_buf_addc(scratch, '\n');
	for (i = 0, first = 1; i < nh; i++) {
		if (!is_v4_signed(h[i]->key))
			continue;
		if (!first)
			sls_buf_addc(scratch, ';');
		sls_buf_adds(scratch, h[i]->key);
		first = 0;
	}
	sls_buf_addc(scratch, '\n');
	sls_buf_adds(scratch, in->content_sha256 ? in->content_sha256 : SLS_EMPTY_SHA256);
	if (scratch->oom ||
	    !EVP_DigestInit_ex(ctx->sha256, ctx->sha256_alg, NULL) ||
	    !EVP_DigestUpdate(ctx->sha256, scratch->data, scratch->len) ||
	    !EVP_DigestFinal_ex(ctx->sha256, digest, NULL))
		return 0;

	/* StringToSign reuses the scratch buffer. */
	sls_buf_reset(scratch);
	sls_buf_adds(scratch, "SLS4-HMAC-SHA256\n");
	sls_buf_adds(scratch, date);
	sls_buf_addc(scratch, '\n');
	/* adds, not addf: vsnprintf was a tenth of a signature's time. */
	sls_buf_adds(scratch, day);
	sls_buf_addc(scratch, '/');
	sls_buf_adds(scratch, in->region);
	sls_buf_adds(scratch, "/sls/aliyun_v4_request\n");
	sls_buf_addhex(scratch, digest, sizeof digest);
	ok = !scratch->oom && v4_key(in, day, ctx) &&
	     hmac_with(ctx->v4, NULL, 0, scratch->data, scratch->len, mac);
	if (!ok)
		return 0;
	sls_buf_adds(out, "SLS4-HMAC-SHA256 Credential=");
	sls_buf_adds(out, in->access_key_id);
	sls_buf_addc(out, '/');
	sls_buf_adds(out, day);
	sls_buf_addc(out, '/');
	sls_buf_adds(out, in->region);
	sls_buf_adds(out, "/sls/aliyun_v4_request,Signature=");
	sls_buf_addhex(out, mac, sizeof mac);
	return !out->oom;
}
