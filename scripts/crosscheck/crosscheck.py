"""Independent PyTorch cross-check of segrun's parameter counts, losses, forward passes and
training trajectories.

Runs `segrun info`, `segrun loss`, `segrun forward` and `segrun steps` on seeded random inputs
and compares their outputs with the torch references in reference_losses.py and
reference_models.py.
Prints one table row per check and exits 1 if any check fails (0 if torch is missing).
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
except ImportError as error:
    print("crosscheck: skipped, PyTorch/numpy not importable (%s)" % error)
    sys.exit(1 if "--require-torch" in sys.argv else 0)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_losses  # noqa: E402
import reference_models  # noqa: E402
import safetensors_io  # noqa: E402

EXPECTED_PARAMS = {"attention_unet": 31390335, "deeplabv3plus": 22442083}
LOSS_TOLERANCE = 1e-5     # relative; segrun computes in f32 from f32 logits
FORWARD_TOLERANCE = 1e-4  # max abs error relative to max |logit|
# With --amp the activations are stored in FP16 (unit roundoff 4.9e-4) from the first
# convolution to the logits, and every convolution runs on FP16 inputs and weights, tens of
# layers deep: the roundings compound, batch norm rescales them, and max-pool and ReLU flips
# magnify them. Emulating FP16 storage on the CPU put DeepLabV3+'s logits 3.9e-2 (relative
# L2) from f32's, so the AMP forward is checked at 0.1: a wrong kernel is off by O(1).
FORWARD_TOLERANCE_AMP = 1e-1


class Table:
    def __init__(self):
        self.rows = []

    def add(self, check, metric, value, tolerance, passed):
        self.rows.append((check, metric, value, tolerance, bool(passed)))
        print("%-44s %-26s %-12s %-10s %s" % (check, metric, _fmt(value), _fmt(tolerance),
                                               "PASS" if passed else "FAIL"), flush=True)

    def failures(self):
        return [row for row in self.rows if not row[4]]


def _fmt(value):
    if isinstance(value, float):
        return "%.3g" % value
    return str(value)


def run_segrun(segrun, *args):
    result = subprocess.run([segrun] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    if result.returncode != 0:
        raise RuntimeError("%s %s failed (%d): %s" % (segrun, " ".join(args), result.returncode,
                                                       result.stderr.strip() or result.stdout.strip()))
    return result.stdout


def relative_error(actual, expected):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.abs(expected).max()), 1e-30)
    return float(np.abs(actual - expected).max()) / scale


# ----------------------------------------------------------------------------- (a) parameters

def check_parameters(segrun, table):
    for name, expected in EXPECTED_PARAMS.items():
        info = json.loads(run_segrun(segrun, "info", "--model", name, "--classes", "19", "--json"))
        model = reference_models.make_model(name, 3, 19, 64)
        count = reference_models.parameter_count(model)
        table.add("params %s" % name, "torch / segrun", "%d / %d" % (count, info["params"]), expected,
                  count == expected and info["params"] == expected)
        ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        theirs = {t["name"]: tuple(t["shape"]) for t in info["tensors"]}
        differing = sorted(set(ours.items()) ^ set(theirs.items()))
        for entry in differing[:5]:
            print("  name/shape only on one side: %s %s" % entry)
        table.add("state names+shapes %s" % name, "entries differing", len(differing), 0, not differing)


# ----------------------------------------------------------------------------- (b) losses

def make_loss_case(seed, classes, absent, ignore_fraction, n=2, h=16, w=24):
    rng = np.random.RandomState(seed)
    logits = (2.0 * rng.randn(n, h, w, classes)).astype(np.float32)
    present = [c for c in range(classes) if c not in absent]
    target = rng.choice(present, size=(n, h, w)).astype(np.int64)
    target[rng.rand(n, h, w) < ignore_fraction] = 255
    class_weight = rng.uniform(0.2, 3.0, size=classes).astype(np.float32)
    return logits, target, class_weight


def loss_cases():
    """(label, logits, target, class weight or None, target file dtype)."""
    cases = []
    for classes, seed, absent, dtype in ((19, 1, (3, 7, 15), np.uint8), (11, 2, (4, 9), np.int64)):
        logits, target, weight = make_loss_case(seed, classes, absent, 0.15)
        cases.append(("C=%d" % classes, logits, target, None, dtype))
        cases.append(("C=%d weighted" % classes, logits, target, weight, dtype))
    logits, target, weight = make_loss_case(3, 11, (), 0.0)
    cases.append(("C=11 all ignored", logits, np.full_like(target, 255), weight, np.uint8))
    return cases


def run_loss_case(segrun, workdir, logits, target, class_weight, dtype, config, dice_absent):
    logits_path = os.path.join(workdir, "logits.safetensors")
    target_path = os.path.join(workdir, "target.safetensors")
    output_path = os.path.join(workdir, "loss.safetensors")
    safetensors_io.write(logits_path, {"logits": logits})
    target_tensors = {"target": target.astype(dtype)}
    if class_weight is not None:
        target_tensors["class_weight"] = class_weight
    safetensors_io.write(target_path, target_tensors)
    run_segrun(segrun, "loss", "--config", config, "--logits", logits_path, "--target", target_path,
               "--output", output_path, "--dice-absent", dice_absent)
    return safetensors_io.read(output_path)


def check_losses(segrun, workdir, table):
    worst_by_term = {}
    for label, logits, target, class_weight, dtype in loss_cases():
        z = torch.from_numpy(logits.astype(np.float64))
        t = torch.from_numpy(target)
        w = None if class_weight is None else torch.from_numpy(class_weight.astype(np.float64))
        runs = [(config, "include") for config in reference_losses.CONFIGS]
        runs += [("equal", "mask"), ("dice_only", "mask")]
        include = reference_losses.dice(z, t, "include")
        print("  %s: %d of %d pixels valid, %d classes present; reference dice %.6f (include), %.6f (mask)"
              % (label, int((t != 255).sum()), t.numel(), len(set(t[t != 255].tolist())), float(include),
                 float(reference_losses.dice(z, t, "mask"))))
        for config, absent in runs:
            ours = reference_losses.evaluate(z, t, reference_losses.CONFIGS[config], w, absent)
            theirs = run_loss_case(segrun, workdir, logits, target, class_weight, dtype, config, absent)
            errors = {key: _scalar_error(float(theirs[key]), ours[key]) for key in ("ce", "dice", "focal", "loss")}
            errors["grad"] = _grad_error(theirs["grad"], ours["grad"].numpy())
            worst = max(errors, key=errors.get)
            for key, error in errors.items():
                worst_by_term[key] = max(worst_by_term.get(key, 0.0), error)
            check = "loss %s %s%s" % (label, config, " dice=mask" if absent == "mask" else "")
            table.add(check, "max rel err (%s)" % worst, errors[worst], LOSS_TOLERANCE,
                      errors[worst] <= LOSS_TOLERANCE)
    print("  worst relative error over all loss checks: " +
          ", ".join("%s %.3g" % (key, error) for key, error in worst_by_term.items()))


def _scalar_error(actual, expected):
    if expected == 0.0:
        return abs(actual)
    return abs(actual - expected) / abs(expected)


def _grad_error(actual, expected):
    if actual.shape != expected.shape:
        return float("inf")
    if not np.abs(expected).max() > 0:
        return float(np.abs(actual).max())
    return relative_error(actual, expected)


# ----------------------------------------------------------------------------- (c) forward

def randomise(model, seed, calibration_shape):
    """Seeded random weights; BN running statistics from a training-mode pass, then perturbed."""
    torch.manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.conv._ConvNd):
            module.reset_parameters()
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # cumulative average over the calibration pass
    model.train()
    with torch.no_grad():
        model(torch.randn(*calibration_shape))
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                c = module.num_features
                module.running_mean += 0.2 * torch.randn(c) * module.running_var.sqrt()
                module.running_var *= torch.empty(c).uniform_(0.5, 2.0)
                module.weight.copy_(torch.empty(c).uniform_(0.5, 1.5))
                module.bias.copy_(0.1 * torch.randn(c))
                module.num_batches_tracked.fill_(int(torch.randint(1, 1000, ())))
                module.momentum = 0.1
    model.eval()


def save_state_dict(model, path):
    tensors = {}
    for name, value in model.state_dict().items():
        array = value.detach().numpy()
        tensors[name] = array.astype(np.int64) if name.endswith("num_batches_tracked") else array.astype(np.float32)
    safetensors_io.write(path, tensors)


def check_forward(segrun, workdir, table, name, classes, width, shape, seed, device="cpu", amps=(False,)):
    """segrun's forward in each precision of amps (False: f32, True: AMP) against one f64 reference."""
    n, h, w = shape
    model = reference_models.make_model(name, 3, classes, width)
    randomise(model, seed, (2, 3, h, w))
    weights_path = os.path.join(workdir, "weights.safetensors")
    input_path = os.path.join(workdir, "input.safetensors")
    output_path = os.path.join(workdir, "logits.safetensors")
    save_state_dict(model, weights_path)
    x = np.random.RandomState(seed).randn(n, h, w, 3).astype(np.float32)
    safetensors_io.write(input_path, {"input": x})
    ours = None
    for amp in amps:
        start = time.time()
        run_segrun(segrun, "forward", "--model", name, "--classes", str(classes), "--width", str(width),
                   "--weights", weights_path, "--input", input_path, "--output", output_path, "--device", device,
                   *(["--amp"] if amp else []))
        seconds = time.time() - start
        theirs = safetensors_io.read(output_path)["logits"]
        if ours is None:
            # The reference runs in f64 from the same f32 weights, so the error is segrun's own. It is the
            # costly half of a large case, and the same for every precision segrun runs in: computed once.
            reference = model.double()
            with torch.no_grad():
                ours = reference(torch.from_numpy(x.astype(np.float64)).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
        check = "forward %s w%d C=%d %dx%dx%d%s" % (name, width, classes, n, h, w,
                                                     "" if device == "cpu" else " " + device + (" amp" if amp else ""))
        tolerance = FORWARD_TOLERANCE_AMP if amp else FORWARD_TOLERANCE
        if theirs.shape != ours.shape:
            table.add(check, "shape", str(theirs.shape), str(ours.shape), False)
            continue
        scale = float(np.abs(ours).max())
        error = float(np.abs(theirs - ours).max()) / scale
        print("  max |logit| %.4g, logit std %.4g, max abs err %.3g, segrun %.1f s"
              % (scale, float(ours.std()), float(np.abs(theirs - ours).max()), seconds), flush=True)
        table.add(check, "max abs err / max|logit|", error, tolerance, error <= tolerance)


# ----------------------------------------------------------------------------- (d) trajectory
#
# N AdamW steps with gradient clipping on one fixed batch, batch norm in training mode, from the
# same f32 weights: segrun (f32) against torch in f64. Per step the loss and the gradient norm
# before clipping; at the end every parameter and buffer.

# (model, classes, width, (n, h, w)): small enough for a minute on two cores.
TRAJECTORY_CASES = [
    ("attention_unet", 5, 4, (2, 32, 48)),
    ("deeplabv3plus", 5, 8, (4, 64, 64)),
]
TRAJECTORY = {"steps": 5, "lr": 1e-3, "weight_decay": 1e-2, "loss": "equal"}
# Chosen below every step's gradient norm in these cases, so each step is clipped (checked).
TRAJECTORY_CLIP_NORM = 0.05
# Step 0 starts from identical weights: segrun's f32 loss and gradient norm against f64.
TRAJECTORY_START_TOLERANCE = 1e-5
# Later steps: Adam divides every gradient component by its own running magnitude, so components
# that are tiny next to the f32 rounding of the large ones get steps of about lr whose sign is set
# by rounding (biases that feed batch norm in training mode have an exact zero gradient and are
# that case by construction). The trajectory therefore leaves the f64 one within a few steps in
# any f32 implementation. The yardstick is PyTorch itself: the same steps in f32 against f64.
# segrun passes when its error is at most TRAJECTORY_FLOOR_FACTOR times PyTorch-f32's, or below
# the absolute tolerance (loss, grad norm and buffers: relative; the parameter update: relative
# L2 error).
TRAJECTORY_FLOOR_FACTOR = 2.0
TRAJECTORY_TOLERANCES = (1e-4, 1e-4, 1e-2, 1e-4)


def torch_trajectory(model, x, target, class_weight, clip_norm, dtype):
    """Loss and pre-clip gradient norm per step and the final state, with torch.optim.AdamW."""
    model = copy.deepcopy(model).to(dtype).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=TRAJECTORY["lr"], betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=TRAJECTORY["weight_decay"])
    images = torch.from_numpy(x).to(dtype).permute(0, 3, 1, 2)
    labels = torch.from_numpy(target.astype(np.int64))
    weight = torch.from_numpy(class_weight).to(dtype)
    records = []
    for _ in range(TRAJECTORY["steps"]):
        optimizer.zero_grad()
        logits = model(images).permute(0, 2, 3, 1)
        loss = reference_losses.combined(logits, labels, reference_losses.CONFIGS[TRAJECTORY["loss"]], weight)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        records.append((float(loss), float(norm)))
    state = {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}
    return records, state


