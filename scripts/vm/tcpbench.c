/*
 * tcpbench -- tiny TCP benchmark helper for scripts/bench (built with the host's
 * gcc -static -O2; the same binary runs on the sandbox host and in the guest).
 *
 *   tcpbench server ADDR PORT MAXSECS    echo server (epoll), exits after MAXSECS
 *   tcpbench rr     ADDR PORT SECS       1-byte request/response on one connection
 *   tcpbench crr    ADDR PORT SECS       connect, 1-byte request/response, close; loop
 *   tcpbench hold   ADDR PORT N SECS     open N idle connections, hold them SECS, close
 *   tcpbench first  ADDR PORT MAXSECS    connect and do one 1-byte request/response; an
 *                                        attempt that fails at once (no route yet) is retried
 *                                        every 2 ms; prints the wall-clock time it worked
 *                                        (start-up timing)
 *
 * Client modes print "RESULT <key>=<value>" lines (the guest console format) and,
 * for hold, "READY idle_held n=<N>" once the connections are open. Every loop is
 * bounded in time; every wait has a timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 3000

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int parse_addr(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof(*a4);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof(*a6);
        return 0;
    }
    fprintf(stderr, "tcpbench: bad address %s\n", host);
    return -1;
}

static int wait_fd(int fd, short ev, int ms) {
    struct pollfd p = {.fd = fd, .events = ev};
    int r;
    do r = poll(&p, 1, ms); while (r < 0 && errno == EINTR);
    return r > 0 ? 0 : -1;
}

/* Non-blocking connect with a timeout; returns a blocking socket or -1. */
static int dial_ms(const struct sockaddr_storage *ss, socklen_t len, int nodelay, int timeout_ms) {
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
        if (errno != EINPROGRESS) goto fail;
        if (wait_fd(fd, POLLOUT, timeout_ms) < 0) {
            errno = ETIMEDOUT;
            goto fail;
        }
        int err = 0;
        socklen_t el = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
            errno = err;
            goto fail;
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = {.tv_sec = IO_TIMEOUT_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

static int dial(const struct sockaddr_storage *ss, socklen_t len, int nodelay) {
    return dial_ms(ss, len, nodelay, IO_TIMEOUT_MS);
}

static int transact(int fd) {
    char c = 'x';
    if (write(fd, &c, 1) != 1) return -1;
    if (read(fd, &c, 1) != 1) return -1;
    return 0;
}

static int cmd_server(const char *host, int port, int maxsecs) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_addr(host, port, &ss, &len) < 0) return 2;
    raise_nofile();
    alarm(maxsecs); /* bounded lifetime: SIGALRM ends the process */
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ls < 0 || bind(ls, (struct sockaddr *)&ss, len) < 0 || listen(ls, 4096) < 0) {
        perror("tcpbench server");
        return 2;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    char buf[65536];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, 1000);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                for (int k = 0; k < 256; k++) {
                    int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    struct epoll_event ce = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof(buf));
            if (r > 0) {
                ssize_t off = 0;
                while (off < r) {
                    ssize_t w = write(fd, buf + off, r - off);
                    if (w > 0) off += w;
                    else if (w < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, IO_TIMEOUT_MS) == 0) continue;
                    else break;
                }
                continue;
            }
            if (r < 0 && errno == EAGAIN) continue;
            close(fd); /* EOF or error: closing also removes it from the epoll set */
        }
    }
}

static int cmd_rr(const char *host, int port, double secs) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_addr(host, port, &ss, &len) < 0) return 2;
    int fd = dial(&ss, len, 1);
    if (fd < 0) {
        printf("RESULT rr_error=connect: %s\n", strerror(errno));
        return 1;
    }
    long n = 0, slow = 0;
    double t0 = now(), t1 = t0, end = t0 + secs, max = 0;
    int err = 0;
    while ((t1 = now()) < end) {
        if (transact(fd) < 0) { err = errno ? errno : EPIPE; break; }
        double d = now() - t1;
        if (d > max) max = d;
        if (d > 0.010) slow++;
        n++;
    }
    close(fd);
    if (err) printf("RESULT rr_error=after %ld transactions: %s\n", n, strerror(err));
    printf("RESULT rr_count=%ld\n", n);
    printf("RESULT rr_max_ms=%.1f\n", max * 1e3);
    printf("RESULT rr_slow=%ld\n", slow); /* transactions over 10 ms */
    printf("RESULT rr_per_s=%.1f\n", n / (t1 - t0));
    return err ? 1 : 0;
}

