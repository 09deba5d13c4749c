#include "golden/adaptation/calibration_profile.hpp"

#include "golden/file_output.hpp"

#include <cmath>
#include <concepts>
#include <cstdint>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tuple>

#include "golden/errors.hpp"
#include "golden/numerics/precision_reduction.hpp"
#include "golden/onnx/tensor_proto.hpp"

namespace aps {
namespace {

constexpr const char* kProfileKey = "aps.profile";
constexpr const char* kHashKey = "aps.model_hash";
constexpr const char* kFormatKey = "aps.profile_format";
constexpr int kFormatVersion = 6;
// Format 7: a profile calibrated with midpoint weights. A build that knows
// format 6 only must not load it as rounding half up.
constexpr int kMidpointFormatVersion = 7;
// Format 5 profiles (before bias correction) load with no corrections: their
// choices were made on the uncorrected program.
constexpr int kUncorrectedFormatVersion = 5;

class Fnv1a {
 public:
  void bytes(const std::string& s) {
    for (unsigned char c : s) {
      h_ ^= c;
      h_ *= 0x100000001b3ULL;
    }
  }
  uint64_t digest() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

std::string initializer_name(size_t layer, const char* table) { return fmt::format("aps.profile.{}.{}", layer, table); }

void add_array(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& v) {
  *g.add_initializer() = tensor_to_proto(Tensor::from_ints(DType::Int64, {static_cast<int64_t>(v.size())}, v), name);
}

// 32-bit tables are stored widened, as int64 like the rest.
template <std::integral Int>
  requires(sizeof(Int) == 4)
void add_array(onnx::GraphProto& g, const std::string& name, const std::vector<Int>& v) {
  *g.add_initializer() =
      tensor_to_proto(Tensor::from_ints(DType::Int64, {static_cast<int64_t>(v.size())}, {v.begin(), v.end()}), name);
}

nlohmann::json cascade_json(const CascadeChoice& c) {
  return {{"first_bits", c.first_bits},
          {"fallback_bits", c.fallback_bits},
          {"gate", {{"margin_weight", c.gate.margin_weight}, {"third_weight", c.gate.third_weight},
                    {"threshold", c.gate.threshold}}}};
}

CascadeChoice cascade_from_json(const nlohmann::json& j) {
  const auto& g = j.at("gate");
  return {j.at("first_bits").get<std::vector<int>>(), j.at("fallback_bits").get<std::vector<int>>(),
          CascadeGate{g.at("margin_weight"), g.at("third_weight"), g.at("threshold")}};
}

// The integer `j` holds, refused unless it is one within [lo, hi]: JSON's
// -5 or 1.5e30 must not wrap or truncate into a threshold or a width.
int64_t integer_in(const nlohmann::json& j, int64_t lo, int64_t hi, const std::string& what) {
  if (!j.is_number_integer() || (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) ||
      j.get<int64_t>() < lo || j.get<int64_t>() > hi)
    throw InputError(fmt::format("{} is {}, not an integer in {}..{}", what, j.dump(), lo, hi));
  return j.get<int64_t>();
}

std::vector<int64_t> integers_in(const nlohmann::json& j, int64_t lo, int64_t hi, const std::string& what) {
  if (!j.is_array()) throw InputError(fmt::format("{} is {}, not a list", what, j.dump()));
  std::vector<int64_t> v;
  for (const auto& e : j) v.push_back(integer_in(e, lo, hi, what));
  return v;
}

// Widths the profile gives per main layer (a cascade's maps, the static front's).
void check_widths(const std::vector<int>& bits, size_t layers, const std::string& what) {
  if (bits.size() != layers)
    throw InputError(fmt::format("{} has {} widths for {} layers", what, bits.size(), layers));
  for (int b : bits)
    if (b < kMinBits || b > kMaxBits) throw InputError(fmt::format("{} has width {}, outside {}..{}", what, b, kMinBits, kMaxBits));
}

// The values the profile's tables hold, each within what the accelerator and
// the calibrator can mean by it; InputError (without the file) otherwise.
void check_values(const CalibrationProfile& p) {
  // The candidates the SAE estimates, and the widths of the sensitivity table
  // (the candidates and 8).
  for (const auto& [list, widest, most, what] : {std::tuple{&p.candidates, kMaxBits - 1, size_t{4}, "candidate widths"},
                                                 std::tuple{&p.widths, kMaxBits, size_t{5}, "table widths"}}) {
    if (list->empty() || list->size() > most)
      throw InputError(fmt::format("it has {} {}, not 1 to {}", list->size(), what, most));
    for (size_t c = 0; c < list->size(); ++c)
      if ((*list)[c] < kMinBits || (*list)[c] > widest || (c > 0 && (*list)[c] <= (*list)[c - 1]))
        throw InputError(
            fmt::format("its {} {} do not ascend within {}..{}", what, fmt::join(*list, ","), kMinBits, widest));
  }
  for (const auto& [name, range] : p.ranges)
    if (!std::isfinite(range.first) || !std::isfinite(range.second) || range.first > range.second)
      throw InputError(fmt::format("the activation range of '{}' is [{}, {}]", name, range.first, range.second));
  for (const LayerProfile& l : p.layers) {
    if (l.sensitivity.size() != p.widths.size() || l.true_mse.size() != p.widths.size())
      throw InputError(fmt::format("layer '{}' has {} sensitivities and {} errors for {} widths", l.name,
                                   l.sensitivity.size(), l.true_mse.size(), p.widths.size()));
    for (const std::vector<double>* v : {&l.sensitivity, &l.true_mse})
      for (double x : *v)
        if (!std::isfinite(x)) throw InputError(fmt::format("layer '{}' has a sensitivity or error of {}", l.name, x));
    if (l.group < 0 || l.group >= static_cast<int>(p.layers.size()))
      throw InputError(fmt::format("layer '{}' is in group {}, outside 0..{}", l.name, l.group, p.layers.size() - 1));
    for (const SaeSlice* slice : {&l.jit, &l.upfront})
      for (int64_t e : slice->elements)
        if (e < 0) throw InputError(fmt::format("layer '{}' scans element {}", l.name, e));
    for (int64_t c : l.shadow_channels)
      if (c < 0) throw InputError(fmt::format("layer '{}' keeps shadow channel {}", l.name, c));
  }
  for (const CascadeChoice* c : {&p.cascade, &p.margin_cascade}) {
    check_widths(c->first_bits, p.layers.size(), "a cascade's first map");
    check_widths(c->fallback_bits, p.layers.size(), "a cascade's re-run map");
  }
  for (const auto& st : p.staged_cascade) check_widths(st.bits, p.layers.size(), "a staged-cascade stage");
  for (const auto& f : p.static_front) check_widths(f.bits, p.layers.size(), "a static-front map");
}

}  // namespace

uint64_t model_hash(const OnnxModel& model) {
  Fnv1a h;
  const auto& g = model.graph();
  for (const auto& n : g.node()) {
    // The node without its name and doc string: renaming a node does not change the model.
    onnx::NodeProto copy = n;
    copy.clear_name();
    copy.clear_doc_string();
    h.bytes(copy.SerializeAsString());
  }
  for (const auto& i : g.input()) h.bytes(i.name());
  for (const auto& o : g.output()) h.bytes(o.name());
  for (const auto& [name, t] : model.initializers()) {
    h.bytes(name);
    h.bytes(tensor_to_proto(t, name).SerializeAsString());
  }
  return h.digest();
}

void save_profile(const CalibrationProfile& p, const std::filesystem::path& path) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.set_producer_name("aps-calibrate");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(13);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("aps_calibration_profile");
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const LayerProfile& l = p.layers[i];
    layers.push_back({{"name", l.name}, {"layer", l.layer}, {"macs", l.macs}, {"sensitivity", l.sensitivity},
                      {"true_mse", l.true_mse}, {"alpha_jit", l.alpha_jit}, {"alpha_upfront", l.alpha_upfront},
                      {"threshold", l.threshold}, {"group", l.group}, {"static_bits", l.static_bits}});
    add_array(g, initializer_name(i, "jit_elements"), l.jit.elements);
    add_array(g, initializer_name(i, "jit_coefficients"), l.jit.coefficients);
    add_array(g, initializer_name(i, "shadow_channels"), l.shadow_channels);
    add_array(g, initializer_name(i, "upfront_elements"), l.upfront.elements);
    add_array(g, initializer_name(i, "upfront_coefficients"), l.upfront.coefficients);
    add_array(g, initializer_name(i, "bias_correction"), l.bias_correction);
  }
  nlohmann::json front = nlohmann::json::array();
  for (const auto& f : p.static_front)
    front.push_back({{"bits", f.bits}, {"avg_bits", f.avg_bits}, {"accuracy", f.accuracy ? nlohmann::json(*f.accuracy) : nlohmann::json(nullptr)}, {"agreement", f.agreement}});
  nlohmann::json staged = nlohmann::json::array();
  for (const auto& st : p.staged_cascade)
    staged.push_back({{"bits", st.bits}, {"avg_bits", st.avg_bits}, {"margin_threshold", st.margin_threshold}});
  nlohmann::json ranges = nlohmann::json::object();
  for (const auto& [name, r] : p.ranges) ranges[name] = {r.first, r.second};
  const nlohmann::json j = {
      {"model", p.model}, {"task", task_name(p.task)}, {"decision_threshold", p.decision_threshold},
      {"weight_reduction", weight_reduction_name(p.weight_reduction)},
      {"samples", p.samples}, {"range_method", p.range_method}, {"metric", p.metric},
      {"sae_budget", p.sae_budget}, {"widths", p.widths}, {"candidates", p.candidates}, {"ranges", ranges},
      {"layers", layers}, {"upfront_unavailable", p.upfront_unavailable}, {"target_agreement", p.target_agreement}, {"target_bits", p.target_bits}, {"static_front", front},
      {"cascade", cascade_json(p.cascade)}, {"margin_cascade", cascade_json(p.margin_cascade)},
      {"staged_cascade", staged}};
  auto meta = [&](const char* k, const std::string& v) {
    auto* e = m.add_metadata_props();
    e->set_key(k);
    e->set_value(v);
  };
  meta(kFormatKey, std::to_string(p.weight_reduction == WeightReduction::Midpoint ? kMidpointFormatVersion : kFormatVersion));
  meta(kHashKey, fmt::format("{:016x}", p.model_hash));
  meta(kProfileKey, json_file_text(j, -1));
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw InputError(fmt::format("{}: cannot write the profile", path.string()));
  replace_file(path.string(), bytes);
}

