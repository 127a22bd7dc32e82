# tools/fuzz/: libFuzzer targets for decoders of untrusted bytes, built with
# clang into $(O)/fuzz/ (objects in $(O)/fuzz/obj/, separate from the gcc
# build). `make fuzz` builds them; tools/fuzz/replay runs them over
# tools/fuzz/corpus/<target>/ (and fuzzes with --run SECONDS).
FUZZ_CC    ?= clang
FUZZ_OBJ   := $(O)/fuzz/obj
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
FUZZ_FLAGS := -std=gnu11 -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -D_GNU_SOURCE -I. \
              -I$(O)/gen -MMD -MP -fno-strict-aliasing

# urpc_frame: bytes from a peer into a server connection.
FUZZ_URPC_SRCS := tools/fuzz/urpc_frame.c urpc/frame.c urpc/conn.c urpc/server.c \
                  urpc/methods.c lib/log.c
FUZZ_URPC_OBJS := $(FUZZ_URPC_SRCS:%.c=$(FUZZ_OBJ)/%.o) $(FUZZ_OBJ)/gen/urpc/proto/urpc.pb-c.o

$(FUZZ_OBJ)/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<

$(FUZZ_OBJ)/%.o: %.c | $(O)/gen/urpc/proto/urpc.pb-c.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -c -o $@ $<

$(O)/fuzz/urpc_frame: $(FUZZ_URPC_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ -lprotobuf-c

fuzz: $(O)/fuzz/urpc_frame

-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
