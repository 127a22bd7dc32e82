/* Method id <-> name tables generated from URPC_METHODS in methods.h. */
#include "urpc/methods.h"

#include <errno.h>
#include <string.h>

#include "lib/cleanup.h"

static const struct {
    uint32_t id;
    const char *name;
} g_methods[] = {
#define URPC_METHOD_ROW_(sym, id, name) {id, name},
    URPC_METHODS(URPC_METHOD_ROW_)
#undef URPC_METHOD_ROW_
};

const char *urpc_method_name(uint32_t method)
{
    for (size_t i = 0; i < ARRAY_SIZE(g_methods); i++)
        if (g_methods[i].id == method)
            return g_methods[i].name;
    return NULL;
}

int urpc_method_lookup(const char *name, uint32_t *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(g_methods); i++) {
        if (strcmp(g_methods[i].name, name) == 0) {
            *out = g_methods[i].id;
            return 0;
        }
    }
    return -ENOENT;
}
