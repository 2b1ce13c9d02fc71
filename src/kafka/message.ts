/**
 * The probe message both clients agree on. The record value is JSON (readable with kcat / rpk):
 *   {"producer":"<producer id>","seq":<0-based sequence number>,"sentAt":<ms since epoch>}
 * plus an optional "pad" string when a payload size is asked for. The record key is the producer id.
 */
export interface ProbeMessage {
  producer: string;
  seq: number;
  /** Wall-clock time (ms since epoch) the producer handed the message to the client. */
  sentAt: number;
}

export function encodeMessage(m: ProbeMessage, payloadBytes = 0): string {
  const base = JSON.stringify({ producer: m.producer, seq: m.seq, sentAt: m.sentAt });
  const padLength = payloadBytes - base.length - ',"pad":""'.length;
  if (padLength <= 0) return base;
  return `${base.slice(0, -1)},"pad":"${'x'.repeat(padLength)}"}`;
}

/** The probe message in a record value, or undefined for anything else (foreign records on the topic). */
export function decodeMessage(value: Buffer | string | null | undefined): ProbeMessage | undefined {
  if (value === null || value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value.toString()) as Partial<ProbeMessage>;
    if (typeof parsed.producer !== 'string' || !Number.isInteger(parsed.seq) || typeof parsed.sentAt !== 'number') {
      return undefined;
    }
    return { producer: parsed.producer, seq: parsed.seq as number, sentAt: parsed.sentAt };
  } catch {
    return undefined;
  }
}
