package io.passt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestFrames;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.TestNetns;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code -t all} and {@code -u all} in passt mode, side by side with Debian's passt
 * (0.0~git20230309), each daemon in a network namespace of its own with a fake uplink. passt's
 * {@code all} is every non-ephemeral port (below 49152) it can bind: one dual-stack TCP socket
 * per port, one UDP socket per port and family. Binding fails quietly for ports in use or
 * privileged; running out of file descriptors stops it. The machines here allow 20,000
 * descriptors at most, so the namespaces make ports below 40000 privileged ({@code
 * ip_unprivileged_port_start}, with the ephemeral range moved above it) and the daemons run as a
 * mapped unprivileged user: both then bind 40000 to 49151, 9,152 ports, which fits (TCP and UDP
 * in separate runs: together they would not).
 *
 * <p>Checked: the same listening sockets ({@code ss}) as Debian's passt, for {@code -t all} and
 * for {@code -u all}; TCP connections through two of the ports (an IPv4 client on the
 * dual-stack socket, an IPv6 client) and datagrams of both families through another, into a
 * guest played by the test on the qemu socket; with too few descriptors, the same failure and
 * message as Debian's passt. Start-up time, descriptors and resident memory of both are printed.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class PortsAllIT {

  static final Path ROOT = Path.of(System.getProperty("passt4j.root", "..")).toAbsolutePath().normalize();
  static final String REFERENCE = "/usr/bin/passt";
  static final String OURS = ROOT.resolve("scripts/passt").toString();
  /** The ports an unprivileged user can bind in the test namespaces. */
  static final int FIRST = 40000;
  static final int LAST = 49151;

  /** The fake uplink (documentation addresses), and ports below 40000 made privileged. */
  static final String SETUP = String.join("; ",
      "ip link add eth0 type veth peer name peer0", "ip link set peer0 up",
      "ip addr add 198.51.100.2/24 dev eth0", "ip link set eth0 up",
      "ip route add default via 198.51.100.1",
      "ip -6 addr add 2001:db8::2/64 dev eth0 nodad",
      "ip -6 route add default via 2001:db8::1 dev eth0",
      "sysctl -qw net.ipv4.ip_local_port_range='41000 60999'",
      "sysctl -qw net.ipv4.ip_unprivileged_port_start=" + FIRST);

  Path dir;
  final List<AutoCloseable> cleanup = new ArrayList<>();

  @BeforeAll
  static void prerequisites() {
    assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
        .as("PortsAllIT makes network namespaces: run it as root").isZero();
    assertThat(ROOT.resolve("src/target/passt4j-all.jar")).as("the launcher jar (mvn package)").exists();
    assertThat(Path.of(REFERENCE)).as("Debian's passt (apt-get install passt)").exists();
  }

  @BeforeEach
  void tempDir() throws IOException {
    dir = Files.createTempDirectory("passt4j-all");
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) cleanup.get(i).close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  // ---- daemons in namespaces

  TestNetns sandbox() throws Exception {
    TestNetns ns = TestNetns.create();
    cleanup.add(ns);
    run("nsenter", "-t", Long.toString(ns.pid()), "-n", "sh", "-ec", SETUP);
    return ns;
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }

  /** A daemon started as uid 1000 in {@code ns}: its process, PID, start-up time, socket. */
  record Daemon(String name, Process process, long pid, double startSeconds, Path socket,
      Path log) {

    String output() throws IOException {
      return Files.readString(log);
    }

    /** Descriptors, current and peak resident memory, from /proc. */
    String figures() throws IOException {
      long fds;
      try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
        fds = s.count();
      }
      String rss = "?";
      String hwm = "?";
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) rss = l.substring(6).trim();
        if (l.startsWith("VmHWM:")) hwm = l.substring(6).trim();
      }
      return String.format("%s: start-up %.2f s, %d descriptors, RSS %s (peak %s)", name,
          startSeconds, fds, rss, hwm);
    }
  }

  /**
   * Starts {@code binary -f -s SOCKET args} in {@code ns} as a mapped unprivileged user, with at
   * most {@code nofile} descriptors (0: as we have), and waits for its socket, or its end.
   */
  Daemon start(TestNetns ns, String name, String binary, int nofile, String... args)
      throws Exception {
    Path sock = dir.resolve(name + ".socket");
    Path log = dir.resolve(name + ".log");
    List<String> cmd = new ArrayList<>();
    if (nofile > 0) cmd.addAll(List.of("prlimit", "--nofile=" + nofile + ":" + nofile, "--"));
    cmd.addAll(List.of("nsenter", "-t", Long.toString(ns.pid()), "-n", "unshare", "--user",
        "--map-user=1000", "--map-group=1000", "--", binary, "-f", "-s", sock.toString()));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    long t0 = System.nanoTime();
    Process p = pb.start();
    cleanup.add(() -> {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    });
    long deadline = t0 + TimeUnit.SECONDS.toNanos(180);
    while (!Files.exists(sock) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
    double secs = (System.nanoTime() - t0) / 1e9;
    // the daemon itself: the JVM under our launcher, else the process (nsenter, unshare exec)
    long pid = p.descendants().filter(h -> h.info().command().orElse("").endsWith("java"))
        .mapToLong(ProcessHandle::pid).findFirst().orElse(p.pid());
    return new Daemon(name, p, pid, secs, sock, log);
  }

  Daemon started(TestNetns ns, String name, String binary, String... args) throws Exception {
    Daemon d = start(ns, name, binary, 0, args);
    assertThat(Files.exists(d.socket()))
        .as("%s started in time; output:%n%s", name, d.output()).isTrue();
    Thread.sleep(500); // past the socket: everything is bound before passt creates it
    return d;
  }

  /** Listening sockets in {@code ns} ({@code ss -ltn} or {@code -lun}): "ADDR:PORT". */
  static Set<String> listening(TestNetns ns, String proto) throws Exception {
    Set<String> s = new TreeSet<>();
    for (String l : run("nsenter", "-t", Long.toString(ns.pid()), "-n", "ss", "-H", "-ln" + proto)
        .split("\n")) {
      String[] f = l.trim().split("\\s+");
      if (f.length >= 4) s.add(f[3]);
    }
    return s;
  }

  static int port(String addrPort) {
    return Integer.parseInt(addrPort.substring(addrPort.lastIndexOf(':') + 1));
  }

  /**
   * Only the ports -t/-u all can bind here: Debian's passt also binds port 0 (a random port in
   * the ephemeral range, above {@link #LAST} more often than not).
   */
  static Set<String> belowEphemeral(Set<String> s) {
    Set<String> r = new TreeSet<>();
    for (String a : s) if (port(a) <= LAST) r.add(a);
    return r;
  }

  // ---- tests

  /** Our daemon, still running, its namespace, and what Debian's passt bound (TCP, UDP). */
  record SideBySide(Daemon ours, TestNetns ns, Set<String> tcp, Set<String> udp) {}

  /**
   * Runs Debian's passt, then ours, each in a sandbox of its own with {@code args}, and compares
   * the listening sockets of both.
   */
  SideBySide sideBySide(String... args) throws Exception {
    TestNetns nsD = sandbox();
    Daemon debian = started(nsD, "debian", REFERENCE, args);
    Set<String> tcpD = belowEphemeral(listening(nsD, "t"));
    Set<String> udpD = belowEphemeral(listening(nsD, "u"));
    System.out.println(String.join(" ", args) + ": " + debian.figures());
    debian.process().destroy();
    debian.process().waitFor(20, TimeUnit.SECONDS);
    TestNetns nsO = sandbox();
    Daemon ours = started(nsO, "passt4j", OURS, args);
    System.out.println(String.join(" ", args) + ": " + ours.figures());
    assertThat(belowEphemeral(listening(nsO, "t"))).as("TCP listeners, as Debian's passt")
        .isEqualTo(tcpD);
    assertThat(belowEphemeral(listening(nsO, "u"))).as("UDP sockets, as Debian's passt")
        .isEqualTo(udpD);
    return new SideBySide(ours, nsO, tcpD, udpD);
  }

  @Test
  void tcpAllBindsWhatDebiansPasstBindsAndCarriesData() throws Exception {
    SideBySide r = sideBySide("-t", "all");
    Daemon ours = r.ours();
    TestNetns ns = r.ns();
    assertThat(r.tcp()).as("one dual-stack TCP socket per port").hasSize(LAST - FIRST + 1)
        .allMatch(a -> a.startsWith("*:")).contains("*:" + FIRST, "*:" + LAST);
    assertThat(r.udp()).as("no UDP with -t all alone").isEmpty();
    try (QemuEnd guest = new QemuEnd(ours.socket())) {
      for (String[] c : new String[][] {{"127.0.0.1", "45000"}, {"::1", "45001"}}) {
        byte[] data = new byte[20_000];
        new Random(port(c[1])).nextBytes(data);
        CompletableFuture<byte[]> client = client(ns, c[0], Integer.parseInt(c[1]), data);
        byte[] seen = guest.echoTcp(Integer.parseInt(c[1]), 20_000);
        assertThat(seen).as("the guest got the client's bytes through port %s", c[1]).isEqualTo(data);
        assertThat(client.get(20, TimeUnit.SECONDS)).as("the client got the echo").isEqualTo(data);
      }
    }
  }

  @Test
  void udpAllBindsWhatDebiansPasstBindsAndCarriesData() throws Exception {
    SideBySide r = sideBySide("-u", "all");
    Daemon ours = r.ours();
    TestNetns ns = r.ns();
    assertThat(r.tcp()).isEmpty();
    assertThat(r.udp()).as("a UDP socket per port and family").hasSize(2 * (LAST - FIRST + 1))
        .contains("0.0.0.0:" + FIRST, "[::]:" + LAST);
    try (QemuEnd guest = new QemuEnd(ours.socket())) {
      for (String to : new String[] {"127.0.0.1", "::1"}) {
        byte[] dgram = ("through -u all from " + to).getBytes(StandardCharsets.US_ASCII);
        ns.call(() -> {
          try (DatagramChannel d = DatagramChannel.open()) {
            d.send(ByteBuffer.wrap(dgram), new InetSocketAddress(GuestFrames.ip(to), 45002));
          }
          return null;
        });
        GuestFrames.Parsed u = GuestFrames.parse(guest.next(x -> protocol(x) == 17
            && GuestFrames.parse(x).dport() == 45002, 20_000));
        assertThat(u.payload()).isEqualTo(dgram);
        assertThat(u.checksumsOk()).isTrue();
      }
    }
  }

  @Test
  void tooFewDescriptorsFailAsDebiansPasstFails() throws Exception {
    String message = "Can't open enough sockets for port specifier: all";
    for (String[] d : new String[][] {{"debian", REFERENCE}, {"passt4j", OURS}}) {
      TestNetns ns = sandbox();
      Daemon daemon = start(ns, d[0], d[1], 2048, "-t", "all");
      assertThat(daemon.process().waitFor(120, TimeUnit.SECONDS)).as("%s exits", d[0]).isTrue();
      assertThat(daemon.process().exitValue()).as("%s: exit status; output:%n%s", d[0],
          daemon.output()).isEqualTo(1);
      assertThat(daemon.output()).as(d[0]).contains(message);
    }
  }

  // ---- the guest's end

  static int protocol(byte[] frame) {
    Frame f = Frame.classify(Unpooled.wrappedBuffer(frame));
    return f.malformed() != null ? -1 : f.ipProtocol();
  }

  /** A client in {@code ns}: sends {@code data}, half-closes, reads until EOF. */
  static CompletableFuture<byte[]> client(TestNetns ns, String to, int port, byte[] data) {
    CompletableFuture<byte[]> got = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        ns.enter();
        try (SocketChannel s = SocketChannel.open(new InetSocketAddress(GuestFrames.ip(to), port))) {
          ByteBuffer b = ByteBuffer.wrap(data);
          while (b.hasRemaining()) s.write(b);
          s.shutdownOutput();
          got.complete(s.socket().getInputStream().readAllBytes());
        }
      } catch (Exception e) {
        got.completeExceptionally(e);
      }
    }, "all-client");
    t.setDaemon(true);
    t.start();
    return got;
  }

  /**
   * The guest's end of the daemon's qemu socket (each frame after its length, 4 bytes big-endian)
   * and a guest TCP just good enough to accept one connection and echo it.
   */
  static final class QemuEnd implements AutoCloseable {
    final SocketChannel ch;
    final BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();

    QemuEnd(Path socket) throws IOException {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(socket));
      Thread r = new Thread(() -> {
        try {
          ByteBuffer len = ByteBuffer.allocate(4);
          while (true) {
            len.clear();
            while (len.hasRemaining()) if (ch.read(len) < 0) return;
            ByteBuffer f = ByteBuffer.allocate(len.getInt(0));
            while (f.hasRemaining()) if (ch.read(f) < 0) return;
            frames.add(f.array());
          }
        } catch (IOException e) {
          // closed
        }
      }, "qemu-end");
      r.setDaemon(true);
      r.start();
    }

    synchronized void send(byte[] frame) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
      while (b.hasRemaining()) ch.write(b);
    }

    /** The next frame {@code want} accepts (others are skipped), within {@code ms}. */
    byte[] next(Predicate<byte[]> want, long ms) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
      while (true) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        byte[] f = left > 0 ? frames.poll(left, TimeUnit.MILLISECONDS) : null;
        if (f == null) throw new AssertionError("no such frame from the daemon in " + ms + " ms");
        if (want.test(f)) return f;
      }
    }

    /**
     * Accepts the daemon's connection to {@code port}, takes in its data until FIN, sends it
     * back, then FIN; returns what came.
     */
    byte[] echoTcp(int port, long ms) throws Exception {
      byte[] raw = next(f -> protocol(f) == 6 && GuestTcp.parse(f).dport() == port
          && GuestTcp.parse(f).flags() == Tcp.SYN, ms);
      Seg syn = GuestTcp.parse(raw);
      byte[] daemonMac = Arrays.copyOfRange(raw, 6, 12);
      int sndNxt = 7000;
      int rcvNxt = syn.seq() + 1;
      send(GuestTcp.frame(daemonMac, syn.dst(), port, syn.src(), syn.sport(), sndNxt, rcvNxt,
          Tcp.SYN | Tcp.ACK, 65535, GuestTcp.synOptions(1460, -1), new byte[0]));
      sndNxt++;
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      boolean fin = false;
      while (!fin) {
        Seg s = GuestTcp.parse(next(f -> protocol(f) == 6 && GuestTcp.parse(f).dport() == port, ms));
        if (s.has(Tcp.RST)) throw new AssertionError("RST from the daemon: " + s);
        if (s.seq() == rcvNxt) {
          got.write(s.payload(), 0, s.payload().length);
          rcvNxt += s.payload().length;
          if (s.has(Tcp.FIN)) {
            rcvNxt++;
            fin = true;
          }
        }
        if (s.payload().length > 0 || s.has(Tcp.FIN)) {
          send(GuestTcp.frame(daemonMac, syn.dst(), port, syn.src(), syn.sport(), sndNxt, rcvNxt,
              Tcp.ACK, 65535, new byte[0], new byte[0]));
        }
      }
      byte[] data = got.toByteArray();
      for (int off = 0; off < data.length; off += 1400) {
        byte[] p = Arrays.copyOfRange(data, off, Math.min(data.length, off + 1400));
        send(GuestTcp.frame(daemonMac, syn.dst(), port, syn.src(), syn.sport(), sndNxt, rcvNxt,
            Tcp.ACK | Tcp.PSH, 65535, new byte[0], p));
        sndNxt += p.length;
      }
      send(GuestTcp.frame(daemonMac, syn.dst(), port, syn.src(), syn.sport(), sndNxt, rcvNxt,
          Tcp.ACK | Tcp.FIN, 65535, new byte[0], new byte[0]));
      int finSeq = sndNxt + 1;
      next(f -> protocol(f) == 6 && GuestTcp.parse(f).dport() == port
          && GuestTcp.parse(f).ack() == finSeq, ms);
      return data;
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
