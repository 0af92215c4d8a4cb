package io.passt4j.proto.ndp;

import io.passt4j.PasstConfig;
import io.passt4j.packet.Icmp;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.List;

/** The built-in NDP responder plugin ("ndp"): neighbor and router advertisements. */
public final class NdpPlugin implements ProtocolPlugin {

  @Override
  public String name() {
    return "ndp";
  }

  @Override
  public String description() {
    return "NDP: neighbor advertisements, router advertisements with prefix, MTU, RDNSS, DNSSL";
  }

  @Override
  public boolean enabled(PasstConfig config) {
    return config.ipv6 && config.handlerEnabled(name());
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    return List.of(FrameSelector.icmp(6, Icmp.V6_ROUTER_SOLICITATION),
        FrameSelector.icmp(6, Icmp.V6_NEIGHBOR_SOLICITATION));
  }

  @Override
  public ProtocolHandler createHandler() {
    return new NdpHandler();
  }
}
