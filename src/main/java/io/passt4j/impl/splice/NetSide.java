package io.passt4j.impl.splice;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * One side of pasta, the host or the namespace, as the place where sockets are made: a socket
 * belongs to the network namespace of the thread that creates it (DESIGN.md §3.2), so the
 * namespace's sockets are created on the namespace thread, the host's on the calling (event
 * loop) thread. Once made, a socket is used from any thread: bind, connect and I/O follow the
 * socket's namespace, not the caller's.
 */
public final class NetSide {

  /** The host: sockets are made on the calling thread, which is in the host's namespace. */
  public static final NetSide HOST = new NetSide("host", null);

  /** Longest wait for the namespace thread in {@link #makeNow}. */
  private static final long MAKE_NOW_TIMEOUT_MS = 5_000;

  private final String name;
  private final Executor thread;

  private NetSide(String name, Executor thread) {
    this.name = name;
    this.thread = thread;
  }

  /** The namespace whose only thread is {@code nsThread} (pasta's namespace thread). */
  public static NetSide namespace(Executor nsThread) {
    return new NetSide("namespace", nsThread);
  }

  /** Whether this is the host side. */
  public boolean isHost() {
    return thread == null;
  }

  /**
   * Runs {@code maker} on this side's thread, then {@code done} with its result or failure on
   * {@code loop} (at once, inline, for the host when called on {@code loop}).
   */
  public <T> void make(Callable<T> maker, EventLoop loop, BiConsumer<T, Throwable> done) {
    if (thread == null && loop.inEventLoop()) {
      T v;
      try {
        v = maker.call();
      } catch (Exception e) {
        done.accept(null, e);
        return;
      }
      done.accept(v, null);
      return;
    }
    Runnable task = () -> {
      T v = null;
      Throwable err = null;
      try {
        v = maker.call();
      } catch (Exception e) {
        err = e;
      }
      T value = v;
      Throwable failure = err;
      loop.execute(() -> done.accept(value, failure));
    };
    try {
      (thread == null ? loop : thread).execute(task);
    } catch (RejectedExecutionException e) {
      loop.execute(() -> done.accept(null, new IOException("the " + name + " thread is gone")));
    }
  }

  /** Runs {@code task} on this side's thread without waiting (inline for the host). */
  public void execute(Runnable task) {
    if (thread == null) {
      task.run();
    } else {
      thread.execute(task);
    }
  }

  /**
   * Runs {@code maker} on this side's thread and waits for it (inline for the host): for the
   * rare sockets that are set up synchronously (listeners).
   *
   * @throws IOException what {@code maker} threw, or why it could not run
   */
  public <T> T makeNow(Callable<T> maker) throws IOException {
    if (thread == null) {
      try {
        return maker.call();
      } catch (IOException | RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(e.getMessage(), e);
      }
    }
    FutureTask<T> f = new FutureTask<>(maker);
    try {
      thread.execute(f);
      return f.get(MAKE_NOW_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      throw new IOException("the " + name + " thread is gone");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) throw io;
      if (c instanceof RuntimeException r) throw r;
      throw new IOException(String.valueOf(c), c);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IOException("the " + name + " thread did not answer in "
          + MAKE_NOW_TIMEOUT_MS + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
