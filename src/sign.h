/* SLS request signing, v1 (LOG) and v4 (SLS4-HMAC-SHA256). Pure: bytes in,
 * bytes out, the clock passed in; no lua_State, no I/O. */
#ifndef SLS_SIGN_H
#define SLS_SIGN_H

#include <stddef.h>
#include <time.h>

#include <openssl/types.h>

#include "buf.h"
#include "kv.h"
#include "limits.h"

#define SLS_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* What a signature covers. Header names are lower-case; the date is the one
 * in the headers (`date` for v1, `x-log-date` for v4). */
typedef struct sls_sign_input {
	const char   *method;
	const char   *path;
	const sls_kv *query;
	size_t        nquery;
	const sls_kv *headers;
	size_t        nheaders;
	const char   *access_key_id;
	const char   *secret;
	size_t        secret_len;
	const char   *region;          /* v4 only */
	const char   *content_sha256;  /* v4 only: hex sha256 of the body */
} sls_sign_input;

/* Signing state kept per client (never shared between threads): OpenSSL
 * contexts fetched and keyed once, so a signature costs no algorithm lookup
 * and no key setup, and the v4 signing key, which depends only on the
 * secret, the day and the region. Zero it, then sls_sign_ctx_init. */
typedef struct sls_sign_ctx {
	EVP_MD      *sha256_alg;
	EVP_MD_CTX  *sha256;
	EVP_MAC_CTX *v1;              /* HMAC-SHA256 keyed with the secret */
	EVP_MAC_CTX *v4;              /* HMAC-SHA256 keyed with the signing key */
	int          v1_keyed;
	int          v4_keyed;
	char         day[9];          /* what the v4 key was derived for */
	char         region[64];
} sls_sign_ctx;

/* 0 when OpenSSL cannot allocate the contexts. */
int  sls_sign_ctx_init(sls_sign_ctx *ctx);
/* Drops the keys (call it when the credentials change). */
void sls_sign_ctx_forget(sls_sign_ctx *ctx);
/* Frees and wipes; idempotent. */
void sls_sign_ctx_free(sls_sign_ctx *ctx);

/* Appends the v1 `authorization` value to out. Returns 0 on failure. */
int sls_sign_v1(const sls_sign_input *in, sls_buf *out, sls_buf *scratch,
                sls_sign_ctx *ctx);
/* Appends the v4 `authorization` value to out. */
int sls_sign_v4(const sls_sign_input *in, sls_buf *out, sls_buf *scratch,
                sls_sign_ctx *ctx);

#endif
