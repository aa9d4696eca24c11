"""PyTorch's time for the training step that `segrun bench train` times, for a side-by-side.

The same models (scripts/crosscheck/reference_models.py), the same combined loss
(reference_losses.py), batch and protocol: forward, loss, backward on the scaled loss, unscale,
clip at global norm 1, AdamW. With --amp: FP16 autocast and GradScaler, channels-last memory
format (PyTorch's fastest eager variant on GPUs). Prints one JSON object like segrun's bench.
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
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if args.amp and args.device != "cuda":
        parser.error("--amp needs --device cuda")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: PyTorch sees no GPU")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
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

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    times = []
    for i in range(args.warmup + args.runs):
        sync()
        start = time.perf_counter()
        step()
        sync()
        if i >= args.warmup:
            times.append(1000.0 * (time.perf_counter() - start))
    times.sort()
    median = times[len(times) // 2]
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None
    print(json.dumps({"bench": "train", "framework": "pytorch " + torch.__version__, "model": args.model,
                      "loss": args.loss, "device": args.device, "amp": args.amp,
                      "memory_format": "channels_last" if args.amp else "contiguous", "batch": args.batch,
                      "width": width, "height": height, "model_width": args.width, "runs": args.runs,
                      "step_ms": median, "step_ms_min": times[0], "img_per_s": 1000.0 * args.batch / median,
                      "peak_mib": peak, "peak_mib_source": "torch.cuda.max_memory_allocated" if peak else None}))


if __name__ == "__main__":
    main()
