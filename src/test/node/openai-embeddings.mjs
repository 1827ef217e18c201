// The official OpenAI client for Node.js (npm `openai`, v7) against a running service:
//
//   OPENAI_NODE_DIR=target/openai-node/node_modules node src/test/node/openai-embeddings.mjs http://127.0.0.1:8080/v1
//
// Lists the models, embeds one string, a list, and a string as base64 (also the client's own default, which it
// decodes), and checks that an empty list is refused with the client's BadRequestError carrying the service's
// message. Prints one line per check and exits 1 at the first that fails. Run by OpenAiClientIT.
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const require = createRequire(`${process.env.OPENAI_NODE_DIR}/`);
const { default: OpenAI, BadRequestError } = require('openai');
const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'unused', maxRetries: 0, timeout: 60_000 });

const unit = (vector) => Math.abs(Math.hypot(...vector) - 1) < 1e-4;
// JSON carries each float in its shortest form, which reads back as a double near it; as float32 the two are equal.
const float32 = (vector) => Array.from(Float32Array.from(vector));

const models = await client.models.list();
const ids = models.data.map((model) => model.id);
assert.ok(ids.length >= 1, 'models listed');
const model = ids[0];
console.log(`models: ${ids.join(', ')}`);

const one = await client.embeddings.create({ model, input: 'a red motorcycle', encoding_format: 'float' });
assert.equal(one.object, 'list');
assert.equal(one.data.length, 1);
assert.ok(Array.isArray(one.data[0].embedding) && unit(one.data[0].embedding), 'one unit vector of floats');
assert.ok(one.usage.prompt_tokens > 0, 'tokens counted');
console.log(`one string: ${one.data[0].embedding.length} floats, ${one.usage.prompt_tokens} tokens`);

const list = await client.embeddings.create({ model, input: ['a cat', 'موتورسیکلت قرمز', 'a red motorcycle'],
    encoding_format: 'float' });
assert.deepEqual(list.data.map((item) => item.index), [0, 1, 2]);
assert.deepEqual(list.data[2].embedding, one.data[0].embedding, 'the same text, the same vector, in its place');
console.log(`a list: ${list.data.length} embeddings in order`);

const raw = await client.embeddings.create({ model, input: 'a red motorcycle', encoding_format: 'base64' });
const bytes = Buffer.from(raw.data[0].embedding, 'base64');
const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
assert.deepEqual(decoded, float32(one.data[0].embedding), 'base64 holds the same little-endian floats');
// Without encoding_format the client asks for base64 itself and decodes it.
const byDefault = await client.embeddings.create({ model, input: 'a red motorcycle' });
assert.deepEqual(float32(byDefault.data[0].embedding), float32(one.data[0].embedding), 'the client decodes base64');
console.log('base64: the same floats, explicit and as the client\'s default');

try {
    await client.embeddings.create({ model, input: [] });
    assert.fail('an empty list was accepted');
} catch (error) {
    assert.ok(error instanceof BadRequestError, `a BadRequestError, not ${error}`);
    assert.equal(error.status, 400);
    assert.match(error.message, /'input' must hold 1 to/);
    assert.equal(error.type, 'invalid_request_error');
    console.log(`an empty list: ${error.status} ${error.message}`);
}
console.log('OK');
