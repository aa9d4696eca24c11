// segrun bench: times engine work and prints one JSON object. `bench conv` times one
// convolution layer (forward, optionally data + filter gradients).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/segrun/commands.h"
#include "apps/segrun/flag_limits.h"
#include "engine/backend_info.h"
#include "engine/error.h"
#include "engine/ops.h"

namespace segrun::app {

namespace {

struct ConvBenchOptions {
  int64_t cin = 64, cout = 64, k = 3;
  std::string size = "256x128";  // W x H
  int64_t batch = 1;
  int threads = 0;
  std::string device = "cpu";
  std::string dtype = "f32";
  bool backward = false;
  int stride = 1, pad = -1, dilation = 1, groups = 1;  // pad -1: "same" padding
  int warmup = 2, runs = 7;
};

// "256x128" -> {256, 128}.
std::pair<int64_t, int64_t> parse_size(const std::string& s) {
  const size_t x = s.find('x');
  size_t used_w = 0, used_h = 0;
  int64_t w = 0, h = 0;
  try {
    w = std::stoll(s.substr(0, x), &used_w);
    h = std::stoll(s.substr(x + 1), &used_h);
  } catch (const std::exception&) {
    throw_invalid("bench conv: --size must be WxH (e.g. 256x128), got '", s, "'");
  }
  SEGRUN_CHECK_ARG(x != std::string::npos && used_w == x && used_h == s.size() - x - 1 && w > 0 && h > 0,
                   "bench conv: --size must be WxH with positive sizes (e.g. 256x128), got '", s, "'");
  return {w, h};
}

DType parse_dtype(const std::string& s) {
  if (s == "f32") return DType::F32;
  if (s == "f64") return DType::F64;
  if (s == "f16") return DType::F16;
  throw_invalid("bench conv: --dtype must be f32, f64 or f16, got '", s, "'");
}

Device bench_device(const std::string& s) {
  const Device device = Device::parse(s);
  SEGRUN_CHECK_ARG(device.is_cpu() || cuda_info().built, "bench conv: --device ", s,
                   " needs a segrun built with CUDA; this build has none (configure with -DSEGRUN_CUDA=ON)");
  return device;
}

// Device work is asynchronous: reading one element back waits for everything queued before it.
void wait_for(const Tensor& t) {
  if (t.is_cuda()) (void)t.reshape({t.numel()}).slice(0, 1).to(Device::cpu());
}

// Wall time is what the benchmark reports; process CPU time (all threads) is kept beside it
// because on a shared machine other processes stretch the wall time but not the CPU time.
struct Sample {
  double wall_ms = 0, cpu_ms = 0;
};

class Stopwatch {
 public:
  Stopwatch() : wall_(std::chrono::steady_clock::now()), cpu_(cpu_now_ms()) {}
  Sample elapsed() const {
    return {std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_).count(),
            cpu_now_ms() - cpu_};
  }

