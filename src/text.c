#include "text.h"

#include <string.h>

/* The secret, if any, that starts at p (at most left bytes), or NULL. */
static const sls_secret *secret_at(const char *p, size_t left,
                                   const sls_secret *secrets, size_t nsecrets)
{
	size_t i;

	for (i = 0; i < nsecrets; i++) {
		const sls_secret *k = &secrets[i];
		/* Short "secrets" would redact ordinary words: a key is never
		 * under 4 bytes, and one that short is not worth hiding anyway. */
		if (k->p != NULL && k->n >= 4 && k->n <= left && p[0] == k->p[0] &&
		    memcmp(p, k->p, k->n) == 0)
			return k;
	}
	return NULL;
}

size_t sls_text_clean(char *out, size_t size, const char *s, size_t n,
                      const sls_secret *secrets, size_t nsecrets)
{
	size_t i = 0, len = 0, room = size - 1;
	int cut = 0;

	while (i < n) {
		const sls_secret *k = secret_at(s + i, n - i, secrets, nsecrets);
		unsigned char c = (unsigned char)s[i];
		const char *piece;
		size_t plen;
		char one;

		if (k != NULL) {
			piece = "***";
			plen = 3;
			i += k->n;
		} else {
			one = c < 0x20 || c == 0x7f ? ' ' : (char)c;
			if (one == ' ' && len > 0 && out[len - 1] == ' ') {
				i++;
				continue;
			}
			piece = &one;
			plen = 1;
			i++;
		}
		if (len + plen > room) {
			cut = 1;
			break;
		}
		memcpy(out + len, piece, plen);
		len += plen;
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
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || ((flags & SLS_PRINT_ASCII) && c > 0x7e) ||
		    ((flags & SLS_PRINT_NOSPACE) && c == ' '))
			return 0;
	}
	return 1;
}
