/* 200 threads that sleep; prints "ready" when all are asleep, then waits
 * for a line on stdin. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define N 200

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_started, g_stop;

static void *sleeper(void *arg)
{
    pthread_mutex_lock(&g_mu);
    g_started++;
    pthread_cond_broadcast(&g_cv);
    while (!g_stop)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    return arg;
}

int main(void)
{
    pthread_t th[N];
    for (int i = 0; i < N; i++)
        if (pthread_create(&th[i], NULL, sleeper, NULL) != 0)
            return 1;
    pthread_mutex_lock(&g_mu);
    while (g_started < N)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    printf("ready\n");
    fflush(stdout);
    char c;
    while (read(0, &c, 1) == 1 && c != '\n') {
    }
    pthread_mutex_lock(&g_mu);
    g_stop = 1;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    printf("joined\n");
    return 0;
}
