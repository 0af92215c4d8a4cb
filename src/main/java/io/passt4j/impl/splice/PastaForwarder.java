package io.passt4j.impl.splice;

import io.passt4j.PasstConfig;
import io.passt4j.fwd.AddressMap;
import io.passt4j.fwd.ForwardRules;
import io.passt4j.fwd.ForwardSockets;
import io.passt4j.fwd.PortForward;
import io.passt4j.impl.Instance;
import io.passt4j.impl.Logging;
import io.passt4j.impl.NettyHostSockets;
import io.passt4j.spi.HostDatagramSocket;
import io.passt4j.spi.HostTcpListener;
import io.passt4j.spi.Log;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.ContextInternal;
import java.util.BitSet;

/**
 * pasta's forwarding out of the namespace and its automatic forwarding.
 *
 * <p><b>{@code -T} and {@code -U}</b> listen on the namespace's loopback (127.0.0.1 and ::1, as
 * Debian's pasta does) and everything they receive goes to the same family's loopback on the
 * host at the target port, through the {@link Splicer} (spliced TCP, relayed UDP).
 *
 * <p><b>{@code auto}</b> (pasta's default for all four): every {@link #SCAN_MS} ms the listening
 * sockets of each side are read ({@link ProcNet}: the namespace's from its thread, the host's
 * from a worker thread) and forwarded from the other side, each port to the same port: TCP
 * listeners; for UDP, unconnected UDP sockets and, as pasta does, the TCP listening ports too
 * (for protocols such as iperf3 whose UDP port follows the TCP one). The ports we listen on
 * ourselves for the opposite direction, now or at the previous scan, are left out, or a port
 * would be forwarded back to where it came from. Into the namespace ({@code -t}, {@code -u})
 * the handlers listen on the host ({@link AutoPorts}), so connections from other hosts go over
 * the tap as with explicit ports; out of it ({@code -T}, {@code -U}) the listeners are here.
 * Debian's pasta (2023) rescans TCP only and reads UDP ports once at start; this follows later
 * pasta, which rescans both.
 */
public final class PastaForwarder extends VerticleBase {

  /** How often the listening sockets are scanned for {@code auto}. */
  static final long SCAN_MS = 1000;

  private final Instance instance;
  private final Splicer splicer;
  private final Log log = Logging.forPrefix("PASTA");
  private NettyHostSockets nsSockets;
  private ForwardSockets<HostTcpListener> tcpOut;
  private ForwardSockets<HostDatagramSocket> udpOut;
  private long timer = -1;
  private boolean scanning;
  private boolean stopped;
  /** What each direction forwarded after the previous scan. */
  private BitSet lastTcpIn = new BitSet();
  private BitSet lastUdpIn = new BitSet();
  private BitSet lastTcpOut = new BitSet();
  private BitSet lastUdpOut = new BitSet();

  public PastaForwarder(Instance instance) {
    this.instance = instance;
    this.splicer = instance.splicer;
  }

  @Override
  public Future<?> start() {
    PasstConfig c = instance.config;
    nsSockets = new NettyHostSockets(((ContextInternal) context).nettyEventLoop(),
        instance.counters("splice"), log, splicer.namespace(), splicer);
    tcpOut = new ForwardSockets<>(c, "TCP", " in the namespace", AddressMap::loopback, log,
        (at, pf) -> nsSockets.tcpListen(at, null, (remote, local) -> null, pf.targetPort()),
        HostTcpListener::close);
    udpOut = new ForwardSockets<>(c, "UDP", " in the namespace", AddressMap::loopback, log,
        (at, pf) -> nsSockets.udp(at, null,
            (sock, payload, sender) -> instance.counters("splice").count("udp from non-loopback"),
            pf.targetPort()),
        HostDatagramSocket::close);
    String err = c.tcpOut.bindAll("-T", pf -> tcpOut.bind(pf, false)).error();
    if (err == null) err = c.udpOut.bindAll("-U", pf -> udpOut.bind(pf, false)).error();
    if (err != null) {
      nsSockets.closeAll();
      return Future.failedFuture(err);
    }
    splicer.warm();
    if (auto(c.tcpIn) || auto(c.udpIn) || auto(c.tcpOut) || auto(c.udpOut)) {
      scan();
      timer = vertx.setPeriodic(SCAN_MS, id -> scan());
    }
    return Future.succeededFuture();
  }

