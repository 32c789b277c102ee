/* libFuzzer target: the canonicalization and signing input. The input is
 * split at newlines into method, path, query pairs (k=v), headers (k:v), the
 * secret and the region; both signers run over it. Any byte may appear in
 * any field; the signers must neither crash nor read out of bounds, and a
 * signature they report is well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sls_sign_ctx ctx;
	static int ready;
	sls_kv query[SLS_MAX_QUERY], headers[SLS_MAX_HEADERS];
	char *text, *field[4 + SLS_MAX_QUERY + SLS_MAX_HEADERS], *p, *eq;
	size_t nf = 0, i, nq = 0, nh = 0;
	sls_buf out = {0}, scratch = {0};
	sls_sign_input in;

	if (!ready && !(ready = sls_sign_ctx_init(&ctx)))
		abort();
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (p = text; nf < sizeof field / sizeof *field; ) {
		field[nf++] = p;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	memset(&in, 0, sizeof in);
	in.method = field[0];
	in.path = nf > 1 ? field[1] : "/";
	in.secret = nf > 2 ? field[2] : "";
	in.secret_len = strlen(in.secret);
	in.region = nf > 3 ? field[3] : "cn-shanghai";
	in.access_key_id = "id";
	in.content_sha256 = SLS_EMPTY_SHA256;
	for (i = 4; i < nf; i++) {
		if ((eq = strchr(field[i], '=')) != NULL && nq < SLS_MAX_QUERY) {
			*eq = '\0';
			query[nq].key = field[i];
			query[nq++].value = eq + 1;
		} else if ((eq = strchr(field[i], ':')) != NULL && nh < SLS_MAX_HEADERS) {
			*eq = '\0';
			headers[nh].key = field[i];
			headers[nh++].value = eq + 1;
		}
	}
	in.query = query;
	in.nquery = nq;
	in.headers = headers;
	in.nheaders = nh;
	/* A new secret each input: the keyed contexts must follow it. */
	sls_sign_ctx_forget(&ctx);
	if (sls_sign_v1(&in, &out, &scratch, &ctx) &&
	    (out.len < 7 || memcmp(out.data, "LOG id:", 7) != 0))
		abort();
	sls_buf_reset(&out);
	if (sls_sign_v4(&in, &out, &scratch, &ctx) &&
	    (out.len < 31 || memcmp(out.data, "SLS4-HMAC-SHA256 Credential=id/", 31) != 0))
		abort();
	sls_buf_free(&out);
	sls_buf_wipe(&scratch);
	free(text);
	return 0;
}
