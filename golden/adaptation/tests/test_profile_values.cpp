// A profile whose tables were edited (by hand or by a broken tool) is refused
// by name, the file, layer and field, not run: a negative threshold would
// wrap to 2^64, a fractional one truncate, a width outside 2..8 reach the PCU.

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "golden/adaptation/calibrator.hpp"
#include "golden/errors.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;
namespace fs = std::filesystem;

namespace {

const fs::path kModels = fs::path(APS_SOURCE_DIR) / "models";

// A copy of `profile` with its JSON body changed by `edit`, beside it.
fs::path edited(const fs::path& profile, const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
  onnx::ModelProto m;
  std::ifstream in(profile, std::ios::binary);
  REQUIRE(m.ParseFromIstream(&in));
  for (auto& e : *m.mutable_metadata_props()) {
    if (e.key() != "aps.profile") continue;
    nlohmann::json j = nlohmann::json::parse(e.value());
    edit(j);
    e.set_value(j.dump());
  }
  const fs::path out =
      profile.parent_path() / fmt::format("aps_test_values_{}.profile.onnx", name);
  std::ofstream f(out, std::ios::binary);
  REQUIRE(m.SerializeToOstream(&f));
  return out;
}

}  // namespace

TEST_CASE("a profile's values outside what they can mean are refused, naming the file, layer and field", "[profile]") {
  const test::ScratchFolder scratch("profile_values");
  const OnnxModel mlp = OnnxModel::load(kModels / "digits_mlp/model_int8.onnx");
  const DataSet cal = load_data_set(kModels / "digits_mlp/calibration");
  const fs::path file = scratch / "aps_test_values.profile.onnx";
  save_profile(calibrate(mlp, {cal.inputs[0].tensor, cal.labels->ints()}, {}), file);
  REQUIRE_NOTHROW(load_profile(file, mlp));
  const std::vector<std::tuple<std::string, std::function<void(nlohmann::json&)>, std::string>> cases{
      {"negative_threshold", [](auto& j) { j["layers"][0]["threshold"] = -5; }, "layer 'fc1': threshold is -5"},
      {"fractional_threshold", [](auto& j) { j["layers"][0]["threshold"] = 1.5e30; }, "layer 'fc1': threshold is 1.5e+30"},
      {"negative_alpha", [](auto& j) { j["layers"][1]["alpha_jit"][0] = -1; }, "layer 'fc2': alpha_jit is -1"},
      {"static_width", [](auto& j) { j["layers"][0]["static_bits"] = 99; }, "static_bits is 99, not an integer in 2..8"},
      {"negative_macs", [](auto& j) { j["layers"][2]["macs"] = -4096; }, "layer 'fc3': macs is -4096"},
      {"group", [](auto& j) { j["layers"][0]["group"] = 7; }, "layer 'fc1' is in group 7, outside 0..2"},
      {"sensitivities", [](auto& j) { j["layers"][0]["sensitivity"] = {1.0, 2.0}; }, "layer 'fc1' has 2 sensitivities"},
      {"candidates", [](auto& j) { j["candidates"] = {6, 4, 3}; }, "candidate widths 6,4,3 do not ascend within 2..7"},
      {"cascade_width", [](auto& j) { j["cascade"]["first_bits"][0] = 9; }, "a cascade's first map has width 9"},
      {"front_length", [](auto& j) { j["static_front"][0]["bits"] = {8}; }, "a static-front map has 1 widths for 3 layers"},
      {"range", [](auto& j) { j["ranges"]["x"] = {5.0, -5.0}; }, "the activation range of 'x' is [5, -5]"}};
  for (const auto& [name, edit, message] : cases) {
    INFO(name);
    const fs::path bad = edited(file, name, edit);
    CHECK_THROWS_WITH(load_profile(bad, mlp), Catch::Contains(bad.string() + ": ") && Catch::Contains(message));
  }
}
