package io.passt4j.impl.nat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A seccomp deny-list for the running JVM (x86_64): the system calls a network daemon never
 * makes after it started (running programs, debugging other processes, mounts, modules, kexec,
 * BPF, keyrings, clock and host name changes, reboot) fail with EPERM, in every thread (the
 * filter is installed with {@code SECCOMP_FILTER_FLAG_TSYNC}, which also gives every thread
 * no_new_privs). passt installs an allow-list of a few dozen calls; a JVM makes too many, and
 * too unpredictably (garbage collection, the JIT, class loading), for one.
 */
public final class Seccomp {

  private Seccomp() {}

  private static final int SYS_SECCOMP = 317;
  private static final int SECCOMP_SET_MODE_FILTER = 1;
  private static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
  private static final int AUDIT_ARCH_X86_64 = 0xc000003e;
  private static final int X32_SYSCALL_BIT = 0x40000000;
  private static final int RET_ALLOW = 0x7fff0000;
  private static final int RET_ERRNO_EPERM = 0x00050000 | 1;
  private static final int LD_W_ABS = 0x20;
  private static final int JEQ_K = 0x15;
  private static final int JGE_K = 0x35;
  private static final int RET_K = 0x06;

  /** Denied system calls (x86_64 numbers). */
  static final int[] DENIED = {
    59, 322,           // execve, execveat
    101, 310, 311,     // ptrace, process_vm_readv, process_vm_writev
    165, 166, 155, 161, 428, 429, 430, 431, 432, 433, 442, // mount family, pivot_root, chroot
    175, 176, 313,     // init_module, delete_module, finit_module
    246, 320,          // kexec_load, kexec_file_load
    321, 298, 323,     // bpf, perf_event_open, userfaultfd
    248, 249, 250,     // add_key, request_key, keyctl
    163, 167, 168, 169, 179, // acct, swapon, swapoff, reboot, quotactl
    170, 171,          // sethostname, setdomainname
    159, 164, 227, 305, // adjtimex, settimeofday, clock_settime, clock_adjtime
    172, 173,          // iopl, ioperm
    303, 304,          // name_to_handle_at, open_by_handle_at
  };

  /** Whether this JVM can take the filter: Linux on x86_64. */
  public static boolean supported() {
    return "amd64".equals(System.getProperty("os.arch"))
        && System.getProperty("os.name", "").startsWith("Linux");
  }

  /**
   * Installs the filter on every thread; the caller set no_new_privs first (or holds
   * CAP_SYS_ADMIN). Returns null, or why it failed.
   */
  public static String install() {
    ByteBuffer prog = program();
    int n = prog.remaining() / 8;
    jnr.ffi.Runtime rt = jnr.ffi.Runtime.getRuntime(LibC.INSTANCE);
    Pointer filter = Memory.allocateDirect(rt, prog.remaining(), true);
    filter.put(0, prog.array(), 0, prog.remaining());
    Pointer fprog = Memory.allocateDirect(rt, 16, true);
    fprog.putShort(0, (short) n);
    fprog.putAddress(8, filter.address());
    long r = LibC.INSTANCE.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER,
        SECCOMP_FILTER_FLAG_TSYNC, fprog);
    if (r == 0) return null;
    if (r > 0) return "thread " + r + " could not be synchronised";
    return LibC.lastError();
  }

  /**
   * The BPF program: another architecture or the x32 ABI is denied everything it asks for
   * (EPERM); on x86_64, a denied call gets EPERM and everything else is allowed.
   */
  static ByteBuffer program() {
    ByteBuffer b = ByteBuffer.allocate(8 * (DENIED.length + 6)).order(ByteOrder.nativeOrder());
    int last = DENIED.length + 5; // index of the EPERM return
    ins(b, LD_W_ABS, 0, 0, 4);                                  // 0: arch
    ins(b, JEQ_K, 0, jump(1, last), AUDIT_ARCH_X86_64);         // 1: other arch: EPERM
    ins(b, LD_W_ABS, 0, 0, 0);                                  // 2: syscall number
    ins(b, JGE_K, jump(3, last), 0, X32_SYSCALL_BIT);           // 3: x32: EPERM
    for (int i = 0; i < DENIED.length; i++) {
      int at = 4 + i;
      ins(b, JEQ_K, jump(at, last), 0, DENIED[i]);
    }
    ins(b, RET_K, 0, 0, RET_ALLOW);                             // allowed
    ins(b, RET_K, 0, 0, RET_ERRNO_EPERM);                       // denied
    return b.flip();
  }

  private static int jump(int from, int to) {
    return to - from - 1;
  }

  private static void ins(ByteBuffer b, int code, int jt, int jf, int k) {
    b.putShort((short) code).put((byte) jt).put((byte) jf).putInt(k);
  }
}
