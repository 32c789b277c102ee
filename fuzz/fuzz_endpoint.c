/* libFuzzer target: endpoint parsing and region derivation. A parsed
 * endpoint must be usable as the client uses it: NUL-terminated fields, a
 * port in range, a URL base that starts with its scheme. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/endpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sls_endpoint ep;
	char region[64];

	memset(&ep, 0xA5, sizeof ep);        /* no field may be left unset */
	if (sls_endpoint_parse((const char *)data, size, &ep) == NULL) {
		if (strnlen(ep.host, sizeof ep.host) == sizeof ep.host ||
		    strnlen(ep.url_base, sizeof ep.url_base) == sizeof ep.url_base ||
		    strnlen(ep.host_header, sizeof ep.host_header) == sizeof ep.host_header ||
		    ep.port == 0 || ep.port > 65535 || ep.host[0] == '\0' ||
		    strncmp(ep.url_base, ep.https ? "https://" : "http://", ep.https ? 8 : 7) != 0)
			abort();
		if (sls_region_from_host(ep.host, region, sizeof region) &&
		    strnlen(region, sizeof region) == sizeof region)
			abort();
	}
	return 0;
}