  private static boolean auto(ForwardRules r) {
    return r.mode() == ForwardRules.Mode.AUTO;
  }

  /** One scan of the sides {@code auto} needs, then {@link #apply}; one at a time. */
  private void scan() {
    if (scanning) return;
    PasstConfig c = instance.config;
    boolean ns = auto(c.tcpIn) || auto(c.udpIn);
    boolean host = auto(c.tcpOut) || auto(c.udpOut);
    scanning = true;
    ProcNet.Listening[] got = new ProcNet.Listening[2];
    int[] pending = {(ns ? 1 : 0) + (host ? 1 : 0)};
    Runnable done = () -> {
      if (--pending[0] > 0) return;
      scanning = false;
      if (!stopped) apply(got[0], got[1]);
    };
    if (ns) {
      splicer.namespace().make(ProcNet::scanThisThread,
          ((ContextInternal) context).nettyEventLoop(), (l, e) -> context.runOnContext(v -> {
            got[0] = l;
            if (e != null) instance.counters("splice").count("namespace scan failed");
            done.run();
          }));
    }
    if (host) {
      vertx.executeBlocking(ProcNet::scanThisThread, false).onComplete(ar -> {
        got[1] = ar.result();
        if (ar.failed()) instance.counters("splice").count("host scan failed");
        done.run();
      });
    }
  }

  /** Forwards what the scans found, leaving out our own opposite ports; a side not read stays. */
  private void apply(ProcNet.Listening ns, ProcNet.Listening host) {
    PasstConfig c = instance.config;
    AutoPorts auto = instance.autoPorts;
    BitSet tcpOutNow = tcpOut.ports();
    BitSet udpOutNow = udpOut.ports();
    if (ns != null) {
      if (auto(c.tcpIn)) {
        auto.publish("tcp", minus(ns.tcp(), tcpOutNow, lastTcpOut));
      }
      if (auto(c.udpIn)) {
        BitSet want = (BitSet) ns.udp().clone();
        want.or(ns.tcp());
        auto.publish("udp", minus(want, udpOutNow, lastUdpOut, tcpOutNow, lastTcpOut));
      }
    }
    BitSet tcpInNow = auto(c.tcpIn) ? auto.current("tcp") : listening(c.tcpIn);
    BitSet udpInNow = auto(c.udpIn) ? auto.current("udp") : listening(c.udpIn);
    if (host != null) {
      if (auto(c.tcpOut)) {
        tcpOut.reconcile(minus(host.tcp(), tcpInNow, lastTcpIn), pf -> tcpOut.bind(pf, true));
      }
      if (auto(c.udpOut)) {
        BitSet want = (BitSet) host.udp().clone();
        want.or(host.tcp());
        udpOut.reconcile(minus(want, udpInNow, lastUdpIn, tcpInNow, lastTcpIn),
            pf -> udpOut.bind(pf, true));
      }
    }
    lastTcpIn = tcpInNow;
    lastUdpIn = udpInNow;
    lastTcpOut = tcpOut.ports();
    lastUdpOut = udpOut.ports();
  }

  /** The ports explicit rules listen on. */
  private static BitSet listening(ForwardRules r) {
    BitSet b = new BitSet();
    for (PortForward pf : r.ports()) b.set(pf.port());
    return b;
  }

  private static BitSet minus(BitSet from, BitSet... out) {
    BitSet b = (BitSet) from.clone();
    for (BitSet o : out) b.andNot(o);
    return b;
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    if (tcpOut != null) tcpOut.closeAll();
    if (udpOut != null) udpOut.closeAll();
    if (nsSockets != null) nsSockets.closeAll();
    return Future.succeededFuture();
  }
}
