# lua-sls. Variables mirror LuaRocks' so `luarocks make` and this file agree.
#   make                                  Lua 5.4, build/5.4/sls.so
#   make LUA_VERSION=5.3                  PUC Lua 5.2 or 5.3 likewise
#   make LUA_VERSION=5.1                  LuaJIT 2.1 (OpenResty), build/5.1/sls.so
#   make LUA_VERSION=5.1 LUA=lua5.1       PUC Lua 5.1, build/puc5.1/sls.so
LUA_VERSION ?= 5.4
ifeq ($(LUA_VERSION),5.1)
LUA         ?= luajit
ifeq ($(LUA),luajit)
LUA_INCDIR  ?= /usr/include/luajit-2.1
BUILD       ?= build/5.1
else
LUA_INCDIR  ?= /usr/include/lua5.1
BUILD       ?= build/puc5.1
endif
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
# Only libcrypto is used (EVP_MAC, digests): no -lssl. OpenSSL >= 3 (EVP_MAC).
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl libcrypto 2>/dev/null)
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs libcurl libcrypto 2>/dev/null || echo -lcurl -lcrypto)
BUILD       ?= build/$(LUA_VERSION)

# The sources are the rockspec's list (tools/sources.sh), the only one.
SRC := $(shell tools/sources.sh)
ifeq ($(SRC),)
$(error no C sources found in the rockspec (tools/sources.sh))
endif
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
	install -d $(DESTDIR)$(LUADIR)/sls/credentials
	install -m 0644 lua/sls/credentials/files.lua $(DESTDIR)$(LUADIR)/sls/credentials/
	# Debian has no plain `lua` on PATH: name the interpreter built for.
	sed '1s|.*|#!/usr/bin/env $(LUA)|' bin/sls-ticket > $(DESTDIR)$(BINDIR)/sls-ticket
	chmod 0755 $(DESTDIR)$(BINDIR)/sls-ticket

# Everything: packages, Lua 5.1-5.4 and LuaJIT, sanitizers, valgrind, fuzzing.
test:
	tools/test.sh

demo:
	tools/demo.sh

# Benchmarks side by side with the official SDK; prints the tables.
bench:
	bench/run.sh

# Also what `luarocks make` leaves in the checkout: a stale ./sls.so would
# shadow the installed module (LuaJIT searches ./?.so first).
clean:
	rm -rf build sls.so src/*.o
