#!/usr/bin/env node
// Tiny QMP client for the infra scripts (the agent has its own client in agent/src/qmp).
//   node infra/qemu/qmp.mjs SOCKET COMMAND ['{"json":"arguments"}'] [--timeout=SECONDS] [--retry]
// Connects to a QMP unix socket, negotiates capabilities, runs COMMAND and prints its
// `return` value as JSON. Exit code 1 with `qmp: ...` on stderr on any error.
// --retry keeps retrying the connection until the timeout (for readiness checks).
import net from 'node:net';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = new Map(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const [k, v] = a.slice(2).split('=');
      return [k, v ?? 'true'];
    }),
);
const [socketPath, command, rawArgs] = args;
const timeoutMs = Number(flags.get('timeout') ?? 10) * 1000;
if (!socketPath || !command) {
  process.stderr.write('usage: qmp.mjs SOCKET COMMAND [JSON-ARGUMENTS] [--timeout=S] [--retry]\n');
  process.exit(2);
}

function once() {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let buf = '';
    let stage = 'greeting';
    sock.setEncoding('utf8');
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`connection closed during ${stage}`)));
    const send = (msg) => sock.write(`${JSON.stringify(msg)}\r\n`);
    sock.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line);
        if (msg.event) continue;
        if (stage === 'greeting' && msg.QMP) {
          stage = 'negotiation';
          send({ execute: 'qmp_capabilities', id: 'neg' });
        } else if (stage === 'negotiation' && msg.id === 'neg') {
          if (msg.error) return reject(new Error(`qmp_capabilities: ${msg.error.desc}`));
          stage = command;
          send({ execute: command, ...(rawArgs ? { arguments: JSON.parse(rawArgs) } : {}), id: 'cmd' });
        } else if (msg.id === 'cmd') {
          sock.removeAllListeners('close');
          sock.end();
          if (msg.error) return reject(new Error(`${command}: ${msg.error.class}: ${msg.error.desc}`));
          resolve(msg.return);
        }
      }
    });
  });
}

const deadline = Date.now() + timeoutMs;
const timer = setTimeout(() => {
  process.stderr.write(`qmp: no answer from ${socketPath} within ${timeoutMs / 1000}s\n`);
  process.exit(1);
}, timeoutMs);
for (;;) {
  try {
    const ret = await once();
    clearTimeout(timer);
    process.stdout.write(`${JSON.stringify(ret)}\n`);
    break;
  } catch (err) {
    if (!flags.has('retry') || Date.now() > deadline) {
      clearTimeout(timer);
      process.stderr.write(`qmp: ${socketPath}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
