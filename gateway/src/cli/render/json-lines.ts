/** Splits a stream of newline-separated JSON documents (Docker's progress streams) into values. */
export async function* jsonLines<T>(source: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let pending = '';
  for await (const chunk of source) {
    pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line !== '') yield JSON.parse(line) as T;
    }
  }
  if (pending.trim() !== '') yield JSON.parse(pending) as T;
}
