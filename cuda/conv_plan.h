#pragma once
// cuDNN convolution plans: descriptors and algorithms for one convolution geometry, chosen
// on first use and cached by the context (the first call searches, later calls reuse).
#include <cudnn.h>

#include <array>
#include <cstddef>
#include <memory>
#include <unordered_map>

namespace segrun::cuda {

// A forward convolution in NHWC: input (n,h,w,c), filter (k,r,s,c/groups) in KRSC (= OHWI),
// output (n,out_h,out_w,k). A transposed convolution is the data gradient of such a conv.
struct ConvShape {
  int n = 0, h = 0, w = 0, c = 0;
  int k = 0, r = 0, s = 0;
  int out_h = 0, out_w = 0;
  int stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1, groups = 1;
  bool half = false;  // f16 storage with f32 accumulation; f32 otherwise

  std::array<int, 17> key() const {
    return {n,        h,        w,     c,     k,          r,          s,      out_h,       out_w,
            stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups, half ? 1 : 0};
  }
};

struct ConvAlgo {
  bool chosen = false;
  int algo = 0;
  size_t workspace_bytes = 0;
};

class ConvPlan {
 public:
  ConvPlan(const ConvShape& shape);
  ~ConvPlan();
  ConvPlan(const ConvPlan&) = delete;
  ConvPlan& operator=(const ConvPlan&) = delete;

  const ConvShape shape;
  cudnnTensorDescriptor_t x_desc = nullptr;
  cudnnTensorDescriptor_t y_desc = nullptr;
  cudnnFilterDescriptor_t w_desc = nullptr;
  // One convolution descriptor per direction: each carries the math type of its algorithm.
  cudnnConvolutionDescriptor_t forward_desc = nullptr;
  cudnnConvolutionDescriptor_t backward_data_desc = nullptr;
  cudnnConvolutionDescriptor_t backward_filter_desc = nullptr;
  ConvAlgo forward, backward_data, backward_filter;
};

struct ConvKeyHash {
  size_t operator()(const std::array<int, 17>& k) const {
    size_t h = 1469598103934665603ull;
    for (int v : k) h = (h ^ static_cast<size_t>(static_cast<unsigned>(v))) * 1099511628211ull;
    return h;
  }
};

class ConvPlanCache {
 public:
  ConvPlan& get(const ConvShape& shape);

 private:
  std::unordered_map<std::array<int, 17>, std::unique_ptr<ConvPlan>, ConvKeyHash> plans_;
};

}  // namespace segrun::cuda
