package io.passt4j.impl.ns;

import io.passt4j.PasstConfig;
import io.passt4j.impl.nat.LibC;
import io.passt4j.impl.nat.Netlink;
import io.passt4j.impl.nat.TapDevice;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The network namespace pasta serves: made for a command (a child {@code unshare} that waits on a
 * FIFO until {@link #release()}) or joined ({@code --netns}, a PID), and the dedicated thread that
 * lives in it; everything that must belong to the namespace (tap device, netlink socket, sysctl)
 * is done on that thread.
 */
public final class PastaNamespace implements AutoCloseable {

  /** What failed, said as the user should read it. */
  public static final class Failure extends Exception {
    public Failure(String msg) {
      super(msg);
    }
  }

  /** How long the child has to create its namespaces. */
  private static final long SPAWN_TIMEOUT_MS = 10_000;
  private static final int EPERM = 1;
  private static final String PING_GROUP_RANGE = "/proc/sys/net/ipv4/ping_group_range";

  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "passt4j-netns");
    t.setDaemon(true);
    return t;
  });
  private final String netnsPath;
  private final Process child;
  private final Path fifoDir;
  private int fifoFd = -1;
  private int tapFd = -1;
  private String tapName;
  private byte[] tapMac;

  private PastaNamespace(String netnsPath, Process child, Path fifoDir, int fifoFd) {
    this.netnsPath = netnsPath;
    this.child = child;
    this.fifoDir = fifoDir;
    this.fifoFd = fifoFd;
  }

  /**
   * Starts {@code command} (empty: {@code $SHELL}, else /bin/sh; bash as a login shell, as pasta
   * does) in new network, UTS, IPC and PID namespaces, held before exec until {@link #release()},
   * and joins its network namespace.
   */
  public static PastaNamespace spawn(List<String> command) throws Failure {
    Path dir;
    try {
      dir = Files.createTempDirectory("passt4j-pasta");
    } catch (IOException e) {
      throw new Failure("Can't create a temporary directory: " + e.getMessage());
    }
    Path fifo = dir.resolve("release");
    LibC c = LibC.INSTANCE;
    if (c.mkfifo(fifo.toString(), 0600) != 0) {
      String err = LibC.lastError();
      deleteQuietly(fifo, dir);
      throw new Failure("Can't create FIFO " + fifo + ": " + err);
    }
    List<String> argv = new ArrayList<>(List.of("unshare", "--net", "--uts", "--ipc", "--pid",
        "--fork", "--kill-child", "--", "/bin/sh", "-c",
        "read -r _ < \"$0\" || exit 1; exec \"$@\"", fifo.toString()));
    argv.addAll(command.isEmpty() ? defaultShell() : command);
    Process p;
    try {
      p = new ProcessBuilder(argv).inheritIO().start();
    } catch (IOException e) {
      deleteQuietly(fifo, dir);
      throw new Failure("Can't start the command's namespace (unshare): " + e.getMessage());
    }
    // The child opens the FIFO for reading after unshare(2): once it does, its namespaces exist.
    int fd = -1;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SPAWN_TIMEOUT_MS);
    while (fd < 0) {
      fd = c.open(fifo.toString(), LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
      if (fd >= 0) break;
      if (!p.isAlive() || System.nanoTime() > deadline) {
        p.destroyForcibly();
        deleteQuietly(fifo, dir);
        throw new Failure("Failed to create the namespaces for the command"
            + (p.isAlive() ? " (timeout)" : ": unshare exited with status " + p.exitValue()));
      }
      sleep(5);
    }
    PastaNamespace ns = new PastaNamespace("/proc/" + p.pid() + "/ns/net", p, dir, fd);
    try {
      ns.enter();
    } catch (Failure e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  /** Joins the network namespace at {@code path} ({@code --netns}, /proc/PID/ns/net). */
  public static PastaNamespace join(String path) throws Failure {
    if (!Files.exists(Path.of(path))) throw new Failure("Can't open network namespace " + path
        + ": No such file or directory");
    PastaNamespace ns = new PastaNamespace(path, null, null, -1);
    try {
      ns.enter();
    } catch (Failure e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  private static List<String> defaultShell() {
    String sh = System.getenv("SHELL");
    if (sh == null || sh.isEmpty()) sh = "/bin/sh";
    return sh.contains("/bash") ? List.of(sh, "-l") : List.of(sh);
  }

  /** Moves the namespace thread into the network namespace. */
  private void enter() throws Failure {
    onThread(() -> {
      LibC c = LibC.INSTANCE;
      int fd = c.open(netnsPath, LibC.O_RDONLY | LibC.O_CLOEXEC);
      if (fd < 0) throw new Failure("Can't open network namespace " + netnsPath + ": "
          + LibC.lastError());
      int rc = c.setns(fd, LibC.CLONE_NEWNET);
      int errno = rc != 0 ? LibC.errno() : 0;
      c.close(fd);
      if (rc != 0) {
        throw new Failure("Can't join network namespace " + netnsPath + ": " + c.strerror(errno)
            + (errno == EPERM ? " (only the network namespace is joined, not its user"
                + " namespace: run in the user namespace that owns it)" : ""));
      }
      return null;
    });
  }

  /**
   * Creates the tap device {@code name}, brings {@code lo} up and, for a namespace we made, sets
   * {@code ping_group_range}; with {@code configNet}, sets the tap up with the MTU, the
   * addresses and the default routes of {@code cfg}, over netlink. Returns warnings to print.
   */
  public List<String> setUp(String name, byte[] nsMac, PasstConfig cfg, boolean configNet)
      throws Failure {
    return onThread(() -> {
      List<String> warnings = new ArrayList<>();
      try {
        TapDevice.Opened tap = TapDevice.open(name);
        tapFd = tap.fd();
        tapName = tap.name();
        tapMac = nsMac != null ? nsMac.clone() : tap.mac();
      } catch (IOException e) {
        throw new Failure(e.getMessage());
      }
      if (child != null) {
        try {
          Files.writeString(Path.of(PING_GROUP_RANGE), "0 0");
        } catch (IOException e) {
          warnings.add("Cannot set ping_group_range, ICMP requests might fail");
        }
      }
      try (Netlink nl = new Netlink()) {
        nl.linkUp(Netlink.index("lo"), 0, null);
        int ifi = Netlink.index(tapName);
        if (configNet) {
          nl.linkUp(ifi, cfg.mtu, nsMac);
          if (cfg.ipv4 && cfg.addr4 != null) {
            nl.addAddress(ifi, cfg.addr4, cfg.prefixLen4);
            if (cfg.gateway4 != null) nl.addDefaultRoute(ifi, cfg.gateway4);
          }
          if (cfg.ipv6 && cfg.addr6 != null) {
            nl.addAddress(ifi, cfg.addr6, 64);
            if (cfg.gateway6 != null) nl.addDefaultRoute(ifi, cfg.gateway6);
          }
        } else if (nsMac != null) {
          nl.linkMac(ifi, nsMac);
        }
      } catch (IOException e) {
        throw new Failure("Couldn't configure the namespace: " + e.getMessage());
      }
      return warnings;
    });
  }

  /** The tap device's descriptor (blocking), or -1 before {@link #setUp}. */
  public int tapFd() {
    return tapFd;
  }

  /**
   * The tap device's MAC address in the namespace (the guest's), or null when it could not be
   * read; known before the namespace sends anything, so the first frames to it are unicast.
   */
  public byte[] tapMac() {
    return tapMac == null ? null : tapMac.clone();
  }

  /** The tap device's name. */
  public String tapName() {
    return tapName;
  }

  /** The command's process ({@code unshare}, whose status is the command's), or null. */
  public Process child() {
    return child;
  }

  /** The network namespace's path. */
  public String netnsPath() {
    return netnsPath;
  }

  /** Lets the command run: it was waiting for the namespace to be ready. */
  public void release() {
    if (fifoFd < 0) return;
    byte[] nl = "\n".getBytes(StandardCharsets.US_ASCII);
    LibC.INSTANCE.write(fifoFd, nl, 1);
    LibC.INSTANCE.close(fifoFd);
    fifoFd = -1;
    deleteQuietly(fifoDir.resolve("release"), fifoDir);
  }

  /**
   * The namespace thread, for work that must happen in the namespace without waiting for it
   * (sockets of the splice path, reading {@code /proc/thread-self/net}).
   */
  public java.util.concurrent.Executor executor() {
    return thread;
  }

  /** Runs {@code task} on the namespace thread and waits for it. */
  public <T> T onThread(Callable<T> task) throws Failure {
    try {
      return thread.submit(task).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Failure f) throw f;
      throw new Failure(String.valueOf(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure("interrupted");
    }
  }

  /** Stops a command that was never released, closes what is still open. */
  @Override
  public void close() {
    if (fifoFd >= 0) {
      LibC.INSTANCE.close(fifoFd); // the held child reads EOF and exits
      fifoFd = -1;
      if (child != null) child.destroy();
    }
    if (fifoDir != null) deleteQuietly(fifoDir.resolve("release"), fifoDir);
    thread.shutdownNow();
  }

  private static void deleteQuietly(Path... paths) {
    for (Path p : paths) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // a temporary file
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
