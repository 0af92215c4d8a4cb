package io.passt4j.proto.tcp;

import static io.passt4j.testutil.GuestFrames.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.HandlerHarness;
import io.passt4j.testutil.TestNetns;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The TCP handler in a real {@link io.passt4j.impl.HandlerVerticle} with real host sockets and
 * real loopback servers, all inside a network namespace the test creates ({@link TestNetns}), the
 * guest played by {@link GuestTcp}. The sandbox gateways 198.51.100.1 and 2001:db8::1 stand for
 * 127.0.0.1 and ::1.
 */
@ExtendWith(VertxExtension.class)
class TcpHandlerTest extends TcpTestBase {

  static final TcpHandler.Limits FAST =
      new TcpHandler.Limits(3_000, 200, 5_000, 60_000, 20, 64, 1 << 20, 2 << 20);

  // ---- data both ways

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void oneMebibyteEachWayV4() throws Exception {
    bothWays(4);
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void oneMebibyteEachWayV6() throws Exception {
    bothWays(6);
  }

  void bothWays(int v) throws Exception {
    byte[] up = bytes(1 << 20, 1);
    byte[] down = bytes(1 << 20, 2);
    Server srv = bothWays(v == 4 ? "127.0.0.1" : "::1", down);
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    GuestTcp g = guest(h, v, srv.port(), 40000 + v);
    Seg synAck = g.connect(1460);
    assertThat(synAck.mss()).as("MSS clamped to the MTU").isEqualTo(65520 - (v == 4 ? 40 : 60));
    assertThat(synAck.wscale()).isEqualTo(TcpHandler.OUR_WSCALE);
    assertThat(synAck.checksumOk()).isTrue();
    g.run(up, true, () -> g.finReceived, 30_000);
    assertThat(srv.got.get(10, TimeUnit.SECONDS)).as("server got the upload").isEqualTo(up);
    assertThat(g.received.toByteArray()).as("guest got the download").isEqualTo(down);
    for (Seg s : g.log) {
      assertThat(s.checksumOk()).isTrue();
      assertThat(s.payload().length).isLessThanOrEqualTo(1460);
    }
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("connections closed")).isEqualTo(1);
  }

