package io.passt4j.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.Passt4jVerticle;
import io.passt4j.PasstConfig;
import io.passt4j.impl.nat.LibC;
import io.passt4j.impl.nat.Netlink;
import io.passt4j.impl.nat.TapDevice;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IpProtocol;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Packets;
import io.passt4j.packet.Tcp;
import io.passt4j.packet.Udp;
import io.passt4j.testutil.TestConfigs;
import io.passt4j.testutil.TestNetns;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The endpoint serving a tap device ({@link PasstConfig#tapFd}), as pasta uses it: the tap is
 * made and configured with {@link TapDevice} and {@link Netlink} from a thread inside a "guest"
 * namespace the test owns, passt4j runs in a second, "host" namespace; the guest kernel's own
 * stack talks to the handlers over the tap (ARP, NDP, UDP), unchanged from passt mode.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TapEndpointTest {

  TestNetns host;
  TestNetns guest;
  Vertx vertx;
  Passt4jVerticle verticle;
  int tapFd = -1;
  TapDevice.Opened tap;
  /** A second tap in the guest namespace, without offload, when a test makes one. */
  int fwdFd = -1;

  @BeforeEach
  void start() throws Exception {
    host = TestNetns.create();
    guest = TestNetns.create();
    PasstConfig cfg = TestConfigs.sandbox();
    cfg.mode = PasstConfig.Mode.PASTA;
    tap = guest.call(() -> {
      TapDevice.Opened t = TapDevice.open("eth0");
      try (Netlink nl = new Netlink()) {
        int i = Netlink.index(t.name());
        nl.linkUp(i, cfg.mtu, null);
        nl.addAddress(i, cfg.addr4, cfg.prefixLen4);
        nl.addDefaultRoute(i, cfg.gateway4);
        nl.addAddress(i, cfg.addr6, 64);
        nl.addDefaultRoute(i, cfg.gateway6);
      }
      return t;
    });
    assertThat(tap.name()).isEqualTo("eth0");
    tapFd = tap.fd();
    cfg.tapFd = tapFd;
    vertx = host.vertx();
    verticle = new Passt4jVerticle(cfg, null).withPlugins(List.of(new Verifying()));
    vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
    if (tapFd >= 0) LibC.INSTANCE.close(tapFd);
    if (fwdFd >= 0) LibC.INSTANCE.close(fwdFd);
    if (guest != null) guest.close();
    if (host != null) host.close();
  }

  @Test
  void udpThroughTheGatewayToTheHostsLoopbackBothFamilies() throws Exception {
    exchange("127.0.0.1", "198.51.100.1");
    exchange("::1", "2001:db8::1");
    JsonObject ep = verticle.counters().getJsonObject("endpoint");
    assertThat(ep.getLong("framesIn")).as("frames read from the tap: %s", ep).isPositive();
    assertThat(ep.getLong("framesOut")).as("frames written to the tap: %s", ep).isPositive();
  }

  /**
   * TCP both ways through the tap with checksum offload on (the namespace's kernel sends its
   * segments with the checksum left partial and takes ours so), 4 MiB each way, bytes checked:
   * a partial checksum we failed to take would be dropped as bad, one we sent wrongly refused.
   */
  @Test
  void tcpBothWaysWithChecksumOffloadBothFamilies() throws Exception {
    assertThat(tap.offload()).as("TUNSETOFFLOAD(TUN_F_CSUM) accepted").isTrue();
    assertThat(TapDevice.flags(tapFd) & TapDevice.IFF_VNET_HDR).isNotZero();
    tcpBothWays("127.0.0.1", "198.51.100.1");
    tcpBothWays("::1", "2001:db8::1");
  }

  private void tcpBothWays(String loopback, String gateway) throws Exception {
    int size = 4 << 20;
    byte[] up = new byte[size];
    byte[] down = new byte[size];
    new Random(1).nextBytes(up);
    new Random(2).nextBytes(down);
    try (ServerSocket server = host.call(() -> new ServerSocket(0, 1,
        InetAddress.getByName(loopback)))) {
      CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
        try (Socket s = server.accept()) {
          s.setSoTimeout(20_000);
          byte[] in = s.getInputStream().readNBytes(size);
          s.getOutputStream().write(down);
          s.shutdownOutput();
          return in;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
      // connected on the guest's thread: a Socket makes its descriptor when it connects
      try (Socket c = guest.call(() -> {
        Socket k = new Socket();
        k.connect(new InetSocketAddress(InetAddress.getByName(gateway), server.getLocalPort()),
            10_000);
        return k;
      })) {
        c.setSoTimeout(20_000);
        CompletableFuture<Void> send = CompletableFuture.runAsync(() -> {
          try {
            c.getOutputStream().write(up);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
        byte[] back = c.getInputStream().readAllBytes();
        send.get(20, TimeUnit.SECONDS);
        assertThat(Arrays.equals(back, down)).as("guest got the host's %d bytes (got %d)", size,
            back.length).isTrue();
      }
      assertThat(Arrays.equals(got.get(20, TimeUnit.SECONDS), up))
          .as("host got the guest's %d bytes", size).isTrue();
    }
  }

  /**
   * The safety of partial checksums: a packet we send with its checksum left partial that the
   * namespace forwards on, here to a second tap without offload (as rootless podman's namespace
   * forwards to its containers' bridge), leaves with the checksum the kernel completed, and
   * that checksum is right: a UDP reply and a TCP SYN-ACK to a "container" behind the namespace,
   * checked against the RFC 1071 sum written out.
   */
  @Test
  void partialChecksumsAreCompletedWhenTheNamespaceForwardsThePacket() throws Exception {
    TapDevice.Opened fwd = guest.call(() -> TapDevice.open("fwd0", false));
    fwdFd = fwd.fd();
    assertThat(fwd.offload()).isFalse();
    guest.sh("ip link set fwd0 up && ip addr add 10.99.0.1/24 dev fwd0"
        + " && ip neigh replace 10.99.0.2 lladdr 02:00:00:00:00:99 dev fwd0 nud permanent"
        + " && sysctl -qw net.ipv4.ip_forward=1");
    int fl = LibC.INSTANCE.fcntl(fwdFd, 3 /* F_GETFL */, 0);
    LibC.INSTANCE.fcntl(fwdFd, 4 /* F_SETFL */, fl | LibC.O_NONBLOCK);
    int container = 0x0a630002; // 10.99.0.2
    int gw = 0xc6336401; // 198.51.100.1
    byte[] containerMac = {2, 0, 0, 0, 0, (byte) 0x99};

    try (DatagramSocket server = host.call(() -> new DatagramSocket(
        new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0)))) {
      server.setSoTimeout(10_000);
      ByteBuf f = Unpooled.buffer(Packets.UDP4_PAYLOAD + 3);
      f.setBytes(Packets.UDP4_PAYLOAD, "fwd".getBytes(StandardCharsets.US_ASCII));
      Packets.udp4(f, fwd.mac(), containerMac, container, gw, 4242, server.getLocalPort(), 3);
      writeFrame(fwdFd, f);
      DatagramPacket in = new DatagramPacket(new byte[100], 100);
      server.receive(in);
      assertThat(new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII))
          .isEqualTo("fwd");
      byte[] reply = new byte[1001]; // odd: the last byte is summed alone
      new Random(3).nextBytes(reply);
      server.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
      ByteBuf r = readIpv4(fwdFd, IpProtocol.UDP.value(), container);
      int l4 = Packets.UDP4;
      assertThat(r.getUnsignedShort(l4 + 2)).as("destination port").isEqualTo(4242);
      assertThat(r.getUnsignedShort(l4 + Udp.CSUM)).as("a checksum, not 0 (none)").isNotZero();
      assertThat(referenceSum(r, l4, gw, container, IpProtocol.UDP.value()))
          .as("UDP checksum of the forwarded reply").isEqualTo(0xffff);
      assertThat(ByteBufUtil.getBytes(r, Packets.UDP4_PAYLOAD, reply.length)).isEqualTo(reply);
    }

    try (ServerSocket server = host.call(() -> new ServerSocket(0, 1,
        InetAddress.getByName("127.0.0.1")))) {
      ByteBuf syn = Unpooled.buffer(Packets.TCP4 + Tcp.MIN_SIZE + 4);
      Tcp t = new Tcp().wrap(syn, Packets.TCP4, Tcp.MIN_SIZE + 4);
      t.set(4343, server.getLocalPort(), 1000, 0, Tcp.MIN_SIZE + 4, Tcp.SYN, 65535);
      syn.setByte(Packets.TCP4 + Tcp.MIN_SIZE, Tcp.OPT_MSS);
      syn.setByte(Packets.TCP4 + Tcp.MIN_SIZE + 1, 4);
      syn.setShort(Packets.TCP4 + Tcp.MIN_SIZE + 2, 1460);
      Packets.tcp4(syn, fwd.mac(), containerMac, container, gw, Tcp.MIN_SIZE + 4);
      writeFrame(fwdFd, syn);
      ByteBuf r = readIpv4(fwdFd, IpProtocol.TCP.value(), container);
      int l4 = Packets.TCP4;
      assertThat(r.getUnsignedByte(l4 + 13) & (Tcp.SYN | Tcp.ACK)).as("a SYN-ACK")
          .isEqualTo(Tcp.SYN | Tcp.ACK);
      assertThat(referenceSum(r, l4, gw, container, IpProtocol.TCP.value()))
          .as("TCP checksum of the forwarded SYN-ACK").isEqualTo(0xffff);
    }
  }

  private static void writeFrame(int fd, ByteBuf f) {
    byte[] b = ByteBufUtil.getBytes(f);
    assertThat(LibC.INSTANCE.write(fd, b, b.length)).as("write to fwd0: %s",
        LibC.lastError()).isEqualTo(b.length);
  }

  /** The next IPv4 frame of {@code protocol} to {@code dst} the tap gives within 10 s. */
  private static ByteBuf readIpv4(int fd, int protocol, int dst) throws InterruptedException {
    byte[] b = new byte[70000];
    long end = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < end) {
      long n = LibC.INSTANCE.read(fd, b, b.length);
      if (n <= 0) {
        Thread.sleep(5);
        continue;
      }
      ByteBuf f = Unpooled.wrappedBuffer(b, 0, (int) n);
      if (n >= Packets.UDP4 + 8 && f.getUnsignedShort(12) == 0x0800
          && f.getUnsignedByte(Packets.L3 + 9) == protocol && f.getInt(Packets.L3 + 16) == dst) {
        return Unpooled.copiedBuffer(f);
      }
    }
    throw new AssertionError("no forwarded frame of protocol " + protocol + " within 10 s");
  }

  /**
   * The one's complement sum (RFC 1071, 16-bit big-endian words) of pseudo-header and transport
   * bytes, checksum field included: 0xffff when the checksum is right.
   */
  private static int referenceSum(ByteBuf f, int l4, int src, int dst, int protocol) {
    int len = f.getUnsignedShort(Packets.L3 + 2) - 4 * (f.getUnsignedByte(Packets.L3) & 0xf);
    long s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + len;
    for (int i = 0; i < len; i += 2) {
      int hi = f.getUnsignedByte(l4 + i) << 8;
      s += i + 1 < len ? hi | f.getUnsignedByte(l4 + i + 1) : hi;
    }
    while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
    return (int) s;
  }

  /** What {@link Verifying} found: whether each datagram's checksum verified. */
  static final BlockingQueue<Boolean> VERIFIED = new LinkedBlockingQueue<>();

  /**
   * A plugin written before checksum offload: takes UDP port 7 and verifies every checksum, as
   * the echo example does ({@code takesTrustedChecksums} false).
   */
  static final class Verifying implements ProtocolPlugin {
    @Override
    public String name() {
      return "verifying";
    }

    @Override
    public String description() {
      return "test: verifies UDP checksums to port 7";
    }

    @Override
    public List<FrameSelector> selectors(PasstConfig config) {
      return List.of(FrameSelector.port(4, IpProtocol.UDP, 7),
          FrameSelector.port(6, IpProtocol.UDP, 7));
    }

    @Override
    public ProtocolHandler createHandler() {
      return new ProtocolHandler() {
        @Override
        public Future<Void> start(HandlerContext context) {
          return Future.succeededFuture();
        }

        @Override
        public void handleFrame(Frame f) {
          ByteBuf b = f.buf();
          Udp u = new Udp().wrap(b, f.l4Offset());
          long pseudo = f.ipVersion() == 4
              ? new Ipv4().wrap(b, f.l3Offset()).pseudoHeaderSum()
              : Checksum.pseudoHeader6(b, f.l3Offset() + 8, IpProtocol.UDP.value(), u.length());
          VERIFIED.add(u.checksum() != 0 && u.isChecksumValid(pseudo, false));
          f.release();
        }
      };
    }
  }

  /**
   * The namespace's kernel leaves UDP checksums partial over the tap: a handler that does not
   * take trusted checksums gets them completed, and they verify.
   */
  @Test
  void aPluginThatVerifiesChecksumsGetsThemCompleted() throws Exception {
    VERIFIED.clear();
    for (String gw : List.of("198.51.100.1", "2001:db8::1")) {
      try (DatagramSocket client = guest.call(DatagramSocket::new)) {
        byte[] data = new byte[1001];
        new Random(4).nextBytes(data);
        client.send(new DatagramPacket(data, data.length,
            new InetSocketAddress(InetAddress.getByName(gw), 7)));
      }
      assertThat(VERIFIED.poll(10, TimeUnit.SECONDS)).as("checksum verified, to %s", gw)
          .isTrue();
    }
  }

  /** A datagram from the guest to {@code gateway} reaches a server on the host's {@code loopback}. */
  private void exchange(String loopback, String gateway) throws Exception {
    try (DatagramSocket server = host.call(() -> new DatagramSocket(
            new InetSocketAddress(InetAddress.getByName(loopback), 0)));
        DatagramSocket client = guest.call(DatagramSocket::new)) {
      server.setSoTimeout(10_000);
      client.setSoTimeout(10_000);
      byte[] data = ("over the tap " + gateway).getBytes(StandardCharsets.US_ASCII);
      client.send(new DatagramPacket(data, data.length,
          new InetSocketAddress(InetAddress.getByName(gateway), server.getLocalPort())));
      DatagramPacket in = new DatagramPacket(new byte[1500], 1500);
      server.receive(in);
      String got = new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
      assertThat(got).isEqualTo("over the tap " + gateway);
      byte[] reply = got.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
      server.send(new DatagramPacket(reply, reply.length, in.getSocketAddress()));
      DatagramPacket back = new DatagramPacket(new byte[1500], 1500);
      client.receive(back);
      assertThat(new String(back.getData(), 0, back.getLength(), StandardCharsets.US_ASCII))
          .isEqualTo("OVER THE TAP " + gateway.toUpperCase(Locale.ROOT));
      assertThat(back.getAddress()).isEqualTo(InetAddress.getByName(gateway));
    }
  }
}
