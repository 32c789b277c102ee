#include "httpparse.h"

#include <string.h>

#include "limits.h"
#include "text.h"

/* Written by hand: libcurl parses only what it fetched itself, and no
 * Debian library offers an incremental, capped HTTP/1.1 answer parser that a
 * cosocket can feed (lua-resty-http is not packaged). */

enum {
	ST_STATUS,        /* the status line */
	ST_HEADERS,
	ST_BODY_LENGTH,   /* left bytes to go */
	ST_BODY_CLOSE,    /* up to the close */
	ST_BODY_DECODED,  /* libcurl's de-framed body, up to sls_httpp_eof */
	ST_CHUNK_SIZE,
	ST_CHUNK_DATA,
	ST_CHUNK_END,     /* the CRLF after a chunk */
	ST_TRAILERS,
	ST_DONE,
	ST_ERROR
};

#define READ_SIZE (16 * 1024)

/* sls_httpp_field's offsets and lengths hold any head the caps let in. */
typedef char field_line_fits[SLS_LINE_MAX <= 0xFFFF ? 1 : -1];
typedef char field_head_fits[SLS_HEAD_MAX <= 0xFFFFFFFF ? 1 : -1];

static int fail(sls_httpp *p, const char *code, const char *why)
{
	p->state = ST_ERROR;
	p->code = code;
	p->why = why;
	p->keep_alive = 0;
	return SLS_HTTPP_ERROR;
}

static int oom(sls_httpp *p)
{
	return fail(p, "OutOfMemory", "no memory for the answer");
}

void sls_httpp_reset(sls_httpp *p, int decoded)
{
	sls_buf_reset(&p->head);
	sls_buf_reset(&p->body);
	sls_buf_reset(&p->line);
	sls_buf_reset(&p->fields);
	p->state = ST_STATUS;
	p->decoded = decoded;
	p->status = 0;
	p->keep_alive = 0;
	p->chunked = 0;
	p->length = -1;
	p->left = 0;
	p->line_at = 0;
	p->line_done = 0;
	p->trailer = 0;
	p->code = NULL;
	p->why = NULL;
}

void sls_httpp_free(sls_httpp *p)
{
	sls_buf_free(&p->head);
	sls_buf_free(&p->body);
	sls_buf_free(&p->line);
	sls_buf_free(&p->fields);
}

void sls_httpp_wipe(sls_httpp *p)
{
	sls_buf_wipe(&p->head);
	sls_buf_wipe(&p->body);
	sls_buf_wipe(&p->line);
	sls_buf_free(&p->fields);             /* offsets only */
}

size_t sls_httpp_nfields(const sls_httpp *p)
{
	return p->fields.len / sizeof(sls_httpp_field);
}

void sls_httpp_field_get(const sls_httpp *p, size_t i, const char **name, size_t *name_n,
                         const char **value, size_t *value_n)
{
	sls_httpp_field f;

	memcpy(&f, p->fields.data + i * sizeof f, sizeof f);    /* the buffer's alignment */
	*name = p->head.data + f.at;
	*name_n = f.name_n;
	*value = *name + f.value_at;
	*value_n = f.value_n;
}

int sls_httpp_started(const sls_httpp *p)
{
	return p->head.len > 0 || p->state != ST_STATUS;
}

/* The header name p (n bytes) is lit, case aside; the length first. */
#define NAME_IS(p, n, lit) ((n) == sizeof lit - 1 && sls_ascii_ieq(p, lit, n))

/* Whether the comma-separated list p (n bytes) holds the token tok. */
static int has_token(const char *p, size_t n, const char *tok)
{
	size_t len = strlen(tok), i = 0;

	while (i < n) {
		size_t start, end;
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ','))
			i++;
		start = i;
		while (i < n && p[i] != ',')
			i++;
		end = i;
		while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (end - start == len && sls_ascii_ieq(p + start, tok, len))
			return 1;
	}
	return 0;
}

