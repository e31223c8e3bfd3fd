import { FrameDecoder, StreamType } from '../../stream/multiplexed-stream.js';
import type { Output } from '../command.js';

/**
 * Copies a container's output stream to the terminal: raw for a TTY container, otherwise split
 * into stdout and stderr by the multiplexed framing.
 */
export async function copyContainerOutput(source: AsyncIterable<Buffer>, tty: boolean, stdout: Output, stderr: Output): Promise<void> {
  if (tty) {
    for await (const chunk of source) stdout.write(chunk);
    return;
  }
  const decoder = new FrameDecoder();
  for await (const chunk of source) {
    for (const frame of decoder.push(chunk)) {
      (frame.stream === StreamType.Stderr || frame.stream === StreamType.SystemErr ? stderr : stdout).write(frame.payload);
    }
  }
}
