import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portIsFree } from '../../demo/places';
import { freePort } from '../support/net';

/**
 * `npm run demo -- --exit` as CI runs it: the compiled demo on a fresh data folder, twice (the second run
 * reuses the folder and must clean up what the first registered), each ending 0 with the statuses
 * `completed`, `completed`, `rolled_back` and nothing left running.
 */
const MAIN = join(__dirname, '..', '..', 'dist', 'demo', 'main.js');
const RESULT_LINE = /^deployment \d+ \((?:\S+ → )?(\S+)\): (\S+) in [0-9.]+ s$/;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function runDemo(dataDir: string, port: number): Promise<Run> {
  const child = spawn(process.execPath, [MAIN, '--exit'], {
    env: { ...process.env, ROLLOUT_DATA_DIR: dataDir, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) => child.on('close', (code, signal) => done({ code, signal, output })));
}

/** Tag and final status of each deployment, from the result lines the demo prints. */
function results(output: string): string[] {
  return output
    .split('\n')
    .map((line) => RESULT_LINE.exec(line))
    .filter((match) => match !== null)
    .map((match) => `${match[1]} ${match[2]}`);
}

/** Processes that mention the data folder in their command line or environment (PostgreSQL, the service). */
function processesUsing(dataDir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (cmdline.includes(dataDir) || environ.includes(`ROLLOUT_DATA_DIR=${dataDir}`)) {
        found.push(`${pid}: ${cmdline.replace(/\0/g, ' ')}`);
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

describe('npm run demo -- --exit', () => {
  let dataDir: string;

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    // mkdtemp makes the folder 0700; as root the embedded PostgreSQL runs as another user that must reach it.
    dataDir = mkdtempSync(join(tmpdir(), 'rollout-demo-'));
    chmodSync(dataDir, 0o755);
  });

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows completed, completed, rolled_back and leaves nothing running, twice on one data folder', async () => {
    const outputs: string[] = [];
    for (const run of ['first', 'second']) {
      const port = await freePort();
      const { code, signal, output } = await runDemo(dataDir, port);
      const context = `${run} run, output:\n${output}`;
      expect({ code, signal, context }).toEqual({ code: 0, signal: null, context });
      expect(results(output)).toEqual(['v1 completed', 'v2 completed', 'v3-broken rolled_back']);
      expect(output).toMatch(/^\s+reason: .*health check/im);
      expect(output).toContain('batch 4/4');
      expect(output).not.toContain('\x1b[');
      expect(processesUsing(dataDir)).toEqual([]);
      expect(await portIsFree(port, '127.0.0.1')).toBe(true);
      outputs.push(output);
    }
    // The second run found the first one's servers and application and replaced them.
    expect(outputs[0]).not.toContain('previous demo run');
    expect(outputs[1]).toMatch(/Removed the servers and application of the previous demo run \(9\)/);
  }, 400_000);
});
