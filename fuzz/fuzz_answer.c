/* libFuzzer target: an answer's bytes through the whole answer path the
 * cosocket transport takes (sls._call: the exchange, the shared HTTP reader,
 * interpretation, redaction, the retry decision), read in pieces of a size
 * the input picks. Any answer must give a well-formed result or a
 * well-formed failure: a ticket or token that is a non-empty string, or
 * `nil, err, detail` with err one printable line starting with detail.code,
 * and never a secret. */
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
	"  local b1, b2 = input:byte(1, 2)\n"
	"  b1, b2 = b1 or 0, b2 or 0\n"
	"  local refresh = b1 % 2 == 1\n"
	"  local call = sls._call(client, refresh and 'refresh_token' or 'create_ticket',\n"
	"    refresh and { ticket = 't' } or {})\n"
	"  assert(call:next() == 'exchange')\n"
	"  local what = call:io('connect', true, nil, b1 % 4 >= 2 and 1 or 0)\n"
	"  if what == 'send' then what = call:io('send', true) end\n"
	"  local rest, step, pos = input:sub(3), 1 + b2 % 64, 1\n"
	"  while what == 'read' do\n"
	"    if pos > #rest then what = call:io('read', nil, 'closed'); break end\n"
	"    what = call:io('read', rest:sub(pos, pos + step - 1))\n"
	"    pos = pos + step\n"
	"  end\n"
	"  if what == 'resend' then return end\n"
	"  local op, res, err, detail = call:next()\n"
	"  if op == 'wait' then\n"
	"    assert(res >= 0 and res <= 5000, 'wait out of range')\n"
	"    return\n"
	"  end\n"
	"  assert(op == 'done', 'unexpected step ' .. tostring(op))\n"
	"  if res then\n"
	"    local v = refresh and res.access_token or res.ticket\n"
	"    assert(type(v) == 'string' and #v > 0 and not v:find('\\0', 1, true), 'bad result')\n"
	"    assert(type(res.headers) == 'table' and res.status >= 200 and res.status < 300)\n"
	"    return\n"
	"  end\n"
	"  assert(type(err) == 'string' and type(detail) == 'table', 'not a failure triple')\n"
	"  assert(err:sub(1, #detail.code + 2) == detail.code .. ': ', 'err does not start with the code')\n"
	"  assert(not err:find('[%c\\127]'), 'err is not one printable line')\n"
	"  if not input:find('never-shown', 1, true) then  -- else the input put it there\n"
	"    no_secret(err)\n"
	"    no_secret(detail.message)\n"
	"  end\n"
	"end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return harness_run(script, data, size);
}
