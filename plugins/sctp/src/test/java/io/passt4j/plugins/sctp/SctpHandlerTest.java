package io.passt4j.plugins.sctp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.EtherType;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Icmp;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Packets;
import io.passt4j.spi.DatagramReceiver;
import io.passt4j.spi.HostDatagramSocket;
import io.passt4j.spi.HostSockets;
import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.TestConfigs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * The SCTP handler with crafted frames, on a host without SCTP: an INIT gets ICMP protocol
 * unreachable (ICMPv6 parameter problem) quoting it, with valid checksums; malformed packets are
 * dropped and counted; every frame is released.
 */
class SctpHandlerTest {

  static final byte[] GUEST_MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};

  final PasstConfig cfg = TestConfigs.sandbox();
  final FakeHandlerContext ctx = new FakeHandlerContext(cfg, null, new NoSctp());
  final SctpHandler h = new SctpHandler();

  SctpHandlerTest() {
    h.start(ctx);
  }

  /** Host sockets of a kernel without SCTP. */
  static final class NoSctp implements HostSockets {
    @Override public HostDatagramSocket udp(InetSocketAddress b, String i, DatagramReceiver r) {
      throw new UnsupportedOperationException();
    }
    @Override public HostDatagramSocket ping(int v, InetAddress b, int id, DatagramReceiver r) {
      throw new UnsupportedOperationException();
    }
    @Override public boolean supports(int ipProtocol) {
      return false;
    }
  }

  /** An SCTP INIT chunk (RFC 9260 §3.3.2): tag, a_rwnd, streams, initial TSN. */
  static byte[] initChunk() {
    ByteBuf c = Unpooled.buffer(20);
    c.writeByte(Sctp.INIT).writeByte(0).writeShort(20);
    c.writeInt(0x11223344).writeInt(65536).writeShort(10).writeShort(10).writeInt(0x55667788);
    return ByteBufUtil.getBytes(c);
  }

  /** An SCTP packet 40000 → 5000 with these chunk bytes; a correct CRC32c unless told. */
  static byte[] sctp(byte[] chunks, boolean goodChecksum) {
    ByteBuf b = Unpooled.buffer(12 + chunks.length);
    b.writeShort(40000).writeShort(5000).writeInt(0).writeInt(0).writeBytes(chunks);
    new Sctp().wrap(b, 0, b.readableBytes()).setChecksum();
    if (!goodChecksum) b.setByte(8, b.getByte(8) ^ 1);
    return ByteBufUtil.getBytes(b);
  }

  Frame v4(byte[] payload) throws Exception {
    ByteBuf b = Unpooled.buffer(Packets.ICMP4 + payload.length);
    Packets.ethernet(b, cfg.ourMac, GUEST_MAC, EtherType.IPV4);
    new Ipv4().wrap(b, Packets.L3).set(0, 1, 64, 132, 0xc6336402, 0xc6336401, payload.length);
    b.setBytes(Packets.ICMP4, payload);
    b.writerIndex(Packets.ICMP4 + payload.length);
    return Frame.classify(b);
  }

  Frame v6(byte[] payload) throws Exception {
    ByteBuf b = Unpooled.buffer(Packets.ICMP6 + payload.length);
    Packets.ethernet(b, cfg.ourMac, GUEST_MAC, EtherType.IPV6);
    new Ipv6().wrap(b, Packets.L3).set(0, payload.length, 132, 64,
        InetAddress.getByName("2001:db8::2").getAddress(),
        InetAddress.getByName("2001:db8::1").getAddress());
    b.setBytes(Packets.ICMP6, payload);
    b.writerIndex(Packets.ICMP6 + payload.length);
    return Frame.classify(b);
  }

  @Test
  void theChecksumIsCrc32cAsRfc9260AppendixB() {
    // RFC 3720 B.4 test vector: CRC32c of 32 zero bytes is 0x8a9136aa.
    java.util.zip.CRC32C c = new java.util.zip.CRC32C();
    c.update(new byte[32]);
    assertThat(c.getValue()).isEqualTo(0x8a9136aaL);
    byte[] p = sctp(initChunk(), true);
    assertThat(new Sctp().wrap(Unpooled.wrappedBuffer(p), 0, p.length).isChecksumValid()).isTrue();
  }

  @Test
  void anInitOverIpv4GetsProtocolUnreachableQuotingIt() throws Exception {
    Frame f = v4(sctp(initChunk(), true));
    byte[] offending = ByteBufUtil.getBytes(f.buf(), Packets.L3, f.length() - Packets.L3);
    h.handleFrame(f);
    assertThat(f.refCnt()).isZero();
    assertThat(ctx.sent).hasSize(1);
    ByteBuf e = ctx.sent.get(0);
    assertThat(ByteBufUtil.getBytes(e, 0, 6)).isEqualTo(GUEST_MAC);
    Ipv4 ip = new Ipv4().wrap(e, Packets.L3);
    assertThat(ip.isChecksumValid()).isTrue();
    assertThat(ip.protocol()).isEqualTo(1);
    assertThat(ip.source()).isEqualTo(0xc6336401);
    assertThat(ip.destination()).isEqualTo(0xc6336402);
    Icmp icmp = new Icmp().wrap(e, Packets.ICMP4);
    assertThat(icmp.type()).isEqualTo(3);
    assertThat(icmp.code()).isEqualTo(2);
    int len = e.readableBytes() - Packets.ICMP4;
    assertThat(len).isEqualTo(8 + offending.length);
    assertThat(icmp.isChecksumValid(len, 0)).isTrue();
    assertThat(ByteBufUtil.getBytes(e, Packets.ICMP4 + 8, offending.length)).isEqualTo(offending);
    assertThat(ctx.counters.get("answered protocol unreachable")).isEqualTo(1);
    ctx.clearSent();
  }

  @Test
  void anInitOverIpv6GetsParameterProblemPointingAtNextHeader() throws Exception {
    Frame f = v6(sctp(initChunk(), true));
    byte[] offending = ByteBufUtil.getBytes(f.buf(), Packets.L3, f.length() - Packets.L3);
    h.handleFrame(f);
    assertThat(f.refCnt()).isZero();
    assertThat(ctx.sent).hasSize(1);
    ByteBuf e = ctx.sent.get(0);
    Ipv6 ip = new Ipv6().wrap(e, Packets.L3);
    assertThat(ip.nextHeader()).isEqualTo(58);
    byte[] a = new byte[16];
    ip.getSource(a);
    assertThat(InetAddress.getByAddress(a)).isEqualTo(InetAddress.getByName("2001:db8::1"));
    Icmp icmp = new Icmp().wrap(e, Packets.ICMP6);
    assertThat(icmp.type()).isEqualTo(4);
    assertThat(icmp.code()).isEqualTo(1);
    assertThat(e.getInt(Packets.ICMP6 + 4)).as("pointer").isEqualTo(6);
    int len = ip.payloadLength();
    assertThat(len).isEqualTo(8 + offending.length);
    assertThat(icmp.isChecksumValid(len, Checksum.pseudoHeader6(e, Packets.L3 + 8, 58, len))).isTrue();
    assertThat(ByteBufUtil.getBytes(e, Packets.ICMP6 + 8, offending.length)).isEqualTo(offending);
    ctx.clearSent();
  }

  @Test
  void malformedPacketsAreDroppedCountedAndReleased() throws Exception {
    byte[] init = initChunk();
    byte[] lying = init.clone();
    lying[3] = 40; // chunk length past the packet
    byte[] tiny = init.clone();
    tiny[3] = 2; // chunk length below its own header
    Object[][] cases = {
        {new byte[8], "short SCTP common header"},
        {sctp(new byte[0], true), "no SCTP chunks"},
        {sctp(new byte[] {1, 0}, true), "truncated SCTP chunk header"},
        {sctp(tiny, true), "bad SCTP chunk length"},
        {sctp(lying, true), "truncated SCTP chunk"},
        {sctp(init, false), "bad SCTP checksum"},
    };
    for (Object[] c : cases) {
      for (boolean six : new boolean[] {false, true}) {
        Frame f = six ? v6((byte[]) c[0]) : v4((byte[]) c[0]);
        h.handleFrame(f);
        assertThat(f.refCnt()).isZero();
        assertThat(ctx.drops.stream().filter(c[1]::equals).count()).as((String) c[1])
            .isEqualTo(six ? 2 : 1);
      }
    }
    assertThat(ctx.sent).isEmpty();
  }

  @Test
  void thePluginTakesProtocol132InBothFamilies() {
    assertThat(new SctpPlugin().selectors(cfg)).extracting(s -> s.ipProtocol() + "/" + s.ipVersion())
        .containsExactly("132/4", "132/6");
    cfg.ipv6 = false;
    assertThat(new SctpPlugin().selectors(cfg)).hasSize(1);
  }
}
