-- spec/c/threads.c: several OS threads, each with its own lua_State and
-- client, minting at once against the emulator; under ThreadSanitizer, and
-- under valgrind's helgrind. Runs once (tag #threads), in the Lua 5.4 pass.
local H = require "spec.helpers"

local function build(out, flags)
  local cmd = ("cc -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 %s "
    .. "-I/usr/include/lua5.4 -o %s %s/spec/c/threads.c %s/src/*.c -llua5.4 "
    .. "$(pkg-config --cflags --libs libcurl openssl) -pthread -lm 2>&1")
    :format(flags, out, H.root, H.root)
  local log, rc = H.run(cmd)
  assert.equal(0, rc, log)
end

describe("threads #threads", function()
  local emu, dir
  setup(function()
    emu = H.start_emulator()
    dir = H.tmpdir()
  end)
  teardown(function()
    emu:stop()
    os.execute("rm -rf " .. dir)
  end)

  it("mints from 8 threads at once, clean under ThreadSanitizer", function()
    build(dir .. "/threads-tsan", "-fsanitize=thread")
    -- setarch -R: TSan's shadow memory needs the classic address layout.
    local out, rc = H.run(("env -u LD_PRELOAD TSAN_OPTIONS=halt_on_error=1:exitcode=66 "
      .. "setarch $(uname -m) -R %s/threads-tsan %s 8 40 2>&1"):format(dir, emu.url))
    assert.equal(0, rc, out)
    assert.matches("threads: 8 x 40 mints ok", out, 1, true)
    assert.falsy(out:find("WARNING: ThreadSanitizer", 1, true), out)
    assert.equal(8 * 40 + 4, emu:requests())
  end)

  it("mints from 4 threads at once, clean under helgrind", function()
    build(dir .. "/threads", "")
    local out, rc = H.run(("env -u LD_PRELOAD valgrind -q --tool=helgrind --error-exitcode=67 "
      .. "--suppressions=%s/tools/helgrind.supp %s/threads %s 4 10 warm 2>&1")
      :format(H.root, dir, emu.url))
    assert.equal(0, rc, out)
    assert.matches("threads: 4 x 10 mints ok", out, 1, true)
  end)
end)
