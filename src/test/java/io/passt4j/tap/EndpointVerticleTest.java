package io.passt4j.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.passt4j.Passt4jVerticle;
import io.passt4j.PasstConfig;
import io.passt4j.packet.EtherType;
import io.passt4j.packet.Frame;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import io.passt4j.testutil.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Timeout;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The qemu stream endpoint with a real UNIX socket: framing, dispatch to a plugin, frames back,
 * one client at a time, broken streams, pcap.
 */
@ExtendWith(VertxExtension.class)
class EndpointVerticleTest {

  /** Local experimental EtherType 1: our test plugin echoes these frames with MACs swapped. */
  static final int ECHO_TYPE = 0x88b5;

  static final class EchoPlugin implements ProtocolPlugin {
    @Override public String name() { return "testecho"; }
    @Override public String description() { return "echoes EtherType 0x88b5"; }
    @Override public List<FrameSelector> selectors(PasstConfig c) {
      return List.of(FrameSelector.etherType(EtherType.valueOf(ECHO_TYPE)));
    }
    @Override public ProtocolHandler createHandler() {
      return new ProtocolHandler() {
        HandlerContext ctx;
        @Override public Future<Void> start(HandlerContext c) { ctx = c; return Future.succeededFuture(); }
        @Override public void handleFrame(Frame f) {
          ByteBuf out = ctx.allocate(f.length());
          out.writeBytes(f.buf(), f.offset(), f.length());
          out.setBytes(0, f.buf(), f.offset() + 6, 6);
          out.setBytes(6, ctx.config().ourMac);
          f.release();
          ctx.sendToGuest(out);
        }
      };
    }
  }

  Vertx vertx;
  Passt4jVerticle verticle;
  Path sock;
  Path pcap;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
    PasstConfig cfg = TestConfigs.sandbox();
    sock = dir.resolve("passt.socket");
    pcap = dir.resolve("capture.pcap");
    cfg.socketPath = sock.toString();
    cfg.pcapPath = pcap.toString();
    verticle = new Passt4jVerticle(cfg, null).withPlugins(List.of(new EchoPlugin()));
    vertx.deployVerticle(verticle).await(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  static byte[] echoFrame(int payloadLen, int fill) {
    byte[] f = new byte[14 + payloadLen];
    byte[] dst = {2, 0, 0, 0, 0, 2};
    byte[] src = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
    System.arraycopy(dst, 0, f, 0, 6);
    System.arraycopy(src, 0, f, 6, 6);
    f[12] = (byte) (ECHO_TYPE >> 8);
    f[13] = (byte) ECHO_TYPE;
    for (int i = 14; i < f.length; i++) f[i] = (byte) (fill + i);
    return f;
  }

  static SocketChannel connect(Path p) throws IOException {
    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
    c.connect(UnixDomainSocketAddress.of(p));
    return c;
  }

  static void send(SocketChannel c, byte[] frame) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
    while (b.hasRemaining()) c.write(b);
  }

  static byte[] receive(SocketChannel c) throws IOException {
    ByteBuffer len = ByteBuffer.allocate(4);
    while (len.hasRemaining()) if (c.read(len) < 0) throw new IOException("EOF");
    ByteBuffer f = ByteBuffer.allocate(len.flip().getInt());
    while (f.hasRemaining()) if (c.read(f) < 0) throw new IOException("EOF");
    return f.array();
  }

