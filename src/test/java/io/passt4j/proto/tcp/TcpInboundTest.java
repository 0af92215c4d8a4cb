package io.passt4j.proto.tcp;

import static io.passt4j.testutil.GuestFrames.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.PortForward;
import io.passt4j.packet.Tcp;
import io.passt4j.testutil.GuestTcp;
import io.passt4j.testutil.GuestTcp.Seg;
import io.passt4j.testutil.HandlerHarness;
import io.passt4j.testutil.TestNetns;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Host-initiated connections ({@code -t}): clients inside a test namespace ({@link TestNetns})
 * connect to the handler's listeners, the guest is a {@link GuestTcp} server. The sandbox
 * configuration's gateways (198.51.100.1, 2001:db8::1) are what loopback clients look like to the
 * guest; clients on the namespace's other interface (203.0.113.5, 2001:db8:5::5) keep their
 * address.
 */
@ExtendWith(VertxExtension.class)
class TcpInboundTest extends TcpTestBase {

  static final int PORT = 18080;
  static final int GUEST_PORT = 8080;
  static final TcpHandler.Limits FAST =
      new TcpHandler.Limits(2_000, 200, 5_000, 60_000, 20, 64, 1 << 20, 2 << 20);

  @BeforeAll
  static void uplink() throws Exception {
    ns.addUplink();
  }

  @BeforeEach
  void forwardPort() {
    cfg.tcpIn = new ForwardRules(ForwardRules.Mode.SPEC,
        List.of(new PortForward(null, null, PORT, GUEST_PORT)));
  }

  /**
   * A host client in the namespace, on its own thread: connects (from {@code bind} if given),
   * sends {@code data}, half-closes, reads until EOF. Completes with what it read.
   */
  static CompletableFuture<byte[]> client(String bind, String to, byte[] data) {
    return client(bind, to, PORT, data);
  }

