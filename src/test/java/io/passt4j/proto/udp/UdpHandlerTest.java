package io.passt4j.proto.udp;

import static io.passt4j.testutil.GuestFrames.ip;
import static io.passt4j.testutil.GuestFrames.parse;
import static io.passt4j.testutil.GuestFrames.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import io.passt4j.packet.Frame;
import io.passt4j.testutil.GuestFrames.Parsed;
import io.passt4j.testutil.HandlerHarness;
import io.passt4j.testutil.TestConfigs;
import io.passt4j.testutil.TestNetns;
import io.vertx.core.Vertx;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The UDP handler in a real {@link io.passt4j.impl.HandlerVerticle} with real host sockets and
 * real peers, all inside a network namespace the test creates ({@link TestNetns}: lo only), so
 * every datagram stays on loopback. The sandbox gateways 198.51.100.1 and 2001:db8::1 stand for
 * 127.0.0.1 and ::1; the guest is 198.51.100.2 and 2001:db8::2.
 */
@ExtendWith(VertxExtension.class)
class UdpHandlerTest {

  static final String GUEST4 = "198.51.100.2";
  static final String GW4 = "198.51.100.1";
  static final String GUEST6 = "2001:db8::2";
  static final String GW6 = "2001:db8::1";

  static TestNetns ns;
  Vertx vertx;
  PasstConfig cfg;
  final List<AutoCloseable> peers = new java.util.ArrayList<>();

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
    for (AutoCloseable c : peers) c.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** A UDP peer on loopback inside the namespace; echoes what it gets when asked to. */
  final class Peer implements AutoCloseable {
    final DatagramChannel ch;
    final BlockingQueue<InetSocketAddress> senders = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    final Thread thread;

    Peer(String addr, int port, boolean echo) throws Exception {
      ch = ns.call(() -> {
        DatagramChannel c = DatagramChannel.open();
        c.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
        return c.bind(new InetSocketAddress(ip(addr), port));
      });
      thread = new Thread(() -> {
        ByteBuffer b = ByteBuffer.allocate(65536);
        try {
          while (true) {
            b.clear();
            SocketAddress from = ch.receive(b);
            b.flip();
            senders.add((InetSocketAddress) from);
            received.add(Arrays.copyOf(b.array(), b.limit()));
            if (echo) ch.send(b, from);
          }
        } catch (Exception closed) {
          // done
        }
      }, "udp-peer");
      thread.setDaemon(true);
      thread.start();
      peers.add(this);
    }

    int port() throws Exception {
      return ((InetSocketAddress) ch.getLocalAddress()).getPort();
    }

    void send(byte[] data, String addr, int port) throws Exception {
      ch.send(ByteBuffer.wrap(data), new InetSocketAddress(ip(addr), port));
    }

    @Override
    public void close() throws Exception {
      ch.close();
    }
  }

