/* Sentry-side page table of one address space: virtual page -> MemoryFile
 * frame. A 4-level radix tree (9 bits per level, 48-bit addresses) whose
 * tables are allocated on demand, so sparse address spaces cost little.
 * Each present entry holds one reference on its frame.
 *
 * Not thread-safe: the owning mm's lock protects it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define PT_PRESENT 1ull
#define PT_FRAME_MASK (~0xfffull)

struct pt_node;

struct pagetable {
    struct pt_node *root;
};

void pt_init(struct pagetable *pt);
/* Frees the tables (not the frames: the caller drops references first). */
void pt_destroy(struct pagetable *pt);
/* Entry for vaddr (0 if absent). */
uint64_t pt_get(struct pagetable *pt, uint64_t vaddr);
/* Sets the entry; -ENOMEM if a table cannot be allocated. */
int pt_set(struct pagetable *pt, uint64_t vaddr, uint64_t entry);

/* Calls fn for every present entry in [start, end), skipping empty subtrees.
 * fn may change *entry (e.g. clear it). */
typedef void (*pt_visit_fn)(uint64_t vaddr, uint64_t *entry, void *arg);
void pt_range(struct pagetable *pt, uint64_t start, uint64_t end, pt_visit_fn fn, void *arg);
