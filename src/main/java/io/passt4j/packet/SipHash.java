package io.passt4j.packet;

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash, fast on short inputs, used
 * for TCP initial sequence numbers (RFC 6528's keyed function F, as passt does). No provider
 * lookup: the JCE's HMAC cost tens to hundreds of milliseconds at start.
 */
public final class SipHash {

  private final long k0;
  private final long k1;

  /** The 128-bit key, as two little-endian 64-bit halves of its 16 bytes. */
  public SipHash(long k0, long k1) {
    this.k0 = k0;
    this.k1 = k1;
  }

  /** The hash of the first {@code len} bytes of {@code m}. */
  public long hash(byte[] m, int len) {
    long[] v = {0x736f6d6570736575L ^ k0, 0x646f72616e646f6dL ^ k1,
        0x6c7967656e657261L ^ k0, 0x7465646279746573L ^ k1};
    int whole = len & ~7;
    for (int i = 0; i < whole; i += 8) compress(v, le64(m, i, 8));
    compress(v, ((long) len << 56) | le64(m, whole, len - whole));
    v[2] ^= 0xff;
    for (int r = 0; r < 4; r++) round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
  }

  /** Takes in one 64-bit word: two rounds. */
  private static void compress(long[] v, long w) {
    v[3] ^= w;
    round(v);
    round(v);
    v[0] ^= w;
  }

  /** One SipRound. */
  private static void round(long[] v) {
    v[0] += v[1];
    v[1] = Long.rotateLeft(v[1], 13) ^ v[0];
    v[0] = Long.rotateLeft(v[0], 32);
    v[2] += v[3];
    v[3] = Long.rotateLeft(v[3], 16) ^ v[2];
    v[0] += v[3];
    v[3] = Long.rotateLeft(v[3], 21) ^ v[0];
    v[2] += v[1];
    v[1] = Long.rotateLeft(v[1], 17) ^ v[2];
    v[2] = Long.rotateLeft(v[2], 32);
  }

  /** {@code n} (0 to 8) bytes of {@code m} from {@code off}, little-endian. */
  private static long le64(byte[] m, int off, int n) {
    long w = 0;
    for (int i = n - 1; i >= 0; i--) w = (w << 8) | (m[off + i] & 0xffL);
    return w;
  }
}
