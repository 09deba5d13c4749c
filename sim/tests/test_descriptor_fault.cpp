// Descriptor faults are planned on steps where their check is the first to
// fail: the field they break, and a step of the right kind.

#include <catch2/catch.hpp>

#include "sim/descriptor_fault.hpp"
#include "sim/tests/harness_fixture.hpp"

using namespace aps;
using namespace aps::sim;
using namespace aps::sim::test;

TEST_CASE("each descriptor fault breaks one field of a step it applies to", "[fault]") {
  const Model m("digits_cnn");
  AcceleratorSession s(m.program, behavioural(m.program));
  const ProgramImage& image = s.image();
  std::mt19937_64 rng(3);
  for (hw::Error code : descriptor_fault_codes()) {
    INFO("error code " << static_cast<uint32_t>(code));
    const auto f = plan_descriptor_fault(image, s.limits(), code, rng);
    if (code == hw::Error::kScan) {  // a static program has no scan step
      CHECK_FALSE(f);
      continue;
    }
    REQUIRE(f);
    CHECK(f->code == code);
    if (code == hw::Error::kLayers) {
      CHECK(f->num_layers == static_cast<uint32_t>(s.limits().max_layers + 1));
      continue;
    }
    REQUIRE_FALSE(f->words.empty());
    const Descriptor& d = image.descriptors.at(static_cast<size_t>(f->step));
    const hw::DescMode mode = hw::DescMode::unpack(d[hw::kDescMode]);
    bool changes = false;
    for (const auto& [word, value] : f->words) changes = changes || d.at(word) != value;
    CHECK(changes);
    if (code == hw::Error::kBadConfig || code == hw::Error::kWgtRange || code == hw::Error::kPrmRange)
      CHECK(mode.kind == hw::LayerKind::kConv);
    if (code == hw::Error::kPrmRange) CHECK(mode.depthwise == 0);
  }
}
