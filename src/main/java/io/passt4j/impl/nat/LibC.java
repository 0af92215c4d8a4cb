package io.passt4j.impl.nat;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls Java lacks, through jnr-ffi: sockets of types the JDK cannot create (ping,
 * netlink), ioctl, setns, splice. All native bindings live in this package.
 *
 * <p>Binding this interface with jnr-ffi's default, a class generated with ASM, takes 0.5 to
 * 1.5 s of a cold JVM; its reflection invoker takes about 0.1 s, and costs microseconds per call
 * where we make a few per flow at most. The launcher chooses the latter with {@code
 * -Djnr.ffi.asm.enabled=false} (a JVM-wide choice, read when jnr-ffi loads; an embedding host
 * may make it too).
 */
public interface LibC {

  int AF_INET = 2;
  int AF_INET6 = 10;
  int SOCK_STREAM = 1;
  int SOCK_DGRAM = 2;
  int SOCK_NONBLOCK = 04000;
  int SOCK_CLOEXEC = 02000000;
  int IPPROTO_ICMP = 1;
  int IPPROTO_ICMPV6 = 58;
  int SOL_SOCKET = 1;
  int SO_BINDTODEVICE = 25;
  int IPPROTO_IPV6 = 41;
  int IPV6_V6ONLY = 26;
  int EACCES = 13;

  int socket(int domain, int type, int protocol);

  int close(int fd);

  /** {@code value} is input ({@code @In}): with {@code @Out} jnr-ffi need not copy it to C. */
  int setsockopt(int fd, int level, int option, @In byte[] value, int len);

  int ioctl(int fd, long request, Pointer arg);

  /** {@code ioctl(2)} with an integer argument ({@code TUNSETOFFLOAD}). */
  int ioctl(int fd, long request, long arg);

  int setns(int fd, int nstype);

  @ssize_t long write(int fd, byte[] buf, @size_t long count);

  String strerror(int errnum);

  int setsid();

  int setgroups(@size_t long size, int[] list);

  int setgid(int gid);

  int setuid(int uid);

  int getuid();

  int geteuid();

  int getgid();

  int open(String path, int flags);

  int dup2(int oldfd, int newfd);

  int O_RDONLY = 0;
  int O_WRONLY = 1;
  int O_RDWR = 2;
  int O_NONBLOCK = 04000;
  int O_CLOEXEC = 02000000;
  int AF_NETLINK = 16;
  int SOCK_RAW = 3;
  int NETLINK_ROUTE = 0;
  int CLONE_NEWNET = 0x40000000;
  int ENXIO = 6;
  int EINTR = 4;

  @ssize_t long read(int fd, byte[] buf, @size_t long count);

  int prctl(int option, long arg2, long arg3, long arg4, long arg5);

  /** The raw system call, for those glibc has no wrapper for (seccomp). */
  long syscall(long number, long arg1, long arg2, Pointer arg3);

  int PR_SET_DUMPABLE = 4;
  int PR_GET_DUMPABLE = 3;
  int PR_SET_NO_NEW_PRIVS = 38;
  int PR_GET_NO_NEW_PRIVS = 39;

  int mkfifo(String path, int mode);

  int if_nametoindex(String name);

  // ---- pasta's splice path (io.passt4j.impl.splice)

  int EAGAIN = 11;
  int SPLICE_F_MOVE = 1;
  int SPLICE_F_NONBLOCK = 2;
  int F_SETPIPE_SZ = 1031;
  int F_GETPIPE_SZ = 1032;

  /**
   * {@code splice(2)} without offsets (both ends are sockets or pipes): bytes moved, 0 at the
   * end of the input, -1 with errno ({@code EAGAIN}: nothing to move now).
   */
  @ssize_t long splice(int fdIn, Pointer offIn, int fdOut, Pointer offOut, @size_t long len,
      int flags);

  /** {@code pipe2(2)}: {@code fds[0]} the read end, {@code fds[1]} the write end. */
  int pipe2(@Out int[] fds, int flags);

  /** {@code fcntl(2)} with an int argument ({@code F_SETPIPE_SZ}, {@code F_GETPIPE_SZ}). */
  int fcntl(int fd, int cmd, int arg);

  /** The loaded library. */
  LibC INSTANCE = LibraryLoader.create(LibC.class).load(Platform.getNativePlatform().getStandardCLibraryName());

  /** The errno of the last failed call on this thread. */
  static int errno() {
    return jnr.ffi.Runtime.getSystemRuntime().getLastError();
  }

  /** {@code strerror(errno())}. */
  static String lastError() {
    return INSTANCE.strerror(errno());
  }
}
