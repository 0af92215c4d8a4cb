package io.passt4j.proto.icmp;

import io.passt4j.PasstConfig;
import io.passt4j.packet.Icmp;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.ArrayList;
import java.util.List;

/** The built-in ICMP/ICMPv6 echo plugin: guest pings through host ping sockets. */
public final class IcmpPlugin implements ProtocolPlugin {

  private final long idleTimeoutMs;
  private final long scanIntervalMs;
  private final int maxSockets;

  /** passt's limits: 60 s idle timeout. */
  public IcmpPlugin() {
    this(IcmpHandler.IDLE_TIMEOUT_MS, IcmpHandler.SCAN_INTERVAL_MS, IcmpHandler.MAX_SOCKETS);
  }

  /** Other limits, for tests. */
  IcmpPlugin(long idleTimeoutMs, long scanIntervalMs, int maxSockets) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.scanIntervalMs = scanIntervalMs;
    this.maxSockets = maxSockets;
  }

  @Override
  public String name() {
    return "icmp";
  }

  @Override
  public String description() {
    return "ICMP and ICMPv6 echo requests through host ping sockets";
  }

  @Override
  public List<FrameSelector> selectors(PasstConfig config) {
    List<FrameSelector> l = new ArrayList<>();
    if (config.ipv4) l.add(FrameSelector.icmp(4, Icmp.V4_ECHO_REQUEST));
    if (config.ipv6) l.add(FrameSelector.icmp(6, Icmp.V6_ECHO_REQUEST));
    return l;
  }

  @Override
  public ProtocolHandler createHandler() {
    return new IcmpHandler(idleTimeoutMs, scanIntervalMs, maxSockets);
  }
}
