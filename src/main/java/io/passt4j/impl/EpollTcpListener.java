package io.passt4j.impl;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.NativeInetAddress;
import io.netty.channel.unix.Socket;
import io.passt4j.spi.HostTcpListener;
import io.passt4j.spi.Log;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A listening TCP socket registered with the event loop's epoll (edge-triggered): each input
 * event accepts every pending connection and hands it, with its peer's address, to the {@link
 * AcceptHandler}. An accept error (out of descriptors, say) is counted and accepting is tried
 * again a little later, as no new event may come for connections already waiting.
 */
final class EpollTcpListener implements HostTcpListener, EpollIoHandle {

  /** Backlog of connections the kernel completes before we accept them (Linux's default cap). */
  private static final int BACKLOG = 4096;
  private static final long RETRY_MS = 100;

  private final Socket fd;
  private final IoEventLoop loop;
  private final Counters counters;
  private final Log log;
  private final AcceptHandler onAccept;
  private final Runnable onClosed;
  /** Address of the peer, as accept(2) fills it in Netty's encoding. */
  private final byte[] peer = new byte[26];
  private final InetSocketAddress local;
  private IoRegistration reg;
  private boolean retryScheduled;

  /** Takes each accepted socket (non-blocking, not registered), which it must close or keep. */
  @FunctionalInterface
  interface AcceptHandler {
    void accepted(Socket child, InetSocketAddress remote);
  }

  /**
   * Listens on {@code fd} (bound) and registers it with {@code loop}; {@code onClosed} runs when
   * it is closed.
   */
  EpollTcpListener(Socket fd, IoEventLoop loop, Counters counters, Log log,
      AcceptHandler onAccept, Runnable onClosed) throws IOException {
    this.fd = fd;
    this.loop = loop;
    this.counters = counters;
    this.log = log;
    this.onAccept = onAccept;
    this.onClosed = onClosed;
    fd.listen(BACKLOG);
    local = fd.localAddress();
    reg = EpollTcpSocket.register(loop, this, EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET));
  }

  @Override
  public Socket fd() {
    return fd;
  }

  @Override
  public void handle(IoRegistration registration, IoEvent event) {
    acceptAll();
  }

  private void acceptAll() {
    while (fd.isOpen()) {
      int child;
      try {
        child = fd.accept(peer);
      } catch (IOException e) {
        // EMFILE and friends: count, keep listening, try again in a while
        counters.count("accept failed");
        if (log.isDebugEnabled()) log.debug("accept on " + local + ": " + e.getMessage());
        if (!retryScheduled) {
          retryScheduled = true;
          loop.schedule(() -> {
            retryScheduled = false;
            acceptAll();
          }, RETRY_MS, TimeUnit.MILLISECONDS);
        }
        return;
      }
      if (child == -1) return; // EAGAIN: all taken
      accepted(new Socket(child));
    }
  }

  private void accepted(Socket child) {
    InetSocketAddress remote;
    try {
      remote = NativeInetAddress.address(peer, 1, peer[0]);
    } catch (RuntimeException e) {
      remote = child.remoteAddress();
    }
    onAccept.accepted(child, remote);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing more to do
    }
  }

  @Override
  public InetSocketAddress localAddress() {
    return local;
  }

  @Override
  public void close() {
    if (!fd.isOpen()) return;
    closeQuietly(fd);
    reg.cancel();
    onClosed.run();
  }

  @Override
  public boolean isOpen() {
    return fd.isOpen();
  }
}
