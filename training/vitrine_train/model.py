"""The Vitrine dual encoder: a small transformer (or bag-of-tokens) text tower and a depthwise-separable
CNN image tower, each with a linear projection into one shared embedding space.

Only plain ops (embedding, matmul, softmax, layer norm, conv, batch norm) so that torch 1.13's ONNX
exporter and onnxruntime handle them without custom kernels.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from .mobilenet import MobileNetV2


@dataclass
class TextConfig:
    vocab_size: int
    context_length: int = 32
    width: int = 256
    layers: int = 2
    heads: int = 4
    mlp_ratio: float = 2.0
    pad_id: int = 0


@dataclass
class VisionConfig:
    channels: list = field(default_factory=lambda: [32, 64, 128, 128, 256, 256])
    strides: list = field(default_factory=lambda: [2, 2, 2, 1, 2, 1])
    image_height: int = 80
    image_width: int = 64
    kind: str = "cnn"  # cnn (from scratch) | mobilenet_v2 (ImageNet backbone, see mobilenet.py) | hybrid (both)
    head_hidden: int = 0  # mobilenet_v2: 0 = linear projection of the pooled features, else a 2-layer MLP
    # hybrid: the scratch CNN (channels/strides above) sees the centre of the model input resized to
    # cnn_height x cnn_width, in CLIP normalisation, while the MobileNetV2 sees the whole input
    cnn_height: int = 80
    cnn_width: int = 60


@dataclass
class ModelConfig:
    text: TextConfig
    vision: VisionConfig
    embed_dim: int = 256
    init_temperature: float = 0.07

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return cls(text=TextConfig(**d["text"]), vision=VisionConfig(**d["vision"]), embed_dim=d["embed_dim"],
                   init_temperature=d.get("init_temperature", 0.07))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(width // heads)
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        hidden = int(width * mlp_ratio)
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        b, s, w = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q = q.reshape(b, s, h, -1).transpose(1, 2)
        k = k.reshape(b, s, h, -1).transpose(1, 2)
        v = v.reshape(b, s, h, -1).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-1, -2)) * self.scale + key_bias
        att = torch.softmax(att, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, s, w)
        x = x + self.out(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TextTower(nn.Module):
    """Tokens -> transformer blocks (bidirectional, padding masked) -> masked mean pool -> projection."""

    def __init__(self, cfg: TextConfig, embed_dim: int):
        super().__init__()
        self.cfg = cfg
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.width)
        self.position_embedding = nn.Parameter(torch.zeros(cfg.context_length, cfg.width))
        self.blocks = nn.ModuleList([Block(cfg.width, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.layers)])
        self.ln_final = nn.LayerNorm(cfg.width)
        self.projection = nn.Linear(cfg.width, embed_dim, bias=False)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.position_embedding, std=0.01)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        seq = input_ids.shape[1]
        mask = attention_mask.to(torch.float32)
        x = self.token_embedding(input_ids) + self.position_embedding[:seq].unsqueeze(0)
        key_bias = ((1.0 - mask) * -1e4).unsqueeze(1).unsqueeze(1)  # [b,1,1,s]
        for blk in self.blocks:
            x = blk(x, key_bias)
        x = self.ln_final(x)
        m = mask.unsqueeze(-1)
        pooled = (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        return self.projection(pooled)


def conv_bn(cin: int, cout: int, k: int, stride: int, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DwSepBlock(nn.Module):
    """Depthwise 3x3 + pointwise 1x1 (MobileNet v1 style), with a residual when shapes allow."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, stride, groups=cin)
        self.pw = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(self.dw(x))
        return F.relu(x + y) if self.residual else F.relu(y)


class ImageTower(nn.Module):
    def __init__(self, cfg: VisionConfig, embed_dim: int):
        super().__init__()
        ch, st = cfg.channels, cfg.strides
        layers: list[nn.Module] = [conv_bn(3, ch[0], 3, st[0])]
        for i in range(1, len(ch)):
            layers.append(DwSepBlock(ch[i - 1], ch[i], st[i]))
        self.features = nn.Sequential(*layers)
        self.projection = nn.Linear(ch[-1], embed_dim, bias=False)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.features(pixel_values)
        return self.projection(x.mean(dim=(2, 3)))


