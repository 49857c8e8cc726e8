#!/usr/bin/env node
// Streams a generation from an edgellm server and prints tokens as they
// arrive.
//
//   cd examples/node && npm ci
//   node client.js --server 127.0.0.1:50051 --prompt "Once upon a time" \
//       --max-tokens 64 --temperature 0
//
// With --weather-tool it runs a tool-calling round trip through Chat: the
// --prompt as the user's question with a `get_weather` tool; each call the
// model makes is answered by the local getWeather() below and sent back as a
// "tool" message, and the model's answer is streamed to stdout (reasoning
// and calls are logged to stderr):
//
//   node client.js --weather-tool --prompt "What is the weather in Paris?"
//
// With --embed it calls Embed on each --text (repeatable; default the
// --prompt) and prints one line per text, the vector's values separated by
// spaces (--normalize: unit length; --pooling mean|cls|last, default the
// model's), and "# embeddings: N x DIMENSIONS" on stderr. With --rerank it calls Rerank on a
// reranker model and prints "score<TAB>document" per --document, in input
// order, for the --query:
//
//   node client.js --embed --normalize --text "a red ball" --text "a car"
//   node client.js --rerank --query "what is red" --document "a red ball" \
//       --document "a car"
//
// The service definition is loaded from proto/edgellm/v1/edgellm.proto at run
// time with @grpc/proto-loader (no generated code). Exit status: 0 on
// success, 1 with the gRPC status on stderr otherwise.
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.join(__dirname, '..', '..', 'proto');

function parseArgs(argv) {
  const args = {
    server: '127.0.0.1:50051',
    prompt: 'Once upon a time',
    maxTokens: 64,
    temperature: undefined,
    seed: undefined,
    stop: [],
    token: '',
    tlsCa: '',
    timeout: 60,
    weatherTool: false,
    embed: false,
    rerank: false,
    normalize: false,
    pooling: '',
    text: [],
    query: '',
    document: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--server': args.server = value(); break;
      case '--prompt': args.prompt = value(); break;
      case '--max-tokens': args.maxTokens = parseInt(value(), 10); break;
      case '--temperature': args.temperature = parseFloat(value()); break;
      case '--seed': args.seed = value(); break;
      case '--stop': args.stop.push(value()); break;
      case '--token': args.token = value(); break;
      case '--tls-ca': args.tlsCa = value(); break;
      case '--timeout': args.timeout = parseFloat(value()); break;
      case '--weather-tool': args.weatherTool = true; break;
      case '--embed': args.embed = true; break;
      case '--rerank': args.rerank = true; break;
      case '--normalize': args.normalize = true; break;
      case '--pooling':
        args.pooling = value();
        if (!['mean', 'cls', 'last'].includes(args.pooling)) {
          throw new Error('--pooling is mean, cls or last');
        }
        break;
      case '--text': args.text.push(value()); break;
      case '--query': args.query = value(); break;
      case '--document': args.document.push(value()); break;
      case '--help':
        console.log('usage: node client.js [--server HOST:PORT] [--prompt TEXT] ' +
                    '[--max-tokens N] [--temperature T] [--seed S] [--stop TEXT] ' +
                    '[--token TOKEN] [--tls-ca PEM] [--timeout SECONDS] ' +
                    '[--weather-tool] [--embed [--normalize] [--pooling P] ' +
                    '--text TEXT ...] ' +
                    '[--rerank --query TEXT --document TEXT ...]');
        process.exit(0);
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  return args;
}

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The current weather at a place.',
  parameters: JSON.stringify({
    type: 'object',
    properties: {
      location: {type: 'string', description: 'a city'},
      unit: {type: 'string', enum: ['celsius', 'fahrenheit']},
    },
    required: ['location'],
  }),
};

// Embed or Rerank (unary calls): prints the vectors or the scores.
function embedOrRerank(client, args, metadata) {
  const deadline = new Date(Date.now() + args.timeout * 1000);
  const done = (err) => {
    if (err) {
      process.stderr.write(`error: ${grpc.status[err.code]}: ${err.details}\n`);
      process.exitCode = 1;
    }
    client.close();
  };
  if (args.rerank) {
    const request = {query: args.query, documents: args.document};
    client.Rerank(request, metadata, {deadline}, (err, response) => {
      if (!err) {
        response.scores.forEach((score, i) => {
          process.stdout.write(`${score}\t${args.document[i]}\n`);
        });
      }
      done(err);
    });
    return;
  }
  const texts = args.text.length ? args.text : [args.prompt];
  const request = {texts, normalize: args.normalize};
  if (args.pooling) request.pooling = `POOLING_${args.pooling.toUpperCase()}`;
  client.Embed(request, metadata, {deadline}, (err, response) => {
    if (!err) {
      for (const e of response.embeddings) {
        process.stdout.write(e.values.join(' ') + '\n');
      }
      process.stderr.write(`# embeddings: ${response.embeddings.length} x ` +
                           `${response.dimensions}\n`);
    }
    done(err);
  });
}

