package io.passt4j.testutil;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A host-side TCP server for checked transfers, inside a {@link TestNetns}. A client sends a
 * header ({@link #MAGIC}, a transfer id, the upload and download sizes), then its upload; the
 * server hashes the upload (SHA-256, {@link #upload}) while it sends the download ({@link
 * #payload} of {@code ~id}) and then its FIN. Connections without the header (a hostile guest's
 * SYNs to this port) are counted as junk and closed. {@link #act} makes one transfer misbehave:
 * reset after some bytes, or stop reading for a while. One thread per connection, all daemons;
 * {@link #close} ends them.
 */
public final class TransferServer implements AutoCloseable {

  /** Starts every transfer. */
  public static final byte[] MAGIC = "P4JXFER1".getBytes(StandardCharsets.US_ASCII);
  /** Bytes of the header: magic, id (8), upload size (4), download size (4). */
  public static final int HEADER = MAGIC.length + 16;

  /** What the server does to one transfer, after it has read {@code afterBytes} of the upload. */
  public record Action(long afterBytes, boolean reset, long pauseMs) {
    /** Closes with SO_LINGER 0: a reset. */
    public static Action resetAfter(long bytes) {
      return new Action(bytes, true, 0);
    }

    /** Stops reading for {@code ms}, then goes on. */
    public static Action pauseAfter(long bytes, long ms) {
      return new Action(bytes, false, ms);
    }
  }

  private final ServerSocketChannel listener;
  public final int port;
  private final Map<Long, CompletableFuture<byte[]>> uploads = new ConcurrentHashMap<>();
  private final Map<Long, Action> actions = new ConcurrentHashMap<>();
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
  /** Connections accepted, and those that never sent a header. */
  public final AtomicLong accepted = new AtomicLong();
  public final AtomicLong junk = new AtomicLong();
  private volatile boolean closed;

  private TransferServer(ServerSocketChannel listener) {
    this.listener = listener;
    this.port = ((InetSocketAddress) uncheckedLocal(listener)).getPort();
    Thread t = new Thread(this::acceptLoop, "transfer-server-" + port);
    t.setDaemon(true);
    t.start();
  }

  /** Listens on {@code address} (port chosen by the kernel) inside {@code ns}. */
  public static TransferServer start(TestNetns ns, String address) throws Exception {
    return new TransferServer(ns.call(() -> ServerSocketChannel.open()
        .bind(new InetSocketAddress(GuestFrames.ip(address), 0), 4096)));
  }

  private static java.net.SocketAddress uncheckedLocal(ServerSocketChannel l) {
    try {
      return l.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Makes transfer {@code id} misbehave. */
  public void act(long id, Action a) {
    actions.put(id, a);
  }

  /** The SHA-256 of transfer {@code id}'s upload, once the server read all of it. */
  public CompletableFuture<byte[]> upload(long id) {
    return uploads.computeIfAbsent(id, k -> new CompletableFuture<>());
  }

  /** The header of a transfer. */
  public static byte[] header(long id, int up, int down) {
    return ByteBuffer.allocate(HEADER).put(MAGIC).putLong(id).putInt(up).putInt(down).array();
  }

  /** Deterministic data: {@code n} bytes from seed {@code seed}. */
  public static byte[] payload(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  public static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  public static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  /** What the guest sends for transfer {@code id}: the header, then {@code up} bytes. */
  public static byte[] guestData(long id, int up, int down) {
    byte[] data = new byte[HEADER + up];
    System.arraycopy(header(id, up, down), 0, data, 0, HEADER);
    System.arraycopy(payload(id, up), 0, data, HEADER, up);
    return data;
  }

  /**
   * The guest's side of transfer {@code id} on {@code g} (connected): the header and {@code up}
   * bytes, then FIN; takes in the server's {@code down} bytes and FIN. Throws unless the download
   * is complete and exactly {@link #payload}{@code (~id, down)} within {@code ms}; returns the
   * SHA-256 of the upload as sent.
   */
  public static byte[] guestSide(GuestTcp g, long id, int up, int down, long ms)
      throws InterruptedException {
    finish(g, id, guestData(id, up, down), down, ms);
    return sha256(payload(id, up));
  }

  /**
   * Sends {@code rest} (what remains of the guest's data) and FIN, takes in the download until
   * the server's FIN, and checks it (see {@link #guestSide}).
   */
  public static void finish(GuestTcp g, long id, byte[] rest, int down, long ms)
      throws InterruptedException {
    g.run(rest, true, () -> g.finReceived || g.rstReceived, ms);
    if (g.rstReceived) throw new AssertionError("transfer " + id + ": reset by the daemon");
    byte[] got = g.received.toByteArray();
    byte[] want = payload(~id, down);
    if (got.length != down || !Arrays.equals(sha256(got), sha256(want))) {
      throw new AssertionError("transfer " + id + ": download of " + got.length + "/" + down
          + " bytes, sha256 " + hex(sha256(got)) + ", expected " + hex(sha256(want)));
    }
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel c;
      try {
        c = listener.accept();
      } catch (IOException e) {
        return;
      }
      accepted.incrementAndGet();
      open.add(c);
      Thread t = new Thread(() -> serve(c), "transfer-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(SocketChannel c) {
    try {
      ByteBuffer h = ByteBuffer.allocate(HEADER);
      while (h.hasRemaining()) {
        if (c.read(h) < 0) break;
      }
      if (h.hasRemaining() || !Arrays.equals(Arrays.copyOf(h.array(), MAGIC.length), MAGIC)) {
        junk.incrementAndGet();
        return;
      }
      h.position(MAGIC.length);
      long id = h.getLong();
      int up = h.getInt();
      int down = h.getInt();
      Thread writer = new Thread(() -> send(c, payload(~id, down)), "transfer-writer");
      writer.setDaemon(true);
      writer.start();
      receive(c, id, up);
      writer.join(TimeUnit.MINUTES.toMillis(2));
    } catch (IOException | InterruptedException e) {
      // a reset or a close: the test looks at what its guest saw
    } finally {
      close(c);
    }
  }

  private void receive(SocketChannel c, long id, int up) throws IOException, InterruptedException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    Action a = actions.get(id);
    ByteBuffer b = ByteBuffer.allocate(64 << 10);
    long got = 0;
    while (got < up) {
      b.clear();
      if (a != null && got >= a.afterBytes()) {
        if (a.reset()) {
          c.setOption(StandardSocketOptions.SO_LINGER, 0);
          c.close();
          return;
        }
        Thread.sleep(a.pauseMs());
        a = null;
      }
      if (a != null) b.limit((int) Math.min(b.capacity(), Math.max(1, a.afterBytes() - got)));
      int n = c.read(b);
      if (n < 0) break;
      md.update(b.array(), 0, n);
      got += n;
    }
    if (got == up) upload(id).complete(md.digest());
    b.clear();
    while (c.read(b) >= 0) b.clear(); // up to the client's FIN
  }

  private static void send(SocketChannel c, byte[] data) {
    try {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) c.write(b);
      c.shutdownOutput();
    } catch (IOException e) {
      // reset or closed
    }
  }

  private static void close(SocketChannel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listener.close();
    for (SocketChannel c : open) close(c);
  }
}
