import { createServer } from 'node:net';

/**
 * Asks the OS for a free TCP port on 127.0.0.1. Only for engines that cannot listen on port 0 and report
 * back (DynamoDB Local): there is a short window in which another process could take the port, so
 * callers retry on a bind failure.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('Could not read the port the OS assigned'));
        return;
      }
      const { port } = address;
      server.close(() => resolvePort(port));
    });
  });
}
