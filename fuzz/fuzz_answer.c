/* libFuzzer target: response interpretation (status, headers, body) through
 * client:_answer, the same C path as the libcurl transport's answers, with
 * every field of its state (action, opts with both expiration options,
 * attempt, skew_fixed) set from the input. Any answer must give a
 * well-formed result or a well-formed failure: a ticket or token that is a
 * non-empty string with the expiry times its options give, or
 * `nil, err, detail` with err starting with detail.code, and never a secret. */
#include "lua_harness.h"

static const char script[] =
	"local sls = require 'sls'\n"
	"local client = sls.new { endpoint = 'http://127.0.0.1:9', access_key_id = 'id',\n"
	"  access_key_secret = 'SECRET-never-shown', security_token = 'TOKEN-never-shown',\n"
	"  max_attempts = 3 }\n"
	"local function no_secret(s)\n"
	"  assert(not s:find('never-shown', 1, true), 'a secret leaked: ' .. s)\n"
	"end\n"
	"function check(input)\n"
	"  local b1, b2, b3 = input:byte(1, 3)\n"
	"  b1, b2, b3 = b1 or 0, b2 or 0, b3 or 0\n"
	"  local refresh = b3 % 2 == 1\n"
	"  local opts = refresh and { ticket = 't' } or {}\n"
	"  if not refresh and b3 & 32 ~= 0 then opts.expiration_time = 1 + (b1 * 256 + b2) % 2592000 end\n"
	"  if b3 & 64 ~= 0 then\n"
	"    opts.access_token_expiration_time = 1 + (b2 * 256 + b1) % math.min(86400, opts.expiration_time or 86400)\n"
	"  end\n"
	"  local state = { action = refresh and 'refresh_token' or 'create_ticket',\n"
	"    opts = opts, attempt = 1 + b3 % 4, sent_at = 1795555230, skew_fixed = b3 % 8 >= 4 }\n"
	"  local rest = input:sub(4)\n"
	"  local res, err, detail, wait\n"
	"  if b3 % 16 >= 8 then                 -- a transport failure instead\n"
	"    local code, msg = rest:match('^(%w*)\\n(.*)$')\n"
	"    if not code or code == '' then return end\n"
	"    res, err, detail, wait = client:_answer(state, false, code, msg)\n"
	"  else\n"
	"    local status = 100 + (b1 * 256 + b2) % 500\n"
	"    local head, body = rest:match('^(.-)\\r\\n\\r\\n(.*)$')\n"
	"    res, err, detail, wait = client:_answer(state, status, head or rest, body or '')\n"
	"  end\n"
	"  if res then\n"
	"    local v = refresh and res.access_token or res.ticket\n"
	"    assert(type(v) == 'string' and #v > 0, 'empty result')\n"
	"    assert(type(res.headers) == 'table' and res.status >= 200 and res.status < 300)\n"
	"    local exp = opts.expiration_time or 86400\n"
	"    local at = opts.access_token_expiration_time or 86400\n"
	"    if not refresh then\n"
	"      assert(res.expires_at == state.sent_at + exp, 'expires_at')\n"
	"      at = math.min(at, exp)\n"
	"    end\n"
	"    assert(res.access_token_expires_at == state.sent_at + at, 'access_token_expires_at')\n"
	"    return\n"
	"  end\n"
	"  assert(type(err) == 'string' and type(detail) == 'table', 'not a failure triple')\n"
	"  assert(err:sub(1, #detail.code + 2) == detail.code .. ': ', 'err does not start with the code')\n"
	"  assert(detail.attempts == state.attempt, 'wrong attempts')\n"
	"  assert(wait == nil or (wait >= 0 and wait <= 5000), 'wait out of range')\n"
	"  if not input:find('never-shown', 1, true) then  -- else the input put it there\n"
	"    no_secret(err)\n"
	"    no_secret(detail.message)\n"
	"  end\n"
	"end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return harness_run(script, data, size);
}
