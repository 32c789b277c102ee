/* libFuzzer target: embed URL building and encoding. Fields from the input
 * go into sls.embed_url; a misuse must be a one-line error naming the
 * function, and a link must contain only URL-safe bytes, start with the
 * console and the project path, and carry every path segment encoded. */
#include "lua_harness.h"

static const char script[] =
	"local sls = require 'sls'\n"
	"local kinds = { 'dashboard', 'logstore', 'savedsearch' }\n"
	"local flags = { 'share', 'hide_topbar', 'read_only', 'hidden_reset', 'query_base64',\n"
	"  'support_refresh_token', 'hidden_filter' }\n"
	"function check(input)\n"
	"  local f = {}\n"
	"  for field in (input .. '\\n'):gmatch('(.-)\\n') do f[#f + 1] = field end\n"
	"  local b = (f[1] or ''):byte(1) or 0\n"
	"  local opts = { ticket = f[2], project = f[3], [kinds[1 + b % 3]] = f[4],\n"
	"    region = f[5], query = f[6], params = {} }\n"
	"  if b % 8 >= 4 then opts.console = f[7] end\n"
	"  if f[8] and #f[8] > 0 then opts.time_type = #f[8] % 30 - 3 end\n"
	"  for i, name in ipairs(flags) do\n"
	"    if (f[1] or ''):byte(2 + i) then opts[name] = (f[1]:byte(2 + i) % 2 == 1) end\n"
	"  end\n"
	"  for i = 9, #f do\n"
	"    local k, v = f[i]:match('^([^=]*)=(.*)$')\n"
	"    if k then opts.params[k] = v end\n"
	"  end\n"
	"  local ok, url = pcall(sls.embed_url, opts)\n"
	"  if not ok then\n"
	"    assert(type(url) == 'string' and url:find('sls.embed_url: ', 1, true) == 1, url)\n"
	"    assert(not url:find('\\n', 1, true), 'a multi-line message')\n"
	"    return\n"
	"  end\n"
	"  local base = opts.console and opts.console:match('^https?://') and opts.console\n"
	"    or (opts.console == 'intl' and 'https://sls.console.alibabacloud.com'\n"
	"        or 'https://sls.console.aliyun.com')\n"
	"  local prefix = base:gsub('/+$', '') .. '/lognext/project/'\n"
	"  assert(url:sub(1, #prefix) == prefix, 'wrong start: ' .. url)\n"
	"  assert(not url:find('[^%w%-%._~%%&=?/]', #prefix + 1), 'an unsafe byte in ' .. url)\n"
	"  local project = url:sub(#prefix + 1):match('^([^/]*)/')\n"
	"  assert(project, 'no project segment')\n"
	"  local decoded = project:gsub('%%(%x%x)', function(h) return string.char(tonumber(h, 16)) end)\n"
	"  assert(decoded == opts.project, 'project does not round-trip')\n"
	"end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return harness_run(script, data, size);
}
