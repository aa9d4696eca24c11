"""PyTorch's time for the convolution that `segrun bench conv --backward` times, for a side-by-side.

One 2D convolution, no bias, random operands; the forward is timed alone, then the data and filter
gradients of the same layer (the forward that records the graph is not timed). Channels-last
memory format by default (oneDNN's fastest CPU layout here; segrun's layout is NHWC too).
Prints one JSON object with the same fields as segrun's bench.
"""
import argparse
import json
import time

import torch


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cin", type=int, default=64)
    parser.add_argument("--cout", type=int, default=64)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--size", default="256x128", help="input WIDTHxHEIGHT")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    parser.add_argument("--contiguous", action="store_true", help="NCHW instead of channels-last")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    width, height = (int(v) for v in args.size.lower().split("x"))
    fmt = torch.contiguous_format if args.contiguous else torch.channels_last
    torch.manual_seed(42)
    conv = torch.nn.Conv2d(args.cin, args.cout, args.k, padding=args.k // 2, bias=False).to(memory_format=fmt)
    x = torch.rand(args.batch, args.cin, height, width).to(memory_format=fmt).requires_grad_(True)

    def forward():
        with torch.no_grad():
            start = time.perf_counter()
            conv(x)
            return 1000.0 * (time.perf_counter() - start)

    grad_y = None

    def backward():
        nonlocal grad_y
        x.grad = None
        conv.weight.grad = None
        y = conv(x)
        if grad_y is None:
            grad_y = torch.rand_like(y)
        start = time.perf_counter()
        y.backward(grad_y)
        return 1000.0 * (time.perf_counter() - start)

    results = {}
    for name, fn in (("ms", forward), ("backward_ms", backward)):
        for _ in range(args.warmup):
            fn()
        times = [fn() for _ in range(args.runs)]
        results[name] = median(times)
        results[name + "_min"] = min(times)
    print(json.dumps({"bench": "conv", "framework": "pytorch " + torch.__version__, "device": "cpu",
                      "threads": torch.get_num_threads(), "batch": args.batch, "cin": args.cin,
                      "cout": args.cout, "k": args.k, "width": width, "height": height,
                      "memory_format": "contiguous" if args.contiguous else "channels_last",
                      "warmup": args.warmup, "runs": args.runs, **results}))


if __name__ == "__main__":
    main()
