/*
 * Runs a command and prints its peak resident set size. The kernel's figure for a child
 * (ru_maxrss) includes the memory of the process it was forked from up to the exec; forked from
 * Python it would report Python's 14 MiB for an empty program. Forked from this small program
 * it includes about 1 MiB of this program, so the figure errs on the high side only.
 *
 * usage: bench_peak COMMAND [ARGS...]
 * Prints "peak_rss_kib N" on stderr after the command's own output; exits with its exit code.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct rusage ru;
    int status;
    pid_t pid;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_peak COMMAND [ARGS...]\n");
        return 127;
    }
    pid = fork();
    if (pid < 0) {
        perror("bench_peak: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror("bench_peak: exec");
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("bench_peak: wait4");
        return 127;
    }
    fprintf(stderr, "peak_rss_kib %ld\n", ru.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