def trajectory_errors(records, state, reference_records, reference_state, initial, compared, parameters):
    """Worst relative loss and grad-norm errors over the steps; the error of the parameter update
    (final - initial, all parameters as one vector) relative to its L2 norm; the worst buffer
    (batch-norm running statistics, counters) error relative to max(|value|, 1)."""
    loss = max(_scalar_error(r[0], o[0]) for r, o in zip(records, reference_records))
    norm = max(_scalar_error(r[1], o[1]) for r, o in zip(records, reference_records))
    difference = sum(float(((state[k] - reference_state[k]) ** 2).sum()) for k in compared if k in parameters)
    update = sum(float(((reference_state[k] - initial[k]) ** 2).sum()) for k in compared if k in parameters)
    buffers = max(float(np.abs(state[k] - reference_state[k]).max()) / max(float(np.abs(reference_state[k]).max()), 1.0)
                  for k in compared if k not in parameters)
    return loss, norm, (difference / update) ** 0.5, buffers


def check_trajectory(segrun, workdir, table, name, classes, width, shape, seed):
    n, h, w = shape
    model = reference_models.make_model(name, 3, classes, width)
    randomise(model, seed, (n, 3, h, w))
    model.train()
    init_path = os.path.join(workdir, "init.safetensors")
    batch_path = os.path.join(workdir, "batch.safetensors")
    out_dir = os.path.join(workdir, "steps-%s" % name)
    save_state_dict(model, init_path)
    rng = np.random.RandomState(seed)
    x = rng.randn(n, h, w, 3).astype(np.float32)
    target = rng.randint(0, classes, size=(n, h, w)).astype(np.uint8)
    target[rng.rand(n, h, w) < 0.1] = 255
    class_weight = rng.uniform(0.5, 2.0, size=classes).astype(np.float32)
    safetensors_io.write(batch_path, {"input": x, "target": target, "class_weight": class_weight})
    initial = {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}
    start = time.time()
    run_segrun(segrun, "steps", "--model", name, "--classes", str(classes), "--width", str(width),
               "--init", init_path, "--batch-file", batch_path, "--steps", str(TRAJECTORY["steps"]),
               "--lr", repr(TRAJECTORY["lr"]), "--weight-decay", repr(TRAJECTORY["weight_decay"]),
               "--clip-norm", repr(TRAJECTORY_CLIP_NORM), "--loss", TRAJECTORY["loss"], "--out", out_dir)
    seconds = time.time() - start
    with open(os.path.join(out_dir, "steps.jsonl")) as f:
        segrun_records = [(r["loss"], r["grad_norm"]) for r in (json.loads(line) for line in f if line.strip())]
    segrun_state = {k: v.astype(np.float64) for k, v in
                    safetensors_io.read(os.path.join(out_dir, "final.safetensors")).items()}
    reference_records, reference_state = torch_trajectory(model, x, target, class_weight, TRAJECTORY_CLIP_NORM,
                                                          torch.float64)
    f32_records, f32_state = torch_trajectory(model, x, target, class_weight, TRAJECTORY_CLIP_NORM, torch.float32)
    label = "trajectory %s w%d C=%d %dx%dx%d" % (name, width, classes, n, h, w)
    print("  %s: segrun %.1f s" % (name, seconds))
    for step, (r, t, f) in enumerate(zip(reference_records, segrun_records, f32_records)):
        print("    step %d: loss f64 %.8f segrun %.8f torch-f32 %.8f; grad norm f64 %.6g segrun %.6g torch-f32 %.6g"
              % (step, r[0], t[0], f[0], r[1], t[1], f[1]))
    table.add(label, "steps (segrun/torch)", "%d/%d" % (len(segrun_records), len(reference_records)),
              len(reference_records), len(segrun_records) == len(reference_records))
    clipped = sum(1 for r in reference_records if r[1] > TRAJECTORY_CLIP_NORM)
    table.add(label, "steps clipped", clipped, len(reference_records), clipped == len(reference_records))
    missing = sorted(k for k, v in reference_state.items()
                     if k not in segrun_state or segrun_state[k].shape != v.shape)
    table.add(label, "final tensors absent/shape", len(missing), 0, not missing)
    parameters = set(k for k, _ in model.named_parameters())
    compared = [k for k in reference_state if k not in missing]
    ours = trajectory_errors(segrun_records, segrun_state, reference_records, reference_state, initial, compared,
                             parameters)
    floor = trajectory_errors(f32_records, f32_state, reference_records, reference_state, initial, compared,
                              parameters)
    for index, metric in enumerate(("loss", "grad norm")):
        error = _scalar_error(segrun_records[0][index], reference_records[0][index])
        table.add(label, "step 0 rel err %s" % metric, error, TRAJECTORY_START_TOLERANCE,
                  error <= TRAJECTORY_START_TOLERANCE)
    for index, metric in enumerate(("max rel err loss", "max rel err grad norm", "rel L2 err weight update",
                                      "max rel err buffers")):
        tolerance = max(TRAJECTORY_TOLERANCES[index], TRAJECTORY_FLOOR_FACTOR * floor[index])
        table.add(label, metric, ours[index], "%.2g (f32 %.2g)" % (tolerance, floor[index]), ours[index] <= tolerance)