  long counter(String component, String name) {
    return verticle.instance().counters(component).get(name);
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void framesGoToTheSelectedHandlerAndBack() throws Exception {
    try (SocketChannel c = connect(sock)) {
      // A batch: several frames in one write, of very different sizes.
      byte[][] frames = {echoFrame(10, 1), echoFrame(1500, 2), echoFrame(65000, 3), echoFrame(0, 4)};
      ByteBuffer all = ByteBuffer.allocate(4 * frames.length + 14 * 4 + 10 + 1500 + 65000);
      for (byte[] f : frames) all.putInt(f.length).put(f);
      all.flip();
      while (all.hasRemaining()) c.write(all);
      for (byte[] f : frames) {
        byte[] r = receive(c);
        assertThat(r).hasSize(f.length);
        assertThat(java.util.Arrays.copyOfRange(r, 0, 6)).containsExactly(0x52, 0x54, 0, 0x12, 0x34, 0x56);
        assertThat(java.util.Arrays.copyOfRange(r, 12, r.length))
            .isEqualTo(java.util.Arrays.copyOfRange(f, 12, f.length));
      }
    }
    assertThat(verticle.instance().guest.mac()).containsExactly(0x52, 0x54, 0, 0x12, 0x34, 0x56);
    assertThat(verticle.instance().counters("testecho").framesIn.sum()).isEqualTo(4);
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void malformedFramesAreDroppedAndCountedAndTheStreamGoesOn() throws Exception {
    try (SocketChannel c = connect(sock)) {
      send(c, new byte[0]);                    // length 0
      send(c, new byte[13]);                   // shorter than an Ethernet header
      byte[] v4 = echoFrame(20, 0);
      v4[12] = 0x08; v4[13] = 0x00;            // IPv4 with a header of garbage
      send(c, v4);
      byte[] unknown = echoFrame(4, 0);
      unknown[12] = 0x12; unknown[13] = 0x34;  // EtherType nobody selected
      send(c, unknown);
      send(c, echoFrame(8, 9));                // and a good one after all that
      assertThat(receive(c)).hasSize(22);
    }
    assertThat(counter("endpoint", "drop: short Ethernet header")).isEqualTo(2);
    assertThat(counter("endpoint", "drop: invalid IPv4 header")).isEqualTo(1);
    assertThat(counter("endpoint", "drop: no handler")).isEqualTo(1);
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aLengthNoFrameCanHaveClosesTheStreamAndTheNextClientIsServed() throws Exception {
    try (SocketChannel c = connect(sock)) {
      c.write(ByteBuffer.allocate(8).putInt(0x80000000).putInt(0).flip());
      ByteBuffer b = ByteBuffer.allocate(16);
      assertThat(c.read(b)).isEqualTo(-1);     // closed by the daemon
    }
    assertThat(counter("endpoint", "drop: bad frame length")).isEqualTo(1);
    try (SocketChannel c = connect(sock)) {
      send(c, echoFrame(100, 5));
      assertThat(receive(c)).hasSize(114);
    }
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void oneClientAtATime() throws Exception {
    try (SocketChannel first = connect(sock)) {
      send(first, echoFrame(1, 1));
      receive(first);
      try (SocketChannel second = connect(sock)) {
        ByteBuffer b = ByteBuffer.allocate(4);
        assertThat(second.read(b)).isEqualTo(-1); // accepted, then closed
      }
      send(first, echoFrame(2, 2));               // the first one is still served
      assertThat(receive(first)).hasSize(16);
    }
  }

  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aGuestThatDoesNotReadCostsDropsNotMemory() throws Exception {
    try (SocketChannel c = connect(sock)) {
      // 400 frames of 60 kB (24 MB) echoed back to a client that reads nothing meanwhile:
      // what its socket and our bounded queue can't hold is dropped and counted.
      byte[] big = echoFrame(60_000, 7);
      for (int i = 0; i < 400; i++) send(c, big);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (verticle.instance().counters("endpoint").framesOut.sum()
          + counter("endpoint", "drop: guest not reading") < 400 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(counter("endpoint", "drop: guest not reading")).isPositive();
      // Reading again: what was queued arrives whole, then new frames are served again.
      c.configureBlocking(true);
      long delivered = verticle.instance().counters("endpoint").framesOut.sum();
      for (long i = 0; i < delivered; i++) assertThat(receive(c)).hasSize(big.length);
      send(c, echoFrame(5, 1));
      assertThat(receive(c)).hasSize(19);
    }
    assertThat(verticle.instance().counters("endpoint").framesOut.sum()
        + counter("endpoint", "drop: guest not reading")).isEqualTo(401);
  }

  @Test
  @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void pcapHoldsBothDirections() throws Exception {
    try (SocketChannel c = connect(sock)) {
      send(c, echoFrame(30, 1));
      receive(c);
    }
    // Give the (synchronous) writer no chance to be mid-record: the reply was written after it.
    byte[] p = Files.readAllBytes(pcap);
    ByteBuffer b = ByteBuffer.wrap(p).order(java.nio.ByteOrder.nativeOrder());
    assertThat(b.getInt(0)).isEqualTo(0xa1b2c3d4);
    assertThat(b.getInt(20)).isEqualTo(PcapWriter.LINKTYPE_ETHERNET);
    int records = 0;
    int pos = 24;
    while (pos + 16 <= p.length) {
      int incl = b.getInt(pos + 8);
      assertThat(incl).isEqualTo(44);
      pos += 16 + incl;
      records++;
    }
    assertThat(records).isEqualTo(2);
  }
}
