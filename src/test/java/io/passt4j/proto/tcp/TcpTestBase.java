package io.passt4j.proto.tcp;

import static io.passt4j.testutil.GuestFrames.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.HandlerHarness;
import io.passt4j.testutil.TestConfigs;
import io.passt4j.testutil.TestNetns;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the TCP handler tests share: a network namespace of their own ({@link TestNetns}, created
 * once per class) whose Vert.x runs the handler with real host sockets, loopback servers in it,
 * the guest played by {@link GuestTcp}, and a settable clock for the timers. The sandbox
 * configuration's gateways 198.51.100.1 and 2001:db8::1 stand for 127.0.0.1 and ::1.
 */
abstract class TcpTestBase {

  static final String GUEST4 = "198.51.100.2";
  static final String GW4 = "198.51.100.1";
  static final String GUEST6 = "2001:db8::2";
  static final String GW6 = "2001:db8::1";

  static TestNetns ns;
  Vertx vertx;
  PasstConfig cfg;
  final List<AutoCloseable> closers = new ArrayList<>();
  /** The handler's clock in {@link #deploy(TcpHandler.Limits, boolean)} with a fake clock. */
  final AtomicLong clock = new AtomicLong(1_000_000);
  /** The plugin of the last {@link #deploy}. */
  TcpPlugin plugin;

  @BeforeAll
  static void namespace() throws Exception {
    ns = TestNetns.create();
  }

  @AfterAll
  static void closeNamespace() {
    if (ns != null) ns.close();
    ns = null;
  }

  @BeforeEach
  void start() {
    vertx = ns.vertx();
    cfg = TestConfigs.sandbox();
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closers) c.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** Deploys the handler with {@code limits}, on the real clock or on {@link #clock}. */
  HandlerHarness deploy(TcpHandler.Limits limits, boolean fakeClock) throws Exception {
    plugin = fakeClock ? new TcpPlugin(limits, clock::get) : new TcpPlugin(limits);
    return HandlerHarness.deploy(vertx, cfg, plugin);
  }

  /**
   * Sets the fake clock to {@code t} and waits until the handler's timers ran at that time (the
   * periodic tick reads the clock), so what they do at {@code t} has been done.
   */
  void advanceTo(long t) throws Exception {
    sync();
    clock.set(t);
    await(() -> plugin.created.lastTick >= t);
  }

  /**
   * Waits until the event loop handled everything sent to it before (frames from the guest go
   * through the event bus to the same single loop, in order).
   */
  void sync() throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    vertx.runOnContext(v -> done.complete(null));
    done.get(10, TimeUnit.SECONDS);
  }

  /** passt's timeouts, with timers checked every 5 ms (they read the fake clock). */
  static TcpHandler.Limits passtTimers() {
    return passtTimers(TcpHandler.Limits.DEFAULT.guestQueueMax());
  }

  /** As {@link #passtTimers()}, queueing at most {@code guestQueueMax} bytes towards the host. */
  static TcpHandler.Limits passtTimers(int guestQueueMax) {
    TcpHandler.Limits d = TcpHandler.Limits.DEFAULT;
    return new TcpHandler.Limits(d.synMs(), d.ackMs(), d.finMs(), d.idleMs(), 5, d.maxConns(),
        guestQueueMax, d.sendBufMax());
  }

  /** What a test server does with one accepted connection. */
  interface Behaviour {
    void serve(SocketChannel s) throws Exception;
  }

  /**
   * A server in the namespace; serves the first connection on a thread. What it completes
   * {@link #got} with is up to the behaviour; a failure completes it exceptionally.
   */
  final class Server implements AutoCloseable {
    final ServerSocketChannel ch;
    final CompletableFuture<byte[]> got = new CompletableFuture<>();

    Server(String addr, Behaviour b) throws Exception {
      ch = ns.call(() -> ServerSocketChannel.open().bind(new InetSocketAddress(ip(addr), 0)));
      Thread t = new Thread(() -> {
        try (SocketChannel s = ch.accept()) {
          b.serve(s);
        } catch (Exception e) {
          got.completeExceptionally(e);
        }
      }, "tcp-server");
      t.setDaemon(true);
      t.start();
      closers.add(this);
    }

    int port() throws Exception {
      return ((InetSocketAddress) ch.getLocalAddress()).getPort();
    }

    @Override
    public void close() throws Exception {
      ch.close();
    }
  }