class MobileNetImageTower(nn.Module):
    """ImageNet MobileNetV2 backbone (pooled 1280-d features) + a projection head. With a locked backbone
    (LiT) only `head` trains, on cached backbone features."""

    def __init__(self, cfg: VisionConfig, embed_dim: int):
        super().__init__()
        self.backbone = MobileNetV2()
        c = self.backbone.out_channels
        if cfg.head_hidden:
            self.head = nn.Sequential(nn.LayerNorm(c), nn.Linear(c, cfg.head_hidden), nn.GELU(),
                                      nn.Linear(cfg.head_hidden, embed_dim, bias=False))
        else:
            self.head = nn.Sequential(nn.LayerNorm(c), nn.Linear(c, embed_dim, bias=False))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(pixel_values))


CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class HybridImageTower(nn.Module):
    """Two image towers in one graph, their unit embeddings mixed: the scratch CNN of house v1 (fine-grained
    catalog detail: it sees the centre 3:4 of the padded input resized to its own 60x80) and the ImageNet
    MobileNetV2 + head (what survives a shopper's photo). mix = sigmoid(mix_logit) weights the CNN.

    Training caches `features(x)` (the locked MobileNetV2's pooled features and the CNN's unit embedding,
    concatenated) and trains `from_features` (the head and the mix)."""

    def __init__(self, cfg: VisionConfig, embed_dim: int):
        super().__init__()
        self.cfg = cfg
        self.mobilenet = MobileNetImageTower(cfg, embed_dim)
        self.cnn = ImageTower(cfg, embed_dim)
        self.mix_logit = nn.Parameter(torch.tensor(0.0))
        # input normalisation is MobileNet's (mean = std = 0.5); the CNN was trained with CLIP's
        self.register_buffer("to_clip_scale", torch.tensor([0.5 / s for s in CLIP_STD]).view(1, 3, 1, 1))
        self.register_buffer("to_clip_shift", torch.tensor([(0.5 - m) / s for m, s in zip(CLIP_MEAN, CLIP_STD)]).view(1, 3, 1, 1))

    @property
    def head(self):
        return self.mobilenet.head

    @property
    def backbone(self):
        return self.mobilenet.backbone

    def cnn_input(self, x: torch.Tensor) -> torch.Tensor:
        """The centre 3:4 (width:height) of the input, resized to the CNN's size, in CLIP normalisation."""
        h, w = x.shape[2], x.shape[3]
        cw = min(w, (h * self.cfg.cnn_width) // self.cfg.cnn_height)
        left = (w - cw) // 2
        x = x[:, :, :, left : left + cw]
        x = F.interpolate(x, size=(self.cfg.cnn_height, self.cfg.cnn_width), mode="bilinear", align_corners=False)
        return x * self.to_clip_scale + self.to_clip_shift

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.backbone(x), F.normalize(self.cnn(self.cnn_input(x)), dim=-1)], dim=1)

    def from_features(self, f: torch.Tensor) -> torch.Tensor:
        c = self.backbone.out_channels
        w = torch.sigmoid(self.mix_logit)
        return w * f[:, c:] + (1 - w) * F.normalize(self.head(f[:, :c]), dim=-1)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.from_features(self.features(pixel_values))


class DualEncoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.text = TextTower(cfg.text, cfg.embed_dim)
        tower = {"mobilenet_v2": MobileNetImageTower, "hybrid": HybridImageTower}.get(cfg.vision.kind, ImageTower)
        self.vision = tower(cfg.vision, cfg.embed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / cfg.init_temperature)))

    def encode_text(self, input_ids, attention_mask, normalize: bool = False):
        z = self.text(input_ids, attention_mask)
        return F.normalize(z, dim=-1) if normalize else z

    def encode_image(self, pixel_values, normalize: bool = False):
        z = self.vision(pixel_values)
        return F.normalize(z, dim=-1) if normalize else z


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
