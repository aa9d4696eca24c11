"""Attention U-Net (docs/REFERENCE.md section 3.2) and DeepLabV3+ ResNet-34 (section 3.5) in plain torch.nn,
with segrun's parameter names. Tensors are NCHW here; segrun's files use the same PyTorch layouts.
`width` scales every channel count the way segrun does (64 = the real models).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def _upsample(x, size):
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


# ----------------------------------------------------------------------------- Attention U-Net

class ConvBlock(nn.Module):
    """2 x (conv3x3 pad 1, no bias -> BN -> ReLU)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))


class AttentionGate(nn.Module):
    """a = ReLU(BN(W_g g + b_g) + BN(W_x x + b_x)); alpha = sigmoid(BN(psi a + b_psi)); x * alpha."""

    def __init__(self, gate_channels, skip_channels, inter_channels):
        super().__init__()
        self.w_g = nn.Conv2d(gate_channels, inter_channels, 1, bias=True)
        self.bn_g = nn.BatchNorm2d(inter_channels)
        self.w_x = nn.Conv2d(skip_channels, inter_channels, 1, bias=True)
        self.bn_x = nn.BatchNorm2d(inter_channels)
        self.psi = nn.Conv2d(inter_channels, 1, 1, bias=True)
        self.bn_psi = nn.BatchNorm2d(1)

    def forward(self, g, x):
        a = F.relu(self.bn_g(self.w_g(g)) + self.bn_x(self.w_x(x)))
        alpha = torch.sigmoid(self.bn_psi(self.psi(a)))
        return x * alpha


class AttentionUNet(nn.Module):
    LEVELS = 5

    def __init__(self, in_channels=3, classes=19, width=64):
        super().__init__()
        channels = [width << level for level in range(self.LEVELS)]
        for level in range(self.LEVELS):
            source = channels[level - 1] if level else in_channels
            setattr(self, "encoder%d" % (level + 1), ConvBlock(source, channels[level]))
        for level in range(self.LEVELS - 2, -1, -1):
            c = channels[level]
            setattr(self, "up%d" % (level + 1), nn.ConvTranspose2d(channels[level + 1], c, 2, stride=2, bias=True))
            setattr(self, "gate%d" % (level + 1), AttentionGate(c, c, c // 2))
            setattr(self, "decoder%d" % (level + 1), ConvBlock(2 * c, c))
        self.head = nn.Conv2d(width, classes, 1, bias=True)

    def forward(self, x):
        skips = []
        h = x
        for level in range(self.LEVELS):
            if level:
                h = F.max_pool2d(h, 2, 2)
            h = getattr(self, "encoder%d" % (level + 1))(h)
            skips.append(h)
        for level in range(self.LEVELS - 2, -1, -1):
            up = getattr(self, "up%d" % (level + 1))(h)
            gated = getattr(self, "gate%d" % (level + 1))(up, skips[level])
            h = getattr(self, "decoder%d" % (level + 1))(torch.cat([gated, up], dim=1))
        return self.head(h)


# ----------------------------------------------------------------------------- ResNet-34 encoder

class BasicBlock(nn.Module):
    """torchvision's BasicBlock, with the dilation segmentation_models_pytorch gives layer4."""

    def __init__(self, in_channels, out_channels, stride, dilation):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out_channels))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(h + identity)


class ResNet34Encoder(nn.Module):
    """torchvision ResNet-34 without fc; layer4 with stride 1 and dilation 2 (output stride 16)."""

    BLOCKS = (3, 4, 6, 3)

    def __init__(self, in_channels=3, width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        channels = width
        for index, blocks in enumerate(self.BLOCKS):
            out = width << index
            stride = 2 if index in (1, 2) else 1
            dilation = 2 if index == 3 else 1
            layer = nn.Sequential(*[BasicBlock(channels if b == 0 else out, out, stride if b == 0 else 1, dilation)
                                    for b in range(blocks)])
            setattr(self, "layer%d" % (index + 1), layer)
            channels = out

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, stride=2, padding=1)
        low = self.layer1(h)
        high = self.layer4(self.layer3(self.layer2(low)))
        return low, high


# ----------------------------------------------------------------------------- DeepLabV3+

class ConvBnRelu(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class SeparableConv2d(nn.Module):
    """Depthwise 3x3 (no bias) -> pointwise 1x1 (no bias)."""

    def __init__(self, in_channels, out_channels, dilation):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, padding=dilation, dilation=dilation,
                                   groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class SeparableConvBnRelu(nn.Module):
    def __init__(self, in_channels, out_channels, dilation):
        super().__init__()
        self.conv = SeparableConv2d(in_channels, out_channels, dilation)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ASPP(nn.Module):
    RATES = (6, 12, 18)

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.branch0 = ConvBnRelu(in_channels, out_channels)
        for index, rate in enumerate(self.RATES):
            setattr(self, "branch%d" % (index + 1), SeparableConvBnRelu(in_channels, out_channels, rate))
        self.pool = ConvBnRelu(in_channels, out_channels)
        self.project = ConvBnRelu(5 * out_channels, out_channels)
        self.refine = SeparableConvBnRelu(out_channels, out_channels, 1)

    def forward(self, x):
        size = x.shape[-2:]
        pooled = _upsample(self.pool(x.mean(dim=(2, 3), keepdim=True)), size)
        branches = [self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x), pooled]
        return self.refine(self.project(torch.cat(branches, dim=1)))


class DeepLabV3Plus(nn.Module):
    def __init__(self, in_channels=3, classes=19, width=64):
        super().__init__()
        aspp_channels, low_channels = 4 * width, 3 * width // 4  # 256 and 48 at width 64
        self.encoder = ResNet34Encoder(in_channels, width)
        self.aspp = ASPP(8 * width, aspp_channels)
        self.low_level = ConvBnRelu(width, low_channels)
        self.fuse = SeparableConvBnRelu(aspp_channels + low_channels, aspp_channels, 1)
        self.head = nn.Conv2d(aspp_channels, classes, 1, bias=True)

    def forward(self, x):
        low, high = self.encoder(x)
        high = _upsample(self.aspp(high), low.shape[-2:])
        h = self.fuse(torch.cat([high, self.low_level(low)], dim=1))
        return _upsample(self.head(h), x.shape[-2:])


def make_model(name, in_channels=3, classes=19, width=64):
    if name == "attention_unet":
        return AttentionUNet(in_channels, classes, width)
    if name == "deeplabv3plus":
        return DeepLabV3Plus(in_channels, classes, width)
    raise ValueError("unknown model %r" % name)


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())