  /** A server that reads until EOF and completes {@code got} with what it read. */
  Server sink(String addr) throws Exception {
    Server[] sv = new Server[1];
    sv[0] = new Server(addr, s -> sv[0].got.complete(readAll(s)));
    return sv[0];
  }

  /**
   * A server that sends {@code down} (then FIN) while it reads until EOF, both at once, and
   * completes {@code got} with what it read.
   */
  Server bothWays(String addr, byte[] down) throws Exception {
    Server[] sv = new Server[1];
    sv[0] = new Server(addr, s -> {
      Thread w = new Thread(() -> {
        try {
          writeAll(s, down);
          s.shutdownOutput();
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      w.start();
      byte[] all = readAll(s);
      w.join(30_000);
      sv[0].got.complete(all);
    });
    return sv[0];
  }

  /** Reads until EOF (bounded by the test's timeout). */
  static byte[] readAll(SocketChannel s) throws java.io.IOException {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    readInto(s, o);
    return o.toByteArray();
  }

  /** Reads until EOF or an error: "eof" or "reset" (any IOException). */
  static String eofOrReset(SocketChannel s) {
    try {
      readAll(s);
      return "eof";
    } catch (java.io.IOException e) {
      return "reset";
    }
  }

  /** Asserts that {@code s} is a RST; returns it. */
  static Seg assertRst(Seg s) {
    assertThat(s).as("RST to the guest").isNotNull();
    assertThat(s.has(Tcp.RST)).as("RST: %s", s).isTrue();
    return s;
  }

  /** Reads until EOF into {@code o}; what was read stays there when it fails. */
  static void readInto(SocketChannel s, ByteArrayOutputStream o) throws java.io.IOException {
    ByteBuffer buf = ByteBuffer.allocate(65536);
    while (s.read(buf) >= 0) {
      o.write(buf.array(), 0, buf.position());
      buf.clear();
    }
  }

  static void writeAll(SocketChannel s, byte[] data) throws java.io.IOException {
    ByteBuffer d = ByteBuffer.wrap(data);
    while (d.hasRemaining()) s.write(d);
  }

  static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static void await(BooleanSupplier c) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("condition not met in 10 s");
      Thread.sleep(5);
    }
  }

  GuestTcp guest(HandlerHarness h, int version, int port, int guestPort) {
    return new GuestTcp(h, cfg.ourMac, version == 4 ? GUEST4 : GUEST6, guestPort,
        version == 4 ? GW4 : GW6, port, 1000 + guestPort);
  }

  /** An address on a link in the namespace where nobody answers: a connect there hangs. */
  static final String BLACKHOLE4 = "192.0.2.99";

  /**
   * Adds the link behind {@link #BLACKHOLE4}, once per namespace: a veth pair whose far end has
   * no address, with a permanent neighbour entry, so SYNs go out and nothing comes back.
   */
  static synchronized void blackhole() throws Exception {
    if (blackholed == ns) return;
    ns.call(() -> {
      for (String[] cmd : new String[][] {
          {"ip", "link", "add", "bh0", "type", "veth", "peer", "name", "bh1"},
          {"ip", "link", "set", "bh1", "up"}, {"ip", "link", "set", "bh0", "up"},
          {"ip", "addr", "add", "192.0.2.1/24", "dev", "bh0"},
          {"ip", "neigh", "add", BLACKHOLE4, "lladdr", "02:00:00:00:00:99", "dev", "bh0", "nud",
              "permanent"}}) {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
      }
      return null;
    });
    blackholed = ns;
  }

  private static TestNetns blackholed;

  /**
   * Small socket buffers in the namespace ({@code tcp_rmem}, {@code tcp_wmem}: 4 KiB to 8 KiB),
   * so that a peer that does not read stops taking data after a few KiB.
   */
  static void smallSocketBuffers() throws Exception {
    ns.call(() -> {
      java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_rmem"),
          "4096 8192 8192");
      java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_wmem"),
          "4096 8192 8192");
      return null;
    });
  }

  /**
   * Hands {@code frames} to the handler from its event loop, one after the other, so that all of
   * them are handled before the loop looks at any socket: one batch, as passt reads them.
   */
  void batch(HandlerHarness h, byte[]... frames) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      for (byte[] f : frames) h.fromGuest(f);
      done.complete(null);
    });
    done.get(10, TimeUnit.SECONDS);
    sync();
  }

  /** A frame of {@code g}'s connection, with {@code g}'s addresses, ACK number and window. */
  static byte[] frame(GuestTcp g, int seq, int flags, byte[] options, byte[] payload) {
    return GuestTcp.frame(g.ourMac, g.guest, g.guestPort, g.remote, g.remotePort, seq, g.rcvNxt,
        flags, g.window, options, payload);
  }

  /** SYN, then the SYN-ACK, which is not acknowledged; {@code g} is set up for what follows. */
  static Seg synAckOnly(GuestTcp g, int mss) throws InterruptedException {
    g.send(g.sndNxt, Tcp.SYN, GuestTcp.synOptions(mss, g.wscale), new byte[0]);
    g.sndNxt++;
    Seg s = g.next(5000);
    assertThat(s).as("SYN-ACK").isNotNull();
    assertThat(s.flags()).as("SYN-ACK: %s", s).isEqualTo(Tcp.SYN | Tcp.ACK);
    g.sndUna = g.sndNxt;
    g.rcvNxt = s.seq() + 1;
    g.peerMss = s.mss();
    g.peerWscale = Math.max(0, s.wscale());
    g.peerWindow = s.window();
    return s;
  }

  /** Takes in what arrives, as the guest stack would, until {@code done} holds (10 s at most). */
  static void absorbUntil(GuestTcp g, BooleanSupplier done) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("guest: condition not met in 10 s; received " + g.received.size()
            + " bytes, fin " + g.finReceived + ", last segments "
            + g.log.subList(Math.max(0, g.log.size() - 5), g.log.size()));
      }
      Seg s = g.next(10);
      if (s != null) g.absorb(s);
    }
  }

  /**
   * A server that reads until EOF or an error: {@code seen} completes with "eof" or "reset"
   * (any IOException), {@code got} with the bytes read before.
   */
  Server watcher(String addr, CompletableFuture<String> seen) throws Exception {
    Server[] sv = new Server[1];
    sv[0] = new Server(addr, s -> {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      try {
        readInto(s, o);
        seen.complete("eof");
      } catch (java.io.IOException e) {
        seen.complete("reset");
      }
      sv[0].got.complete(o.toByteArray());
    });
    return sv[0];
  }

  /**
   * Sends from {@code data} what our window allows, taking in ACKs, until the window is zero
   * (10 s at most); returns how many bytes went.
   */
  static int fillWindow(GuestTcp g, byte[] data) throws InterruptedException {
    int base = g.sndNxt;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (g.peerWindow > 0 && System.nanoTime() < end) {
      long room = g.peerWindow - (g.sndNxt - g.sndUna);
      int off = g.sndNxt - base;
      int n = (int) Math.min(Math.min(1000, room), data.length - off);
      if (n > 0) {
        g.send(g.sndNxt, Tcp.ACK | Tcp.PSH, new byte[0],
            java.util.Arrays.copyOfRange(data, off, off + n));
        g.sndNxt += n;
      }
      Seg s = g.next(20);
      if (s != null) g.absorb(s);
    }
    assertThat(g.peerWindow).as("our window closed").isZero();
    return g.sndNxt - base;
  }

  /** Takes in what arrives for {@code ms} as the guest stack would. */
  static void absorbFor(GuestTcp g, long ms) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (System.nanoTime() < end) {
      Seg s = g.next(10);
      if (s != null) g.absorb(s);
    }
  }

  /** Waits (10 s at most) for a RST to the guest, taking in what comes before it. */
  static Seg awaitRst(GuestTcp g) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < end) {
      Seg s = g.next(20);
      if (s == null) continue;
      g.absorb(s);
      if (s.has(Tcp.RST)) return s;
    }
    throw new AssertionError("no RST to the guest in 10 s; seen: " + g.log);
  }

  /** Asserts that nothing reaches the guest for {@code ms}. */
  static void assertQuiet(GuestTcp g, long ms) throws InterruptedException {
    Seg s = g.next(ms);
    assertThat(s).as("nothing to the guest").isNull();
  }

  /**
   * Asserts that no byte went to the guest twice: every data segment and FIN starts where the
   * ones before it ended. For runs where no retransmission is due (the clock stands still, the
   * guest never sends three duplicate ACKs).
   */
  static void assertNothingSentTwice(List<Seg> log) {
    Integer next = null;
    for (Seg s : log) {
      int len = s.payload().length + (s.has(Tcp.FIN) ? 1 : 0) + (s.has(Tcp.SYN) ? 1 : 0);
      if (len == 0 || s.has(Tcp.RST)) continue;
      if (next != null) {
        assertThat(s.seq()).as("segment %s starts at the next unsent byte", s).isEqualTo(next);
      }
      next = s.seq() + len;
    }
  }
}
