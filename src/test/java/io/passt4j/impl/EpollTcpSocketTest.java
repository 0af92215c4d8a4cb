package io.passt4j.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.passt4j.spi.HostStreamSocket;
import io.passt4j.spi.HostTcpListener;
import io.passt4j.spi.TcpCallbacks;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link EpollTcpSocket} and {@link EpollTcpListener} (through {@link NettyHostSockets}) on a
 * real epoll event loop against real loopback peers: what arrives before the connect's event is
 * handled is not lost, nothing is read until asked, the EOF comes after the last byte, writes
 * the kernel can't take wait in order and are reported when taken, a refused connect is told
 * as such, an accepted socket hands over what its peer sent first.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EpollTcpSocketTest {

  MultiThreadIoEventLoopGroup group;
  EventLoop loop;
  NettyHostSockets sockets;
  final Counters counters = new Counters();

  @BeforeEach
  void start() {
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    loop = group.next();
    sockets = new NettyHostSockets(loop, counters, Logging.forPrefix("TEST"));
  }

  @AfterEach
  void stop() throws Exception {
    on(() -> {
      sockets.closeAll();
      return null;
    });
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  <T> T on(Callable<T> task) throws Exception {
    return loop.submit(task).get(10, TimeUnit.SECONDS);
  }

  /** The callbacks, as events in a queue: "connected", "data:<bytes>", "writable", "eof"... */
  static final class Events implements TcpCallbacks {
    final BlockingQueue<String> q = new LinkedBlockingQueue<>();
    final java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();

    @Override public void connected(HostStreamSocket s) { q.add("connected"); }
    @Override public void failed(HostStreamSocket s, ConnectFailure r, String d) { q.add("failed:" + r); }
    @Override public void data(HostStreamSocket s, ByteBuf b) {
      byte[] a = ByteBufUtil.getBytes(b);
      b.release();
      data.write(a, 0, a.length);
      q.add("data:" + a.length);
    }
    @Override public void writable(HostStreamSocket s) { q.add("writable"); }
    @Override public void peerClosed(HostStreamSocket s) { q.add("eof"); }
    @Override public void reset(HostStreamSocket s, String reason) { q.add("reset"); }

    String next() throws InterruptedException {
      String e = q.poll(10, TimeUnit.SECONDS);
      if (e == null) throw new AssertionError("no event in 10 s");
      return e;
    }
  }

  static byte[] bytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  static InetSocketAddress loopback(int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port);
  }

  @Test
  void dataAndFinSentBeforeTheConnectEventIsHandledAreDeliveredInOrder() throws Exception {
    byte[] sent = bytes(5000);
    try (ServerSocket srv = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Events ev = new Events();
      CountDownLatch peerDone = new CountDownLatch(1);
      HostStreamSocket[] s = new HostStreamSocket[1];
      // Connect, then keep the loop busy until the peer has written and closed: the connect's
      // event then says "connected", "readable" and "peer shut down" at once.
      loop.execute(() -> {
        try {
          s[0] = sockets.tcpConnect(loopback(srv.getLocalPort()), null, null, ev);
          Socket peer = srv.accept();
          peer.getOutputStream().write(sent);
          peer.shutdownOutput();
          peerDone.countDown();
          Thread.sleep(200);
        } catch (Exception e) {
          ev.q.add("error:" + e);
        }
      });
      assertThat(peerDone.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(ev.next()).isEqualTo("connected");
      assertThat(ev.q.poll(200, TimeUnit.MILLISECONDS)).as("nothing read before asked").isNull();
      // 4096, then the 904 left: a short read, after which only the peer's FIN, seen with the
      // connect, says there is more to read (the EOF).
      while (ev.data.size() < sent.length) {
        on(() -> {
          s[0].read(4096);
          return null;
        });
        assertThat(ev.next()).startsWith("data:");
      }
      assertThat(ev.data.toByteArray()).isEqualTo(sent);
      on(() -> {
        s[0].read(4096);
        return null;
      });
      assertThat(ev.next()).isEqualTo("eof");
    }
  }

  @Test
  void writesTheKernelCannotTakeWaitInOrderAndAreReportedWhenTaken() throws Exception {
    byte[] chunk = bytes(1 << 20);
    int chunks = 16;
    try (ServerSocket srv = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Events ev = new Events();
      HostStreamSocket s = on(() -> sockets.tcpConnect(loopback(srv.getLocalPort()), null, null, ev));
      try (Socket peer = srv.accept()) {
        assertThat(ev.next()).isEqualTo("connected");
        long pending = on(() -> {
          for (int i = 0; i < chunks; i++) s.write(Unpooled.wrappedBuffer(chunk));
          return s.pendingWriteBytes();
        });
        assertThat(pending).as("16 MiB do not fit in the socket buffers").isPositive();
        byte[] got = new byte[chunk.length * chunks];
        InputStream in = peer.getInputStream();
        for (int off = 0; off < got.length; ) {
          int n = in.read(got, off, got.length - off);
          assertThat(n).isPositive();
          off += n;
        }
        for (int i = 0; i < chunks; i++) {
          assertThat(Arrays.copyOfRange(got, i * chunk.length, (i + 1) * chunk.length))
              .as("chunk %d", i).isEqualTo(chunk);
        }
        assertThat(ev.q).contains("writable");
        assertThat(on(s::pendingWriteBytes)).isZero();
      }
    }
  }

  @Test
  void refusedConnectIsReportedAsRefused() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = probe.getLocalPort();
    }
    Events ev = new Events();
    on(() -> sockets.tcpConnect(loopback(port), null, null, ev));
    assertThat(ev.next()).isEqualTo("failed:REFUSED");
    assertThat(on(sockets::openCount)).isZero();
  }

  @Test
  void acceptedSocketHandsOverWhatThePeerSentFirstAndAWriteBack() throws Exception {
    Events ev = new Events();
    HostStreamSocket[] accepted = new HostStreamSocket[1];
    TcpCallbacks cb = new TcpCallbacks() {
      @Override public void connected(HostStreamSocket s) {
        accepted[0] = s;
        ev.connected(s);
      }
      @Override public void failed(HostStreamSocket s, ConnectFailure r, String d) { ev.failed(s, r, d); }
      @Override public void data(HostStreamSocket s, ByteBuf b) { ev.data(s, b); }
      @Override public void writable(HostStreamSocket s) { ev.writable(s); }
      @Override public void peerClosed(HostStreamSocket s) { ev.peerClosed(s); }
      @Override public void reset(HostStreamSocket s, String r) { ev.reset(s, r); }
    };
    HostTcpListener l = on(() -> sockets.tcpListen(loopback(0), null, (remote, local) -> cb));
    byte[] hello = bytes(300);
    try (Socket c = new Socket("127.0.0.1", l.localAddress().getPort())) {
      OutputStream o = c.getOutputStream();
      o.write(hello);
      assertThat(ev.next()).isEqualTo("connected");
      on(() -> {
        accepted[0].read(4096);
        return null;
      });
      assertThat(ev.next()).isEqualTo("data:300");
      assertThat(ev.data.toByteArray()).isEqualTo(hello);
      on(() -> accepted[0].write(Unpooled.wrappedBuffer(new byte[] {42})));
      assertThat(c.getInputStream().read()).isEqualTo(42);
      on(() -> {
        accepted[0].close();
        return null;
      });
      assertThat(c.getInputStream().read()).as("our close is a FIN").isEqualTo(-1);
    }
    assertThat(on(sockets::openCount)).as("only the listener is left").isEqualTo(1);
  }
}
