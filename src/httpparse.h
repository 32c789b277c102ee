/* The HTTP/1.1 answer reader both transports share. Pure: it is fed bytes
 * and says what it needs; it never reads a socket.
 *
 * The cosocket transport feeds it raw bytes as they arrive (sls_httpp_feed)
 * and asks how many more to read (sls_httpp_want). libcurl de-frames the
 * body itself, so there the reader gets the header lines libcurl hands over
 * (also sls_httpp_feed) and then the body (sls_httpp_body). Either way the
 * same caps hold (limits.h: a header line, the head, the body) and interim
 * 1xx answers are skipped, so one answer fails alike on both transports. */
#ifndef SLS_HTTPPARSE_H
#define SLS_HTTPPARSE_H

#include <stddef.h>

#include "buf.h"

enum { SLS_HTTPP_MORE, SLS_HTTPP_DONE, SLS_HTTPP_ERROR };

typedef struct sls_httpp {
	int        state;
	int        decoded;       /* the body comes de-framed (libcurl) */
	long       status;        /* of the final answer; 0 before its status line */
	int        keep_alive;    /* the connection may carry another request */
	int        chunked;
	long long  length;        /* Content-Length, -1 when none */
	long long  left;          /* bytes left of the body or of a chunk */
	size_t     line_at;       /* where the current line starts in head or line */
	int        line_done;     /* line holds a whole line, already read */
	size_t     trailer;       /* bytes of chunk trailers so far */
	sls_buf    head;          /* the final answer's status line and headers, raw */
	sls_buf    body;
	sls_buf    line;          /* a chunk-size or trailer line being read */
	sls_buf    fields;        /* the final answer's headers as read: sls_httpp_field */
	const char *code;         /* on error: "ResponseTooLarge" or "BadResponse" */
	const char *why;          /* on error: what was wrong (static text) */
} sls_httpp;

/* Starts a new answer, keeping the buffers' memory. decoded: see above. */
void sls_httpp_reset(sls_httpp *p, int decoded);
/* Frees the buffers, wiping nothing: answers carry no secret of ours. */
void sls_httpp_free(sls_httpp *p);
/* Frees them, wiped first (a credentials answer carries secrets). */
void sls_httpp_wipe(sls_httpp *p);
/* Reads n bytes. *used (may be NULL) tells how many belong to this answer;
 * bytes after its end are not taken (and forbid keep-alive). */
int sls_httpp_feed(sls_httpp *p, const char *data, size_t n, size_t *used);
/* Body bytes already de-framed (decoded mode). */
int sls_httpp_body(sls_httpp *p, const char *data, size_t n);
/* The peer closed the connection (raw mode), or libcurl finished the
 * transfer (decoded mode): DONE when the answer is whole, else ERROR. */
int sls_httpp_eof(sls_httpp *p);
/* Where one header of the final answer lies in head: its name as sent
 * (offset, length) and its value without the blanks around it (offset from
 * the name, length). Recorded as the reader reads the line, so the head is
 * parsed once; a line is at most SLS_LINE_MAX bytes. */
typedef struct sls_httpp_field {
	unsigned int   at;
	unsigned short name_n, value_at, value_n;
} sls_httpp_field;

/* The number of headers of the final answer read so far, and the i-th
 * one's name and value (pointers into head, valid until it changes). */
size_t sls_httpp_nfields(const sls_httpp *p);
void   sls_httpp_field_get(const sls_httpp *p, size_t i, const char **name, size_t *name_n,
                           const char **value, size_t *value_n);

/* How many bytes to ask the socket for next: what the body still needs
 * when its length is known, else a read's worth. 0 once DONE or failed. */
size_t sls_httpp_want(const sls_httpp *p);
/* Whether any byte of an answer arrived (a stale kept-alive connection
 * closes before the first one). */
int sls_httpp_started(const sls_httpp *p);

/* libcurl gave up with CURLE_OUT_OF_MEMORY: inside the head, that is its
 * own cap on a header line (100 KiB), which this reader's lower cap would
 * have refused too; records the same failure and returns 1. 0 when the
 * head was not under way. */
int sls_httpp_curl_refused(sls_httpp *p);

#endif
