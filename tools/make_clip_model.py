#!/usr/bin/env python3
"""Generate CLIP-architecture ONNX models with deterministic (random) weights.

What
    A small, readable re-implementation of OpenAI CLIP's architecture (ViT image
    tower + causal text transformer) in plain PyTorch, exported to ONNX with the
    same interface as the Hugging Face / Xenova ``clip-vit-base-patch32`` exports:

      vision_model.onnx  in : pixel_values   float32 [batch_size, 3, S, S]  (S fixed)
                         out: image_embeds   float32 [batch_size, D]        (not normalised)
                              last_hidden_state float32 [batch_size, 1 + (S/P)^2, Wv]
      text_model.onnx    in : input_ids      int64   [batch_size, 77]
                              attention_mask int64   [batch_size, 77]
                         out: text_embeds    float32 [batch_size, D]        (not normalised)
                              last_hidden_state float32 [batch_size, 77, Wt]

    plus ``expected.json``: the outputs of the PyTorch model (before export) for
    inputs that can be rebuilt without Python (a closed formula for the pixels,
    literal token ids for the texts), so the Java code can check its ONNX Runtime
    pipeline numerically.

Why
    Real CLIP weights cannot be downloaded in the build environment. The tests use
    a tiny model with the CLIP architecture and the real CLIP interface (224 px
    input, 49408-token vocabulary, 77-token context), and the benchmarks use the
    full ViT-B/32 shape with random weights, which costs the same to run as the
    real model. Random weights of course give meaningless semantics; the tiny
    model is only initialised so that different photos get clearly different
    embeddings.

Presets
    tiny     image 224, patch 32, vision width 32 / 2 layers / 2 heads,
             text width 16 / 2 layers / 2 heads, embed dim 32.  ~3.8 MB, most
             of it the 49408 x 16 token embedding.  The vision tower uses larger
             init gains than CLIP so that photos are told apart (TINY_GAINS).
             Also writes a vision-only model of a different naming convention
             into ``<out>/../clip-tiny-plain/vision.onnx`` (input ``image``
             [batch_size, 3, 160, 160], output ``embedding`` [batch_size, 32]);
             disable with --no-plain or move it with --plain-out.
    vit-b32  the real ViT-B/32 shape: image 224, patch 32, vision width 768 /
             12 layers / 12 heads, text width 512 / 12 layers / 8 heads,
             embed dim 512, OpenAI CLIP's init.  351 MB + 254 MB (as the real
             exports), ~20 s; never commit it.

How to run (Debian packages: python3-torch python3-onnx python3-numpy, and
python3-pil + python3-skimage for the optional photo check)
    /usr/bin/python3 tools/make_clip_model.py --preset tiny \
        --out src/test/resources/clip-tiny
    /usr/bin/python3 tools/make_clip_model.py --preset vit-b32 \
        --out target/models/vit-b32-random

    The output is byte-for-byte reproducible for a given seed (default 20240607)
    with the same torch/onnx versions (generated with torch 1.13, onnx 1.12,
    ONNX opset 17). A check of how well the vision tower tells 20 photos apart
    (scikit-image's sample photos) is printed when they are installed.

expected.json (one per folder)
    preset, seed, image_size, embed_dim, context_length, note,
    vision_model {file, input, output}, text_model {file, inputs, output},
    image {pixel_values_formula, pixel_values_shape, pixel_values_checks,
           image_embeds [2][D], image_embeds_normalized [2][D]},
    text {texts, input_ids [3][77], attention_mask_rule, attention_mask [3][77],
          text_embeds [3][D], text_embeds_normalized [3][D]}
    (no text_model / text in the vision-only clip-tiny-plain).
    pixel_values for a batch of 2, computed in double precision, then rounded
    to float32:  value[n][c][y][x] = sin(0.01*(x + 3*y) + c + n) * 1.5
    texts: token ids from the reference CLIP tokenizer, 77 long, zero padded;
    attention_mask = 1 up to and including the first 49407 (<|endoftext|>),
    then 0. Embeddings are the raw float32 outputs of the PyTorch model, as
    the shortest decimals that read back as the same float32.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VOCAB_SIZE = 49408
CONTEXT_LENGTH = 77
SOT, EOT = 49406, 49407
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
DEFAULT_SEED = 20240607
OPSET = 17

# Init gains of the vision tower, relative to OpenAI CLIP's init (1.0 = CLIP).
# With CLIP's init a random 2-layer, 32-wide ViT maps all photos to nearly the
# same direction (pairwise cosine up to 0.999): the class token only sees a
# near-uniform average of the patches, and the per-token ln_pre makes a
# patch's embedding independent of its brightness. For the tiny models:
#   conv_gain 0.1  patch embedding std 0.1/sqrt(3*P*P), so that the positional
#                  embeddings keep brightness information through ln_pre;
#   attn_gain 1.5  in_proj std 1.5/sqrt(W): somewhat sharper attention;
#   out_gain  3.0  out_proj and mlp.c_proj std 3x: stronger residual branches.
# Measured on 20 photos (see photo_check): pairwise cosine max 0.97, mean 0.56,
# while a JPEG re-encoded, 0.9x resized copy keeps cosine >= 0.997.
TINY_GAINS = dict(conv_gain=0.1, attn_gain=1.5, out_gain=3.0)

PRESETS = {
    "tiny": dict(image_size=224, patch_size=32, vision_width=32, vision_layers=2, vision_heads=2,
                 text_width=16, text_layers=2, text_heads=2, embed_dim=32, **TINY_GAINS),
    "vit-b32": dict(image_size=224, patch_size=32, vision_width=768, vision_layers=12, vision_heads=12,
                    text_width=512, text_layers=12, text_heads=8, embed_dim=512),
}
# The vision-only model with other names, written alongside the tiny preset.
PLAIN = dict(image_size=160, patch_size=32, vision_width=32, vision_layers=2, vision_heads=2, embed_dim=32,
             **TINY_GAINS)

NOTE = ("raw float32 outputs of the PyTorch model before ONNX export; *_normalized are the L2-normalised rows. "
        "ONNX Runtime (CPU) reproduces them to about 5e-6 absolute; "
        "compare with an absolute tolerance such as 1e-4")
PIXEL_FORMULA = "value[n][c][y][x] = sin(0.01*(x + 3*y) + c + n) * 1.5"

# Texts of expected.json: (text, ids up to and including <|endoftext|>), ids from
# /work/shared/clip/tokenizer-golden.jsonl (the reference CLIP tokenizer).
TEXTS = [
    ("a photo of a cat", [49406, 320, 1125, 539, 320, 2368, 49407]),
    ("The quick brown fox jumps over the lazy dog.",
     [49406, 518, 3712, 2866, 3240, 18911, 962, 518, 10753, 1929, 269, 49407]),
    # 100 times "a ": truncated to 77 tokens, <|endoftext|> at the last position, no padding
    ("a " * 100, [49406] + [320] * 75 + [49407]),
]


# --------------------------------------------------------------------------- model

class QuickGELU(nn.Module):
    """OpenAI CLIP's activation: x * sigmoid(1.702 x)."""

    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    """Multi-head self-attention, batch first, parameter names as nn.MultiheadAttention."""

    def __init__(self, width, heads):
        super().__init__()
        assert width % heads == 0
        self.heads = heads
        self.head_dim = width // heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, mask=None):
        # x: [N, L, W]; mask: additive, broadcastable to [N, heads, L, L]
        n, l, w = x.shape
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q = q.reshape(n, l, self.heads, self.head_dim).transpose(1, 2) * (self.head_dim ** -0.5)
        k = k.reshape(n, l, self.heads, self.head_dim).transpose(1, 2)
        v = v.reshape(n, l, self.heads, self.head_dim).transpose(1, 2)
        scores = q @ k.transpose(-2, -1)
        if mask is not None:
            scores = scores + mask
        out = scores.softmax(dim=-1) @ v  # [N, heads, L, head_dim]
        return self.out_proj(out.transpose(1, 2).reshape(n, l, w))


