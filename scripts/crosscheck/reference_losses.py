"""The losses of docs/REFERENCE.md section 2, written directly in torch; gradients come from autograd.

Logits are (N, H, W, C), the target (N, H, W) integer with 255 marking an ignored pixel.
"""
import torch
import torch.nn.functional as F

IGNORE = 255
DICE_EPS = 1e-6


def _zero(logits):
    """A 0 (never -0) that keeps the graph, so its gradient is a zero tensor."""
    return logits.sum() * 0.0 + 0.0


def _valid(target):
    return target != IGNORE


def cross_entropy(logits, target, class_weight=None):
    """F.cross_entropy(weight, ignore_index=255); 0 (with zero gradient) when no pixel is valid."""
    if not bool(_valid(target).any()):
        return _zero(logits)
    return F.cross_entropy(logits.permute(0, 3, 1, 2), target.long(), weight=class_weight,
                           ignore_index=IGNORE)


def _probs_and_onehot(logits, target):
    valid = _valid(target)
    classes = logits.shape[-1]
    probs = torch.softmax(logits, dim=-1) * valid.unsqueeze(-1).to(logits.dtype)
    safe_target = torch.where(valid, target.long(), torch.zeros_like(target.long()))
    onehot = F.one_hot(safe_target, classes).to(logits.dtype) * valid.unsqueeze(-1).to(logits.dtype)
    return probs, onehot


def dice(logits, target, absent="include"):
    """Mean over classes of 1 - (2 I_c + eps) / (S_c + eps), sums over valid pixels of the batch.

    absent="mask" leaves classes with no valid target pixel out of the mean (0 if none is left).
    """
    probs, onehot = _probs_and_onehot(logits, target)
    dims = (0, 1, 2)
    intersection = (probs * onehot).sum(dim=dims)
    total = probs.sum(dim=dims) + onehot.sum(dim=dims)
    per_class = 1.0 - (2.0 * intersection + DICE_EPS) / (total + DICE_EPS)
    if absent == "mask":
        present = onehot.sum(dim=dims) > 0
        if not bool(present.any()):
            return _zero(logits)
        return per_class[present].mean()
    return per_class.mean()


def focal(logits, target, alpha=1.0, gamma=2.0):
    """Softmax focal loss: mean over valid pixels of -alpha (1 - p_t)^gamma log p_t."""
    valid = _valid(target)
    if not bool(valid.any()):
        return _zero(logits)
    log_probs = torch.log_softmax(logits, dim=-1)[valid]
    log_pt = log_probs.gather(1, target[valid].long().unsqueeze(1)).squeeze(1)
    pt = log_pt.exp()
    return (-alpha * (1.0 - pt) ** gamma * log_pt).mean()


CONFIGS = {
    "equal": (1.0, 1.0, 1.0),
    "ce_dominant": (1.0, 0.5, 0.5),
    "dice_dominant": (0.5, 1.0, 0.5),
    "focal_dominant": (0.5, 0.5, 1.0),
    "ce_only": (1.0, 0.0, 0.0),
    "dice_only": (0.0, 1.0, 0.0),
    "focal_only": (0.0, 0.0, 1.0),
}


def combined(logits, target, weights, class_weight=None, dice_absent="include"):
    """w_ce CE + w_dice Dice + w_focal Focal; a zero weight skips its term."""
    w_ce, w_dice, w_focal = weights
    total = _zero(logits)
    if w_ce:
        total = total + w_ce * cross_entropy(logits, target, class_weight)
    if w_dice:
        total = total + w_dice * dice(logits, target, dice_absent)
    if w_focal:
        total = total + w_focal * focal(logits, target)
    return total


def evaluate(logits, target, weights, class_weight=None, dice_absent="include"):
    """The numbers `segrun loss` writes: the three unweighted terms, the total and d total / d logits."""
    with torch.no_grad():
        ce = float(cross_entropy(logits, target, class_weight))
        dc = float(dice(logits, target, dice_absent))
        fc = float(focal(logits, target))
    z = logits.detach().clone().requires_grad_(True)
    total = combined(z, target, weights, class_weight, dice_absent)
    total.backward()
    return {"ce": ce, "dice": dc, "focal": fc, "loss": float(total), "grad": z.grad.detach()}
