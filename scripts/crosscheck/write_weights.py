"""Writes PyTorch-initialised weights as safetensors with PyTorch names, for `segrun train --init`
and `--encoder-weights`.

  write_weights.py --model attention_unet --classes 19 --width 4 --out W.safetensors
  write_weights.py --encoder --width 8 --out R.safetensors   (ResNet-34 with torchvision names and fc)

Exits 3 when torch or numpy is not importable, so callers can report the check as skipped.
"""
import argparse
import os
import sys

try:
    import numpy as np
    import torch
except ImportError as error:
    print("write_weights: PyTorch/numpy not importable (%s)" % error)
    sys.exit(3)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_models  # noqa: E402
import safetensors_io  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="attention_unet", choices=("attention_unet", "deeplabv3plus"))
    parser.add_argument("--classes", type=int, default=19)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--encoder", action="store_true",
                        help="a ResNet-34 classifier state dict (torchvision names, fc.* of 1000 classes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    if args.encoder:
        model = reference_models.ResNet34Encoder(3, args.width)
        model.fc = torch.nn.Linear(8 * args.width, 1000)  # what a classifier checkpoint carries
    else:
        model = reference_models.make_model(args.model, 3, args.classes, args.width)
    tensors = {}
    for name, value in model.state_dict().items():
        array = value.detach().numpy()
        tensors[name] = array.astype(np.int64) if name.endswith("num_batches_tracked") else array.astype(np.float32)
    safetensors_io.write(args.out, tensors)
    print("%d tensors -> %s" % (len(tensors), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
