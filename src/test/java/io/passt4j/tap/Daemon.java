package io.passt4j.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.Passt4jVerticle;
import io.passt4j.PasstConfig;
import io.passt4j.impl.Counters;
import io.passt4j.spi.ProtocolPlugin;
import io.passt4j.testutil.TestConfigs;
import io.passt4j.testutil.TestNetns;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The whole daemon of the real-path tests (hostile guests, floods, faults): a {@link
 * Passt4jVerticle} with every built-in plugin, on its real qemu stream socket, in a Vert.x whose
 * threads live in a {@link TestNetns} of its own ({@code lo} only), configured as the sandbox
 * ({@link TestConfigs#sandbox}). Counters, the client-socket dance, bounded waiting.
 */
final class Daemon implements AutoCloseable {

  /** Every built-in handler. */
  static final String[] COMPONENTS =
      {"endpoint", "arp", "dhcp", "ndp", "dhcpv6", "icmp", "udp", "tcp"};

  final TestNetns ns;
  final Vertx vertx;
  final PasstConfig cfg;
  final Path sock;
  final Passt4jVerticle verticle;
  private boolean vertxClosed;

  private Daemon(TestNetns ns, PasstConfig cfg, Path sock, List<ProtocolPlugin> plugins)
      throws Exception {
    this.ns = ns;
    this.vertx = ns.vertx();
    this.cfg = cfg;
    this.sock = sock;
    this.verticle = new Passt4jVerticle(cfg, null).withPlugins(plugins);
    vertx.deployVerticle(verticle).await(20, TimeUnit.SECONDS);
    assertThat(verticle.instance().counters.keySet()).as("every built-in handler runs")
        .contains(COMPONENTS);
  }

  /**
   * A new namespace and the daemon in it, its socket in {@code dir}; {@code tweak} adjusts the
   * configuration first, {@code plugins} replace built-in ones of the same name.
   */
  static Daemon start(Path dir, Consumer<PasstConfig> tweak, ProtocolPlugin... plugins)
      throws Exception {
    TestNetns ns = TestNetns.create();
    try {
      PasstConfig cfg = TestConfigs.sandbox();
      Path sock = dir.resolve("passt.socket");
      cfg.socketPath = sock.toString();
      if (tweak != null) tweak.accept(cfg);
      return new Daemon(ns, cfg, sock, List.of(plugins));
    } catch (Exception | Error e) {
      ns.close();
      throw e;
    }
  }

  Counters counters(String c) {
    return verticle.instance().counters(c);
  }

  /** Frames the handlers received. */
  long handlersIn() {
    long s = 0;
    for (Map.Entry<String, Counters> e : verticle.instance().counters.entrySet()) {
      if (!e.getKey().equals("endpoint")) s += e.getValue().framesIn.sum();
    }
    return s;
  }

  /** Frames the endpoint passed on to handlers. */
  long dispatched() {
    Counters ep = counters("endpoint");
    return ep.framesIn.sum() - ep.sum(Counters.DROP);
  }

  /**
   * Waits until the endpoint read the first {@code frames} frames (more may follow: a transfer
   * can still be running) and the handlers took what it passed.
   */
  void awaitAccounted(long frames, int seconds) throws InterruptedException {
    Counters ep = counters("endpoint");
    await("the endpoint read every frame", () -> ep.framesIn.sum() >= frames, seconds);
    await("the handlers took every dispatched frame", () -> handlersIn() == dispatched(), seconds);
  }

  SocketChannel connect() throws IOException {
    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
    c.connect(UnixDomainSocketAddress.of(sock));
    return c;
  }

  /**
   * A connection the daemon keeps: right after a client went away, the endpoint may not have
   * noticed yet and closes a newcomer as a second client; try again then.
   */
  SocketChannel connectWhenServed() throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      long refused = counters("endpoint").get("extra client refused");
      SocketChannel c = connect();
      Thread.sleep(50);
      if (counters("endpoint").get("extra client refused") == refused) return c;
      c.close();
      if (System.nanoTime() > end) throw new AssertionError("the daemon refuses new clients");
    }
  }

  /** Closes Vert.x (and with it the daemon), for leak checks; {@link #close} still ends the rest. */
  void closeVertx() throws Exception {
    if (vertxClosed) return;
    vertxClosed = true;
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  static void await(String what, BooleanSupplier c, int seconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) throw new AssertionError(what + ": not within " + seconds + " s");
      Thread.sleep(10);
    }
  }

  @Override
  public void close() throws Exception {
    try {
      closeVertx();
    } finally {
      ns.close();
    }
  }
}
