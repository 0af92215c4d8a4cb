package io.passt4j.impl;

import io.passt4j.packet.Frame;
import io.passt4j.spi.FrameSelector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses the handler for a classified guest frame from the selectors the plugins declared: the
 * most specific matching selector wins. The endpoint uses it without knowing any protocol.
 */
public final class Dispatcher {

  /** A selector and the handler (by name) it leads to. */
  public record Route(FrameSelector selector, String handler) {}

  private final Route[] routes;

  public Dispatcher(List<Route> routes) {
    List<Route> sorted = new ArrayList<>(routes);
    sorted.sort(Comparator.comparingInt((Route r) -> -r.selector().specificity()));
    for (int i = 0; i < sorted.size(); i++) {
      for (int j = i + 1; j < sorted.size(); j++) {
        Route a = sorted.get(i);
        Route b = sorted.get(j);
        if (a.selector().equals(b.selector()) && !a.handler().equals(b.handler())) {
          throw new IllegalStateException("handlers " + a.handler() + " and " + b.handler()
              + " both select " + a.selector());
        }
      }
    }
    this.routes = sorted.toArray(new Route[0]);
  }

  /** The handler for {@code f}, or null when none takes it. */
  public String route(Frame f) {
    int port = FrameSelector.ANY;
    int type = FrameSelector.ANY;
    int p = f.ipProtocol();
    if (f.l4Offset() != Frame.NONE) {
      if (hasPorts(p) && f.l4Length() >= 4) {
        port = f.buf().getUnsignedShort(f.l4Offset() + 2);
      } else if ((p == 1 || p == 58) && f.l4Length() >= 1) {
        type = f.buf().getUnsignedByte(f.l4Offset());
      }
    }
    for (Route r : routes) {
      if (r.selector().matches(f.etherType(), f.ipVersion(), p, port, type)) return r.handler();
    }
    return null;
  }

  /** Protocols whose header starts with source and destination ports: TCP, UDP, DCCP, SCTP, UDP-Lite. */
  private static boolean hasPorts(int p) {
    return p == 6 || p == 17 || p == 33 || p == 132 || p == 136;
  }

  public List<Route> routes() {
    return List.of(routes);
  }
}
