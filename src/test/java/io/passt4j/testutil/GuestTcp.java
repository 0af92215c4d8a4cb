package io.passt4j.testutil;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.passt4j.packet.Addresses;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.packet.Ipv4;
import io.passt4j.packet.Ipv6;
import io.passt4j.packet.Packets;
import io.passt4j.packet.Tcp;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

/**
 * The guest's side of one TCP connection, as a minimal TCP stack would behave, driven by the
 * test thread: builds segments, reads the handler's frames from a {@link GuestLink} (a {@link
 * HandlerHarness}, or a port of a {@link StreamGuest} on the real qemu socket), ACKs
 * in-order data, sends data within the handler's window and goes back to the last ACK when no
 * progress is made. Every wait is bounded.
 */
public final class GuestTcp {

  /** A TCP segment read from a frame to the guest. */
  public record Seg(int flags, int seq, int ack, int window, int mss, int wscale, byte[] payload,
      boolean checksumOk, int sport, int dport, String src, String dst) {
    public boolean has(int f) {
      return (flags & f) != 0;
    }
  }

  public final GuestLink h;
  public final byte[] ourMac;
  public final String guest;
  public final int guestPort;
  public final String remote;
  public final int remotePort;
  /** Guest's next sequence number, and the oldest one not acknowledged. */
  public int sndNxt;
  public int sndUna;
  /** Next byte expected from the handler. */
  public int rcvNxt;
  /** The window we advertise (unscaled value on the wire). */
  public int window = 65535;
  public int wscale = 7;
  /** The handler's window in bytes, as last advertised. */
  public long peerWindow;
  public int peerWscale;
  public int peerMss;
  public final ByteArrayOutputStream received = new ByteArrayOutputStream();
  public boolean finReceived;
  public boolean rstReceived;
  /** Every segment seen, for assertions. */
  public final java.util.List<Seg> log = new java.util.ArrayList<>();

  public GuestTcp(GuestLink h, byte[] ourMac, String guest, int guestPort, String remote,
      int remotePort, int isn) {
    this.h = h;
    this.ourMac = ourMac;
    this.guest = guest;
    this.guestPort = guestPort;
    this.remote = remote;
    this.remotePort = remotePort;
    this.sndNxt = isn;
    this.sndUna = isn;
  }

  /** A TCP frame from the guest; {@code options} raw (padded to 4 by the caller). */
  public static byte[] frame(byte[] ourMac, String src, int sport, String dst, int dport, int seq,
      int ack, int flags, int window, byte[] options, byte[] payload) {
    InetAddress s = GuestFrames.ip(src);
    InetAddress d = GuestFrames.ip(dst);
    boolean v4 = s instanceof Inet4Address;
    int l4 = v4 ? Packets.TCP4 : Packets.TCP6;
    int hl = Tcp.MIN_SIZE + options.length;
    int len = hl + payload.length;
    ByteBuf b = Unpooled.buffer(l4 + len);
    new Tcp().wrap(b, l4, len).set(sport, dport, seq, ack, hl, flags, window);
    b.setBytes(l4 + Tcp.MIN_SIZE, options);
    b.setBytes(l4 + hl, payload);
    if (v4) {
      Packets.tcp4(b, ourMac, HandlerHarness.GUEST_MAC, Addresses.toInt((Inet4Address) s),
          Addresses.toInt((Inet4Address) d), len);
    } else {
      Packets.tcp6(b, ourMac, HandlerHarness.GUEST_MAC, s.getAddress(), d.getAddress(), len);
    }
    return ByteBufUtil.getBytes(b);
  }

  /** MSS and window scale options. */
  public static byte[] synOptions(int mss, int wscale) {
    if (wscale < 0) return new byte[] {2, 4, (byte) (mss >> 8), (byte) mss};
    return new byte[] {2, 4, (byte) (mss >> 8), (byte) mss, 1, 3, 3, (byte) wscale};
  }

