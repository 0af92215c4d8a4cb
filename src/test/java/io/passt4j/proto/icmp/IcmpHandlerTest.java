package io.passt4j.proto.icmp;

import static io.passt4j.testutil.GuestFrames.echoRequest;
import static io.passt4j.testutil.GuestFrames.ip;
import static io.passt4j.testutil.GuestFrames.parse;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Icmp;
import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.GuestFrames.Parsed;
import io.passt4j.testutil.HandlerHarness;
import io.passt4j.testutil.TestConfigs;
import io.passt4j.testutil.TestNetns;
import io.vertx.core.Vertx;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ICMP handler in a real {@link io.passt4j.impl.HandlerVerticle} with real ping sockets, in a
 * network namespace of its own ({@link TestNetns}: lo only, ping_group_range opened there, so
 * the host's {@code 1 0} default does not matter and nothing leaves the machine). The sandbox
 * gateways 198.51.100.1 and 2001:db8::1 map to 127.0.0.1 and ::1.
 */
@ExtendWith(VertxExtension.class)
class IcmpHandlerTest {

  static final String GUEST4 = "198.51.100.2";
  static final String GW4 = "198.51.100.1";
  static final String GUEST6 = "2001:db8::2";
  static final String GW6 = "2001:db8::1";
  static final byte[] DATA = "abcdefghijklmnopqrstuvwxyz012345".getBytes(StandardCharsets.US_ASCII);

  static TestNetns ns;
  Vertx vertx;
  PasstConfig cfg;

  @BeforeAll
  static void namespace() throws Exception {
    ns = TestNetns.create();
  }

  @AfterAll
  static void closeNamespace() {
    if (ns != null) ns.close();
  }

  @BeforeEach
  void start() {
    vertx = ns.vertx();
    cfg = TestConfigs.sandbox();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  static void await(BooleanSupplier c) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("condition not met in 5 s");
      Thread.sleep(10);
    }
  }

  void expectReply(VertxTestContext tc, HandlerHarness h, int version, String from, String to,
      int id, int seq) {
    Checkpoint got = tc.checkpoint();
    h.onFrame(b -> tc.verify(() -> {
      Parsed p = parse(b);
      assertThat(p.ipVersion()).isEqualTo(version);
      assertThat(p.icmpType()).isEqualTo(version == 4 ? Icmp.V4_ECHO_REPLY : Icmp.V6_ECHO_REPLY);
      assertThat(p.src()).isEqualTo(ip(from));
      assertThat(p.dst()).isEqualTo(ip(to));
      assertThat(p.icmpId()).as("guest's identifier restored").isEqualTo(id);
      assertThat(p.icmpSeq()).isEqualTo(seq);
      assertThat(p.payload()).isEqualTo(DATA);
      assertThat(p.checksumsOk()).isTrue();
      assertThat(p.dstMac()).isEqualTo(HandlerHarness.GUEST_MAC);
      got.flag();
    }));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void echoToGatewayV4IsAnsweredByHostLoopbackFromTheGateway(VertxTestContext tc)
      throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new IcmpPlugin());
    expectReply(tc, h, 4, GW4, GUEST4, 0x1234, 7);
    h.fromGuest(echoRequest(cfg.ourMac, GUEST4, GW4, 0x1234, 7, DATA));
    assertThat(tc.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    assertThat(h.instance.guest.addr4()).isEqualTo(ip(GUEST4));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void echoToGatewayV6IsAnsweredByHostLoopbackFromTheGateway(VertxTestContext tc)
      throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new IcmpPlugin());
    expectReply(tc, h, 6, GW6, GUEST6, 0xbeef, 1);
    h.fromGuest(echoRequest(cfg.ourMac, GUEST6, GW6, 0xbeef, 1, DATA));
  }

  /**
   * The kernel rewrites the identifier to the socket's bound one, which differs from the guest's
   * when the guest's could not be bound (Linux 6.18 lets two ping sockets bind one identifier, so
   * a real conflict cannot be staged here): a socket bound to 999 stands in for it.
   */
  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void identifierRewrittenByTheKernelIsRestoredInTheReply(VertxTestContext tc) throws Exception {
    FakePing sockets = new FakePing(999);
    FakeHandlerContext ctx = new FakeHandlerContext(cfg, vertx, sockets);
    IcmpHandler h = new IcmpHandler(60_000, 10_000, 16);
    h.start(ctx).await(5, TimeUnit.SECONDS);
    byte[] req = echoRequest(cfg.ourMac, GUEST4, GW4, 0x4242, 3, DATA);
    h.handleFrame(Frame.classify(Unpooled.wrappedBuffer(req)));
    assertThat(sockets.sent).hasSize(1);
    assertThat(sockets.sentTo.getAddress()).isEqualTo(ip("127.0.0.1"));
    // What the ping socket would receive: the reply, with the socket's identifier.
    io.netty.buffer.ByteBuf reply = Unpooled.wrappedBuffer(sockets.sent.get(0));
    reply.setByte(0, Icmp.V4_ECHO_REPLY);
    reply.setShort(4, 999);
    sockets.receiver.receive(sockets.socket, reply,
        new java.net.InetSocketAddress(ip("127.0.0.1"), 0));
    assertThat(ctx.sent).hasSize(1);
    Parsed p = parse(io.netty.buffer.ByteBufUtil.getBytes(ctx.sent.get(0)));
    assertThat(p.icmpId()).isEqualTo(0x4242);
    assertThat(p.icmpSeq()).isEqualTo(3);
    assertThat(p.src()).isEqualTo(ip(GW4));
    assertThat(p.dst()).isEqualTo(ip(GUEST4));
    assertThat(p.checksumsOk()).isTrue();
    ctx.clearSent();
    h.stop();
    assertThat(sockets.socket.isOpen()).isFalse();
    tc.completeNow();
  }

  /** HostSockets whose ping socket is bound to a fixed identifier and records what is sent. */
  static final class FakePing implements io.passt4j.spi.HostSockets {
    final int boundId;
    final java.util.List<byte[]> sent = new java.util.ArrayList<>();
    java.net.InetSocketAddress sentTo;
    io.passt4j.spi.DatagramReceiver receiver;
    io.passt4j.spi.HostDatagramSocket socket;

    @Override
    public boolean supports(int ipProtocol) {
      return false;
    }

    FakePing(int boundId) {
      this.boundId = boundId;
    }

    @Override
    public io.passt4j.spi.HostDatagramSocket udp(java.net.InetSocketAddress bind, String iface,
        io.passt4j.spi.DatagramReceiver r) {
      throw new UnsupportedOperationException();
    }

    @Override
    public io.passt4j.spi.HostDatagramSocket ping(int v, java.net.InetAddress bind, int id,
        io.passt4j.spi.DatagramReceiver r) {
      receiver = r;
      socket = new io.passt4j.spi.HostDatagramSocket() {
        boolean open = true;

        @Override
        public java.net.InetSocketAddress localAddress() {
          return new java.net.InetSocketAddress(boundId);
        }

        @Override
        public void send(io.netty.buffer.ByteBuf payload, java.net.InetSocketAddress to) {
          sent.add(io.netty.buffer.ByteBufUtil.getBytes(payload));
          sentTo = to;
          payload.release();
        }

        @Override
        public void close() {
          open = false;
        }

        @Override
        public boolean isOpen() {
          return open;
        }
      };
      return socket;
    }
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void hostileRequestsAreDroppedCountedAndReleased(VertxTestContext tc) throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new IcmpPlugin());
    byte[] good = echoRequest(cfg.ourMac, GUEST4, GW4, 1, 1, DATA);

    byte[] badSum = good.clone();
    badSum[badSum.length - 1] ^= 0x55;
    byte[] badCode = good.clone();
    badCode[14 + 20 + 1] = 3; // code 3, checksum now wrong too: fix it below
    fixIcmp4Checksum(badCode);
    byte[] shortMsg = echoRequest(cfg.ourMac, GUEST4, GW4, 1, 1, new byte[0]);
    // Truncate the ICMP message to 4 bytes: IP total length 24.
    byte[] truncated = java.util.Arrays.copyOf(shortMsg, 14 + 24);
    truncated[14 + 3] = 24;
    fixIpv4HeaderChecksum(truncated);
    byte[] badSum6 = echoRequest(cfg.ourMac, GUEST6, GW6, 1, 1, DATA);
    badSum6[badSum6.length - 1] ^= 0x55;

    Frame[] frames = new Frame[4];
    byte[][] raw = {badSum, badCode, truncated, badSum6};
    for (int i = 0; i < raw.length; i++) {
      frames[i] = Frame.classify(Unpooled.wrappedBuffer(raw[i]));
      assertThat(frames[i].malformed()).isNull();
      h.fromGuest(frames[i]);
    }
    await(() -> h.counters().sum("drop: ") == 4);
    assertThat(h.counters().get("drop: bad ICMP checksum")).isEqualTo(1);
    assertThat(h.counters().get("drop: echo request with non-zero code")).isEqualTo(1);
    assertThat(h.counters().get("drop: short ICMP message")).isEqualTo(1);
    assertThat(h.counters().get("drop: bad ICMPv6 checksum")).isEqualTo(1);
    for (Frame f : frames) assertThat(f.refCnt()).as("released").isZero();
    assertThat(h.verticle.openSockets()).isZero();
    assertThat(h.toGuest).isEmpty();
    tc.completeNow();
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void idleSocketsAreClosedAfterTheTimeout(VertxTestContext tc) throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new IcmpPlugin(300, 50, 16));
    h.fromGuest(echoRequest(cfg.ourMac, GUEST4, GW4, 5, 1, DATA));
    h.fromGuest(echoRequest(cfg.ourMac, GUEST6, GW6, 5, 1, DATA));
    assertThat(h.toGuest.poll(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(h.toGuest.poll(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(h.verticle.openSockets()).isEqualTo(2);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("expired")).isEqualTo(2);
    tc.completeNow();
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void socketTableIsBoundedAndEvictsTheLeastRecentlyUsed(VertxTestContext tc) throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new IcmpPlugin(60_000, 10_000, 2));
    for (int id = 1; id <= 3; id++) {
      h.fromGuest(echoRequest(cfg.ourMac, GUEST4, GW4, 100 + id, 1, DATA));
      assertThat(h.toGuest.poll(5, TimeUnit.SECONDS)).isNotNull();
    }
    assertThat(h.verticle.openSockets()).isEqualTo(2);
    assertThat(h.counters().get("evicted")).isEqualTo(1);
    assertThat(h.counters().get("sockets opened")).isEqualTo(3);
    tc.completeNow();
  }

  static void fixIcmp4Checksum(byte[] f) {
    io.netty.buffer.ByteBuf b = Unpooled.wrappedBuffer(f);
    int len = f.length - 34;
    new Icmp().wrap(b, 34).setChecksum(len, 0);
  }

  static void fixIpv4HeaderChecksum(byte[] f) {
    f[24] = 0;
    f[25] = 0;
    int c = io.passt4j.packet.Checksum.compute(Unpooled.wrappedBuffer(f), 14, 20);
    f[24] = (byte) (c >> 8);
    f[25] = (byte) c;
  }
}
