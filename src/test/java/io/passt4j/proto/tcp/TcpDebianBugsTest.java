package io.passt4j.proto.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.HandlerHarness;
import io.vertx.junit5.VertxExtension;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where Debian's passt (0.0~git20230309) is wrong, one test each that fails on its behaviour:
 * after the guest's half-close it often never delivers the server's FIN, or repeats data; under
 * two-way load it sends data to the guest twice; a guest MSS option below 4 crashes it (division
 * by zero); a SYN followed in the same batch by another segment of the flow hangs the flow.
 *
 * <p>The handler's clock stands still here unless a test moves it, so no retransmission timer can
 * fire: any byte sent twice is a bug, as the guest never sends three duplicate ACKs either.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpDebianBugsTest extends TcpTestBase {

  HandlerHarness deploy() throws Exception {
    return deploy(passtTimers(), true);
  }

  /** Asserts a clean end: the socket closed, nothing retransmitted, no reset. */
  static void assertCleanEnd(HandlerHarness h) throws InterruptedException {
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("connections closed")).isEqualTo(1);
    assertThat(h.counters().get("retransmission")).isZero();
    assertThat(h.counters().get("fast retransmit")).isZero();
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(ints = {4, 6})
  void guestHalfClose_theServersRestAndFinArriveOnce_debianPasstLosesTheFin(int v)
      throws Exception {
    byte[] question = bytes(100_000, 31);
    byte[] answer = bytes(1 << 20, 32);
    CountDownLatch answerNow = new CountDownLatch(1);
    Server[] sv = new Server[1];
    sv[0] = new Server(v == 4 ? "127.0.0.1" : "::1", s -> {
      sv[0].got.complete(readAll(s)); // until the guest's FIN
      answerNow.await(20, TimeUnit.SECONDS);
      int quarter = answer.length / 4;
      for (int i = 0; i < 4; i++) { // in pieces, with pauses: the guest's side waits between
        writeAll(s, java.util.Arrays.copyOfRange(answer, i * quarter, (i + 1) * quarter));
        Thread.sleep(50);
      }
    });
    HandlerHarness h = deploy();
    long t0 = clock.get();
    GuestTcp g = guest(h, v, sv[0].port(), 43000 + v);
    Seg synAck = g.connect(1460);
    g.run(question, true, () -> true, 20_000);
    assertThat(sv[0].got.get(10, TimeUnit.SECONDS)).isEqualTo(question);
    // Half-closed for longer than the FIN timeout: still alive, as long as the server is.
    quietFor(g, t0 + TcpHandler.Limits.DEFAULT.finMs() + 1000);
    answerNow.countDown();
    absorbUntil(g, () -> g.finReceived);
    assertThat(g.received.toByteArray()).as("the server's whole answer").isEqualTo(answer);
    List<Seg> fins = g.log.stream().filter(s -> s.has(Tcp.FIN)).toList();
    assertThat(fins).as("one FIN").hasSize(1);
    assertThat(fins.get(0).seq()).as("right after the data")
        .isEqualTo(synAck.seq() + 1 + answer.length);
    assertNothingSentTwice(g.log);
    assertCleanEnd(h);
  }

  /** Moves the clock to {@code t}; nothing may reach the guest. */
  void quietFor(GuestTcp g, long t) throws Exception {
    advanceTo(t);
    assertQuiet(g, 200);
  }

  @ParameterizedTest(name = "IPv{0}")
  @ValueSource(ints = {4, 6})
  void twoWayLoad_noByteSentTwice_debianPasstRepeatsData(int v) throws Exception {
    byte[] up = bytes(2 << 20, 33);
    byte[] down = bytes(2 << 20, 34);
    Server srv = bothWays(v == 4 ? "127.0.0.1" : "::1", down);
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, v, srv.port(), 43010 + v);
    g.connect(1460);
    g.run(up, true, () -> g.finReceived, 40_000);
    assertThat(srv.got.get(10, TimeUnit.SECONDS)).isEqualTo(up);
    assertThat(g.received.toByteArray()).isEqualTo(down);
    assertNothingSentTwice(g.log);
    assertCleanEnd(h);
  }

  @Test
  void dataSegmentsRepeatingAnAckAreNotDuplicateAcks_debianPasstRetransmits() throws Exception {
    Server srv = new Server("127.0.0.1", s -> {
      writeAll(s, bytes(3000, 35));
      readAll(s);
    });
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 43020);
    g.connect(1000);
    Seg one = g.next(5000);
    g.next(5000);
    g.next(5000);
    // The guest sends data while our three segments are unacknowledged: each of its segments
    // carries the same ACK number. That is no duplicate ACK (RFC 5681: no data).
    for (int i = 0; i < 5; i++) {
      g.send(g.sndNxt, Tcp.ACK | Tcp.PSH, new byte[0], bytes(100, 36 + i));
      g.sndNxt += 100;
    }
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
    while (System.nanoTime() < end) {
      Seg s = g.next(20);
      if (s != null) assertThat(s.payload()).as("nothing sent again: %s", s).isEmpty();
    }
    assertThat(h.counters().get("fast retransmit")).isZero();
    // Three real duplicate ACKs: one fast retransmission from the oldest unacknowledged byte.
    for (int i = 0; i < 3; i++) g.ack();
    Seg again = g.next(2000);
    assertThat(again).isNotNull();
    assertThat(again.seq()).isEqualTo(one.seq());
    assertThat(h.counters().get("fast retransmit")).isEqualTo(1);
  }

  @ParameterizedTest(name = "MSS option {0}")
  @ValueSource(ints = {0, 1, 2, 3})
  void guestMssBelowFour_raisedNotDividedBy_debianPasstCrashes(int mss) throws Exception {
    byte[] down = bytes(5000, 37);
    Server srv = new Server("127.0.0.1", s -> {
      writeAll(s, down);
      s.shutdownOutput();
      readAll(s);
    });
    cfg.tcpIn = new ForwardRules(ForwardRules.Mode.SPEC,
        List.of(new PortForward(null, null, 18383, 8383)));
    HandlerHarness h = deploy();
    // Guest-initiated: the MSS option of the guest's SYN.
    GuestTcp g = guest(h, 4, srv.port(), 43030);
    g.connect(mss);
    g.run(new byte[0], true, () -> g.finReceived, 20_000);
    assertThat(g.received.toByteArray()).isEqualTo(down);
    for (Seg s : g.log) assertThat(s.payload().length).isLessThanOrEqualTo(TcpHandler.MIN_MSS);
    // Host-initiated (-t): the MSS option of the guest's SYN-ACK.
    CompletableFuture<byte[]> client = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        ns.enter();
        try (SocketChannel s = SocketChannel.open(
            new InetSocketAddress(io.passt4j.testutil.GuestFrames.ip("127.0.0.1"), 18383))) {
          writeAll(s, down);
          s.shutdownOutput();
          client.complete(readAll(s));
        }
      } catch (Exception e) {
        client.completeExceptionally(e);
      }
    }, "tcp-client");
    t.setDaemon(true);
    t.start();
    GuestTcp in = GuestTcp.accept(h, cfg.ourMac, GUEST4, 8383, 7000, mss, 10_000);
    in.run(new byte[0], false, () -> in.finReceived, 20_000);
    assertThat(in.received.toByteArray()).isEqualTo(down);
    for (Seg s : in.log) assertThat(s.payload().length).isLessThanOrEqualTo(TcpHandler.MIN_MSS);
    in.run(new byte[0], true, () -> true, 10_000);
    assertThat(client.get(10, TimeUnit.SECONDS)).isEmpty();
    await(() -> h.verticle.openSockets() == 1);
  }

  @Test
  void synThenMoreSegmentsOfTheFlowInOneBatch_debianPasstHangs() throws Exception {
    Server srv = sink("127.0.0.1");
    HandlerHarness h = deploy();
    GuestTcp g = guest(h, 4, srv.port(), 43040);
    int isn = g.sndNxt;
    byte[] syn = frame(g, isn, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]);
    // SYN, the same SYN again, an early ACK with data and an early FIN, handled before the
    // connect can complete.
    batch(h, syn, syn, frame(g, isn + 1, Tcp.ACK, new byte[0], new byte[] {1, 2, 3}),
        frame(g, isn + 4, Tcp.ACK | Tcp.FIN, new byte[0], new byte[0]));
    assertThat(h.counters().get("SYN repeated")).isEqualTo(1);
    assertThat(h.counters().get("drop: segment before handshake")).isEqualTo(2);
    g.sndNxt = isn + 1;
    Seg synAck = g.next(5000);
    assertThat(synAck).as("SYN-ACK").isNotNull();
    assertThat(synAck.flags()).isEqualTo(Tcp.SYN | Tcp.ACK);
    assertThat(synAck.ack()).isEqualTo(isn + 1);
    g.sndUna = g.sndNxt;
    g.rcvNxt = synAck.seq() + 1;
    g.peerMss = synAck.mss();
    g.peerWscale = synAck.wscale();
    g.peerWindow = synAck.window();
    g.ack();
    byte[] data = bytes(1000, 38);
    g.run(data, true, () -> g.finReceived, 10_000);
    assertThat(srv.got.get(10, TimeUnit.SECONDS)).as("only what came after the handshake")
        .isEqualTo(data);
    assertCleanEnd(h);

    // SYN then RST in one batch: the pending connect is dropped, nothing is left.
    GuestTcp g2 = guest(h, 4, srv.port(), 43041);
    batch(h, frame(g2, 5000, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]),
        frame(g2, 5001, Tcp.RST, new byte[0], new byte[0]));
    assertThat(h.counters().get("guest reset")).isEqualTo(1);
    assertQuiet(g2, 300);
    await(() -> h.verticle.openSockets() == 0);
  }
}
