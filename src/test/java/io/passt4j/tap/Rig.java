package io.passt4j.tap;

import io.passt4j.PasstConfig;
import io.passt4j.spi.ProtocolPlugin;
import io.passt4j.testutil.FlowTally;
import io.passt4j.testutil.StreamGuest;
import io.passt4j.testutil.TransferServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the real-path TCP tests stand on: the {@link Daemon}, transfer servers on the namespace's
 * 127.0.0.1 and ::1 (the gateway addresses' targets), the flow tally, a guest connected to the
 * qemu socket, and whatever else the test registers to be closed.
 */
final class Rig implements AutoCloseable {

  final Daemon d;
  final PasstConfig cfg;
  final TransferServer server4;
  final TransferServer server6;
  final FlowTally tally;
  /** The connected guest; a test that kills it sets this to null. */
  StreamGuest sg;
  final List<AutoCloseable> closeables = new ArrayList<>();

  private Rig(Daemon d) throws Exception {
    this.d = d;
    this.cfg = d.cfg;
    closeables.add(d);
    server4 = TransferServer.start(d.ns, "127.0.0.1");
    closeables.add(0, server4);
    server6 = TransferServer.start(d.ns, "::1");
    closeables.add(0, server6);
    tally = new FlowTally(d.vertx, d.verticle.instanceName());
    closeables.add(0, tally);
  }

  /** The daemon (see {@link Daemon#start}) and the rest; the guest is connected. */
  static Rig start(Path dir, Consumer<PasstConfig> tweak, ProtocolPlugin... plugins)
      throws Exception {
    Rig r = new Rig(Daemon.start(dir, tweak, plugins));
    r.sg = new StreamGuest(r.d.connectWhenServed());
    return r;
  }

  /** Closes {@code c} before the rest. */
  <T extends AutoCloseable> T closing(T c) {
    closeables.add(0, c);
    return c;
  }

  /**
   * A listener on the namespace's 127.0.0.1 that answers no SYN: its queue (backlog 1, Java
   * turns 0 into 50) holds two connections that are never accepted, and the kernel drops every
   * SYN to a listener whose queue is full.
   */
  java.nio.channels.ServerSocketChannel deaf() throws Exception {
    java.nio.channels.ServerSocketChannel l = closing(d.ns.call(() ->
        java.nio.channels.ServerSocketChannel.open().bind(new java.net.InetSocketAddress(
            io.passt4j.testutil.GuestFrames.ip("127.0.0.1"), 0), 1)));
    for (int i = 0; i < 2; i++) {
      closing(d.ns.call(() -> java.nio.channels.SocketChannel.open(l.getLocalAddress())));
    }
    return l;
  }

  @Override
  public void close() throws Exception {
    if (sg != null) sg.close();
    for (AutoCloseable c : closeables) c.close();
  }
}
