package io.passt4j.packet;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.passt4j.testutil.Golden;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The header views and checksums read real frames: every reply Debian's passt sent in the golden
 * captures parses as valid, reads back the fields the capture README documents, and its
 * checksums (computed by passt) verify with ours; rewriting the headers with our writers
 * reproduces passt's bytes.
 */
class HeaderViewsGoldenTest {

  static Stream<Arguments> replies() {
    return Stream.of(
        // exchange, EtherType, IP version, protocol, source, destination (v4 as text, v6 as hex)
        Arguments.of("02-arp-gateway", 0x0806, 0, -1),
        Arguments.of("08-dhcp-discover", 0x0800, 4, 17),
        Arguments.of("09-dhcp-request", 0x0800, 4, 17),
        Arguments.of("12-ndp-ns-gateway", 0x86dd, 6, 58),
        Arguments.of("19-ndp-rs", 0x86dd, 6, 58),
        Arguments.of("21-dhcpv6-solicit", 0x86dd, 6, 17),
        Arguments.of("28-dhcpv6-information-request", 0x86dd, 6, 17),
        Arguments.of("30-icmp4-echo-gateway", 0x0800, 4, 1),
        Arguments.of("31-icmp6-echo-gateway", 0x86dd, 6, 58));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("replies")
  void passtsRepliesParseAndTheirChecksumsVerify(String exchange, int etherType, int ipVersion, int proto) {
    byte[] bytes = Golden.replies(exchange).get(0);
    ByteBuf b = Unpooled.wrappedBuffer(bytes);
    Frame f = Frame.classify(b);
    assertThat(f.malformed()).isNull();
    assertThat(f.etherType()).isEqualTo(etherType);
    assertThat(f.ipVersion()).isEqualTo(ipVersion);
    if (ipVersion == 4) {
      Ipv4 ip = new Ipv4().wrap(b, 14);
      assertThat(ip.isValid(bytes.length - 14)).isTrue();
      assertThat(ip.isChecksumValid()).isTrue();
      assertThat(ip.ttl()).isEqualTo(255);
      assertThat(ip.identification()).isZero();
      assertThat(ip.flagsFragment()).isZero();
      assertThat(ip.protocol()).isEqualTo(proto);
      if (proto == 17) {
        Udp u = new Udp().wrap(b, f.l4Offset());
        assertThat(u.isValid(f.l4Length())).isTrue();
        // passt sends IPv4 UDP without checksum: zero, which is valid for IPv4.
        assertThat(u.isChecksumValid(ip.pseudoHeaderSum(), true)).isTrue();
      } else if (proto == 1) {
        assertThat(new Icmp().wrap(b, f.l4Offset()).isChecksumValid(f.l4Length(), 0)).isTrue();
      }
    } else if (ipVersion == 6) {
      Ipv6 ip = new Ipv6().wrap(b, 14);
      assertThat(ip.isValid(bytes.length - 14)).isTrue();
      assertThat(ip.hopLimit()).isEqualTo(255);
      assertThat(f.ipProtocol()).isEqualTo(proto);
      long pseudo = Checksum.pseudoHeader6(b, ip.sourceOffset(), proto, f.l4Length());
      if (proto == 17) {
        Udp u = new Udp().wrap(b, f.l4Offset());
        assertThat(u.isValid(f.l4Length())).isTrue();
        assertThat(u.checksum()).isNotZero();
        assertThat(u.isChecksumValid(pseudo, false)).isTrue();
      } else {
        assertThat(new Icmp().wrap(b, f.l4Offset()).isChecksumValid(f.l4Length(), pseudo)).isTrue();
      }
    } else {
      Arp a = new Arp().wrap(b, 14);
      assertThat(a.isValid(bytes.length - 14)).isTrue();
      assertThat(a.operation()).isEqualTo(Arp.OP_REPLY);
      assertThat(Addresses.format4(a.senderProtocolAddress())).isEqualTo("198.51.100.1");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("replies")
  void ourHeaderWritersReproducePasstsHeaders(String exchange, int etherType, int ipVersion, int proto) {
    byte[] passt = Golden.replies(exchange).get(0);
    if (ipVersion == 0) return;
    ByteBuf ours = Unpooled.buffer(passt.length);
    ours.writeBytes(passt);
    // Clear every header byte and checksum we write, keep the payload, and write them again.
    ByteBuf orig = Unpooled.wrappedBuffer(passt);
    byte[] dst = new byte[6];
    byte[] src = new byte[6];
    new Ethernet().wrap(orig, 0).getDestination(dst);
    new Ethernet().wrap(orig, 0).getSource(src);
    if (ipVersion == 4) {
      Ipv4 ip = new Ipv4().wrap(orig, 14);
      int len = ip.payloadLength();
      ours.setZero(0, 14 + 20 + (proto == 17 ? 8 : 4));
      if (proto == 17) {
        Udp u = new Udp().wrap(orig, 34);
        Packets.udp4(ours, dst, src, ip.source(), ip.destination(), u.sourcePort(), u.destinationPort(), len - 8);
        ours.setShort(40, 0); // passt leaves IPv4 UDP checksums out
      } else {
        ours.setByte(34, orig.getByte(34));
        Packets.icmp4(ours, dst, src, ip.source(), ip.destination(), len);
      }
    } else {
      Ipv6 ip = new Ipv6().wrap(orig, 14);
      byte[] s6 = new byte[16];
      byte[] d6 = new byte[16];
      ip.getSource(s6);
      ip.getDestination(d6);
      int len = ip.payloadLength();
      int flow = ip.flowLabel();
      if (proto == 17) {
        Udp u = new Udp().wrap(orig, 54);
        ours.setZero(0, 54 + 8);
        Packets.udp6(ours, dst, src, s6, d6, u.sourcePort(), u.destinationPort(), len - 8, flow);
      } else {
        ours.setZero(0, 54);
        ours.setZero(56, 2);
        ours.setByte(54, orig.getByte(54));
        ours.setByte(55, orig.getByte(55));
        Packets.icmp6(ours, dst, src, s6, d6, len);
      }
    }
    assertThat(io.netty.buffer.ByteBufUtil.hexDump(ours, 0, passt.length))
        .isEqualTo(io.netty.buffer.ByteBufUtil.hexDump(orig));
  }
}
