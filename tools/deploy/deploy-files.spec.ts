// The deployment files in deploy/ pass their validators (docs/deployment.md, "How the files are checked"):
// - deploy/k8s: every object against the Kubernetes API's OpenAPI schemas (kubernetes-models),
//   and the kustomization lists exactly the files that exist;
// - deploy/compose: the Compose Specification's schema (dclint), and `docker compose config`
//   where the compose plugin is installed;
// - deploy/prometheus: `promtool check rules` (.ci/run installs promtool);
// - deploy/grafana: the dashboard's structure (each metric it names is checked against a real
//   node in apps/node/test/monitoring-files.spec.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = resolve(__dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');
const K8S = join(DEPLOY, 'k8s');
const COMPOSE_FILE = join(DEPLOY, 'compose/compose.yaml');
// dclint's package exports no path to its command: run its bin file with this node.
const DCLINT = join(ROOT, 'node_modules/dclint/bin/dclint.cjs');

type K8sObject = { apiVersion?: string; kind?: string; metadata?: { name?: string } } & Record<string, unknown>;

/** The schema check of one object: kubernetes-models' class for its apiVersion and kind, which validates against the official OpenAPI schema. */
function k8sProblems(object: K8sObject): string[] {
  const { apiVersion, kind } = object;
  if (!apiVersion || !kind) return ['has no apiVersion or kind'];
  let models: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is chosen by the object's apiVersion
    models = require(`kubernetes-models/${apiVersion}`) as Record<string, unknown>;
  } catch {
    return [`apiVersion ${apiVersion} is not a Kubernetes API`];
  }
  const Model = models[kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) return [`${apiVersion} has no kind ${kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

function yamlObjects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0].message}`);
    return document.toJS() as K8sObject;
  });
}

function run(command: string, args: string[], cwd = ROOT): { status: number | null; output: string; missing: boolean } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, missing };
}

describe('deploy/k8s', () => {
  const files = readdirSync(K8S).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml');
  const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[]; namespace: string };

  it('has every object valid against the Kubernetes API schemas', () => {
    const problems = files.flatMap((file) =>
      yamlObjects(join(K8S, file)).flatMap((object) => k8sProblems(object).map((p) => `${file} ${object.kind}/${object.metadata?.name}: ${p}`)),
    );
    expect(problems).toEqual([]);
    const kinds = files.flatMap((file) => yamlObjects(join(K8S, file)).map((object) => object.kind)).sort();
    expect(new Set(kinds)).toEqual(new Set(['ConfigMap', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service', 'StatefulSet']));
  });

  it('refuses a broken object (the validator is live): a container without a name, a port as text', () => {
    const node = yamlObjects(join(K8S, 'node.yaml'))[0] as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } } & K8sObject;
    const container = node.spec.template.spec.containers[0];
    delete container.name;
    container.ports = [{ name: 'http', containerPort: '3000' }];
    const problems = k8sProblems(node).join('\n');
    expect(problems).toMatch(/must have required property 'name'|must have required property name/);
    expect(problems).toMatch(/containerPort must be integer/);
  });

  it('applies exactly the manifests in the folder, the example Secret aside, into the namespace it creates', () => {
    const applied = files.filter((file) => !file.includes('.example.'));
    expect([...kustomization.resources].sort()).toEqual(applied.sort());
    const namespace = yamlObjects(join(K8S, 'namespace.yaml'))[0];
    expect(namespace.metadata?.name).toBe(kustomization.namespace);
  });

  it('probes the node on its real health endpoints and runs every container as a non-root user', () => {
    const node = yamlObjects(join(K8S, 'node.yaml'))[0] as unknown as {
      spec: {
        template: { spec: { securityContext: { runAsNonRoot: boolean }; containers: { livenessProbe: Probe; readinessProbe: Probe; resources: object }[] } };
      };
    };
    type Probe = { httpGet: { path: string } };
    const pod = node.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].livenessProbe.httpGet.path).toBe('/health/live');
    expect(pod.containers[0].readinessProbe.httpGet.path).toBe('/health');
    expect(pod.containers[0].resources).toHaveProperty('limits.memory');
    const health = readFileSync(join(ROOT, 'apps/node/src/core/health.controller.ts'), 'utf8');
    expect(health).toContain("@Controller('health')");
    expect(health).toContain("@Get('live')");
  });
});