/* A status line: "HTTP/1.x NNN reason". */
static int status_line(sls_httpp *p, const char *s, size_t n)
{
	long st;

	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') ||
	    s[8] != ' ' || s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' ||
	    s[11] < '0' || s[11] > '9' || (n > 12 && s[12] != ' '))
		return fail(p, "BadResponse", "not an HTTP/1.x status line");
	st = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (st == 101)
		return fail(p, "BadResponse", "the server switched protocols");
	p->status = st;
	p->keep_alive = s[7] == '1';          /* HTTP/1.1 keeps by default */
	p->state = ST_HEADERS;
	return SLS_HTTPP_MORE;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Records a header for the result table: the name without blanks before
 * its colon, the value without blanks (a stray CR too) around it, as
 * servers that break RFC 9110 that way mean them. Framing (below) reads
 * the line as libcurl does, and does not go by this. */
static int record_field(sls_httpp *p, const char *s, size_t klen, const char *v,
                        const char *end)
{
	sls_httpp_field f;

	while (klen > 0 && is_blank(s[klen - 1]))
		klen--;
	while (v < end && is_blank(*v))
		v++;
	while (end > v && is_blank(end[-1]))
		end--;
	if (klen == 0)
		return SLS_HTTPP_MORE;            /* no name: nothing to show */
	f.at = (unsigned int)(s - p->head.data);
	f.name_n = (unsigned short)klen;
	f.value_at = (unsigned short)(v - s);
	f.value_n = (unsigned short)(end - v);
	sls_buf_add(&p->fields, &f, sizeof f);
	return p->fields.oom ? oom(p) : SLS_HTTPP_MORE;
}

/* One header line (without its line end). */
static int header_line(sls_httpp *p, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n), *v, *end = s + n;
	size_t klen;

	if (s[0] == ' ' || s[0] == '\t')
		return fail(p, "BadResponse", "a folded header line");
	if (colon == NULL || colon == s)
		return fail(p, "BadResponse", "a header line without a name");
	klen = (size_t)(colon - s);
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p->status < 200)
		return SLS_HTTPP_MORE;             /* an interim answer's headers */
	if (record_field(p, s, klen, v, end) != SLS_HTTPP_MORE)
		return SLS_HTTPP_ERROR;
	if (NAME_IS(s, klen, "content-length")) {
		long long len = 0;
		const char *q;
		if (v == end)
			return fail(p, "BadResponse", "an empty Content-Length");
		for (q = v; q < end; q++) {
			if (*q < '0' || *q > '9')
				return fail(p, "BadResponse", "a Content-Length that is not a number");
			if (len > SLS_BODY_MAX)
				break;
			len = len * 10 + (*q - '0');
		}
		if (len > SLS_BODY_MAX)
			return fail(p, "ResponseTooLarge", "the answer's body is over 1 MiB");
		if (p->length >= 0 && p->length != len)
			return fail(p, "BadResponse", "two different Content-Length headers");
		p->length = len;
	} else if (NAME_IS(s, klen, "transfer-encoding")) {
		if (has_token(v, (size_t)(end - v), "chunked"))
			p->chunked = 1;
	} else if (NAME_IS(s, klen, "connection")) {
		if (has_token(v, (size_t)(end - v), "close"))
			p->keep_alive = 0;
		else if (has_token(v, (size_t)(end - v), "keep-alive"))
			p->keep_alive = 1;
	}
	return SLS_HTTPP_MORE;
}

/* Forgets the answer read so far: another one follows (after an interim
 * 1xx, or after a proxy's CONNECT answer in libcurl's decoded mode). */
static void start_over(sls_httpp *p)
{
	sls_buf_reset(&p->head);
	sls_buf_reset(&p->fields);
	p->line_at = 0;
	p->status = 0;
	p->length = -1;
	p->chunked = 0;
	p->state = ST_STATUS;
}

/* The blank line after the headers: an interim answer starts over, the
 * final one decides how its body is framed. */
static int end_of_head(sls_httpp *p)
{
	if (p->status < 200) {
		start_over(p);
		return SLS_HTTPP_MORE;
	}
	if (p->decoded) {
		p->state = ST_BODY_DECODED;
	} else if (p->status == 204 || p->status == 304) {
		p->state = ST_DONE;
	} else if (p->chunked) {
		p->state = ST_CHUNK_SIZE;
	} else if (p->length >= 0) {
		p->left = p->length;
		p->state = p->left > 0 ? ST_BODY_LENGTH : ST_DONE;
	} else {
		p->keep_alive = 0;                /* the body runs to the close */
		p->state = ST_BODY_CLOSE;
	}
	return p->state == ST_DONE ? SLS_HTTPP_DONE : SLS_HTTPP_MORE;
}