  /** Parses a frame to the guest as TCP, checking its checksums. */
  public static Seg parse(byte[] frame) {
    Frame f = Frame.classify(Unpooled.wrappedBuffer(frame));
    if (f.malformed() != null || f.ipProtocol() != 6) {
      throw new AssertionError("not a TCP frame: " + f);
    }
    ByteBuf b = f.buf();
    Tcp t = new Tcp().wrap(b, f.l4Offset(), f.l4Length());
    if (!t.isValid(f.l4Length()) || !t.parseOptions()) throw new AssertionError("bad TCP header");
    long pseudo;
    boolean ok = true;
    String src;
    String dst;
    if (f.ipVersion() == 4) {
      Ipv4 ip = new Ipv4().wrap(b, f.l3Offset());
      ok = ip.isChecksumValid();
      pseudo = ip.pseudoHeaderSum();
      src = Addresses.fromInt(ip.source()).getHostAddress();
      dst = Addresses.fromInt(ip.destination()).getHostAddress();
    } else {
      Ipv6 ip = new Ipv6().wrap(b, f.l3Offset());
      pseudo = Checksum.pseudoHeader6(b, ip.sourceOffset(), 6, f.l4Length());
      byte[] a = new byte[16];
      ip.getSource(a);
      src = Addresses.v6(a).getHostAddress();
      ip.getDestination(a);
      dst = Addresses.v6(a).getHostAddress();
    }
    ok &= t.isChecksumValid(pseudo);
    byte[] p = new byte[t.payloadLength()];
    b.getBytes(t.payloadOffset(), p);
    return new Seg(t.flags(), t.seq(), t.ackNumber(), t.window(), t.mss(), t.wscale(), p, ok,
        t.sourcePort(), t.destinationPort(), src, dst);
  }

  /** Sends a segment of this connection. */
  public void send(int seq, int flags, byte[] options, byte[] payload) {
    h.fromGuest(frame(ourMac, guest, guestPort, remote, remotePort, seq, rcvNxt, flags, window,
        options, payload));
  }

  /** Sends a pure ACK. */
  public void ack() {
    send(sndNxt, Tcp.ACK, new byte[0], new byte[0]);
  }

  /** The next segment to the guest, or null after {@code ms}. */
  public Seg next(long ms) throws InterruptedException {
    byte[] f = h.toGuest().poll(ms, TimeUnit.MILLISECONDS);
    if (f == null) return null;
    Seg s = parse(f);
    log.add(s);
    return s;
  }

  /** SYN, expect SYN-ACK, ACK. Returns the SYN-ACK. */
  public Seg connect(int mss) throws InterruptedException {
    send(sndNxt, Tcp.SYN, synOptions(mss, wscale), new byte[0]);
    sndNxt++;
    Seg s = next(5000);
    if (s == null || s.flags() != (Tcp.SYN | Tcp.ACK)) throw new AssertionError("no SYN-ACK: " + s);
    if (s.ack() != sndNxt) throw new AssertionError("SYN-ACK acks " + s.ack());
    sndUna = sndNxt;
    rcvNxt = s.seq() + 1;
    peerMss = s.mss();
    peerWscale = Math.max(0, s.wscale());
    peerWindow = s.window();
    ack();
    return s;
  }

  /**
   * The guest as a server: waits for the handler's SYN to {@code guestPort} (other frames are
   * skipped), answers with SYN-ACK (MSS {@code mss}, window scale 7) and waits for its ACK.
   * The connection's remote end is the SYN's source.
   */
  public static GuestTcp accept(GuestLink h, byte[] ourMac, String guest, int guestPort,
      int isn, int mss, long ms) throws InterruptedException {
    return accept(h, ourMac, guest, guestPort, isn, mss, 7, ms);
  }

