/* ELF loading into a fresh address space. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "sentry/loader/loader.h"

#include "sentry/kernel/creds.h"

#define ET_DYN_BASE 0x555555554000ull
#define STACK_TOP MM_TASK_SIZE
#define STACK_SIZE (8ull << 20)
#define MAX_ARG_BYTES (2ull << 20) /* argv + envp strings, like Linux's 1/4 of 8 MiB stack */

struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr *ph;
    uint64_t base;    /* load bias */
    uint64_t end;     /* highest mapped address */
    uint64_t phdr_va; /* address of the program headers in memory */
    char *interp;     /* PT_INTERP path */
};

static int read_full(struct file *f, void *buf, size_t len, int64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = vfs_pread(f, (char *)buf + done, len - done, off + (int64_t)done);
        if (r < 0)
            return (int)r;
        if (r == 0)
            return -ENOEXEC; /* truncated file */
        done += (size_t)r;
    }
    return 0;
}

/* Opens path for execution; *xf (if not NULL) gets what the file means
 * for the new credentials. */
static int open_exec(struct task *t, const char *path, struct file **out,
                     struct creds_exec_file *xf)
{
    struct vfs_walk_ctx ctx;
    int r = task_walk_ctx(t, AT_FDCWD, path, &ctx);
    if (r < 0)
        return r;
    struct vfs_path p;
    r = vfs_walk(&ctx, path, WALK_FOLLOW, &p);
    if (r < 0) {
        task_walk_ctx_release(&ctx);
        return r;
    }
    struct vfs_attr a;
    r = vfs_getattr(p.d->inode, &a);
    if (r == 0 && !S_ISREG(a.mode))
        r = -EACCES;
    if (r == 0 && (p.mnt->flags & MNT_NOEXEC))
        r = -EACCES;
    if (r == 0)
        r = vfs_permission(&a, &ctx, 1 | 4);
    if (r == 0)
        r = vfs_open_path(&p, O_RDONLY, out);
    if (r == 0 && xf)
        *xf = (struct creds_exec_file){
            .mode = a.mode, .uid = a.uid, .gid = a.gid, .nosuid = (p.mnt->flags & MNT_NOSUID) != 0};
    path_put(&p);
    task_walk_ctx_release(&ctx);
    return r;
}

static int prot_of(uint32_t flags)
{
    int p = 0;
    if (flags & PF_R)
        p |= PROT_READ;
    if (flags & PF_W)
        p |= PROT_WRITE;
    if (flags & PF_X)
        p |= PROT_EXEC;
    return p;
}

static int read_image(struct file *f, struct image *im)
{
    memset(im, 0, sizeof(*im));
    int r = read_full(f, &im->eh, sizeof(im->eh), 0);
    if (r < 0)
        return r == -ENOEXEC ? -ENOEXEC : r;
    Elf64_Ehdr *eh = &im->eh;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_ident[EI_VERSION] != EV_CURRENT ||
        eh->e_machine != EM_X86_64 || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
        eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 4096)
        return -ENOEXEC;
    size_t sz = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
    im->ph = malloc(sz);
    if (!im->ph)
        return -ENOMEM;
    r = read_full(f, im->ph, sz, (int64_t)eh->e_phoff);
    if (r < 0)
        return r;
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *p = &im->ph[i];
        if (p->p_type == PT_INTERP && !im->interp) {
            if (p->p_filesz < 2 || p->p_filesz > 4096)
                return -ENOEXEC;
            im->interp = calloc(1, p->p_filesz + 1);
            if (!im->interp)
                return -ENOMEM;
            r = read_full(f, im->interp, p->p_filesz, (int64_t)p->p_offset);
            if (r < 0)
                return r;
            if (im->interp[p->p_filesz - 1] != '\0')
                return -ENOEXEC;
        }
        if (p->p_type == PT_LOAD) {
            if (p->p_filesz > p->p_memsz)
                return -ENOEXEC;
            if ((p->p_vaddr - p->p_offset) & (MM_PAGE_SIZE - 1))
                return -ENOEXEC; /* Linux: EINVAL from mmap, reported as ENOEXEC here */
            if (p->p_vaddr + p->p_memsz < p->p_vaddr || p->p_vaddr + p->p_memsz > MM_TASK_SIZE)
                return -ENOEXEC;
        }
    }
    return 0;
}

static void image_free(struct image *im)
{
    free(im->ph);
    free(im->interp);
}

