package io.passt4j.spi;

import java.net.InetSocketAddress;

/** A listening host TCP socket opened through {@link HostSockets#tcpListen}. */
public interface HostTcpListener {

  /** The address and port bound. */
  InetSocketAddress localAddress();

  /** Stops listening. Idempotent; sockets already accepted stay open. */
  void close();

  boolean isOpen();
}
