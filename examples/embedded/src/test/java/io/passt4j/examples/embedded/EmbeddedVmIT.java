package io.passt4j.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The embedding example against a real guest: {@link EmbeddedHost} is the daemon of a qemu guest
 * in the sandbox namespace (scripts/vm/vm-demo.sh), and what its own verticle received from
 * passt4j's event-bus API is checked: flows opened and closed, and counters of frames, bytes and
 * drops per handler.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmbeddedVmIT {

  static final Path ROOT =
      Path.of(System.getProperty("passt4j.root", "../..")).toAbsolutePath().normalize();
  static final String FLOW = "passt4j.demo.events.flow";
  static final String COUNTERS = "passt4j.demo.events.counters";

  String output;
  int exit;
  List<JsonObject> events;

  @BeforeAll
  void boot() throws Exception {
    Path dir = Files.createTempDirectory("passt4j-embedded");
    dir.toFile().setWritable(true, false);
    Path eventsFile = dir.resolve("events.jsonl");
    String classpath = ROOT.resolve("src/target/passt4j-all.jar") + ":" + System.getProperty("example.jar");
    String daemon = "java -cp " + classpath + " io.passt4j.examples.embedded.EmbeddedHost"
        + " --config " + ROOT.resolve("examples/embedded/config/sandbox.json")
        + " --events " + eventsFile;
    Path log = Files.createTempFile("passt4j-embedded-vm", ".log");
    ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("scripts/vm/vm-demo.sh").toString(),
        "--timeout", "180");
    pb.environment().put("DAEMON", daemon);
    // The configuration's link-local router address is not a real one: no ping to it.
    pb.environment().put("GUEST_APPEND", "SKIP=ping6");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("vm-demo.sh did not finish:\n" + Files.readString(log));
    }
    exit = p.exitValue();
    output = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(output);
    // The application exits after the guest: give it a moment to write its last lines.
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Files.exists(eventsFile) && System.nanoTime() < end) Thread.sleep(100);
    events = Files.exists(eventsFile)
        ? Files.readAllLines(eventsFile).stream().map(JsonObject::new).toList() : List.of();
  }

  List<JsonObject> flows(String event) {
    return events.stream().filter(e -> e.getString("address").equals(FLOW))
        .map(e -> e.getJsonObject("body")).filter(b -> b.getString("event").equals(event)).toList();
  }

  @Test
  void theGuestWorksThroughTheEmbeddedInstance() {
    for (String c : List.of("dhcp4", "slaac", "ping4_gw", "udp4_echo", "udp6_echo", "udp_fwd4",
        "udp_fwd6", "tcp4_echo", "tcp6_echo")) {
      assertThat(output).as("check %s", c).containsPattern("(?m)^CHECK " + c + " PASS");
    }
    assertThat(exit).as(output).isZero();
  }

  @Test
  void flowsOpenedByTheGuestAndByForwardingArePublished() {
    List<JsonObject> opened = flows("opened");
    assertThat(opened).as("events:%n%s", events).anySatisfy(f -> {
      assertThat(f.getString("handler")).isEqualTo("udp");
      assertThat(f.getString("reason")).isEqualTo("guest");
      assertThat(f.getJsonObject("remote").getString("address")).isEqualTo("198.51.100.1");
      assertThat(f.getJsonObject("remote").getInteger("port")).isEqualTo(10007);
      assertThat(f.getJsonObject("guest").getString("address")).isEqualTo("198.51.100.2");
    });
    assertThat(opened).anySatisfy(f -> {
      assertThat(f.getString("handler")).isEqualTo("udp");
      assertThat(f.getJsonObject("remote").getString("address")).isEqualTo("2001:db8:0:0:0:0:0:1");
    });
    assertThat(opened).anySatisfy(f -> {
      assertThat(f.getString("reason")).isEqualTo("forwarded");
      assertThat(f.getJsonObject("guest").getInteger("port")).isEqualTo(7000);
    });
    assertThat(opened).anySatisfy(f -> assertThat(f.getString("handler")).isEqualTo("icmp"));
    assertThat(opened).anySatisfy(f -> {
      assertThat(f.getString("protocol")).isEqualTo("tcp");
      assertThat(f.getString("reason")).isEqualTo("guest");
      assertThat(f.getJsonObject("remote").getString("address")).isEqualTo("198.51.100.1");
      assertThat(f.getJsonObject("remote").getInteger("port")).isEqualTo(10007);
      assertThat(f.getJsonObject("host").getString("address")).isEqualTo("127.0.0.1");
    });
  }

  @Test
  void tcpConnectionsThatEndAreReportedClosed() {
    // The guest's echo connections end (FIN both ways) long before the instance stops.
    assertThat(flows("closed")).as("events:%n%s", events).anySatisfy(f -> {
      assertThat(f.getString("protocol")).isEqualTo("tcp");
      assertThat(f.getJsonObject("remote").getInteger("port")).isEqualTo(10007);
    });
  }

  @Test
  void flowsAreClosedWhenTheInstanceStops() {
    assertThat(flows("closed")).as("events:%n%s", events)
        .anySatisfy(f -> assertThat(f.getString("handler")).isEqualTo("udp"));
  }

  @Test
  void countersOfFramesBytesAndDropsPerHandlerArePublished() {
    List<JsonObject> counters = events.stream().filter(e -> e.getString("address").equals(COUNTERS))
        .map(e -> e.getJsonObject("body")).toList();
    assertThat(counters).as("counter messages").isNotEmpty();
    JsonObject last = counters.get(counters.size() - 1);
    assertThat(last.getJsonObject("dhcp").getLong("framesIn")).isGreaterThanOrEqualTo(2);
    assertThat(last.getJsonObject("dhcp").getLong("framesOut")).isGreaterThanOrEqualTo(2);
    assertThat(last.getJsonObject("udp").getLong("bytesIn")).isPositive();
    assertThat(last.getJsonObject("endpoint").getLong("framesIn"))
        .isGreaterThanOrEqualTo(last.getJsonObject("udp").getLong("framesIn"));
    assertThat(last.getJsonObject("endpoint").getJsonObject("drops")).isNotNull();
  }
}
