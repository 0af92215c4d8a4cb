package io.passt4j.fwd;

import io.passt4j.PasstConfig;
import io.passt4j.spi.DescriptorLimitException;
import io.passt4j.spi.Log;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The sockets of one direction's forwarded ports ({@code -t}, {@code -u}, and in pasta {@code
 * -T}, {@code -U}), by port: bound once per enabled family (or at the port's bind address
 * alone), closed per port, which is what pasta's automatic forwarding needs as the ports it
 * scans come and go ({@link #reconcile}). One event loop; {@code T} is the socket type.
 */
public final class ForwardSockets<T> {

  /** Binds one socket of a forwarded port. */
  @FunctionalInterface
  public interface Binder<T> {
    /** A socket bound to {@code at} for {@code pf}; an exception saying why when it can't be. */
    T bind(InetSocketAddress at, PortForward pf) throws IOException;
  }

  private final PasstConfig config;
  private final String proto;
  private final String where;
  private final IntFunction<InetAddress> address;
  private final Log log;
  private final Binder<T> binder;
  private final Consumer<T> closer;
  private final Map<Integer, List<T>> byPort = new TreeMap<>();
  /** Ports {@link #reconcile} could not bind: not tried again until they leave the set. */
  private final BitSet failed = new BitSet();

  /**
   * @param proto {@code TCP} or {@code UDP}, for messages
   * @param where where the sockets are, for messages ("" for the host, " in the namespace")
   * @param address the address to bind for an IP version when the forward names none (the
   *     wildcard, or the loopback address in pasta's namespace)
   * @param closer closes one socket
   */
  public ForwardSockets(PasstConfig config, String proto, String where,
      IntFunction<InetAddress> address, Log log, Binder<T> binder, Consumer<T> closer) {
    this.config = config;
    this.proto = proto;
    this.where = where;
    this.address = address;
    this.log = log;
    this.binder = binder;
    this.closer = closer;
  }

  /** The wildcard address of {@code version}. */
  public static InetAddress any(int version) {
    try {
      return InetAddress.getByAddress(new byte[version == 6 ? 16 : 4]);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Binds the sockets of {@code pf}, one per family: at its bind address, else at {@code
   * address} of each enabled family. Null when at least one was bound (or no family applies),
   * else why not, for {@link ForwardRules#bindAll}; {@code quiet} leaves the failures of single
   * families to the debug log.
   *
   * @throws DescriptorLimitException when out of file descriptors
   */
  public String bind(PortForward pf, boolean quiet) throws DescriptorLimitException {
    List<InetAddress> binds = new ArrayList<>();
    if (pf.bindAddress() != null) {
      InetAddress a;
      try {
        a = InetAddress.getByName(pf.bindAddress());
      } catch (UnknownHostException e) {
        return "invalid bind address " + pf.bindAddress();
      }
      if (a instanceof Inet4Address ? config.ipv4 : config.ipv6) binds.add(a);
    } else {
      if (config.ipv4) binds.add(address.apply(4));
      if (config.ipv6) binds.add(address.apply(6));
    }
    String last = null;
    int bound = 0;
    for (InetAddress a : binds) {
      try {
        add(pf.port(), binder.bind(new InetSocketAddress(a, pf.port()), pf));
        bound++;
      } catch (DescriptorLimitException e) {
        throw e;
      } catch (IOException e) {
        last = e.getMessage();
        if (!quiet || log.isDebugEnabled()) {
          String msg = "Failed to bind " + proto + " port " + pf.port() + " on "
              + a.getHostAddress() + where + ": " + e.getMessage();
          if (quiet) log.debug(msg);
          else log.warn(msg);
        }
      }
    }
    return bound > 0 || binds.isEmpty() ? null : last;
  }

  /** Records {@code socket}, bound elsewhere, as one of {@code port}'s. */
  public void add(int port, T socket) {
    byPort.computeIfAbsent(port, k -> new ArrayList<>()).add(socket);
  }

  /** Closes the sockets of {@code port}. */
  public void remove(int port) {
    List<T> l = byPort.remove(port);
    if (l != null) for (T s : l) closer.accept(s);
  }

  /**
   * pasta's automatic forwarding: binds, with {@code bind}, the ports of {@code want} not bound
   * yet (each to the same port on the other side), closes those bound and no longer wanted. A
   * port that could not be bound (something else has it) is not tried again while it stays in
   * the set.
   */
  public void reconcile(BitSet want, ForwardRules.PortBinder bind) {
    for (Integer p : new ArrayList<>(byPort.keySet())) {
      if (!want.get(p)) {
        remove(p);
        if (log.isDebugEnabled()) log.debug("auto: not forwarding " + proto + " port " + p + where);
      }
    }
    failed.and(want);
    for (int p = want.nextSetBit(1); p > 0 && p < 65536; p = want.nextSetBit(p + 1)) {
      if (byPort.containsKey(p) || failed.get(p)) continue;
      String why;
      try {
        why = bind.bind(new PortForward(null, null, p, p));
      } catch (DescriptorLimitException e) {
        why = e.getMessage();
      }
      if (why != null || !byPort.containsKey(p)) {
        failed.set(p);
        if (log.isDebugEnabled()) log.debug("auto: can't forward " + proto + " port " + p + where + ": " + why);
      } else if (log.isDebugEnabled()) {
        log.debug("auto: forwarding " + proto + " port " + p + where);
      }
    }
  }

  /** The ports bound now. */
  public BitSet ports() {
    BitSet b = new BitSet();
    for (int p : byPort.keySet()) b.set(p);
    return b;
  }

  /** Closes everything. */
  public void closeAll() {
    for (List<T> l : byPort.values()) for (T s : l) closer.accept(s);
    byPort.clear();
    failed.clear();
  }
}
