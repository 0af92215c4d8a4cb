package io.passt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The launcher ({@code scripts/passt}, {@code scripts/pasta}) run exactly as users run it, against
 * the packaged jar: background start once ready, foreground one-off, {@code --fd}, option errors,
 * socket path probing, {@code --runas}. Every daemon runs in a network namespace of its own with a
 * fake uplink (documentation addresses, nothing routed anywhere); each case is bounded by
 * timeouts, and every process it started carries a tag in its environment, so that afterwards we
 * can check that none is left (and kill any that is).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LauncherIT {

  /** The repository root (set by Failsafe, else the working directory's parent). */
  static final Path ROOT = Path.of(System.getProperty("passt4j.root", "..")).toAbsolutePath().normalize();

  private static final int NOBODY = 65534;
  /** Debian's passt (0.0~git20230309), where we compare behaviour. */
  private static final String REFERENCE = "/usr/bin/passt";
  private static final String MAIN_CLASS = "io.passt4j.cli.Main";
  private static final String C1_ONLY = "-XX:TieredStopAtLevel=1";
  private static final Duration START = Duration.ofSeconds(60);
  private static final Duration EXIT = Duration.ofSeconds(20);

  /** A fake uplink in the test's own namespace: the daemon needs a usable template interface. */
  private static final String SANDBOX = String.join("\n",
      "ip link set lo up",
      "ip link add eth0 type veth peer name peer0",
      "ip link set peer0 up",
      "ip addr add 198.51.100.2/24 dev eth0",
      "ip link set eth0 up",
      "ip route add default via 198.51.100.1",
      "ip -6 addr add 2001:db8::2/64 dev eth0 nodad",
      "ip -6 route add default via 2001:db8::1 dev eth0",
      "");

  private static final byte[] GUEST_MAC = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  private static final byte[] GUEST_IP = {(byte) 198, 51, 100, 2};
  private static final byte[] GATEWAY = {(byte) 198, 51, 100, 1};

  /** Marks, through the environment, every process this case starts. */
  private final String tag = UUID.randomUUID().toString();
  private final List<Launched> launched = new ArrayList<>();
  private Path dir;

  @BeforeAll
  static void prerequisites() {
    assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
        .as("LauncherIT runs daemons in network namespaces and checks dropping root: run it as root")
        .isZero();
    assertThat(ROOT.resolve("src/target/passt4j-all.jar")).as("the launcher jar (mvn package)").exists();
    assertThat(Path.of("/usr/bin/python3")).as("python3 (apt-get install python3)").exists();
    assertThat(Path.of(REFERENCE)).as("Debian's passt (apt-get install passt)").exists();
  }

  @BeforeEach
  void tempDir() throws IOException {
    dir = Files.createTempDirectory("passt4j-launcher");
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (Launched l : launched) l.kill();
    List<ProcessHandle> left = tagged(Duration.ofSeconds(10));
    left.forEach(ProcessHandle::destroyForcibly);
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertThat(left.stream().map(LauncherIT::cmdline)).as("processes left behind").isEmpty();
  }

  /**
   * Without {@code -f}: the launcher exits 0 once the socket is bound and the PID file written;
   * the PID is the JVM, in a session of its own, detached from our pipes, running as nobody. It
   * serves a qemu-style client, and SIGTERM ends it and removes the socket and the PID file.
   * passt drops to nobody before it binds, so the directory must be writable by nobody.
   */
  @Test
  void backgroundStartOnceReady() throws Exception {
    Path sock = dir.resolve("sock");
    Path pidFile = dir.resolve("pid");
    Launched l = sandboxed("chmod 1777 \"$DIR\"\nexec \"$PASST\" -s \"$DIR/sock\" -P \"$DIR/pid\"\n");
    int rc = l.waitFor(START);
    String err = l.stderr();
    assertThat(rc).as("launcher exit status; stderr:\n%s", err).isZero();
    assertThat(sock).as("socket, when the launcher returned").exists();
    assertThat(pidFile).as("PID file, when the launcher returned").exists();
    long pid = Long.parseLong(Files.readString(pidFile).trim());
    assertThat(err).contains("Don't run as root. Changing to nobody...")
        .contains("UNIX domain socket bound at " + sock);
    assertThat(l.stdout()).isEmpty();

    assertThat(alive(pid)).as("daemon %d alive", pid).isTrue();
    assertThat(cmdline(pid)).contains(MAIN_CLASS)
        .as("passt's JIT: C1 alone (the launcher's default for passt)").contains(C1_ONLY);
    assertThat(session(pid)).as("session of %d", pid).isEqualTo(pid);
    for (int fd = 0; fd <= 2; fd++) {
      assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd))).hasToString("/dev/null");
    }
    assertThat(status(pid, "Uid")).isEqualTo(NOBODY + "\t" + NOBODY + "\t" + NOBODY + "\t" + NOBODY);
    assertIsolated(pid, NOBODY);
    assertThat(Files.getAttribute(sock, "unix:uid")).as("socket owner").isEqualTo(NOBODY);
    assertThat(Files.getAttribute(pidFile, "unix:uid")).as("PID file owner").isEqualTo(NOBODY);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pidFile)))
        .as("PID file mode, as passt's").isEqualTo("rw-------");

    try (SocketChannel ch = connect(sock)) {
      assertArpReply(exchange(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch));
    }

    assertThat(tagged(Duration.ZERO)).as("the leak check sees the daemon")
        .extracting(ProcessHandle::pid).contains(pid);
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy); // SIGTERM
    assertThat(awaitGone(pid, EXIT)).as("daemon %d gone after SIGTERM", pid).isTrue();
    assertThat(sock).as("socket after SIGTERM").doesNotExist();
    assertThat(pidFile).as("PID file after SIGTERM").doesNotExist();
  }

  /**
   * {@code -f -1}: the launcher stays with the daemon and exits 0 when the client goes away.
   * {@code PASST4J_JIT=tiered} gives passt the server compiler too.
   */
  @Test
  void foregroundOneOff() throws Exception {
    Path sock = dir.resolve("sock");
    Launched l = sandboxed("chmod 1777 \"$DIR\"\n"
        + "PASST4J_JIT=tiered exec \"$PASST\" -f -1 -s \"$DIR/sock\"\n");
    awaitSocket(l, sock);
    List<String> jvms = l.process.descendants().map(p -> cmdline(p.pid()))
        .filter(c -> c.contains(MAIN_CLASS)).collect(Collectors.toList());
    assertThat(jvms).as("the launcher's JVM").hasSize(1);
    assertThat(jvms.get(0)).as("PASST4J_JIT=tiered").doesNotContain("TieredStopAtLevel");
    try (SocketChannel ch = connect(sock)) {
      assertArpReply(exchange(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch));
    }
    int rc = l.waitFor(EXIT);
    String err = l.stderr();
    assertThat(rc).as("launcher exit status; stderr:\n%s", err).isZero();
    assertThat(err).contains("UNIX domain socket bound at " + sock)
        .contains("Client closed connection, exiting");
  }

  /**
   * Without privileges: as a mapped unprivileged user (uid and gid 1000 in a user namespace of
   * their own, DESIGN.md §3.8) the daemon starts, keeps its user (nothing to drop), serves the
   * guest and exits when the one-off client leaves.
   */
  @Test
  void unprivilegedUser() throws Exception {
    Path sock = dir.resolve("sock");
    Launched l = sandboxed("chmod 1777 \"$DIR\"\n"
        + "exec unshare --user --map-user=1000 --map-group=1000 -- sh -c "
        + "'[ \"$(id -u)\" = 1000 ] || { echo \"not uid 1000: $(id)\" >&2; exit 9; }; "
        + "exec \"$PASST\" -d -f -1 -s \"$DIR/sock\" -P \"$DIR/pid\"'\n");
    awaitSocket(l, sock);
    // The launcher's JVM runs in the same user namespace: from here, uid 1000 maps to root.
    long pid = awaitPid(l, dir.resolve("pid"));
    assertIsolated(pid, 0);
    try (SocketChannel ch = connect(sock)) {
      assertArpReply(exchange(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch));
    }
    int rc = l.waitFor(EXIT);
    String err = l.stderr();
    assertThat(rc).as("launcher exit status; stderr:\n%s", err).isZero();
    assertThat(err).doesNotContain("Changing to nobody")
        .contains("Isolation: dumpable 0, no_new_privs 1, seccomp deny-list on every thread (mode 2)")
        .contains("UNIX domain socket bound at " + sock)
        .contains("Client closed connection, exiting");
  }

  /**
   * {@code -F 3}: the daemon serves a socket it inherited (one end of a socketpair made by a
   * small relay between our pipes and the other end), and exits when the other end closes (passt:
   * {@code --fd} implies {@code --one-off}). Descriptor 3 on purpose: the launcher must not use it.
   */
  @Test
  void inheritedDescriptor() throws Exception {
    Path relay = dir.resolve("relay.py");
    Files.writeString(relay, RELAY);
    Launched l = sandboxed("exec /usr/bin/python3 \"$DIR/relay.py\" 3 \"$PASST\" -f -F 3\n");
    OutputStream toDaemon = l.process.getOutputStream();
    byte[] reply;
    try {
      reply = exchange(l.process.getInputStream(), toDaemon, toDaemon);
    } catch (AssertionError e) {
      l.kill();
      throw new AssertionError(e.getMessage() + "; stderr:\n" + l.stderr(), e);
    }
    assertArpReply(reply);
    toDaemon.close();
    int rc = l.waitFor(EXIT);
    String err = l.stderr();
    assertThat(rc).as("launcher exit status; stderr:\n%s", err).isZero();
    assertThat(err).contains("Client closed connection, exiting").doesNotContain("bound at");
  }

  /** Bad options die in the option loop with passt's message and status; nothing stays behind. */
  @Test
  void optionErrorsAndInformation() throws Exception {
    expectFailure("exec \"$PASST\" --mtu 70000\n", "Invalid MTU: 70000");
    expectFailure("exec \"$PASST\" -x\n", "passt: invalid option -- 'x'");
    // the reason, not the path again (the JDK's exception message is the path)
    expectFailure("chmod 1777 \"$DIR\"\nexec \"$PASST\" -f -p /nonexistent/x.pcap -s \"$DIR/s\"\n",
        "Failed to open pcap file /nonexistent/x.pcap: No such file or directory");
    expectFailure("PASST4J_JIT=fast exec \"$PASST\" --version\n",
        "passt: PASST4J_JIT must be c1 or tiered, not: fast");
    expectFailure("exec \"$PASTA\" -t 70000\n", "Invalid port specifier 70000");
    expectFailure("exec \"$PASST\" -f --runas nosuchuser\n", "Invalid --runas option: nosuchuser");
    expectFailure("exec \"$PASST\" -f --runas 1000:nosuchgroup\n",
        "Invalid --runas option: 1000:nosuchgroup");
    // A user who may not change identity, as Debian's passt says it.
    expectFailure("exec unshare --user --map-user=1000 --map-group=1000 -- \"$PASST\" -f"
        + " --runas 2000 -s \"$DIR/sock\"\n", "Can't set GID to 2000: Invalid argument");

    Launched v = sandboxed("exec \"$PASST\" --version\n");
    assertThat(v.waitFor(START)).isZero();
    assertThat(v.stdout()).startsWith("passt4j ");
    assertThat(v.stderr()).isEmpty();
    Launched h = sandboxed("exec \"$PASST\" --help\n");
    assertThat(h.waitFor(START)).isZero();
    assertThat(h.stdout()).startsWith("Usage: passt [OPTION]...");
    assertThat(h.stderr()).isEmpty();
    Launched ph = sandboxed("exec \"$PASTA\" --help\n");
    assertThat(ph.waitFor(START)).isZero();
    assertThat(ph.stdout()).startsWith("Usage: pasta [OPTION]...");
  }

  /**
   * Without {@code -s}, the first free /tmp/passt_N.socket, in a private /tmp: a live listener
   * is skipped; a stale socket is reused when the daemon (nobody by then) may remove it, and
   * skipped when it may not. Debian's passt, run the same way, is the reference (it connects,
   * unlinks, binds, and moves on when the bind fails).
   */
  @Test
  void socketPathProbing() throws Exception {
    assertThat(probe("$PASST", NOBODY)).isEqualTo("/tmp/passt_1.socket")
        .isEqualTo(probe(REFERENCE, NOBODY));
    assertThat(probe("$PASST", 0)).isEqualTo("/tmp/passt_3.socket")
        .isEqualTo(probe(REFERENCE, 0));
  }

  /**
   * {@code --runas UID:GID} as root: the daemon runs with those IDs. The launcher's status file
   * is in a directory only root may enter ({@code TMPDIR}): the daemon opened it before dropping.
   */
  @Test
  void runas() throws Exception {
    Path pidFile = dir.resolve("pid");
    Launched l = sandboxed("chmod 1777 \"$DIR\"\nmkdir -m 0700 \"$DIR/private\"\n"
        + "TMPDIR=\"$DIR/private\" exec \"$PASST\" --runas 1000:1000 -s \"$DIR/sock\" -P \"$DIR/pid\"\n");
    int rc = l.waitFor(START);
    assertThat(rc).as("launcher exit status; stderr:\n%s", l.stderr()).isZero();
    long pid = Long.parseLong(Files.readString(pidFile).trim());
    assertThat(cmdline(pid)).contains(MAIN_CLASS);
    assertThat(status(pid, "Uid")).isEqualTo("1000\t1000\t1000\t1000");
    assertThat(status(pid, "Gid")).isEqualTo("1000\t1000\t1000\t1000");
    assertThat(status(pid, "Groups")).isEmpty();
    assertIsolated(pid, 1000);
    assertThat(l.stderr()).doesNotContain("Changing to nobody");
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    assertThat(awaitGone(pid, EXIT)).as("daemon %d gone after SIGTERM", pid).isTrue();
  }

  /**
   * What {@code /proc/PID/status} says after start, as for Debian's passt (see {@link
   * #isolatedLikeDebiansPasst}): user {@code uid} everywhere, no supplementary group, no
   * capability (inheritable, permitted, effective, ambient), no_new_privs, a seccomp filter.
   */
  private static void assertIsolated(long pid, int uid) throws IOException {
    String u = uid + "\t" + uid + "\t" + uid + "\t" + uid;
    assertThat(status(pid, "Uid")).as("Uid of %d", pid).isEqualTo(u);
    assertThat(status(pid, "Gid")).as("Gid of %d", pid).isEqualTo(u);
    assertThat(status(pid, "Groups")).as("Groups of %d", pid).isEmpty();
    for (String cap : new String[] {"CapInh", "CapPrm", "CapEff", "CapAmb"}) {
      assertThat(status(pid, cap)).as("%s of %d", cap, pid).isEqualTo("0000000000000000");
    }
    assertThat(status(pid, "NoNewPrivs")).as("NoNewPrivs of %d", pid).isEqualTo("1");
    assertThat(status(pid, "Seccomp")).as("Seccomp mode of %d", pid).isEqualTo("2");
  }

  /**
   * Started as root, ours and Debian's passt side by side in the same sandbox: forwarded ports
   * below 1024 bound (before the privileges go), the UNIX socket owned by nobody (made after);
   * the same user, groups, capabilities, no_new_privs and seccomp mode in {@code
   * /proc/PID/status} (the bounding set aside: neither empties it, see SECURITY.md). With no
   * "nobody" in /etc/passwd, both go on as 65534, passt's common value.
   */
  @Test
  void isolatedLikeDebiansPasst() throws Exception {
    String fields = "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs|Seccomp):'";
    String both = String.join("\n",
        "chmod 1777 \"$DIR\"",
        "\"$PASST\" -q -t 80 -u 53 -s \"$DIR/ours.sock\" -P \"$DIR/ours.pid\"",
        "/usr/bin/passt -q -t 81 -u 54 -s \"$DIR/deb.sock\" -P \"$DIR/deb.pid\" 2>/dev/null",
        // ports below 1024, bound before the privileges go; the UNIX socket made after
        "for w in 'ours 80 53' 'deb 81 54'; do set -- $w",
        "  ss -Hltn \"sport = :$2\" | grep -q . && echo \"$1 tcp port bound\"",
        "  ss -Hlun \"sport = :$3\" | grep -q . && echo \"$1 udp port bound\"",
        "  echo \"$1 socket owner $(stat -c %u \"$DIR/$1.sock\")\"",
        "done",
        "for w in ours deb; do p=$(cat \"$DIR/$w.pid\"); " + fields
            + " /proc/$p/status | sed \"s/^/$w /\"; kill -KILL $p; done",
        "");
    Launched l = sandboxed(both);
    assertThat(l.waitFor(START)).as("stderr:\n%s", l.stderr()).isZero();
    String out = l.stdout();
    List<String> ours = out.lines().filter(x -> x.startsWith("ours ")).map(x -> x.substring(5)).toList();
    List<String> deb = out.lines().filter(x -> x.startsWith("deb ")).map(x -> x.substring(4)).toList();
    assertThat(ours).as(out).hasSize(12).isEqualTo(deb);
    assertThat(ours).contains("tcp port bound", "udp port bound", "socket owner 65534");
    assertThat(ours).contains("Uid:\t65534\t65534\t65534\t65534", "CapEff:\t0000000000000000",
        "NoNewPrivs:\t1", "Seccomp:\t2");

    Launched n = sandboxed(String.join("\n",
        "grep -v '^nobody:' /etc/passwd > \"$DIR/passwd\"; mount --bind \"$DIR/passwd\" /etc/passwd",
        "chmod 1777 \"$DIR\"",
        "\"$PASST\" -q -s \"$DIR/sock\" -P \"$DIR/pid\"",
        "p=$(cat \"$DIR/pid\"); grep '^Uid:' /proc/$p/status; kill $p",
        ""));
    assertThat(n.waitFor(START)).as("stderr:\n%s", n.stderr()).isZero();
    assertThat(n.stdout()).contains("Uid:\t65534\t65534\t65534\t65534");
  }

  // ---- helpers

  /**
   * One probing run of {@code daemon} in a private /tmp: passt_1 a stale socket owned by
   * {@code staleOwner}, passt_2 a live listener anyone could remove; returns the path the daemon
   * reported. SIGKILL ends it: Debian's passt is PID 1 of its own PID namespace by then, deaf to
   * SIGTERM, and the private /tmp goes away with the namespace anyway.
   */
  private String probe(String daemon, int staleOwner) throws Exception {
    Launched l = sandboxed(String.join("\n",
        // A private /tmp hides a checkout that lives under /tmp (CI may clone there): keep the
        // launcher reachable by binding the checkout back in place over the new tmpfs.
        "root=$(cd \"$(dirname \"$PASST\")/..\" && pwd)",
        "keep=$(mktemp -d /run/passt4j-it.XXXXXX)",
        "mount --bind \"$root\" \"$keep\"",
        "mount -t tmpfs tmpfs /tmp",
        "case \"$root\" in /tmp/*) mkdir -p \"$root\" && mount --bind \"$keep\" \"$root\" ;; esac",
        "umount \"$keep\"; rmdir \"$keep\"",
        "/usr/bin/python3 -c '",
        "import os, socket, time",
        "s = socket.socket(socket.AF_UNIX); s.bind(\"/tmp/passt_1.socket\"); s.close()",
        "os.chown(\"/tmp/passt_1.socket\", " + staleOwner + ", " + staleOwner + ")",
        "l = socket.socket(socket.AF_UNIX); l.bind(\"/tmp/passt_2.tmp\"); l.listen(1)",
        "os.chmod(\"/tmp/passt_2.tmp\", 0o777); os.chown(\"/tmp/passt_2.tmp\", 65534, 65534)",
        "os.rename(\"/tmp/passt_2.tmp\", \"/tmp/passt_2.socket\")",
        "time.sleep(60)' &",
        "listener=$!",
        "while [ ! -S /tmp/passt_2.socket ]; do sleep 0.05; done",
        "rc=0",
        "\"" + daemon + "\" -P /tmp/pid || rc=$?",
        "if [ -s /tmp/pid ]; then",
        "  pid=$(cat /tmp/pid); kill -KILL $pid",
        "  while [ -e /proc/$pid ] && ! grep -q '^State:.*Z' /proc/$pid/status; do sleep 0.05; done",
        "fi",
        "[ -S /tmp/passt_2.socket ] || { echo 'live socket removed' >&2; rc=9; }",
        "kill $listener",
        "exit $rc",
        ""));
    int rc = l.waitFor(START);
    String err = l.stderr();
    assertThat(rc).as("probing run of %s; stderr:\n%s", daemon, err).isZero();
    List<String> bound = err.lines().filter(s -> s.startsWith("UNIX domain socket bound at "))
        .map(s -> s.substring("UNIX domain socket bound at ".length())).toList();
    assertThat(bound).as("stderr:\n%s", err).hasSize(1);
    return bound.get(0);
  }

  private void expectFailure(String script, String message) throws Exception {
    Launched l = sandboxed(script);
    int rc = l.waitFor(START);
    String err = l.stderr();
    assertThat(rc).as("exit status of `%s`; stderr:\n%s", script.trim(), err).isEqualTo(1);
    assertThat(err).contains(message);
    assertThat(l.stdout()).isEmpty();
    assertThat(tagged(Duration.ofSeconds(5))).as("processes left by `%s`", script.trim()).isEmpty();
  }

  /** Runs {@code script} with sh in a new network and mount namespace holding a fake uplink. */
  private Launched sandboxed(String script) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("unshare", "--net", "--mount", "sh", "-ec", SANDBOX + script);
    pb.environment().put("PASST4J_IT_TAG", tag);
    pb.environment().put("PASST", ROOT.resolve("scripts/passt").toString());
    pb.environment().put("PASTA", ROOT.resolve("scripts/pasta").toString());
    pb.environment().put("DIR", dir.toString());
    Launched l = new Launched(pb.start());
    launched.add(l);
    return l;
  }

  /** Waits for the socket of a foreground daemon, or for the launcher to die. */
  private static void awaitSocket(Launched l, Path sock) throws Exception {
    long deadline = System.nanoTime() + START.toNanos();
    while (!Files.exists(sock)) {
      if (!l.process.isAlive()) fail("launcher exited with %d; stderr:\n%s", l.process.exitValue(), l.stderr());
      if (System.nanoTime() > deadline) fail("no socket at %s", sock);
      Thread.sleep(50);
    }
  }

  /**
   * Waits for a foreground daemon's PID file (written once it serves, just after the socket is
   * bound) and returns the PID in it.
   */
  private static long awaitPid(Launched l, Path file) throws Exception {
    long deadline = System.nanoTime() + START.toNanos();
    while (true) {
      String s = Files.exists(file) ? Files.readString(file) : "";
      if (s.endsWith("\n")) return Long.parseLong(s.trim());
      if (!l.process.isAlive()) fail("launcher exited with %d; stderr:\n%s", l.process.exitValue(), l.stderr());
      if (System.nanoTime() > deadline) fail("no PID in %s", file);
      Thread.sleep(50);
    }
  }

  private static SocketChannel connect(Path sock) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(sock));
    return ch;
  }

  /**
   * Sends an ARP request for the gateway from the guest, as qemu frames it (4-byte big-endian
   * length, then the frame), and returns the first ARP frame that comes back. Gives up after 10
   * seconds, closing {@code onTimeout} to unblock the read.
   */
  private static byte[] exchange(InputStream in, OutputStream out, AutoCloseable onTimeout)
      throws Exception {
    ByteBuffer f = ByteBuffer.allocate(4 + 42);
    f.putInt(42);
    f.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(GUEST_MAC).putShort((short) 0x0806);
    f.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
    f.put(GUEST_MAC).put(GUEST_IP).put(new byte[6]).put(GATEWAY);
    out.write(f.array());
    out.flush();
    CompletableFuture<byte[]> reply = CompletableFuture.supplyAsync(() -> {
      try {
        while (true) {
          int len = ByteBuffer.wrap(in.readNBytes(4)).getInt();
          byte[] frame = in.readNBytes(len);
          if (frame.length < len) throw new IOException("short frame");
          if (frame.length >= 42 && frame[12] == 0x08 && frame[13] == 0x06) return frame;
        }
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    try {
      return reply.get(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      onTimeout.close();
      throw new AssertionError("no ARP reply within 10 s");
    } catch (ExecutionException e) {
      throw new AssertionError("no ARP reply", e.getCause());
    }
  }

  /** An ARP reply to the guest: the gateway's address is at some MAC. */
  private static void assertArpReply(byte[] f) {
    ByteBuffer b = ByteBuffer.wrap(f);
    assertThat(Arrays.copyOfRange(f, 0, 6)).as("destination MAC").isEqualTo(GUEST_MAC);
    assertThat(b.getShort(20)).as("ARP operation").isEqualTo((short) 2);
    assertThat(Arrays.copyOfRange(f, 28, 32)).as("sender IP").isEqualTo(GATEWAY);
    assertThat(Arrays.copyOfRange(f, 32, 38)).as("target MAC").isEqualTo(GUEST_MAC);
    assertThat(Arrays.copyOfRange(f, 38, 42)).as("target IP").isEqualTo(GUEST_IP);
  }

  /** Live processes carrying this case's tag, once {@code grace} has passed or none is left. */
  private List<ProcessHandle> tagged(Duration grace) throws InterruptedException {
    long deadline = System.nanoTime() + grace.toNanos();
    byte[] marker = ("PASST4J_IT_TAG=" + tag).getBytes(StandardCharsets.US_ASCII);
    while (true) {
      List<ProcessHandle> found = ProcessHandle.allProcesses()
          .filter(p -> p.pid() != ProcessHandle.current().pid())
          .filter(p -> alive(p.pid()) && contains(environ(p.pid()), marker)).toList();
      if (found.isEmpty() || System.nanoTime() > deadline) return found;
      Thread.sleep(100);
    }
  }

  private static byte[] environ(long pid) {
    try {
      return Files.readAllBytes(Path.of("/proc/" + pid + "/environ"));
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return true;
    }
    return false;
  }

  /** Whether {@code pid} exists and is not a zombie (our init may not reap orphans promptly). */
  private static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean awaitGone(long pid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (alive(pid)) {
      if (System.nanoTime() > deadline) return false;
      Thread.sleep(50);
    }
    return true;
  }

  /** Field 6 of /proc/PID/stat: the session ID. */
  private static long session(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[3]);
  }

  private static String status(long pid, String field) throws IOException {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
        .filter(s -> s.startsWith(field + ":")).map(s -> s.substring(field.length() + 1).trim())
        .findFirst().orElseThrow();
  }

  private static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private static String cmdline(ProcessHandle p) {
    return p.pid() + ": " + cmdline(p.pid());
  }

  /**
   * Relays between its stdin/stdout and one end of a socketpair, whose other end a child gets as
   * descriptor argv[1] while it runs argv[2:]; closes its end at EOF on stdin, and exits with the
   * child's status.
   */
  private static final String RELAY = """
      import os, select, socket, sys
      fd = int(sys.argv[1])
      mine, theirs = socket.socketpair()
      pid = os.fork()
      if pid == 0:
          mine.close()
          os.dup2(theirs.fileno(), fd)
          os.set_inheritable(fd, True)
          os.execv(sys.argv[2], sys.argv[2:])
      theirs.close()
      while True:
          r, _, _ = select.select([0, mine], [], [])
          if 0 in r:
              data = os.read(0, 65536)
              if not data:
                  break
              mine.sendall(data)
          if mine in r:
              data = mine.recv(65536)
              if not data:
                  break
              os.write(1, data)
      mine.close()
      _, st = os.waitpid(pid, 0)
      sys.exit(os.waitstatus_to_exitcode(st))
      """;

  /** A process we started, with its output collected as it comes. */
  private static final class Launched {
    final Process process;
    private final CompletableFuture<String> err;
    /** Collected on demand: with {@code --fd}, standard output carries frames. */
    private CompletableFuture<String> out;

    Launched(Process p) {
      this.process = p;
      this.err = collect(p.getErrorStream());
    }

    private static CompletableFuture<String> collect(InputStream in) {
      CompletableFuture<String> f = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (in) {
          in.transferTo(b);
        } catch (IOException e) {
          // closed under us: keep what we have
        }
        f.complete(b.toString(StandardCharsets.UTF_8));
      }, "launcher-output");
      t.setDaemon(true);
      t.start();
      return f;
    }

    int waitFor(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
        fail("launcher still running after %s", timeout);
      }
      return process.exitValue();
    }

    /** Standard error up to EOF: nobody (the detached daemon included) may still hold it. */
    String stderr() throws Exception {
      return drained(err, "stderr");
    }

    /** Standard output up to EOF, as {@link #stderr()}. */
    String stdout() throws Exception {
      if (out == null) out = collect(process.getInputStream());
      return drained(out, "stdout");
    }

    private String drained(CompletableFuture<String> f, String what) throws Exception {
      try {
        return f.get(10, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError(what + " of the launcher still open 10 s after it exited");
      }
    }

    void kill() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