describe('deploy/compose', () => {
  it('passes the Compose Specification schema (dclint)', () => {
    const { status, output } = run(process.execPath, [DCLINT, '--quiet', '--color', 'false', COMPOSE_FILE]);
    expect(output).not.toMatch(/error/);
    expect(status).toBe(0);
  });

  it('is refused by the same check when broken (the validator is live)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdx-compose-'));
    try {
      const broken = join(dir, 'compose.yaml');
      writeFileSync(
        broken,
        readFileSync(COMPOSE_FILE, 'utf8').replace('restart: unless-stopped\n    environment:', 'restart: unless-stopped\n    enviroment:'),
      );
      const { status, output } = run(process.execPath, [DCLINT, '--quiet', '--color', 'false', broken]);
      expect(status).not.toBe(0);
      expect(output).toMatch(/additional properties/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mounts only files that exist in the repository, besides the secrets and environment files the operator makes', () => {
    const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as { services: Record<string, { volumes?: string[]; env_file?: string[] }> };
    const base = dirname(COMPOSE_FILE);
    const mounted = Object.values(compose.services).flatMap((service) =>
      (service.volumes ?? []).map((volume) => volume.split(':')[0]).filter((source) => source.startsWith('.')),
    );
    const fromRepository = mounted.filter((source) => !source.startsWith('./secrets/'));
    expect(fromRepository.length).toBeGreaterThan(3);
    expect(fromRepository.filter((source) => !existsSync(join(base, source)))).toEqual([]);
    // Each environment file has its committed example to copy from.
    const envFiles = Object.values(compose.services).flatMap((service) => service.env_file ?? []);
    expect(envFiles).toHaveLength(3);
    expect(envFiles.filter((file) => !existsSync(join(base, `${file}.example`)))).toEqual([]);
  });

  it('passes `docker compose config` where the compose plugin is installed', () => {
    const version = run('docker', ['compose', 'version']);
    if (version.missing || version.status !== 0) {
      console.log('SKIPPED `docker compose config`: no docker compose plugin on this machine (the schema check above ran)');
      return;
    }
    // The operator's files (env/*.env, secrets/) from the committed examples, in a copy of the folder.
    const dir = mkdtempSync(join(tmpdir(), 'tdx-compose-'));
    try {
      const copy = join(dir, 'deploy/compose');
      for (const folder of ['env', 'secrets']) mkdirSync(join(copy, folder), { recursive: true });
      copyFileSync(COMPOSE_FILE, join(copy, 'compose.yaml'));
      for (const code of ['330000', '330100', '330106']) copyFileSync(join(dirname(COMPOSE_FILE), `env/${code}.env.example`), join(copy, `env/${code}.env`));
      writeFileSync(join(copy, 'secrets/postgres_password'), 'example\n');
      const { status, output } = run('docker', ['compose', '-f', join(copy, 'compose.yaml'), 'config', '--quiet']);
      expect(output).toBe('');
      expect(status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/Dockerfile', () => {
  // No Docker engine runs here: the image is not built in CI. What can be checked without one is checked.
  const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  const [buildStage, runtimeStage] = dockerfile.split(/^FROM .* AS runtime$/m);
  const copies = (stage: string) => [...stage.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((match) => match[1].trim().split(/\s+/).slice(0, -1));
  const fromBuild = [...runtimeStage.matchAll(/^COPY --from=build \/app\/(\S+) (\S+)$/gm)].map((match) => match[1]);

  it('copies into the build only files that exist and that .dockerignore lets through', () => {
    const sources = copies(buildStage);
    expect(sources.length).toBeGreaterThan(5);
    expect(sources.filter((source) => !existsSync(join(ROOT, source)))).toEqual([]);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.replace(/^\*\*\//, ''));
    expect(sources.filter((source) => ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)))).toEqual([]);
  });

  it('puts into the runtime image the manifest and build of every workspace library the node and the CLI import', () => {
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'))
          for (const match of readFileSync(path, 'utf8').matchAll(/from '@tdx\/([a-z]+)'/g)) imported.add(match[1]);
      }
    };
    walk(join(ROOT, 'apps/node/src'));
    walk(join(ROOT, 'apps/cli/src'));
    // And what those libraries depend on in turn.
    for (const library of [...imported]) {
      const manifest = JSON.parse(readFileSync(join(ROOT, `libs/${library}/package.json`), 'utf8')) as { dependencies?: Record<string, string> };
      for (const name of Object.keys(manifest.dependencies ?? {})) if (name.startsWith('@tdx/')) imported.add(name.slice('@tdx/'.length));
    }
    expect(imported).toContain('contracts');
    const missing = [...imported].flatMap((library) => [`libs/${library}/package.json`, `libs/${library}/dist`].filter((path) => !fromBuild.includes(path)));
    expect(missing).toEqual([]);
    for (const path of ['node_modules', 'apps/node/package.json', 'apps/node/dist', 'apps/cli/dist']) expect(fromBuild).toContain(path);
  });

  it('runs as an unprivileged user and checks health on an endpoint the node serves', () => {
    expect(runtimeStage).toMatch(/^USER tdx:tdx$/m);
    expect(runtimeStage).toMatch(/^HEALTHCHECK .*\/health'/ms);
    expect(runtimeStage).toMatch(/^CMD \["node", "apps\/node\/dist\/main.js"\]$/m);
    expect(readFileSync(join(ROOT, 'apps/node/src/core/health.controller.ts'), 'utf8')).toMatch(/@Controller\('health'\)[\s\S]*@Get\(\)/);
  });
});

describe('deploy/prometheus', () => {
  it('passes `promtool check rules`', () => {
    const result = run('promtool', ['check', 'rules', join(DEPLOY, 'prometheus/alerts.yml')]);
    if (result.missing) {
      // CI installs promtool (.ci/run); a developer without it is told, and CI still checks.
      if (process.env.CI) throw new Error('promtool is not installed: .ci/run installs it from Debian’s prometheus package');
      console.log('SKIPPED promtool check rules: promtool is not installed (.ci/run installs it; see docs/deployment.md)');
      return;
    }
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.status).toBe(0);
  });
});

describe('deploy/grafana', () => {
  it('is a dashboard whose panels have unique ids, a place, a Prometheus query each, and the datasource chosen at import', () => {
    const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/tdx-node.json'), 'utf8')) as {
      uid: string;
      schemaVersion: number;
      panels: {
        id: number;
        type: string;
        gridPos: { w: number; h: number; x: number; y: number };
        targets?: { expr: string; datasource: { uid: string } }[];
      }[];
    };
    expect(dashboard.uid).toBe('tdx-node');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
      if (panel.type === 'row') continue;
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.expr).toMatch(/tdx_/);
        expect(target.datasource.uid).toBe('${datasource}');
      }
    }
  });
});
