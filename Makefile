# runsc-c: one non-recursive make. Every directory adds its sources in its
# own module.mk; this file only holds the rules.
#
#   make            bin/runsc (and the unit-test binaries' archive)
#   make asan       ASan+UBSan variant in build/asan (bin: build/asan/bin/runsc)
#   make check      clang-format (check mode), tools/check-deps, cppcheck
#   make test       install deps, build, run every suite, print "N passed, N failed"
#   make demo       install deps, build, run a program in the sandbox
#   make bench      side-by-side benchmarks (FULL=1 for more rounds)

O        ?= build/default
BIN      ?= bin
CC       ?= gcc
SAN      ?=

PKGS     := libseccomp libcap libprotobuf-c libuv liburing jansson
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 \
            -Wmissing-prototypes -Wstrict-prototypes
CPPFLAGS := -D_GNU_SOURCE -I. -I$(O)/gen
ALLFLAGS := -std=gnu11 $(CFLAGS) $(WARN) -MMD -MP -fno-strict-aliasing
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lseccomp -lcap -lprotobuf-c -luv -luring -ljansson) -lpthread

ifneq ($(SAN),)
ALLFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

# Modules fill these in.
#   LIB_SRCS    linked into bin/runsc and every unit test (all but main.c)
#   MAIN_SRCS   only in bin/runsc (the entry point)
#   PROTOS      .proto files compiled by protoc-c into $(O)/gen
#   UNIT_TESTS  names of test/unit/<module> directories
#   STATIC_BINS extra static programs (stubs, test helpers): name:=srcs
LIB_SRCS    :=
MAIN_SRCS   :=
PROTOS      :=
UNIT_TESTS  :=
CHECK_SRCS  :=

MODULES := $(sort $(wildcard */module.mk */*/module.mk */*/*/module.mk))
# SKIP_MODULES="urpc tools/fuzz" leaves modules out (for work in progress).
MODULES := $(filter-out $(SKIP_MODULES:%=%/module.mk),$(MODULES))
include $(MODULES)

# EXCLUDE_SRCS="a.c b.c" leaves files out (for work in progress).
LIB_SRCS := $(filter-out $(EXCLUDE_SRCS),$(LIB_SRCS))

PROTO_C  := $(PROTOS:%.proto=$(O)/gen/%.pb-c.c)
PROTO_H  := $(PROTOS:%.proto=$(O)/gen/%.pb-c.h)
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/obj/%.o) $(PROTO_C:$(O)/gen/%.c=$(O)/obj/gen/%.o)
MAIN_OBJS := $(MAIN_SRCS:%.c=$(O)/obj/%.o)
LIBA     := $(O)/librunsc.a

# Generated sources are kept (not removed as intermediates).
.SECONDARY: $(PROTO_C) $(PROTO_H)
RUNSC    := $(O)/bin/runsc

.PHONY: all asan check cppcheck test demo bench clean unit-bins fuzz install-deps
.DEFAULT_GOAL := all

all: $(RUNSC) unit-bins
ifeq ($(O),build/default)
	@mkdir -p $(BIN) && ln -sf ../$(RUNSC) $(BIN)/runsc
endif

$(O)/gen/%.pb-c.c $(O)/gen/%.pb-c.h: %.proto
	@mkdir -p $(dir $@)
	protoc-c --c_out=$(O)/gen $<

$(O)/obj/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=gnu11 $(CFLAGS) $(if $(SAN),-fsanitize=address$(comma)undefined) -MMD -MP -c -o $@ $<

comma := ,

$(O)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALLFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(RUNSC): $(MAIN_OBJS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJS) -Wl,--whole-archive $(LIBA) -Wl,--no-whole-archive $(LDLIBS)

# Unit tests: test/unit/<m>/*.c + test/unit/harness.c -> $(O)/test/unit/<m>
UNIT_BINS := $(UNIT_TESTS:%=$(O)/test/unit/%)
define unit_rule
$(O)/test/unit/$(1): $(patsubst %.c,$(O)/obj/%.o,$(wildcard test/unit/$(1)/*.c) test/unit/harness.c) $(LIBA)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(LIBA) $$(LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))
unit-bins: $(UNIT_BINS)

asan:
	$(MAKE) O=build/asan SAN=1 all

install-deps:
	@tools/install-deps

check: install-deps
	@tools/check-format
	@tools/check-deps
	@$(MAKE) -s --no-print-directory cppcheck

cppcheck:
	@cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
	    --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -D__x86_64__ -I. \
	    $(filter-out $(O)/%,$(LIB_SRCS) $(MAIN_SRCS))

test: install-deps
	@$(MAKE) --no-print-directory -s all
	@/usr/bin/python3 tools/run-tests --build $(O)

demo: install-deps
	@$(MAKE) --no-print-directory -s all
	@tools/demo

bench: install-deps
	@tools/install-deps --bench
	-@$(MAKE) --no-print-directory -s all
	@tools/bench/run $(if $(FULL),--full)

clean:
	rm -rf build bin

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
