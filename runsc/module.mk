# runsc/: the OCI front end. main.c is the only file outside librunsc.a.
MAIN_SRCS += runsc/main.c
LIB_SRCS += $(filter-out runsc/main.c,$(wildcard runsc/*.c runsc/cmd/*.c runsc/container/*.c runsc/sandbox/*.c runsc/spec/*.c))
