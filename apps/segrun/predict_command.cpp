// segrun predict: label maps (or colour images) for one image or a folder of images.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "apps/segrun/commands.h"
#include "apps/segrun/flag_limits.h"
#include "apps/segrun/training_flags.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "data/resize.h"
#include "engine/autograd.h"
#include "models/factory.h"
#include "nn/safetensors.h"
#include "nn/state_dict.h"
#include "training/validation.h"

namespace segrun::app {

using training::read_json_file;

using training::argmax_labels;
using training::Json;

namespace fs = std::filesystem;

namespace {

struct PredictOptions {
  std::string model, weights, input, out, size;
  int classes = 19, width = 64;
  bool color = false;
  std::string device = "cpu";
};

// Settings of the run the weights come from (config.json next to them), else the flags.
struct PredictSetup {
  int classes = 19, width = 64, size_w = 512, size_h = 256;
  std::vector<data::Rgb> palette;
  // The training run's image filter, so predictions see inputs prepared as in training; weights
  // without config.json, or from a run that predates the choice, had 4-tap bilinear.
  data::ImageResize filter = data::ImageResize::Bilinear;
};

PredictSetup resolve_setup(const PredictOptions& o) {
  PredictSetup s{o.classes, o.width, 512, 256, data::cityscapes_info().palette};
  const fs::path config_path = fs::path(o.weights).parent_path() / "config.json";
  if (fs::exists(config_path)) {
    const Json c = read_json_file(config_path.string());
    s.classes = c.at("num_classes");
    s.width = c.at("width");
    s.size_w = c.at("size")[0];
    s.size_h = c.at("size")[1];
    s.palette.clear();
    for (const Json& rgb : c.at("palette")) s.palette.push_back({rgb[0], rgb[1], rgb[2]});
    s.filter = data::parse_image_resize(training::recorded_resize(c));
  }
  if (!o.size.empty()) parse_size(o.size, s.size_w, s.size_h);
  return s;
}

std::vector<fs::path> input_images(const std::string& input) {
  std::vector<fs::path> files;
  if (fs::is_directory(input)) {
    for (const auto& e : fs::directory_iterator(input)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(input);
  }
  if (files.empty()) throw std::invalid_argument("predict: no .png/.jpg images in " + input);
  return files;
}

fs::path output_path(const std::string& out, const fs::path& input) {
  return fs::path(out) / (input.stem().string() + ".png");
}

// Predictions never replace an input image, and two inputs never write one output (a.jpg and
// a.png both become a.png): either would lose data silently, so both are refused up front.
void check_outputs(const std::string& out, const std::vector<fs::path>& inputs) {
  std::error_code ec;
  std::map<std::string, fs::path> writer_of;
  for (const fs::path& input : inputs) {
    const fs::path target = output_path(out, input);
    if (fs::exists(target) && fs::equivalent(target, input, ec)) {
      throw std::invalid_argument("predict: --out " + out + " would overwrite the input image " + input.string() +
                                  "; choose another output folder");
    }
    const auto [it, fresh] = writer_of.emplace(target.string(), input);
    if (!fresh) {
      throw std::invalid_argument("predict: " + it->second.string() + " and " + input.string() +
                                  " would both be written to " + target.string() +
                                  "; predict them into separate folders");
    }
  }
  for (const fs::path& input : inputs) {
    if (fs::exists(out) && fs::equivalent(out, input.parent_path().empty() ? "." : input.parent_path(), ec)) {
      throw std::invalid_argument("predict: --out " + out +
                                  " is the input folder; predictions would mix with (and may replace) the images");
    }
  }
}

// (1,H,W,3) ImageNet-normalised floats of the image resized to the model's input size.
Tensor normalised_input(const data::Image& image, int width, int height, data::ImageResize filter) {
  const data::Image resized = data::resize_image(image, width, height, filter);
  std::vector<float> values(resized.pixels.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const size_t c = i % 3;
    values[i] = (resized.pixels[i] / 255.0f - data::kImageNetMean[c]) / data::kImageNetStd[c];
  }
  return Tensor::from_vector(values, {1, height, width, 3});
}

data::Image colorize(const data::Image& labels, const std::vector<data::Rgb>& palette) {
  data::Image out = data::make_image(labels.width, labels.height, 3);
  for (size_t i = 0; i < labels.pixels.size(); ++i) {
    const uint8_t l = labels.pixels[i];
    for (int c = 0; c < 3; ++c) out.pixels[i * 3 + c] = l < palette.size() ? palette[l][c] : 0;
  }
  return out;
}

void run_predict(const PredictOptions& o) {
  const PredictSetup setup = resolve_setup(o);
  const Device device = Device::parse(o.device);
  Generator gen(0);
  std::unique_ptr<nn::SegmentationModel> model = models::make_model(o.model, 3, setup.classes, setup.width, gen);
  const nn::TensorFile file = nn::read_safetensors(o.weights);
  nn::LoadOptions load;
  if (file.tensors.count("model.head.weight") || file.metadata.count("segrun.loop_state")) load.prefix = "model.";
  nn::load_state_dict(*model, file, o.weights, load);
  model->to(device);
  model->eval();
  NoGradGuard no_grad;
  const std::vector<fs::path> inputs = input_images(o.input);
  check_outputs(o.out, inputs);
  fs::create_directories(o.out);
  for (const fs::path& path : inputs) {
    const data::Image image = data::read_rgb_image(path.string());
    const Tensor logits = model->forward(normalised_input(image, setup.size_w, setup.size_h, setup.filter).to(device));
    data::Image labels = data::make_image(setup.size_w, setup.size_h, 1);
    labels.pixels = argmax_labels(logits);
    labels = data::resize_nearest(labels, image.width, image.height);
    const fs::path target = output_path(o.out, path);
    data::write_png(target.string(), o.color ? colorize(labels, setup.palette) : labels);
    std::printf("%s\n", target.string().c_str());
  }
}

}  // namespace

void add_predict_command(CLI::App& root) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = root.add_subcommand("predict", "Segment an image or a folder of images with trained weights");
  cmd->add_option("--model", o->model, "Network")->required()->check(CLI::IsMember(models::model_names()));
  cmd->add_option("--weights", o->weights, "best.safetensors of a run, or a model state dict")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--input", o->input, "An image or a folder of .png/.jpg images")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--out", o->out, "Output folder (one PNG per input)")->required();
  cmd->add_flag("--color", o->color, "Write colour images (data set palette) instead of train-id label maps");
  cmd->add_option("--classes", o->classes, "Classes (when no config.json is next to the weights)")
      ->check(CLI::Range(1, 255))
      ->capture_default_str();
  cmd->add_option("--width", o->width, "Model width (when no config.json is next to the weights)")
      ->check(CLI::Range(1, kMaxModelWidth))
      ->capture_default_str();
  cmd->add_option("--size", o->size, "Network input WIDTHxHEIGHT (default: the run's, else 512x256)");
  cmd->add_option("--device", o->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd->callback([o] { run_predict(*o); });
}

}  // namespace segrun::app
