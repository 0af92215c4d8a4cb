package io.passt4j.impl.splice;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.BitSet;

/**
 * The ports a network namespace listens on, from its {@code /proc/net/tcp}, {@code tcp6},
 * {@code udp} and {@code udp6} (proc(5)), as pasta's automatic forwarding reads them: TCP
 * sockets in state {@code 0A} (LISTEN), UDP sockets in state {@code 07} (not connected) with no
 * remote port. The namespace is that of the thread that reads: {@code /proc/thread-self/net}
 * (DESIGN.md §3.7). Lines that do not parse are skipped, never fatal.
 */
public final class ProcNet {

  /** TCP_LISTEN in the kernel's include/net/tcp_states.h. */
  static final int TCP_LISTEN = 0x0a;
  /** TCP_CLOSE: what an unconnected UDP socket shows. */
  static final int UDP_UNCONNECTED = 0x07;

  /** What one namespace listens on. */
  public record Listening(BitSet tcp, BitSet udp) {}

  private ProcNet() {}

  /** Reads the four tables under {@code dir} (normally {@code /proc/thread-self/net}). */
  public static Listening scan(Path dir) {
    BitSet tcp = new BitSet(1 << 16);
    BitSet udp = new BitSet(1 << 16);
    read(dir.resolve("tcp"), TCP_LISTEN, false, tcp);
    read(dir.resolve("tcp6"), TCP_LISTEN, false, tcp);
    read(dir.resolve("udp"), UDP_UNCONNECTED, true, udp);
    read(dir.resolve("udp6"), UDP_UNCONNECTED, true, udp);
    return new Listening(tcp, udp);
  }

  /** The namespace of the calling thread. */
  public static Listening scanThisThread() {
    return scan(Path.of("/proc/thread-self/net"));
  }

  private static void read(Path file, int state, boolean unconnected, BitSet into) {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
      parse(r, state, unconnected, into);
    } catch (NoSuchFileException e) {
      // no IPv6 in this kernel, for instance
    } catch (IOException | RuntimeException e) {
      // a table we can't read forwards nothing of its own
    }
  }

  /**
   * Adds to {@code into} the local ports of the table's sockets in {@code state} (and, with
   * {@code unconnected}, a remote port of 0). The first line is the header.
   */
  static void parse(Reader in, int state, boolean unconnected, BitSet into) throws IOException {
    BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
    String line = r.readLine(); // header
    while ((line = r.readLine()) != null) {
      // "  sl  local_address rem_address   st ...": "0: 0100007F:1F90 00000000:0000 0A ..."
      String[] f = line.trim().split("\\s+", 5);
      if (f.length < 4 || !f[0].endsWith(":")) continue;
      int st = hex(f[3], 2);
      if (st != state) continue;
      int port = port(f[1]);
      if (port <= 0) continue;
      if (unconnected && port(f[2]) != 0) continue;
      into.set(port);
    }
  }

  /** The port of {@code ADDR:PORT} with ADDR 8 or 32 hex digits, -1 when malformed. */
  static int port(String addrPort) {
    int colon = addrPort.indexOf(':');
    if (colon != 8 && colon != 32) return -1;
    return hex(addrPort.substring(colon + 1), 4);
  }

  /** {@code s} as hexadecimal of 1 to {@code maxDigits} digits, -1 when it is not. */
  private static int hex(String s, int maxDigits) {
    if (s.isEmpty() || s.length() > maxDigits) return -1;
    int v = 0;
    for (int i = 0; i < s.length(); i++) {
      int d = Character.digit(s.charAt(i), 16);
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }
}
