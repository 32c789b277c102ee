#include "text.h"

#include <string.h>

/* Each byte's classes (SLS_BYTE_*), the one table behind the printable
 * checks, the cleaning of server text and the percent-encoder (buf.c).
 * spec/c/core.c checks it against the rules spelt out, on all 256 bytes. */
const unsigned char sls_byte_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x00 */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x10 */
	4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 0,   /* 0x20 */
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0,   /* 0x30 */
	0, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,   /* 0x40 */
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 0, 8,   /* 0x50 */
	0, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,   /* 0x60 */
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 0, 0, 0, 8, 3,   /* 0x70 */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* Short "secrets" would redact ordinary words: a key is never under 4
 * bytes, and one that short is not worth hiding anyway. */
static int worth_hiding(const sls_secret *k)
{
	return k->p != NULL && k->n >= 4;
}

/* The secret, if any, that starts at p (at most left bytes), or NULL. */
static const sls_secret *secret_at(const char *p, size_t left,
                                   const sls_secret *secrets, size_t nsecrets)
{
	size_t i;

	for (i = 0; i < nsecrets; i++) {
		const sls_secret *k = &secrets[i];
		if (worth_hiding(k) && k->n <= left && memcmp(p, k->p, k->n) == 0)
			return k;
	}
	return NULL;
}

size_t sls_text_clean(char *out, size_t size, const char *s, size_t n,
                      const sls_secret *secrets, size_t nsecrets)
{
	size_t i, len = 0, room = size - 1;
	unsigned char work[256];       /* bytes that need more than a copy */
	int cut = 0;

	for (i = 0; i < 256; i++)
		work[i] = sls_byte_class[i] & (SLS_BYTE_CTRL | SLS_BYTE_SPACE);
	for (i = 0; i < nsecrets; i++)
		if (worth_hiding(&secrets[i]))
			work[(unsigned char)secrets[i].p[0]] = 1;
	i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		const sls_secret *k;
		size_t run;
		char one;

		/* A run of bytes that need nothing (all of a request id, most
		 * often), copied at once. */
		for (run = i; run < n && !work[(unsigned char)s[run]]; run++)
			;
		if (run > i) {
			if (run - i > room - len) {
				run = i + (room - len);
				cut = 1;
			}
			memcpy(out + len, s + i, run - i);
			len += run - i;
			i = run;
			if (cut)
				break;
			continue;
		}
		k = secret_at(s + i, n - i, secrets, nsecrets);
		if (k != NULL) {
			if (len + 3 > room) {
				cut = 1;
				break;
			}
			memcpy(out + len, "***", 3);
			len += 3;
			i += k->n;
			continue;
		}
		one = sls_byte_class[c] & SLS_BYTE_CTRL ? ' ' : (char)c;
		i++;
		if (one == ' ' && len > 0 && out[len - 1] == ' ')
			continue;
		if (len + 1 > room) {
			cut = 1;
			break;
		}
		out[len++] = one;
	}
	if (cut) {
		/* Room for "...", then back to the start of a UTF-8 sequence. */
		len = room >= 3 ? (len < room - 3 ? len : room - 3) : 0;
		while (len > 0 && ((unsigned char)out[len] & 0xC0) == 0x80)
			len--;
		if (room >= 3) {
			memcpy(out + len, "...", 3);
			len += 3;
		}
	}
	out[len] = '\0';
	return len;
}

int sls_text_printable(const char *s, size_t n, int flags)
{
	/* The flags line up with the classes: SLS_PRINT_ASCII << 1 is
	 * SLS_BYTE_HIGH, SLS_PRINT_NOSPACE << 1 SLS_BYTE_SPACE. */
	unsigned char mask = (unsigned char)(SLS_BYTE_CTRL | (flags << 1));
	size_t i;

	for (i = 0; i < n; i++)
		if (sls_byte_class[(unsigned char)s[i]] & mask)
			return 0;
	return 1;
}

int sls_ascii_ieq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z'))
			return 0;
	}
	return 1;
}
