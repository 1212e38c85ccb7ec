import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/**
 * A synchronous call into an asynchronous worker thread: the caller posts a
 * request on a MessagePort and blocks in Atomics.wait until the worker has
 * posted the answer and bumped a shared counter; the answer is then taken
 * off the port with receiveMessageOnPort. Component imports must be
 * synchronous and the datastore drivers are not; this is the whole of what
 * connects the two, small enough to bundle (a packed guest carries no
 * loader magic) and with nothing to resolve at run time.
 */

/** What the worker is given, as its workerData. */
export interface BridgeWorkerData {
  port: MessagePort;
  /** [0]: how many answers the worker has posted; bumped after each one. */
  answered: Int32Array;
}

interface Envelope<T> {
  id: number;
  body: T;
}

/** Thrown when no answer came within the wait: the caller decides what that means. */
export class BridgeTimeout extends Error {
  constructor(waitMs: number) {
    super(`the bridge thread did not answer within ${waitMs} ms`);
  }
}

export interface SyncBridge<Request, Reply> {
  call(request: Request): Reply;
  /** Ends the thread without asking it (it may be stuck). */
  terminate(): void;
}

/**
 * Starts `file` as the bridge's worker thread; each call waits at most `waitMs` for its answer. `heapLimitMb`
 * bounds the thread's JS heap: past it V8 ends the thread, never the process, and the call waiting on it
 * answers BridgeTimeout when its wait is over. `extraData`: more of the thread's workerData.
 */
export function startSyncBridge<Request, Reply>(file: string, execArgv: string[], waitMs: number, heapLimitMb?: number, extraData: object = {}): SyncBridge<Request, Reply> {
  let worker: Worker | undefined;
  const line = openSyncLine<Request, Reply>((port, answered) => {
    const workerData: BridgeWorkerData = { ...extraData, port, answered };
    const resourceLimits = heapLimitMb === undefined ? undefined : { maxOldGenerationSizeMb: heapLimitMb, maxYoungGenerationSizeMb: 4 };
    worker = new Worker(file, { execArgv, workerData, transferList: [port], resourceLimits });
    // the bridge never keeps its caller's thread alive, nor dies with an unhandled 'error'
    worker.unref();
    worker.on('error', () => undefined);
  }, waitMs);
  return {
    call: (request) => line.call(request),
    terminate(): void {
      line.terminate();
      void worker?.terminate();
    },
  };
}

/**
 * A synchronous line to a thread that already runs (the host's main thread, while this worker's manager
 * waits): `announce` hands that thread the far end of the port and the counter, which it serves with
 * serveSyncBridge. `terminate` closes the port, which the far end sees as the line's end.
 */
export function openSyncLine<Request, Reply>(announce: (port: MessagePort, answered: Int32Array) => void, waitMs: number): SyncBridge<Request, Reply> {
  const { port1, port2 } = new MessageChannel();
  const answered = new Int32Array(new SharedArrayBuffer(4));
  announce(port2, answered);
  port1.unref();
  let nextId = 1;
  return {
    call(request: Request): Reply {
      const id = nextId++;
      port1.postMessage({ id, body: request } satisfies Envelope<Request>);
      const deadline = Date.now() + waitMs;
      for (;;) {
        const seen = Atomics.load(answered, 0);
        // answers to earlier calls that gave up waiting are dropped here
        for (let message = receiveMessageOnPort(port1); message; message = receiveMessageOnPort(port1)) {
          const envelope = message.message as Envelope<Reply>;
          if (envelope.id === id) return envelope.body;
        }
        const left = deadline - Date.now();
        if (left <= 0 || Atomics.wait(answered, 0, seen, left) === 'timed-out') throw new BridgeTimeout(waitMs);
      }
    },
    terminate(): void {
      port1.close();
    },
  };
}

/** The worker's side: answers each request with `handle`, in the order they come. */
export function serveSyncBridge<Request, Reply>(data: BridgeWorkerData, handle: (request: Request) => Promise<Reply>): void {
  data.port.on('message', (envelope: Envelope<Request>) => {
    void handle(envelope.body).then((reply) => {
      data.port.postMessage({ id: envelope.id, body: reply } satisfies Envelope<Reply>);
      Atomics.add(data.answered, 0, 1);
      Atomics.notify(data.answered, 0);
    });
  });
}
