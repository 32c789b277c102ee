/* Endpoint parsing and region derivation. Pure. */
#ifndef SLS_ENDPOINT_H
#define SLS_ENDPOINT_H

#include <stddef.h>

#define SLS_HOST_MAX 253

typedef struct sls_endpoint {
	int      https;
	unsigned port;
	char     host[SLS_HOST_MAX + 3];     /* as written, IPv6 in brackets */
	char     host_header[SLS_HOST_MAX + 10]; /* host[:port], port left out when default */
	char     url_base[SLS_HOST_MAX + 20];    /* scheme://host:port */
} sls_endpoint;

/* Parses `host`, `host:port`, `https://host[:port]` or `http://host[:port]`.
 * Returns NULL, or why the text is not an endpoint. */
const char *sls_endpoint_parse(const char *s, size_t n, sls_endpoint *out);

/* The region of an SLS host name, as the official gateway derives it:
 * `<region>.log.aliyuncs.com` or `<region>.sls.aliyuncs.com`, less one
 * trailing `-intranet`, `-share` or `-vpc`. Returns 0 when the host names
 * no region (what is left is not a lower-case region id). */
int sls_region_from_host(const char *host, char *out, size_t outlen);

#endif
