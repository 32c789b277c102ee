# lua-sls. Variables mirror LuaRocks' so `luarocks make` and this file agree.
LUA_VERSION ?= 5.4
ifeq ($(LUA_VERSION),5.1)
LUA_INCDIR  ?= /usr/include/luajit-2.1
LUA         ?= luajit
else
LUA_INCDIR  ?= /usr/include/lua$(LUA_VERSION)
LUA         ?= lua$(LUA_VERSION)
endif
PREFIX      ?= /usr/local
LIBDIR      ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
LUADIR      ?= $(PREFIX)/share/lua/$(LUA_VERSION)
BINDIR      ?= $(PREFIX)/bin
DESTDIR     ?=
PKG_CONFIG  ?= pkg-config
CC          ?= cc
CFLAGS      ?= -O2 -g
LIBFLAG     ?= -shared
DEV_CFLAGS   = -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -fPIC \
               -fvisibility=hidden -Wall -Wextra -Wshadow -Wmissing-prototypes \
               -Wwrite-strings -pedantic
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl openssl 2>/dev/null)
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs libcurl openssl 2>/dev/null || echo -lcurl -lssl -lcrypto)
BUILD       ?= build/$(LUA_VERSION)

SRC = src/sls.c src/client.c src/args.c src/embed.c src/sign.c src/request.c \
      src/endpoint.c src/http.c src/response.c src/buf.c \
      src/date.c src/natives.c src/text.c src/call.c src/creds.c src/result.c \
      src/policy.c src/httpparse.c src/exchange.c
HDR = $(wildcard src/*.h)

.PHONY: all install test test-quick demo bench clean sanitize valgrind

all: $(BUILD)/sls.so

$(BUILD)/sls.so: $(SRC) $(HDR)
	@mkdir -p $(BUILD)
	$(CC) $(DEV_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -I$(LUA_INCDIR) $(DEPS_CFLAGS) \
	  $(LIBFLAG) -o $@ $(SRC) $(DEPS_LIBS) -pthread

install: $(BUILD)/sls.so
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LUADIR)/sls $(DESTDIR)$(BINDIR)
	install -m 0755 $(BUILD)/sls.so $(DESTDIR)$(LIBDIR)/sls.so
	install -m 0644 lua/sls/ngx.lua lua/sls/credentials.lua $(DESTDIR)$(LUADIR)/sls/
	# Debian has no plain `lua` on PATH: name the interpreter built for.
	sed '1s|.*|#!/usr/bin/env $(LUA)|' bin/sls-ticket > $(DESTDIR)$(BINDIR)/sls-ticket
	chmod 0755 $(DESTDIR)$(BINDIR)/sls-ticket

# Everything: packages, both Lua versions, sanitizers, valgrind.
test:
	tools/test.sh

demo:
	tools/demo.sh

# Benchmarks side by side with the official SDK; prints the tables.
bench:
	bench/run.sh

clean:
	rm -rf build
