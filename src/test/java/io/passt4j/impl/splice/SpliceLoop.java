package io.passt4j.impl.splice;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.passt4j.impl.Counters;
import io.passt4j.impl.Logging;
import io.passt4j.impl.NettyHostSockets;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Test harness of the splice path without namespaces: one Vert.x event loop on native epoll,
 * a {@link Splicer} whose "namespace" is a second thread in the same network namespace (as
 * pasta's namespace thread, minus the namespace), and host sockets with that bypass.
 */
final class SpliceLoop implements AutoCloseable {

  final Vertx vertx;
  final Context context;
  final EventLoop loop;
  final ExecutorService otherSide = Executors.newSingleThreadExecutor();
  final Counters counters = new Counters();
  final Splicer splicer;
  final NettyHostSockets sockets;

  SpliceLoop() {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
    assertThat(vertx.isNativeTransportEnabled()).as("native epoll").isTrue();
    context = vertx.getOrCreateContext();
    loop = ((ContextInternal) context).nettyEventLoop();
    splicer = new Splicer(NetSide.namespace(otherSide), true, counters, Logging.forPrefix("T"));
    sockets = new NettyHostSockets(loop, counters, Logging.forPrefix("T"), NetSide.HOST, splicer);
  }

  /** Runs {@code c} on the event loop and waits (10 s at most) for its result. */
  <T> T onLoop(Callable<T> c) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        f.complete(c.call());
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    });
    return f.get(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    onLoop(() -> {
      sockets.closeAll();
      return null;
    });
    splicer.stop();
    vertx.close().await(5, TimeUnit.SECONDS);
    otherSide.shutdownNow();
  }
}