FORWARD_CASES = [
    ("attention_unet", 19, 64, (1, 64, 64)),
    ("deeplabv3plus", 19, 64, (1, 64, 64)),
    ("attention_unet", 11, 16, (2, 48, 80)),
    ("deeplabv3plus", 11, 16, (2, 96, 64)),
]
LARGE_CASES = [
    ("attention_unet", 19, 64, (1, 128, 256)),
    ("deeplabv3plus", 19, 64, (1, 256, 512)),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segrun", default="build/segrun", help="path to the segrun binary")
    parser.add_argument("--large", action="store_true",
                        help="also compare full-width forwards at larger inputs (slower)")
    parser.add_argument("--only", choices=("params", "losses", "forward", "trajectory"), help="run one group of checks")
    parser.add_argument("--device", default="cpu", help="device segrun runs the forward passes on (cpu or cuda)")
    parser.add_argument("--amp", action="store_true",
                        help="with --device cuda: also run each forward under AMP (f16 activations, autocast)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads of the f64 PyTorch reference")
    parser.add_argument("--require-torch", action="store_true",
                        help="fail (exit 1) instead of skipping when torch or numpy is missing")
    args = parser.parse_args()
    if args.amp and args.device == "cpu":
        parser.error("--amp needs --device cuda")
    if not os.access(args.segrun, os.X_OK):
        print("crosscheck: %s is not an executable segrun binary" % args.segrun)
        return 2
    torch.set_num_threads(args.threads)
    print("PyTorch %s, numpy %s\n%s" % (torch.__version__, np.__version__,
                                               run_segrun(args.segrun, "version").strip()))
    table = Table()
    print("%-44s %-26s %-12s %-10s %s" % ("check", "metric", "value", "tolerance", "result"))
    with tempfile.TemporaryDirectory(prefix="segrun-crosscheck-") as workdir:
        if args.only in (None, "params"):
            check_parameters(args.segrun, table)
        if args.only in (None, "losses"):
            check_losses(args.segrun, workdir, table)
        if args.only in (None, "forward"):
            cases = FORWARD_CASES + (LARGE_CASES if args.large else [])
            for seed, (name, classes, width, shape) in enumerate(cases):
                check_forward(args.segrun, workdir, table, name, classes, width, shape, 100 + seed, args.device,
                              (False, True) if args.amp else (False,))
        if args.only in (None, "trajectory"):
            for seed, (name, classes, width, shape) in enumerate(TRAJECTORY_CASES):
                check_trajectory(args.segrun, workdir, table, name, classes, width, shape, 200 + seed)
    failures = table.failures()
    print("%d checks, %d failed" % (len(table.rows), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