/* Maps every PT_LOAD of im at bias im->base. */
static int map_image(struct mm *mm, struct file *f, struct image *im)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < im->eh.e_phnum; i++) {
        Elf64_Phdr *p = &im->ph[i];
        if (p->p_type != PT_LOAD)
            continue;
        if (p->p_vaddr < lo)
            lo = p->p_vaddr;
        if (p->p_vaddr + p->p_memsz > hi)
            hi = p->p_vaddr + p->p_memsz;
    }
    if (lo == UINT64_MAX)
        return -ENOEXEC;
    lo = MM_PAGE_ROUND_DOWN(lo);
    hi = MM_PAGE_ROUND_UP(hi);
    if (im->eh.e_type == ET_DYN && im->base == 0) {
        /* Reserve the whole span somewhere, then map segments into it. */
        uint64_t at;
        int r = mm_mmap(mm, 0, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0, 0, &at);
        if (r < 0)
            return r;
        im->base = at - lo;
    }
    for (int i = 0; i < im->eh.e_phnum; i++) {
        Elf64_Phdr *p = &im->ph[i];
        if (p->p_type != PT_LOAD)
            continue;
        int prot = prot_of(p->p_flags);
        uint64_t va = im->base + p->p_vaddr;
        uint64_t start = MM_PAGE_ROUND_DOWN(va);
        uint64_t file_end = va + p->p_filesz;
        uint64_t mem_end = MM_PAGE_ROUND_UP(va + p->p_memsz);
        uint64_t out;
        int r;
        if (p->p_filesz) {
            uint64_t map_end = MM_PAGE_ROUND_UP(file_end);
            bool zero_tail = p->p_memsz > p->p_filesz && (file_end & (MM_PAGE_SIZE - 1));
            r = mm_mmap(mm, start, map_end - start, zero_tail ? (prot | PROT_WRITE) : prot,
                        MAP_PRIVATE | MAP_FIXED, &f->mmf, MM_PAGE_ROUND_DOWN(p->p_offset), 0, &out);
            if (r < 0)
                return r;
            if (zero_tail) {
                r = mm_zero_out(mm, file_end, map_end - file_end);
                if (r == 0 && !(prot & PROT_WRITE))
                    r = mm_mprotect(mm, start, map_end - start, prot);
                if (r < 0)
                    return r;
            }
            start = map_end;
        }
        if (mem_end > start) {
            r = mm_mmap(mm, start, mem_end - start, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                        NULL, 0, 0, &out);
            if (r < 0)
                return r;
        }
        if (mem_end > im->end)
            im->end = mem_end;
        if (p->p_offset <= im->eh.e_phoff &&
            im->eh.e_phoff + im->eh.e_phnum * sizeof(Elf64_Phdr) <= p->p_offset + p->p_filesz &&
            !im->phdr_va)
            im->phdr_va = va + (im->eh.e_phoff - p->p_offset);
    }
    for (int i = 0; i < im->eh.e_phnum; i++)
        if (im->ph[i].p_type == PT_PHDR)
            im->phdr_va = im->base + im->ph[i].p_vaddr;
    return 0;
}

/* Pushes bytes onto the stack being built (grows down). */
struct stack_builder {
    struct mm *mm;
    uint64_t sp;
    uint64_t floor;
};

static int push(struct stack_builder *s, const void *data, size_t len, uint64_t *addr)
{
    if (s->sp - s->floor < len)
        return -E2BIG;
    s->sp -= len;
    int r = mm_copy_out(s->mm, s->sp, data, len);
    if (r < 0)
        return r;
    if (addr)
        *addr = s->sp;
    return 0;
}

static size_t count(char *const v[])
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

static uint64_t hwcap(void)
{
    uint32_t eax = 1, ebx, ecx = 0, edx;
    __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    return edx;
}

static int build_stack(const struct creds *c, bool secure, struct mm *mm, const char *path,
                       char *const argv[], char *const envp[], struct image *main_im,
                       struct image *interp, uint64_t *sp_out)
{
    uint64_t out;
    int r = mm_mmap(mm, STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0, 0, &out);
    if (r < 0)
        return r;
    /* Mark it [stack] for /proc. */
    pthread_mutex_lock(&mm->lock);
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->start == out)
            v->flags |= VMA_STACK;
    pthread_mutex_unlock(&mm->lock);

    size_t argc = count(argv), envc = count(envp);
    size_t total = strlen(path) + 1;
    for (size_t i = 0; i < argc; i++)
        total += strlen(argv[i]) + 1;
    for (size_t i = 0; i < envc; i++)
        total += strlen(envp[i]) + 1;
    if (total > MAX_ARG_BYTES)
        return -E2BIG;

    struct stack_builder s = {mm, STACK_TOP, STACK_TOP - STACK_SIZE + 65536};
    uint64_t zero8 = 0;
    if ((r = push(&s, &zero8, sizeof(zero8), NULL)) < 0)
        return r;
    uint64_t execfn;
    if ((r = push(&s, path, strlen(path) + 1, &execfn)) < 0)
        return r;
    uint64_t *envp_va = calloc(envc + 1, sizeof(uint64_t));
    uint64_t *argv_va = calloc(argc + 1, sizeof(uint64_t));
    if (!envp_va || !argv_va) {
        free(envp_va);
        free(argv_va);
        return -ENOMEM;
    }
    for (size_t i = envc; i-- > 0;)
        if ((r = push(&s, envp[i], strlen(envp[i]) + 1, &envp_va[i])) < 0)
            goto out;
    mm->env_start = envc ? envp_va[0] : s.sp;
    mm->env_end = execfn;
    for (size_t i = argc; i-- > 0;)
        if ((r = push(&s, argv[i], strlen(argv[i]) + 1, &argv_va[i])) < 0)
            goto out;
    mm->arg_start = argc ? argv_va[0] : s.sp;
    mm->arg_end = envc ? envp_va[0] : execfn;
    uint64_t platform_va;
    if ((r = push(&s, "x86_64", 7, &platform_va)) < 0)
        goto out;
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        r = -EIO;
        goto out;
    }
    uint64_t random_va;
    if ((r = push(&s, rnd, sizeof(rnd), &random_va)) < 0)
        goto out;
    s.sp &= ~15ull;

    uint64_t auxv[64];
    size_t n = 0;