  /** As {@link #client(String, String, byte[])}, to {@code port}. */
  static CompletableFuture<byte[]> client(String bind, String to, int port, byte[] data) {
    CompletableFuture<byte[]> got = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        ns.enter();
        try (SocketChannel s = SocketChannel.open()) {
          if (bind != null) s.bind(new InetSocketAddress(ip(bind), 0));
          s.connect(new InetSocketAddress(ip(to), port));
          writeAll(s, data);
          s.shutdownOutput();
          got.complete(readAll(s));
        }
      } catch (Exception e) {
        got.completeExceptionally(e);
      }
    }, "tcp-client");
    t.setDaemon(true);
    t.start();
    return got;
  }

  /** The guest echoes what it received, after the client's FIN, then closes. */
  void echo(int v, String bind, String to, String shownAs) throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    assertThat(h.verticle.openSockets()).as("one dual-stack listener, as passt").isEqualTo(1);
    byte[] data = bytes(300_000, v);
    CompletableFuture<byte[]> got = client(bind, to, data);
    GuestTcp g = GuestTcp.accept(h, cfg.ourMac, v == 4 ? GUEST4 : GUEST6, GUEST_PORT, 7000, 1460,
        10_000);
    Seg syn = g.synSeen;
    assertThat(syn.src()).as("the client's address as the guest sees it").isEqualTo(shownAs);
    assertThat(syn.dst()).isEqualTo(ip(v == 4 ? GUEST4 : GUEST6).getHostAddress());
    assertThat(syn.mss()).isEqualTo(65520 - (v == 4 ? 40 : 60));
    assertThat(syn.wscale()).isEqualTo(TcpHandler.OUR_WSCALE);
    assertThat(syn.checksumOk()).isTrue();
    g.run(new byte[0], false, () -> g.finReceived, 20_000);
    assertThat(g.received.toByteArray()).as("guest got the client's bytes").isEqualTo(data);
    g.run(data, true, () -> true, 20_000);
    assertThat(got.get(20, TimeUnit.SECONDS)).as("client got the echo").isEqualTo(data);
    for (Seg s : g.log) {
      assertThat(s.checksumOk()).isTrue();
      assertThat(s.payload().length).isLessThanOrEqualTo(1460);
    }
    await(() -> h.verticle.openSockets() == 1);
    assertThat(h.counters().get("forwarded connections")).isEqualTo(1);
    assertThat(h.counters().get("connections closed")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void loopbackClientV4ReachesTheGuestFromTheGateway() throws Exception {
    echo(4, null, "127.0.0.1", "198.51.100.1");
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void loopbackClientV6ReachesTheGuestFromTheGateway() throws Exception {
    echo(6, null, "::1", ip("2001:db8::1").getHostAddress());
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void otherClientV4KeepsItsAddress() throws Exception {
    echo(4, TestNetns.UPLINK4, TestNetns.UPLINK4, TestNetns.UPLINK4);
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void otherClientV6KeepsItsAddress() throws Exception {
    echo(6, TestNetns.UPLINK6, TestNetns.UPLINK6, ip(TestNetns.UPLINK6).getHostAddress());
  }

  @Test
  @Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
  void noWindowScalingUnlessTheGuestOffersIt() throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    byte[] data = bytes(200_000, 9);
    CompletableFuture<byte[]> got = client(null, "127.0.0.1", data);
    GuestTcp g = GuestTcp.accept(h, cfg.ourMac, GUEST4, GUEST_PORT, 9000, 1460, -1, 10_000);
    assertThat(g.log.get(g.log.size() - 1).window()).as("our window, unscaled").isEqualTo(65535);
    g.run(new byte[0], false, () -> g.finReceived, 20_000);
    assertThat(g.received.toByteArray()).isEqualTo(data);
    g.run(data, true, () -> true, 20_000);
    assertThat(got.get(20, TimeUnit.SECONDS)).isEqualTo(data);
    await(() -> h.verticle.openSockets() == 1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void guestResetResetsTheClient() throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    CompletableFuture<byte[]> got = client(null, "127.0.0.1", new byte[] {1, 2, 3});
    Seg syn = null;
    while (syn == null) {
      byte[] f = h.toGuest.poll(10, TimeUnit.SECONDS);
      assertThat(f).as("SYN to the guest").isNotNull();
      Seg s = GuestTcp.parse(f);
      if (s.has(Tcp.SYN)) syn = s;
    }
    h.fromGuest(GuestTcp.frame(cfg.ourMac, GUEST4, GUEST_PORT, syn.src(), syn.sport(), 0,
        syn.seq() + 1, Tcp.RST | Tcp.ACK, 0, new byte[0], new byte[0]));
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> got.get(10, TimeUnit.SECONDS)).hasRootCauseInstanceOf(IOException.class);
    assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));
    await(() -> h.verticle.openSockets() == 1);
    assertThat(h.counters().get("guest reset")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void silentGuestTimesOutAndResetsTheClient() throws Exception {
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin(FAST));
    CompletableFuture<byte[]> got = client(null, "::1", new byte[] {1, 2, 3});
    assertThatThrownBy(() -> got.get(15, TimeUnit.SECONDS)).hasRootCauseInstanceOf(IOException.class);
    long syns = h.toGuest.stream().map(GuestTcp::parse).filter(s -> s.flags() == Tcp.SYN).count();
    assertThat(syns).as("SYN retransmitted").isGreaterThan(1);
    await(() -> h.verticle.openSockets() == 1);
    assertThat(h.counters().get("handshake timeout")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void portInUseFailsTheStartWithPasstsWording() throws Exception {
    ServerSocketChannel taken = ns.call(
        () -> ServerSocketChannel.open().bind(new InetSocketAddress(ip("::"), PORT)));
    try {
      assertThatThrownBy(() -> HandlerHarness.deploy(vertx, cfg, new TcpPlugin()))
          .hasMessageContaining("Failed to bind any port for '-t " + PORT + "'");
    } finally {
      taken.close();
    }
  }

  /** Ports 18090 to 18094 as {@code -t all} binds them: what can't be bound is skipped. */
  static ForwardRules allOf(int from, int to) {
    List<PortForward> l = new java.util.ArrayList<>();
    for (int p = from; p <= to; p++) l.add(new PortForward(null, null, p, p));
    return new ForwardRules(ForwardRules.Mode.ALL, l);
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void allSkipsPortsItCannotBindAndForwardsTheRest() throws Exception {
    cfg.tcpIn = allOf(18090, 18094);
    ServerSocketChannel taken = ns.call(
        () -> ServerSocketChannel.open().bind(new InetSocketAddress(ip("::"), 18092)));
    ServerSocketChannel taken4 = ns.call(() -> ServerSocketChannel.open(
        java.net.StandardProtocolFamily.INET).bind(new InetSocketAddress(ip("0.0.0.0"), 18093)));
    try {
      HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
      // 18092 is taken in both families, 18093 in IPv4 only: an IPv6 listener is left there
      assertThat(h.verticle.openSockets()).isEqualTo(4);
      byte[] data = bytes(100_000, 18);
      CompletableFuture<byte[]> got = client(null, "::1", 18091, data);
      GuestTcp g = GuestTcp.accept(h, cfg.ourMac, GUEST6, 18091, 7000, 1460, 10_000);
      g.run(new byte[0], false, () -> g.finReceived, 20_000);
      assertThat(g.received.toByteArray()).isEqualTo(data);
      g.run(data, true, () -> true, 20_000);
      assertThat(got.get(20, TimeUnit.SECONDS)).isEqualTo(data);
      await(() -> h.verticle.openSockets() == 4);
    } finally {
      taken.close();
      taken4.close();
    }
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void allFailsOnlyWhenNoPortCanBeBound() throws Exception {
    cfg.tcpIn = allOf(18095, 18095);
    ServerSocketChannel taken = ns.call(
        () -> ServerSocketChannel.open().bind(new InetSocketAddress(ip("::"), 18095)));
    try {
      assertThatThrownBy(() -> HandlerHarness.deploy(vertx, cfg, new TcpPlugin()))
          .hasMessageContaining("Failed to bind any port for '-t all'");
    } finally {
      taken.close();
    }
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void aTakenPortOfAListIsSkippedAsInPasst() throws Exception {
    cfg.tcpIn = new ForwardRules(ForwardRules.Mode.SPEC, List.of(
        new PortForward(null, null, PORT, GUEST_PORT),
        new PortForward(null, null, PORT + 1, GUEST_PORT + 1)));
    ServerSocketChannel taken = ns.call(
        () -> ServerSocketChannel.open().bind(new InetSocketAddress(ip("::"), PORT)));
    try {
      HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
      assertThat(h.verticle.openSockets()).as("the free port's listener").isEqualTo(1);
      // The free port is forwarded: a client's SYN reaches the guest.
      client(null, "127.0.0.1", PORT + 1, new byte[] {1});
      assertThat(h.toGuest.poll(10, TimeUnit.SECONDS)).as("SYN to the guest").isNotNull();
    } finally {
      taken.close();
    }
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void bindAddressListensThereOnly() throws Exception {
    cfg.tcpIn = new ForwardRules(ForwardRules.Mode.SPEC,
        List.of(new PortForward("127.0.0.1", null, PORT, GUEST_PORT)));
    HandlerHarness h = HandlerHarness.deploy(vertx, cfg, new TcpPlugin());
    assertThat(h.verticle.openSockets()).isEqualTo(1);
    CompletableFuture<byte[]> refused = client(null, "::1", new byte[] {1});
    assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS))
        .hasRootCauseInstanceOf(java.net.ConnectException.class);
  }
}
