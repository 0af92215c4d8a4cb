package io.passt4j.testutil;

import io.passt4j.impl.nat.LibC;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.VertxThread;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxThreadFactory;
import io.vertx.core.transport.Transport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A network namespace the test creates and owns: only {@code lo}, up, and ping sockets allowed
 * for every group ({@code net.ipv4.ping_group_range = 0 2147483647}, which the host's default
 * {@code 1 0} denies even to root). Tests that open host sockets run their Vert.x inside it
 * ({@link #vertx()}: every Vert.x thread enters the namespace before it runs anything) and create
 * their peers with {@link #call}, so no datagram can leave the machine and the host's sysctls
 * stay untouched.
 *
 * <p>Needs root (CI runs as root): the JVM must hold CAP_SYS_ADMIN over the namespace to {@code
 * setns()} into it. Fails loudly otherwise, and when {@code unshare}, {@code nsenter} or {@code
 * ip} are missing.
 */
public final class TestNetns implements AutoCloseable {

  private static final int CLONE_NEWNET = 0x40000000;
  private static final int O_RDONLY = 0;

  private final Process holder;
  private final long pid;
  private final int fd;

  private TestNetns(Process holder, int fd) {
    this.holder = holder;
    this.fd = fd;
    this.pid = holder.pid();
  }

  /** Creates the namespace: a {@code sleep} in a new one holds it, {@code nsenter} sets it up. */
  public static TestNetns create() throws IOException, InterruptedException {
    if (LibC.INSTANCE.geteuid() != 0) {
      throw new IllegalStateException("TestNetns: needs root to setns() into a test namespace"
          + " (run the tests as root, as CI does)");
    }
    Process p = new ProcessBuilder("unshare", "--net", "--", "sleep", "3600")
        .redirectErrorStream(true).start();
    long pid = p.pid();
    Path ns = Path.of("/proc/" + pid + "/ns/net");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (Files.readSymbolicLink(ns).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")))
        || !p.isAlive()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroyForcibly();
        throw new IOException("TestNetns: unshare --net failed: "
            + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      }
      Thread.sleep(10);
    }
    try {
      run("nsenter", "-t", Long.toString(pid), "-n", "ip", "link", "set", "lo", "up");
      run("nsenter", "-t", Long.toString(pid), "-n", "sh", "-c",
          "echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range");
    } catch (IOException | RuntimeException e) {
      p.destroyForcibly();
      throw e;
    }
    int fd = LibC.INSTANCE.open(ns.toString(), O_RDONLY);
    if (fd < 0) {
      p.destroyForcibly();
      throw new IOException("TestNetns: open " + ns + ": " + LibC.lastError());
    }
    return new TestNetns(p, fd);
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("TestNetns: " + String.join(" ", cmd) + " failed: " + out);
    }
  }

  /**
   * Gives the namespace a second, non-loopback interface: a veth pair ({@code tveth0}, {@code
   * tveth1}), both ends inside, with {@code 203.0.113.5/24} and {@code 2001:db8:5::5/64} (no DAD)
   * on {@code tveth0}. Idempotent.
   */
  public synchronized void addUplink() throws IOException, InterruptedException {
    if (uplink) return;
    run("nsenter", "-t", Long.toString(pid), "-n", "sh", "-c",
        "ip link add tveth0 type veth peer name tveth1"
            + " && ip link set tveth1 up && ip link set tveth0 up"
            + " && ip addr add " + UPLINK4 + "/24 dev tveth0"
            + " && ip -6 addr add " + UPLINK6 + "/64 dev tveth0 nodad");
    uplink = true;
  }

  /** Runs {@code script} with sh inside the namespace; fails unless it exits 0 within 10 s. */
  public void sh(String script) throws IOException, InterruptedException {
    run("nsenter", "-t", Long.toString(pid), "-n", "sh", "-c", script);
  }

  /**
   * Starts {@code cmd} inside the namespace, standard error into standard output; the caller
   * reads it and ends the process.
   */
  public Process start(String... cmd) throws IOException {
    java.util.List<String> c = new java.util.ArrayList<>(
        java.util.List.of("nsenter", "-t", Long.toString(pid), "-n", "--"));
    c.addAll(java.util.List.of(cmd));
    return new ProcessBuilder(c).redirectErrorStream(true).start();
  }

  /** The addresses {@link #addUplink()} adds. */
  public static final String UPLINK4 = "203.0.113.5";
  public static final String UPLINK6 = "2001:db8:5::5";
  private boolean uplink;

  /** The PID of the process holding the namespace (for {@code nsenter -t PID -n}). */
  public long pid() {
    return pid;
  }

  /** Moves the calling thread into the namespace (for good). */
  public void enter() {
    if (LibC.INSTANCE.setns(fd, CLONE_NEWNET) != 0) {
      throw new IllegalStateException("TestNetns: setns: " + LibC.lastError());
    }
  }

  /** A Vert.x on native epoll, one event loop, whose threads all live in the namespace. */
  public Vertx vertx() {
    VertxThreadFactory inside = new VertxThreadFactory() {
      @Override
      public VertxThread newVertxThread(Runnable target, String name, boolean worker,
          long maxExecTime, TimeUnit unit) {
        return new VertxThread(() -> {
          enter();
          target.run();
        }, name, worker, maxExecTime, unit);
      }
    };
    if (!Transport.EPOLL.available()) {
      throw new IllegalStateException("TestNetns: native epoll unavailable",
          Transport.EPOLL.unavailabilityCause());
    }
    VertxBootstrap b = VertxBootstrap.create()
        .options(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1))
        .threadFactory(inside);
    b.transport(Transport.EPOLL.implementation());
    return b.init().vertx();
  }

  /** Runs {@code task} on a fresh thread inside the namespace (to create sockets there). */
  public <T> T call(Callable<T> task) throws Exception {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Exception> error = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        enter();
        result.set(task.call());
      } catch (Exception e) {
        error.set(e);
      }
    }, "test-netns");
    t.start();
    t.join();
    if (error.get() != null) throw error.get();
    return result.get();
  }

  @Override
  public void close() {
    LibC.INSTANCE.close(fd);
    holder.destroyForcibly();
  }
}
