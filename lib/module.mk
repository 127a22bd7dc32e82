# lib/: cleanup helpers, error chains, logging, small file utilities (libc only).
LIB_SRCS += lib/error.c lib/log.c lib/fileutil.c
UNIT_TESTS += lib
