import type WebSocket from 'ws';

/** A message pipe. The RPC layer sees only this, so tests can use an in-memory pair. */
export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /** `text` is undefined for a binary frame, which the protocol does not use. */
  onMessage(listener: (text: string | undefined, bytes: number) => void): void;
  onClose(listener: (code: number, reason: string) => void): void;
}

/**
 * Listens from the moment it is made and keeps what arrives until a listener
 * subscribes: `ws` can emit the first frames in the same tick as 'open',
 * before a promise continuation would have attached anything.
 */
export function webSocketTransport(socket: WebSocket): Transport {
  const early: Array<[string | undefined, number]> = [];
  let deliver: ((text: string | undefined, bytes: number) => void) | undefined;
  // ws emits 'error' for a frame it refuses at the WebSocket level (past maxPayload, text that is
  // not UTF-8, a reserved opcode, an unmasked client frame) and then closes with the code that
  // says why (1009, 1007, 1002), which onClose reports. Unheard, the error would be thrown and end
  // the process: one bad frame from anyone who can connect must not stop a server or a host.
  socket.on('error', () => undefined);
  socket.on('message', (data, isBinary) => {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const frame: [string | undefined, number] = [isBinary ? undefined : buffer.toString('utf8'), buffer.length];
    if (deliver) deliver(...frame);
    else early.push(frame);
  });
  return {
    send: (text) => socket.send(text),
    close: (code, reason) => socket.close(code, reason),
    onMessage: (listener) => {
      deliver = listener;
      for (const frame of early.splice(0)) listener(...frame);
    },
    onClose: (listener) => socket.on('close', (code, reason) => listener(code, reason.toString())),
  };
}

/** Two connected in-memory transports; delivery is asynchronous like a socket's. */
export function memoryTransportPair(): [Transport, Transport] {
  const make = () => ({ messages: [] as Array<(t: string | undefined, b: number) => void>, closes: [] as Array<(c: number, r: string) => void>, closed: false });
  const a = make();
  const b = make();
  const end = (self: ReturnType<typeof make>, other: ReturnType<typeof make>): Transport => ({
    send(text) {
      if (self.closed) throw new Error('transport closed');
      queueMicrotask(() => other.messages.forEach((l) => l(text, Buffer.byteLength(text))));
    },
    close(code = 1000, reason = '') {
      if (self.closed) return;
      self.closed = other.closed = true;
      queueMicrotask(() => [...self.closes, ...other.closes].forEach((l) => l(code, reason)));
    },
    onMessage: (listener) => void self.messages.push(listener),
    onClose: (listener) => void self.closes.push(listener),
  });
  return [end(a, b), end(b, a)];
}
