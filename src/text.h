/* Server text made safe for err, detail and logs. Pure. */
#ifndef SLS_TEXT_H
#define SLS_TEXT_H

#include <stddef.h>

/* A secret to redact: bytes and length. Empty or NULL ones are skipped. */
typedef struct sls_secret {
	const char *p;
	size_t      n;
} sls_secret;

/* Writes into out (size > 0 bytes, NUL-terminated) the text s of n bytes,
 * with every occurrence of each secret replaced by "***", control bytes
 * (C0 and DEL) replaced by a space, runs of spaces so made kept single, and
 * cut to size - 1 bytes, never inside a UTF-8 sequence, ending in "..." when
 * cut. Returns the length written. One printable line always comes out. */
size_t sls_text_clean(char *out, size_t size, const char *s, size_t n,
                      const sls_secret *secrets, size_t nsecrets);

/* Flags of sls_text_printable. */
#define SLS_PRINT_ASCII   1    /* no byte above 0x7e */
#define SLS_PRINT_NOSPACE 2    /* no space either (a token, a header name) */

/* Whether the n bytes at s hold no control byte (C0 with NUL, and DEL), and
 * what flags forbid besides. The one rule for what may go into a header:
 * options (args.c), credentials (creds.c), fetch headers (fetch.c). */
int sls_text_printable(const char *s, size_t n, int flags);

/* Each byte's classes: a control byte (C0 with NUL, and DEL), above 0x7e,
 * the space, RFC 3986 unreserved (A-Z a-z 0-9 - _ . ~). */
#define SLS_BYTE_CTRL       1
#define SLS_BYTE_HIGH       2
#define SLS_BYTE_SPACE      4
#define SLS_BYTE_UNRESERVED 8
extern const unsigned char sls_byte_class[256];

/* Whether the n bytes at a and b are equal but for the case of ASCII
 * letters: header names and tokens, by the same rule in any locale (not
 * strncasecmp, which follows it). */
int sls_ascii_ieq(const char *a, const char *b, size_t n);

#endif