#define AUX(k, v)                                                                                  \
    do {                                                                                           \
        auxv[n++] = (k);                                                                           \
        auxv[n++] = (v);                                                                           \
    } while (0)
    AUX(AT_HWCAP, hwcap());
    AUX(AT_PAGESZ, MM_PAGE_SIZE);
    AUX(AT_CLKTCK, 100);
    AUX(AT_PHDR, main_im->phdr_va);
    AUX(AT_PHENT, sizeof(Elf64_Phdr));
    AUX(AT_PHNUM, main_im->eh.e_phnum);
    AUX(AT_BASE, interp ? interp->base : 0);
    AUX(AT_FLAGS, 0);
    AUX(AT_ENTRY, main_im->base + main_im->eh.e_entry);
    AUX(AT_UID, c->ruid);
    AUX(AT_EUID, c->euid);
    AUX(AT_GID, c->rgid);
    AUX(AT_EGID, c->egid);
    AUX(AT_SECURE, secure);
    AUX(AT_RANDOM, random_va);
    AUX(AT_HWCAP2, 0);
    AUX(AT_EXECFN, execfn);
    AUX(AT_PLATFORM, platform_va);
    AUX(AT_NULL, 0);
#undef AUX
    memcpy(mm->auxv, auxv, n * sizeof(uint64_t));
    mm->auxv_len = n;

    /* Keep the final sp 16-byte aligned: argc + argv + NULL + envp + NULL + auxv. */
    size_t words = 1 + (argc + 1) + (envc + 1) + n;
    if (words & 1)
        s.sp -= 8;
    if ((r = push(&s, auxv, n * sizeof(uint64_t), NULL)) < 0)
        goto out;
    if ((r = push(&s, envp_va, (envc + 1) * sizeof(uint64_t), NULL)) < 0)
        goto out;
    if ((r = push(&s, argv_va, (argc + 1) * sizeof(uint64_t), NULL)) < 0)
        goto out;
    uint64_t argc64 = argc;
    if ((r = push(&s, &argc64, sizeof(argc64), NULL)) < 0)
        goto out;
    mm->start_stack = s.sp;
    *sp_out = s.sp;
out:
    free(envp_va);
    free(argv_va);
    return r;
}

int loader_load(struct task *t, struct mm *mm, const char *path, char *const argv[],
                char *const envp[], struct loader_result *out)
{
    struct file *f = NULL;
    struct creds_exec_file xf;
    int r = open_exec(t, path, &f, &xf);
    if (r < 0)
        return r;
    bool secure;
    creds_exec(&t->creds, &xf, &out->creds, &secure);
    struct image im, interp_im;
    memset(&interp_im, 0, sizeof(interp_im));
    struct file *interp_f = NULL;
    r = read_image(f, &im);
    if (r < 0)
        goto out;
    if (im.eh.e_type == ET_DYN && !im.interp)
        im.base = ET_DYN_BASE; /* static-PIE */
    else if (im.eh.e_type == ET_DYN)
        im.base = ET_DYN_BASE;
    r = map_image(mm, f, &im);
    if (r < 0)
        goto out;
    uint64_t entry = im.base + im.eh.e_entry;
    if (im.interp) {
        r = open_exec(t, im.interp, &interp_f, NULL);
        if (r == -EACCES || r == -ENOENT)
            r = r == -ENOENT ? -ENOENT : -ELIBBAD;
        if (r < 0)
            goto out;
        r = read_image(interp_f, &interp_im);
        if (r < 0 || interp_im.interp) {
            r = -ELIBBAD;
            goto out;
        }
        r = map_image(mm, interp_f, &interp_im);
        if (r < 0)
            goto out;
        entry = interp_im.base + interp_im.eh.e_entry;
    }
    uint64_t sp;
    r = build_stack(&out->creds, secure, mm, path, argv, envp, &im, im.interp ? &interp_im : NULL,
                    &sp);
    if (r < 0)
        goto out;
    mm_set_brk_start(mm, MM_PAGE_ROUND_UP(im.end));
    out->entry = entry;
    out->sp = sp;
    out->brk_start = MM_PAGE_ROUND_UP(im.end);
out:
    image_free(&im);
    image_free(&interp_im);
    if (interp_f)
        file_put(interp_f);
    file_put(f);
    return r;
}

void loader_init_regs(struct platform_regs *regs, const struct loader_result *res)
{
    memset(&regs->gp, 0, sizeof(regs->gp));
    regs->gp.rip = res->entry;
    regs->gp.rsp = res->sp;
    regs->gp.cs = 0x33;
    regs->gp.ss = 0x2b;
    regs->gp.eflags = 0x202;
    platform_fpu_init(regs);
}
