package io.passt4j.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.passt4j.PasstConfig;
import io.passt4j.Passt4jEvents;
import io.passt4j.packet.Frame;
import io.passt4j.packet.IcmpErrors;
import io.passt4j.spi.FlowEvent;
import io.passt4j.spi.GuestState;
import io.passt4j.spi.HandlerContext;
import io.passt4j.spi.HostSockets;
import io.passt4j.spi.Log;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.internal.ContextInternal;
import java.util.Locale;

/**
 * Runs one plugin's {@link ProtocolHandler}: takes its frames from the event bus, gives it a
 * {@link HandlerContext}, counts what goes in and out, and closes its sockets at the end.
 */
public final class HandlerVerticle extends VerticleBase {

  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  private final Instance instance;
  private final ProtocolPlugin plugin;
  private final ProtocolHandler handler;
  private final Counters counters;
  private final Log log;
  private NettyHostSockets sockets;
  private MessageConsumer<Frame> consumer;
  private String toGuest;
  private String flowEvents;
  /** ICMP error rate limit: the current one-second window and errors sent in it. */
  private long icmpWindow;
  private int icmpInWindow;

  public HandlerVerticle(Instance instance, ProtocolPlugin plugin) {
    this.instance = instance;
    this.plugin = plugin;
    this.handler = plugin.createHandler();
    this.counters = instance.counters(plugin.name());
    this.log = Logging.forPrefix(plugin.name().toUpperCase(Locale.ROOT));
  }

  @Override
  public Future<?> start() {
    sockets = new NettyHostSockets(((ContextInternal) context).nettyEventLoop(), counters, log,
        io.passt4j.impl.splice.NetSide.HOST, instance.splicer);
    toGuest = BusAddresses.toGuest(instance.id);
    flowEvents = Passt4jEvents.flowAddress(instance.id);
    consumer = vertx.eventBus().localConsumer(BusAddresses.handler(instance.id, plugin.name()));
    consumer.handler(m -> onFrame(m.body()));
    if (handler.takesTrustedChecksums()) instance.trustingHandlers.add(plugin.name());
    return handler.start(new Context()).compose(v -> consumer.completion())
        .onSuccess(v -> instance.liveHandlers.add(plugin.name()));
  }

  private void onFrame(Frame f) {
    counters.framesIn.increment();
    counters.bytesIn.add(f.length());
    try {
      handler.handleFrame(f);
    } catch (RuntimeException e) {
      // A handler bug must not take the event loop down; the frame may leak, count it.
      counters.count("handler exception");
      log.error("frame handling failed: " + e);
      if (log.isDebugEnabled()) e.printStackTrace();
    }
  }

  @Override
  public Future<?> stop() {
    instance.liveHandlers.remove(plugin.name());
    Future<Void> f = handler.stop();
    return f.eventually(() -> {
      sockets.closeAll();
      return consumer.unregister();
    });
  }

  /** The {@link HandlerContext} the handler gets. */
  private final class Context implements HandlerContext {

    @Override
    public String name() {
      return plugin.name();
    }

    @Override
    public Vertx vertx() {
      return HandlerVerticle.this.vertx;
    }

    @Override
    public PasstConfig config() {
      return instance.config;
    }

    @Override
    public GuestState guest() {
      return instance.guest;
    }

    @Override
    public ByteBuf allocate(int capacity) {
      return PooledByteBufAllocator.DEFAULT.directBuffer(capacity);
    }

    @Override
    public void sendToGuest(ByteBuf frame) {
      send(frame, Frame.NONE, 0);
    }

    @Override
    public void sendToGuestPartialChecksum(ByteBuf frame, int csumStart, int csumOffset) {
      if (csumStart < frame.readerIndex() || csumOffset < 0
          || csumStart + csumOffset + 2 > frame.writerIndex()) {
        frame.release();
        throw new IndexOutOfBoundsException("partial checksum field at " + csumStart + " + "
            + csumOffset + " outside the frame (" + frame.readerIndex() + " to "
            + frame.writerIndex() + ")");
      }
      send(frame, csumStart, csumOffset);
    }

    private void send(ByteBuf frame, int csumStart, int csumOffset) {
      if (!instance.endpointLive) {
        counters.drop("endpoint stopped");
        frame.release();
        return;
      }
      counters.framesOut.increment();
      counters.bytesOut.add(frame.readableBytes());
      Frame f = csumStart == Frame.NONE ? Frame.wrap(frame)
          : Frame.withPartialChecksum(frame, csumStart, csumOffset);
      HandlerVerticle.this.vertx.eventBus().send(toGuest, f, LOCAL);
    }

    @Override
    public boolean sendIcmpError(Frame offending, IcmpErrors.Kind kind) {
      long window = System.nanoTime() / 1_000_000_000L;
      if (window != icmpWindow) {
        icmpWindow = window;
        icmpInWindow = 0;
      }
      if (icmpInWindow >= ICMP_ERRORS_PER_SECOND) {
        counters.count("icmp error rate limited");
        return false;
      }
      ByteBuf b = IcmpErrors.build(PooledByteBufAllocator.DEFAULT, offending, kind,
          instance.config.ourMac);
      if (b == null) {
        counters.count("icmp error not allowed");
        return false;
      }
      icmpInWindow++;
      counters.count("icmp errors sent");
      sendToGuest(b);
      return true;
    }

    @Override
    public void flowOpened(FlowEvent flow) {
      publish("opened", flow);
    }

    @Override
    public void flowClosed(FlowEvent flow) {
      publish("closed", flow);
    }

    private void publish(String event, FlowEvent flow) {
      if (!instance.config.flowEvents) return;
      HandlerVerticle.this.vertx.eventBus().publish(flowEvents,
          flow.toJson(event, instance.id, plugin.name()), LOCAL);
    }

    @Override
    public HostSockets sockets() {
      return sockets;
    }

    @Override
    public void drop(String reason) {
      counters.drop(reason);
      if (log.isTraceEnabled()) log.trace("dropped: " + reason);
    }

    @Override
    public void count(String name) {
      counters.count(name);
    }

    @Override
    public Log log() {
      return log;
    }

    @Override
    public void autoForwarded(String protocol,
        java.util.function.Consumer<java.util.BitSet> ports) {
      if (instance.config.mode == PasstConfig.Mode.PASTA) {
        instance.autoPorts.subscribe(protocol, HandlerVerticle.this.context, ports);
      }
    }

  }

  /** Open host sockets, for tests and leak checks. */
  public int openSockets() {
    return sockets == null ? 0 : sockets.openCount();
  }
}
