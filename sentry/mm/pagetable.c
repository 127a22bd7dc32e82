#include "sentry/mm/pagetable.h"

#include <errno.h>
#include <stdlib.h>

#define PT_LEVELS 4
#define PT_BITS 9
#define PT_ENTRIES (1u << PT_BITS)

struct pt_node {
    void *slot[PT_ENTRIES]; /* levels 3..1: struct pt_node *; level 0: uint64_t[] */
};

static inline unsigned pt_index(uint64_t vaddr, int level)
{
    return (unsigned)(vaddr >> (12 + PT_BITS * level)) & (PT_ENTRIES - 1);
}

void pt_init(struct pagetable *pt)
{
    pt->root = NULL;
}

static void free_node(struct pt_node *n, int level)
{
    if (!n)
        return;
    if (level > 1)
        for (unsigned i = 0; i < PT_ENTRIES; i++)
            free_node(n->slot[i], level - 1);
    else
        for (unsigned i = 0; i < PT_ENTRIES; i++)
            free(n->slot[i]);
    free(n);
}

void pt_destroy(struct pagetable *pt)
{
    free_node(pt->root, PT_LEVELS - 1);
    pt->root = NULL;
}

/* Returns the leaf array for vaddr, allocating when create. */
static uint64_t *leaf(struct pagetable *pt, uint64_t vaddr, bool create)
{
    if (!pt->root) {
        if (!create)
            return NULL;
        pt->root = calloc(1, sizeof(struct pt_node));
        if (!pt->root)
            return NULL;
    }
    struct pt_node *n = pt->root;
    for (int level = PT_LEVELS - 1; level >= 1; level--) {
        unsigned i = pt_index(vaddr, level);
        if (!n->slot[i]) {
            if (!create)
                return NULL;
            n->slot[i] = level > 1 ? calloc(1, sizeof(struct pt_node))
                                   : calloc(PT_ENTRIES, sizeof(uint64_t));
            if (!n->slot[i])
                return NULL;
        }
        if (level == 1)
            return n->slot[i];
        n = n->slot[i];
    }
    return NULL;
}

uint64_t pt_get(struct pagetable *pt, uint64_t vaddr)
{
    uint64_t *l = leaf(pt, vaddr, false);
    return l ? l[pt_index(vaddr, 0)] : 0;
}

int pt_set(struct pagetable *pt, uint64_t vaddr, uint64_t entry)
{
    uint64_t *l = leaf(pt, vaddr, entry != 0);
    if (!l)
        return entry ? -ENOMEM : 0;
    l[pt_index(vaddr, 0)] = entry;
    return 0;
}

static void range_node(void *node, int level, uint64_t base, uint64_t start, uint64_t end,
                       pt_visit_fn fn, void *arg)
{
    uint64_t span = 1ull << (12 + PT_BITS * level); /* bytes per slot at this level */
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        uint64_t lo = base + i * span, hi = lo + span;
        if (hi <= start || lo >= end)
            continue;
        if (level == 0) {
            uint64_t *e = &((uint64_t *)node)[i];
            if (*e & PT_PRESENT)
                fn(lo, e, arg);
            continue;
        }
        void *child = ((struct pt_node *)node)->slot[i];
        if (child)
            range_node(child, level - 1, lo, start, end, fn, arg);
    }
}

void pt_range(struct pagetable *pt, uint64_t start, uint64_t end, pt_visit_fn fn, void *arg)
{
    if (pt->root && start < end)
        range_node(pt->root, PT_LEVELS - 1, 0, start, end, fn, arg);
}