  static void await(BooleanSupplier c) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError("condition not met in 5 s");
      Thread.sleep(10);
    }
  }

  static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Expects one frame to the guest with these addresses and payload. */
  static void expect(VertxTestContext tc, HandlerHarness h, String from, int sport, String to,
      int dport, byte[] payload) {
    expect(tc, h, from, sport, to, dport, payload, HandlerHarness.GUEST_MAC);
  }

  static void expect(VertxTestContext tc, HandlerHarness h, String from, int sport, String to,
      int dport, byte[] payload, byte[] mac) {
    Checkpoint got = tc.checkpoint();
    h.onFrame(b -> tc.verify(() -> {
      Parsed p = parse(b);
      assertThat(p.protocol()).isEqualTo(17);
      assertThat(p.src()).as("source").isEqualTo(ip(from));
      assertThat(p.sport()).as("source port").isEqualTo(sport);
      assertThat(p.dst()).as("destination").isEqualTo(ip(to));
      assertThat(p.dport()).as("destination port").isEqualTo(dport);
      assertThat(p.payload()).isEqualTo(payload);
      assertThat(p.checksumsOk()).isTrue();
      assertThat(p.dstMac()).isEqualTo(mac);
      got.flag();
    }));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void datagramToGatewayV4GoesToLoopbackAndTheReplyComesFromTheGateway(VertxTestContext tc)
      throws Exception {
    Peer echo = new Peer("127.0.0.1", 0, true);
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin());
    byte[] data = bytes(9000, 1); // larger than Netty's 2048-byte default receive buffer
    expect(tc, h, GW4, echo.port(), GUEST4, 40000, data);
    h.fromGuest(udp(cfg.ourMac, GUEST4, 40000, GW4, echo.port(), data));
    assertThat(tc.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    InetSocketAddress seen = echo.senders.poll(1, TimeUnit.SECONDS);
    assertThat(seen.getPort()).as("host socket bound to the guest's port").isEqualTo(40000);
    assertThat(h.instance.guest.addr4()).isEqualTo(ip(GUEST4));
  }

  /**
   * Debian's passt bug (a): a reply to a datagram the guest sent to the IPv6 gateway address
   * came from passt's link-local address, so a connected socket in the guest never saw it. Ours
   * comes from the gateway address the guest sent to.
   */
  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void ipv6ReplyComesFromTheGatewayAddressNotLinkLocal_fixesDebianPasstBugA(VertxTestContext tc)
      throws Exception {
    Peer echo = new Peer("::1", 0, true);
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin());
    byte[] data = bytes(3000, 2);
    expect(tc, h, GW6, echo.port(), GUEST6, 40001, data);
    h.fromGuest(udp(cfg.ourMac, GUEST6, 40001, GW6, echo.port(), data));
    assertThat(tc.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    assertThat(echo.senders.poll(1, TimeUnit.SECONDS).getAddress()).isEqualTo(ip("::1"));
  }

  /**
   * Debian's passt bug (b): the guest's reply to a datagram forwarded in (-u) from ::1 was not
   * mapped back to ::1. Ours leaves from the forwarded port to the original ::1 sender.
   */
  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void forwardedFromLoopbackV6GuestReplyGoesBackToLoopback_fixesDebianPasstBugB(
      VertxTestContext tc) throws Exception {
    forwardAndReply(tc, "::1", GW6, GUEST6, 45001, 5001);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void forwardedFromLoopbackV4GuestReplyGoesBackThroughTheForwardedPort(VertxTestContext tc)
      throws Exception {
    forwardAndReply(tc, "127.0.0.1", GW4, GUEST4, 45002, 5002);
  }

  void forwardAndReply(VertxTestContext tc, String loopback, String gw, String guest, int port,
      int target) throws Exception {
    cfg.udpIn = new ForwardRules(ForwardRules.Mode.SPEC,
        List.of(new PortForward(null, null, port, target)));
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin());
    assertThat(h.verticle.openSockets()).as("one listener per family").isEqualTo(2);
    Peer client = new Peer(loopback, 0, false);
    byte[] question = bytes(100, 3);
    // The guest has sent nothing yet: its MAC address is unknown, frames go to broadcast.
    byte[] broadcast = {-1, -1, -1, -1, -1, -1};
    expect(tc, h, gw, client.port(), guest, target, question, broadcast);
    client.send(question, loopback, port);
    assertThat(tc.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    byte[] answer = bytes(4000, 4);
    h.fromGuest(udp(cfg.ourMac, guest, target, gw, client.port(), answer));
    byte[] got = client.received.poll(5, TimeUnit.SECONDS);
    assertThat(got).as("the guest's reply reached the original sender").isEqualTo(answer);
    InetSocketAddress from = client.senders.poll();
    assertThat(from.getAddress()).isEqualTo(ip(loopback));
    assertThat(from.getPort()).as("reply from the forwarded port").isEqualTo(port);
    assertThat(h.verticle.openSockets()).as("no extra socket for the reply").isEqualTo(2);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void dnsForwardGoesToTheResolverAndAnswersComeFromTheForwardAddress(VertxTestContext tc)
      throws Exception {
    Peer resolver = new Peer("127.0.0.1", 53, true);
    cfg.dns4 = List.of((java.net.Inet4Address) ip("127.0.0.1"));
    cfg.dnsForward4 = (java.net.Inet4Address) ip("198.51.100.53");
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin());
    byte[] q = bytes(40, 5);
    expect(tc, h, "198.51.100.53", 53, GUEST4, 40053, q);
    h.fromGuest(udp(cfg.ourMac, GUEST4, 40053, "198.51.100.53", 53, q));
    assertThat(tc.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    assertThat(resolver.received.poll(1, TimeUnit.SECONDS)).isEqualTo(q);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void loopbackResolverIsReachedThroughTheGateway(VertxTestContext tc) throws Exception {
    // resolv.conf said 127.0.0.53: the guest was given the gateway as resolver.
    Peer resolver = new Peer("127.0.0.53", 53, true);
    cfg.dnsHost4 = (java.net.Inet4Address) ip("127.0.0.53");
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin());
    byte[] q = bytes(40, 6);
    expect(tc, h, GW4, 53, GUEST4, 40054, q);
    h.fromGuest(udp(cfg.ourMac, GUEST4, 40054, GW4, 53, q));
    assertThat(tc.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
    assertThat(resolver.received.poll(1, TimeUnit.SECONDS)).isEqualTo(q);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void mapHostLoopbackAddressReachesHostLoopback(VertxTestContext tc) throws Exception {
    Peer echo = new Peer("127.0.0.1", 0, true);
    cfg.mapHostLoopback4 = ip("198.51.100.77");
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin());
    byte[] data = bytes(10, 7);
    expect(tc, h, "198.51.100.77", echo.port(), GUEST4, 40077, data);
    h.fromGuest(udp(cfg.ourMac, GUEST4, 40077, "198.51.100.77", echo.port(), data));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void idleFlowsAreClosedAfterTheTimeout(VertxTestContext tc) throws Exception {
    Peer echo = new Peer("127.0.0.1", 0, true);
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin(300, 50, 16));
    BlockingQueue<io.vertx.core.json.JsonObject> events = flowEvents(h);
    h.fromGuest(udp(cfg.ourMac, GUEST4, 40100, GW4, echo.port(), bytes(10, 8)));
    assertThat(h.toGuest.poll(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(h.verticle.openSockets()).isEqualTo(1);
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("flow expired")).isEqualTo(1);
    io.vertx.core.json.JsonObject opened = events.poll(5, TimeUnit.SECONDS);
    io.vertx.core.json.JsonObject closed = events.poll(5, TimeUnit.SECONDS);
    assertThat(opened.getString("event")).isEqualTo("opened");
    assertThat(opened.getString("handler")).isEqualTo("udp");
    assertThat(opened.getString("protocol")).isEqualTo("udp");
    assertThat(opened.getString("reason")).isEqualTo("guest");
    assertThat(opened.getJsonObject("guest").getString("address")).isEqualTo(GUEST4);
    assertThat(opened.getJsonObject("guest").getInteger("port")).isEqualTo(40100);
    assertThat(opened.getJsonObject("remote").getString("address")).isEqualTo(GW4);
    assertThat(opened.getJsonObject("remote").getInteger("port")).isEqualTo(echo.port());
    assertThat(opened.getJsonObject("host").getString("address")).isEqualTo("127.0.0.1");
    assertThat(closed.getString("event")).isEqualTo("closed");
    assertThat(closed.getString("reason")).isEqualTo("expired");
    assertThat(closed.getJsonObject("guest")).isEqualTo(opened.getJsonObject("guest"));
    tc.completeNow();
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void noFlowEventsWhenTurnedOff(VertxTestContext tc) throws Exception {
    Peer echo = new Peer("127.0.0.1", 0, true);
    cfg.flowEvents = false;
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin(300, 50, 16));
    BlockingQueue<io.vertx.core.json.JsonObject> events = flowEvents(h);
    h.fromGuest(udp(cfg.ourMac, GUEST4, 40101, GW4, echo.port(), bytes(10, 9)));
    assertThat(h.toGuest.poll(5, TimeUnit.SECONDS)).isNotNull();
    await(() -> h.verticle.openSockets() == 0);
    assertThat(h.counters().get("flow expired")).isEqualTo(1);
    // The flow opened and expired: with events on, two would have come by now (see above).
    assertThat(events.poll(500, TimeUnit.MILLISECONDS)).isNull();
    tc.completeNow();
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void flowTableIsBoundedAndEvictsTheLeastRecentlyUsed(VertxTestContext tc) throws Exception {
    Peer echo = new Peer("127.0.0.1", 0, true);
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin(60_000, 10_000, 2));
    for (int i = 0; i < 3; i++) {
      h.fromGuest(udp(cfg.ourMac, GUEST4, 40200 + i, GW4, echo.port(), bytes(10, i)));
      assertThat(h.toGuest.poll(5, TimeUnit.SECONDS)).isNotNull();
    }
    assertThat(h.verticle.openSockets()).isEqualTo(2);
    assertThat(h.counters().get("flow evicted")).isEqualTo(1);
    BlockingQueue<io.vertx.core.json.JsonObject> events = flowEvents(h);
    h.fromGuest(udp(cfg.ourMac, GUEST4, 40203, GW4, echo.port(), bytes(10, 3)));
    assertThat(h.toGuest.poll(5, TimeUnit.SECONDS)).isNotNull();
    io.vertx.core.json.JsonObject evicted = events.poll(5, TimeUnit.SECONDS);
    assertThat(evicted.getString("event")).isEqualTo("closed");
    assertThat(evicted.getString("reason")).isEqualTo("evicted");
    assertThat(evicted.getJsonObject("guest").getInteger("port")).isEqualTo(40201);
    assertThat(events.poll(5, TimeUnit.SECONDS).getString("event")).isEqualTo("opened");
    assertThat(h.counters().get("flows opened")).isEqualTo(4);
    tc.completeNow();
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void hostileDatagramsAreDroppedCountedAndReleased(VertxTestContext tc) throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new UdpPlugin());
    byte[] good = udp(cfg.ourMac, GUEST4, 40300, GW4, 9, bytes(20, 9));
    byte[] badSum = good.clone();
    badSum[badSum.length - 1] ^= 0x5a;
    byte[] badLen = good.clone();
    badLen[14 + 20 + 5] = (byte) 200; // UDP length beyond the IP payload
    byte[][] raw = {
      badSum,
      badLen,
      udp(cfg.ourMac, GUEST4, 40300, "224.0.0.251", 5353, bytes(4, 1)),
      udp(cfg.ourMac, GUEST4, 40300, "255.255.255.255", 9, bytes(4, 1)),
      udp(cfg.ourMac, GUEST4, 40300, "198.51.100.255", 9, bytes(4, 1)),
      udp(cfg.ourMac, GUEST4, 40300, "127.0.0.1", 9, bytes(4, 1)),
      udp(cfg.ourMac, GUEST4, 0, GW4, 9, bytes(4, 1)),
      udp(cfg.ourMac, GUEST6, 40300, "ff02::fb", 5353, bytes(4, 1)),
      udp6NoChecksum(udp(cfg.ourMac, GUEST6, 40300, GW6, 9, bytes(4, 1))),
    };
    Frame[] frames = new Frame[raw.length];
    for (int i = 0; i < raw.length; i++) {
      frames[i] = Frame.classify(Unpooled.wrappedBuffer(raw[i]));
      assertThat(frames[i].malformed()).isNull();
      h.fromGuest(frames[i]);
    }
    await(() -> h.counters().sum("drop: ") == raw.length);
    assertThat(h.counters().get("drop: bad UDP checksum")).isEqualTo(2);
    assertThat(h.counters().get("drop: bad UDP length")).isEqualTo(1);
    assertThat(h.counters().get("drop: multicast or broadcast destination")).isEqualTo(4);
    assertThat(h.counters().get("drop: unspecified or loopback destination")).isEqualTo(1);
    assertThat(h.counters().get("drop: port 0")).isEqualTo(1);
    for (Frame f : frames) assertThat(f.refCnt()).as("released").isZero();
    assertThat(h.verticle.openSockets()).isZero();
    assertThat(h.toGuest).isEmpty();
    tc.completeNow();
  }

  /** A zero UDP checksum, which IPv6 forbids. */
  static byte[] udp6NoChecksum(byte[] f) {
    f[14 + 40 + 6] = 0;
    f[14 + 40 + 7] = 0;
    return f;
  }

  /** The flow events of {@code h}'s instance, from a consumer registered before this returns. */
  private BlockingQueue<io.vertx.core.json.JsonObject> flowEvents(HandlerHarness h)
      throws Exception {
    BlockingQueue<io.vertx.core.json.JsonObject> events = new LinkedBlockingQueue<>();
    vertx.eventBus().<io.vertx.core.json.JsonObject>consumer(
        io.passt4j.Passt4jEvents.flowAddress(h.instance.id), m -> events.add(m.body()))
        .completion().await(5, TimeUnit.SECONDS);
    return events;
  }
}
