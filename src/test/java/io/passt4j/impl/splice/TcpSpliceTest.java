package io.passt4j.impl.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.passt4j.spi.HostTcpListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The splice engine between two real loopback connections in one namespace: a listener made
 * with {@link NettyHostSockets#tcpListen} and a loopback port hands a client's connection to the
 * {@link Splicer}, which connects to a server (here on the same loopback: "the other side" is a
 * second thread, as pasta's namespace thread, without a namespace) and splices. Data, half-close
 * and reset each way, a refused connect, and the bound on what a stalled direction takes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpSpliceTest {

  private SpliceLoop h;
  private ServerSocket server;

  @BeforeEach
  void setUp() throws Exception {
    h = new SpliceLoop();
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
    server.close();
  }

  /** A listener on 127.0.0.1 whose loopback connections are spliced to {@code port}. */
  private int listen(int port) throws Exception {
    HostTcpListener l = h.onLoop(() -> h.sockets.tcpListen(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null, (r, x) -> null, port));
    return l.localAddress().getPort();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }

  @Test
  void bytesBothWaysWithHalfCloseEachWay() throws Exception {
    int port = listen(server.getLocalPort());
    byte[] up = random(6 << 20, 1);
    byte[] down = random(5 << 20, 2);
    CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
      try (Socket s = server.accept()) {
        byte[] all = s.getInputStream().readAllBytes(); // until the client's FIN
        s.getOutputStream().write(down);
        s.shutdownOutput();
        return all;
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), port)) {
      OutputStream o = c.getOutputStream();
      o.write(up);
      c.shutdownOutput();
      byte[] back = c.getInputStream().readAllBytes();
      assertThat(sha256(got.get(30, TimeUnit.SECONDS))).isEqualTo(sha256(up));
      assertThat(back.length).isEqualTo(down.length);
      assertThat(sha256(back)).isEqualTo(sha256(down));
    }
    waitFor(() -> h.splicer.tcpConnections() == 0, "connection closed after both FINs");
    assertThat(h.counters.get("tcp spliced")).isEqualTo(1);
    assertThat(h.counters.get("tcp splice closed")).isEqualTo(1);
    assertThat(h.counters.get("tcp splice reset")).isZero();
  }

  /**
   * A dual-stack listener (one socket for both families, as passt binds -t ports): an IPv4
   * client from 127.0.0.1 arrives IPv4-mapped and is spliced to the other side's 127.0.0.1.
   */
  @Test
  void dualStackListenerSplicesIpv4Clients() throws Exception {
    int port = h.onLoop(() -> h.sockets.tcpListenDualStack(0, null, (r, x) -> null,
        server.getLocalPort())).localAddress().getPort();
    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), port);
        Socket s = server.accept()) {
      c.getOutputStream().write("v4".getBytes());
      assertThat(s.getInputStream().readNBytes(2)).isEqualTo("v4".getBytes());
      assertThat(s.getInetAddress()).isEqualTo(InetAddress.getLoopbackAddress());
    }
    assertThat(h.counters.get("tcp spliced")).isEqualTo(1);
  }

  @Test
  void serverResetReachesTheClient() throws Exception {
    int port = listen(server.getLocalPort());
    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), port);
        Socket s = server.accept()) {
      c.getOutputStream().write("hello".getBytes());
      assertThat(s.getInputStream().readNBytes(5)).isEqualTo("hello".getBytes());
      s.setSoLinger(true, 0);
      s.close();
      InputStream in = c.getInputStream();
      c.setSoTimeout(10_000);
      assertThatThrownBy(() -> {
        in.read();
        c.getOutputStream().write(1);
        in.read();
      }).isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }
    waitFor(() -> h.splicer.tcpConnections() == 0, "connection gone after the reset");
  }

  @Test
  void clientResetReachesTheServer() throws Exception {
    int port = listen(server.getLocalPort());
    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), port);
        Socket s = server.accept()) {
      s.getOutputStream().write("hi".getBytes());
      assertThat(c.getInputStream().readNBytes(2)).isEqualTo("hi".getBytes());
      c.setSoLinger(true, 0);
      c.close();
      s.setSoTimeout(10_000);
      assertThatThrownBy(() -> s.getInputStream().read())
          .isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }
  }

  @Test
  void nothingListeningOnTheOtherSideResetsTheClient() throws Exception {
    int closed;
    try (ServerSocket t = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = t.getLocalPort();
    }
    int port = listen(closed);
    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), port)) {
      c.setSoTimeout(10_000);
      assertThatThrownBy(() -> c.getInputStream().read())
          .isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }
    waitFor(() -> h.counters.get("tcp splice connect failed") == 1, "connect failure counted");
    waitFor(() -> h.splicer.tcpConnections() == 0, "connection forgotten");
  }

  /**
   * A server that does not read: the client can write only what the kernel buffers and one
   * pipe hold, then its writes stop; everything arrives once the server reads.
   */
  @Test
  void aStalledReceiverStopsTheSender() throws Exception {
    int port = listen(server.getLocalPort());
    try (SocketChannel c = SocketChannel.open(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        Socket s = server.accept()) {
      c.configureBlocking(false);
      ByteBuffer chunk = ByteBuffer.allocate(64 << 10);
      long written = 0;
      long idleSince = System.nanoTime();
      while (System.nanoTime() - idleSince < TimeUnit.MILLISECONDS.toNanos(500)) {
        chunk.clear();
        int n = c.write(chunk);
        if (n > 0) {
          written += n;
          idleSince = System.nanoTime();
        } else {
          Thread.sleep(10);
        }
        assertThat(written).as("bounded").isLessThan(64L << 20);
      }
      assertThat(written).as("the sender stopped after %d bytes", written)
          .isLessThan(48L << 20).isGreaterThan(0);
      long total = written;
      InputStream in = s.getInputStream();
      byte[] buf = new byte[1 << 16];
      long read = 0;
      while (read < total) {
        int n = in.read(buf);
        assertThat(n).isPositive();
        read += n;
      }
      assertThat(read).isEqualTo(total);
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier ok, String what)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!ok.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(end);
      Thread.sleep(20);
    }
  }
}
