package io.passt4j.impl.splice;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.passt4j.spi.HostDatagramSocket;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The UDP relay of the loopback bypass between real loopback sockets in one namespace (the
 * "other side" is a second thread, as in {@link TcpSpliceTest}): datagrams and their replies
 * both ways per sender, and the flow table's idle expiry and bound.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpRelayTest {

  private SpliceLoop h;

  @BeforeEach
  void setUp() {
    h = new SpliceLoop();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  /**
   * Two senders, several datagrams each: every one reaches the server from a socket of the
   * sender's own flow, and every reply comes back to its sender from the forwarded port.
   */
  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "::1"})
  void datagramsAndRepliesPerSender(String lo) throws Exception {
    InetAddress loopback = InetAddress.getByName(lo);
    try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(loopback, 0));
        DatagramSocket c1 = new DatagramSocket(new InetSocketAddress(loopback, 0));
        DatagramSocket c2 = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      List<Integer> receivedFrom = new ArrayList<>();
      List<String> notMine = new ArrayList<>();
      HostDatagramSocket fwd = h.onLoop(() -> h.sockets.udp(new InetSocketAddress(loopback, 0), null,
          (s, p, x) -> notMine.add(x.toString()), server.getLocalPort()));
      InetSocketAddress to = new InetSocketAddress(loopback, fwd.localAddress().getPort());
      Thread echo = new Thread(() -> {
        byte[] b = new byte[2048];
        try {
          for (int i = 0; i < 10; i++) {
            DatagramPacket p = new DatagramPacket(b, b.length);
            server.receive(p);
            synchronized (receivedFrom) {
              receivedFrom.add(p.getPort());
            }
            String s = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            byte[] r = s.toUpperCase().getBytes(StandardCharsets.UTF_8);
            server.send(new DatagramPacket(r, r.length, p.getSocketAddress()));
          }
        } catch (Exception e) {
          // the test fails on the missing replies
        }
      });
      echo.start();
      c1.setSoTimeout(5000);
      c2.setSoTimeout(5000);
      for (int i = 0; i < 5; i++) {
        for (DatagramSocket c : new DatagramSocket[] {c1, c2}) {
          String msg = "hello " + c.getLocalPort() + " #" + i;
          byte[] m = msg.getBytes(StandardCharsets.UTF_8);
          c.send(new DatagramPacket(m, m.length, to));
          DatagramPacket r = new DatagramPacket(new byte[2048], 2048);
          c.receive(r);
          assertThat(new String(r.getData(), 0, r.getLength(), StandardCharsets.UTF_8))
              .isEqualTo(msg.toUpperCase());
          assertThat(r.getSocketAddress()).as("from the forwarded port").isEqualTo(to);
        }
      }
      echo.join(5000);
      assertThat(notMine).as("nothing from loopback reaches the handler").isEmpty();
      assertThat(receivedFrom).hasSize(10);
      assertThat(receivedFrom.stream().distinct().count()).as("one socket per sender")
          .isEqualTo(2);
      assertThat(h.counters.get("udp splice flows")).isEqualTo(2);
      assertThat(h.counters.get("udp spliced")).isEqualTo(10);
      assertThat(h.counters.get("udp spliced back")).isEqualTo(10);
    }
  }

  /** Idle flows go after the timeout; the table never holds more than its bound. */
  @Test
  void idleFlowsExpireAndTheTableIsBounded() throws Exception {
    List<ByteBuf> back = new ArrayList<>();
    HostDatagramSocket via = new HostDatagramSocket() {
      @Override public InetSocketAddress localAddress() { return null; }
      @Override public void send(ByteBuf payload, InetSocketAddress recipient) { payload.release(); }
      @Override public void close() {}
      @Override public boolean isOpen() { return true; }
    };
    try (DatagramSocket server = new DatagramSocket(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      UdpRelay r = h.onLoop(() -> new UdpRelay(h.splicer, h.loop, NetSide.namespace(h.otherSide),
          server.getLocalPort(), via, 300, 50));
      ByteBuf d = Unpooled.wrappedBuffer(new byte[] {1});
      h.onLoop(() -> {
        for (int p = 1; p <= UdpRelay.MAX_FLOWS + 10; p++) {
          r.datagram(d, new InetSocketAddress(InetAddress.getLoopbackAddress(), 20000 + p));
        }
        return null;
      });
      assertThat(h.onLoop(r::size)).isEqualTo(UdpRelay.MAX_FLOWS);
      assertThat(h.counters.get("udp splice flow evicted")).isEqualTo(10);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (h.onLoop(r::size) > 0) {
        assertThat(System.nanoTime()).as("flows expire").isLessThan(end);
        Thread.sleep(50);
      }
      assertThat(h.counters.get("udp splice flow expired")).isEqualTo(UdpRelay.MAX_FLOWS);
      h.onLoop(() -> {
        r.close();
        return null;
      });
      assertThat(back).isEmpty();
    }
  }
}
