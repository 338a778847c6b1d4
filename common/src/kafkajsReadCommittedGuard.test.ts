import { describe, expect, it } from 'vitest';
import { dropAborted, type FetchedRecord, installKafkajsReadCommittedGuard } from './kafkajsReadCommittedGuard.js';

const data = (offset: number, producerId: string, inTransaction = true): FetchedRecord => ({
  offset: String(offset),
  key: Buffer.from('k'),
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, type: 0 | 1): FetchedRecord => {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  return { offset: String(offset), key, isControlRecord: true, batchContext: { producerId, inTransaction: true } };
};
const kept = (rs: FetchedRecord[]) => rs.filter((r) => !r.isControlRecord).map((r) => Number(r.offset));

describe("read_committed: records of aborted transactions (kafkajs's filter fixed)", () => {
  it('transactions listed by where they ended, not where they began: all their records dropped', () => {
    // 0 p1, 1 p2, 2 abort p2, 3 abort p1, 4 p3, 5 commit p3. The broker lists p2's first.
    const messages = [data(0, 'p1'), data(1, 'p2'), marker(2, 'p2', 0), marker(3, 'p1', 0), data(4, 'p3'), marker(5, 'p3', 1)];
    const p = {
      abortedTransactions: [
        { producerId: 'p2', firstOffset: '1' },
        { producerId: 'p1', firstOffset: '0' },
      ],
      messages,
    };
    expect(dropAborted(p)).toBe(2);
    expect(kept(messages)).toEqual([4]);
    expect(p.abortedTransactions).toEqual([]);
  });

  it('a fetch that starts inside several aborted transactions; a producer committing after its abort is read', () => {
    const messages = [data(10, 'p2'), data(11, 'p1'), marker(12, 'p1', 0), marker(13, 'p2', 0), data(14, 'p1'), marker(15, 'p1', 1), data(16, 'x', false)];
    const p = {
      abortedTransactions: [
        { producerId: 'p1', firstOffset: '3' },
        { producerId: 'p2', firstOffset: '5' },
      ],
      messages,
    };
    dropAborted(p);
    expect(kept(messages)).toEqual([14, 16]);
  });

  it('installs once on the kafkajs it was written for', () => {
    installKafkajsReadCommittedGuard();
    expect(installKafkajsReadCommittedGuard()).toBe(false);
  });
});
