package io.passt4j.proto.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestFrames;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.HandlerHarness;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * FIN and RST, from the guest and from the host peer, in every state of a connection: CONNECTING
 * (the host connect pending), SYN_RCVD (our SYN-ACK sent), SYN_SENT (our SYN sent for a {@code
 * -t} connection), ESTABLISHED, after each half-close and with both FINs sent; and bad segments
 * on a live connection (checksum, flags, options, ACK of unsent data), which must be dropped,
 * counted, and leave the connection as it was.
 */
@ExtendWith(VertxExtension.class)
class TcpStatesTest extends TcpTestBase {

  static final byte[] NONE = new byte[0];

  static byte[] text(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  HandlerHarness deploy() throws Exception {
    return deploy(TcpHandler.Limits.DEFAULT, false);
  }

  // ---- CONNECTING

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void connectingGuestRstDropsThePendingConnect() throws Exception {
    blackhole();
    HandlerHarness h = deploy();
    GuestTcp g = new GuestTcp(h, cfg.ourMac, GUEST4, 41001, BLACKHOLE4, 80, 5000);
    g.send(g.sndNxt, Tcp.SYN, GuestTcp.synOptions(1460, 7), NONE);
    g.sndNxt++;
    await(() -> h.verticle.openSockets() == 1);
    g.send(g.sndNxt, Tcp.RST, NONE, NONE);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("guest reset")).isEqualTo(1);
    assertQuiet(g, 300);
    assertThat(plugin.created.size()).isZero();
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void connectingGuestFinIsDroppedAndTheConnectLivesOn() throws Exception {
    blackhole();
    HandlerHarness h = deploy();
    GuestTcp g = new GuestTcp(h, cfg.ourMac, GUEST4, 41002, BLACKHOLE4, 80, 5000);
    g.send(g.sndNxt, Tcp.SYN, GuestTcp.synOptions(1460, 7), NONE);
    g.sndNxt++;
    await(() -> h.verticle.openSockets() == 1);
    g.send(g.sndNxt, Tcp.FIN | Tcp.ACK, NONE, NONE);
    await(() -> h.counters().get("drop: segment before handshake") == 1);
    assertQuiet(g, 300);
    assertThat(h.verticle.openSockets()).as("the connect goes on").isEqualTo(1);
    assertThat(plugin.created.size()).isEqualTo(1);
  }

  // ---- SYN_RCVD

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void synRcvdGuestRstResetsTheServer() throws Exception {
    CompletableFuture<String> seen = new CompletableFuture<>();
    Server srv = watcher("127.0.0.1", seen);
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41003);
    synAckOnly(g, 1460);
    g.send(g.sndNxt, Tcp.RST, NONE, NONE);
    assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("reset");
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("guest reset")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void synRcvdGuestFinWithTheHandshakeAckIsAHalfClose() throws Exception {
    byte[] question = text("question");
    byte[] answer = bytes(50_000, 11);
    Server[] sv = new Server[1];
    sv[0] = new Server("::1", s -> {
      byte[] q = readAll(s);
      sv[0].got.complete(q);
      writeAll(s, answer);
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 6, sv[0].port(), 41004);
    synAckOnly(g, 1460);
    // The handshake's ACK carries data and FIN.
    g.send(g.sndNxt, Tcp.ACK | Tcp.PSH | Tcp.FIN, NONE, question);
    g.sndNxt += question.length + 1;
    assertThat(sv[0].got.get(10, TimeUnit.SECONDS)).isEqualTo(question);
    absorbUntil(g, () -> g.finReceived && g.sndUna == g.sndNxt);
    assertThat(g.received.toByteArray()).isEqualTo(answer);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("connections closed")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void synRcvdServerResetReachesTheGuest() throws Exception {
    CompletableFuture<Void> reset = new CompletableFuture<>();
    CountDownLatch synAckSeen = new CountDownLatch(1);
    Server srv = new Server("127.0.0.1", s -> {
      synAckSeen.await(10, TimeUnit.SECONDS);
      s.setOption(StandardSocketOptions.SO_LINGER, 0);
      reset.complete(null);
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41005);
    synAckOnly(g, 1460);
    synAckSeen.countDown();
    reset.get(10, TimeUnit.SECONDS);
    // The host peer is gone before the guest completed the handshake: RST, without waiting for
    // the guest.
    Seg s = g.next(2000);
    assertRst(s);
    assertThat(s.seq()).as("in the guest's window").isEqualTo(g.rcvNxt);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("host reset")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void synRcvdServerFinArrivesAfterTheHandshake() throws Exception {
    Server[] sv = new Server[1];
    sv[0] = new Server("127.0.0.1", s -> {
      writeAll(s, text("hello"));
      s.shutdownOutput();
      sv[0].got.complete(readAll(s));
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, sv[0].port(), 41006);
    synAckOnly(g, 1460);
    Thread.sleep(200); // the server's data and FIN reach our socket before the guest's ACK
    assertQuiet(g, 50);
    g.ack();
    absorbUntil(g, () -> g.finReceived);
    assertThat(g.received.toByteArray()).isEqualTo(text("hello"));
    g.run(text("bye"), true, () -> true, 10_000);
    assertThat(sv[0].got.get(10, TimeUnit.SECONDS)).isEqualTo(text("bye"));
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("connections closed")).isEqualTo(1);
  }

  // ---- after the host's half-close

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void afterServerHalfCloseTheGuestSendsOnAndCloses() throws Exception {
    byte[] data = bytes(300_000, 12);
    Server[] sv = new Server[1];
    sv[0] = new Server("127.0.0.1", s -> {
      s.shutdownOutput();
      sv[0].got.complete(readAll(s));
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, sv[0].port(), 41007);
    g.connect(1460);
    absorbUntil(g, () -> g.finReceived);
    g.run(data, true, () -> true, 20_000);
    assertThat(sv[0].got.get(10, TimeUnit.SECONDS)).isEqualTo(data);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("connections closed")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void afterServerHalfCloseAGuestRstResetsTheServer() throws Exception {
    CompletableFuture<String> seen = new CompletableFuture<>();
    Server[] sv = new Server[1];
    sv[0] = new Server("127.0.0.1", s -> {
      s.shutdownOutput();
      seen.complete(eofOrReset(s));
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, sv[0].port(), 41008);
    g.connect(1460);
    absorbUntil(g, () -> g.finReceived);
    g.run(text("some"), false, () -> true, 10_000);
    g.send(g.sndNxt, Tcp.RST, NONE, NONE);
    assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("reset");
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("guest reset")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void afterServerHalfCloseAServerResetReachesTheGuest() throws Exception {
    Server srv = new Server("127.0.0.1", s -> {
      s.shutdownOutput();
      s.read(java.nio.ByteBuffer.allocate(4));
      s.setOption(StandardSocketOptions.SO_LINGER, 0);
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41009);
    g.connect(1460);
    absorbUntil(g, () -> g.finReceived);
    g.send(g.sndNxt, Tcp.ACK | Tcp.PSH, NONE, text("four"));
    g.sndNxt += 4;
    awaitRst(g);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("host reset")).isEqualTo(1);
    assertThat(h.counters().get("host reset after FIN")).as("seen without a write").isEqualTo(1);
  }

  // ---- after the guest's half-close

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void afterGuestHalfCloseAGuestRstResetsTheServer() throws Exception {
    CompletableFuture<String> seen = new CompletableFuture<>();
    Server srv = new Server("127.0.0.1", s -> {
      readAll(s);
      byte[] chunk = new byte[1000];
      try {
        for (int i = 0; i < 10_000; i++) { // bounded: 10 s
          writeAll(s, chunk);
          Thread.sleep(1);
        }
        seen.complete("still open");
      } catch (IOException e) {
        seen.complete("reset");
      }
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41010);
    g.connect(1460);
    g.send(g.sndNxt, Tcp.ACK | Tcp.FIN, NONE, NONE);
    g.sndNxt++;
    absorbUntil(g, () -> g.received.size() > 0);
    g.send(g.sndNxt, Tcp.RST, NONE, NONE);
    assertThat(seen.get(15, TimeUnit.SECONDS)).isEqualTo("reset");
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("guest reset")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void afterGuestHalfCloseAServerResetReachesTheGuest() throws Exception {
    Server srv = new Server("127.0.0.1", s -> {
      readAll(s);
      writeAll(s, bytes(10_000, 13));
      s.setOption(StandardSocketOptions.SO_LINGER, 0);
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41011);
    g.connect(1460);
    g.send(g.sndNxt, Tcp.ACK | Tcp.FIN, NONE, NONE);
    g.sndNxt++;
    awaitRst(g);
    assertThat(g.finReceived).as("a reset, not a close").isFalse();
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("host reset")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void afterGuestHalfCloseGuestDataIsDropped() throws Exception {
    Server srv = sink("127.0.0.1");
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41012);
    g.connect(1460);
    g.send(g.sndNxt, Tcp.ACK | Tcp.PSH | Tcp.FIN, NONE, text("abc"));
    g.sndNxt += 4;
    g.send(g.sndNxt, Tcp.ACK | Tcp.PSH, NONE, text("def"));
    assertThat(srv.got.get(10, TimeUnit.SECONDS)).isEqualTo(text("abc"));
    await(() -> h.counters().get("drop: data after FIN") == 1);
  }

  // ---- both FINs

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void bothFinsOursUnacknowledgedAGuestRstEndsIt() throws Exception {
    Server srv = new Server("127.0.0.1", s -> {
      s.shutdownOutput();
      readAll(s);
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41013);
    g.connect(1460);
    Seg fin = g.next(5000);
    assertThat(fin.has(Tcp.FIN)).as("our FIN: %s", fin).isTrue();
    // The guest's FIN, not acknowledging ours (g.rcvNxt is still the FIN's sequence number).
    g.send(g.sndNxt, Tcp.ACK | Tcp.FIN, NONE, NONE);
    g.sndNxt++;
    Seg ack = g.next(5000);
    assertThat(ack.ack()).as("guest FIN acknowledged").isEqualTo(g.sndNxt);
    assertThat(h.verticle.openSockets()).as("waiting for the ACK of our FIN").isEqualTo(1);
    g.send(g.sndNxt, Tcp.RST, NONE, NONE);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("guest reset")).isEqualTo(1);
    assertThat(plugin.created.size()).isZero();
  }

  // ---- RST validation

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void rstOutsideTheWindowIsDropped() throws Exception {
    Server srv = sink("127.0.0.1");
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41014);
    g.connect(1460);
    g.send(g.sndNxt + (4 << 20), Tcp.RST, NONE, NONE);
    g.send(g.sndNxt - 100_000, Tcp.RST, NONE, NONE);
    await(() -> h.counters().get("drop: RST outside the window") == 2);
    g.run(text("still here"), true, () -> true, 10_000);
    assertThat(srv.got.get(10, TimeUnit.SECONDS)).isEqualTo(text("still here"));
    assertThat(h.counters().get("guest reset")).isZero();
  }

  // ---- -t connections before the guest's SYN-ACK (SYN_SENT)

  static final int PORT = 18181;
  static final int GUEST_PORT = 8181;

  HandlerHarness deployForward() throws Exception {
    cfg.tcpIn = new ForwardRules(ForwardRules.Mode.SPEC,
        List.of(new PortForward(null, null, PORT, GUEST_PORT)));
    return deploy();
  }

  /** A client in the namespace: connects to the forwarded port and runs {@code then}. */
  CompletableFuture<String> client(String to, ClientBehaviour then) {
    CompletableFuture<String> r = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        ns.enter();
        try (SocketChannel s = SocketChannel.open()) {
          s.connect(new InetSocketAddress(GuestFrames.ip(to), PORT));
          r.complete(then.run(s));
        }
      } catch (Exception e) {
        r.completeExceptionally(e);
      }
    }, "tcp-client");
    t.setDaemon(true);
    t.start();
    return r;
  }

  interface ClientBehaviour {
    String run(SocketChannel s) throws Exception;
  }

  /** The handler's SYN to the guest, left in the queue. */
  static Seg peekSyn(HandlerHarness h) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < end) {
      byte[] f = h.toGuest.peek();
      if (f != null) return GuestTcp.parse(f);
      Thread.sleep(5);
    }
    throw new AssertionError("no SYN to the guest");
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void synSentGuestFinIsDroppedTheHandshakeStillCompletes() throws Exception {
    HandlerHarness h = deployForward();
    CompletableFuture<String> c = client("127.0.0.1", s -> {
      writeAll(s, text("ping"));
      s.shutdownOutput();
      return new String(readAll(s), StandardCharsets.US_ASCII);
    });
    Seg syn = peekSyn(h);
    assertThat(syn.flags()).isEqualTo(Tcp.SYN);
    h.fromGuest(GuestTcp.frame(cfg.ourMac, GUEST4, GUEST_PORT, syn.src(), syn.sport(), 9000,
        syn.seq() + 1, Tcp.ACK | Tcp.FIN, 65535, NONE, NONE));
    await(() -> h.counters().get("drop: segment before handshake") == 1);
    GuestTcp g = GuestTcp.accept(h, cfg.ourMac, GUEST4, GUEST_PORT, 9000, 1460, 10_000);
    absorbUntil(g, () -> g.finReceived);
    assertThat(g.received.toByteArray()).isEqualTo(text("ping"));
    g.run(text("pong"), true, () -> true, 10_000);
    assertThat(c.get(10, TimeUnit.SECONDS)).isEqualTo("pong");
    await(() -> h.verticle.openSockets() == 1);
    assertThat(h.counters().get("connections closed")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void synSentClientResetReachesTheGuest() throws Exception {
    HandlerHarness h = deployForward();
    CompletableFuture<String> c = client("127.0.0.1", s -> {
      s.setOption(StandardSocketOptions.SO_LINGER, 0);
      return "reset sent";
    });
    Seg syn = peekSyn(h);
    assertThat(c.get(10, TimeUnit.SECONDS)).isEqualTo("reset sent");
    h.toGuest.poll();
    // The peer is gone before the guest answered our SYN: RST, without waiting for the guest.
    GuestTcp g = new GuestTcp(h, cfg.ourMac, GUEST4, GUEST_PORT, syn.src(), syn.sport(), 9000);
    Seg s = g.next(2000);
    assertRst(s);
    assertThat(s.seq()).as("in the guest's window").isEqualTo(syn.seq() + 1);
    await(() -> h.verticle.openSockets() == 1);
    assertThat(plugin.created.size()).isZero();
  }

  // ---- bad segments on a live connection

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void badSegmentsOnALiveConnectionAreDroppedAndCounted() throws Exception {
    Server srv = sink("127.0.0.1");
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 41015);
    g.connect(1460);
    int seq = g.sndNxt;
    byte[] bad = text("BAD");
    byte[] badSum = frame(g, seq, Tcp.ACK | Tcp.PSH, NONE, bad);
    badSum[badSum.length - 1] ^= 0x20;
    byte[][] frames = {
      badSum,
      frame(g, seq, Tcp.SYN | Tcp.FIN | Tcp.ACK, NONE, bad),
      frame(g, seq, Tcp.SYN | Tcp.RST, NONE, bad),
      frame(g, seq, Tcp.PSH, NONE, bad), // neither SYN, RST nor ACK
      frame(g, seq, Tcp.ACK | Tcp.PSH, new byte[] {8, 0, 0, 0}, bad), // option length 0
      frame(g, seq, Tcp.ACK | Tcp.PSH, new byte[] {1, 1, 2, 4}, bad), // MSS past the header
    };
    for (byte[] f : frames) h.fromGuest(f);
    await(() -> h.counters().sum("drop: ") == frames.length);
    assertThat(h.counters().get("drop: bad TCP checksum")).isEqualTo(1);
    assertThat(h.counters().get("drop: nonsense TCP flags")).isEqualTo(3);
    assertThat(h.counters().get("drop: bad TCP options")).isEqualTo(2);
    assertQuiet(g, 200);
    // An ACK of bytes we never sent: dropped, answered with our ACK, nothing taken.
    h.fromGuest(GuestTcp.frame(g.ourMac, g.guest, g.guestPort, g.remote, g.remotePort, seq,
        g.rcvNxt + 1000, Tcp.ACK | Tcp.PSH, 65535, NONE, bad));
    Seg a = g.next(2000);
    assertThat(a).isNotNull();
    assertThat(a.ack()).as("nothing taken").isEqualTo(seq);
    assertThat(h.counters().get("drop: ACK of unsent data")).isEqualTo(1);
    g.run(text("good"), true, () -> true, 10_000);
    assertThat(srv.got.get(10, TimeUnit.SECONDS)).isEqualTo(text("good"));
    assertThat(h.counters().get("guest reset")).isZero();
  }
}
