// Runs discord-interactions' verifyKey on cases read from standard input, for
// bot's TestVerifyMatchesDiscordInteractions: a JSON array of
// {"key", "signature", "timestamp", "body"} (body in base64), answered with a
// JSON array of verdicts (true or false), one a case, on standard output.
//
// The package is loaded from the node_modules folder named by
// STORYBOT_NODE_MODULES.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.env.STORYBOT_NODE_MODULES;
if (!dir) {
  console.error('STORYBOT_NODE_MODULES is not set');
  process.exit(2);
}
const { verifyKey } = createRequire(join(dir, 'noop.js'))('discord-interactions');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const verdicts = [];
for (const c of JSON.parse(input)) {
  verdicts.push(await verifyKey(Buffer.from(c.body, 'base64'), c.signature, c.timestamp, c.key));
}
process.stdout.write(JSON.stringify(verdicts) + '\n');
