package io.passt4j.proto.tcp;

import io.passt4j.spi.ProtocolPlugin;

/** The TCP plugin with other timeouts, for tests outside this package (real-path fault tests). */
public final class TcpTestPlugins {

  private TcpTestPlugins() {}

  /**
   * passt's bounds, with the handshake timeout {@code synMs} and retransmission timeout {@code
   * ackMs} instead of 10 s and 2 s, and timers checked every 50 ms.
   */
  public static ProtocolPlugin withTimeouts(long synMs, long ackMs) {
    TcpHandler.Limits d = TcpHandler.Limits.DEFAULT;
    return new TcpPlugin(new TcpHandler.Limits(synMs, ackMs, d.finMs(), d.idleMs(), 50,
        d.maxConns(), d.guestQueueMax(), d.sendBufMax()));
  }
}
