#!/usr/bin/env python3
"""Dynamically quantise the weight MatMuls of a CLIP vision tower to int8.

What
    Reads an ONNX vision tower (e.g. ``vision_model.onnx``) and writes
    ``vision_model_quantized.onnx`` beside it (or to --out). Every MatMul whose
    second input is a constant 2-D float weight W [K, N] becomes

        DynamicQuantizeLinear(A) -> A_q uint8, a_scale, a_zero_point
        MatMulInteger(A_q, W_q int8 [K, N], a_zero_point, 0) -> int32
        Cast(float) * (a_scale * w_scale[N])

    with W_q = round(W / w_scale) and w_scale[n] = max|W[:, n]| / 127
    (symmetric, one scale per output column). This is the pattern that ONNX
    Runtime's own ``quantize_dynamic`` writes, and its graph optimiser fuses it
    into one DynamicQuantizeMatMul kernel (int8 dot products: AVX-512 VNNI / AMX
    on recent x86). Activation-by-activation MatMuls (attention scores), the
    patch-embedding Conv, LayerNorms and softmax stay float.

Why
    ONNX Runtime's Python package (which has quantize_dynamic) is not available
    in the build environment, Debian's python3-onnx is: this is the same
    quantisation done by graph surgery, so any export can get an int8 tower. The
    service picks it with ``rag.model.variant=int8``.

Run
    /usr/bin/python3 tools/quantize_vision.py target/models/vit-b32-random/vision_model.onnx

Needs python3-onnx (1.12 or later) and numpy; nothing else.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def quantize(model: onnx.ModelProto) -> int:
    """Rewrites the model in place; returns how many MatMuls were quantised."""
    graph = model.graph
    initializers = {init.name: init for init in graph.initializer}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers[name] = consumers.get(name, 0) + 1

    new_nodes = []
    dropped = set()
    quantised_inputs = {}  # activation name -> (a_q, a_scale, a_zp): one DynamicQuantizeLinear per activation
    count = 0
    for node in graph.node:
        weight = initializers.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is None or len(weight.dims) != 2 or weight.data_type != TensorProto.FLOAT:
            new_nodes.append(node)
            continue
        w = numpy_helper.to_array(weight).astype(np.float32)  # [K, N]
        w_scale = np.abs(w).max(axis=0) / 127.0
        w_scale[w_scale == 0] = 1.0  # an all-zero column: any scale gives zeros
        w_q = np.clip(np.rint(w / w_scale), -127, 127).astype(np.int8)

        prefix = node.name or node.output[0]
        activation = node.input[0]
        if activation not in quantised_inputs:
            names = (activation + "_quantized", activation + "_scale", activation + "_zero_point")
            new_nodes.append(helper.make_node("DynamicQuantizeLinear", [activation], list(names),
                                              name=prefix + "_QuantizeLinear"))
            quantised_inputs[activation] = names
        a_q, a_scale, a_zp = quantised_inputs[activation]

        w_q_name, w_zp_name, w_scale_name = prefix + "_W_int8", prefix + "_W_zero_point", prefix + "_W_scale"
        graph.initializer.extend([
            numpy_helper.from_array(w_q, w_q_name),
            numpy_helper.from_array(np.zeros((), dtype=np.int8), w_zp_name),
            numpy_helper.from_array(w_scale.astype(np.float32), w_scale_name),
        ])
        product, as_float, scale = prefix + "_int32", prefix + "_float", prefix + "_scale"
        new_nodes.extend([
            helper.make_node("MatMulInteger", [a_q, w_q_name, a_zp, w_zp_name], [product], name=prefix + "_MatMulInteger"),
            helper.make_node("Cast", [product], [as_float], to=TensorProto.FLOAT, name=prefix + "_Cast"),
            helper.make_node("Mul", [a_scale, w_scale_name], [scale], name=prefix + "_ScaleMul"),
            helper.make_node("Mul", [as_float, scale], [node.output[0]], name=prefix + "_Rescale"),
        ])
        consumers[weight.name] -= 1
        if consumers[weight.name] == 0:
            dropped.add(weight.name)
        count += 1

    del graph.node[:]
    graph.node.extend(new_nodes)
    kept = [init for init in graph.initializer if init.name not in dropped]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    # Value infos of rewritten outputs stay valid (same name, same float type and shape).
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("model", help="the float vision tower, e.g. vision_model.onnx")
    parser.add_argument("--out", help="default: vision_model_quantized.onnx beside the input")
    args = parser.parse_args()
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.model)), "vision_model_quantized.onnx")

    model = onnx.load(args.model)
    if not any(op.domain in ("", "ai.onnx") and op.version >= 11 for op in model.opset_import):
        print("the model's opset is below 11, which DynamicQuantizeLinear needs; re-export it", file=sys.stderr)
        return 1
    count = quantize(model)
    if count == 0:
        print("no MatMul with a constant 2-D float weight found; nothing to quantise", file=sys.stderr)
        return 1
    onnx.checker.check_model(model)
    onnx.save(model, out)
    print(f"quantised {count} MatMuls: {out} ({os.path.getsize(out) / 1e6:.1f} MB, "
          f"from {os.path.getsize(args.model) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
