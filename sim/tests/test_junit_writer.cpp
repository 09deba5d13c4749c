// JUnit XML for CI.

#include <catch2/catch.hpp>

#include "sim/cli/junit_writer.hpp"

using namespace aps::sim;

TEST_CASE("junit escapes markup in names and failures", "[report]") {
  const std::string xml = junit_xml("suite <a>", {{"case \"1\"", "expected 1 & got <2>", 0.5}, {"ok", "", 0}});
  CHECK(xml.find("suite &lt;a&gt;") != std::string::npos);
  CHECK(xml.find("expected 1 &amp; got &lt;2&gt;") != std::string::npos);
  CHECK(xml.find("tests=\"2\" failures=\"1\"") != std::string::npos);
}
