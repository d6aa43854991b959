// What the node agent keeps of a task message it sets aside in its task queue's poison queue: the reason and the
// message's text, cut when the copy would not fit in a queue message (a copy that could not be sent would leave the
// message to come back forever).
import { encodeQueueMessage } from '../shared/contracts/wireEncoding';

/** The Queue service's limit on a message's text: 64 KiB. */
export const queueMessageLimit = 64 * 1024;
/** A reason longer than this is cut (it names the message's fault, not its content). */
const reasonKept = 4_096;

export interface PoisonTaskMessage {
  reason: string;
  rejectedTime: string;
  /** The message's text as received, or its beginning when `messageTextTruncated` is set. */
  messageText: string;
  /** Set when the text was cut to fit: its length and how much of it is kept (UTF-16 code units). */
  messageTextTruncated?: { originalLength: number; keptLength: number };
}

/** The poison queue message (base64 of JSON, at most `limit` characters) setting `messageText` aside. */
export function poisonCopyOf(
  reason: string,
  messageText: string,
  rejectedTime: string,
  limit = queueMessageLimit,
): string {
  const copy = (kept: number): string => {
    const body: PoisonTaskMessage = {
      reason: reason.length > reasonKept ? `${reason.slice(0, reasonKept)}...` : reason,
      rejectedTime,
      messageText: messageText.slice(0, kept),
      ...(kept < messageText.length
        ? { messageTextTruncated: { originalLength: messageText.length, keptLength: kept } }
        : {}),
    };
    return encodeQueueMessage(body);
  };
  let kept = messageText.length;
  let encoded = copy(kept);
  while (encoded.length > limit && kept > 0) {
    // JSON escapes and UTF-8 make a character cost 1 to 12 characters of base64: shrink by what is over, and more.
    kept = Math.max(0, Math.floor((kept * limit) / encoded.length) - 64);
    encoded = copy(kept);
  }
  return encoded;
}
