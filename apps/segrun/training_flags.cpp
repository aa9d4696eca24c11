#include "apps/segrun/training_flags.h"

#include <filesystem>
#include <stdexcept>

#include "apps/segrun/flag_limits.h"
#include "engine/backend_info.h"
#include "losses/configs.h"
#include "models/factory.h"

namespace segrun::app {

void parse_size(const std::string& text, int& width, int& height) {
  const size_t x = text.find('x');
  size_t used_w = 0, used_h = 0;
  try {
    if (x == std::string::npos) throw std::invalid_argument(text);
    width = std::stoi(text.substr(0, x), &used_w);
    height = std::stoi(text.substr(x + 1), &used_h);
  } catch (const std::logic_error&) {
    throw std::invalid_argument("--size " + text + ": expected WIDTHxHEIGHT, e.g. 512x256");
  }
  if (used_w != x || used_h != text.size() - x - 1 || width <= 0 || height <= 0) {
    throw std::invalid_argument("--size " + text + ": expected WIDTHxHEIGHT, e.g. 512x256");
  }
  if (width > kMaxImageSide || height > kMaxImageSide) {
    throw std::invalid_argument("--size " + text + ": each side must be at most " + std::to_string(kMaxImageSide));
  }
  if (width % 16 != 0 || height % 16 != 0) {
    throw std::invalid_argument("--size " + text +
                                ": width and height must be multiples of 16 (the models downsample 16x)");
  }
}

void finalize_train_config(TrainConfig& config, const std::string& weights_text) {
  if (!weights_text.empty()) {
    losses::LossWeights w;
    try {
      w = losses::parse_loss_weights(weights_text);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--weights: ") + e.what());
    }
    config.weights = {w.ce, w.dice, w.focal};
    config.loss = "custom";
    for (const losses::NamedLossConfig& c : losses::named_loss_configs()) {
      if (c.weights.ce == w.ce && c.weights.dice == w.dice && c.weights.focal == w.focal) config.loss = c.name;
    }
  } else {
    const losses::LossWeights w = losses::loss_config(config.loss);
    config.weights = {w.ce, w.dice, w.focal};
  }
  if (config.device == "cuda" && !cuda_info().built) {
    throw std::invalid_argument("--device cuda: this segrun was built without CUDA (configure with -DSEGRUN_CUDA=ON)");
  }
  check_training_batch(config.model, config.batch);
  if (config.amp && config.device == "cpu") {
    throw std::invalid_argument("--amp: FP16 mixed precision runs on CUDA only; drop --amp or use --device cuda");
  }
  if (config.cache_dir.empty()) config.cache_dir = default_cache_dir(config.out);
  check_fits_in_memory(training_memory_floor(config.batch, config.width_px, config.height_px, config.width),
                       "--batch " + std::to_string(config.batch) + " at --size " + std::to_string(config.width_px) +
                           "x" + std::to_string(config.height_px) + " and --width " + std::to_string(config.width));
}

void check_training_batch(const std::string& model, int batch) {
  const int64_t smallest = models::min_training_batch(model);
  if (batch < smallest) {
    throw std::invalid_argument("--batch " + std::to_string(batch) + ": " + model + " trains on batches of at least " +
                                std::to_string(smallest) +
                                " images (its batch norm needs more than one value per channel)");
  }
}

std::string default_cache_dir(const std::string& out) {
  const std::filesystem::path parent = std::filesystem::absolute(out).parent_path();
  return (parent / ".segrun-cache").string();
}

void add_training_flags(CLI::App& cmd, TrainConfig& c) {
  cmd.add_option("--dataset", c.dataset, "Data set layout")
      ->check(CLI::IsMember({"cityscapes", "camvid", "list"}))
      ->capture_default_str();
  cmd.add_option("--root", c.root, "Data set root folder")->required()->check(CLI::ExistingDirectory);
  const CLI::Validator size_check(
      [](std::string& s) {
        int w = 0, h = 0;
        try {
          parse_size(s, w, h);
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
        return std::string();
      },
      "WxH");
  cmd.add_option_function<std::string>(
         "--size", [&c](const std::string& s) { parse_size(s, c.width_px, c.height_px); },
         "Training size WIDTHxHEIGHT, multiples of 16 (default 512x256)")
      ->check(size_check);
  cmd.add_option("--epochs", c.epochs, "Epochs")->check(CLI::Range(1, kMaxEpochs))->capture_default_str();
  cmd.add_option("--batch", c.batch, "Batch size")->check(CLI::Range(1, kMaxBatch))->capture_default_str();
  cmd.add_option("--lr", c.lr, "AdamW learning rate (the paper's 1e-4)")
      ->check(finite_positive())
      ->capture_default_str();
  cmd.add_option("--weight-decay", c.weight_decay, "AdamW decoupled weight decay (the paper's 1e-4)")
      ->check(finite_non_negative())
      ->capture_default_str();
  cmd.add_option("--clip-norm", c.clip_norm, "Clip the gradients at this global L2 norm (the paper's 1.0)")
      ->check(finite_positive())
      ->capture_default_str();
  cmd.add_option_function<std::string>(
         "--augment", [&c](const std::string& v) { c.augment = v == "default"; },
         "Training augmentation: default (random horizontal flips and colour jitter) or none")
      ->check(CLI::IsMember({"none", "default"}));
  cmd.add_option_function<std::string>(
         "--shuffle", [&c](const std::string& v) { c.shuffle = v == "on"; },
         "Training sample order: on (reshuffled every epoch, the default) or off (split order)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--init", c.init, "Start from this whole-model state dict (safetensors, PyTorch names)")
      ->check(CLI::ExistingFile);
  cmd.add_flag("--init-partial", c.init_partial,
               "With --init: load the tensors that match and list the loaded, missing and unexpected keys");
  cmd.add_option("--encoder-weights", c.encoder_weights,
                 "DeepLabV3+: start the encoder from a ResNet-34 state dict (torchvision/timm names; fc.* ignored)")
      ->check(CLI::ExistingFile);
  cmd.add_flag("--amp", c.amp, "FP16 mixed precision with dynamic loss scaling (CUDA only)");
  cmd.add_option_function<std::string>(
         "--cuda-graph", [&c](const std::string& v) { c.cuda_graph = v == "on"; },
         "CUDA only: replay each training step from a CUDA graph recorded once per batch shape (on, the "
         "default) or launch every op eagerly (off); both run the same kernels")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--device", c.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd.add_option("--seed", c.seed, "Seed of every random stream")->check(whole_number_u64())->capture_default_str();
  cmd.add_option("--width", c.width, "Model width (Attention U-Net first-level channels)")
      ->check(CLI::Range(1, kMaxModelWidth))
      ->capture_default_str();
  cmd.add_option("--class-weights", c.class_weights, "CE class weights: enet, median, none or a file")
      ->capture_default_str();
  cmd.add_option("--resize", c.resize,
                 "Image filter to --size: antialias (PIL's bilinear: the filter widens with the reduction "
                 "factor when shrinking, plain bilinear when enlarging) or bilinear (4 taps both ways); "
                 "labels are always nearest")
      ->check(CLI::IsMember({"antialias", "bilinear"}))
      ->capture_default_str();
  cmd.add_option("--cache-dir", c.cache_dir, "Preprocessed-split cache (default: .segrun-cache next to the run)");
  cmd.add_option("--threads", c.threads, "CPU threads for the kernels (0 = all)")->check(CLI::Range(0, kMaxThreads));
  cmd.add_option("--loader-threads", c.loader_threads, "Batch preparation threads (0 = half the available cores)")
      ->check(CLI::Range(0, kMaxLoaderThreads))
      ->capture_default_str();
  cmd.add_option("--max-steps-per-epoch", c.max_steps_per_epoch, "Stop each epoch after N steps (0 = whole split)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--grad-probe-every", c.grad_probe_every,
                 "Every N steps, each term's parameter-gradient norm (0 = off)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_flag("--quiet", c.quiet, "Only the per-epoch lines");
  cmd.add_option("--stop-after-epochs", c.stop_after_epochs, "Stop as if interrupted after N epochs (resume tests)")
      ->check(CLI::NonNegativeNumber)
      ->group("");
}

std::vector<std::string> loss_config_names() {
  std::vector<std::string> names;
  for (const losses::NamedLossConfig& c : losses::named_loss_configs()) names.push_back(c.name);
  return names;
}

}  // namespace segrun::app
