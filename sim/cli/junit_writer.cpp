#include "sim/cli/junit_writer.hpp"

#include <fmt/format.h>

#include "golden/file_output.hpp"

namespace aps::sim {
namespace {

// XML text: markup characters as entities, bytes that are not UTF-8 as
// U+FFFD, and control characters XML 1.0 does not allow as U+FFFD too.
std::string escape(const std::string& text) {
  std::string out;
  for (char c : valid_utf8(text)) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out += "\xEF\xBF\xBD";
      continue;
    }
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string junit_xml(const std::string& suite, const std::vector<JUnitCase>& cases) {
  int failures = 0;
  double total = 0;
  for (const auto& c : cases) {
    failures += !c.failure.empty();
    total += c.seconds;
  }
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format("<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n", escape(suite),
                     cases.size(), failures, total);
  for (const auto& c : cases) {
    xml += fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"", escape(suite), escape(c.name), c.seconds);
    if (c.failure.empty() && c.output.empty()) {
      xml += "/>\n";
      continue;
    }
    xml += ">\n";
    if (!c.failure.empty()) xml += fmt::format("    <failure message=\"{}\"/>\n", escape(c.failure));
    if (!c.output.empty()) xml += fmt::format("    <system-out>{}</system-out>\n", escape(c.output));
    xml += "  </testcase>\n";
  }
  xml += "</testsuite>\n";
  return xml;
}

}  // namespace aps::sim
