package io.passt4j.spi;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/** A host datagram socket (UDP or ping) opened through {@link HostSockets}. */
public interface HostDatagramSocket {

  /** The address the socket is bound to. */
  InetSocketAddress localAddress();

  /**
   * Sends a datagram; ownership of {@code payload} passes with the call. Errors (unreachable
   * destination, full buffer) are counted and logged, not thrown.
   */
  void send(ByteBuf payload, InetSocketAddress recipient);

  /** Closes the socket; further sends are dropped. Idempotent. */
  void close();

  boolean isOpen();
}
