// Raw ONNX Runtime baseline: onnxruntime-node runs the vision tower on random pixels at a given
// batch size with the same session settings as the service (all graph optimisations, sequential,
// intra-op threads = THREADS, inter-op 1, no spin-waiting), no decoding, no HTTP.
//
//   node bench/encode/raw-ort.mjs MODEL.onnx BATCH THREADS SECONDS [OTHER_MODEL.onnx]
//
// Prints one JSON line: images/s and per-run latency percentiles (ms). With OTHER_MODEL it also
// prints the cosine between the two models' outputs for the same pixels (an int8/fp32 check).
import { createRequire } from 'node:module';
const require = createRequire(process.env.ORT_NODE_DIR + '/');
const ort = require('onnxruntime-node');

const [model, batchArg, threadsArg, secondsArg, other] = process.argv.slice(2);
const batch = Number(batchArg), threads = Number(threadsArg), seconds = Number(secondsArg);
// As OrtSessions.open: spin-waiting off unless ALLOW_SPINNING=1 (rag.model.allow-spinning).
const options = { graphOptimizationLevel: 'all', executionMode: 'sequential',
                  intraOpNumThreads: threads, interOpNumThreads: 1,
                  extra: { session: { intra_op: { allow_spinning: process.env.ALLOW_SPINNING === '1' ? '1' : '0' } } } };
const session = await ort.InferenceSession.create(model, options);
const size = 224;
const pixels = new Float32Array(batch * 3 * size * size);
let seed = 42;
for (let i = 0; i < pixels.length; i++) { seed = (seed * 1103515245 + 12345) >>> 0; pixels[i] = (seed / 2 ** 32) * 4 - 2; }
const feeds = { pixel_values: new ort.Tensor('float32', pixels, [batch, 3, size, size]) };
const fetches = ['image_embeds'];

for (let i = 0; i < 3; i++) await session.run(feeds, fetches);   // warm-up
const times = [];
const start = process.hrtime.bigint();
const deadline = start + BigInt(Math.round(seconds * 1e9));
let runs = 0;
while (runs < 3 || process.hrtime.bigint() < deadline) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds, fetches);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    runs++;
    if (runs >= 10000) break;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
times.sort((a, b) => a - b);
const pct = p => times[Math.min(times.length - 1, Math.floor(times.length * p))];
const result = { model, batch, threads, runs, imagesPerSecond: runs * batch / elapsed,
                 p50: pct(0.5), p95: pct(0.95), p99: pct(0.99) };
if (other) {
    const second = await ort.InferenceSession.create(other, options);
    const a = (await session.run(feeds, fetches)).image_embeds.data;
    const b = (await second.run(feeds, fetches)).image_embeds.data;
    const d = a.length / batch;
    let worst = 1;
    for (let r = 0; r < batch; r++) {
        let ab = 0, aa = 0, bb = 0;
        for (let i = r * d; i < (r + 1) * d; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        worst = Math.min(worst, ab / Math.sqrt(aa * bb));
    }
    result.minCosineToOther = worst;
}
console.log(JSON.stringify(result));
