/**
 * Cuts a byte stream into records without decoding it: a record ends at a line feed outside double
 * quotes (CSV) or at any line feed (NDJSON). Quote, comma, CR and LF are single ASCII bytes that never
 * occur inside a multi-byte UTF-8 or GB18030 character, so framing the raw bytes is safe for both.
 *
 * Each record comes with the offset just past it, which is what the reader checkpoints: resuming there
 * with a ranged GET starts exactly at the next record. A record longer than `maxRecordBytes` is not
 * kept: its bytes are skipped up to its end and it is reported as oversized, so a 10 MB line costs no
 * more memory than the cap.
 */
export interface FramedRecord {
  /** The record's bytes without its line ending; empty for an oversized record. */
  bytes: Buffer;
  /** Absolute offset in the file just past the record (its line ending included). */
  end: number;
  oversized: boolean;
  /** Bytes the record had, line ending excluded (for an oversized record, its true length). */
  length: number;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

export class RecordFramer {
  private parts: Buffer[] = [];
  private kept = 0;
  private length = 0;
  private oversized = false;
  private inQuotes = false;
  private offset: number;

  constructor(private readonly options: { quotes: boolean; maxRecordBytes: number; startOffset: number }) {
    this.offset = options.startOffset;
  }

  /** Feeds the next bytes; returns the records they completed. */
  push(chunk: Buffer): FramedRecord[] {
    const out: FramedRecord[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === QUOTE && this.options.quotes) this.inQuotes = !this.inQuotes;
      else if (byte === LF && !this.inQuotes) {
        this.take(chunk.subarray(start, i + 1));
        start = i + 1;
        out.push(this.finish(this.offset + i + 1));
      }
    }
    this.take(chunk.subarray(start));
    this.offset += chunk.length;
    return out;
  }

  /** The record left at the end of the file, if it had no line ending. */
  end(): FramedRecord[] {
    if (this.length === 0) return [];
    return [this.finish(this.offset)];
  }

  private take(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.length += bytes.length;
    if (this.oversized) return;
    if (this.length > this.options.maxRecordBytes + 2) {
      this.oversized = true;
      this.parts = [];
      this.kept = 0;
      return;
    }
    // Copied: the stream may reuse the buffer it handed us.
    this.parts.push(Buffer.from(bytes));
    this.kept += bytes.length;
  }

  private finish(end: number): FramedRecord {
    let bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.kept);
    let trim = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === LF) trim++;
    if (bytes.length > trim && bytes[bytes.length - 1 - trim] === CR) trim++;
    bytes = bytes.subarray(0, bytes.length - trim);
    const length = this.oversized ? this.length - trim : bytes.length;
    const record = {
      bytes: this.oversized ? Buffer.alloc(0) : bytes,
      end,
      oversized: this.oversized || length > this.options.maxRecordBytes,
      length,
    };
    if (record.oversized) record.bytes = Buffer.alloc(0);
    this.parts = [];
    this.kept = 0;
    this.length = 0;
    this.oversized = false;
    this.inQuotes = false;
    return record;
  }
}
