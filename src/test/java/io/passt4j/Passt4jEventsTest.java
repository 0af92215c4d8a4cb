package io.passt4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.passt4j.testutil.TestConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What an embedding host sees: the instance name it chose, counters on the event bus, JSON config. */
@ExtendWith(VertxExtension.class)
class Passt4jEventsTest {

  Vertx vertx;

  @org.junit.jupiter.api.BeforeEach
  void vertx() {
    vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true)
        .setEventLoopPoolSize(1));
  }

  @org.junit.jupiter.api.AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void countersArePublishedUnderTheConfiguredInstanceName(VertxTestContext tc)
      throws Exception {
    Path dir = Files.createTempDirectory("passt4j-events");
    PasstConfig cfg = TestConfigs.sandbox();
    cfg.socketPath = dir.resolve("s").toString();
    cfg.instanceName = "vm-1";
    cfg.countersInterval = 1;
    assertThat(Passt4jEvents.countersAddress("vm-1")).isEqualTo("passt4j.vm-1.events.counters");
    assertThat(Passt4jEvents.flowAddress("vm-1")).isEqualTo("passt4j.vm-1.events.flow");
    vertx.eventBus().<JsonObject>consumer(Passt4jEvents.countersAddress("vm-1"), m -> tc.verify(() -> {
      assertThat(m.body().getJsonObject("endpoint")).isNotNull();
      assertThat(m.body().getJsonObject("udp").getLong("framesIn")).isZero();
      assertThat(m.body().getJsonObject("udp").getJsonObject("drops")).isNotNull();
      tc.completeNow();
    }));
    Passt4jVerticle v = new Passt4jVerticle(null, null);
    vertx.deployVerticle(v, new io.vertx.core.DeploymentOptions().setConfig(cfg.toJson()))
        .onComplete(tc.succeeding(id -> tc.verify(() -> assertThat(v.instanceName()).isEqualTo("vm-1"))));
  }

  @Test
  void instanceNameAndCountersIntervalSurviveJson() {
    PasstConfig c = new PasstConfig();
    assertThat(c.instanceName).isNull();
    assertThat(c.countersInterval).isEqualTo(10);
    c.instanceName = "a_b";
    c.countersInterval = 0;
    assertThat(c.flowEvents).isTrue();
    c.flowEvents = false;
    PasstConfig d = PasstConfig.fromJson(c.toJson());
    assertThat(d.instanceName).isEqualTo("a_b");
    assertThat(d.countersInterval).isZero();
    assertThat(d.flowEvents).isFalse();
    assertThat(d.toJson()).isEqualTo(c.toJson());
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void aBadInstanceNameFailsTheDeployment(VertxTestContext tc) {
    PasstConfig cfg = TestConfigs.sandbox();
    cfg.instanceName = "a.b";
    vertx.deployVerticle(new Passt4jVerticle(cfg, null)).onComplete(tc.failing(e -> tc.verify(() -> {
      assertThat(e.getMessage()).isEqualTo("instanceName: letters, digits, '-' and '_' only: a.b");
      tc.completeNow();
    })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void withoutANameARandomOneIsPicked(VertxTestContext tc) throws Exception {
    PasstConfig cfg = TestConfigs.sandbox();
    cfg.socketPath = Files.createTempDirectory("passt4j-events").resolve("s").toString();
    Passt4jVerticle v = new Passt4jVerticle(cfg, null);
    vertx.deployVerticle(v).onComplete(tc.succeeding(id -> tc.verify(() -> {
      assertThat(v.instanceName()).matches("[0-9a-f]{8}");
      tc.completeNow();
    })));
  }
}
