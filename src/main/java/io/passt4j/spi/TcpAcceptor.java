package io.passt4j.spi;

import java.net.InetSocketAddress;

/**
 * Decides about a connection accepted by a {@link HostTcpListener}, on the handler's event loop.
 */
@FunctionalInterface
public interface TcpAcceptor {

  /**
   * A peer connected. Return the callbacks of the new socket, or null to refuse it (the socket
   * is then reset). The socket itself follows at once, from the same task, through {@link
   * TcpCallbacks#connected}: from there it behaves as a socket opened with {@link
   * HostSockets#tcpConnect} (nothing read until asked).
   *
   * @param remote the peer's address and port
   * @param local the address and port it connected to
   */
  TcpCallbacks accept(InetSocketAddress remote, InetSocketAddress local);
}
