package io.passt4j.cli;

import io.passt4j.PasstConfig;
import io.passt4j.packet.IpProtocol;
import io.passt4j.spi.FrameSelector;
import io.passt4j.spi.ProtocolHandler;
import io.passt4j.spi.ProtocolPlugin;
import java.util.List;
import java.util.Map;

/** A plugin listed only by a jar in a plugin directory ({@link PluginDirectoryTest}). */
public final class DirTestPlugin implements ProtocolPlugin {

  @Override public String name() { return "dirtest"; }
  @Override public String description() { return "found in --plugin-dir"; }
  @Override public List<FrameSelector> selectors(PasstConfig c) {
    return List.of(FrameSelector.port(4, IpProtocol.UDP,
        c.pluginOptions(name()).integer("port", 9, 1, 65535)));
  }
  @Override public Map<String, String> options() {
    return Map.of("port", "UDP port taken, default 9");
  }
  @Override public ProtocolHandler createHandler() { throw new UnsupportedOperationException(); }
}
