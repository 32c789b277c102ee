-- The release files agree with each other: the scm rockspec builds what the
-- release rockspec builds, the rockspec's sources are the only list (the
-- Makefile and tools/fuzz.sh read it), the version is one, and the licence
-- and changelog are there.
local H = require "spec.helpers"

-- A rockspec's globals, read in a sandbox (Lua 5.1 and 5.2+ alike).
local function rockspec(path)
  local env = {}
  local chunk
  if setfenv then
    chunk = assert(loadfile(path))
    setfenv(chunk, env)
  else
    chunk = assert(loadfile(path, "t", env))
  end
  chunk()
  return env
end

local function lines(cmd)
  -- Not under the sanitizer run's preload: ls, sort and make would report their own leaks.
  local out, rc = H.run("env -u LD_PRELOAD sh -c '" .. cmd:gsub("'", "'\\''") .. "'")
  assert.equal(0, rc, cmd .. ": " .. out)
  local t = {}
  for l in out:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

describe("the release files", function()
  local release_path = lines("cd " .. H.root .. " && ls lua-sls-[0-9]*.rockspec | sort -V | tail -n 1")[1]
  local release = rockspec(H.root .. "/" .. release_path)
  local scm = rockspec(H.root .. "/lua-sls-scm-1.rockspec")
  local version = release.version:match("^(.-)%-%d+$")

  it("name the release rockspec after its version", function()
    assert.equal("lua-sls-" .. release.version .. ".rockspec", release_path)
    assert.equal("v" .. version, release.source.tag)
  end)

  it("give the scm rockspec the release's build, dependencies and description", function()
    assert.equal("lua-sls", scm.package)
    assert.equal("scm-1", scm.version)
    assert.same({ url = release.source.url }, scm.source)        -- the head: no tag
    assert.same(release.build, scm.build)
    assert.same(release.dependencies, scm.dependencies)
    assert.same(release.external_dependencies, scm.external_dependencies)
    assert.same(release.description, scm.description)
  end)

  it("list every src/*.c once, and tools/sources.sh reads that list", function()
    local listed = release.build.modules.sls.sources
    assert.same(listed, lines(H.root .. "/tools/sources.sh"))
    assert.same(listed, lines(H.root .. "/tools/sources.sh " .. H.root .. "/lua-sls-scm-1.rockspec"))
    local on_disk = lines("cd " .. H.root .. " && ls src/*.c")
    local sorted = { (unpack or table.unpack)(listed) }
    table.sort(sorted)
    assert.same(on_disk, sorted)
  end)

  it("build with the Makefile from the same list, linking libcrypto and not libssl", function()
    local cmd = table.concat(lines("make -s -n -C " .. H.root .. " BUILD=build/release-spec-dry-run"), " ")
    for _, src in ipairs(release.build.modules.sls.sources) do
      assert.truthy(cmd:find(" " .. src .. " ", 1, true), src .. " not compiled: " .. cmd)
    end
    assert.truthy(cmd:find("-lcrypto", 1, true))
    assert.falsy(cmd:find("-lssl", 1, true))
    assert.same({ "curl", "crypto", "pthread" }, release.build.modules.sls.libraries)
  end)

  it("carry one version: sls._VERSION is the rockspec's", function()
    assert.equal("lua-sls " .. version, require("sls")._VERSION)
  end)

  it("keep README.zh-CN.md in step with README.md: sections, install lines, links", function()
    local en = H.read_file(H.root .. "/README.md")
    local zh = H.read_file(H.root .. "/README.zh-CN.md")
    local function count(text, pat)
      local n = 0
      for _ in text:gmatch(pat) do n = n + 1 end
      return n
    end
    assert.equal(count(en, "\n##+ "), count(zh, "\n##+ "))
    assert.equal(count(en, "\n```"), count(zh, "\n```"))
    -- The commands users paste are the same, word for word.
    for line in en:gmatch("[^\n]+") do
      if line:find("^luarocks make") or line:find("^apt%-get") or line:find("^  lua%-sls%-")
         or line:find("^  ca%-certificates") then
        assert.truthy(zh:find(line, 1, true), "missing in README.zh-CN.md: " .. line)
      end
    end
    assert.truthy(en:find("(README.zh-CN.md)", 1, true))
    assert.truthy(zh:find("(README.md)", 1, true))
  end)

  it("include the MIT licence and a changelog for this version", function()
    local license = H.read_file(H.root .. "/LICENSE")
    assert.truthy(license:find("^MIT License\n"))
    assert.truthy(license:find("Copyright (c) 2026 The lua-sls authors", 1, true))
    assert.equal("MIT", release.description.license)
    local changelog = H.read_file(H.root .. "/CHANGELOG.md")
    assert.truthy(changelog:find("\n## Unreleased\n", 1, true))
    assert.truthy(changelog:find("\n## " .. version .. " ", 1, true))
  end)
end)
