package io.passt4j.proto.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.PasstConfig;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.FlowTally;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.HandlerHarness;
import io.passt4j.testutil.TestConfigs;
import io.passt4j.testutil.TestNetns;
import io.passt4j.testutil.TransferServer;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The TCP handler's bound on connections and its defences against segments a correct stack
 * ignores, with real host sockets in a test namespace: when the table is full the oldest
 * half-open connection is evicted (reset towards the guest, flow event "evicted"), established
 * ones never are (a new SYN is refused with RST); a SYN on an established connection gets a
 * challenge ACK (RFC 5961), not a reset; a segment outside the window is answered with an ACK
 * and its ACK field ignored (RFC 9293 3.10.7.4), so it cannot acknowledge data the guest never
 * got.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpBoundsTest {

  static final String GUEST4 = "198.51.100.2";
  static final String GW4 = "198.51.100.1";
  /** Four connections at most; no retransmission or timeout during a test. */
  static final TcpHandler.Limits FOUR =
      new TcpHandler.Limits(30_000, 10_000, 60_000, 600_000, 50, 4, 1 << 20, 2 << 20);
  /** Retransmission after 200 ms. */
  static final TcpHandler.Limits FAST_RTO =
      new TcpHandler.Limits(30_000, 200, 60_000, 600_000, 20, 64, 1 << 20, 2 << 20);

  static TestNetns ns;
  Vertx vertx;
  PasstConfig cfg;
  TransferServer server;

  @BeforeAll
  static void namespace() throws Exception {
    ns = TestNetns.create();
  }

  @AfterAll
  static void closeNamespace() {
    if (ns != null) ns.close();
  }

  @BeforeEach
  void start() throws Exception {
    vertx = ns.vertx();
    cfg = TestConfigs.sandbox();
    cfg.instanceName = "bounds";
    server = TransferServer.start(ns, "127.0.0.1");
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  GuestTcp guest(HandlerHarness h, int guestPort) {
    return new GuestTcp(h, cfg.ourMac, GUEST4, guestPort, GW4, server.port, 7000 + guestPort);
  }

  /** The next frame for {@code guestPort} that {@code p} accepts, skipping others, within 5 s. */
  static Seg await(HandlerHarness h, int guestPort, Predicate<Seg> p) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < end) {
      byte[] f = h.toGuest.poll(50, TimeUnit.MILLISECONDS);
      if (f == null) continue;
      Seg s = GuestTcp.parse(f);
      if (s.dport() == guestPort && p.test(s)) return s;
    }
    throw new AssertionError("no such segment for port " + guestPort);
  }

  @Test
  void halfOpenConnectionsAreEvictedOldestFirstAndEstablishedOnesNever() throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin(FOUR));
    try (FlowTally tally = new FlowTally(vertx, h.instance.id)) {
      GuestTcp[] g = new GuestTcp[6];
      for (int i = 0; i < 4; i++) {
        g[i] = guest(h, 41000 + i);
        g[i].send(g[i].sndNxt, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]);
        Seg sa = await(h, 41000 + i, s -> s.flags() == (Tcp.SYN | Tcp.ACK));
        g[i].rcvNxt = sa.seq() + 1;
        g[i].sndNxt++;
      }
      assertThat(h.counters().get("connections opened")).isEqualTo(4);
      // A fifth SYN: the oldest half-open connection makes room, and its guest hears of it.
      g[4] = guest(h, 41004);
      g[4].send(g[4].sndNxt, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]);
      Seg rst = await(h, 41000, s -> s.has(Tcp.RST));
      assertThat(rst.ack()).as("RST acknowledges the evicted SYN").isEqualTo(g[0].sndNxt);
      Seg sa = await(h, 41004, s -> s.flags() == (Tcp.SYN | Tcp.ACK));
      g[4].rcvNxt = sa.seq() + 1;
      g[4].sndNxt++;
      assertThat(h.counters().get("half-open connection evicted")).isEqualTo(1);
      // The four left complete their handshakes: nothing half-open any more.
      for (int i : new int[] {1, 2, 3, 4}) {
        g[i].sndUna = g[i].sndNxt;
        g[i].ack();
      }
      until(() -> h.counters().get("connected") >= 4);
      g[5] = guest(h, 41005);
      g[5].send(g[5].sndNxt, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]);
      Seg refused = await(h, 41005, s -> s.has(Tcp.RST));
      assertThat(refused.ack()).isEqualTo(g[5].sndNxt + 1);
      assertThat(h.counters().get("connection table full")).isEqualTo(1);
      assertThat(h.counters().get("half-open connection evicted")).isEqualTo(1);
      until(() -> tally.closed("tcp", "evicted") == 1);
      assertThat(tally.live("tcp")).isEqualTo(4);
      assertThat(tally.max("tcp")).as("never more than the bound").isEqualTo(4);
    }
  }

  @Test
  void aSynOnAnEstablishedConnectionGetsAChallengeAckAndTheTransferGoesOn() throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin(FAST_RTO));
    GuestTcp g = guest(h, 42000);
    g.connect(1460);
    g.send(g.sndNxt + 99_999, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]);
    Seg s = g.next(2000);
    assertThat(s.flags()).as("challenge ACK").isEqualTo(Tcp.ACK);
    assertThat(s.ack()).isEqualTo(g.sndNxt);
    assertThat(h.counters().get("challenge ACK")).isEqualTo(1);
    byte[] up = TransferServer.guestSide(g, 1, 100_000, 200_000, 20_000);
    assertThat(server.upload(1).get(5, TimeUnit.SECONDS)).isEqualTo(up);
  }

  @Test
  void aSegmentOutsideTheWindowCannotAcknowledgeDataTheGuestNeverGot() throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin(FAST_RTO));
    GuestTcp g = guest(h, 43000);
    g.connect(1460);
    // Ask for 1000 bytes, take the first segment without acknowledging it.
    byte[] hdr = TransferServer.header(2, 0, 1000);
    g.send(g.sndNxt, Tcp.ACK | Tcp.PSH, new byte[0], hdr);
    g.sndNxt += hdr.length;
    Seg data = await(h, 43000, x -> x.payload().length > 0);
    // Forged: far beyond our window, acknowledging everything the handler sent.
    int end = data.seq() + data.payload().length;
    h.fromGuest(GuestTcp.frame(cfg.ourMac, GUEST4, 43000, GW4, server.port, g.sndNxt + (1 << 30),
        end, Tcp.ACK, 65535, new byte[0], new byte[0]));
    Seg answer = await(h, 43000, x -> x.payload().length == 0 && !x.has(Tcp.FIN));
    assertThat(answer.ack()).as("our ACK of the guest's real data").isEqualTo(g.sndNxt);
    assertThat(h.counters().get("drop: segment outside the window")).isEqualTo(1);
    // The data was not released: it comes again after the retransmission timeout.
    Seg again = await(h, 43000, x -> x.payload().length > 0);
    assertThat(again.seq()).isEqualTo(data.seq());
    assertThat(again.payload()).isEqualTo(data.payload());
  }

  static void until(java.util.function.BooleanSupplier c) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("condition not met in 5 s");
      Thread.sleep(10);
    }
  }
}
