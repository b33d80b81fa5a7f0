/* Fork per batch, not per snippet: one child runs thousands of snippets; when it dies (a snippet or
 * the software CPU crashed it, or hung it past its alarm) the one it was on is marked and a new
 * child carries on after it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/isa/isa.h"

void batch_fork(int n, void (*one)(void *arg, int i), void (*died)(void *arg, int i, int sig), void *arg)
{
    volatile int *progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (progress == MAP_FAILED) {
        perror("isa: mmap");
        exit(1);
    }
    int start = 0;
    while (start < n) {
        *progress = start;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("isa: fork");
            exit(1);
        }
        if (pid == 0) {
            for (int i = start; i < n; i++) {
                *progress = i;
                one(arg, i);
            }
            _exit(0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
            ;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            break;
        int i = *progress;
        died(arg, i, WIFSIGNALED(status) ? WTERMSIG(status) : 256 + WEXITSTATUS(status));
        start = i + 1;
    }
    munmap((void *)progress, 4096);
}