static int cmd_crr(const char *host, int port, double secs) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_addr(host, port, &ss, &len) < 0) return 2;
    long n = 0, errs = 0;
    int lasterr = 0;
    double t0 = now(), t1 = t0, end = t0 + secs;
    while ((t1 = now()) < end && errs < 20) {
        int fd = dial(&ss, len, 1);
        if (fd < 0) { errs++; lasterr = errno; continue; }
        if (transact(fd) < 0) { errs++; lasterr = errno ? errno : EPIPE; close(fd); continue; }
        close(fd);
        n++;
    }
    if (errs) printf("RESULT crr_error=%ld errors, last: %s\n", errs, strerror(lasterr));
    printf("RESULT crr_count=%ld\n", n);
    printf("RESULT crr_per_s=%.1f\n", n / (t1 - t0));
    return errs ? 1 : 0;
}

static int cmd_hold(const char *host, int port, int count, int secs) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_addr(host, port, &ss, &len) < 0) return 2;
    raise_nofile();
    int *fds = calloc(count, sizeof(int));
    int held = 0, errs = 0, lasterr = 0;
    double t0 = now();
    for (int i = 0; i < count && errs < 20 && now() - t0 < 60; i++) {
        int fd = dial(&ss, len, 0);
        if (fd < 0) { errs++; lasterr = errno; continue; }
        fds[held++] = fd;
    }
    double t1 = now();
    if (errs) printf("RESULT idle_error=%d errors, last: %s\n", errs, strerror(lasterr));
    printf("RESULT idle_open_s=%.2f\n", t1 - t0);
    printf("RESULT idle_held=%d\n", held);
    printf("READY idle_held n=%d\n", held);
    fflush(stdout);
    sleep(secs);
    /* still all alive? one echo on the first and the last */
    int alive = held > 0 && transact(fds[0]) == 0 && transact(fds[held - 1]) == 0;
    printf("RESULT idle_alive=%d\n", alive);
    for (int i = 0; i < held; i++) close(fds[i]);
    free(fds);
    return held == count ? 0 : 1;
}

/* The first connection that carries a request/response: how soon a fresh namespace works. */
static int cmd_first(const char *host, int port, double maxsecs) {
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_addr(host, port, &ss, &len) < 0) return 2;
    signal(SIGPIPE, SIG_IGN);
    long tries = 0;
    int lasterr = 0;
    double t0 = now(), end = t0 + maxsecs;
    while (now() < end) {
        tries++;
        /* one attempt waits as a client would (the kernel retransmits a SYN) */
        int fd = dial_ms(&ss, len, 1, (int)((end - now()) * 1000) + 1);
        if (fd >= 0) {
            if (transact(fd) == 0) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                close(fd);
                printf("RESULT first_epoch=%ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
                printf("RESULT first_tries=%ld\n", tries);
                printf("RESULT first_wait_s=%.4f\n", now() - t0);
                return 0;
            }
            lasterr = errno ? errno : EPIPE;
            close(fd);
        } else {
            lasterr = errno;
        }
        usleep(2000);
    }
    printf("RESULT first_error=%ld tries in %g s, last: %s\n", tries, maxsecs, strerror(lasterr));
    return 1;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 5 && !strcmp(argv[1], "server")) return cmd_server(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 5 && !strcmp(argv[1], "rr")) return cmd_rr(argv[2], atoi(argv[3]), atof(argv[4]));
    if (argc >= 5 && !strcmp(argv[1], "crr")) return cmd_crr(argv[2], atoi(argv[3]), atof(argv[4]));
    if (argc >= 6 && !strcmp(argv[1], "hold"))
        return cmd_hold(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (argc >= 5 && !strcmp(argv[1], "first")) return cmd_first(argv[2], atoi(argv[3]), atof(argv[4]));
    fprintf(stderr,
            "usage: tcpbench server ADDR PORT MAXSECS | rr ADDR PORT SECS | crr ADDR PORT SECS"
            " | hold ADDR PORT N SECS | first ADDR PORT MAXSECS\n");
    return 2;
}