// The tool: a stand-in for a weather service.
function getWeather({location = '', unit = 'celsius'}) {
  return {location, temperature: unit === 'celsius' ? 18 : 64, unit, sky: 'rain'};
}

// One Chat call: content to stdout; resolves to {reasoning, calls, final}.
function streamChat(client, request, metadata, args) {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + args.timeout * 1000);
    const call = client.Chat(request, metadata, {deadline});
    const reply = {reasoning: '', calls: [], final: null};
    call.on('data', (response) => {
      process.stdout.write(response.text);
      reply.reasoning += response.reasoning;
      reply.calls.push(...response.tool_calls);
      if (response.finish_reason !== 'FINISH_REASON_UNSPECIFIED') reply.final = response;
    });
    call.on('error', reject);
    call.on('end', () => {
      process.stderr.write(`# finish=${reply.final.finish_reason}\n`);
      resolve(reply);
    });
  });
}

// tools -> the model's calls -> their results -> the model's answer.
async function weatherRoundTrip(client, args, metadata) {
  const sampling = {};
  if (args.temperature !== undefined) sampling.temperature = args.temperature;
  const request = {
    messages: [{role: 'user', content: args.prompt}],
    tools: [WEATHER_TOOL],
    sampling,
    limits: {max_tokens: args.maxTokens},
  };
  const first = await streamChat(client, request, metadata, args);
  if (first.reasoning) process.stderr.write(`# reasoning: ${first.reasoning.trim()}\n`);
  if (first.final.finish_reason === 'FINISH_REASON_TOOL_CALLS') {
    // The assistant's turn goes back as it was, then one result per call.
    request.messages.push({role: 'assistant', reasoning_content: first.reasoning,
                           tool_calls: first.calls});
    for (const call of first.calls) {
      process.stderr.write(`# tool call: ${call.name} ${call.arguments}\n`);
      const result = JSON.stringify(call.name === 'get_weather'
          ? getWeather(JSON.parse(call.arguments))
          : {error: `no tool named ${call.name}`});
      process.stderr.write(`# tool result: ${result}\n`);
      request.messages.push({role: 'tool', tool_call_id: call.id, name: call.name,
                             content: result});
    }
    await streamChat(client, request, metadata, args);
  }
  process.stdout.write('\n');
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const definition = protoLoader.loadSync('edgellm/v1/edgellm.proto', {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const edgellm = grpc.loadPackageDefinition(definition).edgellm.v1;
  const credentials = args.tlsCa
      ? grpc.credentials.createSsl(fs.readFileSync(args.tlsCa))
      : grpc.credentials.createInsecure();
  const client = new edgellm.EdgeLlm(args.server, credentials);

  const sampling = {};
  if (args.temperature !== undefined) sampling.temperature = args.temperature;
  if (args.seed !== undefined) sampling.seed = args.seed;
  const request = {
    prompt: args.prompt,
    sampling,
    limits: {max_tokens: args.maxTokens, stop: args.stop},
  };
  const metadata = new grpc.Metadata();
  if (args.token) metadata.add('authorization', `Bearer ${args.token}`);
  if (args.embed || args.rerank) {
    embedOrRerank(client, args, metadata);
    return;
  }
  if (args.weatherTool) {
    weatherRoundTrip(client, args, metadata).catch((err) => {
      process.stderr.write(`\nerror: ${grpc.status[err.code]}: ${err.details}\n`);
      process.exitCode = 1;
    }).finally(() => client.close());
    return;
  }
  const deadline = new Date(Date.now() + args.timeout * 1000);

  const call = client.Generate(request, metadata, {deadline});
  let final = null;
  call.on('data', (response) => {
    process.stdout.write(response.text);
    if (response.finish_reason !== 'FINISH_REASON_UNSPECIFIED') final = response;
  });
  call.on('error', (err) => {
    process.stderr.write(`\nerror: ${grpc.status[err.code]}: ${err.details}\n`);
    process.exitCode = 1;
    client.close();
  });
  call.on('end', () => {
    process.stdout.write('\n');
    if (final) {
      const u = final.usage;
      process.stderr.write(
          `# finish=${final.finish_reason} prompt_tokens=${u.prompt_tokens} ` +
          `generated_tokens=${u.generated_tokens} ` +
          `ttft_ms=${u.time_to_first_token_ms.toFixed(1)} ` +
          `tokens_per_s=${u.tokens_per_second.toFixed(1)}\n`);
    }
    client.close();
  });
}

try {
  main();
} catch (err) {
  process.stderr.write(`error: ${err.message}\n`);
  process.exit(1);
}
