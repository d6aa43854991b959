// A log file that stays bounded: once it holds `maxBytes`, it becomes `<file>.1` (replacing the one before) and a new
// file starts. The Functions host's `host.log` under `npm start` (50 MB) and each local node's `agent.log` (10 MB).
import * as fs from 'fs';
import * as path from 'path';

export class RotatingLogFile {
  private stream: fs.WriteStream;
  private written: number;

  constructor(
    readonly file: string,
    private readonly maxBytes = 50 * 1024 * 1024,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.written = fs.existsSync(file) ? fs.statSync(file).size : 0;
    this.stream = RotatingLogFile.open(file);
  }

  /** Opened at once (not when the stream gets to it), so a rotation right after finds the file. */
  private static open(file: string): fs.WriteStream {
    return fs.createWriteStream(file, { fd: fs.openSync(file, 'a') });
  }

  write(line: string): void {
    if (this.written >= this.maxBytes) this.rotate();
    const text = `${line}\n`;
    this.written += Buffer.byteLength(text);
    this.stream.write(text);
  }

  private rotate(): void {
    this.stream.end();
    try {
      fs.renameSync(this.file, `${this.file}.1`);
    } catch {
      // Gone meanwhile: a new file starts anyway.
    }
    this.written = 0;
    this.stream = RotatingLogFile.open(this.file);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
