package io.passt4j.plugins.sctp;

import io.passt4j.PasstConfig;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.ArrayList;
import java.util.List;

/** The SCTP plugin: takes IP protocol 132 in both families ({@code --no-sctp} is not an option: leave the jar out). */
public final class SctpPlugin implements ProtocolPlugin {

  @Override
  public String name() {
    return "sctp";
  }

  @Override
  public String description() {
    return "SCTP (prototype): ICMP protocol unreachable where the host kernel has no SCTP";
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    List<FrameSelector> l = new ArrayList<>();
    if (config.ipv4) l.add(FrameSelector.ip(4, IpProtocol.SCTP));
    if (config.ipv6) l.add(FrameSelector.ip(6, IpProtocol.SCTP));
    return l;
  }

  @Override
  public ProtocolHandler createHandler() {
    return new SctpHandler();
  }
}
