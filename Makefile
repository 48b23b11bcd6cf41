# Builds the web app (crm.fcgi), the sync daemon (crm-sync) and the admin CLI (crmctl); runs,
# tests and benchmarks them. BUILD selects the output folder, SAN=1 adds ASan + UBSan.
CC      ?= gcc
BUILD   ?= build
SAN     ?= 0
PORT    ?= 8080
# The database of make run and make test: sqlite (a file under run/, or per test) or postgres.
DB      ?= sqlite
PKGS    := fcgi ctpl libical gmime-3.0 libxml-2.0 jansson sqlite3 libcurl libsodium inih libetpan gnutls libpq

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS) 2>/dev/null))

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Isrc -I$(BUILD)/gen $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lcsv -lpthread -lm
ifeq ($(SAN),1)
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else ifeq ($(FUZZ),1)
# make fuzz: clang with libFuzzer's hooks in every object; only the harnesses link its main.
CFLAGS  += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
# The release build is hardened: checked buffers, stack canaries, position-independent, a
# read-only GOT bound at start.
CFLAGS  += -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDFLAGS += -pie -Wl,-z,relro,-z,now
endif

# Files named main_*.c hold a program's main() and stay out of the libraries.
lib_srcs = $(filter-out %/main_%.c,$(wildcard $(1)/*.c))
CORE_SRC := $(call lib_srcs,src/core)
WEB_SRC  := $(call lib_srcs,src/web)
SYNC_SRC := $(call lib_srcs,src/sync) $(call lib_srcs,src/providers)
CLI_SRC  := $(call lib_srcs,src/cli)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard bench/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIBCORE := $(BUILD)/libcore.a
LIBWEB  := $(BUILD)/libweb.a
LIBSYNC := $(BUILD)/libsync.a
LIBCLI  := $(BUILD)/libcli.a
ALLLIBS := $(LIBCLI) $(LIBWEB) $(LIBSYNC) $(LIBCORE)

FCGI_BIN := $(BUILD)/bin/crm.fcgi
SYNC_BIN := $(BUILD)/bin/crm-sync
CTL_BIN  := $(BUILD)/bin/crmctl
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
# Programs the integration tests run (tests/tools/*.c), not tests themselves.
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(wildcard tests/tools/*.c))
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
FUZZ_S   ?= 60

.PHONY: all bins units benches fuzzers deps run stop test bench fuzz clean
.SECONDARY:
all: bins
ifeq ($(BUILD),build)
all: cgi-bin/crm.fcgi
endif
bins: $(FCGI_BIN) $(SYNC_BIN) $(CTL_BIN)
units: $(UNIT_BIN) $(TOOL_BIN)
benches: $(BENCH_BIN)
fuzzers: $(FUZZ_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# Sources written at build time go to $(BUILD)/gen: the Windows-to-IANA zone table from CLDR
# (Debian's unicode-cldr-core), with old zone names brought up to date from tzdata's links.
WINDOWS_ZONES_XML ?= /usr/share/unicode/cldr/common/supplemental/windowsZones.xml
TZDATA_ZI ?= /usr/share/zoneinfo/tzdata.zi
$(BUILD)/gen/windows_zones.h: scripts/gen-windows-zones $(WINDOWS_ZONES_XML)
	@mkdir -p $(dir $@)
	@echo "  GEN $@"
	@scripts/gen-windows-zones $(WINDOWS_ZONES_XML) $(TZDATA_ZI) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/src/core/tzwin.o: $(BUILD)/gen/windows_zones.h

$(LIBCORE): $(call obj,$(CORE_SRC))
$(LIBWEB):  $(call obj,$(WEB_SRC))
$(LIBSYNC): $(call obj,$(SYNC_SRC))
$(LIBCLI):  $(call obj,$(CLI_SRC))
# Every library holds empty.o too, so an area with no sources yet still links.
$(LIBCORE) $(LIBWEB) $(LIBSYNC) $(LIBCLI): $(BUILD)/empty.o
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(FCGI_BIN): $(call obj,cgi-bin/main_fcgi.c) $(LIBWEB) $(LIBSYNC) $(LIBCORE)
$(SYNC_BIN): $(call obj,src/sync/main_sync.c) $(LIBSYNC) $(LIBCORE)
$(CTL_BIN):  $(call obj,src/cli/main_crmctl.c) $(ALLLIBS)
$(FCGI_BIN) $(SYNC_BIN) $(CTL_BIN):
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(ALLLIBS)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(ALLLIBS) -Wl,--end-group $(LDLIBS)

$(BUILD)/tools/%: $(BUILD)/obj/tests/tools/%.o $(LIBCORE)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $< $(LIBCORE) $(LDLIBS)

# Benchmark programs (bench/*.c) link like the unit tests.
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(ALLLIBS)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(ALLLIBS) -Wl,--end-group $(LDLIBS)

# Fuzz harnesses (tests/fuzz/*.c) link libFuzzer's main.
$(BUILD)/fuzz/%: $(BUILD)/obj/tests/fuzz/%.o $(ALLLIBS)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< -Wl,--start-group $(ALLLIBS) -Wl,--end-group $(LDLIBS)

$(BUILD)/empty.o:
	@mkdir -p $(dir $@)
	echo 'typedef int empty_unit;' | $(CC) -x c -c - -o $@

cgi-bin/crm.fcgi: $(FCGI_BIN)
	cp $< $@

deps:
	@scripts/install-deps

# The whole product on a demo company: nginx, crm.fcgi, crm-sync, Dovecot and Radicale.
# DB=postgres: on a private PostgreSQL server under run/pg, two crm.fcgi behind nginx's upstream
# and two crm-sync daemons. make stop, from another shell, stops a running make run.
run: deps
	@$(MAKE) --no-print-directory all
	@CRM_RUN_DB=$(DB) scripts/run-local $(PORT)

stop:
	@scripts/run-local stop

# Every test (unit, integration, browser) on a sanitized build; ends with "N passed, N failed".
# DB=postgres: the same tests on PostgreSQL (a private server for the run, see tests/run).
test: deps
	@$(MAKE) --no-print-directory BUILD=build-san SAN=1 bins units
	@CRM_TEST_DB=$(DB) tests/run build-san

bench: deps
	@$(MAKE) --no-print-directory bins benches
	@bench/run

# libFuzzer on every parser (tests/fuzz/fuzz_*.c), FUZZ_S seconds each (default 60), built with
# clang in build-fuzz; fails on any finding (kept in build-fuzz/fuzz-findings/).
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang FUZZ=1 fuzzers
	@tests/fuzz/run build-fuzz $(FUZZ_S)

clean:
	rm -rf build build-* cgi-bin/crm.fcgi

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
