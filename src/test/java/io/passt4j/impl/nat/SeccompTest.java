package io.passt4j.impl.nat;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The seccomp deny-list the daemon installs after start ({@code Isolation}), in a JVM of its own
 * (the filter can't be taken off again, so not in the test's): with no_new_privs set on one
 * thread and the filter installed from it, a thread started before has the filter and
 * no_new_privs too (TSYNC); running a program and mounting fail with EPERM; sockets, threads and
 * files still work.
 */
class SeccompTest {

  /** The child JVM's program. */
  public static final class Probe {
    public static void main(String[] args) throws Exception {
      LibC c = LibC.INSTANCE;
      CountDownLatch installed = new CountDownLatch(1);
      CountDownLatch reported = new CountDownLatch(1);
      Thread before = new Thread(() -> {
        try {
          installed.await();
          System.out.println("thread started before: " + threadStatus("NoNewPrivs") + " "
              + threadStatus("Seccomp"));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        reported.countDown();
      });
      before.start();
      System.out.println("no_new_privs: " + c.prctl(LibC.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
      System.out.println("install: " + Seccomp.install());
      installed.countDown();
      reported.await(10, TimeUnit.SECONDS);
      try {
        new ProcessBuilder("/bin/true").start().waitFor();
        System.out.println("exec: allowed");
      } catch (IOException e) {
        System.out.println("exec: " + e.getMessage());
      }
      long r = c.syscall(165, 0, 0, null); // mount
      System.out.println("mount: " + r + " errno " + LibC.errno());
      try (java.nio.channels.SocketChannel s = java.nio.channels.SocketChannel.open()) {
        System.out.println("socket: ok");
      }
      Thread t = new Thread(() -> System.out.println("new thread: " + threadStatus("Seccomp")));
      t.start();
      t.join();
      System.out.println("file: " + Files.readString(Path.of("/proc/self/status")).contains("Seccomp"));
    }

    static String threadStatus(String field) {
      try {
        return Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
            .filter(l -> l.startsWith(field + ":")).findFirst().orElse("?").replace('\t', ' ');
      } catch (IOException e) {
        return "?";
      }
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void deniesExecAndMountOnEveryThreadAndLeavesTheRest() throws Exception {
    assertThat(Seccomp.supported()).as("Linux on x86_64").isTrue();
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Probe.class.getName())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    System.out.print("SECCOMP probe:\n" + out);
    assertThat(out).contains(
        "no_new_privs: 0",
        "install: null",
        "thread started before: NoNewPrivs: 1 Seccomp: 2",
        "exec: Cannot run program \"/bin/true\"",
        "Operation not permitted",
        "mount: -1 errno 1\n",
        "socket: ok",
        "new thread: Seccomp: 2",
        "file: true");
    assertThat(p.exitValue()).isZero();
  }
}
