import type { ConfirmChannel, Options } from 'amqplib';

export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
  properties: Options.Publish;
}

/**
 * Publishes every message on a confirm channel without waiting between them, then waits for all the
 * broker's confirms at once (pipelined, not one round trip per message). Rejects if any is nacked, the
 * channel closes first, or confirms take longer than `timeoutMs`; the caller then publishes them again,
 * which consumers tolerate (at-least-once, de-duplicated by event id).
 */
export async function publishConfirmed(
  channel: ConfirmChannel,
  messages: readonly OutgoingMessage[],
  timeoutMs: number,
): Promise<void> {
  const confirms: Promise<void>[] = [];
  for (const message of messages) {
    let buffered = true;
    const confirmed = new Promise<void>((resolve, reject) => {
      buffered = channel.publish(
        message.exchange,
        message.routingKey,
        message.body,
        message.properties,
        (error: unknown) => (error ? reject(asError(error, 'nacked by the broker')) : resolve()),
      );
    });
    // Handled here so a failure seen before Promise.all below is not an unhandled rejection.
    confirmed.catch(() => undefined);
    confirms.push(confirmed);
    // publish() returning false means the socket buffer is full: let it drain before writing more.
    if (!buffered) await waitForDrain(channel);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`publisher confirms not received within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(confirms), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function waitForDrain(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      channel.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      channel.off('drain', onDrain);
      reject(new Error('channel closed while waiting to publish'));
    };
    channel.once('drain', onDrain);
    channel.once('close', onClose);
  });
}

function asError(error: unknown, fallback: string): Error {
  return error instanceof Error ? error : new Error(typeof error === 'string' ? error : fallback);
}
