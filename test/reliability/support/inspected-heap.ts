import WebSocket from 'ws';

/**
 * The V8 heap of another Node process's main thread, after full
 * collections, through the inspector protocol: the process is started with
 * `--inspect=127.0.0.1:0` and prints the address it listens on to stderr.
 * RSS moves by tens of MiB with the frames in flight and with when V8
 * chooses to collect; the live heap after a collection does not.
 */
export class InspectedHeap {
  private nextId = 1;

  private constructor(private readonly socket: WebSocket) {}

  /** Connects to the inspector whose address `stderr` printed. */
  static async connect(stderr: () => string, timeoutMs = 10_000): Promise<InspectedHeap> {
    const deadline = Date.now() + timeoutMs;
    let address: string | undefined;
    while (!(address = /Debugger listening on (ws:\/\/\S+)/.exec(stderr())?.[1])) {
      if (Date.now() > deadline) throw new Error(`no inspector address in the child's stderr: ${stderr().slice(0, 500)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const socket = new WebSocket(address);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new InspectedHeap(socket);
  }

  private send(method: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: unknown };
        if (message.id !== id) return;
        this.socket.off('message', onMessage);
        if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
        else resolve(message.result ?? {});
      };
      this.socket.on('message', onMessage);
      this.socket.send(JSON.stringify({ id, method }));
    });
  }

  /** Bytes in use on the main thread's heap after full collections. */
  async usedAfterCollection(): Promise<number> {
    for (let i = 0; i < 3; i++) await this.send('HeapProfiler.collectGarbage');
    const usage = await this.send('Runtime.getHeapUsage');
    return Number(usage.usedSize);
  }

  close(): void {
    this.socket.close();
  }
}
