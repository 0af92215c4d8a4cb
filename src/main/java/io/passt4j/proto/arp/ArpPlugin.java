package io.passt4j.proto.arp;

import io.passt4j.PasstConfig;
import io.passt4j.packet.EtherType;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.List;

/** The built-in ARP responder plugin ("arp"). */
public final class ArpPlugin implements ProtocolPlugin {

  @Override
  public String name() {
    return "arp";
  }

  @Override
  public String description() {
    return "ARP: answers the guest's who-has requests with our MAC address";
  }

  @Override
  public boolean enabled(PasstConfig config) {
    return config.ipv4 && config.handlerEnabled(name());
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    return List.of(FrameSelector.etherType(EtherType.ARP));
  }

  @Override
  public ProtocolHandler createHandler() {
    return new ArpHandler();
  }
}
