package io.passt4j.cli;

import io.passt4j.impl.Logging;
import io.passt4j.impl.nat.LibC;
import io.passt4j.impl.nat.Seccomp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a JVM can do of passt's self-isolation ({@code isolation.c}), once the privileges are
 * dropped: not dumpable ({@code PR_SET_DUMPABLE} 0: no core dumps, no ptrace by the same user, so
 * a compromised guest-facing process of another user's VM can't read our memory), no new
 * privileges ({@code PR_SET_NO_NEW_PRIVS}: no program run later gains capabilities or a setuid
 * identity), and a seccomp deny-list ({@link Seccomp}) on every thread. What it cannot do (an
 * allow-list of system calls, detaching into its own mount, IPC and UTS namespaces, dropping the
 * capability bounding set of threads that already run) is in SECURITY.md.
 */
final class Isolation {

  private Isolation() {}

  /** Applies what it can; failures are warnings (passt's isolation is not optional, ours can't
   * all be guaranteed on every kernel). Returns the state, as the debug log line says it. */
  static String apply() {
    LibC c = LibC.INSTANCE;
    if (c.prctl(LibC.PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
      Logging.log(Logging.WARN, "Couldn't set PR_SET_DUMPABLE: " + LibC.lastError());
    }
    if (c.prctl(LibC.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      Logging.log(Logging.WARN, "Couldn't set PR_SET_NO_NEW_PRIVS: " + LibC.lastError());
    }
    String seccomp;
    if (!Seccomp.supported()) {
      seccomp = "not on " + System.getProperty("os.arch");
    } else {
      String err = Seccomp.install();
      if (err != null) Logging.log(Logging.WARN, "Couldn't install the seccomp filter: " + err);
      seccomp = err == null ? "deny-list on every thread" : "failed";
    }
    String state = "Isolation: dumpable " + c.prctl(LibC.PR_GET_DUMPABLE, 0, 0, 0, 0)
        + ", no_new_privs " + status("NoNewPrivs") + ", seccomp " + seccomp + " (mode "
        + status("Seccomp") + ")";
    Logging.log(Logging.DEBUG, state);
    return state;
  }

  /** A field of this process's (the main thread's) /proc status. */
  private static String status(String field) {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(l -> l.startsWith(field + ":")).map(l -> l.substring(field.length() + 1).trim())
          .findFirst().orElse("?");
    } catch (IOException e) {
      return "?";
    }
  }
}
