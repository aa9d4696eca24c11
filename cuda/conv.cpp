#include "cuda/conv.h"

#include <stdexcept>
#include <string>

#include "cuda/check.h"
#include "cuda/context.h"

namespace segrun::cuda {

namespace {
constexpr int kMaxAlgos = 16;

cudnnDataType_t data_type(bool half) {
  return half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
}

// f32 convolutions stay on FMA kernels: TF32 tensor cores would break f32 parity with the CPU.
cudnnMathType_t default_math(bool half) {
  return half ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
}

void init_conv_desc(cudnnConvolutionDescriptor_t* desc, const ConvShape& s) {
  SEGRUN_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(desc));
  SEGRUN_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(*desc, s.pad_h, s.pad_w, s.stride_h, s.stride_w, s.dilation_h,
                                                     s.dilation_w, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  SEGRUN_CUDNN_CHECK(cudnnSetConvolutionGroupCount(*desc, s.groups));
  SEGRUN_CUDNN_CHECK(cudnnSetConvolutionMathType(*desc, default_math(s.half)));
}

std::string describe(const ConvShape& s) {
  return "input [" + std::to_string(s.n) + "," + std::to_string(s.h) + "," + std::to_string(s.w) + "," +
         std::to_string(s.c) + "] filter [" + std::to_string(s.k) + "," + std::to_string(s.r) + "," +
         std::to_string(s.s) + "," + std::to_string(s.c / s.groups) + "] groups " + std::to_string(s.groups);
}

// The fastest measured algorithm that ran; for f32 one that used FMA math only.
template <typename Perf>
ConvAlgo pick(const Perf* perf, int count, cudnnConvolutionDescriptor_t desc, const ConvShape& s, const char* dir) {
  for (int i = 0; i < count; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    if (!s.half && perf[i].mathType != CUDNN_FMA_MATH && perf[i].mathType != CUDNN_DEFAULT_MATH) continue;
    SEGRUN_CUDNN_CHECK(cudnnSetConvolutionMathType(desc, s.half ? perf[i].mathType : CUDNN_FMA_MATH));
    return {true, static_cast<int>(perf[i].algo), perf[i].memory};
  }
  throw std::runtime_error(std::string("conv: cuDNN has no ") + dir + " algorithm for " + describe(s));
}
}  // namespace

ConvPlan::ConvPlan(const ConvShape& s) : shape(s) {
  const cudnnDataType_t dt = data_type(s.half);
  SEGRUN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x_desc));
  SEGRUN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x_desc, CUDNN_TENSOR_NHWC, dt, s.n, s.c, s.h, s.w));
  SEGRUN_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y_desc));
  SEGRUN_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y_desc, CUDNN_TENSOR_NHWC, dt, s.n, s.k, s.out_h, s.out_w));
  SEGRUN_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w_desc));
  SEGRUN_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w_desc, dt, CUDNN_TENSOR_NHWC, s.k, s.c / s.groups, s.r, s.s));
  init_conv_desc(&forward_desc, s);
  init_conv_desc(&backward_data_desc, s);
  init_conv_desc(&backward_filter_desc, s);
  int n = 0, c = 0, h = 0, w = 0;
  SEGRUN_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(forward_desc, x_desc, w_desc, &n, &c, &h, &w));
  if (n != s.n || c != s.k || h != s.out_h || w != s.out_w)
    throw std::invalid_argument("conv: cuDNN computes output [" + std::to_string(n) + "," + std::to_string(h) + "," +
                                std::to_string(w) + "," + std::to_string(c) + "] for " + describe(s) + ", expected [" +
                                std::to_string(s.n) + "," + std::to_string(s.out_h) + "," + std::to_string(s.out_w) +
                                "," + std::to_string(s.k) + "]");
}

ConvPlan::~ConvPlan() {
  cudnnDestroyConvolutionDescriptor(backward_filter_desc);
  cudnnDestroyConvolutionDescriptor(backward_data_desc);
  cudnnDestroyConvolutionDescriptor(forward_desc);
  cudnnDestroyFilterDescriptor(w_desc);
  cudnnDestroyTensorDescriptor(y_desc);
  cudnnDestroyTensorDescriptor(x_desc);
}

ConvPlan& ConvPlanCache::get(const ConvShape& shape) {
  auto& slot = plans_[shape.key()];
  if (!slot) slot = std::make_unique<ConvPlan>(shape);
  return *slot;
}

void conv_forward(const ConvShape& shape, const void* x, const void* w, void* y) {
  CudaContext& ctx = context();
  ConvPlan& p = ctx.conv_plans().get(shape);
  if (!p.forward.chosen) {
    cudnnConvolutionFwdAlgoPerf_t perf[kMaxAlgos];
    int count = 0;
    SEGRUN_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(ctx.cudnn(), p.x_desc, p.w_desc, p.forward_desc, p.y_desc,
                                                            kMaxAlgos, &count, perf));
    p.forward = pick(perf, count, p.forward_desc, shape, "forward");
  }
  const float one = 1.0f, zero = 0.0f;
  void* ws = ctx.workspace(p.forward.workspace_bytes);
  SEGRUN_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn(), &one, p.x_desc, x, p.w_desc, w, p.forward_desc,
                                             static_cast<cudnnConvolutionFwdAlgo_t>(p.forward.algo), ws,
                                             p.forward.workspace_bytes, &zero, p.y_desc, y));
}

void conv_backward_data(const ConvShape& shape, const void* w, const void* dy, void* dx) {
  CudaContext& ctx = context();
  ConvPlan& p = ctx.conv_plans().get(shape);
  if (!p.backward_data.chosen) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[kMaxAlgos];
    int count = 0;
    SEGRUN_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(ctx.cudnn(), p.w_desc, p.y_desc, p.backward_data_desc,
                                                                 p.x_desc, kMaxAlgos, &count, perf));
    p.backward_data = pick(perf, count, p.backward_data_desc, shape, "backward-data");
  }
  const float one = 1.0f, zero = 0.0f;
  void* ws = ctx.workspace(p.backward_data.workspace_bytes);
  SEGRUN_CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.cudnn(), &one, p.w_desc, w, p.y_desc, dy, p.backward_data_desc,
                                                  static_cast<cudnnConvolutionBwdDataAlgo_t>(p.backward_data.algo), ws,
                                                  p.backward_data.workspace_bytes, &zero, p.x_desc, dx));
}

void conv_backward_filter(const ConvShape& shape, const void* x, const void* dy, void* dw) {
  CudaContext& ctx = context();
  ConvPlan& p = ctx.conv_plans().get(shape);
  if (!p.backward_filter.chosen) {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[kMaxAlgos];
    int count = 0;
    SEGRUN_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(
        ctx.cudnn(), p.x_desc, p.y_desc, p.backward_filter_desc, p.w_desc, kMaxAlgos, &count, perf));
    p.backward_filter = pick(perf, count, p.backward_filter_desc, shape, "backward-filter");
  }
  const float one = 1.0f, zero = 0.0f;
  void* ws = ctx.workspace(p.backward_filter.workspace_bytes);
  SEGRUN_CUDNN_CHECK(
      cudnnConvolutionBackwardFilter(ctx.cudnn(), &one, p.x_desc, x, p.y_desc, dy, p.backward_filter_desc,
                                     static_cast<cudnnConvolutionBwdFilterAlgo_t>(p.backward_filter.algo), ws,
                                     p.backward_filter.workspace_bytes, &zero, p.w_desc, dw));
}

}  // namespace segrun::cuda
