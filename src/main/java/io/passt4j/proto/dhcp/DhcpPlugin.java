package io.passt4j.proto.dhcp;

import io.passt4j.PasstConfig;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.List;

/** The built-in DHCP server plugin ("dhcp"). */
public final class DhcpPlugin implements ProtocolPlugin {

  /** The DHCP server port. */
  public static final int SERVER_PORT = 67;
  /** The DHCP client port. */
  public static final int CLIENT_PORT = 68;

  @Override
  public String name() {
    return "dhcp";
  }

  @Override
  public String description() {
    return "DHCP: leases the configured IPv4 address, gateway, resolvers and search list";
  }

  @Override
  public boolean enabled(PasstConfig config) {
    return config.ipv4 && config.handlerEnabled(name());
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    return List.of(FrameSelector.port(4, IpProtocol.UDP, SERVER_PORT));
  }

  @Override
  public ProtocolHandler createHandler() {
    return new DhcpHandler();
  }
}
