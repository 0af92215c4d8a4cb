package io.passt4j.spi;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * A host TCP socket opened through {@link HostSockets#tcpConnect} or accepted by a {@link
 * HostTcpListener}, with explicit backpressure in both directions.
 *
 * <p><b>Threading.</b> Every method must be called on the event loop of the handler that opened
 * the socket; every {@link TcpCallbacks} method runs on that loop too, never concurrently.
 *
 * <p><b>Reading.</b> Nothing is read until asked: {@link #read(int)} requests one read of at most
 * {@code maxBytes}; the bytes arrive through {@link TcpCallbacks#data} (at most {@code maxBytes},
 * possibly fewer), after which the socket reads nothing more until asked again. Data the handler
 * has not asked for stays in the kernel's receive buffer, so the peer sees the real window; also
 * after the peer closed: {@link TcpCallbacks#peerClosed} comes when a requested read finds the
 * EOF, after every byte before it.
 *
 * <p><b>Writing.</b> {@link #write(ByteBuf)} hands bytes to the kernel at once and reports whether
 * it took them all. What it did not take waits, in order, in the socket's output queue ({@link
 * #pendingWriteBytes()}), and goes out as the kernel makes room; {@link TcpCallbacks#writable}
 * tells when the queue shrank. The handler bounds that queue by what it accepts: the socket does
 * not refuse a write.
 *
 * <p><b>Ownership.</b> The handler owns the socket and must {@link #close()} or {@link #abort()}
 * it; passt4j closes leftovers when the handler stops.
 */
public interface HostStreamSocket {

  /** The local address, once connected (null before). */
  InetSocketAddress localAddress();

  /** The address connected to. */
  InetSocketAddress remoteAddress();

  /**
   * Writes {@code data} (ownership passes with the call).
   *
   * @return true when the kernel took all of it now; false when some waits in the output queue
   *     (or the socket is closed, in which case the data is released and dropped)
   */
  boolean write(ByteBuf data);

  /** Bytes written but not yet taken by the kernel. */
  long pendingWriteBytes();

  /**
   * Requests one read of at most {@code maxBytes} (at least 1). A request while one is pending
   * replaces its limit.
   */
  void read(int maxBytes);

  /**
   * Sends FIN to the peer once the output queue is empty (half-close: reading goes on).
   * Idempotent.
   */
  void shutdownOutput();

  /** Whether {@link #shutdownOutput()} has reached the kernel (the FIN is on its way). */
  boolean isOutputShutdown();

  /** Closes gracefully (FIN after queued data). Idempotent; no callbacks follow. */
  void close();

  /** Closes with a reset (RST to the peer, {@code SO_LINGER} 0). Idempotent; no callbacks follow. */
  void abort();

  boolean isOpen();

  /**
   * The kernel's view of the connection ({@code TCP_INFO}), or null when not available. One
   * system call: fine per event, not per byte.
   */
  TcpInfo tcpInfo();

  /**
   * What passt4j reads from {@code TCP_INFO}.
   *
   * @param sndMss the kernel's send MSS towards the peer
   * @param rttMicros smoothed round-trip time
   * @param sndCwnd congestion window, in segments
   * @param unacked segments sent and not yet acknowledged by the peer
   * @param totalRetrans retransmissions so far
   */
  record TcpInfo(long sndMss, long rttMicros, long sndCwnd, long unacked, long totalRetrans) {}
}
