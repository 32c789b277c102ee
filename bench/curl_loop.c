/* The floor of the transport: a bare libcurl loop sending one fixed,
 * already signed CreateTicket request over one kept-alive connection, with
 * the options src/http.c sets, reading the body into a buffer. No signing,
 * no Lua, no JSON. The best of 3 runs of COUNT, as bench/seq.lua reports.
 *   curl_loop URL COUNT "name: value"...   ->   "curl_loop <requests per second>" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
	static char body[65536];
	size_t *len = ud, m = size * n;

	if (*len + m <= sizeof body)
		memcpy(body + *len, p, m);
	*len += m;
	return m;
}

int main(int argc, char **argv)
{
	struct curl_slist *list = NULL;
	struct timespec t0, t1;
	size_t len = 0;
	long i, n, status = 0;
	double rate, best = 0;
	CURL *curl;
	int a, run;

	if (argc < 3)
		return fprintf(stderr, "usage: curl_loop URL COUNT [header...]\n"), 2;
	n = atol(argv[2]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	for (a = 3; a < argc; a++)
		list = curl_slist_append(list, argv[a]);
	list = curl_slist_append(list, "Content-Type:");
	list = curl_slist_append(list, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &len);
	curl_easy_perform(curl);                          /* connect, warm up */
	for (run = 0; run < 3; run++) {                   /* the best of 3 */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < n; i++) {
			len = 0;
			if (curl_easy_perform(curl) != CURLE_OK)
				return fprintf(stderr, "curl_loop: request %ld failed\n", i), 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		rate = n / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (rate > best)
			best = rate;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return fprintf(stderr, "curl_loop: HTTP %ld\n", status), 1;
	printf("curl_loop %.0f\n", best);
	curl_slist_free_all(list);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return 0;
}
