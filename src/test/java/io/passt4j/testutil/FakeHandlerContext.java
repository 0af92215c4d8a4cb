package io.passt4j.testutil;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.passt4j.PasstConfig;
import io.passt4j.impl.Counters;
import io.passt4j.impl.GuestStateImpl;
import io.passt4j.impl.Logging;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IcmpErrors;
import io.passt4j.spi.FlowEvent;
import io.passt4j.spi.GuestState;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.HostSockets;
import io.passt4j.spi.Log;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link HandlerContext} for unit tests of a handler's frame logic: collects what the handler
 * sends to the guest and counts drops. Host sockets and Vert.x are whatever the test passes (null
 * when the handler under test must not touch them).
 */
public final class FakeHandlerContext implements HandlerContext {

  public final PasstConfig config;
  public final GuestStateImpl guest;
  public final Counters counters = new Counters();
  public final List<ByteBuf> sent = new ArrayList<>();
  public final List<String> drops = new ArrayList<>();
  /** Flow events, as "opened"/"closed" and the event. */
  public final List<String> flowEvents = new ArrayList<>();
  public final List<FlowEvent> flows = new ArrayList<>();
  /**
   * Where {@link #allocate(int)} and ICMP errors take their buffers (unpooled heap buffers by
   * default); a test may set a {@link TrackingAllocator} to check that every one is released.
   */
  public ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
  /** What {@link #log()} returns: the process log, prefixed "TEST", unless a test sets another. */
  public Log log = Logging.forPrefix("TEST");
  private final Vertx vertx;
  private final HostSockets sockets;

  public FakeHandlerContext(PasstConfig config) {
    this(config, null, null);
  }

  public FakeHandlerContext(PasstConfig config, Vertx vertx, HostSockets sockets) {
    this.config = config;
    this.guest = new GuestStateImpl(config);
    this.vertx = vertx;
    this.sockets = sockets;
  }

  @Override public String name() { return "test"; }
  @Override public Vertx vertx() { return vertx; }
  @Override public PasstConfig config() { return config; }
  @Override public GuestState guest() { return guest; }
  @Override public ByteBuf allocate(int capacity) { return alloc.heapBuffer(capacity); }
  @Override public void sendToGuest(ByteBuf frame) { sent.add(frame); }
  @Override public HostSockets sockets() { return sockets; }
  @Override public boolean sendIcmpError(Frame offending, IcmpErrors.Kind kind) {
    ByteBuf b = IcmpErrors.build(alloc, offending, kind, config.ourMac);
    if (b == null) return false;
    sendToGuest(b);
    return true;
  }
  @Override public void flowOpened(FlowEvent f) { flowEvents.add("opened"); flows.add(f); }
  @Override public void flowClosed(FlowEvent f) { flowEvents.add("closed"); flows.add(f); }
  @Override public void drop(String reason) { drops.add(reason); counters.count("drop: " + reason); }
  @Override public void count(String name) { counters.count(name); }
  @Override public Log log() { return log; }

  /** Releases and forgets everything sent so far. */
  public void clearSent() {
    sent.forEach(ByteBuf::release);
    sent.clear();
  }

  /** The single frame sent, as lowercase hex. */
  public static String hex(ByteBuf b) {
    return io.netty.buffer.ByteBufUtil.hexDump(b);
  }
}
