import net from 'node:net';

/**
 * A TCP pass-through that a test can cut: while `down`, new connections are reset at once and open
 * ones are dropped — the channel "goes away" without the simulator losing its state.
 */
export interface TcpSwitch {
  url: string;
  /** Cuts (true) or restores (false) the link; cutting also drops kept-alive connections. */
  down: boolean;
  close(): Promise<void>;
}

export async function startTcpSwitch(target_url: string): Promise<TcpSwitch> {
  const target = new URL(target_url);
  const sockets = new Set<net.Socket>();
  let down = false;
  const state = {
    url: '',
    get down() {
      return down;
    },
    set down(value: boolean) {
      down = value;
      if (value) for (const s of sockets) s.destroy();
    },
    close: async () => {},
  } as TcpSwitch;
  const server = net.createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  state.url = `http://127.0.0.1:${address.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
