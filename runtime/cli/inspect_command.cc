// `edgellm inspect`: what a GGUF model holds — architecture,
// hyperparameters, tokenizer, tensors and totals — as text or JSON.
#include <algorithm>
#include <iostream>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/config.h"
#include "runtime/model/encoder_config.h"
#include "runtime/model/transformer.h"
#include "runtime/model/weight_stats.h"

namespace edgellm::cli {
namespace {

using nlohmann::json;

std::string Str(std::string_view s) { return std::string(s); }

// llama.cpp's llama_ftype names for general.file_type.
std::string FileTypeName(int64_t t) {
  static const std::map<int64_t, std::string> kNames = {
      {0, "all f32"},        {1, "mostly f16"},   {2, "mostly q4_0"},
      {3, "mostly q4_1"},    {7, "mostly q8_0"},  {8, "mostly q5_0"},
      {9, "mostly q5_1"},    {10, "mostly q2_k"}, {15, "mostly q4_k_m"},
      {17, "mostly q5_k_m"}, {18, "mostly q6_k"}, {32, "mostly bf16"},
  };
  auto it = kNames.find(t);
  return it == kNames.end() ? "other" : it->second;
}

std::string TypeName(gguf::TensorType type) {
  absl::StatusOr<gguf::TensorTypeTraits> traits =
      gguf::GetTensorTypeTraits(static_cast<uint32_t>(type));
  return traits.ok() ? Str(traits->name)
                     : absl::StrCat("type", static_cast<uint32_t>(type));
}

// A metadata value as JSON; long arrays are summarised.
json ValueJson(const gguf::Value& v) {
  switch (v.type()) {
    case gguf::ValueType::kString:
      return Str(v.GetString().value_or(""));
    case gguf::ValueType::kBool:
      return v.GetBool().value_or(false);
    case gguf::ValueType::kFloat32:
    case gguf::ValueType::kFloat64:
      return v.GetFloat().value_or(0.0);
    case gguf::ValueType::kArray:
      return absl::StrCat(Str(gguf::ValueTypeName(v.element_type())), "[",
                          v.size(), "]");
    case gguf::ValueType::kUint64: {
      absl::StatusOr<uint64_t> u = v.GetUint();
      if (u.ok()) return *u;
      break;
    }
    default:
      break;
  }
  absl::StatusOr<int64_t> i = v.GetInt();
  if (i.ok()) return *i;
  return nullptr;
}

std::string ValueText(const gguf::Value& v) {
  const json j = ValueJson(v);
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_float()) return absl::StrFormat("%g", j.get<double>());
  return j.dump();
}

// What the model is for: encoders (bert, nomic-bert) embed with their
// pooling and rerank when they carry a classifier head; decoders generate
// and embed by pooling their hidden states.
json Capabilities(const std::string& arch, const gguf::GgufFile& f) {
  json c;
  std::string pooling;
  if (absl::StatusOr<int64_t> p = f.GetInt(arch + ".pooling_type");
      p.ok() && *p >= 0 && *p <= 4) {
    pooling = std::string(
        model::EncoderPoolingName(static_cast<model::EncoderPooling>(*p)));
  }
  if (model::IsEncoderArchitecture(arch)) {
    const bool head = f.FindTensor("cls.weight") != nullptr ||
                      f.FindTensor("cls.output.weight") != nullptr;
    c["kind"] = "encoder";
    c["generates"] = false;
    c["embeds"] = pooling != "rank";
    c["reranks"] = head;
    c["pooling"] =
        pooling.empty() || pooling == "none" ? "mean (default)" : pooling;
  } else {
    const bool decoder = model::IsSupportedArchitecture(arch);
    c["kind"] = decoder ? "decoder" : "unsupported";
    c["generates"] = decoder;
    c["embeds"] = decoder;
    c["reranks"] = false;
    c["pooling"] = pooling.empty() ? "mean (default)" : pooling;
  }
  return c;
}

json Summarize(const std::string& path, const gguf::GgufFile& f) {
  json out;
  out["path"] = path;
  out["gguf_version"] = f.version();
  out["file_size"] = f.file_size();
  out["alignment"] = f.alignment();
  const std::string arch =
      Str(f.GetString("general.architecture").value_or(""));
  out["architecture"] = arch;
  out["name"] = Str(f.GetString("general.name").value_or(""));
  out["capabilities"] = Capabilities(arch, f);
  if (absl::StatusOr<int64_t> ft = f.GetInt("general.file_type"); ft.ok()) {
    out["file_type"] = {{"id", *ft}, {"name", FileTypeName(*ft)}};
  }
  json hyper = json::object();
  json general = json::object();
  for (const auto& [key, value] : f.metadata()) {
    if (!arch.empty() && key.starts_with(arch + ".")) {
      hyper[Str(key.substr(arch.size() + 1))] = ValueJson(value);
    } else if (key.starts_with("general.") && key != "general.architecture" &&
               key != "general.name" && key != "general.file_type") {
      general[Str(key.substr(8))] = ValueJson(value);
    }
  }
  out["hyperparameters"] = hyper;
  out["general"] = general;

  json tok = json::object();
  tok["model"] = Str(f.GetString("tokenizer.ggml.model").value_or(""));
  if (auto pre = f.GetString("tokenizer.ggml.pre"); pre.ok()) {
    tok["pre"] = Str(*pre);
  }
  const gguf::Value* tokens = f.Find("tokenizer.ggml.tokens");
  tok["tokens"] = tokens != nullptr ? tokens->size() : 0;
  const gguf::Value* merges = f.Find("tokenizer.ggml.merges");
  tok["merges"] = merges != nullptr ? merges->size() : 0;
  json special = json::object();
  for (const char* which :
       {"bos", "eos", "unknown", "padding", "sep", "cls", "mask", "eot"}) {
    absl::StatusOr<int64_t> id =
        f.GetInt(absl::StrCat("tokenizer.ggml.", which, "_token_id"));
    if (!id.ok()) continue;
    json entry = {{"id", *id}};
    if (tokens != nullptr && *id >= 0 &&
        static_cast<uint64_t>(*id) < tokens->size()) {
      if (auto text = tokens->GetElement(*id); text.ok()) {
        entry["text"] = Str(text->GetString().value_or(""));
      }
    }
    special[which] = entry;
  }
  tok["special_tokens"] = special;
  for (const char* flag :
       {"add_bos_token", "add_eos_token", "add_space_prefix"}) {
    if (auto b = f.GetBool(absl::StrCat("tokenizer.ggml.", flag)); b.ok()) {
      tok[flag] = *b;
    }
  }
  out["tokenizer"] = tok;
  const gguf::Value* chat = f.Find("tokenizer.chat_template");
  out["chat_template"] = {
      {"present", chat != nullptr},
      {"chars",
       chat != nullptr ? Str(chat->GetString().value_or("")).size() : 0}};

  json tensors = json::array();
  json by_type = json::object();
  int64_t params = 0;
  uint64_t bytes = 0;
  for (const gguf::TensorInfo& t : f.tensors()) {
    const std::string type = TypeName(t.type);
    tensors.push_back({{"name", Str(t.name)},
                       {"type", type},
                       {"shape", t.dims},
                       {"bytes", t.size_bytes}});
    params += t.num_elements();
    bytes += t.size_bytes;
    json& bt = by_type[type];
    if (bt.is_null()) bt = {{"tensors", 0}, {"params", 0}, {"bytes", 0}};
    bt["tensors"] = bt.value("tensors", 0) + 1;
    bt["params"] = bt.value("params", int64_t{0}) + t.num_elements();
    bt["bytes"] = bt.value("bytes", uint64_t{0}) + t.size_bytes;
  }
  out["tensors"] = tensors;
  out["totals"] = {{"tensors", f.tensors().size()},
                   {"params", params},
                   {"bytes", bytes},
                   {"by_type", by_type},
                   {"weight_types", model::WeightTypeMix(f)},
                   {"weight_bytes_per_token", model::WeightBytesPerToken(f)}};
  return out;
}

std::string Thousands(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

// How edgellm runs the model: the architecture's row of the decoder table,
// the per-layer plan and the KV memory per sequence at `context` positions
// (0: the default a server or generate would use). An error when the
// architecture or hyperparameters are not supported.
json DecoderJson(const gguf::GgufFile& f, int32_t context) {
  absl::StatusOr<model::ModelConfig> c = model::ReadModelConfig(f);
  if (!c.ok()) {
    return {{"supported", false}, {"error", std::string(c.status().message())}};
  }
  if (context <= 0) {
    context = std::min(c->context_length, model::kDefaultContextCap);
  }
  const int32_t global = static_cast<int32_t>(
      std::count_if(c->layers.begin(), c->layers.end(),
                    [](const model::LayerConfig& l) { return l.window == 0; }));
  return {
      {"supported", true},
      {"blocks", model::DescribeArchitecture(c->arch)},
      {"layers", model::DescribeLayers(*c)},
      {"head_dim", c->head_dim},
      {"rope_dims", c->rope_dimension_count},
      {"sliding_window", c->sliding_window},
      {"global_layers", global},
      {"tied_output", c->tied_output},
      {"kv_context", context},
      {"kv_bytes_per_slot_f32",
       model::KvBytesPerSlot(*c, context, model::KvCacheType::kF32)},
      {"kv_bytes_per_slot_f16",
       model::KvBytesPerSlot(*c, context, model::KvCacheType::kF16)},
      // null when the model's rows are not whole Q8_0 blocks.
      {"kv_bytes_per_slot_q8_0",
       model::KvTypeSupported(model::KvCacheType::kQ8_0, c->head_count_kv,
                              c->head_dim)
               .ok()
           ? json(model::KvBytesPerSlot(*c, context, model::KvCacheType::kQ8_0))
           : json(nullptr)}};
}

void PrintDecoder(const json& d) {
  if (!d["supported"].get<bool>()) {
    std::cout << "decoder: not supported: " << d["error"].get<std::string>()
              << "\n";
    return;
  }
  std::cout
      << "decoder: "
      << absl::StrJoin(d["blocks"].get<std::vector<std::string>>(), ", ")
      << "\n  " << d["layers"].get<std::string>() << "\n"
      << absl::StrFormat("  head_dim %d, rope dims %d, %s head\n",
                         d["head_dim"].get<int>(), d["rope_dims"].get<int>(),
                         d["tied_output"].get<bool>() ? "tied" : "separate")
      << absl::StrFormat(
             "  KV cache per sequence at %d positions: %s bytes f32, %s "
             "bytes f16, %s\n",
             d["kv_context"].get<int>(),
             Thousands(d["kv_bytes_per_slot_f32"].get<uint64_t>()),
             Thousands(d["kv_bytes_per_slot_f16"].get<uint64_t>()),
             d["kv_bytes_per_slot_q8_0"].is_null()
                 ? std::string("no q8_0 (kv_dim not whole blocks of 32)")
                 : absl::StrCat(
                       Thousands(d["kv_bytes_per_slot_q8_0"].get<uint64_t>()),
                       " bytes q8_0"));
}

void PrintText(const json& s, const gguf::GgufFile& f) {
  std::cout << absl::StrFormat(
      "%s: GGUF v%d, %s bytes, alignment %d\n", s["path"].get<std::string>(),
      s["gguf_version"].get<int>(), Thousands(s["file_size"].get<uint64_t>()),
      s["alignment"].get<int>());
  std::cout << "architecture: " << s["architecture"].get<std::string>()
            << "\nname: " << s["name"].get<std::string>() << "\n";
  const json& cap = s["capabilities"];
  auto yes = [](const json& b) { return b.get<bool>() ? "yes" : "no"; };
  std::cout << "kind: " << cap["kind"].get<std::string>()
            << "; generates: " << yes(cap["generates"])
            << ", embeds: " << yes(cap["embeds"])
            << ", reranks: " << yes(cap["reranks"])
            << "; pooling: " << cap["pooling"].get<std::string>() << "\n";
  if (s.contains("file_type")) {
    std::cout << "file type: " << s["file_type"]["id"].dump() << " ("
              << s["file_type"]["name"].get<std::string>() << ")\n";
  }
  const std::string arch = s["architecture"].get<std::string>();
  std::cout << "hyperparameters:\n";
  for (const auto& [key, value] : f.metadata()) {
    if (!arch.empty() && key.starts_with(arch + ".")) {
      std::cout << absl::StrFormat(
          "  %-36s %s\n", Str(key.substr(arch.size() + 1)), ValueText(value));
    }
  }
  const json& tok = s["tokenizer"];
  PrintDecoder(s["decoder"]);
  std::cout << "tokenizer: " << tok["model"].get<std::string>();
  if (tok.contains("pre"))
    std::cout << " (pre " << tok["pre"].get<std::string>() << ")";
  std::cout << ", " << tok["tokens"].dump() << " tokens";
  if (tok["merges"].get<uint64_t>() > 0) {
    std::cout << ", " << tok["merges"].dump() << " merges";
  }
  std::cout << "\n";
  for (const auto& [which, entry] : tok["special_tokens"].items()) {
    std::cout << absl::StrFormat("  %-8s %s", which, entry["id"].dump());
    if (entry.contains("text")) std::cout << " " << entry["text"].dump();
    std::cout << "\n";
  }
  for (const char* flag :
       {"add_bos_token", "add_eos_token", "add_space_prefix"}) {
    if (tok.contains(flag)) {
      std::cout << absl::StrFormat("  %-16s %s\n", flag, tok[flag].dump());
    }
  }
  std::cout << "chat template: "
            << (s["chat_template"]["present"].get<bool>()
                    ? absl::StrCat("present (",
                                   s["chat_template"]["chars"].dump(),
                                   " chars)")
                    : std::string("absent"))
            << "\n";
  std::cout << absl::StrFormat("tensors:\n  %-36s %-6s %-22s %14s\n", "name",
                               "type", "shape", "bytes");
  for (const json& t : s["tensors"]) {
    std::cout << absl::StrFormat(
        "  %-36s %-6s %-22s %14s\n", t["name"].get<std::string>(),
        t["type"].get<std::string>(),
        absl::StrCat(
            "[", absl::StrJoin(t["shape"].get<std::vector<int64_t>>(), ", "),
            "]"),
        Thousands(t["bytes"].get<uint64_t>()));
  }
  const json& totals = s["totals"];
  std::cout << absl::StrFormat("totals: %s tensors, %s params, %s bytes\n",
                               totals["tensors"].dump(),
                               Thousands(totals["params"].get<uint64_t>()),
                               Thousands(totals["bytes"].get<uint64_t>()));
  for (const auto& [type, bt] : totals["by_type"].items()) {
    std::cout << absl::StrFormat("  %-6s %4s tensors %14s params %14s bytes\n",
                                 type, bt["tensors"].dump(),
                                 Thousands(bt["params"].get<uint64_t>()),
                                 Thousands(bt["bytes"].get<uint64_t>()));
  }
  std::cout << absl::StrFormat(
      "weights: %s; %s bytes read per token\n",
      totals["weight_types"].get<std::string>(),
      Thousands(totals["weight_bytes_per_token"].get<uint64_t>()));
}

int RunInspect(const ParsedArgs& args) {
  if (args.positional().size() != 1) {
    std::cerr << "edgellm inspect: give exactly one MODEL.gguf\n";
    return 2;
  }
  const std::string& path = args.positional()[0];
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::Open(path);
  if (!file.ok()) {
    std::cerr << "edgellm inspect: " << file.status().message() << "\n";
    return 1;
  }
  json summary = Summarize(path, **file);
  summary["decoder"] =
      DecoderJson(**file, static_cast<int32_t>(args.GetInt("ctx")));
  if (args.GetBool("json")) {
    // Invalid UTF-8 in token texts is replaced rather than thrown on.
    std::cout << summary.dump(2, ' ', false, json::error_handler_t::replace)
              << "\n";
  } else {
    PrintText(summary, **file);
  }
  return 0;
}

}  // namespace

Command InspectCommand() {
  return Command{
      .name = "inspect",
      .summary = "show a GGUF model's architecture, tokenizer and tensors",
      .usage = "edgellm inspect MODEL.gguf [--json]",
      .details = "",
      .flags = {{"json", FlagKind::kBool, "false",
                 "print one JSON object instead of text"},
                {"ctx", FlagKind::kInt, "0",
                 "positions per sequence for the KV-cache size (0: the "
                 "model's context, capped as serve and generate cap it)"}},
      .run = RunInspect,
  };
}

}  // namespace edgellm::cli
