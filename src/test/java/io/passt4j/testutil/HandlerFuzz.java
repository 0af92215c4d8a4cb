package io.passt4j.testutil;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.impl.Dispatcher;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.spi.Log;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One handler under a fuzz input: started with a {@link FakeHandlerContext} (buffers from a
 * {@link TrackingAllocator}, {@link FakeHostSockets}, a {@link TimerlessVertx}), fed frames as the
 * endpoint would feed it, and checked after every frame and at the end:
 *
 * <ul>
 *   <li>nothing is thrown out of the handler (a guest frame is answered, forwarded or dropped
 *       with a counted reason; a read past the frame caught by {@code ReadingHandler}'s safety
 *       net counts as a failure too);
 *   <li>every frame sent to the guest is well formed ({@link #assertWellFormed}): it classifies,
 *       comes from our MAC address, and its lengths and checksums agree;
 *   <li>after {@link #finish()} (the handler stopped), every buffer is released and every host
 *       socket closed;
 *   <li>the counter names stay a small fixed set: a guest must not mint new ones.
 * </ul>
 *
 * <p>Frames reach the handler only as the endpoint would let them: classified without a
 * malformation, and matching one of the plugin's selectors. They sit at a non-zero reader index
 * when the input says so, as the header offsets in a {@link Frame} are absolute.
 */
public final class HandlerFuzz {

  /** Counter and drop names seen in this JVM, over all inputs. */
  private static final Set<String> NAMES = ConcurrentHashMap.newKeySet();
  /**
   * {@code -Dpasst4j.fuzz.verbose=true}: each input's frames in and out and the handler's
   * counters on standard error, to see what a corpus reaches.
   */
  private static final boolean VERBOSE = Boolean.getBoolean("passt4j.fuzz.verbose");
  /** More distinct names than this means some depend on what the guest sent. */
  public static final int MAX_NAMES = 300;

  /**
   * A log at trace level that writes nothing: the handler builds every debug and trace line (and
   * so runs that code on guest data too) without the cost of printing it.
   */
  static final Log SILENT_TRACE = new Log() {
    @Override public void error(String m) { m.length(); }
    @Override public void warn(String m) { m.length(); }
    @Override public void info(String m) { m.length(); }
    @Override public void debug(String m) { m.length(); }
    @Override public void trace(String m) { m.length(); }
    @Override public boolean isTraceEnabled() { return true; }
    @Override public boolean isDebugEnabled() { return true; }
  };

  public final PasstConfig config;
  public final TrackingAllocator alloc = new TrackingAllocator();
  public final FakeHostSockets sockets = new FakeHostSockets(alloc);
  public final FakeHandlerContext ctx;
  public final ProtocolHandler handler;
  private final Dispatcher dispatcher;
  /** Frames that reached the handler, and frames it sent to the guest. */
  public int delivered;
  public int sent;

  /** Starts {@code plugin}'s handler for {@code config}; it must start. */
  public HandlerFuzz(ProtocolPlugin plugin, PasstConfig config) {
    this(plugin, plugin.createHandler(), config);
  }

  /** Starts {@code handler}, fed what {@code plugin}'s selectors take, for {@code config}. */
  public HandlerFuzz(ProtocolPlugin plugin, ProtocolHandler handler, PasstConfig config) {
    this.config = config;
    this.handler = handler;
    ctx = new FakeHandlerContext(config, TimerlessVertx.create(), sockets);
    ctx.alloc = alloc;
    ctx.log = SILENT_TRACE;
    List<Dispatcher.Route> routes = plugin.selectors(config).stream()
        .map(s -> new Dispatcher.Route(s, plugin.name())).toList();
    dispatcher = new Dispatcher(routes);
    Future<Void> started = handler.start(ctx);
    assertThat(started.succeeded()).as(() -> "handler started: " + started.cause()).isTrue();
  }

  /**
   * Feeds one guest frame, at reader index {@code headroom} of its buffer, as the endpoint
   * would; returns whether it reached the handler. Checks what came back.
   */
  public boolean feed(byte[] frame, int headroom) {
    // Capacity exactly the frame, as a slice of the stream is: a read past its end throws.
    ByteBuf b = alloc.heapBuffer(Math.max(1, headroom + frame.length));
    for (int i = 0; i < headroom; i++) b.writeByte(0xa5);
    b.writeBytes(frame).readerIndex(headroom);
    Frame f = Frame.classify(b);
    if (f.malformed() != null || dispatcher.route(f) == null) {
      b.release();
      return false;
    }
    ctx.guest.learnMac(b, f.offset() + 6);
    delivered++;
    handler.handleFrame(f);
    checkSent();
    return true;
  }

  public boolean feed(byte[] frame) {
    return feed(frame, 0);
  }

  /** Feeds {@code frame} to a fresh handler and finishes: the raw-bytes fuzz targets. */
  public static void once(HandlerFuzz h, byte[] frame) {
    h.feed(frame);
    h.finish();
  }

  /**
   * The transport payload of a frame (after the UDP or ICMP header, as its lengths say), or null
   * when the frame does not classify.
   */
  public static byte[] payload(byte[] frame, int headerLength) {
    Frame f = Frame.classify(Unpooled.wrappedBuffer(frame));
    if (f.malformed() != null || f.l4Offset() == Frame.NONE || f.l4Length() < headerLength) {
      return null;
    }
    int len = f.ipProtocol() == 17 ? f.buf().getUnsignedShort(f.l4Offset() + 4) : f.l4Length();
    return Arrays.copyOfRange(frame, f.l4Offset() + headerLength, f.l4Offset() + len);
  }

  /** The last frame sent to the guest since the last check, as bytes, or null. */
  public byte[] lastSent() {
    return ctx.sent.isEmpty() ? null : ByteBufUtil.getBytes(ctx.sent.get(ctx.sent.size() - 1));
  }

  /** Checks and releases what the handler sent to the guest so far. */
  public void checkSent() {
    try {
      for (ByteBuf s : ctx.sent) {
        sent++;
        assertThat(s.refCnt()).as("frame to the guest handed over live").isEqualTo(1);
        assertWellFormed(ByteBufUtil.getBytes(s), config.ourMac);
      }
      assertThat(ctx.drops).as("reads past the frame, caught only by the safety net")
          .doesNotContain("out of bounds");
    } finally {
      ctx.clearSent();
      ctx.drops.clear();
    }
  }

  /** Stops the handler: everything must be released and closed then. */
  public void finish() {
    try {
      Future<Void> stopped = handler.stop();
      assertThat(stopped.succeeded()).as(() -> "handler stopped: " + stopped.cause()).isTrue();
      checkSent();
      assertThat(sockets.openCount()).as("host sockets left open after stop").isZero();
      assertThat(alloc.unreleased()).as("buffers not released").isEmpty();
      JsonObject c = ctx.counters.toJson();
      if (VERBOSE) {
        System.err.println("fuzz input: " + delivered + " frames in, " + sent + " out, " + c);
      }
      NAMES.addAll(c.getJsonObject("counters").fieldNames());
      assertThat(NAMES.size()).as(() -> "distinct counter names (guest-made names?): " + NAMES)
          .isLessThanOrEqualTo(MAX_NAMES);
    } finally {
      alloc.releaseAll();
    }
  }

  /**
   * A frame to the guest is well formed: from {@code ourMac}, classified without a malformation,
   * IP lengths exactly the frame's, the IPv4 header checksum and the UDP (zero allowed over
   * IPv4), TCP, ICMP or ICMPv6 checksum right.
   */
  public static void assertWellFormed(byte[] frame, byte[] ourMac) {
    assertThat(frame.length).as(about("frame length", frame)).isBetween(14, 14 + 40 + 65535);
    assertThat(Arrays.copyOfRange(frame, 6, 12)).as(about("source MAC", frame)).isEqualTo(ourMac);
    ByteBuf b = Unpooled.wrappedBuffer(frame);
    Frame f = Frame.classify(b);
    assertThat(f.malformed()).as(about("frame to the guest", frame)).isNull();
    if (f.ipVersion() == 4) {
      Ipv4 ip = new Ipv4().wrap(b, f.l3Offset());
      assertThat(ip.totalLength()).as(about("IPv4 total length", frame)).isEqualTo(frame.length - 14);
      assertThat(ip.isChecksumValid()).as(about("IPv4 header checksum", frame)).isTrue();
    } else if (f.ipVersion() == 6) {
      Ipv6 ip = new Ipv6().wrap(b, f.l3Offset());
      assertThat(ip.payloadLength()).as(about("IPv6 payload length", frame)).isEqualTo(frame.length - 54);
    } else {
      return;
    }
    int p = f.ipProtocol();
    int l4 = f.l4Offset();
    int len = f.l4Length();
    if (p == 17) {
      assertThat(len).as(about("UDP header", frame)).isGreaterThanOrEqualTo(8);
      assertThat(b.getUnsignedShort(l4 + 4)).as(about("UDP length", frame)).isEqualTo(len);
      if (b.getUnsignedShort(l4 + 6) == 0 && f.ipVersion() == 4) return;
    } else if (p == 6) {
      assertThat(len).as(about("TCP header", frame)).isGreaterThanOrEqualTo(20);
    } else if (p == 1 || p == 58) {
      assertThat(len).as(about("ICMP header", frame)).isGreaterThanOrEqualTo(8);
    } else {
      return;
    }
    long pseudo = p == 1 ? 0 : f.ipVersion() == 4
        ? Checksum.pseudoHeader4(b.getInt(26), b.getInt(30), p, len)
        : Checksum.pseudoHeader6(b, 22, p, len);
    assertThat(Checksum.fold(Checksum.sum(b, l4, len, pseudo))).as(about("checksum", frame)).isZero();
  }

  /** A description naming the frame, built only when an assertion fails. */
  private static Supplier<String> about(String what, byte[] frame) {
    return () -> what + ": " + ByteBufUtil.hexDump(frame, 0, Math.min(frame.length, 128));
  }
}
