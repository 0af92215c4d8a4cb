package io.passt4j.proto.tcp;

import static io.passt4j.testutil.GuestFrames.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.HandlerHarness;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * passt's timers, at their exact boundaries, on a clock the test moves (no waiting for hours):
 * the handshake (SYN_TIMEOUT, 10 s) in each opening state, retransmission (ACK_TIMEOUT, 2 s; 7
 * retransmissions, then a reset), zero-window probes (every 2 s), the FIN timeout (60 s once
 * both sides sent FIN) and the idle timeout (ACT_TIMEOUT, 2 h). One millisecond before each
 * deadline nothing happens; at the deadline it does.
 */
@ExtendWith(VertxExtension.class)
class TcpTimersTest extends TcpTestBase {

  static final TcpHandler.Limits D = TcpHandler.Limits.DEFAULT;

  @BeforeAll
  static void buffers() throws Exception {
    smallSocketBuffers();
  }

  HandlerHarness deploy() throws Exception {
    return deploy(passtTimers(), true);
  }

  /** Moves the clock to {@code t} and asserts that nothing went to the guest. */
  void quietAt(GuestTcp g, long t) throws Exception {
    advanceTo(t);
    assertQuiet(g, 100);
  }

  /** Moves the clock to {@code t} and returns what the guest got then. */
  Seg at(GuestTcp g, long t) throws Exception {
    advanceTo(t);
    Seg s = g.next(2000);
    assertThat(s).as("a segment at t0 + %d ms", t - t0).isNotNull();
    return s;
  }

  long t0;

