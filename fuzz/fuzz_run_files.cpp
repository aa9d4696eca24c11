// Checkpoint metadata and run records: the loop state of a checkpoint, log.jsonl lines and
// metrics.json, all of which --resume, the report and the ablation read back.
#include <exception>
#include <string>

#include "fuzz/fuzz_input_file.h"
#include "training/checkpoint.h"
#include "training/run_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace segrun::training;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)parse_loop_state(text, "fuzz.safetensors");
  } catch (const std::exception&) {
  }
  const std::string log = segrun::fuzz::write_input("log.jsonl", data, size);
  try {
    (void)read_run_log(log);
  } catch (const std::exception&) {
  }
  try {
    (void)metrics_from_json(Json::parse(text));
  } catch (const std::exception&) {
  }
  return 0;
}
