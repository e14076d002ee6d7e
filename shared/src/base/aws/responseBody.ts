/**
 * A response body in one buffer of its announced length, filled as it arrives: the SDK's
 * `transformToByteArray` keeps every chunk and then a copy of them all (for a snapshot manifest,
 * ~10 MB at 100,000 files left for the GC during the whole backup; for each Scan page, one more
 * copy). A body shorter or longer than announced fails as a broken transfer, which is retried.
 */
export async function readWholeBody(body: AsyncIterable<Uint8Array>, length: number | undefined): Promise<Buffer> {
  // A short or long body is a broken transfer: retried like a reset connection.
  const broken = (message: string): Error => Object.assign(new Error(message), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  if (length === undefined) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of body) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
  const buffer = Buffer.allocUnsafeSlow(length);
  let filled = 0;
  for await (const chunk of body) {
    if (filled + chunk.length > length) throw broken(`The body is longer than its Content-Length (${length}).`);
    buffer.set(chunk, filled);
    filled += chunk.length;
  }
  if (filled !== length) throw broken(`The body ended after ${filled} of ${length} bytes.`);
  return buffer;
}

/**
 * Frees a big buffer's memory now, when its owner knows nothing else holds it (a whole response
 * body once decoded). V8 frees a buffer's bytes only when a garbage collection finds it dead, and
 * on Node 24 that can be long after: a snapshot manifest's body and its gunzipped text (~30 MB at
 * 100,000 files) stayed for most of a restore. Detaching (a zero-length `transfer`) releases them
 * at once. Only a buffer that is the whole of its ArrayBuffer: a pooled slice is shared.
 */
export function releaseBuffer(buffer: Uint8Array): void {
  // ES2024's ArrayBuffer.prototype.transfer (Node 21+), beyond the ES2023 lib this project compiles
  // with; on a host without it the buffer is left to the garbage collector, as before.
  const backing = buffer.buffer as ArrayBufferLike & { transfer?: (newLength: number) => ArrayBuffer };
  if (
    backing instanceof ArrayBuffer &&
    typeof backing.transfer === 'function' &&
    buffer.byteOffset === 0 &&
    buffer.byteLength === backing.byteLength
  ) {
    backing.transfer(0);
  }
}