  /** As {@link #accept(GuestLink, byte[], String, int, int, int, long)}, offering
   * window scale {@code wscale} (none when negative). */
  public static GuestTcp accept(GuestLink h, byte[] ourMac, String guest, int guestPort,
      int isn, int mss, int wscale, long ms) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    Seg syn = null;
    while (syn == null) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) throw new AssertionError("no SYN to port " + guestPort + " in " + ms + " ms");
      byte[] f = h.toGuest().poll(left, TimeUnit.MILLISECONDS);
      if (f == null) continue;
      Seg s = parse(f);
      if (s.flags() == Tcp.SYN && s.dport() == guestPort) syn = s;
    }
    GuestTcp g = new GuestTcp(h, ourMac, guest, guestPort, syn.src(), syn.sport(), isn);
    g.log.add(syn);
    g.synSeen = syn;
    g.rcvNxt = syn.seq() + 1;
    g.peerMss = syn.mss();
    // RFC 7323: scaling applies only when both sides offered it.
    g.wscale = wscale < 0 || syn.wscale() < 0 ? 0 : wscale;
    g.peerWscale = wscale < 0 ? 0 : Math.max(0, syn.wscale());
    g.send(isn, Tcp.SYN | Tcp.ACK, synOptions(mss, wscale), new byte[0]);
    g.sndNxt = isn + 1;
    Seg a = g.next(5000);
    if (a == null || a.flags() != Tcp.ACK || a.ack() != isn + 1) {
      throw new AssertionError("no ACK of the SYN-ACK: " + a);
    }
    g.sndUna = g.sndNxt;
    g.peerWindow = (long) a.window() << g.peerWscale;
    return g;
  }

  /** The handler's SYN, when this guest accepted a connection. */
  public Seg synSeen;

  /** Takes in one segment from the handler as a guest stack would; returns it. */
  public Seg absorb(Seg s) {
    if (s.has(Tcp.RST)) {
      rstReceived = true;
      return s;
    }
    if (s.has(Tcp.ACK)) {
      if (Tcp.seqLt(sndUna, s.ack()) && Tcp.seqLe(s.ack(), sndNxt)) sndUna = s.ack();
      peerWindow = (long) s.window() << peerWscale;
    }
    boolean advance = false;
    if (s.payload().length > 0) {
      if (s.seq() == rcvNxt) {
        received.write(s.payload(), 0, s.payload().length);
        rcvNxt += s.payload().length;
      }
      advance = true;
    }
    if (s.has(Tcp.FIN) && s.seq() + s.payload().length == rcvNxt) {
      rcvNxt++;
      finReceived = true;
      advance = true;
    }
    if (advance) ack();
    return s;
  }

  /**
   * Sends {@code data} (then FIN when {@code fin}) and takes in what arrives until {@code done}
   * holds, within {@code ms}: window-limited sending, go-back to the last ACK after 300 ms
   * without progress.
   */
  public void run(byte[] data, boolean fin, java.util.function.BooleanSupplier done, long ms)
      throws InterruptedException {
    int base = sndNxt;
    int end = base + data.length;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    long lastProgress = System.nanoTime();
    int lastUna = sndUna;
    boolean finSent = false;
    int seg = Math.min(peerMss > 0 ? peerMss : 1400, 16384);
    while (System.nanoTime() < deadline) {
      while (Tcp.seqLt(sndNxt, end) && (long) (sndNxt - sndUna) < Math.max(peerWindow, 1)) {
        int n = (int) Math.min(seg, Math.min(end - sndNxt, Math.max(1, peerWindow - (sndNxt - sndUna))));
        byte[] p = java.util.Arrays.copyOfRange(data, sndNxt - base, sndNxt - base + n);
        send(sndNxt, Tcp.ACK | Tcp.PSH, new byte[0], p);
        sndNxt += n;
      }
      if (fin && !finSent && sndNxt == end) {
        send(sndNxt, Tcp.ACK | Tcp.FIN, new byte[0], new byte[0]);
        sndNxt++;
        finSent = true;
      }
      if (done.getAsBoolean() && sndUna == sndNxt) return;
      Seg s = next(20);
      if (s != null) absorb(s);
      if (rstReceived) return;
      if (sndUna != lastUna) {
        lastUna = sndUna;
        lastProgress = System.nanoTime();
      } else if (sndUna != sndNxt && System.nanoTime() - lastProgress > 300_000_000L) {
        sndNxt = sndUna;
        if (finSent && sndUna != end + 1) finSent = false;
        lastProgress = System.nanoTime();
      }
    }
    throw new AssertionError("guest TCP: not done in " + ms + " ms (sent " + (sndUna - base)
        + "/" + data.length + ", received " + received.size() + ", fin " + finReceived + ")");
  }
}
