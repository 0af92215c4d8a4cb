package io.passt4j.examples.embedded;

import io.passt4j.Passt4jVerticle;
import io.passt4j.PasstConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A Vert.x application that runs passt4j as one of its verticles: the network configuration
 * comes from a JSON file (an embedding host owns its configuration; {@link PasstConfig#toJson()}
 * shows every field), and a verticle of the application's own, {@link EventLog}, watches what
 * passt4j publishes on the event bus.
 *
 * <pre>
 *   java -cp passt4j-all.jar:passt4j-example-embedded.jar io.passt4j.examples.embedded.EmbeddedHost \
 *       --config config/sandbox.json [--events FILE] [-s SOCKET]
 * </pre>
 *
 * With {@code "oneOff": true} in the configuration the application ends when the guest goes
 * away: passt4j is undeployed first, so its handlers report their flows closed.
 */
public final class EmbeddedHost {

  private EmbeddedHost() {}

  public static void main(String[] args) throws Exception {
    Path config = null;
    Path events = null;
    String socket = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--config" -> config = Path.of(args[++i]);
        case "--events" -> events = Path.of(args[++i]);
        case "-s", "--socket" -> socket = args[++i];
        default -> {
          System.err.println("usage: EmbeddedHost --config FILE [--events FILE] [-s SOCKET]");
          System.exit(1);
        }
      }
    }
    if (config == null) {
      System.err.println("EmbeddedHost: --config FILE is required");
      System.exit(1);
    }
    PasstConfig cfg = PasstConfig.fromJson(new JsonObject(Files.readString(config)));
    if (socket != null) cfg.socketPath = socket;

    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Passt4jVerticle passt = new Passt4jVerticle(cfg, null);
    String passtId = vertx.deployVerticle(passt).await(30, TimeUnit.SECONDS);
    System.err.println("passt4j instance " + passt.instanceName() + " listening on "
        + passt.socketPath());
    vertx.deployVerticle(new EventLog(passt.instanceName(), events)).await(10, TimeUnit.SECONDS);

    passt.finished().await();
    System.err.println("guest gone: undeploying passt4j");
    vertx.undeploy(passtId).await(10, TimeUnit.SECONDS);
    Thread.sleep(200); // let the last events reach the log
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(0);
  }
}
