#!/usr/bin/env python3
"""Generate a tiny multilingual text tower with the interface of Immich's M-CLIP export, and its tokenizer.

What
    The published tower, M-CLIP's XLM-Roberta-Large-Vit-B-32 as exported to ONNX by Immich
    (immich-app/XLM-Roberta-Large-Vit-B-32, textual/), is an XLM-RoBERTa encoder, mean-pooled over the attention
    mask, projected linearly onto OpenAI's ViT-B/32 image space and L2-normalised, in one graph:

      textual/model.onnx      in : input_ids      int32 [1, 77]
                                   attention_mask int32 [1, 77]
                              out: embedding      float32 [1, D]   (L2-normalised)
      textual/tokenizer.json  XLM-R's SentencePiece Unigram tokenizer: <s>=0 <pad>=1 </s>=2 <unk>=3 ... <mask>

    This script writes the same interface with random weights and a small vocabulary into --out:

      textual/model.onnx       a 2-layer XLM-RoBERTa-architecture encoder (width 32), pooling, projection to D
      textual/tokenizer.json   a Unigram tokenizer in XLM-R's layout, trained by SentencePiece on the corpus below
                               (English, Persian, Arabic, Chinese, Russian, emoji), normaliser nmt_nfkc like XLM-R's
      textual/tokenizer_config.json, textual/config.json
      expected.json            for each text of TEXTS: the token ids that transformers.js (npm
                               @huggingface/transformers, an independent implementation of tokenizer.json) gives, and
                               the embedding PyTorch computes from them, padded to 77 with <pad>

Why
    The real tower (2.2 GB) cannot be downloaded here. The tests check that the service tokenizes with the model's
    own tokenizer.json through a maintained implementation (DJL's binding of Hugging Face tokenizers), that its ids
    equal an independent implementation's on Persian, Arabic, Chinese, mixed-script, emoji and over-long text, and
    that the ONNX Runtime pipeline reproduces PyTorch's embeddings. transformers.js runs here, never at test time.

Run (Debian's python3-torch, python3-onnx, python3-sentencepiece, python3-protobuf; node with
@huggingface/transformers installed, e.g. `npm install --prefix target/tools-node @huggingface/transformers@3`):

    /usr/bin/python3 tools/make_multilingual_text_tower.py --out src/test/resources/mclip-tiny \\
        --node-modules target/tools-node/node_modules
"""
import argparse
import base64
import io
import json
import os
import subprocess
import tempfile

import sentencepiece as spm
import torch
from sentencepiece import sentencepiece_model_pb2 as model_pb2
from torch import nn

CONTEXT = 77
PAD_ID = 1

CORPUS = [
    "a photo of a cat", "a red motorcycle parked on the street", "two dogs on a wooden deck",
    "a cup of coffee on a table", "an astronaut in a white space suit", "a generator with a capacity of 5 kilowatts",
    "What is the capacity of this item?", "The quick brown fox jumps over the lazy dog.",
    "موتورسیکلت قرمز", "یک گربه روی مبل خوابیده است", "ظرفیت این دستگاه چقدر است؟", "دو سگ روی عرشه چوبی",
    "یک فنجان قهوه روی میز", "فضانورد با لباس فضایی سفید", "می‌خواهم بدانم این ژنراتور چند کیلووات است",
    "گل‌های زرد در باغ", "کتاب‌ها روی قفسه هستند", "پرنده‌ای کوچک روی شاخه",
    "قطة على الأريكة", "دراجة نارية حمراء", "ما هي سعة هذا الجهاز؟", "فنجان من القهوة على الطاولة",
    "一只猫在沙发上睡觉", "红色的摩托车", "这个设备的容量是多少？", "一杯咖啡放在桌子上",
    "красный мотоцикл на улице", "кошка спит на диване",
    "🐱 cat 🐶 dog 🚀 rocket ☕ coffee", "موتورسیکلت red 红色 мотоцикл 🏍️",
]