 private:
  static double cpu_now_ms() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
  }
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

struct Timing {
  double median_ms = 0, min_ms = 0, median_cpu_ms = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// run_once returns the Sample of the part it times.
template <typename F>
Timing time_runs(const ConvBenchOptions& o, F run_once) {
  for (int i = 0; i < o.warmup; ++i) run_once();
  std::vector<double> wall, cpu;
  for (int i = 0; i < o.runs; ++i) {
    const Sample s = run_once();
    wall.push_back(s.wall_ms);
    cpu.push_back(s.cpu_ms);
  }
  return {median(wall), *std::min_element(wall.begin(), wall.end()), median(cpu)};
}

// The layer being timed: its arguments, random operands and multiply-add count.
struct ConvLayer {
  Conv2dArgs args;
  Tensor x, w;
  Shape out_shape;
  double flops = 0;
};

ConvLayer make_layer(const ConvBenchOptions& o, int64_t width, int64_t height, Device device, DType dtype) {
  const int pad = o.pad >= 0 ? o.pad : o.dilation * static_cast<int>(o.k - 1) / 2;
  ConvLayer layer;
  layer.args = Conv2dArgs::make(o.stride, pad, o.dilation, o.groups);
  Generator gen(42);
  layer.x = gen.uniform({o.batch, height, width, o.cin}, -1.0, 1.0, DType::F32).contiguous_copy_on(device, dtype);
  layer.w = gen.uniform({o.cout, o.k, o.k, o.cin / o.groups}, -0.1, 0.1, DType::F32).contiguous_copy_on(device, dtype);
  NoGradGuard no_grad;
  layer.out_shape = conv2d(layer.x, layer.w, Tensor(), layer.args).shape();
  layer.flops =
      2.0 * static_cast<double>(shape_numel(layer.out_shape)) * static_cast<double>(o.k * o.k * (o.cin / o.groups));
  return layer;
}

Timing time_forward(const ConvBenchOptions& o, const ConvLayer& layer) {
  return time_runs(o, [&] {
    NoGradGuard no_grad;
    const Stopwatch watch;
    wait_for(conv2d(layer.x, layer.w, Tensor(), layer.args));
    return watch.elapsed();
  });
}

// Data and filter gradients of one layer (twice the forward's multiply-adds); the forward that
// records the graph is not timed.
Timing time_backward(const ConvBenchOptions& o, ConvLayer& layer) {
  layer.x.set_requires_grad(true);
  layer.w.set_requires_grad(true);
  const Tensor grad_y = Generator(43)
                            .uniform(layer.out_shape, -1.0, 1.0, DType::F32)
                            .contiguous_copy_on(layer.x.device(), layer.x.dtype());
  return time_runs(o, [&] {
    layer.x.set_grad(Tensor());
    layer.w.set_grad(Tensor());
    const Tensor y = conv2d(layer.x, layer.w, Tensor(), layer.args);
    wait_for(y);
    const Stopwatch watch;
    backward(y, grad_y);
    wait_for(layer.w.grad());
    return watch.elapsed();
  });
}

void run_conv_bench(const ConvBenchOptions& o) {
  SEGRUN_CHECK_ARG(o.runs >= 5 && o.warmup >= 0, "bench conv: --runs must be >= 5 and --warmup >= 0");
  SEGRUN_CHECK_ARG(o.cin > 0 && o.cout > 0 && o.k > 0 && o.batch > 0 && o.groups > 0,
                   "bench conv: --cin, --cout, --k, --batch and --groups must be positive");
  const auto [width, height] = parse_size(o.size);
  const Device device = bench_device(o.device);
  const DType dtype = parse_dtype(o.dtype);
  set_cpu_threads(o.threads);
  ConvLayer layer = make_layer(o, width, height, device, dtype);
  const Timing fwd = time_forward(o, layer);
  nlohmann::json out = {{"bench", "conv"},
                        {"device", device.str()},
                        {"dtype", o.dtype},
                        {"threads", cpu_thread_count()},
                        {"batch", o.batch},
                        {"cin", o.cin},
                        {"cout", o.cout},
                        {"k", o.k},
                        {"width", width},
                        {"height", height},
                        {"stride", o.stride},
                        {"pad", layer.args.pad_h},
                        {"dilation", o.dilation},
                        {"groups", o.groups},
                        {"out_shape", layer.out_shape},
                        {"warmup", o.warmup},
                        {"runs", o.runs},
                        {"ms", fwd.median_ms},
                        {"ms_min", fwd.min_ms},
                        {"gflops", layer.flops / fwd.median_ms * 1e-6},
                        {"cpu_ms", fwd.median_cpu_ms}};
  if (o.backward) {
    const Timing bwd = time_backward(o, layer);
    out["backward_ms"] = bwd.median_ms;
    out["backward_ms_min"] = bwd.min_ms;
    out["backward_gflops"] = 2.0 * layer.flops / bwd.median_ms * 1e-6;
    out["backward_cpu_ms"] = bwd.median_cpu_ms;
  }
  std::printf("%s\n", out.dump().c_str());
}

void add_bench_conv(CLI::App& bench) {
  auto o = std::make_shared<ConvBenchOptions>();
  CLI::App* cmd = bench.add_subcommand("conv", "Time one NHWC convolution layer (no bias)");
  cmd->add_option("--cin", o->cin, "Input channels")->capture_default_str();
  cmd->add_option("--cout", o->cout, "Output channels")->capture_default_str();
  cmd->add_option("--k", o->k, "Square kernel size")->capture_default_str();
  cmd->add_option("--size", o->size, "Input width x height, e.g. 256x128")->capture_default_str();
  cmd->add_option("--batch", o->batch, "Batch size")->capture_default_str();
  cmd->add_option("--stride", o->stride, "Stride")->capture_default_str();
  cmd->add_option("--pad", o->pad, "Padding (default: same, dilation*(k-1)/2)");
  cmd->add_option("--dilation", o->dilation, "Dilation")->capture_default_str();
  cmd->add_option("--groups", o->groups, "Groups (cin for depthwise)")->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU threads (0: OpenMP default)")
      ->check(CLI::Range(0, kMaxThreads))
      ->capture_default_str();
  cmd->add_option("--device", o->device, "cpu or cuda[:N]")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "f32, f64 or f16")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "Untimed runs first")->capture_default_str();
  cmd->add_option("--runs", o->runs, "Timed runs (>= 5); the median is reported")->capture_default_str();
  cmd->add_flag("--backward", o->backward, "Also time the data + filter gradients");
  cmd->callback([o] { run_conv_bench(*o); });
}

}  // namespace

void add_bench_command(CLI::App& root) {
  CLI::App* bench = root.add_subcommand("bench", "Time engine work; prints one JSON object");
  bench->require_subcommand(1);
  add_bench_conv(*bench);
  add_bench_train(*bench);
}

}  // namespace segrun::app
