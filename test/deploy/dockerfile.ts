import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

/** One instruction of a Dockerfile, continuation lines joined, with its `--flag=value`s split off. */
export interface Instruction {
  op: string;
  flags: Record<string, string>;
  args: string;
}

export interface Stage {
  from: string;
  name: string | null;
  steps: Instruction[];
}

/** Parses a Dockerfile into stages. Comments and blank lines are dropped; `\` joins lines. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    logical.push(current + line);
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const flags: Record<string, string> = {};
    let args = rest;
    for (let m = /^--([\w-]+)=(\S+)\s+/.exec(args); m; m = /^--([\w-]+)=(\S+)\s+/.exec(args)) {
      flags[m[1]!] = m[2]!;
      args = args.slice(m[0].length);
    }
    const instruction = { op: op.toUpperCase(), flags, args: args.trim() };
    if (instruction.op === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === 'AS' ? name! : null, steps: [] });
    } else {
      if (stages.length === 0) throw new Error(`${op} before FROM`);
      stages[stages.length - 1]!.steps.push(instruction);
    }
  }
  return stages;
}

/** `ENV a=1 b=2` as pairs. */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of args.split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    env[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** What running a stage left: its file system (absolute paths in the image live under `root`) and its settings. */
export interface BuiltStage {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  cmd: string[] | null;
  healthcheck: string[] | null;
  volumes: string[];
}

/**
 * Runs a Dockerfile's stages without Docker: each stage's file system is a
 * folder (`/app` is `<root>/app`), COPY copies from the build context (minus
 * `.dockerignore`) or from an earlier stage, RUN runs through `sh -c` in the
 * working directory with the stage's ENV, and the base image is this machine
 * (its Node must be the FROM line's major version).
 */
export async function runStages(stages: Stage[], context: string, into: string, extraEnv: Record<string, string>): Promise<BuiltStage[]> {
  const ignored = dockerignore(context);
  const built: BuiltStage[] = [];
  for (const [i, stage] of stages.entries()) {
    const root = join(into, `stage-${i}`);
    mkdirSync(root, { recursive: true });
    const s: BuiltStage = { root, workdir: '/', env: {}, user: null, cmd: null, healthcheck: null, volumes: [] };
    const inImage = (p: string) => (p.startsWith('/') ? join(root, p) : join(root, s.workdir, p));
    for (const step of stage.steps) {
      if (step.op === 'WORKDIR') {
        s.workdir = step.args.startsWith('/') ? step.args : join(s.workdir, step.args);
        mkdirSync(inImage(s.workdir), { recursive: true });
      } else if (step.op === 'ENV') {
        Object.assign(s.env, parseEnv(step.args));
      } else if (step.op === 'COPY') {
        const parts = step.args.split(/\s+/);
        const dest = parts.pop()!;
        const from = step.flags.from === undefined ? null : built[stages.findIndex((x) => x.name === step.flags.from)];
        if (step.flags.from !== undefined && !from) throw new Error(`COPY --from=${step.flags.from}: no such stage`);
        for (const src of parts) {
          const source = from ? join(from.root, src) : join(context, src);
          let target = inImage(dest);
          if (statSync(source).isDirectory()) {
            cpSync(source, target, {
              recursive: true,
              verbatimSymlinks: true,
              filter: (p) => from !== null || !ignored(relative(context, p)),
            });
          } else {
            if (dest.endsWith('/') || (existsSync(target) && statSync(target).isDirectory())) target = join(target, basename(src));
            mkdirSync(join(target, '..'), { recursive: true });
            cpSync(source, target);
          }
        }
      } else if (step.op === 'RUN') {
        await sh(step.args, inImage(s.workdir), { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...s.env, ...extraEnv });
      } else if (step.op === 'USER') {
        s.user = step.args;
      } else if (step.op === 'CMD') {
        s.cmd = JSON.parse(step.args) as string[];
      } else if (step.op === 'HEALTHCHECK') {
        const m = /CMD\s+(\[.*\])$/.exec(step.args);
        if (!m) throw new Error('HEALTHCHECK must use CMD ["…"]');
        s.healthcheck = JSON.parse(m[1]!) as string[];
      } else if (step.op === 'VOLUME') {
        s.volumes.push(step.args);
      } else if (step.op !== 'EXPOSE') {
        throw new Error(`this runner does not know ${step.op}`);
      }
    }
    built.push(s);
  }
  return built;
}

function sh(command: string, cwd: string, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`RUN ${command} exited with ${code}:\n${out.slice(-4000)}`))));
  });
}

/** `.dockerignore` patterns, anchored at the context's root as Docker reads them; a folder's match covers its contents. */
function dockerignore(context: string): (path: string) => boolean {
  const file = join(context, '.dockerignore');
  const patterns = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`))
    : [];
  return (path) => path !== '' && patterns.some((re) => re.test(path));
}
