package io.passt4j.testutil;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.spi.ProtocolHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The golden frames captured from Debian's passt ({@code golden/debian-passt/}, see its
 * README.md), and helpers to replay them through a handler and to patch expected frames where we
 * deliberately differ.
 */
public final class Golden {

  private static final String DIR = "/golden/debian-passt/";

  private Golden() {}

  /** The frame in {@code <name>.hex}, or null when there is no such file. */
  public static byte[] frame(String name) {
    try (InputStream in = Golden.class.getResourceAsStream(DIR + name + ".hex")) {
      if (in == null) return null;
      return HexFormat.of().parseHex(new String(in.readAllBytes()).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The request of an exchange ({@code 08-dhcp-discover}); fails when it is missing. */
  public static byte[] request(String exchange) {
    byte[] b = frame(exchange + ".request");
    assertThat(b).as("golden request " + exchange).isNotNull();
    return b;
  }

  /** passt's replies to an exchange, in order (empty when it answered nothing). */
  public static List<byte[]> replies(String exchange) {
    List<byte[]> l = new ArrayList<>();
    for (int i = 1; ; i++) {
      byte[] b = frame(exchange + ".reply-" + i);
      if (b == null) return l;
      l.add(b);
    }
  }

  /**
   * Feeds {@code frame} to {@code handler} as the endpoint would (classified), checks it was
   * released, and returns (and releases) what the handler sent.
   */
  public static List<byte[]> replay(ProtocolHandler handler, FakeHandlerContext ctx, byte[] frame) {
    ByteBuf buf = Unpooled.buffer(Math.max(frame.length, 1)).writeBytes(frame);
    Frame f = Frame.classify(buf);
    handler.handleFrame(f);
    assertThat(buf.refCnt()).as("request frame released").isZero();
    List<byte[]> out = new ArrayList<>();
    for (ByteBuf b : ctx.sent) out.add(ByteBufUtil.getBytes(b));
    ctx.clearSent();
    return out;
  }

  public static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  /** Recomputes the IPv4 header checksum of an Ethernet/IPv4 frame (20-byte header). */
  public static void fixIpv4HeaderChecksum(byte[] f) {
    ByteBuf b = Unpooled.wrappedBuffer(f);
    b.setShort(24, 0);
    b.setShort(24, Checksum.compute(b, 14, 20));
  }

  /** Recomputes the UDP checksum of an Ethernet/IPv6/UDP frame without extension headers. */
  public static void fixUdp6Checksum(byte[] f) {
    ByteBuf b = Unpooled.wrappedBuffer(f);
    int udpLen = b.getUnsignedShort(58);
    b.setShort(60, 0);
    long sum = Checksum.pseudoHeader6(b, 22, 17, udpLen);
    int c = Checksum.fold(Checksum.sum(b, 54, udpLen, sum));
    b.setShort(60, c == 0 ? 0xffff : c);
  }

  /**
   * An Ethernet/IPv4/UDP frame (20-byte IP header) cut to {@code payloadLen} bytes of UDP
   * payload, with IP total length, UDP length and the IP header checksum adjusted, so that only
   * the UDP payload is short.
   */
  public static byte[] truncateUdp4(byte[] f, int payloadLen) {
    byte[] t = java.util.Arrays.copyOf(f, 42 + payloadLen);
    ByteBuf b = Unpooled.wrappedBuffer(t);
    b.setShort(16, 28 + payloadLen);
    b.setShort(38, 8 + payloadLen);
    fixIpv4HeaderChecksum(t);
    return t;
  }

  /** The same for Ethernet/IPv6/UDP: payload length and UDP length adjusted. */
  public static byte[] truncateUdp6(byte[] f, int payloadLen) {
    byte[] t = java.util.Arrays.copyOf(f, 62 + payloadLen);
    ByteBuf b = Unpooled.wrappedBuffer(t);
    b.setShort(18, 8 + payloadLen);
    b.setShort(58, 8 + payloadLen);
    return t;
  }

  /** The same for Ethernet/IPv6/ICMPv6: payload length adjusted to {@code messageLen}. */
  public static byte[] truncateIcmp6(byte[] f, int messageLen) {
    byte[] t = java.util.Arrays.copyOf(f, 54 + messageLen);
    Unpooled.wrappedBuffer(t).setShort(18, messageLen);
    return t;
  }
}
