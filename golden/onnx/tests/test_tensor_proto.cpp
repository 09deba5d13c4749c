// TensorProto decoding: raw_data and typed fields, and the checks that keep
// corrupt or hostile files from allocating or reading out of bounds.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "golden/errors.hpp"
#include "golden/onnx/tensor_proto.hpp"
#include "golden/onnx/testing/scratch_folder.hpp"

using namespace aps;

TEST_CASE("tensors survive a round trip through raw_data", "[tensor_proto]") {
  const Tensor f = Tensor::from_reals(DType::Float, {2, 2}, {1.5, -2.25, 0.1, 1e30});
  const Tensor back = tensor_from_proto(tensor_to_proto(f, "f"), "test");
  CHECK(back.shape() == f.shape());
  CHECK(back.reals() == f.reals());
  for (DType t : {DType::UInt8, DType::Int8, DType::Int32, DType::Int64, DType::Int16, DType::UInt16}) {
    const Tensor i = Tensor::from_ints(t, {3}, {dtype_min(t), 0, dtype_max(t)});
    CHECK(tensor_from_proto(tensor_to_proto(i, "i"), "test").ints() == i.ints());
  }
}

TEST_CASE("typed fields are read when raw_data is absent", "[tensor_proto]") {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT8);
  p.add_dims(3);
  for (int v : {-128, 0, 127}) p.add_int32_data(v);
  CHECK(tensor_from_proto(p, "t").ints() == std::vector<int64_t>{-128, 0, 127});
  p.set_int32_data(0, -129);
  CHECK_THROWS_WITH(tensor_from_proto(p, "t"), Catch::Contains("out of range for int8"));
}

TEST_CASE("byte and element counts must match the shape", "[tensor_proto]") {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(4);
  p.set_raw_data(std::string(12, '\0'));
  CHECK_THROWS_WITH(tensor_from_proto(p, "weights.pb"), Catch::Contains("weights.pb: raw_data has 12 bytes") &&
                                                            Catch::Contains("needs 16"));
  p.clear_raw_data();
  p.add_float_data(1.0f);
  CHECK_THROWS_WITH(tensor_from_proto(p, "t"), Catch::Contains("float_data holds 1 values, the shape needs 4"));
}

TEST_CASE("values in both raw_data and a typed field are refused, not read from one of them", "[tensor_proto]") {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(1);
  const float one = 1.0f;
  p.set_raw_data(std::string(reinterpret_cast<const char*>(&one), sizeof one));
  CHECK(tensor_from_proto(p, "t").value(0) == 1.0);
  p.add_float_data(2.0f);
  CHECK_THROWS_WITH(tensor_from_proto(p, "input_0.pb"),
                    Catch::Contains("input_0.pb: values in both raw_data and float_data"));
  p.clear_float_data();
  p.add_int64_data(2);  // a field of another type than the tensor's
  CHECK_THROWS_WITH(tensor_from_proto(p, "t"), Catch::Contains("values in both raw_data and int64_data"));
}

TEST_CASE("a tensor claiming 2^40 elements is refused before anything is allocated", "[tensor_proto]") {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(int64_t{1} << 20);
  p.add_dims(int64_t{1} << 20);
  CHECK_THROWS_WITH(tensor_from_proto(p, "huge.pb"), Catch::Contains("huge.pb: shape [1048576,1048576] has more than"));
  onnx::TensorProto q;
  q.set_data_type(onnx::TensorProto::FLOAT);
  q.add_dims(-3);
  CHECK_THROWS_WITH(tensor_from_proto(q, "neg.pb"), Catch::Contains("negative dimension"));
}

TEST_CASE("external data and unsupported element types are refused with a reason", "[tensor_proto]") {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(1);
  p.set_data_location(onnx::TensorProto::EXTERNAL);
  CHECK_THROWS_WITH(tensor_from_proto(p, "m.onnx"), Catch::Contains("m.onnx: tensor data stored in an external file that was not read"));
  onnx::TensorProto s;
  s.set_data_type(onnx::TensorProto::STRING);
  CHECK_THROWS_WITH(tensor_from_proto(s, "m.onnx"), Catch::Contains("element type string (8) is not supported"));
  s.set_data_type(22);  // INT4 (IR 10)
  CHECK_THROWS_WITH(tensor_from_proto(s, "m.onnx"), Catch::Contains("element type int4 (22) is not supported"));
  s.set_data_type(99);
  CHECK_THROWS_WITH(tensor_from_proto(s, "m.onnx"), Catch::Contains("element type 99 is not supported"));
  const onnx::TensorProto untyped;  // what an empty file parses to
  CHECK_THROWS_WITH(tensor_from_proto(untyped, "x.pb"), Catch::Contains("x.pb: no element type (data_type 0"));
}

TEST_CASE("tensor files: missing, truncated and random bytes give InputError naming the file", "[tensor_proto]") {
  const test::ScratchFolder scratch("tensor_files");
  const auto dir = scratch / "aps_test_tensor_proto";
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH(read_tensor_file(dir / "missing.pb"), Catch::Contains("missing.pb: no such file"));
  CHECK_THROWS_WITH(read_tensor_file(dir), Catch::Contains("aps_test_tensor_proto: is a folder, not a file"));
  const Tensor t = Tensor::from_reals(DType::Float, {64}, std::vector<double>(64, 0.25));
  write_tensor_file(dir / "full.pb", t, "x");
  CHECK(read_tensor_file(dir / "full.pb").tensor.reals() == t.reals());
  std::string bytes;
  {
    std::ifstream in(dir / "full.pb", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    std::ofstream out(dir / "truncated.pb", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  CHECK_THROWS_AS(read_tensor_file(dir / "truncated.pb"), InputError);
  CHECK_THROWS_WITH(read_tensor_file(dir / "truncated.pb"), Catch::Contains("truncated.pb"));
  {
    std::ofstream out(dir / "random.pb", std::ios::binary);
    uint32_t x = 12345;
    for (int i = 0; i < 4096; ++i) {
      x = x * 1664525u + 1013904223u;
      out.put(static_cast<char>(x >> 24));
    }
  }
  CHECK_THROWS_WITH(read_tensor_file(dir / "random.pb"), Catch::Contains("random.pb"));
  std::ofstream(dir / "empty.pb", std::ios::binary).close();
  CHECK_THROWS_WITH(read_tensor_file(dir / "empty.pb"), Catch::Contains("empty.pb: empty file"));
}
