#pragma once
// Every op front-end of the engine, for code outside engine/.
#include "engine/autograd.h"
#include "engine/ops/concat.h"
#include "engine/ops/conv.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/norm.h"
#include "engine/ops/optim.h"
#include "engine/ops/pool.h"
#include "engine/ops/reduce.h"
#include "engine/ops/resize.h"
#include "engine/ops/softmax.h"
#include "engine/random.h"
#include "engine/tensor.h"