class ResidualAttentionBlock(nn.Module):
    """Pre-LN transformer block, as in OpenAI CLIP."""

    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential()
        self.mlp.add_module("c_fc", nn.Linear(width, 4 * width))
        self.mlp.add_module("gelu", QuickGELU())
        self.mlp.add_module("c_proj", nn.Linear(4 * width, width))

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.width, self.layers = width, layers
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x, mask=None):
        for block in self.resblocks:
            x = block(x, mask)
        return x


class VisionTransformer(nn.Module):
    """CLIP ViT image tower. forward -> (image_embeds, last_hidden_state)."""

    def __init__(self, image_size, patch_size, width, layers, heads, output_dim):
        super().__init__()
        assert image_size % patch_size == 0
        self.image_size = image_size
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((image_size // patch_size) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, pixel_values):
        x = self.conv1(pixel_values)                      # [N, W, g, g]
        x = x.flatten(2).transpose(1, 2)                  # [N, g*g, W]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.transformer(self.ln_pre(x))
        # Hugging Face's last_hidden_state is the encoder output, before ln_post.
        image_embeds = self.ln_post(x[:, 0, :]) @ self.proj
        return image_embeds, x


class TextTransformer(nn.Module):
    """CLIP text tower. forward -> (text_embeds, last_hidden_state)."""

    def __init__(self, width, layers, heads, output_dim, vocab_size=VOCAB_SIZE, context_length=CONTEXT_LENGTH):
        super().__init__()
        self.context_length = context_length
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width))
        self.transformer = Transformer(width, layers, heads)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, output_dim))
        # Additive causal mask. Finite values (like Hugging Face) so that a row
        # whose every key is masked still gives numbers rather than NaN.
        causal = torch.triu(torch.full((context_length, context_length), -1e9), diagonal=1)
        self.register_buffer("causal_mask", causal, persistent=False)

    def forward(self, input_ids, attention_mask):
        x = self.token_embedding(input_ids) + self.positional_embedding
        # Like Hugging Face, also mask padded keys. With the causal mask this
        # changes nothing at or before <|endoftext|>, so text_embeds do not
        # depend on attention_mask; only last_hidden_state of padding does.
        padding = (1.0 - attention_mask.to(x.dtype))[:, None, None, :] * -1e9
        x = self.transformer(x, self.causal_mask + padding)
        x = self.ln_final(x)
        # Features at <|endoftext|>: the largest id, hence argmax (as Hugging Face).
        eot = x[torch.arange(x.shape[0]), input_ids.argmax(dim=-1)]
        return eot @ self.text_projection, x


