"""PyTorch's time for the CamVid training run that `scripts/bench-camvid-vs-pytorch.sh` times.

The protocol of `segrun train --dataset camvid` on the CPU: the same model
(scripts/crosscheck/reference_models.py), the combined loss (reference_losses.py) with ENet class
weights from the resized training labels, AdamW (weight decay 1e-4) with global-norm clipping
at 1.0, a reshuffled order every epoch, the augmentation of docs/REFERENCE.md section 5.6
(flip, brightness, contrast, saturation, hue, in that order) and ImageNet normalisation, and a
validation pass (mIoU) after every epoch. The images are decoded and resized once before the
timed epochs, as segrun's split cache does; PIL's bilinear filter for images, nearest for
labels. Prints one JSON line per epoch with its wall time and phases, like segrun's log.jsonl.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crosscheck"))
import reference_losses  # noqa: E402
import reference_models  # noqa: E402

CLASSES = 11
VOID = 11  # CamVid's "Unlabelled", mapped to the ignore label
IGNORE = 255
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def load_split(root, split, width, height):
    """Decoded, resized images (N, H, W, 3) uint8 and labels (N, H, W) uint8 of one split."""
    images, labels = [], []
    with open(os.path.join(root, split + ".txt")) as listing:
        for line in listing:
            if not line.strip():
                continue
            image_path, label_path = line.split()
            image = Image.open(os.path.join(root, image_path)).convert("RGB").resize((width, height), Image.BILINEAR)
            label = Image.open(os.path.join(root, label_path)).resize((width, height), Image.NEAREST)
            label = np.array(label, dtype=np.uint8)
            label[label == VOID] = IGNORE
            images.append(np.array(image, dtype=np.uint8))
            labels.append(label)
    return torch.from_numpy(np.stack(images)), torch.from_numpy(np.stack(labels))


def enet_weights(labels):
    counts = torch.bincount(labels[labels != IGNORE].long().flatten(), minlength=CLASSES).double()
    return (1.0 / torch.log(1.02 + counts / counts.sum())).float()


def grey(x):
    return 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]


def rgb_to_hsv(x):
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    maxc, _ = x.max(dim=1)
    minc, _ = x.min(dim=1)
    delta = maxc - minc
    s = delta / torch.where(maxc == 0, torch.ones_like(maxc), maxc)
    safe = torch.where(delta == 0, torch.ones_like(delta), delta)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = torch.where(maxc == r, bc - gc, torch.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = torch.where(delta == 0, torch.zeros_like(h), (h / 6.0) % 1.0)
    return torch.stack((h, s, maxc), dim=1)


def hsv_to_rgb(x):
    h, s, v = x[:, 0], x[:, 1], x[:, 2]
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.long() % 6
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = torch.zeros_like(x)
    for k, (rr, gg, bb) in enumerate(choices):
        mask = i == k
        out[:, 0] = torch.where(mask, rr, out[:, 0])
        out[:, 1] = torch.where(mask, gg, out[:, 1])
        out[:, 2] = torch.where(mask, bb, out[:, 2])
    return out


def augment(x, labels, generator):
    """Section 5.6 per sample, on (N, 3, H, W) floats in [0, 1] and (N, H, W) labels."""
    for n in range(x.shape[0]):
        u = torch.rand(5, generator=generator).tolist()
        img = x[n:n + 1]
        if u[0] < 0.5:
            img = img.flip(-1)
            labels[n] = labels[n].flip(-1)
        img = (img * (0.8 + 0.4 * u[1])).clamp(0, 1)
        c = 0.8 + 0.4 * u[2]
        img = (c * img + (1 - c) * grey(img).mean()).clamp(0, 1)
        s = 0.9 + 0.2 * u[3]
        img = (s * img + (1 - s) * grey(img)).clamp(0, 1)
        hsv = rgb_to_hsv(img)
        hsv[:, 0] = (hsv[:, 0] + (-0.1 + 0.2 * u[4])) % 1.0
        x[n:n + 1] = hsv_to_rgb(hsv)
    return x, labels


def batch(images, labels, index, generator=None):
    x = images[index].permute(0, 3, 1, 2).float() / 255.0
    y = labels[index].clone()
    if generator is not None:
        x, y = augment(x, y, generator)
    return (x - MEAN) / STD, y


def mean_iou(confusion):
    tp = confusion.diag().double()
    union = confusion.sum(0).double() + confusion.sum(1).double() - tp
    present = union > 0
    return float((tp[present] / union[present]).mean()) if bool(present.any()) else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="CamVid folder (train.txt, val.txt)")
    parser.add_argument("--model", default="attention_unet", choices=["attention_unet", "deeplabv3plus"])
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--size", default="160x128", help="WIDTHxHEIGHT")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--loss", default="dice_dominant", choices=sorted(reference_losses.CONFIGS))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    width, height = (int(v) for v in args.size.lower().split("x"))

    started = time.perf_counter()
    train_images, train_labels = load_split(args.root, "train", width, height)
    val_images, val_labels = load_split(args.root, "val", width, height)
    class_weight = enet_weights(train_labels)
    print(json.dumps({"event": "data", "train": len(train_images), "val": len(val_images),
                      "load_s": time.perf_counter() - started}), flush=True)

    model = reference_models.make_model(args.model, 3, CLASSES, args.width).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    weights = reference_losses.CONFIGS[args.loss]
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        epoch_start = time.perf_counter()
        phases = {"data_wait": 0.0, "forward": 0.0, "backward": 0.0, "optimizer": 0.0}
        model.train()
        order = torch.randperm(len(train_images), generator=generator)
        losses = []
        for first in range(0, len(order), args.batch):
            t0 = time.perf_counter()
            x, y = batch(train_images, train_labels, order[first:first + args.batch], generator)
            t1 = time.perf_counter()
            logits = model(x)
            loss = reference_losses.combined(logits.permute(0, 2, 3, 1), y, weights, class_weight)
            t2 = time.perf_counter()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            t3 = time.perf_counter()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            t4 = time.perf_counter()
            phases["data_wait"] += t1 - t0
            phases["forward"] += t2 - t1
            phases["backward"] += t3 - t2
            phases["optimizer"] += t4 - t3
            losses.append(float(loss))
        val_start = time.perf_counter()
        model.eval()
        confusion = torch.zeros(CLASSES, CLASSES, dtype=torch.long)
        with torch.no_grad():
            for first in range(0, len(val_images), args.batch):
                x, y = batch(val_images, val_labels, torch.arange(first, min(first + args.batch, len(val_images))))
                predicted = model(x).argmax(1)
                valid = y != IGNORE
                confusion += torch.bincount(y[valid].long() * CLASSES + predicted[valid],
                                            minlength=CLASSES * CLASSES).view(CLASSES, CLASSES)
        phases["validation"] = time.perf_counter() - val_start
        finite = [v for v in losses if math.isfinite(v)]
        print(json.dumps({"event": "epoch", "epoch": epoch, "time_s": time.perf_counter() - epoch_start,
                          "phases_s": phases, "train_loss": sum(finite) / max(len(finite), 1),
                          "val_miou": mean_iou(confusion), "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
