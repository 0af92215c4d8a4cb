package io.passt4j.proto.dhcpv6;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.passt4j.PasstConfig;
import io.passt4j.testutil.FakeHandlerContext;
import io.passt4j.testutil.Golden;
import io.passt4j.testutil.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our DHCPv6 replies against Debian passt's, byte for byte. The server DUID time is the one
 * passt used in the capture (README: bytes 74..77 of every reply), so requests that echo it
 * (22, 23, 25) replay unchanged and nothing needs masking. Where passt is wrong the expected
 * frame is passt's, patched, and the test says why.
 */
class Dhcpv6GoldenTest {

  /** Offset of the DUID-LLT time in replies (server identifier is the first option). */
  static final int DUID_TIME = 74;
  /** Offset of the root label ending the first domain of option 24 in full replies. */
  static final int DOMAIN_LIST_ROOT = 178;
  /** IA_NA (with IAADDR) in full replies: offset and size. */
  static final int IA_NA = 84;
  static final int IA_NA_SIZE = 44;

  static long passtDuidTime() {
    return Unpooled.wrappedBuffer(Golden.replies("21-dhcpv6-solicit").get(0))
        .getUnsignedInt(DUID_TIME);
  }

  static List<byte[]> run(PasstConfig config, byte[] request) {
    FakeHandlerContext ctx = new FakeHandlerContext(config);
    Dhcpv6Handler h = new Dhcpv6Handler(passtDuidTime());
    h.start(ctx);
    return Golden.replay(h, ctx, request);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "21-dhcpv6-solicit",              // ADVERTISE: server id, IA_NA+IAADDR, client id, 23, 24
      "27-dhcpv6-confirm-offlink",      // REPLY: IA_NA with NotOnLink status inside
  })
  void matchesPasstExactly(String exchange) {
    List<byte[]> ours = run(TestConfigs.sandbox(), Golden.request(exchange));
    List<byte[]> passt = Golden.replies(exchange);
    assertThat(ours).hasSize(1).hasSameSizeAs(passt);
    assertThat(Golden.hex(ours.get(0))).isEqualTo(Golden.hex(passt.get(0)));
  }

  /**
   * passt reuses a static buffer for option 24 and, from its second reply on, the root label
   * ending {@code example.org} holds 5 instead of 0 (README: byte 178); ours is always 0. All
   * other bytes, and the UDP checksum once recomputed, are passt's.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "22-dhcpv6-request",              // REPLY to REQUEST with our server id
      "23-dhcpv6-renew",                // REPLY to RENEW
      "25-dhcpv6-rebind-with-serverid", // REPLY to REBIND
      "26-dhcpv6-confirm",              // full REPLY to CONFIRM of our address, as passt
      "29-dhcpv6-solicit-again",        // ADVERTISE again
  })
  void matchesPasstButForTheCorruptedDomainList(String exchange) {
    byte[] passt = Golden.replies(exchange).get(0);
    assertThat(passt[DOMAIN_LIST_ROOT]).as("passt's bug still in the capture").isEqualTo((byte) 5);
    List<byte[]> ours = run(TestConfigs.sandbox(), Golden.request(exchange));
    assertThat(ours).hasSize(1);
    assertThat(Golden.hex(ours.get(0))).isEqualTo(Golden.hex(fixDomainList(passt)));
  }

  /**
   * passt drops a REBIND without server identifier, yet RFC 8415 16.8 says a Rebind must not
   * carry one (clients rebinding look for any server): we answer it, as we answer 25.
   */
  @Test
  void rebindWithoutServerIdIsAnsweredUnlikePasst() {
    assertThat(Golden.replies("24-dhcpv6-rebind")).isEmpty();
    byte[] expected = fixDomainList(Golden.replies("25-dhcpv6-rebind-with-serverid").get(0));
    ByteBuf e = Unpooled.wrappedBuffer(expected);
    e.setMedium(63, 0x0a0b04);           // xid
    e.setInt(14, 0x60000000 | 0x40b0a);  // flow label, passt's byte order
    Golden.fixUdp6Checksum(expected);
    List<byte[]> ours = run(TestConfigs.sandbox(), Golden.request("24-dhcpv6-rebind"));
    assertThat(ours).hasSize(1);
    assertThat(Golden.hex(ours.get(0))).isEqualTo(Golden.hex(expected));
  }

  /**
   * passt answers INFORMATION-REQUEST with the IA_NA left in its static buffer (IAID 1, our
   * address) although the client asked for no address; our REPLY has only server id, client id
   * and the DNS options (RFC 8415 18.3.6).
   */
  @Test
  void informationRequestGetsNoIaUnlikePasst() {
    byte[] passt = fixDomainList(Golden.replies("28-dhcpv6-information-request").get(0));
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.write(passt, 0, IA_NA);
    o.write(passt, IA_NA + IA_NA_SIZE, passt.length - IA_NA - IA_NA_SIZE);
    byte[] expected = o.toByteArray();
    ByteBuf e = Unpooled.wrappedBuffer(expected);
    e.setShort(18, e.getUnsignedShort(18) - IA_NA_SIZE);
    e.setShort(58, e.getUnsignedShort(58) - IA_NA_SIZE);
    Golden.fixUdp6Checksum(expected);
    List<byte[]> ours = run(TestConfigs.sandbox(), Golden.request("28-dhcpv6-information-request"));
    assertThat(ours).hasSize(1);
    assertThat(Golden.hex(ours.get(0))).isEqualTo(Golden.hex(expected));
  }

  @Test
  void noOroNoDnsOptions() {
    byte[] req = Golden.request("21-dhcpv6-solicit");
    ByteBuf b = Unpooled.wrappedBuffer(req);
    // ORO (after the 14-byte client id at 66) becomes an unknown option 0xfff0
    assertThat(b.getUnsignedShort(80)).isEqualTo(6);
    b.setShort(80, 0xfff0);
    byte[] r = run(TestConfigs.sandbox(), req).get(0);
    // header, server id, IA_NA, client id: nothing else
    assertThat(r.length).isEqualTo(62 + 4 + 18 + 44 + 14);
  }

  @Test
  void switchedOffDnsOptionsAreAbsent() {
    PasstConfig c = TestConfigs.sandbox();
    c.noDhcpDns = true;
    c.noDhcpSearch = true;
    byte[] r = run(c, Golden.request("21-dhcpv6-solicit")).get(0);
    assertThat(r.length).isEqualTo(62 + 4 + 18 + 44 + 14);
  }

  @Test
  void duidTimeIsNowByDefault() {
    FakeHandlerContext ctx = new FakeHandlerContext(TestConfigs.sandbox());
    Dhcpv6Handler h = new Dhcpv6Handler();
    h.start(ctx);
    byte[] r = Golden.replay(h, ctx, Golden.request("21-dhcpv6-solicit")).get(0);
    long t = Unpooled.wrappedBuffer(r).getUnsignedInt(DUID_TIME);
    long now = System.currentTimeMillis() / 1000 - Dhcpv6Handler.Y2K;
    assertThat(t).isBetween(now - 5, now + 5);
    assertThat(Golden.hex(java.util.Arrays.copyOfRange(r, 66, 74))).isEqualTo("0002000e00010001");
    assertThat(Golden.hex(java.util.Arrays.copyOfRange(r, 78, 84))).isEqualTo("020000000002");
  }

  /** passt's reply with the root label of the first domain fixed and the checksum recomputed. */
  static byte[] fixDomainList(byte[] passt) {
    byte[] f = passt.clone();
    f[DOMAIN_LIST_ROOT] = 0;
    Golden.fixUdp6Checksum(f);
    return f;
  }
}
