package io.passt4j.testutil;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.impl.BusAddresses;
import io.passt4j.impl.Counters;
import io.passt4j.impl.FrameCodec;
import io.passt4j.impl.HandlerVerticle;
import io.passt4j.impl.Instance;
import io.passt4j.packet.Frame;
import io.passt4j.spi.ProtocolPlugin;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One real {@link HandlerVerticle} with a real {@link Instance}, deployed in a Vert.x, talked to
 * over the event bus as the endpoint would: {@link #fromGuest} classifies and sends a frame to
 * the handler, frames for the guest are copied (and released) into {@link #toGuest} and passed to
 * {@link #onFrame}, a partial checksum completed first (as the endpoint does for passt's socket).
 */
public final class HandlerHarness implements GuestLink {

  /** The guest's MAC address in test frames. */
  public static final byte[] GUEST_MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};

  private static final AtomicInteger IDS = new AtomicInteger();
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  public final Vertx vertx;
  public final Instance instance;
  public final HandlerVerticle verticle;
  public final String name;
  /** Frames sent to the guest, as bytes. */
  public final BlockingQueue<byte[]> toGuest = new LinkedBlockingQueue<>();
  private volatile Consumer<byte[]> onFrame = f -> {};
  private final MessageConsumer<Frame> consumer;
  private final String deployment;

  private HandlerHarness(Vertx vertx, PasstConfig config, ProtocolPlugin plugin) throws Exception {
    this.vertx = vertx;
    this.name = plugin.name();
    try {
      vertx.eventBus().registerDefaultCodec(Frame.class, FrameCodec.INSTANCE);
    } catch (IllegalStateException alreadyRegistered) {
      // another harness in this Vert.x did it
    }
    instance = new Instance("test" + IDS.incrementAndGet(), config);
    consumer = vertx.eventBus().localConsumer(BusAddresses.toGuest(instance.id), m -> {
      Frame f = m.body();
      f.completeChecksum(); // as the endpoint does for passt's socket
      byte[] b = ByteBufUtil.getBytes(f.buf());
      f.release();
      toGuest.add(b);
      onFrame.accept(b);
    });
    consumer.completion().await(10, TimeUnit.SECONDS);
    instance.endpointLive = true; // this consumer stands in for the endpoint
    verticle = new HandlerVerticle(instance, plugin);
    deployment = vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
  }

  /** Deploys {@code plugin}'s handler for {@code config} and waits until it started. */
  public static HandlerHarness deploy(Vertx vertx, PasstConfig config, ProtocolPlugin plugin)
      throws Exception {
    return new HandlerHarness(vertx, config, plugin);
  }

  /** Called with each frame for the guest (on the event loop). */
  public void onFrame(Consumer<byte[]> c) {
    onFrame = c;
  }

  @Override
  public BlockingQueue<byte[]> toGuest() {
    return toGuest;
  }

  /** Sends a guest frame to the handler, as the endpoint does after classifying it. */
  @Override
  public void fromGuest(byte[] frame) {
    Frame f = Frame.classify(Unpooled.wrappedBuffer(frame));
    if (f.malformed() != null) throw new IllegalArgumentException("malformed: " + f.malformed());
    instance.guest.learnMac(f.buf(), f.offset() + 6);
    vertx.eventBus().send(BusAddresses.handler(instance.id, name), f, LOCAL);
  }

  /** Sends an already classified frame (to check its release). */
  public void fromGuest(Frame f) {
    vertx.eventBus().send(BusAddresses.handler(instance.id, name), f, LOCAL);
  }

  public Counters counters() {
    return instance.counters(name);
  }

  /** Undeploys the handler. */
  public void undeploy() throws Exception {
    vertx.undeploy(deployment).await(10, TimeUnit.SECONDS);
    consumer.unregister().await(10, TimeUnit.SECONDS);
  }
}
