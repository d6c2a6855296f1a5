/*
 * tests/fakes/fake_client.h - start the fake provider (fake_provider.c) from a test, script it,
 * read its counters, stop it. Header-only: each test binary includes it once.
 */
#ifndef RS_TESTS_FAKE_CLIENT_H
#define RS_TESTS_FAKE_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct fake_server {
    pid_t pid;
    int port;
    char port_file[256];
} fake_server;

/* Spawn `binary` on a free loopback port (extra: more arguments, NULL-terminated). 0 ok. */
static inline int fake_start(fake_server *f, const char *binary, const char *const *extra)
{
    memset(f, 0, sizeof *f);
    snprintf(f->port_file, sizeof f->port_file, "/tmp/rs_fake_%ld_%ld.port", (long)getpid(),
             (long)time(NULL));
    unlink(f->port_file);
    const char *argv[24] = {binary, "--port-file", f->port_file, "--lifetime", "600"};
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < 22; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01 /* O_WRONLY */, 0);
    int rc = posix_spawn(&f->pid, binary, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    for (int i = 0; i < 500; i++) {
        FILE *pf = fopen(f->port_file, "r");
        if (pf) {
            int ok = fscanf(pf, "%d", &f->port) == 1;
            fclose(pf);
            if (ok && f->port > 0)
                return 0;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

static inline void fake_stop(fake_server *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
    unlink(f->port_file);
}

/* One request to the fake's control endpoint; the answer body goes to out. 0 ok. */
static inline int fake_control(const fake_server *f, const char *method, const char *path,
                               const char *body, char *out, size_t outsz)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)f->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[8192];
    size_t bl = body ? strlen(body) : 0;
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, path, bl, body ? body : "");
    if (n < 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    char buf[65536];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    const char *b = strstr(buf, "\r\n\r\n");
    if (out && outsz)
        snprintf(out, outsz, "%s", b ? b + 4 : "");
    return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}

/* Queue scripts (one line per coming request). */
static inline int fake_script(const fake_server *f, const char *lines)
{
    return fake_control(f, "POST", "/_fake/script", lines, NULL, 0);
}

static inline int fake_reset(const fake_server *f)
{
    return fake_control(f, "POST", "/_fake/reset", "", NULL, 0);
}

/* Number of provider requests the fake answered since the last reset; -1 on failure. */
static inline long fake_requests(const fake_server *f)
{
    char out[65536];
    if (fake_control(f, "GET", "/_fake/stats", NULL, out, sizeof out) != 0)
        return -1;
    const char *p = strstr(out, "\"requests\":");
    return p ? strtol(p + 11, NULL, 10) : -1;
}

#endif
