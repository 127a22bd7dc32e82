/* Futexes: wait queues keyed by the memory a futex word lives in.
 * Private futexes are keyed by (mm, address); shared ones by the MemoryFile
 * frame under the address (so they work across processes that share the
 * page). Lock: one leaf mutex per hash bucket. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/kernel/kernel.h"

#define FUTEX_BITSET_ANY 0xffffffffu

long futex_op(struct task *t, uint64_t uaddr, int op, uint32_t val, uint64_t timeout_or_val2,
              uint64_t uaddr2, uint32_t val3);
/* Wakes up to n waiters on the futex at addr (a thread exiting). */
int futex_wake_addr(struct mm *mm, uint64_t addr, bool shared, int n, uint32_t bitset);
/* Walks the exiting task's robust list: marks owner-died and wakes. */
void futex_exit_robust_list(struct task *t);
