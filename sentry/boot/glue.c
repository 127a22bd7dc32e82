/* Boot-time glue: the control server with the kernel backend, and the
 * sandbox's confinement. */
#include "sentry/boot/glue.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/boot/confine.h"
#include "sentry/control/kernel_backend.h"
#include "sentry/control/server.h"

static int start_root_hook(void *arg)
{
    return boot_start_root();
}

static void shutdown_hook(void *arg)
{
    struct kernel *k = arg;
    /* Everything was sent SIGKILL; if init never started, end it here so
     * the boot's wait returns and the sandbox exits. */
    pthread_mutex_lock(&k->lock);
    if (!(k->init && k->init->leader && k->init->leader->ctx)) {
        k->init_status = SIGKILL;
        k->init_done = true;
        pthread_cond_broadcast(&k->cond);
    }
    pthread_mutex_unlock(&k->lock);
}

int boot_control_start(struct kernel *k, int listen_fd, struct control_server **out)
{
    static struct control_kernel ck;
    ck.k = k;
    ck.start_root = start_root_hook;
    ck.shutdown = shutdown_hook;
    ck.hook_arg = k;
    return control_server_start(listen_fd, &control_kernel_backend, &ck, out);
}

int boot_confine(struct kernel *k)
{
    int r = sentry_confine(k->pops->host_syscalls);
    if (r == SENTRY_CONFINE_NO_PIVOT)
        return 0;
    return r;
}
