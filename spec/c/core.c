/* Unit tests of the pure core that both transports share: the retry policy
 * (policy.c) and the HTTP/1.1 reader (httpparse.c), the reader fed every
 * answer split at every offset. Built and run by spec/16-core_spec.lua,
 * under AddressSanitizer and UBSan. Prints "core: N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/buf.h"
#include "../../src/httpparse.h"
#include "../../src/limits.h"
#include "../../src/policy.h"
#include "../../src/text.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { failed++; \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* ------------------------------------------------------------ policy */

static sls_outcome outcome(const char *code, long status, int retryable, long retry_after)
{
	sls_outcome o;

	sls_outcome_clear(&o);
	snprintf(o.code, sizeof o.code, "%s", code);
	o.status = status;
	o.retryable = retryable;
	o.retry_after = retry_after;
	return o;
}

static void test_policy(void)
{
	static const struct {
		const char *code;
		long status;
		int retryable, attempt, max;
		long retry_after;
		unsigned random;
		long wait;            /* -1: give up */
	} cases[] = {
		{ "ServerBusy",     503, 1, 1, 3, -1, 1000, 1000 % 101 },  /* jitter in 0..100 */
		{ "ServerBusy",     503, 1, 2, 3, -1, 1000, 1000 % 201 },  /* 0..200 */
		{ "ServerBusy",     503, 1, 3, 3, -1, 1000, -1 },          /* attempts used up */
		{ "ServerBusy",     503, 1, 9, 10, -1, 999999, 999999 % 2001 }, /* capped at 2 s */
		{ "ServerBusy",     503, 1, 1, 3, 2, 0, 2000 },            /* Retry-After */
		{ "ServerBusy",     503, 1, 1, 3, 600, 0, 5000 },          /* ... capped at 5 s */
		{ "ParameterInvalid", 400, 0, 1, 3, -1, 0, -1 },           /* not retryable */
		{ "Timeout",          0, 1, 1, 1, -1, 0, -1 },             /* max_attempts = 1 */
		{ "Timeout",          0, 1, 1, 2, -1, 7, 7 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sls_outcome o = outcome(cases[i].code, cases[i].status, cases[i].retryable,
		                        cases[i].retry_after);
		sls_decision d = sls_policy_next(&o, cases[i].attempt, cases[i].max, 0, 1000,
		                                 cases[i].random);
		CHECK(d.wait_ms == cases[i].wait && !d.learn_skew,
		      "policy case %zu: waited %ld, wanted %ld", i, d.wait_ms, cases[i].wait);
	}
	/* RequestTimeExpired with a Date: retried at once with the offset, once. */
	{
		sls_outcome o = outcome("RequestTimeExpired", 400, 0, -1);
		sls_decision d;
		o.have_date = 1;
		o.server_date = 5000;
		d = sls_policy_next(&o, 1, 3, 0, 1000, 0);
		CHECK(d.wait_ms == 0 && d.learn_skew && d.skew == 4000, "skew learnt");
		d = sls_policy_next(&o, 2, 3, 1, 1000, 0);
		CHECK(d.wait_ms == -1 && !d.learn_skew, "skew learnt once per call");
		d = sls_policy_next(&o, 1, 1, 0, 1000, 0);
		CHECK(d.wait_ms == -1 && d.learn_skew, "learnt for the next call");
		o.server_date = 1000 + SLS_SKEW_MAX_S + 1;       /* a server a day off */
		d = sls_policy_next(&o, 1, 3, 0, 1000, 0);
		CHECK(d.wait_ms == -1 && !d.learn_skew, "no skew over a day");
		o.server_date = -2208988800;                    /* 1900 */
		d = sls_policy_next(&o, 1, 3, 0, 1000, 0);
		CHECK(d.wait_ms == -1 && !d.learn_skew, "no skew to 1900");
	}
	CHECK(sls_transport_retryable("Timeout") && sls_transport_retryable("BadResponse") &&
	      !sls_transport_retryable("TLSError") && !sls_transport_retryable("ResponseTooLarge") &&
	      !sls_transport_retryable("ClientClosed"), "transport codes");
}

/* ------------------------------------------------------------ reader */

typedef struct expect {
	const char *name;
	const char *answer;     /* raw bytes */
	int         result;     /* SLS_HTTPP_DONE or _ERROR after all bytes (and eof) */
	const char *code;       /* on error */
	long        status;
	const char *body;
	int         keep_alive;
	int         eof;        /* feed an eof after the bytes */
} expect;

/* Feeds the answer split at `cut` (and then in one piece per byte when
 * bytewise), returns the verdict. */
static int run(sls_httpp *p, const char *a, size_t n, size_t cut, int bytewise, int eof)
{
	size_t off = 0;
	int r = SLS_HTTPP_MORE;

	sls_httpp_reset(p, 0);
	/* Bytes after the end are fed too, as a socket would hand them over. */
	if (bytewise) {
		for (off = 0; off < n && r != SLS_HTTPP_ERROR; off++)
			r = sls_httpp_feed(p, a + off, 1, NULL);
	} else {
		r = sls_httpp_feed(p, a, cut, NULL);
		if (r != SLS_HTTPP_ERROR && cut < n)
			r = sls_httpp_feed(p, a + cut, n - cut, NULL);
	}
	if (r == SLS_HTTPP_MORE && eof)
		r = sls_httpp_eof(p);
	return r;
}

/* An answer as libcurl hands it over: header lines one by one, then the
 * body "{}" apart, then the end. */
static int decoded(sls_httpp *p, const char *const lines[], size_t n)
{
	int r = SLS_HTTPP_MORE;
	size_t k;

	sls_httpp_reset(p, 1);
	for (k = 0; k < n && r == SLS_HTTPP_MORE; k++)
		r = sls_httpp_feed(p, lines[k], strlen(lines[k]), NULL);
	r = r == SLS_HTTPP_MORE ? sls_httpp_body(p, "{}", 2) : r;
	return r == SLS_HTTPP_MORE ? sls_httpp_eof(p) : r;
}

/* The header fields the reader records: the final answer's only, the name
 * and the value without the blanks around them (a stray CR too), a line
 * split anywhere. */
static void test_fields(void)
{
	static const char answer[] =
		"HTTP/1.1 100 Continue\r\nX-Interim: no\r\n\r\n"
		"HTTP/1.1 200 OK\r\nServer:  nginx \t\r\nX-Log-RequestId:6721A1D5\r\n"
		"Empty:\r\nVia :\r p \r\r\nContent-Length: 2\r\n\r\n{}";
	static const char *const want[][2] = {
		{ "Server", "nginx" }, { "X-Log-RequestId", "6721A1D5" }, { "Empty", "" },
		{ "Via", "p" }, { "Content-Length", "2" },
	};
	size_t cut, i, n = sizeof answer - 1;
	sls_httpp p;

	memset(&p, 0, sizeof p);
	for (cut = 0; cut <= n; cut++) {
		sls_httpp_reset(&p, 0);
		sls_httpp_feed(&p, answer, cut, NULL);
		CHECK(sls_httpp_feed(&p, answer + cut, n - cut, NULL) == SLS_HTTPP_DONE,
		      "fields: done, cut at %zu", cut);
		CHECK(sls_httpp_nfields(&p) == 5, "fields: 5 of the final answer, cut at %zu", cut);
		for (i = 0; i < 5 && i < sls_httpp_nfields(&p); i++) {
			const char *name, *value;
			size_t name_n, value_n;
			sls_httpp_field_get(&p, i, &name, &name_n, &value, &value_n);
			CHECK(name_n == strlen(want[i][0]) && memcmp(name, want[i][0], name_n) == 0 &&
			      value_n == strlen(want[i][1]) && memcmp(value, want[i][1], value_n) == 0,
			      "field %zu is %s: %s, cut at %zu", i, want[i][0], want[i][1], cut);
		}
	}
	sls_httpp_free(&p);
}

static void test_reader(void)
{
	static const expect cases[] = {
		{ "content-length", "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"ticket\":1}\n",
		  SLS_HTTPP_DONE, NULL, 200, "{\"ticket\":1}\n", 1, 0 },
		{ "bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
		  SLS_HTTPP_DONE, NULL, 200, "ok", 1, 0 },
		{ "chunked with extensions and trailers",
		  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n",
		  SLS_HTTPP_DONE, NULL, 200, "abcde", 1, 0 },
		{ "interim 100 then 103, then the answer",
		  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
		  "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
		  SLS_HTTPP_DONE, NULL, 401, "{}", 0, 0 },
		{ "body to the close", "HTTP/1.0 200 OK\r\n\r\nuntil close",
		  SLS_HTTPP_DONE, NULL, 200, "until close", 0, 1 },
		{ "204 without a body", "HTTP/1.1 204 No Content\r\n\r\n",
		  SLS_HTTPP_DONE, NULL, 204, "", 1, 0 },
		{ "HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n"
		  "Content-Length: 0\r\n\r\n", SLS_HTTPP_DONE, NULL, 200, "", 1, 0 },
		{ "bytes after the answer forbid keep-alive",
		  "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1",
		  SLS_HTTPP_DONE, NULL, 200, "x", 0, 0 },
		{ "not HTTP", "SSH-2.0-OpenSSH\r\n", SLS_HTTPP_ERROR, "BadResponse", 0, NULL, 0, 0 },
		{ "switching protocols", "HTTP/1.1 101 Switching\r\n\r\n",
		  SLS_HTTPP_ERROR, "BadResponse", 0, NULL, 0, 0 },
		{ "bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		  SLS_HTTPP_ERROR, "BadResponse", 200, NULL, 0, 0 },
		{ "two content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		  "Content-Length: 2\r\n\r\n", SLS_HTTPP_ERROR, "BadResponse", 200, NULL, 0, 0 },
		{ "content-length over 1 MiB", "HTTP/1.1 200 OK\r\nContent-Length: 1048577\r\n\r\n",
		  SLS_HTTPP_ERROR, "ResponseTooLarge", 200, NULL, 0, 0 },
		{ "a chunk over 1 MiB", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "100001\r\n", SLS_HTTPP_ERROR, "ResponseTooLarge", 200, NULL, 0, 0 },
		{ "a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		  SLS_HTTPP_ERROR, "BadResponse", 200, NULL, 0, 0 },
		{ "a folded header", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
		  SLS_HTTPP_ERROR, "BadResponse", 200, NULL, 0, 0 },
		{ "closed in the headers", "HTTP/1.1 200 OK\r\nContent-Le",
		  SLS_HTTPP_ERROR, "BadResponse", 200, NULL, 0, 1 },
		{ "closed in the body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
		  SLS_HTTPP_ERROR, "BadResponse", 200, NULL, 0, 1 },
		{ "closed before a byte", "", SLS_HTTPP_ERROR, "BadResponse", 0, NULL, 0, 1 },
	};
	sls_httpp p;
	size_t i, cut;

	memset(&p, 0, sizeof p);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const expect *e = &cases[i];
		size_t n = strlen(e->answer);
		int bytewise;

		for (bytewise = 0; bytewise <= 1; bytewise++)
			for (cut = 0; cut <= (bytewise ? 0 : n); cut++) {
				int r = run(&p, e->answer, n, cut, bytewise, e->eof);
				int ok = r == e->result && p.status == e->status;
				if (ok && r == SLS_HTTPP_DONE)
					ok = p.body.len == strlen(e->body) &&
					     memcmp(sls_buf_str(&p.body), e->body, p.body.len) == 0 &&
					     p.keep_alive == e->keep_alive;
				if (ok && r == SLS_HTTPP_ERROR)
					ok = p.code != NULL && strcmp(p.code, e->code) == 0;
				CHECK(ok, "reader: %s, split at %zu%s: result %d status %ld code %s",
				      e->name, cut, bytewise ? " (byte by byte)" : "", r, p.status,
				      p.code ? p.code : "-");
			}
	}

	/* The caps: a header line, the head. */
	{
		size_t n = SLS_LINE_MAX + 64, i2;
		char *a = malloc(n);
		memcpy(a, "HTTP/1.1 200 OK\r\nX: ", 20);
		memset(a + 20, 'a', n - 20);
		CHECK(run(&p, a, n, n / 2, 0, 0) == SLS_HTTPP_ERROR &&
		      strcmp(p.code, "ResponseTooLarge") == 0, "a header line over the cap");
		free(a);
		n = 17 + (SLS_HEAD_MAX / 100 + 10) * 100;
		a = malloc(n);
		memcpy(a, "HTTP/1.1 200 OK\r\n", 17);
		for (i2 = 17; i2 + 100 <= n; i2 += 100) {
			memset(a + i2, 'h', 98);
			a[i2 + 2] = ':';
			a[i2 + 98] = '\r';
			a[i2 + 99] = '\n';
		}
		CHECK(run(&p, a, n, 0, 0, 0) == SLS_HTTPP_ERROR &&
		      strcmp(p.code, "ResponseTooLarge") == 0, "a head over the cap");
		free(a);
	}
	/* Decoded mode (libcurl): lines, then the body apart. */
	{
		const char *lines[] = { "HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 200 OK\r\n",
		                        "Transfer-Encoding: chunked\r\n", "\r\n" };
		int r = decoded(&p, lines, 5);
		CHECK(r == SLS_HTTPP_DONE && p.status == 200 && p.body.len == 2, "decoded mode");
	}
	/* Decoded mode after a proxy's CONNECT answer: the real answer counts. */
	{
		const char *lines[] = { "HTTP/1.1 200 Connection established\r\n", "\r\n",
		                        "HTTP/1.1 401 Unauthorized\r\n", "x-log-requestid: R\r\n",
		                        "\r\n" };
		int r = decoded(&p, lines, 5);
		CHECK(r == SLS_HTTPP_DONE && p.status == 401 &&
		      strstr(sls_buf_str(&p.head), "x-log-requestid") != NULL, "after a CONNECT answer");
	}
	sls_httpp_free(&p);
}

/* The encoder's bitmap against RFC 3986's rule spelt out, on every byte,
 * and what it writes. */
static void test_pct(void)
{
	char in[256], out[3 * 256 + 1], *p = out;
	int c;

	for (c = 0; c < 256; c++) {
		int rule = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
		CHECK(sls_is_unreserved((unsigned char)c) == rule, "unreserved byte %d", c);
		in[c] = (char)c;
	}
	out[sls_pct_encode(out, in, 256)] = '\0';
	for (c = 0; c < 256; c++) {
		char want[4];
		if (sls_is_unreserved((unsigned char)c)) {
			CHECK(*p == (char)c, "byte %d kept", c);
			p++;
		} else {
			snprintf(want, sizeof want, "%%%02X", c);
			CHECK(strncmp(p, want, 3) == 0, "byte %d as %s", c, want);
			p += 3;
		}
	}
	CHECK(*p == '\0', "nothing more written");
}

/* text.c's byte classes against the rules spelt out, on all 256 bytes, and
 * sls_text_clean's copy as it is against its careful path. */
static void test_text(void)
{
	static const struct { const char *in, *want; size_t size; } cases[] = {
		{ "6721A1D557FE01DF450E554C", "6721A1D557FE01DF450E554C", 64 },
		{ "6721A1D557FE01DF450E554C", "6721A1D557F...", 15 },     /* cut */
		{ "no  double\tspaces", "no double spaces", 64 },
		{ "key ABCDsecret1 here", "key *** here", 64 },
		{ "ABCDsecret1", "***", 64 },
		{ "xy is too short to hide", "xy is too short to hide", 64 },
		{ "", "", 64 },
	};
	sls_secret secrets[] = { { "ABCDsecret1", 11 }, { "xy", 2 } };
	char one[2] = { 0 }, out[64];
	size_t i;
	int c;

	for (c = 0; c < 256; c++) {
		int ctrl = c < 0x20 || c == 0x7f, high = c > 0x7e;
		int want = (ctrl ? 1 : 0) | (high ? 2 : 0) | (c == ' ' ? 4 : 0);
		CHECK((sls_byte_class[c] & 7) == want, "class of byte %d", c);
		one[0] = (char)c;
		CHECK(sls_text_printable(one, 1, 0) == !ctrl, "printable byte %d", c);
		CHECK(sls_text_printable(one, 1, SLS_PRINT_ASCII) == !(ctrl || high),
		      "ASCII byte %d", c);
		CHECK(sls_text_printable(one, 1, SLS_PRINT_ASCII | SLS_PRINT_NOSPACE) ==
		      !(ctrl || high || c == ' '), "token byte %d", c);
	}
	for (c = 0; c < 256; c++) {
		int d;
		for (d = 0; d < 256; d++) {
			char a = (char)c, b = (char)d;
			int want = c == d || ((c >= 'A' && c <= 'Z') && d == c + 32) ||
			           ((c >= 'a' && c <= 'z') && d == c - 32);
			CHECK(sls_ascii_ieq(&a, &b, 1) == want, "bytes %d and %d alike", c, d);
		}
	}
	CHECK(sls_ascii_ieq("Content-LENGTH", "content-length", 14), "a header name");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = sls_text_clean(out, cases[i].size, cases[i].in, strlen(cases[i].in),
		                          secrets, 2);
		CHECK(strcmp(out, cases[i].want) == 0 && n == strlen(out), "clean \"%s\" -> \"%s\"",
		      cases[i].in, out);
	}
}

int main(void)
{
	test_policy();
	test_reader();
	test_fields();
	test_pct();
	test_text();
	printf("core: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
