// JUnit XML for CI.

#include <catch2/catch.hpp>

#include "golden/file_output.hpp"
#include "sim/cli/junit_writer.hpp"

using namespace aps::sim;

TEST_CASE("junit escapes markup in names and failures", "[report]") {
  const std::string xml =
      junit_xml("suite <a>", {{"case \"1\"", "expected 1 & got <2>", 0.5, ""}, {"ok", "", 0, ""}});
  CHECK(xml.find("suite &lt;a&gt;") != std::string::npos);
  CHECK(xml.find("expected 1 &amp; got &lt;2&gt;") != std::string::npos);
  CHECK(xml.find("tests=\"2\" failures=\"1\"") != std::string::npos);
}

TEST_CASE("junit carries each case's time and a failing case's reproduce line", "[report]") {
  const std::string xml = junit_xml("s", {{"input 3", "mismatch", 1.25, "reproduce: aps-sim --first 3"}, {"input 4", "", 0.75, ""}});
  CHECK(xml.find("name=\"input 3\" time=\"1.250\"") != std::string::npos);
  CHECK(xml.find("name=\"input 4\" time=\"0.750\"/>") != std::string::npos);
  CHECK(xml.find("<system-out>reproduce: aps-sim --first 3</system-out>") != std::string::npos);
  CHECK(xml.find("time=\"2.000\"") != std::string::npos);  // the suite's total
}

TEST_CASE("junit writes names that are not UTF-8 and control characters as U+FFFD", "[report]") {
  const std::string xml = junit_xml("aps-sim mod\xE8le.onnx", {{"input\x01", "", 0, ""}});
  CHECK(aps::valid_utf8(xml) == xml);
  CHECK(xml.find("aps-sim mod\xEF\xBF\xBDle.onnx") != std::string::npos);
  CHECK(xml.find("name=\"input\xEF\xBF\xBD\"") != std::string::npos);
}
