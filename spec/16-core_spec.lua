-- spec/c/core.c: the pure core both transports share, tested alone in C:
-- the retry policy, table-driven, and the HTTP/1.1 reader fed each answer
-- split at every offset and byte by byte, the percent-encoder and the
-- byte classes of text.c against their rules on all 256 bytes. Built with AddressSanitizer and
-- UBSan, independently of the build under test.
local H = require "spec.helpers"

describe("the shared core, in C", function()
  it("passes spec/c/core.c under AddressSanitizer and UBSan", function()
    local dir = H.tmpdir()
    -- The compiler runs without the sanitizer preload of the ASan pass.
    local cmd = ("env -u LD_PRELOAD cc -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra "
      .. "-fsanitize=address,undefined -fno-sanitize-recover=undefined -o %s/core "
      .. "%s/spec/c/core.c %s/src/httpparse.c %s/src/policy.c %s/src/buf.c "
      .. "%s/src/text.c $(pkg-config --cflags --libs openssl) 2>&1")
      :format(dir, H.root, H.root, H.root, H.root, H.root)
    local log, rc = H.run(cmd)
    assert.equal(0, rc, log)
    local out
    out, rc = H.run(("env -u LD_PRELOAD ASAN_OPTIONS=detect_leaks=1 %s/core 2>&1"):format(dir))
    os.execute("rm -rf " .. dir)
    assert.equal(0, rc, out)
    assert.matches("core: %d+ passed, 0 failed", out)
  end)
end)
