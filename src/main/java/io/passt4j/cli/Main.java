package io.passt4j.cli;

import io.passt4j.Passt4jVerticle;
import io.passt4j.PasstConfig;
import io.passt4j.impl.Counters;
import io.passt4j.impl.IoErrors;
import io.passt4j.impl.Logging;
import io.passt4j.impl.nat.LibC;
import io.passt4j.impl.ns.PastaNamespace;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The command-line program behind {@code scripts/passt} and {@code scripts/pasta}: parse the
 * options, derive the configuration from the host, drop privileges, start passt4j on Vert.x,
 * and tell the launcher when it is ready (the launcher does passt's fork to background).
 */
public final class Main {

  /** Environment variable naming the file through which we tell the launcher our state. */
  static final String STATUS_FILE = "PASST4J_STATUS_FILE";

  private Main() {}

  public static void main(String[] argv) {
    String argv0 = "passt";
    String[] args = argv;
    if (argv.length >= 2 && argv[0].equals("--argv0")) {
      argv0 = argv[1];
      args = Arrays.copyOfRange(argv, 2, argv.length);
    }
    System.exit(run(argv0, args, System.out, System.err));
  }

  /** Runs to completion; returns the exit status. */
  static int run(String argv0, String[] args, PrintStream out, PrintStream err) {
    Options o;
    try {
      o = OptionsParser.parse(Options.modeFromProgramName(argv0), argv0, args);
    } catch (OptionsException e) {
      err.println(e.getMessage());
      return e.exitCode();
    }
    if (o.help) {
      OptionsParser.usage(o.mode, out);
      return 0;
    }
    if (o.version) {
      out.print(Version.text());
      return 0;
    }
    ClassLoader plugins;
    try {
      plugins = PluginDirectory.open(o.pluginDir);
    } catch (IOException e) {
      err.println("--plugin-dir: " + IoErrors.reason(e) + ": " + o.pluginDir);
      return 1;
    }
    if (o.listPlugins) {
      try {
        HostProbe.apply(o, new io.passt4j.impl.host.HostDetector(), null);
      } catch (OptionsException e) {
        // list against the configuration as given: selectors then cover both families
      }
      PluginDirectory.list(o.config, plugins, out);
      return 0;
    }
    if (o.runas != null) {
      try {
        Privileges.resolve(o.runas); // as passt, before looking at the host
      } catch (Privileges.Failure e) {
        err.println(e.getMessage());
        return 1;
      }
    }
    if (o.mode == PasstConfig.Mode.PASTA && o.userns != null) {
      try {
        if (UserNamespace.mustEnter(o.userns)) {
          report("userns " + o.userns); // the launcher runs us again in it
          return 0;
        }
      } catch (UserNamespace.Failure e) {
        err.println(e.getMessage());
        return 1;
      }
    }
    configureLogging(o, err);
    try {
      HostProbe.apply(o);
    } catch (OptionsException e) {
      err.println(e.getMessage());
      return e.exitCode();
    }
    // pasta running a command stays with it, as Debian's pasta does, and exits with its status
    if (o.mode == PasstConfig.Mode.PASTA && o.netns == null) o.foreground = true;
    report(o.foreground ? "foreground" : "daemon");
    PastaNamespace ns = null;
    if (o.mode == PasstConfig.Mode.PASTA) {
      ns = namespace(o, err); // as who we were started: needs the namespace's capabilities
      if (ns == null) return 1;
      o.config.tapFd = ns.tapFd();
      o.config.guestMac = ns.tapMac();
    }
    info(StartupInfo.text(o));
    try {
      return serve(o, plugins, err, ns);
    } finally {
      if (ns != null) ns.close();
    }
  }

  /**
   * pasta: the command's namespaces (or the ones to join), the tap device in them and, with
   * {@code --config-net}, its configuration; null after printing why it failed.
   */
  private static PastaNamespace namespace(Options o, PrintStream err) {
    PastaNamespace ns = null;
    try {
      ns = o.netns == null ? PastaNamespace.spawn(o.command) : PastaNamespace.join(o.netns);
      for (String w : ns.setUp(o.nsIfname, o.nsMacAddr, o.config, o.configNet)) {
        if (!o.quiet) err.println(w);
      }
      return ns;
    } catch (PastaNamespace.Failure e) {
      err.println(e.getMessage());
      if (ns != null) ns.close();
      return null;
    }
  }

  private static int serve(Options o, ClassLoader plugins, PrintStream err,
      PastaNamespace ns) {
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setPreferNativeTransport(true)
        .setEventLoopPoolSize(1)
        .setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1)
        .setBlockedThreadCheckInterval(10)
        .setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
    if (!vertx.isNativeTransportEnabled()) {
      err.println("native epoll transport unavailable: " + vertx.unavailableNativeTransportCause());
      vertx.close();
      return 1;
    }
    PasstConfig cfg = o.config;
    cfg.flowEvents = false; // no one can listen on this process's event bus
    Passt4jVerticle verticle = new Passt4jVerticle(cfg, plugins);
    if (ns != null) verticle.withNamespace(ns.executor());
    // As passt: forwarded ports are bound as who we were started (ports below 1024 as root),
    // then privileges go, before the UNIX socket, the capture file and the PID file are made.
    verticle.afterBinding(() -> {
      try {
        Privileges.drop(o.runas);
      } catch (Privileges.Failure e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
      Isolation.apply(); // from here on no program is run, nothing gains privileges
    });
    CountDownLatch done = new CountDownLatch(1);
    int[] status = {0};
    vertx.deployVerticle(verticle).onComplete(ar -> {
      if (ar.failed()) {
        err.println(ar.cause().getMessage());
        status[0] = 1;
        done.countDown();
        return;
      }
      if (cfg.mode == PasstConfig.Mode.PASST && verticle.socketPath() != null) {
        info(socketInfo(verticle.socketPath()));
      }
      if (o.pidFile != null) {
        try {
          writePidFile(Path.of(o.pidFile));
        } catch (IOException e) {
          err.println("Failed to write PID file " + o.pidFile + ": " + IoErrors.reason(e));
          status[0] = 1;
          done.countDown();
          return;
        }
      }
      if (!o.foreground) detach(o);
      verticle.finished().onComplete(x -> {
        if (x.failed()) status[0] = 1; // the guest's link broke (tap device gone): as passt
        done.countDown();
      });
      if (ns != null && ns.child() != null) {
        Logging.log(Logging.DEBUG, "Namespace ready, running the command");
        ns.release();
        ns.child().onExit().thenAccept(p -> {
          status[0] = p.exitValue();
          done.countDown();
        });
      } else if (ns != null && !o.noNetnsQuit) {
        vertx.setPeriodic(NETNS_CHECK_MS, id -> {
          if (!namespaceAlive(o)) {
            info("Namespace " + o.netns + " is gone, exiting");
            done.countDown();
          }
        });
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      signalled = true;
      done.countDown();
      if (o.pidFile != null) {
        try {
          Files.deleteIfExists(Path.of(o.pidFile));
        } catch (IOException ignored) {
          // best effort
        }
      }
    }));
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      // the guest's frames stop first, then everything else goes
      verticle.stopGuestLink().await(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway
    }
    try {
      vertx.close().await(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // exiting anyway
    }
    // A signal ends the JVM once the hooks ran: no time to write a whole archive then. A run
    // that carried no TCP would leave the data path out of the archive: let a later one write it.
    if (!signalled && carriedTcp(verticle)) ClassDataArchive.dumpIfAsked();
    return status[0];
  }

  private static boolean carriedTcp(Passt4jVerticle v) {
    Counters c = v.instance() == null ? null : v.instance().counters.get("tcp");
    return c != null && c.framesIn.sum() > 0;
  }

  /** A signal (or System.exit elsewhere) started the JVM's shutdown. */
  private static volatile boolean signalled;

  /** How often pasta looks whether the namespace it joined still exists. */
  private static final long NETNS_CHECK_MS = 1000;

  /** The namespace joined is still there: its file (--netns) or the process (pasta PID). */
  private static boolean namespaceAlive(Options o) {
    if (o.targetPid >= 0) return ProcessHandle.of(o.targetPid).isPresent();
    return Files.exists(Path.of(o.netns));
  }

  /** Writes our PID; a new file gets mode 0600, as passt's open(O_CREAT | O_TRUNC, 0600). */
  private static void writePidFile(Path p) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(p,
        EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
    }
  }

  /** The lines passt prints once the socket is bound. */
  static String socketInfo(String path) {
    return "UNIX domain socket bound at " + path + "\n"
        + "\n"
        + "You can now start qemu (>= 7.2, with commit 13c6be96618c):\n"
        + "    kvm ... -device virtio-net-pci,netdev=s -netdev stream,id=s,server=off,"
        + "addr.type=unix,addr.path=" + path + "\n"
        + "or qrap, for earlier qemu versions:\n"
        + "    ./qrap 5 kvm ... -net socket,fd=5 -net nic,model=virtio\n";
  }

  /** Informational lines, as passt's info(): not with -q, to the log file with -l. */
  private static void info(String text) {
    String t = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    for (String line : t.split("\n", -1)) Logging.log(Logging.INFO, line);
  }

  private static void configureLogging(Options o, PrintStream err) {
    int level = o.trace ? Logging.TRACE : o.debug ? Logging.DEBUG : o.quiet ? Logging.WARN : Logging.INFO;
    Logging.setLevel(level);
    if (o.logFile != null) {
      try {
        Logging.setFile(o.logFile, o.logSize);
        Logging.setStderr(o.stderr);
      } catch (IOException e) {
        err.println("Failed to open log file " + o.logFile + ": " + IoErrors.reason(e));
      }
    }
  }

  /**
   * Becomes a daemon: a new session, standard streams on /dev/null (unless {@code -e}), and the
   * launcher is told we are ready, so it exits 0.
   */
  private static void detach(Options o) {
    LibC c = LibC.INSTANCE;
    c.setsid();
    int fd = c.open("/dev/null", LibC.O_RDWR);
    if (fd >= 0) {
      c.dup2(fd, 0);
      c.dup2(fd, 1);
      if (!o.stderr) c.dup2(fd, 2);
      if (fd > 2) c.close(fd);
    }
    if (!o.stderr) Logging.setStderr(false);
    report("ready");
  }

  /** The launcher's status file, opened before we drop privileges: we may not reach it after. */
  private static FileChannel statusFile;

  /**
   * Tells the launcher our state ("foreground", "ready"), when it asked to know; "daemon" only
   * opens the file, before the privileges go.
   */
  private static void report(String state) {
    String f = System.getenv(STATUS_FILE);
    if (f == null) return;
    try {
      if (statusFile == null) statusFile = FileChannel.open(Path.of(f), StandardOpenOption.WRITE);
      if (state.equals("daemon")) return;
      statusFile.write(ByteBuffer.wrap(state.getBytes(StandardCharsets.US_ASCII)), 0);
      statusFile.close();
    } catch (IOException e) {
      // the launcher falls back to waiting for us
    }
  }
}
