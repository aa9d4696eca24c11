"""PyTorch's time for the training step that `segrun bench train` times, for a side-by-side.

The same models (scripts/crosscheck/reference_models.py), the same combined loss
(reference_losses.py), batch and protocol: forward, loss, backward on the scaled loss, unscale,
clip at global norm 1, AdamW. With --amp: FP16 autocast and GradScaler, channels-last memory
format (PyTorch's fastest eager variant on GPUs). Prints one JSON object like segrun's bench.

Measured as `segrun bench train` measures (apps/segrun/bench_train.cpp), so the two figures compare:
- cuDNN picks its algorithms by timing them (torch.backends.cudnn.benchmark, on by default here;
  segrun uses cudnnFind), during the warm-up steps;
- the peak memory counts from the end of the warm-up (torch.cuda.reset_peak_memory_stats);
- step_ms is the median interval between the completions of successive steps, each awaited only
  after the next step has been launched: the steady-state time per step, the host's launch work
  overlapping the device's (GradScaler still waits for its found-inf flag inside every step, as in
  real PyTorch training). step_ms_mean is the mean of the same intervals.
The step runs eagerly (step_mode "eager"): compare it with segrun's eager figure (`segrun bench
train --cuda-graph off`), and segrun's CUDA-graph figure with PyTorch's whole-step CUDA graph in the
shared GPU.md (../shared/docs/GPU.md), never graph against eager.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crosscheck"))
import reference_losses  # noqa: E402
import reference_models  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="attention_unet", choices=("attention_unet", "deeplabv3plus"))
    parser.add_argument("--loss", default="dice_dominant", choices=sorted(reference_losses.CONFIGS))
    parser.add_argument("--size", default="512x256", help="input WIDTHxHEIGHT")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--width", type=int, default=64, help="model width (64 = full size)")
    parser.add_argument("--classes", type=int, default=19)
    parser.add_argument("--device", default="cuda", choices=("cpu", "cuda"))
    parser.add_argument("--amp", action="store_true", help="FP16 autocast + GradScaler, channels-last (CUDA)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    parser.add_argument("--cudnn-benchmark", default="on", choices=("on", "off"),
                        help="torch.backends.cudnn.benchmark: autotune convolution algorithms (default on)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (cuDNN autotunes in these)")
    parser.add_argument("--runs", type=int, default=30, help="timed steps; the median is reported")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be >= 3")
    if args.amp and args.device != "cuda":
        parser.error("--amp needs --device cuda")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: PyTorch sees no GPU")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark == "on"
    width, height = (int(v) for v in args.size.lower().split("x"))
    device = torch.device(args.device)
    torch.manual_seed(42)
    model = reference_models.make_model(args.model, 3, args.classes, args.width).to(device).train()
    memory_format = torch.channels_last if args.amp else torch.contiguous_format
    model = model.to(memory_format=memory_format)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)
    if hasattr(torch.amp, "GradScaler"):  # PyTorch >= 2.3
        scaler = torch.amp.GradScaler("cuda", enabled=args.amp)
    else:
        scaler = torch.cuda.amp.GradScaler(enabled=args.amp)
    images = torch.randn(args.batch, 3, height, width, device=device).to(memory_format=memory_format)
    target = torch.randint(0, args.classes, (args.batch, height, width), device=device)
    weights = reference_losses.CONFIGS[args.loss]

    def step():
        optimizer.zero_grad(set_to_none=True)
        if args.amp:
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                logits = model(images)
        else:
            logits = model(images)
        loss = reference_losses.combined(logits.float().permute(0, 2, 3, 1), target, weights)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()

    class Done:
        """A step's completion: a CUDA event after its last kernel (CPU steps finish before returning)."""

        def __init__(self):
            self.event = None
            if device.type == "cuda":
                self.event = torch.cuda.Event()
                self.event.record()

        def wait(self):
            if self.event is not None:
                self.event.synchronize()

    def launch():
        step()
        return Done()

    for _ in range(args.warmup):
        launch().wait()
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    # As segrun bench train: step k's completion is awaited after step k+1 is launched, and a step's
    # time is the interval between two successive completions.
    times = []
    in_flight = launch()
    last = None
    for i in range(args.runs + 1):
        following = launch()
        in_flight.wait()
        in_flight = following
        now = time.perf_counter()
        if i > 0:
            times.append(1000.0 * (now - last))
        last = now
    in_flight.wait()
    mean = sum(times) / len(times)
    times.sort()
    median = times[len(times) // 2]
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
    print(json.dumps({"bench": "train", "framework": "pytorch " + torch.__version__, "model": args.model,
                      "loss": args.loss, "device": args.device, "amp": args.amp,
                      "memory_format": "channels_last" if args.amp else "contiguous", "batch": args.batch,
                      "width": width, "height": height, "model_width": args.width, "warmup": args.warmup,
                      "runs": args.runs, "step_mode": "eager",
                      "cudnn_benchmark": torch.backends.cudnn.benchmark,
                      "timing": "median interval between successive step completions, next step launched",
                      "step_ms": median, "step_ms_mean": mean, "step_ms_min": times[0],
                      "img_per_s": 1000.0 * args.batch / median, "peak_mib": peak,
                      "peak_mib_source": None if peak is None else
                      "torch.cuda.max_memory_allocated after the warm-up"}))


if __name__ == "__main__":
    main()
