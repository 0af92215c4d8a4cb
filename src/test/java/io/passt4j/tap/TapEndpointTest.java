package io.passt4j.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.Passt4jVerticle;
import io.passt4j.PasstConfig;
import io.passt4j.impl.nat.LibC;
import io.passt4j.impl.nat.Netlink;
import io.passt4j.impl.nat.TapDevice;
import io.passt4j.testutil.TestConfigs;
import io.passt4j.testutil.TestNetns;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
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

  @BeforeEach
  void start() throws Exception {
    host = TestNetns.create();
    guest = TestNetns.create();
    PasstConfig cfg = TestConfigs.sandbox();
    cfg.mode = PasstConfig.Mode.PASTA;
    TapDevice.Opened tap = guest.call(() -> {
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
    verticle = new Passt4jVerticle(cfg, null);
    vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (vertx != null) vertx.close().await(10, TimeUnit.SECONDS);
    if (tapFd >= 0) LibC.INSTANCE.close(tapFd);
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
