package io.passt4j.proto.udp;

import io.passt4j.PasstConfig;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.ArrayList;
import java.util.List;

/** The built-in UDP plugin: guest datagrams through host UDP sockets, and {@code -u} forwarding. */
public final class UdpPlugin implements ProtocolPlugin {

  private final long idleTimeoutMs;
  private final long scanIntervalMs;
  private final int maxFlows;

  /** passt's limits: 180 s idle timeout. */
  public UdpPlugin() {
    this(UdpHandler.IDLE_TIMEOUT_MS, UdpHandler.SCAN_INTERVAL_MS, UdpHandler.MAX_FLOWS);
  }

  /** Other limits, for tests. */
  UdpPlugin(long idleTimeoutMs, long scanIntervalMs, int maxFlows) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.scanIntervalMs = scanIntervalMs;
    this.maxFlows = maxFlows;
  }

  @Override
  public String name() {
    return "udp";
  }

  @Override
  public String description() {
    return "UDP datagrams through host sockets, with -u port forwarding";
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    List<FrameSelector> l = new ArrayList<>();
    if (config.ipv4) l.add(FrameSelector.ip(4, IpProtocol.UDP));
    if (config.ipv6) l.add(FrameSelector.ip(6, IpProtocol.UDP));
    return l;
  }

  @Override
  public ProtocolHandler createHandler() {
    return new UdpHandler(idleTimeoutMs, scanIntervalMs, maxFlows);
  }
}