def init_transformer_(t, attn_gain=1.0, out_gain=1.0):
    """OpenAI CLIP's initialize_parameters for a transformer (scaled normal, zero biases)."""
    attn_std = attn_gain * t.width ** -0.5
    proj_std = out_gain * t.width ** -0.5 * (2 * t.layers) ** -0.5
    fc_std = (2 * t.width) ** -0.5
    for block in t.resblocks:
        nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
        nn.init.zeros_(block.attn.in_proj_bias)
        nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
        nn.init.zeros_(block.attn.out_proj.bias)
        nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
        nn.init.zeros_(block.mlp.c_fc.bias)
        nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        nn.init.zeros_(block.mlp.c_proj.bias)


def build_vision(cfg):
    v = VisionTransformer(cfg["image_size"], cfg["patch_size"], cfg["vision_width"], cfg["vision_layers"],
                          cfg["vision_heads"], cfg["embed_dim"])
    # (PyTorch's default conv init has std 0.58/sqrt(fan_in); see TINY_GAINS.)
    fan_in = 3 * cfg["patch_size"] ** 2
    nn.init.normal_(v.conv1.weight, std=cfg.get("conv_gain", 1.0) * fan_in ** -0.5)
    init_transformer_(v.transformer, cfg.get("attn_gain", 1.0), cfg.get("out_gain", 1.0))
    return v.eval()


