package io.passt4j.examples.embedded;

import io.passt4j.Passt4jEvents;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The application's own verticle: consumes passt4j's flow events and periodic counters and
 * writes each as one JSON line, {@code {"address": ..., "body": {...}}}, to standard output or
 * to a file.
 */
public final class EventLog extends VerticleBase {

  private final String instance;
  private final Path file;
  private MessageConsumer<JsonObject> flows;
  private MessageConsumer<JsonObject> counters;

  /** @param file where the lines go, or null for standard output */
  public EventLog(String instance, Path file) {
    this.instance = instance;
    this.file = file;
  }

  @Override
  public Future<?> start() {
    flows = vertx.eventBus().consumer(Passt4jEvents.flowAddress(instance),
        m -> write(Passt4jEvents.flowAddress(instance), m.body()));
    counters = vertx.eventBus().consumer(Passt4jEvents.countersAddress(instance),
        m -> write(Passt4jEvents.countersAddress(instance), m.body()));
    return Future.all(flows.completion(), counters.completion());
  }

  private void write(String address, JsonObject body) {
    String line = new JsonObject().put("address", address).put("body", body).encode() + "\n";
    if (file == null) {
      System.out.print(line);
      return;
    }
    try {
      // A small example: synchronous appends; a real host would batch or use the file system API.
      Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
