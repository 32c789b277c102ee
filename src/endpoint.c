#include "endpoint.h"

#include <stdio.h>
#include <string.h>

static int is_host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static int has_scheme(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 3 <= n; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/')
			return 1;
	return 0;
}

const char *sls_endpoint_parse(const char *s, size_t n, sls_endpoint *out)
{
	const char *p = s, *end = s + n, *host, *host_end;
	unsigned long port = 0;
	size_t hlen;

	memset(out, 0, sizeof *out);
	out->https = 1;
	if (n >= 8 && strncmp(p, "https://", 8) == 0) {
		p += 8;
	} else if (n >= 7 && strncmp(p, "http://", 7) == 0) {
		out->https = 0;
		p += 7;
	} else if (has_scheme(s, n)) {
		return "only http:// and https:// are allowed";
	}
	host = p;
	if (p < end && *p == '[') {          /* [IPv6] */
		while (p < end && *p != ']') {
			unsigned char c = (unsigned char)*p;
			if (p > host && !(c == ':' || c == '.' ||
			    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			    (c >= 'A' && c <= 'F')))
				return "the IPv6 address is malformed";
			p++;
		}
		if (p == end || p - host < 3)
			return "the IPv6 address is malformed";
		p++;
	} else {
		while (p < end && is_host_char((unsigned char)*p))
			p++;
	}
	host_end = p;
	hlen = (size_t)(host_end - host);
	if (hlen == 0)
		return "the host is empty";
	if (hlen > SLS_HOST_MAX)
		return "the host is longer than 253 bytes";
	if (p < end && *p == ':') {
		if (++p == end)
			return "the port is empty";
		while (p < end && *p >= '0' && *p <= '9') {
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				return "the port is not in 1..65535";
			p++;
		}
		if (p < end && !strchr("/?#@", *p))
			return "the port is not a number";
		if (port == 0)
			return "the port is not in 1..65535";
	}
	if (p < end) {
		switch (*p) {
		case '/': return "a path is not allowed";
		case '?': return "a query is not allowed";
		case '#': return "a fragment is not allowed";
		case '@': return "user info is not allowed";
		default:  return "the host has a character that is not allowed";
		}
	}
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = port ? (unsigned)port : (out->https ? 443u : 80u);
	if (port == 0 || out->port == (out->https ? 443u : 80u))
		snprintf(out->host_header, sizeof out->host_header, "%s", out->host);
	else
		snprintf(out->host_header, sizeof out->host_header, "%s:%u",
		         out->host, out->port);
	snprintf(out->url_base, sizeof out->url_base, "%s://%s:%u",
	         out->https ? "https" : "http", out->host, out->port);
	return NULL;
}

int sls_region_from_host(const char *host, char *out, size_t outlen)
{
	/* As the official gateway derives it: the SLS suffix off, then one
	 * network form off (cn-shanghai-vpc.log.aliyuncs.com is cn-shanghai). */
	static const char *const suffixes[] = { ".log.aliyuncs.com", ".sls.aliyuncs.com" };
	static const char *const forms[] = { "-intranet", "-share", "-vpc" };
	size_t n = strlen(host), i, sl = 0;

	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t l = strlen(suffixes[i]);
		if (n > l && strcmp(host + n - l, suffixes[i]) == 0) {
			sl = l;
			break;
		}
	}
	if (sl == 0)
		return 0;
	n -= sl;
	for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		size_t fl = strlen(forms[i]);
		if (n > fl && strncmp(host + n - fl, forms[i], fl) == 0) {
			n -= fl;
			break;
		}
	}
	if (n == 0 || n >= outlen || host[0] == '-')
		return 0;
	for (i = 0; i < n; i++)            /* a region id: cn-shanghai, ap-southeast-1 */
		if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= '0' && host[i] <= '9') ||
		      host[i] == '-'))
			return 0;
	memcpy(out, host, n);
	out[n] = '\0';
	return 1;
}