CalibrationProfile load_profile(const std::filesystem::path& path, const OnnxModel& model) {
  const std::string bytes = read_file_bytes(path, size_t{1} << 28);
  onnx::ModelProto m;
  const std::string file = path.string();
  if (!m.ParseFromString(bytes)) throw InputError(fmt::format("{}: not an ONNX protobuf (truncated or corrupt)", file));
  std::string hash, body, format;
  for (const auto& e : m.metadata_props()) {
    if (e.key() == kHashKey) hash = e.value();
    if (e.key() == kProfileKey) body = e.value();
    if (e.key() == kFormatKey) format = e.value();
  }
  if (body.empty() || hash.empty()) throw InputError(fmt::format("{}: not an APS calibration profile", file));
  if (format != std::to_string(kFormatVersion) && format != std::to_string(kUncorrectedFormatVersion) &&
      format != std::to_string(kMidpointFormatVersion))
    throw InputError(fmt::format("{}: profile format {} is not a supported one ({} to {})", file, format,
                                 kUncorrectedFormatVersion, kMidpointFormatVersion));
  const bool corrected_format = format != std::to_string(kUncorrectedFormatVersion);
  const std::string want = fmt::format("{:016x}", model_hash(model));
  if (hash != want)
    throw InputError(fmt::format("{}: this profile was made for another model (hash {}, {} has hash {}); "
                                 "run aps-calibrate on this model",
                                 file, hash, model.source(), want));
  CalibrationProfile p;
  p.source = file;
  p.model_hash = model_hash(model);
  std::map<std::string, const onnx::TensorProto*> arrays;
  for (const auto& t : m.graph().initializer()) arrays[t.name()] = &t;
  auto ints = [&](size_t layer, const char* table) {
    const auto it = arrays.find(initializer_name(layer, table));
    if (it == arrays.end()) throw InputError(fmt::format("{}: table '{}' of layer {} is missing", file, table, layer));
    return tensor_from_proto(*it->second, file).ints();
  };
  try {
    const auto j = nlohmann::json::parse(body);
    p.model = j.at("model");
    const std::string task = j.at("task");
    if (task != task_name(Task::Classification) && task != task_name(Task::AnomalyDetection))
      throw InputError(fmt::format("{}: the profile's task '{}' is neither classification nor anomaly_detection", file, task));
    p.task = parse_task(task);
    p.decision_threshold = j.at("decision_threshold");
    // Profiles before format 7 name no rule: they were made rounding half up.
    if (j.contains("weight_reduction"))
      p.weight_reduction = parse_weight_reduction(j.at("weight_reduction").get<std::string>(), file + ": the profile");
    if ((p.weight_reduction == WeightReduction::Midpoint) != (format == std::to_string(kMidpointFormatVersion)))
      throw InputError(fmt::format("{}: a format {} profile with {} weights; run aps-calibrate again", file, format,
                                   weight_reduction_name(p.weight_reduction)));
    p.samples = j.at("samples");
    p.range_method = j.at("range_method");
    p.metric = j.at("metric");
    p.sae_budget = j.at("sae_budget");
    p.widths = j.at("widths").get<std::vector<int>>();
    p.candidates = j.at("candidates").get<std::vector<int>>();
    for (const auto& [name, r] : j.at("ranges").items()) p.ranges[name] = {r.at(0), r.at(1)};
    p.upfront_unavailable = j.at("upfront_unavailable");
    p.target_agreement = j.at("target_agreement");
    p.target_bits = j.at("target_bits");
    for (const auto& f : j.at("static_front"))
      p.static_front.push_back({f.at("bits").get<std::vector<int>>(), f.at("avg_bits"),
                                f.at("accuracy").is_null() ? std::nullopt : std::optional<double>(f.at("accuracy")),
                                f.at("agreement")});
    p.cascade = cascade_from_json(j.at("cascade"));
    p.margin_cascade = cascade_from_json(j.at("margin_cascade"));
    for (const auto& st : j.at("staged_cascade"))
      p.staged_cascade.push_back({st.at("bits").get<std::vector<int>>(), st.at("avg_bits"), st.at("margin_threshold")});
    size_t i = 0;
    for (const auto& lj : j.at("layers")) {
      LayerProfile l;
      l.name = lj.at("name");
      const auto field = [&](const char* key) { return fmt::format("{}: layer '{}': {}", file, l.name, key); };
      l.layer = static_cast<int>(integer_in(lj.at("layer"), 0, INT32_MAX, field("layer")));
      l.macs = integer_in(lj.at("macs"), 0, INT64_MAX, field("macs"));
      l.sensitivity = lj.at("sensitivity").get<std::vector<double>>();
      l.true_mse = lj.at("true_mse").get<std::vector<double>>();
      for (int64_t a : integers_in(lj.at("alpha_jit"), 0, UINT32_MAX, field("alpha_jit")))
        l.alpha_jit.push_back(static_cast<uint32_t>(a));
      for (int64_t a : integers_in(lj.at("alpha_upfront"), 0, UINT32_MAX, field("alpha_upfront")))
        l.alpha_upfront.push_back(static_cast<uint32_t>(a));
      // The PCU compares in 64 unsigned bits: every value of them is a threshold.
      const nlohmann::json& threshold = lj.at("threshold");
      if (!threshold.is_number_unsigned())
        throw InputError(fmt::format("{} is {}, not an integer in 0..{}", field("threshold"), threshold.dump(), UINT64_MAX));
      l.threshold = threshold.get<uint64_t>();
      l.group = static_cast<int>(integer_in(lj.at("group"), 0, INT32_MAX, field("group")));
      l.static_bits = static_cast<int>(integer_in(lj.at("static_bits"), kMinBits, kMaxBits, field("static_bits")));
      // Checked as read: the narrowing to uint32 would wrap a negative one.
      const auto coefficients = [&](const char* table) {
        std::vector<uint32_t> c;
        for (int64_t v : ints(i, table)) {
          if (v < 0 || v > 0xffff)
            throw InputError(fmt::format("{}: layer '{}' has an SAE coefficient of {}, outside 16 bits", file, l.name, v));
          c.push_back(static_cast<uint32_t>(v));
        }
        return c;
      };
      l.jit.elements = ints(i, "jit_elements");
      l.jit.coefficients = coefficients("jit_coefficients");
      l.shadow_channels = ints(i, "shadow_channels");
      l.upfront.elements = ints(i, "upfront_elements");
      l.upfront.coefficients = coefficients("upfront_coefficients");
      if (!corrected_format && arrays.contains(initializer_name(i, "bias_correction")))
        throw InputError(fmt::format("{}: a format {} profile with bias corrections (made by a development build); "
                                     "run aps-calibrate again",
                                     file, kUncorrectedFormatVersion));
      if (corrected_format) {
        for (int64_t c : ints(i, "bias_correction")) {
          if (c < INT32_MIN || c > INT32_MAX)
            throw InputError(fmt::format("{}: layer '{}' has a bias correction of {}, outside int32", file, l.name, c));
          l.bias_correction.push_back(static_cast<int32_t>(c));
        }
        if (l.bias_correction.size() % kCorrectedWidths)
          throw InputError(fmt::format("{}: layer '{}' has {} bias corrections, not {} per output channel", file, l.name,
                                       l.bias_correction.size(), kCorrectedWidths));
      }
      p.layers.push_back(std::move(l));
      ++i;
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: malformed profile: {}", file, e.what()));
  }
  try {
    check_values(p);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", file, e.what()));
  }
  if (p.task == Task::AnomalyDetection && !(p.decision_threshold > 0 && std::isfinite(p.decision_threshold)))
    throw InputError(fmt::format("{}: an anomaly detector's profile needs a positive decision threshold, not {}", file,
                                 p.decision_threshold));
  for (const auto& l : p.layers)
    if (l.alpha_jit.size() != p.candidates.size() || l.alpha_upfront.size() != p.candidates.size() ||
        l.jit.elements.size() != l.jit.coefficients.size() || l.upfront.elements.size() != l.upfront.coefficients.size())
      throw InputError(fmt::format("{}: layer '{}' has tables of inconsistent sizes", file, l.name));
  for (const auto& l : p.layers)
    if (l.upfront.elements.empty() != !has_upfront_schedule(p))
      throw InputError(fmt::format("{}: layer '{}' has {} up-front slice, but the profile {}", file, l.name,
                                   l.upfront.elements.empty() ? "no" : "an",
                                   has_upfront_schedule(p) ? "records no reason for its absence"
                                                           : "says it has no up-front schedule"));
  for (const CascadeChoice* c : {&p.cascade, &p.margin_cascade}) check_gate(c->gate, file);
  for (const auto& st : p.staged_cascade)
    if (st.margin_threshold < 0 || st.margin_threshold > 255)
      throw InputError(fmt::format("{}: a staged-cascade stage has a margin threshold of {}, outside 0..255", file,
                                   st.margin_threshold));
  if (!p.staged_cascade.empty() &&
      (p.staged_cascade.size() > 3 || p.staged_cascade.back().bits != std::vector<int>(p.layers.size(), 8)))
    throw InputError(fmt::format("{}: the staged cascade has {} stages; it needs one to three, the last at 8 bits", file,
                                 p.staged_cascade.size()));
  return p;
}

DecisionRule decision_rule(const CalibrationProfile& profile) {
  return profile.task == Task::Classification ? DecisionRule::classifier()
                                              : DecisionRule::anomaly_threshold(profile.decision_threshold);
}

}  // namespace aps
