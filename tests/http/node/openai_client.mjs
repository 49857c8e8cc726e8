// The official `openai` Node.js client against `edgellm serve --http-listen`:
// lists models, streams a chat completion, runs a non-streamed completion
// and embeddings, and checks what comes back. Prints one PASS/FAIL line per
// check; exits 1 on any failure.
//
//   node openai_client.mjs http://127.0.0.1:PORT/v1 TOKEN GENERATE.json
//
// GENERATE.json is `edgellm generate --temperature 0 --json` of the
// completion's prompt on the same model, so the completion is compared
// against the engine's own greedy output.
import {readFileSync} from 'node:fs';
import OpenAI from 'openai';

const [baseURL, apiKey, generatePath] = process.argv.slice(2);
const expectedText = JSON.parse(readFileSync(generatePath, 'utf8')).text;
const client = new OpenAI({baseURL, apiKey, maxRetries: 0, timeout: 60000});
let failures = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'PASS' : 'FAIL'}: ${name}${ok ? '' : ' -- ' + detail}`);
  if (!ok) failures++;
}

const models = await client.models.list();
const ids = models.data.map((m) => m.id);
check('models.list names the served model', ids.length === 1 && ids[0] === 'tiny',
      JSON.stringify(ids));
const model = await client.models.retrieve('tiny');
check('models.retrieve', model.id === 'tiny' && model.object === 'model',
      JSON.stringify(model));

// A streamed chat completion, with usage in the last chunk.
const stream = await client.chat.completions.create({
  model: 'tiny',
  messages: [{role: 'system', content: 'You are brief.'},
             {role: 'user', content: 'Say hello.'}],
  stream: true,
  stream_options: {include_usage: true},
  max_tokens: 12,
  temperature: 0,
});
let streamed = '', chunks = 0, finish = null, usage = null, role = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    if (choice.delta.role) role = choice.delta.role;
    streamed += choice.delta.content ?? '';
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}
check('chat stream: assistant role, several chunks, a finish reason',
      role === 'assistant' && chunks >= 3 && (finish === 'length' || finish === 'stop'),
      JSON.stringify({role, chunks, finish}));
check('chat stream: usage in the last chunk',
      usage !== null && usage.completion_tokens > 0 && usage.completion_tokens <= 12 &&
      usage.total_tokens === usage.prompt_tokens + usage.completion_tokens,
      JSON.stringify(usage));

// The same chat not streamed: the same greedy text.
const whole = await client.chat.completions.create({
  model: 'tiny',
  messages: [{role: 'system', content: 'You are brief.'},
             {role: 'user', content: 'Say hello.'}],
  max_tokens: 12,
  temperature: 0,
});
check('chat: streamed text equals the non-streamed text',
      whole.choices[0].message.content === streamed,
      JSON.stringify([whole.choices[0].message.content, streamed]));

// A non-streamed completion equals the engine's greedy generation.
const completion = await client.completions.create({
  model: 'tiny', prompt: 'Once upon a time', max_tokens: 16, temperature: 0,
});
check('completion text equals `edgellm generate --temperature 0`',
      completion.choices[0].text === expectedText,
      JSON.stringify([completion.choices[0].text, expectedText]));
check('completion usage', completion.usage.completion_tokens > 0,
      JSON.stringify(completion.usage));

// Embeddings: unit vectors of the model's width, float and base64 alike.
const texts = ['a red ball', 'a blue car'];
const floats = await client.embeddings.create({
  model: 'tiny', input: texts, encoding_format: 'float'});
const base64 = await client.embeddings.create({model: 'tiny', input: texts});
const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
check('embeddings: one unit vector per text',
      floats.data.length === 2 && floats.data.every(
          (e, i) => e.index === i && e.embedding.length > 0 &&
                    Math.abs(norm(e.embedding) - 1) < 1e-4),
      JSON.stringify(floats.data.map((e) => [e.index, e.embedding.length])));
check('embeddings: base64 (the client default) decodes to the same floats',
      base64.data.every((e, i) => e.embedding.length === floats.data[i].embedding.length &&
          e.embedding.every((x, j) => Math.abs(x - floats.data[i].embedding[j]) < 1e-6)),
      'vectors differ');

// Errors come back as the client's typed errors with the right status.
try {
  await client.chat.completions.create({
    model: 'tiny', messages: [{role: 'user', content: 'x'}], n: 2});
  check('n = 2 is refused', false, 'no error');
} catch (e) {
  check('n = 2 is a 400 BadRequestError naming `n`',
        e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'n',
        `${e.constructor.name} ${e.status} ${e.param}`);
}
try {
  await client.models.retrieve('gpt-4o');
  check('an unknown model is refused', false, 'no error');
} catch (e) {
  check('an unknown model is a 404 NotFoundError',
        e instanceof OpenAI.NotFoundError && e.status === 404,
        `${e.constructor.name} ${e.status}`);
}
const stranger = new OpenAI({baseURL, apiKey: 'wrong', maxRetries: 0});
try {
  await stranger.models.list();
  check('a wrong key is refused', false, 'no error');
} catch (e) {
  check('a wrong key is a 401 AuthenticationError',
        e instanceof OpenAI.AuthenticationError && e.status === 401,
        `${e.constructor.name} ${e.status}`);
}

console.log(`${failures === 0 ? 'all' : failures} openai client checks ${failures === 0 ? 'passed' : 'failed'}`);
process.exit(failures === 0 ? 0 : 1);
