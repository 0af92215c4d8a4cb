package io.passt4j.proto.tcp;

import io.passt4j.PasstConfig;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/** The built-in TCP plugin: guest connections reflected onto host TCP sockets. */
public final class TcpPlugin implements ProtocolPlugin {

  private final TcpHandler.Limits limits;
  private final LongSupplier clock;
  /** The handler created last, for tests. */
  volatile TcpHandler created;

  /** passt's timeouts and our default limits. */
  public TcpPlugin() {
    this(TcpHandler.Limits.DEFAULT);
  }

  /** Other timeouts and limits, for tests. */
  TcpPlugin(TcpHandler.Limits limits) {
    this(limits, TcpHandler::monotonicMillis);
  }

  /** Other limits and another clock (milliseconds), for tests of the timers. */
  TcpPlugin(TcpHandler.Limits limits, LongSupplier clock) {
    this.limits = limits;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "tcp";
  }

  @Override
  public String description() {
    return "TCP connections from the guest through host sockets, and in through -t";
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    List<FrameSelector> l = new ArrayList<>();
    if (config.ipv4) l.add(FrameSelector.ip(4, IpProtocol.TCP));
    if (config.ipv6) l.add(FrameSelector.ip(6, IpProtocol.TCP));
    return l;
  }

  @Override
  public ProtocolHandler createHandler() {
    TcpHandler h = new TcpHandler(limits, clock);
    created = h;
    return h;
  }
}
