#include "text.h"

#include <string.h>

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
	size_t i = 0, len = 0, room = size - 1;
	unsigned char starts[256 / 8] = { 0 };   /* first bytes of the secrets */
	int cut = 0;

	for (i = 0; i < nsecrets; i++)
		if (worth_hiding(&secrets[i])) {
			unsigned char c = (unsigned char)secrets[i].p[0];
			starts[c >> 3] |= (unsigned char)(1u << (c & 7));
		}
	i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		const sls_secret *k = (starts[c >> 3] >> (c & 7)) & 1
		                      ? secret_at(s + i, n - i, secrets, nsecrets) : NULL;
		char one;

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
		one = c < 0x20 || c == 0x7f ? ' ' : (char)c;
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
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || ((flags & SLS_PRINT_ASCII) && c > 0x7e) ||
		    ((flags & SLS_PRINT_NOSPACE) && c == ' '))
			return 0;
	}
	return 1;
}
