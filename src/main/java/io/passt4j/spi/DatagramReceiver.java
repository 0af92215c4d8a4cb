package io.passt4j.spi;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/** Receives datagrams from a {@link HostDatagramSocket}, on the handler's event loop. */
@FunctionalInterface
public interface DatagramReceiver {

  /**
   * One datagram. {@code payload} is valid only during the call (it is released afterwards):
   * copy what you keep.
   */
  void receive(HostDatagramSocket socket, ByteBuf payload, InetSocketAddress sender);
}
