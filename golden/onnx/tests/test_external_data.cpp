// External data: a model whose weights are in a file beside it loads and
// runs as the same model saved whole; every way the entries can point at the
// wrong bytes is refused, naming the model and the tensor.

#include <catch2/catch.hpp>

#include <fstream>

#include "golden/errors.hpp"
#include "golden/onnx/external_data.hpp"
#include "golden/onnx/interpreter.hpp"
#include "golden/onnx/onnx_model.hpp"
#include "golden/onnx/tensor_proto.hpp"
#include "golden/onnx/testing/graph_builder.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;
namespace fs = std::filesystem;

namespace {

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

// y = x + w, w = [1, 2, 3, 4].
test::GraphBuilder add_model() {
  test::GraphBuilder g(18);
  g.input("x", DType::Float, {1, 4});
  g.initializer("w", Tensor::from_reals(DType::Float, {4}, {1, 2, 3, 4}));
  g.node("Add", {"x", "w"}, {"y"}, "add_w");
  g.output("y");
  return g;
}

// Moves `tensor`'s values into `data_file` after `padding` bytes, as the
// exporters write them: location, offset, length.
void move_out(onnx::TensorProto& tensor, const fs::path& data_file, size_t padding, const std::string& location) {
  write_bytes(data_file, std::string(padding, 'p') + tensor.raw_data());
  auto entry = [&](const char* key, const std::string& value) {
    auto* e = tensor.add_external_data();
    e->set_key(key);
    e->set_value(value);
  };
  entry("location", location);
  entry("offset", std::to_string(padding));
  entry("length", std::to_string(tensor.raw_data().size()));
  entry("checksum", "not checked");
  tensor.clear_raw_data();
  tensor.set_data_location(onnx::TensorProto::EXTERNAL);
}

onnx::TensorProto& initializer_w(test::GraphBuilder& g) { return *g.proto().mutable_graph()->mutable_initializer(0); }

TensorMap run_file(const fs::path& model_file) {
  const OnnxModel m = OnnxModel::load(model_file);
  return Interpreter(m).run({{"x", Tensor::from_reals(DType::Float, {1, 4}, {10, 20, 30, 40})}});
}

}  // namespace

TEST_CASE("weights in a file beside the model load as if saved inside it", "[external_data]") {
  const test::ScratchFolder dir("external_data_beside");
  auto g = add_model();
  move_out(initializer_w(g), dir / "model.onnx.data", 64, "model.onnx.data");
  g.save(dir / "model.onnx");
  CHECK(run_file(dir / "model.onnx").at("y").reals() == std::vector<double>{11, 22, 33, 44});
  // In a subfolder, and with no length: the rest of the file.
  auto h = add_model();
  fs::create_directories(dir / "weights");
  move_out(initializer_w(h), dir / "weights" / "w.bin", 0, "weights/w.bin");
  auto& entries = *initializer_w(h).mutable_external_data();
  entries.erase(entries.begin() + 2);  // length
  h.save(dir / "sub.onnx");
  CHECK(run_file(dir / "sub.onnx").at("y").reals() == std::vector<double>{11, 22, 33, 44});
}

TEST_CASE("a Constant node's tensor can be stored outside too", "[external_data]") {
  const test::ScratchFolder dir("external_data_constant");
  test::GraphBuilder g(18);
  g.input("x", DType::Float, {1, 4});
  g.node("Constant", {}, {"w"}, "weights").attr("value", Tensor::from_reals(DType::Float, {4}, {1, 2, 3, 4}));
  g.node("Add", {"x", "w"}, {"y"}, "add_w");
  g.output("y");
  move_out(*g.proto().mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_t(), dir / "c.bin", 8, "c.bin");
  g.save(dir / "model.onnx");
  CHECK(run_file(dir / "model.onnx").at("y").reals() == std::vector<double>{11, 22, 33, 44});
}

TEST_CASE("external entries that point at the wrong bytes are refused by name", "[external_data]") {
  const test::ScratchFolder dir("external_data_bad");
  const auto refused = [&](const std::string& what, auto edit, const std::string& message) {
    INFO(what);
    auto g = add_model();
    move_out(initializer_w(g), dir / "w.bin", 4, "w.bin");
    edit(initializer_w(g));
    g.save(dir / "model.onnx");
    CHECK_THROWS_AS(OnnxModel::load(dir / "model.onnx"), InputError);
    CHECK_THROWS_WITH(OnnxModel::load(dir / "model.onnx"), Catch::Contains("model.onnx: initializer 'w': " + message));
  };
  const auto set = [](const char* key, std::string value) {
    return [key, value](onnx::TensorProto& t) {
      for (auto& e : *t.mutable_external_data())
        if (e.key() == key) e.set_value(value);
    };
  };
  refused("missing file", set("location", "gone.bin"), "external data file 'gone.bin' not found");
  refused("outside the folder", set("location", "../w.bin"), "external data location '../w.bin' leaves the model's folder");
  refused("absolute", set("location", (dir / "w.bin").string()),
          "external data location '" + (dir / "w.bin").string() + "' is an absolute path");
  refused("empty location", set("location", ""), "external data with an empty location");
  refused("offset past the end", set("offset", "100"), "external data offset 100 is past the end of");
  refused("length past the end", set("length", "17"), "external data offset 4 + length 17 is past the end of");
  refused("length short of the shape", set("length", "12"), "raw_data has 12 bytes, a float32 tensor of shape [4] needs 16");
  refused("not a number", set("offset", "-4"), "external data offset '-4' is not a whole number of bytes");
  refused("no location", [](onnx::TensorProto& t) { t.mutable_external_data()->erase(t.external_data().begin()); },
          "stored in an external file, but no location names it");
  refused("values inside as well", [](onnx::TensorProto& t) { t.set_raw_data(std::string(16, '\0')); },
          "values both in raw_data and in an external file");
  refused("entries without EXTERNAL", [](onnx::TensorProto& t) { t.set_data_location(onnx::TensorProto::DEFAULT); },
          "external_data entries, but data_location is not EXTERNAL");
}

