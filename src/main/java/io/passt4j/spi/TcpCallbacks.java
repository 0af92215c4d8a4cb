package io.passt4j.spi;

import io.netty.buffer.ByteBuf;

/**
 * Events of a {@link HostStreamSocket}, all on the handler's event loop. After {@link #failed}
 * or {@link #reset} the socket is closed and nothing more is called; after the handler's own
 * {@code close()} or {@code abort()}, nothing is called at all.
 */
public interface TcpCallbacks {

  /** Why a connect failed. */
  enum ConnectFailure {
    /** RST from the peer ({@code ECONNREFUSED}). */
    REFUSED,
    /** No route, network or host unreachable ({@code ENETUNREACH}, {@code EHOSTUNREACH}). */
    UNREACHABLE,
    /** No answer ({@code ETIMEDOUT}). */
    TIMEOUT,
    /** Anything else (permission, address in use...). */
    OTHER
  }

  /**
   * The connect completed; for a socket accepted by a {@link HostTcpListener}, the socket is
   * handed over (right after {@link TcpAcceptor#accept} returned these callbacks).
   */
  void connected(HostStreamSocket socket);

  /** The connect failed; {@code detail} is the system's message. */
  void failed(HostStreamSocket socket, ConnectFailure reason, String detail);

  /**
   * Bytes asked for with {@link HostStreamSocket#read(int)}. {@code data} is the handler's (it
   * must release it).
   */
  void data(HostStreamSocket socket, ByteBuf data);

  /** The output queue shrank (the kernel took queued bytes); see {@code pendingWriteBytes()}. */
  void writable(HostStreamSocket socket);

  /** The peer sent FIN and every byte before it has been delivered. */
  void peerClosed(HostStreamSocket socket);

  /** The connection was reset or failed after connecting; the socket is closed. */
  void reset(HostStreamSocket socket, String reason);
}
