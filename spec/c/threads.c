/* Several OS threads, each with its own lua_State and client, minting at
 * the same time against the emulator: how ngx.run_worker_thread and other
 * multi-threaded hosts load lua-sls. Run by spec/12-threads_spec.lua under
 * ThreadSanitizer and under valgrind's helgrind.
 *   threads ENDPOINT THREADS MINTS [warm]  ->  "threads: T x M mints ok", exit 0
 * With "warm", main loads the module once before the threads start, as a
 * host does in its init phase: the one-time globals (curl_global_init,
 * OpenSSL's algorithm fetch) are then published by pthread_create, which
 * helgrind understands; it cannot see the ordering pthread_once gives. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

int luaopen_sls(lua_State *L);

static const char script[] =
	"local sls = require 'sls'\n"
	"local endpoint, mints = ...\n"
	"local client = sls.new { endpoint = endpoint, max_attempts = 1, timeout = 5000,\n"
	"  access_key_id = 'LTAI5tEmulatorKeyId', access_key_secret = 'EmulatorSecret0123456789abcdef',\n"
	"  signature_version = (mints % 2 == 0) and 'v4' or 'v1', region = 'cn-shanghai' }\n"
	"for i = 1, mints do\n"
	"  local res, err = client:create_ticket { expiration_time = 60 + i }\n"
	"  if not res then error(err) end\n"
	"  local url = sls.embed_url { ticket = res.ticket, project = 'p', dashboard = 'd' }\n"
	"  assert(url:find(res.ticket, 1, true))\n"
	"end\n"
	"client:close()\n"
	"return mints\n";

struct job {
	pthread_t   tid;
	const char *endpoint;
	int         mints;
	int         done;
	char        error[256];
};

static void *worker(void *arg)
{
	struct job *j = arg;
	lua_State *L = luaL_newstate();

	luaL_openlibs(L);
	luaL_requiref(L, "sls", luaopen_sls, 1);
	lua_pop(L, 1);
	if (luaL_loadstring(L, script) != 0) {
		snprintf(j->error, sizeof j->error, "%s", lua_tostring(L, -1));
	} else {
		lua_pushstring(L, j->endpoint);
		lua_pushinteger(L, j->mints);
		if (lua_pcall(L, 2, 1, 0) != 0)
			snprintf(j->error, sizeof j->error, "%s", lua_tostring(L, -1));
		else
			j->done = (int)lua_tointeger(L, -1);
	}
	lua_close(L);
	return NULL;
}

int main(int argc, char **argv)
{
	struct job jobs[32];
	int n, mints, i, ok = 1;

	if (argc < 4 || (n = atoi(argv[2])) < 1 || n > 32 || (mints = atoi(argv[3])) < 1)
		return fprintf(stderr, "usage: threads ENDPOINT THREADS(1..32) MINTS [warm]\n"), 2;
	if (argc > 4) {
		lua_State *L = luaL_newstate();
		luaL_openlibs(L);
		luaL_requiref(L, "sls", luaopen_sls, 1);
		if (luaL_dostring(L, "require('sls').new{ access_key_id = 'k', "
		                     "access_key_secret = 's' }:close()") != 0)
			return fprintf(stderr, "%s\n", lua_tostring(L, -1)), 1;
		lua_close(L);
	}
	for (i = 0; i < n; i++) {
		jobs[i].endpoint = argv[1];
		jobs[i].mints = mints + (i % 2);        /* odd and even: v1 and v4 */
		jobs[i].done = 0;
		jobs[i].error[0] = '\0';
		if (pthread_create(&jobs[i].tid, NULL, worker, &jobs[i]) != 0)
			return fprintf(stderr, "pthread_create failed\n"), 1;
	}
	for (i = 0; i < n; i++) {
		pthread_join(jobs[i].tid, NULL);
		if (jobs[i].done != jobs[i].mints) {
			fprintf(stderr, "thread %d: %d of %d mints: %s\n", i, jobs[i].done,
			        jobs[i].mints, jobs[i].error);
			ok = 0;
		}
	}
	if (ok)
		printf("threads: %d x %d mints ok\n", n, mints);
	return ok ? 0 : 1;
}
