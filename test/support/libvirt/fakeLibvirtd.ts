/**
 * A fake libvirtd on a temporary unix socket that answers each CALL with the reply recorded
 * for the same (program, procedure) in test/fixtures/libvirt-rpc, its serial rewritten.
 * Tests script it: hold replies, push raw bytes, answer nothing, close the connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initialFrameState, splitFrames } from '#agent/libvirt/framing.js';
import { decodeMessage, type MessageHeader } from '#agent/libvirt/message.js';
import { loadTranscript } from './transcript.js';

export class FakeLibvirtd {
  readonly received: MessageHeader[] = [];
  /** The payload of each message received (XDR arguments), by the index of its header in `received`. */
  readonly payloads: Buffer[] = [];
  /** Procedures (program/proc) whose calls get no reply. */
  readonly silent = new Set<string>();
  /** Replies to hold back until release() (by program/proc). */
  readonly held = new Set<string>();
  private heldReplies: Buffer[] = [];
  private conn: Socket | null = null;
  private readonly replies = new Map<string, Buffer>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'fake-libvirtd-'));
  readonly socketPath = join(this.dir, 'libvirt-sock');

  private constructor(private readonly server: Server) {
    const t = loadTranscript();
    for (const f of t.frames.filter((x) => x.dir === 'in')) {
      const h = decodeMessage(f.bytes.subarray(4)).header;
      const key = `${h.prog}/${h.proc}`;
      if (h.type === 1 && !this.replies.has(key)) this.replies.set(key, f.bytes);
    }
  }

  static async start(): Promise<FakeLibvirtd> {
    const server = createServer();
    const fake = new FakeLibvirtd(server);
    server.on('connection', (s) => fake.accept(s));
    await new Promise<void>((r) => server.listen(fake.socketPath, r));
    return fake;
  }

  private accept(s: Socket): void {
    this.conn = s;
    let state = initialFrameState;
    s.on('error', () => {});
    s.on('data', (chunk: Buffer) => {
      const r = splitFrames(state, chunk);
      state = r.state;
      for (const f of r.frames) {
        const m = decodeMessage(f);
        this.payloads.push(Buffer.from(m.payload));
        this.onCall(m.header);
      }
    });
  }

  private onCall(h: MessageHeader): void {
    this.received.push(h);
    const key = `${h.prog}/${h.proc}`;
    if (h.type !== 0 || this.silent.has(key)) return;
    const recorded = this.replies.get(key);
    if (!recorded) return;
    const reply = Buffer.from(recorded);
    reply.writeUInt32BE(h.serial, 20);
    if (this.held.has(key)) this.heldReplies.push(reply);
    else this.conn?.write(reply);
  }

  release(): void {
    for (const r of this.heldReplies) this.conn?.write(r);
    this.heldReplies = [];
  }

  push(bytes: Buffer): void {
    this.conn?.write(bytes);
  }

  dropConnection(): void {
    this.conn?.destroy();
  }

  async stop(): Promise<void> {
    this.conn?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