def build_text(cfg):
    t = TextTransformer(cfg["text_width"], cfg["text_layers"], cfg["text_heads"], cfg["embed_dim"])
    nn.init.normal_(t.token_embedding.weight, std=0.02)
    nn.init.normal_(t.positional_embedding, std=0.01)
    init_transformer_(t.transformer)
    nn.init.normal_(t.text_projection, std=t.transformer.width ** -0.5)
    return t.eval()


# --------------------------------------------------------------------------- inputs

def formula_pixels(batch, size):
    """value[n][c][y][x] = sin(0.01*(x + 3*y) + c + n) * 1.5, in float64, then float32."""
    n = np.arange(batch, dtype=np.float64)[:, None, None, None]
    c = np.arange(3, dtype=np.float64)[None, :, None, None]
    y = np.arange(size, dtype=np.float64)[None, None, :, None]
    x = np.arange(size, dtype=np.float64)[None, None, None, :]
    return (np.sin(0.01 * (x + 3 * y) + c + n) * 1.5).astype(np.float32)


def text_inputs(texts=TEXTS):
    ids = np.zeros((len(texts), CONTEXT_LENGTH), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, (_, toks) in enumerate(texts):
        assert toks[0] == SOT and toks[-1] == EOT and len(toks) <= CONTEXT_LENGTH
        ids[i, :len(toks)] = toks
        mask[i, :len(toks)] = 1
    return ids, mask


def l2n(a):
    a = np.asarray(a, dtype=np.float64)
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def f32(v):
    """A float32 value as the shortest decimal that reads back as the same float32."""
    return float(np.format_float_positional(np.float32(v), unique=True, trim="-"))


def rows(a):
    return [[f32(v) for v in r] for r in a]


# --------------------------------------------------------------------------- export

def export_onnx(module, args, path, input_names, output_names, meta):
    dynamic_axes = {name: {0: "batch_size"} for name in input_names + output_names}
    buf = io.BytesIO()
    # (the argmax index of the text tower is never negative)
    warnings.filterwarnings("ignore", message="Exporting aten::index operator of advanced indexing")
    with torch.no_grad():
        torch.onnx.export(module, args, buf, opset_version=OPSET, input_names=input_names,
                          output_names=output_names, dynamic_axes=dynamic_axes,
                          do_constant_folding=True, export_params=True)
    import onnx
    model = onnx.load_from_string(buf.getvalue())
    # check the interface: every input must really be there (exporters drop unused ones)
    got_in = [i.name for i in model.graph.input]
    got_out = [o.name for o in model.graph.output]
    assert got_in == input_names, (got_in, input_names)
    assert got_out == output_names, (got_out, output_names)
    # The exporter cannot always infer the static dims of outputs (it names
    # them e.g. 'Addlast_hidden_state_dim_1'): write batch_size + the real dims.
    with torch.no_grad():
        outs = module(*args)
    outs = outs if isinstance(outs, tuple) else (outs,)
    for vi, t in zip(model.graph.output, outs):
        dims = vi.type.tensor_type.shape.dim
        for i, n in enumerate(t.shape):
            dims[i].Clear()
            if i == 0:
                dims[i].dim_param = "batch_size"
            else:
                dims[i].dim_value = n
    model.producer_name = "multimodal-rag tools/make_clip_model.py"
    model.doc_string = "CLIP-architecture model with random deterministic weights (not a trained model)"
    for k, v in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, str(v)
    onnx.checker.check_model(model)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    return model


def describe(model):
    def shape(vi):
        return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
    import onnx
    ty = lambda vi: onnx.TensorProto.DataType.Name(vi.type.tensor_type.elem_type).lower()
    ins = ", ".join(f"{i.name} {ty(i)} {shape(i)}" for i in model.graph.input)
    outs = ", ".join(f"{o.name} {ty(o)} {shape(o)}" for o in model.graph.output)
    return f"in: {ins}; out: {outs}"


# --------------------------------------------------------------------------- photo check

PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "retina.jpg",
          "ihc.png", "motorcycle_left.png", "camera.png", "moon.png", "coins.png", "brick.png", "grass.png",
          "gravel.png", "page.png", "cell.png", "text.png", "clock_motion.png", "microaneurysms.png", "color.png"]


