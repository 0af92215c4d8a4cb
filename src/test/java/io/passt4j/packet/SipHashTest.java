package io.passt4j.packet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** SipHash-2-4 against the reference test vectors (key 00..0f, message 00..len-1). */
class SipHashTest {

  static final SipHash REFERENCE = new SipHash(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);

  static byte[] counting(int n) {
    byte[] m = new byte[n];
    for (int i = 0; i < n; i++) m[i] = (byte) i;
    return m;
  }

  @Test
  void referenceVectors() {
    // the paper's worked example (15 bytes) and the first, 8th and 9th of the reference list
    assertThat(REFERENCE.hash(counting(15), 15)).isEqualTo(0xa129ca6149be45e5L);
    assertThat(REFERENCE.hash(counting(0), 0)).isEqualTo(0x726fdb47dd0e0e31L);
    assertThat(REFERENCE.hash(counting(7), 7)).isEqualTo(0xab0200f58b01d137L);
    assertThat(REFERENCE.hash(counting(8), 8)).isEqualTo(0x93f5f5799a932462L);
  }

  @Test
  void onlyTheGivenLengthCounts() {
    byte[] m = counting(20);
    assertThat(REFERENCE.hash(m, 15)).isEqualTo(0xa129ca6149be45e5L);
  }

  @Test
  void theKeyMatters() {
    assertThat(new SipHash(1, 2).hash(counting(15), 15)).isNotEqualTo(0xa129ca6149be45e5L);
  }
}
