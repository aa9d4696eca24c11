#pragma once
// Every op front-end of the engine, for code outside engine/.
#include "engine/autograd.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/reduce.h"
#include "engine/random.h"
#include "engine/tensor.h"
