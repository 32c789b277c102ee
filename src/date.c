#include "date.h"

#include <string.h>

static const char *const wday_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* The range formatting accepts: 1970-01-01 up to the end of 9999, so the
 * year always has four digits and gmtime_r cannot fail. */
#define FIRST_TIME 0LL
#define LAST_TIME  253402300799LL

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). Written by hand because timegm is not in C99 or POSIX and
 * mktime depends on the process's time zone. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* Writes v as exactly `digits` decimal digits. Dates are formatted by hand:
 * strftime's %a and %b follow the locale, which a host program may set. */
static char *put_digits(char *p, unsigned v, int digits)
{
	int i;

	for (i = digits - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + digits;
}

static int utc(time_t t, struct tm *tm)
{
	if ((long long)t < FIRST_TIME || (long long)t > LAST_TIME)
		return 0;
	return gmtime_r(&t, tm) != NULL && tm->tm_mon >= 0 && tm->tm_mon < 12 &&
	       tm->tm_wday >= 0 && tm->tm_wday < 7;
}

int sls_date_rfc1123(time_t t, char out[30])
{
	struct tm tm;
	char *p = out;

	if (!utc(t, &tm))
		return 0;
	memcpy(p, wday_names[tm.tm_wday], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = put_digits(p, (unsigned)tm.tm_mday, 2);
	*p++ = ' ';
	memcpy(p, month_names[tm.tm_mon], 3);
	p += 3;
	*p++ = ' ';
	p = put_digits(p, (unsigned)(tm.tm_year + 1900), 4);
	*p++ = ' ';
	p = put_digits(p, (unsigned)tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_sec, 2);
	memcpy(p, " GMT", 5);
	return 1;
}

int sls_date_iso8601(time_t t, char out[17])
{
	struct tm tm;
	char *p = out;

	if (!utc(t, &tm))
		return 0;
	p = put_digits(p, (unsigned)(tm.tm_year + 1900), 4);
	p = put_digits(p, (unsigned)tm.tm_mon + 1, 2);
	p = put_digits(p, (unsigned)tm.tm_mday, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)tm.tm_hour, 2);
	p = put_digits(p, (unsigned)tm.tm_min, 2);
	p = put_digits(p, (unsigned)tm.tm_sec, 2);
	memcpy(p, "Z", 2);
	return 1;
}

static int parse_uint(const char **p, const char *end, int digits, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < digits; i++, (*p)++) {
		if (*p >= end || **p < '0' || **p > '9')
			return 0;
		v = v * 10 + (unsigned)(**p - '0');
	}
	*out = v;
	return 1;
}

static int expect(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/* A real date and time of day: no 31 April, 29 February only in a leap
 * year (a day that does not exist would roll over into the next month). */
static int valid_date(unsigned year, unsigned mon, unsigned day, unsigned hh, unsigned mm,
                      unsigned ss)
{
	static const unsigned char days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon >= 1 && mon <= 12 && day >= 1 &&
	       day <= (unsigned)(days[mon - 1] + (mon == 2 && leap)) && hh <= 23 && mm <= 59 &&
	       ss <= 60;
}

int sls_date_parse_rfc1123(const char *s, size_t n, time_t *out)
{
	const char *p = s, *end = s + n;
	unsigned day, year, hh, mm, ss, mon;

	/* "Wed, " is optional and not checked against the date. */
	if (n >= 5 && p[3] == ',' && p[4] == ' ')
		p += 5;
	if (!parse_uint(&p, end, 2, &day) || !expect(&p, end, " "))
		return 0;
	for (mon = 0; mon < 12; mon++)
		if (expect(&p, end, month_names[mon]))
			break;
	if (mon == 12 || !expect(&p, end, " ") ||
	    !parse_uint(&p, end, 4, &year) || !expect(&p, end, " ") ||
	    !parse_uint(&p, end, 2, &hh) || !expect(&p, end, ":") ||
	    !parse_uint(&p, end, 2, &mm) || !expect(&p, end, ":") ||
	    !parse_uint(&p, end, 2, &ss) || !expect(&p, end, " GMT") ||
	    !valid_date(year, mon + 1, day, hh, mm, ss))
		return 0;
	*out = (time_t)(days_from_civil(year, mon + 1, day) * 86400LL +
	                hh * 3600 + mm * 60 + ss);
	return 1;
}

int sls_date_parse_iso8601(const char *s, size_t n, long long *out)
{
	const char *p = s, *end = s + n;
	unsigned year, mon, day, hh, mm, ss, oh = 0, om = 0;
	long long offset = 0;

	if (!parse_uint(&p, end, 4, &year) || !expect(&p, end, "-") ||
	    !parse_uint(&p, end, 2, &mon) || !expect(&p, end, "-") ||
	    !parse_uint(&p, end, 2, &day) || !expect(&p, end, "T") ||
	    !parse_uint(&p, end, 2, &hh) || !expect(&p, end, ":") ||
	    !parse_uint(&p, end, 2, &mm) || !expect(&p, end, ":") ||
	    !parse_uint(&p, end, 2, &ss) || !valid_date(year, mon, day, hh, mm, ss))
		return 0;
	if (p < end && *p == '.') {                 /* fractional seconds: dropped */
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && *p == 'Z') {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p++ == '-' ? -1 : 1;
		if (!parse_uint(&p, end, 2, &oh))
			return 0;
		expect(&p, end, ":");
		if (!parse_uint(&p, end, 2, &om) || oh > 23 || om > 59)
			return 0;
		offset = sign * (long long)(oh * 3600 + om * 60);
	} else {
		return 0;
	}
	if (p != end)
		return 0;
	*out = days_from_civil(year, mon, day) * 86400LL + hh * 3600 + mm * 60 + ss - offset;
	return 1;
}
