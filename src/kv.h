/* A borrowed key/value pair: the request builder, the signer and the
 * transport pass headers and query parameters as arrays of these. */
#ifndef SLS_KV_H
#define SLS_KV_H

typedef struct sls_kv {
	const char *key;
	const char *value;
} sls_kv;

#endif