  // ---- SYN_TIMEOUT

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void handshakeTimeoutAfterOurSynAckIsTenSeconds() throws Exception {
    CompletableFuture<String> seen = new CompletableFuture<>();
    Server srv = watcher("127.0.0.1", seen);
    HandlerHarness h = deploy();
    t0 = clock.get();
    GuestTcp g = guest(h, 4, srv.port(), 42001);
    Seg synAck = synAckOnly(g, 1460);
    for (long t = D.ackMs(); t < D.synMs(); t += D.ackMs()) {
      quietAt(g, t0 + t - 1);
      Seg again = at(g, t0 + t);
      assertThat(again.flags()).as("SYN-ACK repeated every ACK timeout").isEqualTo(Tcp.SYN | Tcp.ACK);
      assertThat(again.seq()).isEqualTo(synAck.seq());
    }
    quietAt(g, t0 + D.synMs() - 1);
    Seg rst = at(g, t0 + D.synMs());
    assertRst(rst);
    assertThat(rst.seq()).isEqualTo(synAck.seq() + 1);
    assertThat(rst.ack()).isEqualTo(g.sndNxt);
    assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("reset");
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("handshake timeout")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void handshakeTimeoutOfAPendingConnectIsTenSeconds() throws Exception {
    blackhole();
    HandlerHarness h = deploy();
    t0 = clock.get();
    GuestTcp g = new GuestTcp(h, cfg.ourMac, GUEST4, 42002, BLACKHOLE4, 80, 7000);
    g.send(g.sndNxt, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]);
    g.sndNxt++;
    await(() -> h.verticle.openSockets() == 1);
    quietAt(g, t0 + D.synMs() - 1);
    assertThat(h.verticle.openSockets()).isEqualTo(1);
    Seg rst = at(g, t0 + D.synMs());
    assertThat(rst.flags()).isEqualTo(Tcp.RST | Tcp.ACK);
    assertThat(rst.ack()).isEqualTo(g.sndNxt);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("handshake timeout")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void handshakeTimeoutOfAForwardedConnectionIsTenSeconds() throws Exception {
    cfg.tcpIn = new ForwardRules(ForwardRules.Mode.SPEC,
        List.of(new PortForward(null, null, 18282, 8282)));
    HandlerHarness h = deploy();
    int listeners = h.verticle.openSockets();
    t0 = clock.get();
    CompletableFuture<String> client = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        ns.enter();
        try (SocketChannel s = SocketChannel.open(new InetSocketAddress(ip("::1"), 18282))) {
          client.complete(readAll(s).length + " bytes, eof");
        }
      } catch (IOException e) {
        client.complete("reset");
      }
    }, "tcp-client");
    t.setDaemon(true);
    t.start();
    Seg syn = null;
    while (syn == null) {
      byte[] f = h.toGuest.poll(10, TimeUnit.SECONDS);
      assertThat(f).as("SYN to the guest").isNotNull();
      syn = GuestTcp.parse(f);
    }
    GuestTcp g = new GuestTcp(h, cfg.ourMac, GUEST6, 8282, syn.src(), syn.sport(), 7000);
    for (long ms = D.ackMs(); ms < D.synMs(); ms += D.ackMs()) {
      quietAt(g, t0 + ms - 1);
      assertThat(at(g, t0 + ms).flags()).as("SYN repeated").isEqualTo(Tcp.SYN);
    }
    quietAt(g, t0 + D.synMs() - 1);
    assertThat(client.isDone()).isFalse();
    Seg rst = at(g, t0 + D.synMs());
    assertRst(rst);
    assertThat(rst.seq()).isEqualTo(syn.seq() + 1);
    assertThat(client.get(10, TimeUnit.SECONDS)).isEqualTo("reset");
    await(() -> h.verticle.openSockets() == listeners);
    assertThat(h.counters().get("handshake timeout")).isEqualTo(1);
  }

  // ---- ACK_TIMEOUT: retransmission

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void unacknowledgedDataGoesAgainEveryTwoSecondsSevenTimesThenRst() throws Exception {
    byte[] down = bytes(3000, 21);
    CompletableFuture<String> seen = new CompletableFuture<>();
    Server srv = new Server("127.0.0.1", s -> {
      writeAll(s, down);
      seen.complete(eofOrReset(s));
    });
    HandlerHarness h = deploy();
    t0 = clock.get();
    GuestTcp g = guest(h, 4, srv.port(), 42003);
    g.connect(1000);
    int first = g.rcvNxt;
    int got = 0;
    while (got < down.length) {
      Seg s = g.next(5000);
      assertThat(s).as("data").isNotNull();
      assertThat(s.seq()).isEqualTo(first + got);
      got += s.payload().length;
    }
    for (int k = 1; k <= TcpHandler.MAX_RETRANS; k++) {
      quietAt(g, t0 + k * D.ackMs() - 1);
      Seg again = at(g, t0 + k * D.ackMs());
      assertThat(again.seq()).as("retransmission %d from the oldest unacknowledged byte", k)
          .isEqualTo(first);
      assertThat(again.payload()).hasSize(1000);
      while (g.next(50) != null) {
        // the rest of the go-back-N burst
      }
    }
    long reset = t0 + (TcpHandler.MAX_RETRANS + 1) * D.ackMs();
    quietAt(g, reset - 1);
    Seg rst = at(g, reset);
    assertRst(rst);
    assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("reset");
    assertThat(h.counters().get("retransmission")).isEqualTo(TcpHandler.MAX_RETRANS);
    assertThat(h.counters().get("too many retransmissions")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void progressRestartsTheRetransmissionTimer() throws Exception {
    byte[] down = bytes(2000, 22);
    Server srv = new Server("127.0.0.1", s -> {
      writeAll(s, down);
      readAll(s);
    });
    HandlerHarness h = deploy();
    t0 = clock.get();
    GuestTcp g = guest(h, 4, srv.port(), 42004);
    g.connect(1000);
    Seg one = g.next(5000);
    Seg two = g.next(5000);
    assertThat(two.seq()).isEqualTo(one.seq() + 1000);
    // At t0 + 1500 the guest acknowledges the first segment: the timer runs from then.
    advanceTo(t0 + 1500);
    g.rcvNxt = one.seq() + 1000;
    g.ack();
    quietAt(g, t0 + 1500 + D.ackMs() - 1);
    Seg again = at(g, t0 + 1500 + D.ackMs());
    assertThat(again.seq()).as("only the unacknowledged segment").isEqualTo(two.seq());
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void thirdDuplicateAckRetransmitsAtOnce() throws Exception {
    byte[] down = bytes(3000, 23);
    Server srv = new Server("127.0.0.1", s -> {
      writeAll(s, down);
      readAll(s);
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 42005);
    g.connect(1000);
    Seg one = g.next(5000);
    g.next(5000);
    g.next(5000);
    g.rcvNxt = one.seq() + 1000;
    g.ack(); // progress: not a duplicate
    g.ack();
    g.ack();
    assertQuiet(g, 200);
    g.ack(); // the third duplicate
    Seg fast = g.next(2000);
    assertThat(fast).isNotNull();
    assertThat(fast.seq()).isEqualTo(one.seq() + 1000);
    assertThat(h.counters().get("fast retransmit")).isEqualTo(1);
    assertThat(h.counters().get("retransmission")).as("the clock stood still").isZero();
  }

  // ---- zero window

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void aZeroWindowIsProbedEveryTwoSeconds() throws Exception {
    byte[] down = bytes(10_000, 24);
    Server srv = new Server("127.0.0.1", s -> {
      writeAll(s, down);
      readAll(s);
    });
    HandlerHarness h = deploy();
    t0 = clock.get();
    GuestTcp g = guest(h, 4, srv.port(), 42006);
    g.window = 0;
    g.connect(1460);
    for (int k = 1; k <= 3; k++) {
      quietAt(g, t0 + k * D.ackMs() - 1);
      Seg probe = at(g, t0 + k * D.ackMs());
      assertThat(probe.payload()).as("nothing sent into a zero window").isEmpty();
      assertThat(probe.flags()).isEqualTo(Tcp.ACK);
      assertThat(probe.seq()).as("a probe the guest must answer").isEqualTo(g.rcvNxt - 1);
      g.ack(); // still zero
    }
    assertThat(h.counters().get("window probe")).isEqualTo(3);
    g.window = 65535;
    g.ack();
    absorbUntil(g, () -> g.received.size() == down.length);
    assertThat(g.received.toByteArray()).isEqualTo(down);
    assertNothingSentTwice(g.log);
  }

  // ---- FIN_TIMEOUT

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void finTimeoutIsSixtySecondsOnceBothSidesSentFin() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<String> seen = new CompletableFuture<>();
    Server srv = new Server("127.0.0.1", s -> {
      s.shutdownOutput(); // our FIN to the guest
      release.await(30, TimeUnit.SECONDS); // reads nothing meanwhile
      seen.complete(eofOrReset(s));
    });
    HandlerHarness h = deploy(passtTimers(16 << 10), true);
    t0 = clock.get();
    GuestTcp g = guest(h, 4, srv.port(), 42007);
    g.connect(1460);
    absorbUntil(g, () -> g.finReceived);
    // Fill our window towards the server, which does not read, then FIN.
    fillWindow(g, bytes(1 << 20, 25));
    g.send(g.sndNxt, Tcp.ACK | Tcp.FIN, new byte[0], new byte[0]);
    g.sndNxt++;
    absorbFor(g, 100);
    assertThat(h.verticle.openSockets()).as("the guest's bytes wait for the server").isEqualTo(1);
    quietAt(g, t0 + D.finMs() - 1);
    Seg rst = at(g, t0 + D.finMs());
    assertRst(rst);
    release.countDown();
    assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("reset");
    assertThat(h.counters().get("FIN timeout")).isEqualTo(1);
  }

  // ---- ACT_TIMEOUT

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void idleTimeoutIsTwoHoursWithoutActivity() throws Exception {
    CompletableFuture<String> seen = new CompletableFuture<>();
    Server srv = watcher("::1", seen);
    HandlerHarness h = deploy();
    t0 = clock.get();
    GuestTcp g = guest(h, 6, srv.port(), 42008);
    g.connect(1460);
    // Activity an hour in moves the deadline.
    long active = t0 + D.idleMs() / 2;
    advanceTo(active);
    g.run(new byte[] {1}, false, () -> true, 5000);
    quietAt(g, t0 + D.idleMs());
    quietAt(g, active + D.idleMs() - 1);
    Seg rst = at(g, active + D.idleMs());
    assertRst(rst);
    assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("reset");
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("idle timeout")).isEqualTo(1);
  }
}
