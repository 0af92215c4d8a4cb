package io.passt4j.proto.dhcpv6;

import io.passt4j.PasstConfig;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.List;

/** The built-in DHCPv6 server plugin ("dhcpv6"). */
public final class Dhcpv6Plugin implements ProtocolPlugin {

  /** The DHCPv6 server and relay port. */
  public static final int SERVER_PORT = 547;
  /** The DHCPv6 client port. */
  public static final int CLIENT_PORT = 546;

  @Override
  public String name() {
    return "dhcpv6";
  }

  @Override
  public String description() {
    return "DHCPv6: leases the configured IPv6 address, resolvers and domain list";
  }

  @Override
  public boolean enabled(PasstConfig config) {
    return config.ipv6 && config.handlerEnabled(name());
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    return List.of(FrameSelector.port(6, IpProtocol.UDP, SERVER_PORT));
  }

  @Override
  public ProtocolHandler createHandler() {
    return new Dhcpv6Handler();
  }
}
