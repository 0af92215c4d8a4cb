package io.passt4j.packet;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Domain search lists in DNS wire form (RFC 1035 3.1): the payload of DHCP option 119 (RFC 3397,
 * with RFC 1035 4.1.4 compression), DHCPv6 option 24 (RFC 3646) and the NDP DNSSL option (RFC
 * 8106), the last two never compressed. Built once at start, so allocation does not matter here.
 */
public final class DomainNames {

  /** Longest label (RFC 1035 2.3.4). */
  public static final int MAX_LABEL = 63;
  /** Longest name in wire form (RFC 1035 2.3.4). */
  public static final int MAX_NAME = 255;

  private DomainNames() {}

  /**
   * The names one after the other, each as length-prefixed labels ending with the root label.
   * Names that are not valid (empty or overlong labels, too long, not ASCII) are skipped, and so
   * is every name that would take the result past {@code maxLen} bytes.
   *
   * @param compress replace a suffix already written by a pointer to it (offsets counted from
   *     the start of the result, as RFC 3397 wants)
   */
  public static byte[] encode(List<String> names, boolean compress, int maxLen) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Map<String, Integer> suffixes = new HashMap<>();
    for (String name : names) {
      List<String> labels = labels(name);
      if (labels == null) continue;
      ByteArrayOutputStream one = new ByteArrayOutputStream();
      Map<String, Integer> added = new HashMap<>();
      int base = out.size();
      boolean pointed = false;
      for (int i = 0; i < labels.size(); i++) {
        String suffix = String.join(".", labels.subList(i, labels.size())).toLowerCase(Locale.ROOT);
        Integer at = compress ? suffixes.get(suffix) : null;
        if (at != null) {
          one.write(0xc0 | (at >> 8));
          one.write(at & 0xff);
          pointed = true;
          break;
        }
        int here = base + one.size();
        if (here <= 0x3fff) added.put(suffix, here);
        byte[] l = labels.get(i).getBytes(StandardCharsets.US_ASCII);
        one.write(l.length);
        one.writeBytes(l);
      }
      if (!pointed) one.write(0);
      if (out.size() + one.size() > maxLen) continue;
      out.writeBytes(one.toByteArray());
      added.forEach(suffixes::putIfAbsent);
    }
    return out.toByteArray();
  }

  /** The labels of a name (a trailing dot allowed), or null when it cannot be encoded. */
  private static List<String> labels(String name) {
    if (name == null) return null;
    String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (n.isEmpty() || n.length() + 2 > MAX_NAME) return null;
    List<String> labels = new ArrayList<>();
    for (String l : n.split("\\.", -1)) {
      if (l.isEmpty() || l.length() > MAX_LABEL) return null;
      for (int i = 0; i < l.length(); i++) {
        char c = l.charAt(i);
        if (c <= ' ' || c > '~') return null;
      }
      labels.add(l);
    }
    return labels;
  }
}
