package io.passt4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.passt4j.PasstConfig;
import io.passt4j.proto.udp.UdpPlugin;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.PluginOptions;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link PluginOptions}, their JSON form and the start-up check of {@link PluginLoader}. */
class PluginOptionsTest {

  static final class Knobs implements ProtocolPlugin {
    @Override public String name() { return "knobs"; }
    @Override public String description() { return "takes options"; }
    @Override public List<FrameSelector> selectors(PasstConfig c) { return List.of(); }
    @Override public Map<String, String> options() {
      return Map.of("port", "a port", "loud", "a switch");
    }
    @Override public ProtocolHandler createHandler() { throw new UnsupportedOperationException(); }
  }

  @Test
  void typedGettersTakeJsonValuesAndTheirTextAndNameTheOffendingValue() {
    PluginOptions o = new PluginOptions("knobs", new JsonObject()
        .put("port", "8080").put("n", 12).put("loud", "yes").put("quiet", false).put("x", "1.5"));
    assertThat(o.integer("port", 1, 1, 65535)).isEqualTo(8080);
    assertThat(o.integer("n", 1, 1, 100)).isEqualTo(12);
    assertThat(o.integer("absent", 7, 1, 100)).isEqualTo(7);
    assertThat(o.bool("loud", false)).isTrue();
    assertThat(o.bool("quiet", true)).isFalse();
    assertThat(o.string("port", null)).isEqualTo("8080");
    assertThat(o.keys()).containsExactly("loud", "n", "port", "quiet", "x");
    assertThatThrownBy(() -> o.integer("x", 1, 1, 10))
        .hasMessage("Invalid option knobs.x: not a whole number: 1.5");
    assertThatThrownBy(() -> o.integer("n", 1, 1, 10))
        .hasMessage("Invalid option knobs.n: out of range 1-10: 12");
    assertThatThrownBy(() -> o.bool("port", false))
        .hasMessage("Invalid option knobs.port: not a boolean: 8080");
  }

  @Test
  void optionsSurviveTheJsonRoundTripAndAreCopied() {
    PasstConfig c = new PasstConfig();
    c.pluginOptions.put("knobs", new JsonObject().put("port", 99));
    PasstConfig back = PasstConfig.fromJson(c.toJson());
    assertThat(back.pluginOptions("knobs").integer("port", 1, 1, 65535)).isEqualTo(99);
    c.pluginOptions.get("knobs").put("port", 100);
    assertThat(back.pluginOptions("knobs").integer("port", 1, 1, 65535)).isEqualTo(99);
    assertThat(back.pluginOptions("other").keys()).isEmpty();
    assertThatThrownBy(() -> PasstConfig.fromJson(
        new JsonObject().put("pluginOptions", new JsonObject().put("knobs", 3))))
        .hasMessage("pluginOptions.knobs: not an object: 3");
  }

  @Test
  void theStartRefusesOptionsNoPluginDeclares() {
    List<ProtocolPlugin> plugins = List.of(new Knobs(), new UdpPlugin());
    PasstConfig c = new PasstConfig();
    c.pluginOptions.put("knobs", new JsonObject().put("port", "1").put("loud", "no"));
    assertThat(PluginLoader.checkOptions(c, plugins)).isNull();
    c.pluginOptions.put("knobs", new JsonObject().put("colour", "red"));
    assertThat(PluginLoader.checkOptions(c, plugins))
        .isEqualTo("Invalid option knobs.colour: plugin knobs takes loud, port");
    c.pluginOptions.clear();
    c.pluginOptions.put("udp", new JsonObject().put("x", "1"));
    assertThat(PluginLoader.checkOptions(c, plugins))
        .isEqualTo("Invalid option udp.x: plugin udp takes no options");
    c.pluginOptions.clear();
    c.pluginOptions.put("nope", new JsonObject().put("x", "1"));
    assertThat(PluginLoader.checkOptions(c, plugins))
        .isEqualTo("Invalid option nope: no plugin named nope (see --list-plugins)");
  }
}
