package io.passt4j.examples.echo;

import io.passt4j.PasstConfig;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The smallest useful protocol plugin: a UDP echo service (RFC 862) on one port of the gateway
 * address, answered by passt4j itself. Its selectors name a UDP port, so they are more specific
 * than the built-in UDP handler's "all UDP" and win for that port.
 *
 * <p>The port is 7 unless the {@code port} option says otherwise: {@code --plugin-opt
 * echo.port=7007} on the command line, {@code "pluginOptions": {"echo": {"port": 7007}}} in an
 * embedded instance's JSON configuration. It is declared in {@link #options()}, so passt4j lists
 * it and refuses keys the plugin doesn't take.
 */
public final class EchoPlugin implements ProtocolPlugin {

  /** The echo port: the {@code port} option, else 7. */
  static int port(PasstConfig config) {
    return config.pluginOptions("echo").integer("port", 7, 1, 65535);
  }

  @Override
  public Map<String, String> options() {
    return Map.of("port", "UDP port of the gateway address to echo on, default 7");
  }

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public String description() {
    return "UDP echo (RFC 862) on one port of the gateway address";
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    List<FrameSelector> l = new ArrayList<>();
    if (config.ipv4) l.add(FrameSelector.port(4, IpProtocol.UDP, port(config)));
    if (config.ipv6) l.add(FrameSelector.port(6, IpProtocol.UDP, port(config)));
    return l;
  }

  @Override
  public ProtocolHandler createHandler() {
    return new EchoHandler();
  }
}
