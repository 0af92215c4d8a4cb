package io.passt4j;

import io.passt4j.impl.Dispatcher;
import io.passt4j.impl.FrameCodec;
import io.passt4j.impl.HandlerVerticle;
import io.passt4j.impl.Instance;
import io.passt4j.impl.PluginLoader;
import io.passt4j.packet.Frame;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolPlugin;
import io.passt4j.tap.EndpointVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * passt4j as a verticle: deploy it with a {@link PasstConfig} (or its JSON as the deployment
 * config) and it deploys one verticle per enabled protocol plugin and the endpoint that owns the
 * guest's link. {@link #finished()} completes when a one-off endpoint's client went away.
 *
 * <p>What it publishes for the embedding host (flow events, periodic counters) is described,
 * with the event-bus addresses and payloads, in {@link Passt4jEvents}.
 */
public class Passt4jVerticle extends VerticleBase {

  private final PasstConfig givenConfig;
  private final ClassLoader pluginLoader;
  private final Promise<Void> finished = Promise.promise();
  private final List<String> deployments = new ArrayList<>();
  private final List<ProtocolPlugin> extraPlugins = new ArrayList<>();
  private Instance instance;
  private EndpointVerticle endpoint;
  private volatile String endpointDeployment;
  private long countersTimer = -1;
  private java.util.concurrent.Executor namespaceThread;
  private Runnable afterBinding;

  /** Configured from the deployment's JSON config. */
  public Passt4jVerticle() {
    this(null, null);
  }

  /**
   * @param config the configuration, or null to read the deployment's JSON config
   * @param pluginLoader an extra class loader to find plugins in (a plugin directory), or null
   */
  public Passt4jVerticle(PasstConfig config, ClassLoader pluginLoader) {
    this.givenConfig = config;
    this.pluginLoader = pluginLoader;
  }

  /**
   * Adds plugins besides those {@link java.util.ServiceLoader} finds (an embedding host's own);
   * call before deployment. A plugin given here wins over a discovered one of the same name.
   */
  public Passt4jVerticle withPlugins(List<ProtocolPlugin> plugins) {
    extraPlugins.addAll(plugins);
    return this;
  }

  /**
   * pasta: the thread that lives in the namespace pasta serves (every socket made there belongs
   * to it, DESIGN.md §3.2). With it, loopback traffic on forwarded ports takes the splice path
   * ({@code --no-splice} aside) and {@code -T}/{@code -U} forward from the namespace. Call before
   * deployment.
   */
  public Passt4jVerticle withNamespace(java.util.concurrent.Executor thread) {
    this.namespaceThread = thread;
    return this;
  }

  /**
   * Runs {@code hook} on the event loop once the handlers have bound the forwarded ports ({@code
   * -t}, {@code -u}, {@code -T}, {@code -U}) and before the endpoint opens its socket or capture
   * file: the command line drops privileges there, as passt does (ports below 1024 bound as
   * root, the UNIX socket made by the user it runs as). A RuntimeException from it fails the
   * deployment with its message. Call before deployment.
   */
  public Passt4jVerticle afterBinding(Runnable hook) {
    this.afterBinding = hook;
    return this;
  }

