// Composing a checkpoint from model, optimiser and loss-scaler state under name prefixes, and
// restoring each part from the one file.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "nn/layers.h"
#include "nn/optim.h"
#include "nn/state_dict.h"
#include "tests/support/scratch_dir.h"

using namespace segrun;
using namespace segrun::nn;

TEST_CASE("a prefixed checkpoint restores model, optimiser and scaler") {
  Generator gen(21), other(22);
  Conv2d conv(2, 2, Conv2dOptions{1, 1, 0, 1, 1, false}, gen),
      restored_conv(2, 2, Conv2dOptions{1, 1, 0, 1, 1, false}, other);
  LossScalerOptions scaling;
  scaling.enabled = true;
  AdamW optimizer(conv.named_parameters(), AdamWOptions{}, scaling);
  Tensor w = conv.weight();
  optimizer.zero_grad();
  w.grad().fill_(0.5 * 65536.0);
  optimizer.step(1.0);
  optimizer.zero_grad();
  w.grad().fill_(INFINITY);
  optimizer.step(1.0);  // skipped: the scale halves

  std::vector<FileTensor> tensors = state_dict_tensors(conv, "model.");
  for (FileTensor& t : optimizer.state_tensors("optim.", "scaler.")) tensors.push_back(t);
  const segrun::test::ScratchDir dir("nn_checkpoint");
  const std::string path = dir.str("checkpoint.safetensors");
  write_safetensors(path, tensors, {{"epoch", "4"}});

  const TensorFile file = read_safetensors(path);
  LoadOptions model_part;
  model_part.prefix = "model.";
  load_state_dict(restored_conv, file, path, model_part);  // optim.* and scaler.* lie outside the prefix
  CHECK(restored_conv.weight().to_double_vector() == conv.weight().to_double_vector());
  AdamW restored_optimizer(restored_conv.named_parameters(), AdamWOptions{}, scaling);
  restored_optimizer.load_state(file, "optim.", "scaler.", path);
  CHECK(restored_optimizer.step_count() == 1);
  CHECK(restored_optimizer.skipped_steps() == 1);
  CHECK(restored_optimizer.loss_scale() == 32768.0);
  CHECK(file.metadata.at("epoch") == "4");
  BatchNorm2d wrong_model(2);
  CHECK_THROWS_WITH(
      load_state_dict(wrong_model, file, path, model_part),
      ("state dict: " + path + ": tensor 'model.weight' has shape [2,2,1,1], the model expects [2]").c_str());
  std::filesystem::remove(path);
}