  // ---- refusal, half-close, resets

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void refusedPortAnswersRst() throws Exception {
    int closed = ns.call(() -> {
      try (ServerSocketChannel s = ServerSocketChannel.open()) {
        s.bind(new InetSocketAddress(ip("127.0.0.1"), 0));
        return ((InetSocketAddress) s.getLocalAddress()).getPort();
      }
    });
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    GuestTcp g = guest(h, 4, closed, 40010);
    g.send(5000, Tcp.SYN, GuestTcp.synOptions(1460, 7), new byte[0]);
    Seg s = g.next(5000);
    assertThat(s).isNotNull();
    assertThat(s.flags()).isEqualTo(Tcp.RST | Tcp.ACK);
    assertThat(s.ack()).isEqualTo(5001);
    assertThat(h.counters().get("connect refused")).isEqualTo(1);
    await(() -> h.verticle.openSockets() == 0);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void serverResetReachesTheGuestAsRst() throws Exception {
    Server srv = new Server("127.0.0.1", s -> {
      ByteBuffer one = ByteBuffer.allocate(1);
      s.read(one);
      s.setOption(StandardSocketOptions.SO_LINGER, 0);
    });
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    GuestTcp g = guest(h, 4, srv.port(), 40012);
    g.connect(1460);
    g.send(g.sndNxt, Tcp.ACK | Tcp.PSH, new byte[0], new byte[] {42});
    g.sndNxt++;
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!g.rstReceived && System.nanoTime() < end) {
      Seg s = g.next(100);
      if (s != null) g.absorb(s);
    }
    assertThat(g.rstReceived).isTrue();
    assertThat(h.counters().get("host reset")).isEqualTo(1);
    await(() -> h.verticle.openSockets() == 0);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void guestRstResetsTheHostSocket() throws Exception {
    CompletableFuture<String> seen = new CompletableFuture<>();
    Server srv = new Server("127.0.0.1", s -> {
      try {
        readAll(s);
        seen.complete("eof");
      } catch (java.io.IOException e) {
        seen.complete("reset");
      }
    });
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    GuestTcp g = guest(h, 4, srv.port(), 40013);
    g.connect(1460);
    Thread.sleep(100);
    g.send(g.sndNxt, Tcp.RST, new byte[0], new byte[0]);
    assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo("reset");
    await(() -> h.verticle.openSockets() == 0);
  }

  // ---- sequence space

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void outOfOrderSegmentsAreDroppedAndDuplicatesReAcked() throws Exception {
    byte[] data = bytes(300, 5);
    Server[] sv = {sink("127.0.0.1")};
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    GuestTcp g = guest(h, 4, sv[0].port(), 40014);
    g.connect(1460);
    int base = g.sndNxt;
    // Bytes 100..200 first: beyond the next expected byte, dropped, duplicate ACK.
    g.send(base + 100, Tcp.ACK, new byte[0], java.util.Arrays.copyOfRange(data, 100, 200));
    Seg s = g.next(2000);
    assertThat(s.ack()).isEqualTo(base);
    // 0..100 in order.
    g.send(base, Tcp.ACK, new byte[0], java.util.Arrays.copyOfRange(data, 0, 100));
    s = g.next(2000);
    assertThat(s.ack()).isEqualTo(base + 100);
    // 0..200 overlapping: only 100..200 is new.
    g.send(base, Tcp.ACK, new byte[0], java.util.Arrays.copyOfRange(data, 0, 200));
    s = g.next(2000);
    assertThat(s.ack()).isEqualTo(base + 200);
    // 0..100 again: a pure duplicate, re-ACKed.
    g.send(base, Tcp.ACK, new byte[0], java.util.Arrays.copyOfRange(data, 0, 100));
    s = g.next(2000);
    assertThat(s.ack()).isEqualTo(base + 200);
    g.send(base + 200, Tcp.ACK | Tcp.FIN, new byte[0], java.util.Arrays.copyOfRange(data, 200, 300));
    s = g.next(2000);
    assertThat(s.ack()).as("data and FIN acknowledged").isEqualTo(base + 301);
    assertThat(sv[0].got.get(5, TimeUnit.SECONDS)).isEqualTo(data);
    assertThat(h.counters().get("out of order segment")).isEqualTo(1);
    assertThat(h.counters().get("duplicate segment")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void zeroWindowHoldsDataUntilTheWindowOpens() throws Exception {
    byte[] down = bytes(10_000, 6);
    Server srv = new Server("127.0.0.1", s -> {
      ByteBuffer d = ByteBuffer.wrap(down);
      while (d.hasRemaining()) s.write(d);
      Thread.sleep(5000);
    });
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin(FAST));
    GuestTcp g = guest(h, 4, srv.port(), 40015);
    g.window = 0;
    g.connect(1460);
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600);
    while (System.nanoTime() < end) {
      Seg s = g.next(50);
      if (s != null) {
        assertThat(s.payload()).as("nothing sent into a zero window").isEmpty();
        g.log.remove(s);
      }
    }
    assertThat(h.counters().get("window probe")).as("zero window probed").isPositive();
    g.window = 65535;
    g.ack(); // window update
    g.run(new byte[0], false, () -> g.received.size() == down.length, 10_000);
    assertThat(g.received.toByteArray()).isEqualTo(down);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void unacknowledgedDataIsRetransmittedOnTimeoutAndOnThreeDuplicateAcks() throws Exception {
    byte[] down = bytes(3000, 7);
    Server srv = new Server("127.0.0.1", s -> {
      s.write(ByteBuffer.wrap(down));
      Thread.sleep(5000);
    });
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin(FAST));
    GuestTcp g = guest(h, 4, srv.port(), 40016);
    g.connect(1000);
    List<Seg> first = new ArrayList<>();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (first.size() < 3 && System.nanoTime() < end) {
      Seg s = g.next(100);
      if (s != null && s.payload().length > 0) first.add(s);
    }
    assertThat(first).hasSize(3);
    assertThat(first.get(0).payload()).hasSize(1000);
    // No ACK: after ~200 ms the first segment comes again.
    Seg again = g.next(2000);
    assertThat(again.seq()).isEqualTo(first.get(0).seq());
    assertThat(again.payload()).isEqualTo(first.get(0).payload());
    assertThat(h.counters().get("retransmission")).isPositive();
    while (g.next(100) != null) {
      // drain the rest of the go-back-N burst
    }
    // Three duplicate ACKs of the first byte: fast retransmit, before the timer.
    for (int i = 0; i < 3; i++) g.ack();
    Seg fast = g.next(150);
    assertThat(fast).isNotNull();
    assertThat(fast.seq()).isEqualTo(g.rcvNxt);
    assertThat(h.counters().get("fast retransmit")).isEqualTo(1);
    g.run(new byte[0], false, () -> g.received.size() == down.length, 5_000);
    assertThat(g.received.toByteArray()).isEqualTo(down);
  }

  // ---- hostile input and the handshake

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void hostileSegmentsAreDroppedCountedAndReleased() throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    byte[] mac = cfg.ourMac;
    byte[] syn = GuestTcp.frame(mac, GUEST4, 40020, GW4, 9, 1, 0, Tcp.SYN, 65535,
        GuestTcp.synOptions(1460, 7), new byte[0]);
    byte[] badSum = syn.clone();
    badSum[badSum.length - 1] ^= 0x55;
    byte[][] raw = {
      badSum,
      GuestTcp.frame(mac, GUEST4, 40020, GW4, 9, 1, 0, Tcp.SYN | Tcp.FIN, 65535, new byte[0],
          new byte[0]),
      GuestTcp.frame(mac, GUEST4, 40020, GW4, 9, 1, 0, Tcp.SYN | Tcp.RST, 65535, new byte[0],
          new byte[0]),
      GuestTcp.frame(mac, GUEST4, 40020, GW4, 9, 1, 0, 0, 65535, new byte[0], new byte[] {1}),
      GuestTcp.frame(mac, GUEST4, 40020, GW4, 9, 1, 0, Tcp.FIN, 65535, new byte[0], new byte[0]),
      GuestTcp.frame(mac, GUEST4, 40020, GW4, 9, 1, 0, Tcp.SYN, 65535,
          new byte[] {2, 0, 0, 0}, new byte[0]), // option length 0
      GuestTcp.frame(mac, GUEST4, 40020, GW4, 9, 1, 0, Tcp.SYN, 65535,
          new byte[] {1, 1, 1, 2}, new byte[0]), // option running past the header
      GuestTcp.frame(mac, GUEST4, 40020, GW4, 9, 1, 0, Tcp.SYN, 65535,
          new byte[] {2, 3, 5, 0}, new byte[0]), // MSS option of length 3
      GuestTcp.frame(mac, GUEST4, 0, GW4, 9, 1, 0, Tcp.SYN, 65535, new byte[0], new byte[0]),
      GuestTcp.frame(mac, GUEST4, 40020, "224.0.0.1", 9, 1, 0, Tcp.SYN, 65535, new byte[0],
          new byte[0]),
    };
    Frame[] frames = new Frame[raw.length];
    for (int i = 0; i < raw.length; i++) {
      frames[i] = Frame.classify(Unpooled.wrappedBuffer(raw[i]));
      h.fromGuest(frames[i]);
    }
    await(() -> h.counters().sum("drop: ") == raw.length);
    assertThat(h.counters().get("drop: bad TCP checksum")).isEqualTo(1);
    assertThat(h.counters().get("drop: nonsense TCP flags")).isEqualTo(4);
    assertThat(h.counters().get("drop: bad TCP options")).isEqualTo(3);
    for (Frame f : frames) assertThat(f.refCnt()).as("released").isZero();
    assertThat(h.verticle.openSockets()).isZero();
    assertThat(h.toGuest).isEmpty();
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void segmentWithoutConnectionIsAnsweredWithRst() throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    GuestTcp g = guest(h, 6, 9, 40024);
    g.send(777, Tcp.ACK, new byte[0], new byte[] {1});
    Seg s = g.next(2000);
    assertThat(s.flags()).isEqualTo(Tcp.RST);
    assertThat(h.counters().get("segment without connection")).isEqualTo(1);
  }
}