/* Reads head bytes up to the end of one line. Returns the state's verdict
 * once a line is complete, MORE when the data ran out first. */
static int head_bytes(sls_httpp *p, const char *d, size_t n, size_t *i)
{
	const char *nl = memchr(d + *i, '\n', n - *i);
	size_t take = nl ? (size_t)(nl - (d + *i)) + 1 : n - *i;
	const char *line;
	size_t len;

	if (p->head.len + take > SLS_HEAD_MAX)
		return fail(p, "ResponseTooLarge", "the answer's headers are over 256 KiB");
	if (p->head.len - p->line_at + take > SLS_LINE_MAX + 2)
		return fail(p, "ResponseTooLarge", "a header line over 16 KiB");
	sls_buf_add(&p->head, d + *i, take);
	*i += take;
	if (p->head.oom)
		return oom(p);
	if (nl == NULL)
		return SLS_HTTPP_MORE;
	line = p->head.data + p->line_at;
	len = p->head.len - p->line_at - 1;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > SLS_LINE_MAX)
		return fail(p, "ResponseTooLarge", "a header line over 16 KiB");
	p->line_at = p->head.len;
	if (p->state == ST_STATUS) {
		if (len == 0 && p->head.len <= 2) { /* a stray line end before it */
			sls_buf_reset(&p->head);
			p->line_at = 0;
			return SLS_HTTPP_MORE;
		}
		return status_line(p, line, len);
	}
	if (len == 0)
		return end_of_head(p);
	return header_line(p, line, len);
}

/* Reads chunk-size and trailer lines into p->line. 1 with the line (without
 * its end) in *s, *len when complete; 0 for more data; -1 on error. */
