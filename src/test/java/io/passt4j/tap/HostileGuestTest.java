package io.passt4j.tap;

import static io.passt4j.testutil.GuestFrames.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.passt4j.Passt4jVerticle;
import io.passt4j.PasstConfig;
import io.passt4j.impl.Counters;
import io.passt4j.packet.Checksum;
import io.passt4j.packet.Frame;
import io.passt4j.testutil.FuzzFrames;
import io.passt4j.testutil.Golden;
import io.passt4j.testutil.GuestFrames;
import io.passt4j.testutil.GuestFrames.Parsed;
import io.passt4j.testutil.NettyLeaks;
import io.passt4j.testutil.StreamGuest;
import io.passt4j.testutil.TestConfigs;
import io.passt4j.testutil.TestNetns;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon against a hostile guest: a real {@link Passt4jVerticle} with every built-in
 * plugin {@link java.util.ServiceLoader} finds, fed over its real UNIX stream socket (qemu's
 * 4-byte length prefix) with tens of thousands of malformed frames from a fixed-seed generator,
 * interleaved with a well-behaved UDP exchange through the gateway to an echo server that must
 * keep working throughout; then ARP and DHCP must still be answered, the counters must account
 * for every frame, no handler may have thrown, and Netty's leak detector (paranoid) must not have
 * reported a single buffer.
 *
 * <p>Network safety: Vert.x and the echo servers live in a network namespace the test creates
 * ({@link TestNetns}: {@code lo} only, no route anywhere else), and every generated frame is
 * passed through {@link #confine}, which rewrites any IP destination outside the documentation
 * ranges, loopback, multicast and the gateway into 198.51.100.0/24 or 2001:db8::/32.
 */
class HostileGuestTest {

  /** Fixed seed: the same frames, in the same order, on every run. */
  static final long SEED = 0x9a55_4057L;
  /** At least this many garbage frames... */
  static final int GARBAGE_MIN = 30_000;
  /** ...and a hard bound on their number and on the time spent sending them. */
  static final int GARBAGE_MAX = 60_000;
  static final long GARBAGE_TIME_LIMIT_MS = 120_000;
  /** A well-behaved UDP exchange every this many garbage frames. */
  static final int VALID_EVERY = 500;
  /** Payloads of the well-behaved exchange start with this, so the reader can tell them apart. */
  static final byte[] MAGIC = "passt4j-valid-".getBytes(StandardCharsets.US_ASCII);

  static final String GUEST4 = "198.51.100.2";
  static final String GW4 = "198.51.100.1";
  static final String GUEST6 = "2001:db8::2";
  static final String GW6 = "2001:db8::1";
  static final byte[] GUEST_MAC = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
  static final String[] COMPONENTS = Daemon.COMPONENTS;

  Daemon d;
  TestNetns ns;
  Vertx vertx;
  Passt4jVerticle daemon;
  PasstConfig cfg;
  Path sock;
  final List<AutoCloseable> closeables = new ArrayList<>();
  Echo echo4;
  Echo echo6;

  @BeforeAll
  static void paranoidLeakDetection() throws Exception {
    NettyLeaks.install();
  }

  @AfterAll
  static void restoreLeakDetection() {
    NettyLeaks.restore();
  }

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    d = Daemon.start(dir, null);
    ns = d.ns;
    vertx = d.vertx;
    daemon = d.verticle;
    cfg = d.cfg;
    sock = d.sock;
    NettyLeaks.paranoid(); // Vert.x switched it off
    echo4 = new Echo("127.0.0.1");
    echo6 = new Echo("::1");
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) c.close();
    if (d != null) d.close();
  }

  // ---------------------------------------------------------------- the tests

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void tensOfThousandsOfHostileFramesAreDroppedCountedAndReleasedWhileTheDaemonKeepsServing()
      throws Exception {
    NettyLeaks.canary();
    Generator gen = new Generator(new Random(SEED), cfg.ourMac);
    long t0 = System.nanoTime();
    int garbage = 0;
    int valid = 0;
    long garbageBytes = 0;
    try (Guest g = new Guest(sock)) {
      ByteBuffer batch = ByteBuffer.allocate(1 << 18);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GARBAGE_TIME_LIMIT_MS);
      while (garbage < GARBAGE_MAX
          && (garbage < GARBAGE_MIN || !gen.systematicDone())
          && System.nanoTime() < deadline) {
        byte[] f = confine(gen.next());
        g.queue(batch, f);
        garbage++;
        garbageBytes += f.length;
        if (garbage % VALID_EVERY == 0) {
          g.flush(batch);
          udpRoundTrip(g, valid++, garbage);
        }
      }
      g.flush(batch);
      udpRoundTrip(g, valid++, garbage);
      long sendMs = (System.nanoTime() - t0) / 1_000_000;
      assertThat(garbage).as("garbage frames sent within the time limit").isGreaterThanOrEqualTo(GARBAGE_MIN);

      // Still serving the link-layer and configuration services.
      arpAnswered(g, "198.51.100.77");
      dhcpOfferAnswered(g, 0x0badcafe);
      int total = garbage + valid + 2;

      Counters ep = daemon.instance().counters("endpoint");
      d.awaitAccounted(total, 20);
      long ms = (System.nanoTime() - t0) / 1_000_000;

      report(garbage, garbageBytes, valid, total, sendMs, ms, gen, g);

      for (String c : COMPONENTS) {
        assertThat(counters(c).get("handler exception")).as(c + ": handler exceptions").isZero();
        assertThat(counters(c).get("drop: out of bounds"))
            .as(c + ": reads past the frame caught only by the safety net").isZero();
      }
      assertThat(ep.framesIn.sum()).isEqualTo(total);
      assertThat(ep.framesIn.sum()).as("endpoint frames = endpoint drops + frames handlers took")
          .isEqualTo(ep.sum("drop: ") + d.handlersIn());
      // Not all garbage is dropped, by design: many mutations fix lengths and checksums so that
      // the frame reaches the code behind those checks, and some of those are valid enough to be
      // answered (ARP, DHCP, NDP, echo to the gateway) or sent on (to 198.51.100.x, which has no
      // route in the namespace, or the gateway, which is loopback).
      long drops = allDrops();
      assertThat(drops).as("drops account for most of the garbage")
          .isGreaterThan((long) (garbage * 0.75));
      assertThat(drops).as("no more drops than garbage").isLessThanOrEqualTo(garbage);
      assertThat(g.unexpectedEchoes).as("echo replies with a wrong payload").isZero();
    }
    assertNoLeaks();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void anImpossibleLengthPrefixClosesThatStreamAndANewClientIsServed() throws Exception {
    try (Guest g = new Guest(sock)) {
      arpAnswered(g, "198.51.100.70");
    }
    // A length of 2^31: no frame is that long, and the stream has no other boundary to find.
    try (SocketChannel c = connectWhenServed()) {
      c.write(ByteBuffer.allocate(12).putInt(0x80000000).putInt(0x01020304).putInt(0).flip());
      assertClosedByDaemon(c);
    }
    assertThat(counters("endpoint").get("drop: bad frame length")).isEqualTo(1);
    // The first impossible length, one past the largest frame: closed too.
    try (SocketChannel c = connectWhenServed()) {
      c.write(ByteBuffer.allocate(4).putInt(QemuStreamDecoder.MAX_FRAME + 1).flip());
      assertClosedByDaemon(c);
    }
    assertThat(counters("endpoint").get("drop: bad frame length")).isEqualTo(2);
    // A frame cut off by the client going away, and half a length prefix: nothing to deliver.
    try (SocketChannel c = connectWhenServed()) {
      c.write(ByteBuffer.allocate(4 + 100).putInt(1000).flip());
    }
    try (SocketChannel c = connectWhenServed()) {
      c.write(ByteBuffer.wrap(new byte[] {0, 0}));
    }
    long before = counters("endpoint").framesIn.sum();
    try (Guest g = new Guest(connectWhenServed())) {
      arpAnswered(g, "198.51.100.71");
      udpRoundTrip(g, 0, 0);
      udpRoundTrip(g, 1, 0);
    }
    assertThat(counters("endpoint").framesIn.sum() - before).as("no partial frame delivered")
        .isEqualTo(3);
    for (String c : COMPONENTS) {
      assertThat(counters(c).get("handler exception")).as(c + ": handler exceptions").isZero();
    }
    System.out.println("HOSTILE stream: bad frame length closes=" + counters("endpoint")
        .get("drop: bad frame length") + ", clients refused while the old one was closing="
        + counters("endpoint").get("extra client refused"));
    assertNoLeaks();
  }

  // ---------------------------------------------------------------- exchanges

  /** One UDP datagram to the gateway (IPv4 and IPv6 in turn), echoed back with the same bytes. */
  void udpRoundTrip(Guest g, int n, int after) throws Exception {
    boolean v6 = n % 2 == 1;
    Echo echo = v6 ? echo6 : echo4;
    byte[] payload = validPayload(n);
    int guestPort = 40000 + n % 7;
    byte[] f = GuestFrames.udp(cfg.ourMac, v6 ? GUEST6 : GUEST4, guestPort, v6 ? GW6 : GW4,
        echo.port, payload);
    g.send(f);
    byte[] reply = g.echoes.poll(5, TimeUnit.SECONDS);
    assertThat(reply).as("echo " + n + " (" + (v6 ? "IPv6" : "IPv4") + ") answered after "
        + after + " garbage frames").isNotNull();
    Parsed p = GuestFrames.parse(reply);
    assertThat(p.payload()).as("echo " + n + " payload").isEqualTo(payload);
    assertThat(p.src()).isEqualTo(ip(v6 ? GW6 : GW4));
    assertThat(p.sport()).isEqualTo(echo.port);
    assertThat(p.dst()).isEqualTo(ip(v6 ? GUEST6 : GUEST4));
    assertThat(p.dport()).isEqualTo(guestPort);
    assertThat(p.checksumsOk()).isTrue();
  }

  static byte[] validPayload(int n) {
    byte[] rnd = new byte[64 + (n * 37) % 1400];
    new Random(n).nextBytes(rnd);
    byte[] tag = (n + "-").getBytes(StandardCharsets.US_ASCII);
    byte[] p = new byte[MAGIC.length + tag.length + rnd.length];
    System.arraycopy(MAGIC, 0, p, 0, MAGIC.length);
    System.arraycopy(tag, 0, p, MAGIC.length, tag.length);
    System.arraycopy(rnd, 0, p, MAGIC.length + tag.length, rnd.length);
    return p;
  }

  /** A who-has for {@code target} from the guest is answered with our MAC. */
  void arpAnswered(Guest g, String target) throws Exception {
    byte[] req = Golden.request("03-arp-other");
    System.arraycopy(GUEST_MAC, 0, req, 6, 6);
    System.arraycopy(GUEST_MAC, 0, req, 22, 6);
    System.arraycopy(ip(target).getAddress(), 0, req, 38, 4);
    g.send(req);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < end) {
      byte[] r = g.arp.poll(100, TimeUnit.MILLISECONDS);
      if (r == null) continue;
      ByteBuf b = Unpooled.wrappedBuffer(r);
      if (b.getUnsignedShort(20) == 2 // a reply, from the address asked about
          && Arrays.equals(Arrays.copyOfRange(r, 28, 32), ip(target).getAddress())) {
        assertThat(Arrays.copyOfRange(r, 22, 28)).as("ARP reply: our MAC").isEqualTo(cfg.ourMac);
        assertThat(Arrays.copyOfRange(r, 0, 6)).as("ARP reply to the requester")
            .isEqualTo(GUEST_MAC);
        return;
      }
    }
    throw new AssertionError("no ARP reply for " + target);
  }

  /** A DHCPDISCOVER with transaction id {@code xid} gets a DHCPOFFER of the guest's address. */
  void dhcpOfferAnswered(Guest g, int xid) throws Exception {
    byte[] req = Golden.request("08-dhcp-discover");
    ByteBuf b = Unpooled.wrappedBuffer(req);
    b.setInt(42 + 4, xid);
    fixChecksums(req);
    g.send(req);
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < end) {
      byte[] r = g.dhcp.poll(100, TimeUnit.MILLISECONDS);
      if (r == null) continue;
      ByteBuf rb = Unpooled.wrappedBuffer(r);
      if (r.length < 42 + 240 || rb.getInt(42 + 4) != xid) continue;
      assertThat((int) rb.getUnsignedByte(42)).as("BOOTREPLY").isEqualTo(2);
      assertThat(rb.getInt(42 + 16)).as("yiaddr")
          .isEqualTo(ByteBuffer.wrap(ip(GUEST4).getAddress()).getInt());
      boolean offer = false;
      for (int p = 42 + 240; p + 2 < r.length && r[p] != (byte) 255; ) {
        if (r[p] == 0) { p++; continue; }
        if (r[p] == 53 && r[p + 1] == 1 && r[p + 2] == 2) offer = true;
        p += 2 + (r[p + 1] & 0xff);
      }
      assertThat(offer).as("message type DHCPOFFER").isTrue();
      return;
    }
    throw new AssertionError("no DHCPOFFER for xid " + Integer.toHexString(xid));
  }

  // ---------------------------------------------------------------- counters and leaks

  Counters counters(String c) {
    return d.counters(c);
  }

  long allDrops() {
    long s = 0;
    for (Counters c : daemon.instance().counters.values()) s += c.sum("drop: ");
    return s;
  }

  void report(int garbage, long garbageBytes, int valid, int total, long sendMs, long ms,
      Generator gen, Guest g) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("HOSTILE seed=%#x: %d garbage frames (%d bytes) + %d valid UDP echoes"
        + " + ARP + DHCP = %d frames; sent in %d ms, all accounted for in %d ms%n",
        SEED, garbage, garbageBytes, valid, total, sendMs, ms));
    sb.append("HOSTILE garbage by kind: ").append(gen.kinds).append('\n');
    sb.append(String.format("HOSTILE frames back to the guest: %d (%s); destinations confined: %d%n",
        g.framesBack.get(), g.kindsBack, confined.get()));
    long drops = allDrops();
    sb.append(String.format("HOSTILE drops: %d = %.1f%% of garbage%n", drops, 100.0 * drops / garbage));
    for (String c : COMPONENTS) {
      Counters k = counters(c);
      sb.append(String.format("HOSTILE %-8s in=%d out=%d %s%n", c, k.framesIn.sum(),
          k.framesOut.sum(), new TreeMap<>(k.toJson().getJsonObject("counters").getMap())));
    }
    sb.append("HOSTILE leak reports: ").append(NettyLeaks.LEAKS.size());
    System.out.println(sb);
  }

  void assertNoLeaks() throws Exception {
    d.closeVertx();
    assertThat(NettyLeaks.reports()).as("Netty leak reports (paranoid)").isEmpty();
  }

  static void await(String what, BooleanSupplier c, int seconds) throws InterruptedException {
    Daemon.await(what, c, seconds);
  }

  SocketChannel connectWhenServed() throws Exception {
    return d.connectWhenServed();
  }

  static void assertClosedByDaemon(SocketChannel c) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1 << 16);
    int n;
    do {
      n = c.read(b);
      b.clear();
    } while (n > 0);
    assertThat(n).as("connection closed by the daemon").isEqualTo(-1);
  }

  /** A UDP echo server inside the namespace. */
  final class Echo implements AutoCloseable {
    final DatagramChannel ch;
    final int port;

    Echo(String addr) throws Exception {
      ch = ns.call(() -> DatagramChannel.open().bind(new InetSocketAddress(ip(addr), 0)));
      port = ((InetSocketAddress) ch.getLocalAddress()).getPort();
      Thread t = new Thread(() -> {
        ByteBuffer b = ByteBuffer.allocate(65536);
        try {
          while (true) {
            b.clear();
            SocketAddress from = ch.receive(b);
            b.flip();
            ch.send(b, from);
          }
        } catch (IOException closed) {
          // done
        }
      }, "echo-" + addr);
      t.setDaemon(true);
      t.start();
      closeables.add(this);
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  /**
   * The guest's end of the stream: writes length-prefixed frames, and a reader thread that sorts
   * what comes back (echo replies, ARP, DHCP) and counts the rest.
   */
  static final class Guest implements AutoCloseable {
    final StreamGuest stream;
    final BlockingQueue<byte[]> echoes = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> arp = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> dhcp = new LinkedBlockingQueue<>();
    final AtomicLong framesBack = new AtomicLong();
    final Map<String, AtomicLong> kindsBack = new ConcurrentHashMap<>();
    volatile long unexpectedEchoes;

    Guest(Path sock) throws IOException {
      this(StreamGuest.connect(sock));
    }

    Guest(SocketChannel ch) {
      this(new StreamGuest(ch));
    }

    Guest(StreamGuest stream) {
      this.stream = stream;
      stream.others(this::sort);
    }

    void send(byte[] f) throws IOException {
      stream.send(f);
    }

    /** Adds a frame to a batch, writing the batch out when full (qemu writes many at once). */
    void queue(ByteBuffer batch, byte[] f) throws IOException {
      if (batch.remaining() < 4 + f.length) flush(batch);
      if (batch.remaining() < 4 + f.length) {
        send(f);
        return;
      }
      batch.putInt(f.length).put(f);
    }

    void flush(ByteBuffer batch) throws IOException {
      stream.writeRaw(batch.flip());
      batch.clear();
    }

    private void sort(byte[] f) {
      framesBack.incrementAndGet();
      Frame fr = Frame.classify(Unpooled.wrappedBuffer(f));
      String kind;
      if (fr.malformed() != null) {
        kind = "malformed!";
      } else if (fr.etherType() == 0x0806) {
        kind = "arp";
        arp.add(f);
      } else if (fr.ipProtocol() == 17) {
        int sport = fr.buf().getUnsignedShort(fr.l4Offset());
        int payload = fr.l4Offset() + 8;
        if (sport == 67) {
          kind = "dhcp";
          dhcp.add(f);
        } else if (sport == 547) {
          kind = "dhcpv6";
        } else if (f.length >= payload + MAGIC.length
            && Arrays.equals(Arrays.copyOfRange(f, payload, payload + MAGIC.length), MAGIC)) {
          kind = "udp echo";
          echoes.add(f);
        } else {
          kind = "udp other";
        }
      } else if (fr.ipProtocol() == 1 || fr.ipProtocol() == 58) {
        int type = fr.buf().getUnsignedByte(fr.l4Offset());
        kind = type == 0 || type == 129 ? "icmp echo reply" : type == 134 ? "ndp ra"
            : type == 136 ? "ndp na" : "icmp " + type;
      } else {
        kind = "other";
      }
      kindsBack.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void close() throws Exception {
      stream.close();
    }
  }

  // ---------------------------------------------------------------- network safety

  static final AtomicLong confined = new AtomicLong();

  /**
   * Keeps every IP destination where it cannot leave the test's namespace even if it could:
   * 198.51.100.0/24 (the gateway among them), loopback, unspecified, multicast and broadcast for
   * IPv4; 2001:db8::/32, loopback, unspecified, link-local and multicast for IPv6. Anything else
   * is moved into the documentation range (its checksum then no longer matches, and it is
   * dropped, which is fine for garbage).
   */
  static byte[] confine(byte[] f) {
    if (f.length < 14) return f;
    int type = ((f[12] & 0xff) << 8) | (f[13] & 0xff);
    if (type == 0x0800 && f.length >= 14 + 20) {
      int a = f[30] & 0xff;
      int b = f[31] & 0xff;
      int c = f[32] & 0xff;
      boolean ok = (a == 198 && b == 51 && c == 100) || a == 127 || a == 0 || a >= 224;
      if (!ok) {
        f[30] = (byte) 198;
        f[31] = 51;
        f[32] = 100;
        confined.incrementAndGet();
      }
    } else if (type == 0x86dd && f.length >= 14 + 40) {
      int d = 14 + 24;
      boolean doc = (f[d] & 0xff) == 0x20 && f[d + 1] == 1 && (f[d + 2] & 0xff) == 0x0d
          && (f[d + 3] & 0xff) == 0xb8;
      boolean mcast = (f[d] & 0xff) == 0xff;
      boolean ll = (f[d] & 0xff) == 0xfe && (f[d + 1] & 0xc0) == 0x80;
      boolean zeroPrefix = true;
      for (int i = 0; i < 15; i++) zeroPrefix &= f[d + i] == 0;
      if (!doc && !mcast && !ll && !zeroPrefix) {
        f[d] = 0x20;
        f[d + 1] = 1;
        f[d + 2] = 0x0d;
        f[d + 3] = (byte) 0xb8;
        confined.incrementAndGet();
      }
    }
    return f;
  }

  // ---------------------------------------------------------------- checksums

  /**
   * Makes the checksums of a frame match its (possibly lying) length fields wherever they can be
   * computed inside the frame, so that the garbage gets past checksum checks to the code behind.
   */
  static void fixChecksums(byte[] f) {
    if (f.length < 14) return;
    FuzzFrames.fixIpv4HeaderChecksum(f);
    ByteBuf b = Unpooled.wrappedBuffer(f);
    Frame fr = Frame.classify(b);
    if (fr.malformed() != null || fr.l4Offset() == Frame.NONE) return;
    int l4 = fr.l4Offset();
    int len = fr.l4Length();
    if (fr.ipProtocol() == 17 && len >= 8) {
      int ulen = b.getUnsignedShort(l4 + 4);
      if (ulen < 8 || ulen > len) return;
      long ps = fr.ipVersion() == 4
          ? Checksum.pseudoHeader4(b.getInt(26), b.getInt(30), 17, ulen)
          : Checksum.pseudoHeader6(b, 22, 17, ulen);
      b.setShort(l4 + 6, 0);
      int c = Checksum.fold(Checksum.sum(b, l4, ulen, ps));
      b.setShort(l4 + 6, c == 0 ? 0xffff : c);
    } else if (fr.ipProtocol() == 6 && len >= 20) {
      long ps = fr.ipVersion() == 4
          ? Checksum.pseudoHeader4(b.getInt(26), b.getInt(30), 6, len)
          : Checksum.pseudoHeader6(b, 22, 6, len);
      b.setShort(l4 + 16, 0);
      b.setShort(l4 + 16, Checksum.fold(Checksum.sum(b, l4, len, ps)));
    } else if ((fr.ipProtocol() == 1 || fr.ipProtocol() == 58) && len >= 4) {
      long ps = fr.ipProtocol() == 1 ? 0 : Checksum.pseudoHeader6(b, 22, 58, len);
      b.setShort(l4 + 2, 0);
      b.setShort(l4 + 2, Checksum.fold(Checksum.sum(b, l4, len, ps)));
    }
  }

  // ---------------------------------------------------------------- the generator

  /**
   * Garbage from a fixed seed: first every template truncated at every length (with and without
   * lengths adjusted to match), then an endless weighted mix of mutations.
   */
  static final class Generator {
    final Random rnd;
    final Map<String, Long> kinds = new TreeMap<>();
    final List<byte[]> templates = new ArrayList<>();
    final byte[] arp;
    final byte[] dhcp;
    final byte[] dhcp6;
    final byte[] ns;
    final byte[] rs;
    final byte[] icmp4;
    final byte[] icmp6;
    final byte[] udp4;
    final byte[] udp4gw;
    final byte[] udp6;
    final byte[] udp6gw;
    /** Position in the systematic truncation: template index, length, variant. */
    int sysTemplate;
    int sysLength;
    int sysVariant;
    final List<Function<Random, byte[]>> mutations = new ArrayList<>();
    final List<String> mutationNames = new ArrayList<>();
    final List<Integer> weights = new ArrayList<>();
    int weightSum;

    Generator(Random rnd, byte[] ourMac) {
      this.rnd = rnd;
      arp = Golden.request("03-arp-other");
      dhcp = Golden.request("08-dhcp-discover");
      dhcp6 = Golden.request("22-dhcpv6-request");
      ns = Golden.request("12-ndp-ns-gateway");
      rs = Golden.request("19-ndp-rs");
      icmp4 = Golden.request("30-icmp4-echo-gateway");
      icmp6 = Golden.request("31-icmp6-echo-gateway");
      byte[] p = new byte[48];
      new Random(SEED).nextBytes(p);
      udp4 = GuestFrames.udp(ourMac, GUEST4, 41000, "198.51.100.99", 9, p);
      udp4gw = GuestFrames.udp(ourMac, GUEST4, 41001, GW4, 9, p);
      udp6 = GuestFrames.udp(ourMac, GUEST6, 41002, "2001:db8::99", 9, p);
      udp6gw = GuestFrames.udp(ourMac, GUEST6, 41003, GW6, 9, p);
      templates.addAll(List.of(arp, dhcp, dhcp6, Golden.request("21-dhcpv6-solicit"), ns, rs,
          icmp4, icmp6, udp4, udp4gw, udp6, udp6gw));
      add("ipv4 length lies", 8, this::ipv4Lies);
      add("ipv6 payload length lies", 6, this::ipv6Lies);
      add("udp length lies", 8, this::udpLies);
      add("bad checksum", 5, this::badChecksum);
      add("ipv4 fragment", 4, this::fragment);
      add("ipv6 extension chain", 8, this::extensionChain);
      add("arp sizes", 5, this::arpSizes);
      add("dhcp options", 8, this::dhcpOptions);
      add("dhcpv6 options", 8, this::dhcpv6Options);
      add("ndp options", 6, this::ndpOptions);
      add("icmp short", 4, this::icmpShort);
      add("random bytes", 8, this::randomBytes);
      add("byte flips", 8, this::flips);
      add("length 0/13/65549", 1, this::oddSizes);
    }

    void add(String name, int weight, Function<Random, byte[]> m) {
      mutationNames.add(name);
      mutations.add(m);
      weights.add(weight);
      weightSum += weight;
    }

    boolean systematicDone() {
      return sysTemplate >= templates.size();
    }

    byte[] next() {
      if (!systematicDone()) return truncated();
      int w = rnd.nextInt(weightSum);
      int i = 0;
      while (w >= weights.get(i)) w -= weights.get(i++);
      count(mutationNames.get(i));
      return mutations.get(i).apply(rnd);
    }

    void count(String kind) {
      kinds.merge(kind, 1L, Long::sum);
    }

    /** Template {@code sysTemplate} cut to {@code sysLength} bytes: as is, then made to agree. */
    byte[] truncated() {
      byte[] t = templates.get(sysTemplate);
      byte[] f = Arrays.copyOf(t, sysLength);
      if (sysVariant == 1) {
        agreeLengths(f);
        fixChecksums(f);
      }
      count(sysVariant == 0 ? "truncated" : "truncated, lengths agree");
      if (++sysVariant == 2) {
        sysVariant = 0;
        if (++sysLength >= t.length) { // the whole template is no garbage
          sysLength = 0;
          sysTemplate++;
        }
      }
      return f;
    }

    byte[] pick(byte[]... fs) {
      return fs[rnd.nextInt(fs.length)].clone();
    }

    byte[] anyTemplate() {
      return templates.get(rnd.nextInt(templates.size())).clone();
    }

    int lie(int actual, int max) {
      switch (rnd.nextInt(8)) {
        case 0: return 0;
        case 1: return rnd.nextInt(Math.max(1, Math.min(max, 48)));
        case 2: return Math.max(0, actual - 1);
        case 3: return Math.min(max, actual + 1);
        case 4: return max;
        case 5: return Math.min(max, actual + 1 + rnd.nextInt(64));
        case 6: return Math.max(0, actual - 1 - rnd.nextInt(16));
        default: return rnd.nextInt(max + 1);
      }
    }

    byte[] ipv4Lies(Random r) {
      byte[] f = pick(dhcp, icmp4, udp4, udp4gw);
      ByteBuf b = Unpooled.wrappedBuffer(f);
      if (r.nextBoolean()) b.setShort(16, lie(f.length - 14, 0xffff));
      if (r.nextInt(3) == 0) b.setByte(14, 0x40 | r.nextInt(16));
      if (r.nextInt(5) == 0) b.setByte(14, (r.nextInt(16) << 4) | 5);
      if (r.nextInt(4) != 0) fixChecksums(f);
      return f;
    }

    byte[] ipv6Lies(Random r) {
      byte[] f = pick(dhcp6, ns, rs, icmp6, udp6, udp6gw);
      ByteBuf b = Unpooled.wrappedBuffer(f);
      b.setShort(18, lie(f.length - 54, 0xffff));
      if (r.nextInt(5) == 0) b.setByte(14, r.nextInt(256));
      if (r.nextInt(4) != 0) fixChecksums(f);
      return f;
    }

    byte[] udpLies(Random r) {
      byte[] f = pick(dhcp, udp4, udp4gw, dhcp6, udp6, udp6gw);
      ByteBuf b = Unpooled.wrappedBuffer(f);
      int l4 = b.getUnsignedShort(12) == 0x0800 ? 34 : 54;
      b.setShort(l4 + 4, lie(f.length - l4, 0xffff));
      if (r.nextInt(3) == 0) agreeLengths(f);
      if (r.nextInt(4) != 0) fixChecksums(f);
      return f;
    }

    byte[] badChecksum(Random r) {
      byte[] f = anyTemplate();
      fixChecksums(f);
      ByteBuf b = Unpooled.wrappedBuffer(f);
      int type = b.getUnsignedShort(12);
      if (type == 0x0800) {
        int at = r.nextBoolean() ? 24 : (b.getUnsignedByte(23) == 17 ? 34 + 6 : 34 + 2);
        b.setShort(at, b.getUnsignedShort(at) ^ (1 + r.nextInt(0xffff)));
      } else if (type == 0x86dd) {
        int at = b.getUnsignedByte(20) == 17 ? 54 + 6 : 54 + 2;
        b.setShort(at, r.nextInt(8) == 0 ? 0 : b.getUnsignedShort(at) ^ (1 + r.nextInt(0xffff)));
      } else {
        f[14 + r.nextInt(f.length - 14)] ^= (byte) (1 + r.nextInt(255));
      }
      return f;
    }

    byte[] fragment(Random r) {
      byte[] f = pick(dhcp, icmp4, udp4, udp4gw);
      ByteBuf b = Unpooled.wrappedBuffer(f);
      int flags = switch (r.nextInt(3)) {
        case 0 -> 0x2000;                               // first fragment, more to come
        case 1 -> 1 + r.nextInt(0x1fff);                // last fragment
        default -> 0x2000 | r.nextInt(0x2000);          // middle
      };
      if (r.nextBoolean()) flags |= 0x4000;             // DF as well, contradicting itself
      b.setShort(20, flags);
      fixChecksums(f);
      return f;
    }

    /** IPv6 frames with a chain of extension headers: long, repetitive, truncated, lying. */
    byte[] extensionChain(Random r) {
      byte[] base = pick(dhcp6, ns, rs, icmp6, udp6, udp6gw);
      int upper = base[20] & 0xff;
      byte[] l4 = Arrays.copyOfRange(base, 54, base.length);
      int n = 1 + r.nextInt(r.nextInt(4) == 0 ? 16 : 9);
      int[] types = {0, 43, 60, 44, 59};
      boolean sameType = r.nextInt(4) == 0;
      int loopType = types[r.nextInt(3)];
      ByteBuffer chain = ByteBuffer.allocate(n * 8 * 256);
      int first = -1;
      int prevNextAt = -1;
      for (int i = 0; i < n; i++) {
        int t = sameType ? loopType : types[r.nextInt(r.nextInt(6) == 0 ? 5 : 3)];
        if (first < 0) first = t;
        if (prevNextAt >= 0) chain.put(prevNextAt, (byte) t);
        int extLen = r.nextInt(8) == 0 ? r.nextInt(256) : r.nextInt(3);
        int size = t == 44 ? 8 : (extLen + 1) * 8;
        int start = chain.position();
        prevNextAt = start;
        chain.put((byte) upper).put((byte) (t == 44 ? 0 : extLen));
        for (int k = 2; k < size; k++) chain.put((byte) (r.nextInt(4) == 0 ? r.nextInt(256) : 0));
      }
      byte[] ext = Arrays.copyOf(chain.array(), chain.position());
      if (r.nextInt(3) == 0) ext = Arrays.copyOf(ext, r.nextInt(ext.length + 1)); // truncated
      int payloadLen = ext.length + l4.length;
      if (14 + 40 + payloadLen > QemuStreamDecoder.MAX_FRAME) {
        ext = Arrays.copyOf(ext, 2000);
        payloadLen = ext.length + l4.length;
      }
      byte[] f = new byte[54 + payloadLen];
      System.arraycopy(base, 0, f, 0, 54);
      System.arraycopy(ext, 0, f, 54, ext.length);
      System.arraycopy(l4, 0, f, 54 + ext.length, l4.length);
      ByteBuf b = Unpooled.wrappedBuffer(f);
      b.setByte(20, first);
      b.setShort(18, r.nextInt(5) == 0 ? lie(payloadLen, 0xffff) : payloadLen);
      fixChecksums(f);
      return f;
    }

    byte[] arpSizes(Random r) {
      byte[] f = arp.clone();
      ByteBuf b = Unpooled.wrappedBuffer(f);
      switch (r.nextInt(6)) {
        case 0 -> b.setByte(18, r.nextInt(256));                  // hardware size
        case 1 -> b.setByte(19, r.nextInt(256));                  // protocol size
        case 2 -> b.setShort(14, r.nextInt(4));                   // hardware type
        case 3 -> b.setShort(16, r.nextBoolean() ? 0x86dd : r.nextInt(0x10000)); // protocol type
        case 4 -> b.setShort(20, r.nextInt(10));                  // operation
        default -> {
          b.setByte(18, r.nextInt(256));
          b.setByte(19, r.nextInt(256));
        }
      }
      int len = r.nextInt(3) == 0 ? r.nextInt(f.length + 1) : f.length;
      if (r.nextInt(4) == 0) len = f.length + r.nextInt(64); // padded, as on a real wire
      return Arrays.copyOf(f, Math.max(len, 0));
    }

    /** DHCP with a rewritten options field: zero lengths, overflows, no END, no cookie. */
    byte[] dhcpOptions(Random r) {
      ByteBuffer o = ByteBuffer.allocate(2048);
      int n = r.nextInt(12);
      for (int i = 0; i < n; i++) {
        int code = r.nextInt(3) == 0 ? r.nextInt(256)
            : new int[] {0, 1, 3, 50, 53, 55, 61, 255, 119, 121}[r.nextInt(10)];
        o.put((byte) code);
        if (code == 0 || code == 255) continue;
        int len = switch (r.nextInt(5)) {
          case 0 -> 0;
          case 1 -> 255;
          case 2 -> 1;
          default -> r.nextInt(16);
        };
        o.put((byte) len);
        int have = r.nextInt(5) == 0 ? r.nextInt(len + 1) : len;   // the last may overflow
        for (int k = 0; k < have && o.remaining() > 0; k++) {
          o.put((byte) (code == 53 ? 1 + r.nextInt(9) : r.nextInt(256)));
        }
      }
      if (r.nextBoolean()) o.put((byte) 255);
      byte[] opts = Arrays.copyOf(o.array(), o.position());
      byte[] f = new byte[42 + 240 + opts.length];
      System.arraycopy(dhcp, 0, f, 0, 42 + 240);
      System.arraycopy(opts, 0, f, 42 + 240, opts.length);
      ByteBuf b = Unpooled.wrappedBuffer(f);
      if (r.nextInt(6) == 0) b.setInt(42 + 236, r.nextInt());     // no magic cookie
      if (r.nextInt(10) == 0) b.setByte(42, r.nextInt(4));        // op
      if (r.nextInt(10) == 0) f = Arrays.copyOf(f, 42 + r.nextInt(240)); // short of the cookie
      agreeLengths(f);
      fixChecksums(f);
      return f;
    }

    /** DHCPv6 with garbage options: lengths 0 and overflowing, nested IA garbage. */
    byte[] dhcpv6Options(Random r) {
      ByteBuffer o = ByteBuffer.allocate(4096);
      int type = r.nextInt(4) == 0 ? r.nextInt(256) : new int[] {1, 3, 4, 5, 6, 11}[r.nextInt(6)];
      o.put((byte) type).put((byte) r.nextInt(256)).putShort((short) r.nextInt(0x10000));
      int n = r.nextInt(10);
      for (int i = 0; i < n; i++) {
        int code = r.nextInt(3) == 0 ? r.nextInt(0x10000)
            : new int[] {1, 2, 3, 4, 5, 6, 8, 13, 23, 24}[r.nextInt(10)];
        int len = switch (r.nextInt(6)) {
          case 0 -> 0;
          case 1 -> 0xffff;
          case 2 -> 14;
          case 3 -> 12 + 28;
          default -> r.nextInt(48);
        };
        o.putShort((short) code).putShort((short) len);
        int have = len > 200 ? r.nextInt(64) : (r.nextInt(6) == 0 ? r.nextInt(len + 1) : len);
        int start = o.position();
        for (int k = 0; k < have; k++) o.put((byte) (r.nextInt(3) == 0 ? r.nextInt(256) : 0));
        if ((code == 3 || code == 4) && have >= 16 && r.nextBoolean()) {
          // a nested IAADDR whose length lies
          int at = start + (code == 3 ? 12 : 4);
          o.putShort(at, (short) 5).putShort(at + 2, (short) lie(24, 0xffff));
        }
      }
      byte[] msg = Arrays.copyOf(o.array(), o.position());
      byte[] f = new byte[62 + msg.length];
      System.arraycopy(dhcp6, 0, f, 0, 62);
      System.arraycopy(msg, 0, f, 62, msg.length);
      agreeLengths(f);
      fixChecksums(f);
      return f;
    }

    /** NS and RS with zero-length, overflowing or random options, odd hop limits and codes. */
    byte[] ndpOptions(Random r) {
      byte[] base = pick(ns, rs);
      int fixed = base[54] == (byte) 135 ? 24 : 8;
      ByteBuffer o = ByteBuffer.allocate(4096);
      int n = r.nextInt(5);
      for (int i = 0; i < n; i++) {
        int units = switch (r.nextInt(4)) {
          case 0 -> 0;
          case 1 -> 255;
          default -> 1 + r.nextInt(3);
        };
        o.put((byte) (1 + r.nextInt(40))).put((byte) units);
        int have = units == 255 ? r.nextInt(64) : Math.max(0, units * 8 - 2);
        if (r.nextInt(5) == 0) have = r.nextInt(have + 1);
        for (int k = 0; k < have; k++) o.put((byte) r.nextInt(256));
      }
      byte[] opts = Arrays.copyOf(o.array(), o.position());
      byte[] f = new byte[54 + fixed + opts.length];
      System.arraycopy(base, 0, f, 0, 54 + fixed);
      System.arraycopy(opts, 0, f, 54 + fixed, opts.length);
      if (r.nextInt(6) == 0) f[21] = (byte) r.nextInt(256);    // hop limit
      if (r.nextInt(6) == 0) f[55] = (byte) r.nextInt(256);    // code
      agreeLengths(f);
      fixChecksums(f);
      return f;
    }

    /** Echo requests of 0 to 7 bytes, lengths agreeing, checksums right. */
    byte[] icmpShort(Random r) {
      boolean v6 = r.nextBoolean();
      byte[] base = v6 ? icmp6 : icmp4;
      int l4 = v6 ? 54 : 34;
      byte[] f = Arrays.copyOf(base, l4 + r.nextInt(8));
      if (r.nextInt(4) == 0 && f.length > l4 + 1) f[l4 + 1] = (byte) r.nextInt(256); // code
      agreeLengths(f);
      fixChecksums(f);
      return f;
    }

    byte[] randomBytes(Random r) {
      int[] types = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88b5, 0x0000, 0xffff, r.nextInt(0x10000)};
      int type = types[r.nextInt(types.length)];
      int len = 14 + (r.nextInt(4) == 0 ? r.nextInt(9000) : r.nextInt(200));
      byte[] f = new byte[len];
      r.nextBytes(f);
      if (r.nextBoolean()) System.arraycopy(GUEST_MAC, 0, f, 6, 6);
      f[12] = (byte) (type >> 8);
      f[13] = (byte) type;
      if (len > 14 && r.nextBoolean()) {
        if (type == 0x0800) f[14] = (byte) (0x40 | (f[14] & 0xf));
        if (type == 0x86dd) f[14] = (byte) (0x60 | (f[14] & 0xf));
      }
      if (r.nextInt(3) == 0) {
        agreeLengths(f);
        fixChecksums(f);
      }
      return f;
    }

    byte[] flips(Random r) {
      byte[] f = anyTemplate();
      int n = 1 + r.nextInt(8);
      for (int i = 0; i < n; i++) f[12 + r.nextInt(f.length - 12)] ^= (byte) (1 + r.nextInt(255));
      if (r.nextBoolean()) fixChecksums(f);
      return f;
    }

    byte[] oddSizes(Random r) {
      switch (r.nextInt(5)) {
        case 0: return new byte[0];
        case 1: {
          byte[] f = new byte[13];
          r.nextBytes(f);
          return f;
        }
        case 2: { // the largest frame the stream allows: an IPv4 UDP datagram of 65507 bytes
          byte[] p = new byte[QemuStreamDecoder.MAX_FRAME - 42];
          r.nextBytes(p);
          return GuestFrames.udp(GUEST_MAC, GUEST4, 41004, r.nextBoolean() ? GW4 : "198.51.100.98",
              9, p);
        }
        case 3: { // and over IPv6, as large as the stream allows
          byte[] p = new byte[QemuStreamDecoder.MAX_FRAME - 62];
          r.nextBytes(p);
          return GuestFrames.udp(GUEST_MAC, GUEST6, 41005, "2001:db8::98", 9, p);
        }
        default: {
          byte[] f = new byte[QemuStreamDecoder.MAX_FRAME];
          r.nextBytes(f);
          f[12] = r.nextBoolean() ? (byte) 0x08 : (byte) 0x86;
          f[13] = f[12] == 0x08 ? 0 : (byte) 0xdd;
          return f;
        }
      }
    }
  }

  /**
   * Sets the IPv4 total length / IPv6 payload length and the UDP length (when the frame has a
   * UDP header at the usual place) to what the frame holds.
   */
  static void agreeLengths(byte[] f) {
    if (f.length < 14) return;
    ByteBuf b = Unpooled.wrappedBuffer(f);
    int type = b.getUnsignedShort(12);
    if (type == 0x0800 && f.length >= 34) {
      b.setShort(16, Math.min(f.length - 14, 0xffff));
      int hl = (b.getUnsignedByte(14) & 0xf) * 4;
      if (b.getUnsignedByte(23) == 17 && hl >= 20 && 14 + hl + 8 <= f.length) {
        b.setShort(14 + hl + 4, Math.min(f.length - 14 - hl, 0xffff));
      }
    } else if (type == 0x86dd && f.length >= 54) {
      b.setShort(18, Math.min(f.length - 54, 0xffff));
      if (b.getUnsignedByte(20) == 17 && f.length >= 62) {
        b.setShort(58, Math.min(f.length - 54, 0xffff));
      }
    }
  }
}