def preprocess(path, size):
    """CLIP preprocessing: shortest side to size (bicubic), centre crop, /255, normalise."""
    from PIL import Image
    img = Image.open(path).convert("RGB")
    w, h = img.size
    s = size / min(w, h)
    img = img.resize((max(size, round(w * s)), max(size, round(h * s))), Image.BICUBIC)
    w, h = img.size
    left, top = (w - size) // 2, (h - size) // 2
    img = img.crop((left, top, left + size, top + size))
    a = np.asarray(img, dtype=np.float32) / 255.0
    a = (a - np.array(CLIP_MEAN, dtype=np.float32)) / np.array(CLIP_STD, dtype=np.float32)
    return a.transpose(2, 0, 1)


def photo_check(vision, photo_dir, size):
    paths = [os.path.join(photo_dir, p) for p in PHOTOS if os.path.exists(os.path.join(photo_dir, p))]
    if len(paths) < 2:
        print(f"  photo check skipped (no photos in {photo_dir})")
        return None
    batch = torch.from_numpy(np.stack([preprocess(p, size) for p in paths]))
    with torch.no_grad():
        emb = l2n(vision(batch)[0].numpy())
    cos = emb @ emb.T
    off = cos[~np.eye(len(paths), dtype=bool)]
    stats = dict(photos=len(paths), min=float(off.min()), mean=float(off.mean()), max=float(off.max()))
    print(f"  photo check: {len(paths)} photos, pairwise cosine of normalised image embeddings "
          f"min {stats['min']:.4f} mean {stats['mean']:.4f} max {stats['max']:.4f}")
    i, j = np.unravel_index(np.where(np.eye(len(paths), dtype=bool), -9, cos).argmax(), cos.shape)
    print(f"    most similar pair: {os.path.basename(paths[i])} / {os.path.basename(paths[j])}")
    return stats


# --------------------------------------------------------------------------- main

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


def image_expectation(vision, size):
    pixels = formula_pixels(2, size)
    with torch.no_grad():
        emb = vision(torch.from_numpy(pixels))[0].numpy()
    return {
        "pixel_values_formula": PIXEL_FORMULA + " (computed in double precision, then rounded to float32)",
        "pixel_values_shape": list(pixels.shape),
        "pixel_values_checks": {"[0][0][0][0]": f32(pixels[0, 0, 0, 0]), "[0][1][7][5]": f32(pixels[0, 1, 7, 5]),
                                "[1][2][100][50]": f32(pixels[1, 2, 100, 50])},
        "image_embeds": rows(emb),
        "image_embeds_normalized": rows(l2n(emb)),
    }