# What the tests tokenize and embed: each script, mixed scripts, emoji, NFKC folding, Persian's zero-width
# non-joiner, whitespace runs, and a text far longer than 77 tokens.
TEXTS = [
    "a photo of a cat",
    "موتورسیکلت قرمز",
    "ظرفیت این دستگاه چقدر است؟",
    "می‌خواهم بدانم این ژنراتور چند کیلووات است",
    "ما هي سعة هذا الجهاز؟",
    "这个设备的容量是多少？",
    "一只猫 and a red موتورسیکلت 🏍️",
    "🐱🐶🚀☕ 👩‍👩‍👧 🇮🇷",
    "ＡＢＣ ﬁne ½   spaces    between",
    "Ünïcödé çafé naïve",
    " ".join(["گربه قرمز و سگ زرد"] * 30),
]


class Layer(nn.Module):
    """One post-norm transformer layer, as BERT and RoBERTa have them."""

    def __init__(self, width, heads, inner):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.norm1 = nn.LayerNorm(width, eps=1e-5)
        self.up = nn.Linear(width, inner)
        self.down = nn.Linear(inner, width)
        self.norm2 = nn.LayerNorm(width, eps=1e-5)

    def forward(self, x, additive_mask):
        batch, length, width = x.shape
        q, k, v = self.qkv(x).split(width, dim=-1)
        shape = (batch, length, self.heads, width // self.heads)
        q, k, v = (t.reshape(shape).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / (width // self.heads) ** 0.5 + additive_mask
        attended = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, length, width)
        x = self.norm1(x + self.out(attended))
        return self.norm2(x + self.down(nn.functional.gelu(self.up(x))))


class MultilingualTextTower(nn.Module):
    """XLM-RoBERTa's embeddings and encoder, mean pooling over the mask, a linear projection, L2 normalisation."""

    def __init__(self, vocab, width, layers, heads, inner, dims):
        super().__init__()
        self.tokens = nn.Embedding(vocab, width, padding_idx=PAD_ID)
        self.positions = nn.Embedding(CONTEXT + PAD_ID + 1, width, padding_idx=PAD_ID)
        self.token_type = nn.Embedding(1, width)
        self.norm = nn.LayerNorm(width, eps=1e-5)
        self.layers = nn.ModuleList(Layer(width, heads, inner) for _ in range(layers))
        self.projection = nn.Linear(width, dims)

    def forward(self, input_ids, attention_mask):
        ids = input_ids.long()
        real = (ids != PAD_ID).long()
        # RoBERTa numbers positions from padding_idx + 1, counting only tokens that are not padding.
        positions = torch.cumsum(real, dim=1) * real + PAD_ID
        x = self.norm(self.tokens(ids) + self.positions(positions) + self.token_type(torch.zeros_like(ids)))
        mask = attention_mask.float()
        additive = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in self.layers:
            x = layer(x, additive)
        pooled = (x * mask.unsqueeze(2)).sum(dim=1) / mask.sum(dim=1, keepdim=True)
        return nn.functional.normalize(self.projection(pooled), dim=-1)


def train_tokenizer(vocab_size):
    """A SentencePiece Unigram model of the corpus, as XLM-R's is of its own (nmt_nfkc, no byte fallback)."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(CORPUS), model_writer=model, vocab_size=vocab_size,
                                   model_type="unigram", character_coverage=1.0, normalization_rule_name="nmt_nfkc",
                                   byte_fallback=False, hard_vocab_limit=False, minloglevel=2)
    proto = model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto


def tokenizer_json(proto):
    """The tokenizer.json of XLM-R's layout: fairseq's four specials first, the pieces after them, <mask> last."""
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    vocab += [[piece.piece, piece.score] for piece in proto.pieces[3:]]
    vocab.append(["<mask>", 0.0])

    def special(token_id, content, lstrip=False):
        return {"id": token_id, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": False,
                "normalized": False, "special": True}

    metaspace = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special(0, "<s>"), special(1, "<pad>"), special(2, "</s>"), special(3, "<unk>"),
                         special(len(vocab) - 1, "<mask>", lstrip=True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled",
             "precompiled_charsmap": base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode()},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": metaspace,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                               "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }


NODE_SCRIPT = r"""
const { env, AutoTokenizer } = require(process.argv[2] + '/@huggingface/transformers/dist/transformers.node.cjs');
env.allowRemoteModels = false;
env.localModelPath = process.argv[3];
const tokenizer = await AutoTokenizer.from_pretrained('textual');
const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const ids = texts.map((text) => Array.from(tokenizer(text, { truncation: true, max_length: %d }).input_ids.data,
    Number));
console.log(JSON.stringify({ version: require(process.argv[2] + '/@huggingface/transformers/package.json').version,
    ids }));
""" % CONTEXT


def reference_ids(out, node_modules):
    """The ids transformers.js gives for TEXTS, with <s> and </s>, truncated to the context."""
    with tempfile.NamedTemporaryFile("w", suffix=".cjs", delete=False) as script:
        script.write("(async () => {" + NODE_SCRIPT + "})().catch((e) => { console.error(e); process.exit(1); });")
    try:
        result = subprocess.run(["node", script.name, os.path.abspath(node_modules), os.path.abspath(out)],
                                input=json.dumps(TEXTS), capture_output=True, text=True, check=True)
    finally:
        os.unlink(script.name)
    return json.loads(result.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--node-modules", required=True)
    parser.add_argument("--dims", type=int, default=32, help="the image tower's dimensions (clip-tiny: 32)")
    parser.add_argument("--vocab-size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()

    textual = os.path.join(args.out, "textual")
    os.makedirs(textual, exist_ok=True)
    proto = train_tokenizer(args.vocab_size)
    tokenizer = tokenizer_json(proto)
    with open(os.path.join(textual, "tokenizer.json"), "w", encoding="utf-8") as file:
        json.dump(tokenizer, file, ensure_ascii=False, indent=1)
    with open(os.path.join(textual, "tokenizer_config.json"), "w", encoding="utf-8") as file:
        json.dump({"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512, "bos_token": "<s>",
                   "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>",
                   "clean_up_tokenization_spaces": True}, file, indent=1)
    vocab = len(tokenizer["model"]["vocab"])
    with open(os.path.join(textual, "config.json"), "w", encoding="utf-8") as file:
        json.dump({"note": "random weights with the interface of immich-app/XLM-Roberta-Large-Vit-B-32 textual/",
                   "vocab_size": vocab, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
                   "intermediate_size": 64, "embedding_dim": args.dims, "context_length": CONTEXT,
                   "seed": args.seed}, file, indent=1)

    reference = reference_ids(args.out, args.node_modules)
    torch.manual_seed(args.seed)
    model = MultilingualTextTower(vocab, 32, 2, 2, 64, args.dims).eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)

    embeddings = []
    for ids in reference["ids"]:
        padded = torch.full((1, CONTEXT), PAD_ID, dtype=torch.int32)
        padded[0, :len(ids)] = torch.tensor(ids, dtype=torch.int32)
        mask = torch.zeros((1, CONTEXT), dtype=torch.int32)
        mask[0, :len(ids)] = 1
        embeddings.append([round(float(v), 7) for v in model(padded, mask)[0]])

    example = (torch.full((1, CONTEXT), PAD_ID, dtype=torch.int32), torch.ones((1, CONTEXT), dtype=torch.int32))
    torch.onnx.export(model, example, os.path.join(textual, "model.onnx"), input_names=["input_ids", "attention_mask"],
                      output_names=["embedding"], opset_version=17)

    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as file:
        json.dump({"note": "ids from transformers.js " + reference["version"] + " on textual/tokenizer.json; "
                           "embeddings from PyTorch with the ids padded to 77 with <pad> (1)",
                   "texts": TEXTS, "input_ids": reference["ids"], "embeddings": embeddings}, file,
                  ensure_ascii=False, indent=1)
    for name in sorted(os.listdir(textual)):
        print(f"{os.path.getsize(os.path.join(textual, name)):>10,} B  textual/{name}")
    print(f"{vocab} tokens; ids of {len(TEXTS)} texts from transformers.js {reference['version']}")


if __name__ == "__main__":
    main()
