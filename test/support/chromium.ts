import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * A Chromium for the browser tests: Debian's package, found on the PATH or at /usr/bin/chromium, and
 * installed with apt-get when missing (CI runs as root on a fresh machine; a developer without root gets
 * a message saying what to install). playwright-core drives it; Playwright's own browser download is
 * not used, so the tests need nothing beyond the distribution's packages.
 */
const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function onPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
    encoding: 'utf8',
  });
  const path = found.stdout.trim();
  return path !== '' ? path : undefined;
}

function locate(): string | undefined {
  return onPath() ?? candidates.find((path) => existsSync(path));
}

export function chromiumPath(): string {
  const existing = locate();
  if (existing) return existing;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'Chromium is not installed: run `sudo apt-get install -y chromium` (Debian/Ubuntu) and retry',
    );
  }
  const apt = (args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 900_000,
    });
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  const installed = locate();
  if (!installed) throw new Error('apt-get installed chromium, but no chromium binary was found');
  return installed;
}

/** Flags for a headless Chromium in a container: no sandbox (root), no GPU, no background traffic. */
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];
