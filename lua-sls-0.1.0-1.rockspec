package = "lua-sls"
version = "0.1.0-1"
source = {
   url = "git+https://github.com/lua-sls/lua-sls.git",
   tag = "v0.1.0",
}
description = {
   summary = "Alibaba Cloud SLS password-free embed links (CreateTicket) from Lua and OpenResty",
   detailed = [[
      A C module that mints Simple Log Service tickets with signatures that
      match the official SDKs (v1 and v4), builds console embed links, and
      refreshes access tokens. Signing with OpenSSL, HTTP with libcurl.
   ]],
   license = "MIT",
   homepage = "https://github.com/lua-sls/lua-sls",
}
dependencies = {
   "lua >= 5.1, < 5.5",
   "lua-cjson >= 2.1.0",
}
-- Only the libraries are looked up: Debian keeps curl's headers under the
-- multiarch include directory, which the compiler searches by itself but
-- LuaRocks' header check does not.
external_dependencies = {
   LIBCURL = { library = "curl" },
   OPENSSL = { header = "openssl/hmac.h", library = "crypto" },
}
build = {
   type = "builtin",
   modules = {
      sls = {
         sources = {
            "src/sls.c", "src/client.c", "src/args.c", "src/embed.c", "src/sign.c",
            "src/request.c", "src/endpoint.c", "src/http.c", "src/response.c", "src/buf.c",
            "src/date.c", "src/natives.c", "src/text.c", "src/call.c", "src/steps.c",
            "src/prepare.c", "src/creds.c", "src/result.c", "src/policy.c",
            "src/httpparse.c", "src/exchange.c", "src/exio.c", "src/fetch.c",
            "src/embed_time.c", "src/embed_query.c", "src/attempt.c",
         },
         defines = { "_POSIX_C_SOURCE=200809L", "_DEFAULT_SOURCE" },
         incdirs = { "$(OPENSSL_INCDIR)" },
         libdirs = { "$(LIBCURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
         libraries = { "curl", "crypto", "pthread" },
      },
      -- Loaded by sls.so inside nginx: the cosocket transport.
      ["sls.ngx"] = "lua/sls/ngx.lua",
      -- The credential providers (environment, OIDC, profile, ECS, URI, STS).
      ["sls.credentials"] = "lua/sls/credentials.lua",
      -- Its file-based providers (the INI file, the aliyun CLI profile).
      ["sls.credentials.files"] = "lua/sls/credentials/files.lua",
   },
   install = {
      bin = { ["sls-ticket"] = "bin/sls-ticket" },
   },
}
