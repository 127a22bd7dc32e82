/* 8 threads x 100000 mutex lock/unlock, plus a condvar ping-pong; every
 * pthread_join must return and the totals must be exact. */
#include <pthread.h>
#include <stdio.h>

#define THREADS 8
#define ITERS 100000
#define PINGS 2000

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static long g_counter;

static void *adder(void *arg)
{
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&g_mu);
        g_counter++;
        pthread_mutex_unlock(&g_mu);
    }
    return arg;
}

static pthread_mutex_t g_pmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_turn, g_pings;

static void *ponger(void *arg)
{
    long me = (long)arg;
    for (int i = 0; i < PINGS; i++) {
        pthread_mutex_lock(&g_pmu);
        while (g_turn != me)
            pthread_cond_wait(&g_cv, &g_pmu);
        g_pings++;
        g_turn = 1 - (int)me;
        pthread_cond_broadcast(&g_cv);
        pthread_mutex_unlock(&g_pmu);
    }
    return NULL;
}

int main(void)
{
    pthread_t th[THREADS], pp[2];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, adder, (void *)i);
    int joined = 0;
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        if (pthread_join(th[i], &ret) == 0 && (long)ret == i)
            joined++;
    }
    for (long i = 0; i < 2; i++)
        pthread_create(&pp[i], NULL, ponger, (void *)i);
    for (int i = 0; i < 2; i++)
        if (pthread_join(pp[i], NULL) == 0)
            joined++;
    printf("counter %ld pings %d joined %d\n", g_counter, g_pings, joined);
    return g_counter == (long)THREADS * ITERS && g_pings == 2 * PINGS && joined == THREADS + 2 ? 0
                                                                                               : 1;
}
