package io.passt4j.testutil;

import io.passt4j.PasstConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Configurations matching the sandbox the golden captures and VM tests use. */
public final class TestConfigs {

  private TestConfigs() {}

  /**
   * The sandbox uplink: 198.51.100.2/24 via 198.51.100.1, 2001:db8::2/64 via 2001:db8::1,
   * host MAC 02:00:00:00:00:02, resolvers 198.51.100.53 and 2001:db8::53, search list
   * example.org test.example.
   */
  public static PasstConfig sandbox() {
    return PasstConfig.fromJson(new JsonObject()
        .put("ourMac", "02:00:00:00:00:02")
        .put("ifname4", "eth0").put("ifname6", "eth0")
        .put("addr4", "198.51.100.2").put("prefixLen4", 24).put("gateway4", "198.51.100.1")
        .put("dns4", new JsonArray().add("198.51.100.53"))
        .put("addr6", "2001:db8::2").put("prefixLen6", 64).put("gateway6", "2001:db8::1")
        .put("addrLinkLocal6", "fe80::ff:fe00:2")
        .put("dns6", new JsonArray().add("2001:db8::53"))
        .put("searchDomains", new JsonArray().add("example.org").add("test.example")));
  }
}
