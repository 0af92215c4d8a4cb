package io.passt4j.examples.echo;

import io.passt4j.PasstConfig;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.ArrayList;
import java.util.List;

/**
 * The smallest useful protocol plugin: a UDP echo service (RFC 862) on one port of the gateway
 * address, answered by passt4j itself. Its selectors name a UDP port, so they are more specific
 * than the built-in UDP handler's "all UDP" and win for that port.
 *
 * <p>The port is 7 unless the system property {@code passt4j.echo.port} says otherwise (for the
 * launcher: {@code PASST4J_JAVA_OPTS=-Dpasst4j.echo.port=7007}).
 */
public final class EchoPlugin implements ProtocolPlugin {

  /** The echo port: {@code passt4j.echo.port}, else 7. */
  static int port() {
    return Integer.getInteger("passt4j.echo.port", 7);
  }

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public String description() {
    return "UDP echo (RFC 862) on port " + port() + " of the gateway address";
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    List<FrameSelector> l = new ArrayList<>();
    if (config.ipv4) l.add(FrameSelector.port(4, IpProtocol.UDP, port()));
    if (config.ipv6) l.add(FrameSelector.port(6, IpProtocol.UDP, port()));
    return l;
  }

  @Override
  public ProtocolHandler createHandler() {
    return new EchoHandler();
  }
}
