// A tool-calling round trip with the official `openai` Node.js client
// against `edgellm serve --http-listen` whose model calls a weather function
// (tests/server/edgellm_with_scripted_replies): tools -> a streamed call
// (delta.tool_calls merged by index, reasoning_content) -> a plain call
// (message.tool_calls) -> the tool's result -> the answer. Prints one
// PASS/FAIL line per check; exits 1 on any failure.
//
//   node openai_tools.mjs http://127.0.0.1:PORT/v1 TOKEN REPLIES.json
//
// REPLIES.json is the scripted model's replies; the expected call and
// answer are read from it.
import {readFileSync} from 'node:fs';
import OpenAI from 'openai';

const [baseURL, apiKey, repliesPath] = process.argv.slice(2);
const client = new OpenAI({baseURL, apiKey, maxRetries: 0, timeout: 60000});
let failures = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'PASS' : 'FAIL'}: ${name}${ok ? '' : ' -- ' + detail}`);
  if (!ok) failures++;
}

// What the scripted model says.
let expected = {};
for (const r of JSON.parse(readFileSync(repliesPath, 'utf8'))) {
  const call = /<tool_call>([\s\S]*?)<\/tool_call>/.exec(r.reply);
  if (call === null) {
    expected.answer = r.reply;
    continue;
  }
  const parsed = JSON.parse(call[1]);
  expected.name = parsed.name;
  expected.arguments = parsed.arguments;
  expected.reasoning = /<think>([\s\S]*?)<\/think>/.exec(r.reply)[1].trim();
}

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather now at a place.',
    parameters: {
      type: 'object',
      properties: {location: {type: 'string'},
                   unit: {type: 'string', enum: ['celsius', 'fahrenheit']}},
      required: ['location'],
    },
  },
}];
const messages = [{role: 'user', content: 'What is the weather in Paris?'}];

// Streamed: the call arrives as delta.tool_calls, merged by index.
const stream = await client.chat.completions.create({
  model: 'tiny', messages, tools, stream: true, temperature: 0, max_tokens: 300});
const calls = [];
let reasoning = '', content = '', finish = null;
for await (const chunk of stream) {
  for (const choice of chunk.choices) {
    reasoning += choice.delta.reasoning_content ?? '';
    content += choice.delta.content ?? '';
    for (const t of choice.delta.tool_calls ?? []) {
      calls[t.index] ??= {id: '', name: '', arguments: ''};
      calls[t.index].id += t.id ?? '';
      calls[t.index].name += t.function?.name ?? '';
      calls[t.index].arguments += t.function?.arguments ?? '';
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}
check('stream: one call of the weather function with its arguments',
      calls.length === 1 && calls[0].name === expected.name &&
      JSON.stringify(JSON.parse(calls[0].arguments)) ===
          JSON.stringify(expected.arguments) &&
      calls[0].id.startsWith('call_'),
      JSON.stringify(calls));
check('stream: reasoning_content apart, no content, finish tool_calls',
      reasoning.trim() === expected.reasoning && content.trim() === '' &&
      finish === 'tool_calls',
      JSON.stringify({reasoning, content, finish}));

// Not streamed: message.tool_calls.
const reply = await client.chat.completions.create({
  model: 'tiny', messages, tools, temperature: 0, max_tokens: 300});
const message = reply.choices[0].message;
check('plain: message.tool_calls, finish tool_calls',
      reply.choices[0].finish_reason === 'tool_calls' &&
      message.tool_calls?.length === 1 &&
      message.tool_calls[0].type === 'function' &&
      message.tool_calls[0].function.name === expected.name &&
      JSON.stringify(JSON.parse(message.tool_calls[0].function.arguments)) ===
          JSON.stringify(expected.arguments),
      JSON.stringify(reply.choices[0]));

// The tool's result goes back with the assistant's message; the model
// answers in text.
const args = JSON.parse(message.tool_calls[0].function.arguments);
const weather = {location: args.location, temperature: 18, sky: 'rain'};
const answer = await client.chat.completions.create({
  model: 'tiny',
  messages: [...messages, message,
             {role: 'tool', tool_call_id: message.tool_calls[0].id,
              content: JSON.stringify(weather)}],
  tools,
  temperature: 0,
  max_tokens: 300,
});
check('the answer after the tool result',
      answer.choices[0].message.content === expected.answer &&
      answer.choices[0].finish_reason === 'stop' &&
      answer.choices[0].message.tool_calls === undefined,
      JSON.stringify(answer.choices[0]));

// A call cannot be forced: a typed 400 naming tool_choice.
try {
  await client.chat.completions.create({
    model: 'tiny', messages, tools, tool_choice: 'required'});
  check('tool_choice required is refused', false, 'no error');
} catch (e) {
  check('tool_choice required is a 400 BadRequestError naming tool_choice',
        e instanceof OpenAI.BadRequestError && e.status === 400 &&
        e.param === 'tool_choice',
        `${e.constructor.name} ${e.status} ${e.param}`);
}

console.log(`${failures === 0 ? 'all' : failures} openai tool checks ${failures === 0 ? 'passed' : 'failed'}`);
process.exit(failures === 0 ? 0 : 1);
