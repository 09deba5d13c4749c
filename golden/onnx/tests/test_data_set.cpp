// One split read from a folder of test_data_set_K folders (load_split): their
// samples in order, or a refusal naming the folder that does not fit.

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "golden/errors.hpp"
#include "golden/onnx/data_set.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;
namespace fs = std::filesystem;

namespace {

void write_set(const fs::path& folder, const Tensor& input, const std::optional<Tensor>& labels) {
  fs::create_directories(folder);
  write_tensor_file(folder / "input_0.pb", input, "x");
  if (labels) write_tensor_file(folder / "labels.pb", *labels, "labels");
}

}  // namespace

TEST_CASE("a folder of test_data_set folders is one split, their samples in order", "[data]") {
  const test::ScratchFolder dir("data_set_split");
  write_set(dir / "test_data_set_0", Tensor::from_reals(DType::Float, {2, 3}, {1, 2, 3, 4, 5, 6}),
            Tensor::from_ints(DType::Int64, {2}, {0, 1}));
  write_set(dir / "test_data_set_1", Tensor::from_reals(DType::Float, {1, 3}, {7, 8, 9}),
            Tensor::from_ints(DType::Int64, {1}, {2}));
  const DataSet ds = load_split(dir);
  REQUIRE(ds.inputs.size() == 1);
  CHECK(ds.inputs[0].tensor.shape() == Shape{3, 3});
  CHECK(ds.inputs[0].tensor.reals() == std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  REQUIRE(ds.labels);
  CHECK(ds.labels->ints() == std::vector<int64_t>{0, 1, 2});
  CHECK(ds.sample_count() == 3);
  // One folder reads as itself.
  CHECK(load_split(dir / "test_data_set_1").sample_count() == 1);
}

TEST_CASE("a split's folders of another sample shape or without labels are named", "[data]") {
  const test::ScratchFolder dir("data_set_mixed");
  write_set(dir / "test_data_set_0", Tensor::from_reals(DType::Float, {1, 3}, {1, 2, 3}),
            Tensor::from_ints(DType::Int64, {1}, {0}));
  write_set(dir / "test_data_set_1", Tensor::from_reals(DType::Float, {1, 2}, {1, 2}),
            Tensor::from_ints(DType::Int64, {1}, {0}));
  CHECK_THROWS_WITH(load_split(dir), Catch::Contains("test_data_set_1: input_0.pb is float32 [1,2], unlike"));
  fs::remove_all(dir / "test_data_set_1");
  write_set(dir / "test_data_set_1", Tensor::from_reals(DType::Float, {1, 3}, {1, 2, 3}), std::nullopt);
  CHECK_THROWS_WITH(load_split(dir), Catch::Contains("test_data_set_1: has no labels.pb, unlike"));
  // What the joined batch would hide is named in its own folder's file.
  fs::remove_all(dir / "test_data_set_1");
  write_set(dir / "test_data_set_1", Tensor::from_reals(DType::Float, {1, 3}, {1, NAN, 3}),
            Tensor::from_ints(DType::Int64, {1}, {0}));
  CHECK_THROWS_WITH(load_split(dir), Catch::Contains("test_data_set_1/input_0.pb: element 1 is nan"));
  fs::remove_all(dir / "test_data_set_0");
  write_set(dir / "test_data_set_0", Tensor::scalar_real(DType::Float, 1.0), std::nullopt);
  CHECK_THROWS_WITH(load_split(dir), Catch::Contains("test_data_set_0/input_0.pb: one unbatched sample"));
}

TEST_CASE("a joined split's messages name its first folder's file", "[data]") {
  const test::ScratchFolder dir("data_set_named");
  for (const char* k : {"0", "1"})
    write_set(dir / (std::string("test_data_set_") + k), Tensor::from_reals(DType::Float, {1, 2}, {1, 2}), std::nullopt);
  CHECK(load_split(dir).input_file(0) == dir / "test_data_set_0" / "input_0.pb");
}
