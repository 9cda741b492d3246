import { AddressInfo, createConnection, createServer, Server } from 'node:net';

import { TcpProxy } from './tcp-proxy';

async function echoServer(): Promise<Server> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(text));
    socket.once('data', (data) => {
      resolve(data.toString());
      socket.destroy();
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before an answer')));
  });
}

describe(TcpProxy.name, () => {
  let echo: Server;
  let sut: TcpProxy;

  beforeEach(async () => {
    echo = await echoServer();
    sut = await TcpProxy.start('127.0.0.1', (echo.address() as AddressInfo).port);
  });

  afterEach(async () => {
    await sut.stop();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('relays traffic, refuses it while cut, and relays again once restored', async () => {
    await expect(roundTrip(sut.port, 'ping')).resolves.toBe('ping');
    sut.cut();
    await expect(roundTrip(sut.port, 'ping')).rejects.toThrow();
    sut.restore();
    await expect(roundTrip(sut.port, 'pong')).resolves.toBe('pong');
  });

  it('drops connections that are open when cut', async () => {
    const socket = createConnection({ host: '127.0.0.1', port: sut.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    sut.cut();
    await expect(closed).resolves.toBeDefined();
  });

  it('rewrites URLs to go through it', () => {
    expect(sut.route('postgres://u@db.example:5432/app')).toBe(`postgres://u@127.0.0.1:${sut.port}/app`);
  });
});