def generate(preset, out, seed, plain_out, photos):
    cfg = PRESETS[preset]
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    torch.manual_seed(seed)
    vision = build_vision(cfg)
    text = build_text(cfg)
    n_v = sum(p.numel() for p in vision.parameters())
    n_t = sum(p.numel() for p in text.parameters())
    print(f"[{preset}] vision {n_v:,} params, text {n_t:,} params (seed {seed}, built in {time.time() - t0:.1f}s)")

    size = cfg["image_size"]
    meta = {"generator": "tools/make_clip_model.py", "preset": preset, "seed": seed,
            "image_size": size, "patch_size": cfg["patch_size"], "embed_dim": cfg["embed_dim"]}
    expected = {"preset": preset, "seed": seed, "image_size": size, "embed_dim": cfg["embed_dim"],
                "context_length": CONTEXT_LENGTH, "note": NOTE,
                "vision_model": {"file": "vision_model.onnx", "input": "pixel_values", "output": "image_embeds"},
                "text_model": {"file": "text_model.onnx", "inputs": ["input_ids", "attention_mask"],
                               "output": "text_embeds"}}
    expected["image"] = image_expectation(vision, size)

    ids, mask = text_inputs()
    with torch.no_grad():
        temb = text(torch.from_numpy(ids), torch.from_numpy(mask))[0].numpy()
    expected["text"] = {
        "texts": [t for t, _ in TEXTS],
        "input_ids": ids.tolist(),
        "attention_mask_rule": "1 up to and including the first 49407 (<|endoftext|>), then 0",
        "attention_mask": mask.tolist(),
        "text_embeds": rows(temb),
        "text_embeds_normalized": rows(l2n(temb)),
    }

    t1 = time.time()
    vpath, tpath = os.path.join(out, "vision_model.onnx"), os.path.join(out, "text_model.onnx")
    pixels = torch.from_numpy(formula_pixels(2, size))
    vm = export_onnx(vision, (pixels,), vpath, ["pixel_values"], ["image_embeds", "last_hidden_state"],
                     dict(meta, tower="vision"))
    tm = export_onnx(text, (torch.from_numpy(ids), torch.from_numpy(mask)), tpath,
                     ["input_ids", "attention_mask"], ["text_embeds", "last_hidden_state"], dict(meta, tower="text"))
    write_json(os.path.join(out, "expected.json"), expected)
    print(f"  exported in {time.time() - t1:.1f}s")
    print(f"  vision_model.onnx {describe(vm)}")
    print(f"  text_model.onnx   {describe(tm)}")
    if photos:
        photo_check(vision, photos, size)
    ncos = l2n(temb)
    print(f"  text check: cosine between the first two test texts {float(ncos[0] @ ncos[1]):.4f}")
    files = [vpath, tpath, os.path.join(out, "expected.json")]

    if plain_out:
        files += generate_plain(plain_out, seed, photos)

    print(f"[{preset}] done in {time.time() - t0:.1f}s")
    for p in files:
        print(f"  {os.path.getsize(p):>12,} B  {sha256(p)[:16]}  {p}")


def generate_plain(out, seed, photos):
    """Vision-only model named differently: input 'image' [N,3,160,160], output 'embedding'."""
    cfg = PLAIN
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(seed + 1)
    vision = build_vision(cfg)

    class EmbeddingOnly(nn.Module):
        def __init__(self, v):
            super().__init__()
            self.v = v

        def forward(self, image):
            return self.v(image)[0]

    size = cfg["image_size"]
    path = os.path.join(out, "vision.onnx")
    m = export_onnx(EmbeddingOnly(vision).eval(), (torch.from_numpy(formula_pixels(2, size)),), path,
                    ["image"], ["embedding"],
                    {"generator": "tools/make_clip_model.py", "preset": "tiny-plain", "seed": seed + 1,
                     "image_size": size, "patch_size": cfg["patch_size"], "embed_dim": cfg["embed_dim"],
                     "tower": "vision"})
    expected = {"preset": "tiny-plain", "seed": seed + 1, "image_size": size, "embed_dim": cfg["embed_dim"],
                "note": NOTE,
                "vision_model": {"file": "vision.onnx", "input": "image", "output": "embedding"},
                "image": image_expectation(vision, size)}
    jpath = os.path.join(out, "expected.json")
    write_json(jpath, expected)
    print(f"[tiny-plain] vision.onnx {describe(m)}")
    if photos:
        photo_check(vision, photos, size)
    return [path, jpath]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), required=True)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--plain-out", help="folder of the vision-only 'plain' model (tiny preset only; "
                    "default: clip-tiny-plain next to --out)")
    ap.add_argument("--no-plain", action="store_true", help="do not write the 'plain' model")
    ap.add_argument("--photos", default="/usr/lib/python3/dist-packages/skimage/data",
                    help="folder with the photos of the discriminativeness check ('' to skip)")
    a = ap.parse_args()
    # one thread: the float summation order (hence expected.json) does not depend on the core count
    torch.set_num_threads(1)
    plain = None
    if a.preset == "tiny" and not a.no_plain:
        plain = a.plain_out or os.path.join(os.path.dirname(os.path.abspath(a.out)), "clip-tiny-plain")
    photos = a.photos if a.photos and os.path.isdir(a.photos) else None
    generate(a.preset, a.out, a.seed, plain, photos)


if __name__ == "__main__":
    sys.exit(main())
