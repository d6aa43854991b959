import { decodeQueueMessage } from '../shared/contracts/wireEncoding';
import { poisonCopyOf, queueMessageLimit, type PoisonTaskMessage } from './poisonTaskMessage';

const time = '2026-12-06T00:00:00.000Z';

test('a message that fits is kept whole, with its reason', () => {
  const copy = poisonCopyOf('Rejected task message: bad.', 'not json at all', time);
  expect(decodeQueueMessage(copy)).toEqual({
    reason: 'Rejected task message: bad.',
    rejectedTime: time,
    messageText: 'not json at all',
  });
});

test('a message near the queue limit is cut to fit, and the copy says how much was kept', () => {
  // JSON text is escaped again in the copy and base64-encoded: 60,000 characters would need about 85 KB.
  const text = JSON.stringify({ commandLine: `echo "${'x'.repeat(60_000)}"`, note: 'ü\n'.repeat(500) });
  const copy = poisonCopyOf('Rejected task message: message.version 99 is not supported.', text, time);
  expect(copy.length).toBeLessThanOrEqual(queueMessageLimit);
  const decoded = decodeQueueMessage(copy) as PoisonTaskMessage;
  expect(decoded.reason).toBe('Rejected task message: message.version 99 is not supported.');
  expect(decoded.messageTextTruncated).toEqual({
    originalLength: text.length,
    keptLength: decoded.messageText.length,
  });
  expect(text.startsWith(decoded.messageText)).toBe(true);
  // Not cut more than needed: most of the 64 KiB is used.
  expect(copy.length).toBeGreaterThan(queueMessageLimit * 0.9);
});

test('text that escapes to many times its length (control characters, non-Latin) still fits', () => {
  const text = '\u0001\u4e2d'.repeat(20_000);
  const copy = poisonCopyOf(
    'Rejected task message: message is neither JSON nor base64-encoded JSON.',
    text,
    time,
  );
  expect(copy.length).toBeLessThanOrEqual(queueMessageLimit);
  const decoded = decodeQueueMessage(copy) as PoisonTaskMessage;
  expect(decoded.messageTextTruncated?.originalLength).toBe(40_000);
  expect(text.startsWith(decoded.messageText)).toBe(true);
});