TEST_CASE("a link in the model's folder is followed only to a file inside it, or beside the file the model "
          "resolves to",
          "[external_data]") {
  const test::ScratchFolder dir("external_data_links");
  fs::create_directories(dir / "secret");
  fs::create_directories(dir / "model");
  const auto model_with = [&](const fs::path& model_file, const std::string& location) {
    auto g = add_model();
    move_out(initializer_w(g), dir / "secret" / "w.bin", 0, location);
    g.save(model_file);
  };
  SECTION("a data file linked outside") {
    model_with(dir / "model" / "m.onnx", "w.bin");
    fs::create_symlink("../secret/w.bin", dir / "model" / "w.bin");
    CHECK_THROWS_WITH(OnnxModel::load(dir / "model" / "m.onnx"),
                      Catch::Contains("initializer 'w': external data location 'w.bin' is a link to") &&
                          Catch::Contains("outside the model's folder"));
  }
  SECTION("a folder linked outside") {
    model_with(dir / "model" / "m.onnx", "data/w.bin");
    fs::create_directory_symlink("../secret", dir / "model" / "data");
    CHECK_THROWS_WITH(OnnxModel::load(dir / "model" / "m.onnx"), Catch::Contains("outside the model's folder"));
  }
  SECTION("a link to a file inside the folder") {
    fs::create_directories(dir / "model" / "store");
    model_with(dir / "model" / "m.onnx", "w.bin");
    fs::rename(dir / "secret" / "w.bin", dir / "model" / "store" / "w.bin");
    fs::create_symlink("store/w.bin", dir / "model" / "w.bin");
    CHECK(run_file(dir / "model" / "m.onnx").at("y").reals() == std::vector<double>{11, 22, 33, 44});
  }
  SECTION("the Hugging Face cache: the model and its data both links into one store") {
    fs::create_directories(dir / "snapshots" / "rev");
    fs::create_directories(dir / "blobs");
    model_with(dir / "blobs" / "model_hash", "model.onnx.data");
    fs::rename(dir / "secret" / "w.bin", dir / "blobs" / "data_hash");
    fs::create_symlink("../../blobs/model_hash", dir / "snapshots" / "rev" / "model.onnx");
    fs::create_symlink("../../blobs/data_hash", dir / "snapshots" / "rev" / "model.onnx.data");
    CHECK(run_file(dir / "snapshots" / "rev" / "model.onnx").at("y").reals() == std::vector<double>{11, 22, 33, 44});
  }
}

TEST_CASE("external data counts against the size APS accepts", "[external_data]") {
  const test::ScratchFolder dir("external_data_budget");
  auto g = add_model();
  move_out(initializer_w(g), dir / "w.bin", 0, "w.bin");
  uint64_t budget = 15;
  CHECK_THROWS_WITH(load_external_data(initializer_w(g), dir / "m.onnx", "m.onnx: initializer 'w'", budget),
                    Catch::Contains("external data of 16 bytes is more than the 15 bytes APS still accepts"));
  budget = 20;
  load_external_data(initializer_w(g), dir / "m.onnx", "m.onnx: initializer 'w'", budget);
  CHECK(budget == 4);
  CHECK(initializer_w(g).raw_data().size() == 16);
  CHECK(initializer_w(g).external_data_size() == 0);
}

TEST_CASE("a tensor file reads its external values from its own folder", "[external_data]") {
  const test::ScratchFolder dir("external_data_tensor_file");
  onnx::TensorProto t = tensor_to_proto(Tensor::from_reals(DType::Float, {1, 4}, {10, 20, 30, 40}), "x");
  move_out(t, dir / "input_0.data", 0, "input_0.data");
  write_bytes(dir / "input_0.pb", t.SerializeAsString());
  CHECK(read_tensor_file(dir / "input_0.pb").tensor.reals() == std::vector<double>{10, 20, 30, 40});
  fs::remove(dir / "input_0.data");
  CHECK_THROWS_WITH(read_tensor_file(dir / "input_0.pb"), Catch::Contains("input_0.pb: external data file"));
}