  @Override
  public Future<?> start() {
    PasstConfig cfg = givenConfig != null ? givenConfig : PasstConfig.fromJson(config());
    String name = cfg.instanceName != null ? cfg.instanceName
        : UUID.randomUUID().toString().substring(0, 8);
    if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
      return Future.failedFuture("instanceName: letters, digits, '-' and '_' only: " + name);
    }
    instance = new Instance(name, cfg);
    if (namespaceThread != null && cfg.mode == PasstConfig.Mode.PASTA) {
      instance.splicer = new io.passt4j.impl.splice.Splicer(
          io.passt4j.impl.splice.NetSide.namespace(namespaceThread), !cfg.noSplice,
          instance.counters("splice"), io.passt4j.impl.Logging.forPrefix("SPLICE"));
    }
    try {
      vertx.eventBus().registerDefaultCodec(Frame.class, FrameCodec.INSTANCE);
    } catch (IllegalStateException alreadyRegistered) {
      // another instance in this Vert.x did it
    }
    List<Dispatcher.Route> routes = new ArrayList<>();
    List<ProtocolPlugin> plugins = new ArrayList<>();
    List<ProtocolPlugin> all = new ArrayList<>(extraPlugins);
    for (ProtocolPlugin p : PluginLoader.load(pluginLoader)) {
      if (all.stream().noneMatch(x -> x.name().equals(p.name()))) all.add(p);
    }
    String badOptions = PluginLoader.checkOptions(cfg, all);
    if (badOptions != null) return Future.failedFuture(badOptions);
    for (ProtocolPlugin p : all) {
      if (!p.enabled(cfg)) continue;
      plugins.add(p);
      try {
        for (FrameSelector s : p.selectors(cfg)) routes.add(new Dispatcher.Route(s, p.name()));
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e.getMessage());
      }
    }
    Dispatcher dispatcher;
    try {
      dispatcher = new Dispatcher(routes);
    } catch (IllegalStateException e) {
      return Future.failedFuture(e.getMessage());
    }
    Future<Void> chain = Future.succeededFuture();
    for (ProtocolPlugin p : plugins) {
      chain = chain.compose(v -> vertx.deployVerticle(new HandlerVerticle(instance, p))
          .map(id -> { deployments.add(id); return null; }));
    }
    if (instance.splicer != null) {
      chain = chain.compose(v -> vertx.deployVerticle(
          new io.passt4j.impl.splice.PastaForwarder(instance))
          .map(id -> { deployments.add(id); return null; }));
    }
    if (afterBinding != null) {
      chain = chain.compose(v -> {
        try {
          afterBinding.run();
          return Future.succeededFuture();
        } catch (RuntimeException e) {
          return Future.failedFuture(e.getMessage());
        }
      });
    }
    endpoint = new EndpointVerticle(instance, dispatcher, finished);
    return chain.compose(v -> vertx.deployVerticle(endpoint)).map(id -> {
      deployments.add(id);
      endpointDeployment = id;
      if (cfg.countersInterval > 0) {
        String address = Passt4jEvents.countersAddress(instance.id);
        countersTimer = vertx.setPeriodic(cfg.countersInterval * 1000L,
            t -> vertx.eventBus().publish(address, counters()));
      }
      return null;
    });
  }

  /**
   * Completes when the instance is done (one-off client gone); fails when the guest's link broke
   * (the tap device went away).
   */
  public Future<Void> finished() {
    return finished.future();
  }

  /**
   * Stops taking frames from the guest (undeploys the endpoint: tap device or qemu socket) while
   * the protocol handlers still run. For an orderly end before {@code vertx.close()} or an
   * undeploy of this verticle, which undeploy its handlers and endpoint all at once: a frame
   * read meanwhile could find its handler gone (Vert.x then warns that it discarded it). Any
   * thread; a second call, or one before the start, does nothing.
   */
  public Future<Void> stopGuestLink() {
    String id = endpointDeployment;
    endpointDeployment = null;
    return id == null ? Future.succeededFuture() : vertx.undeploy(id);
  }

  /** The UNIX socket path the endpoint listens on, once started. */
  public String socketPath() {
    return endpoint == null ? null : endpoint.socketPath();
  }

  /**
   * The instance name, once started: the middle of the event-bus addresses of {@link
   * Passt4jEvents} ({@link PasstConfig#instanceName}, or a random one).
   */
  public String instanceName() {
    return instance == null ? null : instance.id;
  }

  /** The configuration in force. */
  public PasstConfig configuration() {
    return instance.config;
  }

  /** Counters of every component (endpoint and handlers), as JSON. */
  public JsonObject counters() {
    JsonObject o = new JsonObject();
    instance.counters.forEach((k, v) -> o.put(k, v.toJson()));
    return o;
  }

  /** The internal instance state, for the launcher and tests in this module. */
  public Instance instance() {
    return instance;
  }

  @Override
  public Future<?> stop() {
    if (countersTimer >= 0) vertx.cancelTimer(countersTimer);
    Future<Void> f = Future.succeededFuture();
    for (int i = deployments.size() - 1; i >= 0; i--) {
      String id = deployments.get(i);
      f = f.eventually(() -> vertx.undeploy(id));
    }
    if (instance != null && instance.splicer != null) f = f.eventually(() -> {
      instance.splicer.stop();
      return Future.succeededFuture();
    });
    return f;
  }
}