static int other_line(sls_httpp *p, const char *d, size_t n, size_t *i,
                      const char **s, size_t *len)
{
	const char *nl = memchr(d + *i, '\n', n - *i);
	size_t take = nl ? (size_t)(nl - (d + *i)) + 1 : n - *i;

	if (p->line_done) {                   /* the last line was handed out */
		sls_buf_reset(&p->line);
		p->line_done = 0;
	}
	if (p->line.len + take > SLS_LINE_MAX + 2) {
		fail(p, "ResponseTooLarge", "a chunk line over 16 KiB");
		return -1;
	}
	sls_buf_add(&p->line, d + *i, take);
	*i += take;
	if (p->line.oom) {
		oom(p);
		return -1;
	}
	if (nl == NULL)
		return 0;
	*s = p->line.data;
	*len = p->line.len - 1;
	if (*len > 0 && (*s)[*len - 1] == '\r')
		(*len)--;
	p->line_done = 1;                     /* *s stays valid until the next line */
	return 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int chunk_size(sls_httpp *p, const char *s, size_t len)
{
	long long size = 0;
	size_t k = 0;

	while (k < len && hexval(s[k]) >= 0) {
		size = size * 16 + hexval(s[k++]);
		if (size > SLS_BODY_MAX)
			return fail(p, "ResponseTooLarge", "the answer's body is over 1 MiB");
	}
	if (k == 0 || (k < len && s[k] != ';' && s[k] != ' ' && s[k] != '\t'))
		return fail(p, "BadResponse", "a bad chunk size");
	if (size == 0) {
		p->state = ST_TRAILERS;
		return SLS_HTTPP_MORE;
	}
	if ((long long)p->body.len + size > SLS_BODY_MAX)
		return fail(p, "ResponseTooLarge", "the answer's body is over 1 MiB");
	p->left = size;
	p->state = ST_CHUNK_DATA;
	return SLS_HTTPP_MORE;
}

int sls_httpp_feed(sls_httpp *p, const char *d, size_t n, size_t *used)
{
	size_t i = 0;
	int r = p->state == ST_DONE ? SLS_HTTPP_DONE
	      : p->state == ST_ERROR ? SLS_HTTPP_ERROR : SLS_HTTPP_MORE;

	if (r == SLS_HTTPP_DONE && n > 0 && !p->decoded)
		p->keep_alive = 0;                /* bytes nobody asked for */

	while (i < n && r == SLS_HTTPP_MORE) {
		const char *s;
		size_t len, take;
		int got;

		switch (p->state) {
		case ST_STATUS:
		case ST_HEADERS:
			r = head_bytes(p, d, n, &i);
			break;
		case ST_BODY_DECODED:
			/* libcurl hands the body over separately. A status line
			 * before any body starts another answer (a proxy's CONNECT
			 * answer came first, where libcurl cannot leave it out);
			 * other lines here are trailers: ignored. */
			if (p->body.len == 0 && n - i >= 5 && memcmp(d + i, "HTTP/", 5) == 0) {
				start_over(p);
				break;
			}
			i = n;
			break;
		case ST_BODY_LENGTH:
		case ST_CHUNK_DATA:
			take = (long long)(n - i) < p->left ? n - i : (size_t)p->left;
			sls_buf_add(&p->body, d + i, take);
			if (p->body.oom)
				return oom(p);
			i += take;
			p->left -= (long long)take;
			if (p->left == 0) {
				p->state = p->state == ST_CHUNK_DATA ? ST_CHUNK_END : ST_DONE;
				r = p->state == ST_DONE ? SLS_HTTPP_DONE : SLS_HTTPP_MORE;
			}
			break;
		case ST_BODY_CLOSE:
			if (p->body.len + (n - i) > SLS_BODY_MAX)
				return fail(p, "ResponseTooLarge", "the answer's body is over 1 MiB");
			sls_buf_add(&p->body, d + i, n - i);
			if (p->body.oom)
				return oom(p);
			i = n;
			break;
		case ST_CHUNK_SIZE:
		case ST_CHUNK_END:
		case ST_TRAILERS:
			got = other_line(p, d, n, &i, &s, &len);
			if (got < 0)
				return SLS_HTTPP_ERROR;
			if (got == 0)
				break;
			if (p->state == ST_CHUNK_END) {
				if (len != 0)
					return fail(p, "BadResponse", "a chunk without its line end");
				p->state = ST_CHUNK_SIZE;
			} else if (p->state == ST_CHUNK_SIZE) {
				r = chunk_size(p, s, len);
			} else if (len == 0) {
				p->state = ST_DONE;
				r = SLS_HTTPP_DONE;
			} else if ((p->trailer += len) > SLS_HEAD_MAX) {
				return fail(p, "ResponseTooLarge", "the answer's trailers are over 256 KiB");
			}
			break;
		default:
			r = SLS_HTTPP_ERROR;
			break;
		}
	}
	if (used != NULL)
		*used = i;
	if (r == SLS_HTTPP_DONE && i < n && !p->decoded)
		p->keep_alive = 0;                /* bytes nobody asked for */
	return r;
}

int sls_httpp_body(sls_httpp *p, const char *data, size_t n)
{
	if (p->state != ST_BODY_DECODED)
		return p->state == ST_ERROR ? SLS_HTTPP_ERROR
		       : fail(p, "BadResponse", "a body before the headers ended");
	if (p->body.len + n > SLS_BODY_MAX)
		return fail(p, "ResponseTooLarge", "the answer's body is over 1 MiB");
	sls_buf_add(&p->body, data, n);
	return p->body.oom ? oom(p) : SLS_HTTPP_MORE;
}

int sls_httpp_eof(sls_httpp *p)
{
	switch (p->state) {
	case ST_DONE:
		return SLS_HTTPP_DONE;
	case ST_BODY_CLOSE:
	case ST_BODY_DECODED:
		p->state = ST_DONE;
		p->keep_alive = p->keep_alive && p->decoded;
		return SLS_HTTPP_DONE;
	case ST_ERROR:
		return SLS_HTTPP_ERROR;
	case ST_STATUS:
		return fail(p, "BadResponse", p->head.len == 0
		            ? "the server closed the connection without answering"
		            : "the connection closed inside the status line");
	case ST_HEADERS:
		return fail(p, "BadResponse", "the connection closed inside the headers");
	default:
		return fail(p, "BadResponse", "the connection closed before the body ended");
	}
}

size_t sls_httpp_want(const sls_httpp *p)
{
	switch (p->state) {
	case ST_DONE:
	case ST_ERROR:
		return 0;
	case ST_BODY_LENGTH:
		return p->left < READ_SIZE ? (size_t)p->left : READ_SIZE;
	default:
		return READ_SIZE;
	}
}

int sls_httpp_curl_refused(sls_httpp *p)
{
	if (p->state != ST_STATUS && p->state != ST_HEADERS)
		return 0;
	if (p->head.len == 0)
		return 0;
	fail(p, "ResponseTooLarge", "a header line over 16 KiB");
	return 1;
}
