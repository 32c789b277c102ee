/* Dates on the wire: formatting for signatures, parsing the server's Date
 * header and credential expirations. Pure and locale-independent. */
#ifndef SLS_DATE_H
#define SLS_DATE_H

#include <stddef.h>
#include <time.h>

/* "Wed, 30 Oct 2024 03:02:45 GMT" into out (30 bytes). 0 when t is not a
 * time of the years 1970 to 9999. */
int sls_date_rfc1123(time_t t, char out[30]);
/* "20241030T030245Z" into out (17 bytes). 0 as above. */
int sls_date_iso8601(time_t t, char out[17]);
/* Parses an RFC 1123 date ("Wed, 30 Oct 2024 03:02:45 GMT"). 0 if malformed. */
int sls_date_parse_rfc1123(const char *s, size_t n, time_t *out);
/* Parses an ISO 8601 / RFC 3339 time as the official credential libraries
 * write Expiration: "2024-10-30T03:02:45Z", with optional fractional
 * seconds, and "Z" or an offset ("+08:00", "-0130"). A time without zone
 * designator is refused: it names no instant. 0 if malformed. */
int sls_date_parse_iso8601(const char *s, size_t n, long long *out);

#endif
