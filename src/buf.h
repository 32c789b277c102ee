/* A growable byte buffer for the core, which never touches a lua_State.
 * Always NUL-terminated so it can be handed to C string APIs; len excludes
 * the terminator. A failed allocation latches `oom` and later appends are
 * no-ops, so a builder checks once at the end instead of after every call. */
#ifndef SLS_BUF_H
#define SLS_BUF_H

#include <stddef.h>

typedef struct sls_buf {
	char  *data;
	size_t len;
	size_t cap;
	int    oom;
} sls_buf;

void sls_buf_reset(sls_buf *b);
void sls_buf_free(sls_buf *b);
/* Frees after overwriting the bytes: for buffers that held a secret. */
void sls_buf_wipe(sls_buf *b);
/* Overwrites the bytes and empties the buffer, keeping its memory. */
void sls_buf_clear(sls_buf *b);
int  sls_buf_reserve(sls_buf *b, size_t extra);
void sls_buf_add(sls_buf *b, const void *p, size_t n);
void sls_buf_adds(sls_buf *b, const char *s);
void sls_buf_addc(sls_buf *b, char c);
/* Lower-case hex of n bytes. */
void sls_buf_addhex(sls_buf *b, const unsigned char *p, size_t n);
/* RFC 3986 unreserved: A-Z a-z 0-9 - _ . ~ */
int  sls_is_unreserved(unsigned char c);
/* RFC 3986 percent-encoding of n bytes into out (room for 3 * n); returns
 * the length written. Unreserved characters stay, every other byte is %XX
 * with upper-case hex. */
size_t sls_pct_encode(char *out, const char *s, size_t n);
/* sls_pct_encode appended to b: unreserved characters stay, every other byte is
 * %XX with upper-case hex. */
void sls_buf_addpct(sls_buf *b, const char *s, size_t n);
/* The buffer's text, "" when empty. */
const char *sls_buf_str(const sls_buf *b);

#endif
