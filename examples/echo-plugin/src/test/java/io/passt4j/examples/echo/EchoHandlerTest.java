package io.passt4j.examples.echo;

import static io.passt4j.testutil.GuestFrames.ip;
import static io.passt4j.testutil.GuestFrames.parse;
import static io.passt4j.testutil.GuestFrames.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.impl.Dispatcher;
import io.passt4j.packet.Frame;
import io.passt4j.proto.udp.UdpPlugin;
import io.passt4j.spi.FrameSelector;
import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.GuestFrames.Parsed;
import io.passt4j.testutil.TestConfigs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The echo plugin with crafted guest frames: answers, drops, and winning over the UDP handler. */
class EchoHandlerTest {

  final PasstConfig cfg = TestConfigs.sandbox();
  final FakeHandlerContext ctx = new FakeHandlerContext(cfg);
  final EchoHandler h = new EchoHandler();

  EchoHandlerTest() {
    h.start(ctx);
  }

  Frame frame(byte[] b) {
    return Frame.classify(Unpooled.wrappedBuffer(b));
  }

  @Test
  void echoesToTheGuestFromTheGatewayInBothFamilies() {
    byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
    for (String[] a : new String[][] {{"198.51.100.2", "198.51.100.1"},
        {"2001:db8::2", "2001:db8::1"}, {"fe80::5054:ff:fe12:3456", "fe80::ff:fe00:2"}}) {
      Frame f = frame(udp(cfg.ourMac, a[0], 40000, a[1], 7, hello));
      h.handleFrame(f);
      assertThat(f.refCnt()).isZero();
      assertThat(ctx.sent).hasSize(1);
      Parsed p = parse(ByteBufUtil.getBytes(ctx.sent.get(0)));
      assertThat(p.checksumsOk()).isTrue();
      assertThat(p.src()).isEqualTo(ip(a[1]));
      assertThat(p.dst()).isEqualTo(ip(a[0]));
      assertThat(p.sport()).isEqualTo(7);
      assertThat(p.dport()).isEqualTo(40000);
      assertThat(p.payload()).isEqualTo(hello);
      ctx.clearSent();
    }
    assertThat(ctx.counters.get("echoed")).isEqualTo(3);
  }

  @Test
  void dropsWhatIsNotForTheGatewayOrDoesNotParse() {
    h.handleFrame(frame(udp(cfg.ourMac, "198.51.100.2", 40000, "198.51.100.9", 7, new byte[3])));
    byte[] bad = udp(cfg.ourMac, "198.51.100.2", 40000, "198.51.100.1", 7, new byte[3]);
    bad[bad.length - 1] ^= 1;
    h.handleFrame(frame(bad));
    byte[] shortUdp = udp(cfg.ourMac, "198.51.100.2", 40000, "198.51.100.1", 7, new byte[0]);
    h.handleFrame(frame(java.util.Arrays.copyOf(shortUdp, shortUdp.length - 4)));
    assertThat(ctx.sent).isEmpty();
    assertThat(ctx.drops).contains("not to the gateway", "bad UDP checksum");
    assertThat(ctx.drops).hasSize(3);
  }

  @Test
  void itsPortSelectorWinsOverTheBuiltInUdpHandler() {
    List<Dispatcher.Route> routes = new ArrayList<>();
    for (FrameSelector s : new UdpPlugin().selectors(cfg)) routes.add(new Dispatcher.Route(s, "udp"));
    for (FrameSelector s : new EchoPlugin().selectors(cfg)) routes.add(new Dispatcher.Route(s, "echo"));
    Dispatcher d = new Dispatcher(routes);
    Frame to7 = frame(udp(cfg.ourMac, "198.51.100.2", 40000, "198.51.100.1", 7, new byte[1]));
    Frame to8 = frame(udp(cfg.ourMac, "2001:db8::2", 40000, "2001:db8::1", 8, new byte[1]));
    assertThat(d.route(to7)).isEqualTo("echo");
    assertThat(d.route(to8)).isEqualTo("udp");
    to7.release();
    to8.release();
  }

  @Test
  void itsPortOptionMovesTheSelectorAndABadValueIsRefused() {
    PasstConfig c = TestConfigs.sandbox();
    c.pluginOptions.put("echo", new io.vertx.core.json.JsonObject().put("port", "7007"));
    assertThat(new EchoPlugin().selectors(c)).extracting(FrameSelector::toString)
        .containsExactly("IPv4 UDP port 7007", "IPv6 UDP port 7007");
    c.pluginOptions.put("echo", new io.vertx.core.json.JsonObject().put("port", 70000));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new EchoPlugin().selectors(c))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Invalid option echo.port: out of range 1-65535: 70000");
    assertThat(new EchoPlugin().options()).containsOnlyKeys("port");
  }
}
