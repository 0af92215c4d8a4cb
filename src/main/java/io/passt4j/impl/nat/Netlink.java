package io.passt4j.impl.nat;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A NETLINK_ROUTE socket and the few requests pasta's {@code --config-net} makes (link up and
 * MTU, an address, a default route), each acknowledged before the next. The socket belongs to
 * the network namespace of the thread that creates it (DESIGN.md §3.5): create it on the
 * namespace thread. Blocking; used at start-up only.
 *
 * <pre>
 * nlmsghdr:  u32 len | u16 type | u16 flags | u32 seq | u32 pid           (16 bytes)
 * ifinfomsg: u8 family | u8 pad | u16 type | s32 index | u32 flags | u32 change (16)
 * ifaddrmsg: u8 family | u8 prefixlen | u8 flags | u8 scope | u32 index    (8)
 * rtmsg:     u8 family, dst_len, src_len, tos, table, protocol, scope, type | u32 flags (12)
 * rtattr:    u16 len | u16 type | data, padded to 4
 * </pre>
 */
public final class Netlink implements AutoCloseable {

  private static final int NLMSG_ERROR = 2;
  private static final int RTM_NEWLINK = 16, RTM_NEWADDR = 20, RTM_NEWROUTE = 24;
  private static final int NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_EXCL = 0x200,
      NLM_F_CREATE = 0x400;
  private static final int IFF_UP = 1;
  private static final int IFLA_ADDRESS = 1, IFLA_MTU = 4;
  private static final int IFA_ADDRESS = 1, IFA_LOCAL = 2;
  private static final int IFA_F_NODAD = 0x02;
  private static final int RTA_OIF = 4, RTA_GATEWAY = 5;
  private static final int RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0,
      RTN_UNICAST = 1;

  private final LibC c = LibC.INSTANCE;
  private final int fd;
  private int seq;

  /** Opens the socket in the calling thread's network namespace. */
  public Netlink() throws IOException {
    fd = c.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_ROUTE);
    if (fd < 0) throw new IOException("netlink socket: " + LibC.lastError());
  }

  /** The index of interface {@code name} in the calling thread's namespace. */
  public static int index(String name) throws IOException {
    int i = LibC.INSTANCE.if_nametoindex(name);
    if (i <= 0) throw new IOException("no interface " + name + " in the namespace");
    return i;
  }

  /** Sets the link up, with {@code mtu} (0: unchanged) and {@code mac} (null: unchanged). */
  public void linkUp(int index, int mtu, byte[] mac) throws IOException {
    link(index, true, mtu, mac);
  }

  /** Sets the link's MAC address, leaving it down or up as it is. */
  public void linkMac(int index, byte[] mac) throws IOException {
    link(index, false, 0, mac);
  }

  private void link(int index, boolean up, int mtu, byte[] mac) throws IOException {
    ByteBuffer b = start(RTM_NEWLINK, 0);
    b.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(index).putInt(up ? IFF_UP : 0)
        .putInt(up ? IFF_UP : 0);
    if (mtu > 0) attr(b, IFLA_MTU, intBytes(mtu));
    if (mac != null) attr(b, IFLA_ADDRESS, mac);
    request(b, up ? "link up" : "link address");
  }

  /** Adds {@code addr/prefixLen} to the link; IPv6 without duplicate address detection. */
  public void addAddress(int index, InetAddress addr, int prefixLen) throws IOException {
    boolean v4 = addr instanceof Inet4Address;
    ByteBuffer b = start(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    b.put((byte) (v4 ? LibC.AF_INET : LibC.AF_INET6)).put((byte) prefixLen)
        .put((byte) (v4 ? 0 : IFA_F_NODAD)).put((byte) RT_SCOPE_UNIVERSE).putInt(index);
    if (v4) attr(b, IFA_LOCAL, addr.getAddress());
    attr(b, IFA_ADDRESS, addr.getAddress());
    request(b, "address " + addr.getHostAddress() + "/" + prefixLen);
  }

  /** Adds the default route via {@code gateway} on the link. */
  public void addDefaultRoute(int index, InetAddress gateway) throws IOException {
    boolean v4 = gateway instanceof Inet4Address;
    ByteBuffer b = start(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    b.put((byte) (v4 ? LibC.AF_INET : LibC.AF_INET6)).put((byte) 0).put((byte) 0).put((byte) 0)
        .put((byte) RT_TABLE_MAIN).put((byte) RTPROT_BOOT).put((byte) RT_SCOPE_UNIVERSE)
        .put((byte) RTN_UNICAST).putInt(0);
    attr(b, RTA_OIF, intBytes(index));
    attr(b, RTA_GATEWAY, gateway.getAddress());
    request(b, "default route via " + gateway.getHostAddress().replaceAll("%.*", ""));
  }

  private ByteBuffer start(int type, int flags) {
    ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
    b.putInt(0).putShort((short) type).putShort((short) (NLM_F_REQUEST | NLM_F_ACK | flags))
        .putInt(++seq).putInt(0);
    return b;
  }

  private static void attr(ByteBuffer b, int type, byte[] data) {
    b.putShort((short) (4 + data.length)).putShort((short) type).put(data);
    while ((b.position() & 3) != 0) b.put((byte) 0);
  }

  private static byte[] intBytes(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
  }

  /** Sends the message and waits for its acknowledgement; a negative one throws. */
  private void request(ByteBuffer b, String what) throws IOException {
    int len = b.position();
    b.putInt(0, len);
    byte[] msg = new byte[len];
    b.get(0, msg);
    if (c.write(fd, msg, len) != len) throw new IOException("netlink: " + what + ": " + LibC.lastError());
    byte[] reply = new byte[8192];
    for (int tries = 0; tries < 16; tries++) {
      long n = c.read(fd, reply, reply.length);
      if (n < 0) throw new IOException("netlink: " + what + ": " + LibC.lastError());
      ByteBuffer r = ByteBuffer.wrap(reply, 0, (int) n).order(ByteOrder.nativeOrder());
      for (int off = 0; off + 16 <= n; ) {
        int mlen = r.getInt(off);
        int mtype = r.getShort(off + 4) & 0xffff;
        int mseq = r.getInt(off + 8);
        if (mtype == NLMSG_ERROR && mseq == seq && off + 20 <= n) {
          int err = r.getInt(off + 16);
          if (err == 0) return;
          throw new IOException("netlink: " + what + ": " + c.strerror(-err));
        }
        if (mlen < 16) break;
        off += (mlen + 3) & ~3;
      }
    }
    throw new IOException("netlink: " + what + ": no acknowledgement");
  }

  @Override
  public void close() {
    c.close(fd);
  }
}
