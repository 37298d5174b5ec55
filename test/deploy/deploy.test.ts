// The deployment files (Dockerfile, docker-compose, Helm chart, Prometheus, Grafana, Jenkins, GitHub CI)
// checked without a container engine or a cluster: every file parses, ports and health paths agree with each
// other and with the app, dashboards and alerts name only metrics the app exports, the chart uses only values
// it declares, and the image copies only files that exist. promtool's checks run when it is on the PATH.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { openApiDocument } from '../../src/http/openapi.js';
import { createMetrics } from '../../src/observability/metrics.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'deploy/helm/vitrine');
const PORT = 30000;

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const yamlFile = (file: string) => parse(read(file), { merge: true, uniqueKeys: true, prettyErrors: true });
type Json = Record<string, any>;

/** The metrics the app exports (histograms by base name), as agreed for dashboards and alerts. */
const HISTOGRAMS = [
  'vitrine_http_request_duration_seconds',
  'vitrine_text_encode_seconds',
  'vitrine_image_encode_seconds',
  'vitrine_image_decode_seconds',
  'vitrine_vector_search_seconds',
  'vitrine_metadata_lookup_seconds',
];
const EXPORTED_METRICS = new Set([
  ...HISTOGRAMS,
  'vitrine_http_requests_total',
  'vitrine_cache_hits_total',
  'vitrine_cache_misses_total',
  'vitrine_index_size',
  'vitrine_indexer_items_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_seconds',
]);
/** Labels the app puts on its metrics, plus the ones Prometheus adds and the histogram's `le`. */
const KNOWN_LABELS = new Set(['route', 'method', 'status', 'cache', 'outcome', 'le', 'job', 'instance']);

/** Metric names in a PromQL expression, histogram series (_bucket/_sum/_count) reduced to their base name. */
function metricNames(expr: string): string[] {
  const names = expr.match(/\b(?:vitrine|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
  return names.map((name) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && HISTOGRAMS.includes(base) ? base : name;
  });
}

/** Label names used in matchers `{a="x"}` and groupings `by (a, b)` of a PromQL expression. */
function labelNames(expr: string): string[] {
  const labels: string[] = [];
  for (const [, body] of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const [, name] of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(name);
  }
  for (const [, list] of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    labels.push(...list.split(',').map((s) => s.trim()).filter(Boolean));
  }
  return labels;
}

function dashboardExpressions(dashboard: Json): string[] {
  const exprs: string[] = [];
  const visit = (panels: Json[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) exprs.push(target.expr);
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (query) exprs.push(query);
  }
  return exprs;
}

function alertRules(): Json[] {
  return yamlFile('deploy/prometheus/alert-rules.yml').groups.flatMap((g: Json) => g.rules);
}

// ---------------------------------------------------------------------------------------------------------
// Helm: without helm here, templates are rendered by a minimal substitution: `.Values.x.y` actions that name a
// scalar become its value (quoted when piped to `quote`), lines holding only actions (if/with/range/end,
// include ... | nindent) are dropped, and any other action becomes a placeholder. What parses is then checked.
// CI's deploy-files job runs the real `helm lint` and `helm template`.
// ---------------------------------------------------------------------------------------------------------
const values: Json = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'), { uniqueKeys: true, prettyErrors: true });
const templateFiles = readdirSync(path.join(CHART, 'templates'));

function valueAt(ref: string): { found: boolean; value?: unknown } {
  let node: unknown = values;
  for (const key of ref.split('.')) {
    if (node === null || typeof node !== 'object' || !(key in (node as Json))) return { found: false };
    node = (node as Json)[key];
  }
  return { found: true, value: node };
}

const stripComments = (text: string) => text.replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, '');

function renderTemplate(text: string): string {
  const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
  return stripComments(text)
    .split('\n')
    .filter((line) => !line.includes('{{') || line.replace(ACTION, '').trim() !== '')
    .map((line) =>
      line.replace(ACTION, (_all, body: string) => {
        const direct = /^\$?\.Values\.([\w.]+)\s*(\|\s*quote)?$/.exec(body);
        if (direct) {
          const { found, value } = valueAt(direct[1]);
          if (found && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) {
            return direct[2] ? JSON.stringify(String(value)) : String(value);
          }
        }
        return 'TEMPLATED';
      }),
    )
    .join('\n');
}

function renderedManifest(file: string): Json {
  const docs = parseAllDocuments(renderTemplate(readFileSync(path.join(CHART, 'templates', file), 'utf8')), { uniqueKeys: true });
  const objects = docs.filter((d) => d.contents !== null);
  for (const doc of objects) expect(doc.errors, `${file}: ${doc.errors.join('; ')}`).toEqual([]);
  expect(objects, `${file} renders one object`).toHaveLength(1);
  return objects[0].toJS();
}

function valuesReferences(): string[] {
  const refs = new Set<string>();
  for (const file of templateFiles) {
    const text = readFileSync(path.join(CHART, 'templates', file), 'utf8');
    for (const [, ref] of text.matchAll(/\$?\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g)) refs.add(ref);
  }
  return [...refs].sort();
}

/** Key paths of values.yaml down to scalars, lists and empty maps. */
function valuesKeyPaths(node: Json = values, prefix = ''): string[] {
  return Object.entries(node).flatMap(([key, value]) => {
    const here = prefix ? `${prefix}.${key}` : key;
    return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0 ? valuesKeyPaths(value, here) : [here];
  });
}

// ---------------------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------------------
interface DockerInstruction { stage: number; op: string; args: string }
function dockerInstructions(): DockerInstruction[] {
  const logical = read('Dockerfile').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  let stage = -1;
  return logical.map((line) => {
    const [op, ...rest] = line.split(/\s+/);
    if (op.toUpperCase() === 'FROM') stage += 1;
    return { stage, op: op.toUpperCase(), args: rest.join(' ') };
  });
}
/** Sources of COPY instructions that read the build context (not --from=another stage). */
function contextCopySources(stage?: number): string[] {
  return dockerInstructions()
    .filter((i) => i.op === 'COPY' && !/--from=/.test(i.args) && (stage === undefined || i.stage === stage))
    .flatMap((i) => {
      const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      return parts.slice(0, -1).map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''));
    });
}
function dockerignorePatterns(): RegExp[] {
  return read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
    .map((pattern) => {
      const source = pattern
        .replace(/^\/|\/$/g, '')
        .split('/')
        .map((seg) => (seg === '**' ? '(?:.*/)?' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '/'))
        .join('')
        .replace(/\/$/, '');
      return new RegExp(`^${source}(?:/.*)?$`);
    });
}

describe('Dockerfile', () => {
  const instructions = dockerInstructions();
  const stages = instructions.filter((i) => i.op === 'FROM');
  const final = instructions.filter((i) => i.stage === stages.length - 1);
  const arg = (name: string) => instructions.find((i) => i.op === 'ARG' && i.args.startsWith(`${name}=`))?.args.split('=')[1];
  const image = (from: string) => from.split(/\s+/)[0].replace(/\$\{(\w+)\}/, (_m, name) => arg(name) ?? '');

  it('builds in one stage with dev dependencies and runs node:20-bookworm-slim with production ones', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = instructions.filter((i) => i.stage === 0 && i.op === 'RUN').map((i) => i.args);
    expect(build.some((a) => /npm ci(?!.*--omit=dev)/.test(a))).toBe(true);
    expect(build.some((a) => a.includes('npm run build'))).toBe(true);
    expect(image(stages.at(-1)!.args)).toBe('node:20-bookworm-slim');
    expect(final.some((i) => i.op === 'RUN' && i.args.includes('npm ci --omit=dev'))).toBe(true);
    expect(final.some((i) => i.op === 'COPY' && /--from=build\s+\S*dist/.test(i.args))).toBe(true);
  });

  it('copies only files that exist and that .dockerignore lets through, including the house model; skips the ONNX Runtime download', () => {
    const sources = contextCopySources();
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'models/house']));
    // npm >= 11.16 reads allowScripts from package.json; the image's npm 10 reads the environment variable.
    expect(JSON.parse(read('package.json')).allowScripts?.['onnxruntime-node']).toBe(false);
    expect(read('Dockerfile')).toMatch(/^ENV ONNXRUNTIME_NODE_INSTALL=skip$/m);
    const ignored = dockerignorePatterns();
    const problems = sources.flatMap((source) => [
      ...(existsSync(path.join(ROOT, source)) ? [] : [`COPY ${source}: missing from the repository`]),
      ...ignored.filter((re) => re.test(source)).map((re) => `COPY ${source}: excluded by .dockerignore (${re})`),
    ]);
    const hint = problems.some((p) => p.startsWith('COPY models/house: missing'))
      ? ' -- the house model must ship in the repository at models/house: the image cannot serve without it'
      : '';
    expect(problems, `the image's COPY sources${hint}`).toEqual([]);
    for (const heavy of ['node_modules', 'dist', 'vitrine-data', 'test-artifacts', 'training/cache', 'training/runs', '.git', 'web/node_modules']) {
      expect(ignored.some((re) => re.test(heavy)), `.dockerignore should exclude ${heavy}`).toBe(true);
    }
  });

  it('copies into the build stage every file the build script names', () => {
    const pkg = JSON.parse(read('package.json'));
    const copied = contextCopySources(0);
    const files = new Set<string>();
    const collect = (script: string, depth = 0) => {
      for (const [, name] of script.matchAll(/npm run ([\w:-]+)/g)) if (depth < 5 && pkg.scripts[name]) collect(pkg.scripts[name], depth + 1);
      for (const token of script.split(/[\s;&|]+/)) {
        if (/^[\w.-]+(?:\/[\w.-]+)*\.(?:json|mjs|cjs|js|ts)$/.test(token) || /^[\w.-]+\/[\w./-]*$/.test(token)) files.add(token.replace(/^\.\//, ''));
      }
    };
    collect(pkg.scripts.build);
    for (const file of files) {
      if (file.startsWith('dist/') || file.startsWith('node_modules/')) continue;
      expect(copied.some((c) => file === c || file.startsWith(`${c}/`)), `the build script uses ${file}, not copied into the build stage`).toBe(true);
    }
  });

  it('runs as a non-root user with /data as a volume, port 30000, a node health check and the CLI entrypoint', () => {
    const get = (op: string) => final.filter((i) => i.op === op).map((i) => i.args);
    expect(get('USER').at(-1)).toMatch(/^(?!root\b|0\b)\S+/);
    expect(get('ENV').join(' ')).toMatch(/VITRINE_DATA=\/data\b/);
    expect(get('ENV').join(' ')).toContain(`VITRINE_PORT=${PORT}`);
    expect(get('VOLUME').join(' ')).toContain('/data');
    expect(get('EXPOSE')).toEqual([String(PORT)]);
    const healthcheck = get('HEALTHCHECK').join(' ');
    expect(healthcheck).toMatch(/CMD \["node"/);
    expect(healthcheck).toContain('/healthz');
    expect(healthcheck).not.toMatch(/curl|wget/);
    const pkg = JSON.parse(read('package.json'));
    expect(JSON.parse(get('ENTRYPOINT')[0])).toEqual(['node', pkg.bin.vitrine]);
    expect(JSON.parse(get('CMD')[0])).toEqual(['serve']);
  });
});

describe('docker-compose.yml', () => {
  const compose = yamlFile('docker-compose.yml');
  const services: Json = compose.services;

  it('runs vitrine on 30000 with a data volume, OTLP to Jaeger and a health check; indexer behind the index profile', () => {
    const vitrine = services.vitrine;
    expect(vitrine.build).toBe('.');
    expect(vitrine.ports).toContain(`${PORT}:${PORT}`);
    expect(String(vitrine.environment.VITRINE_PORT)).toBe(String(PORT));
    expect(vitrine.environment.VITRINE_DATA).toBe('/data');
    expect(vitrine.volumes).toContain('vitrine-data:/data');
    expect(vitrine.healthcheck.test.join(' ')).toContain(`:${PORT}/healthz`);
    const otlp = new URL(vitrine.environment.OTEL_EXPORTER_OTLP_ENDPOINT);
    expect(otlp.hostname).toBe('jaeger');
    expect(otlp.port).toBe('4318');
    expect(vitrine.environment.OTEL_SERVICE_NAME).toBe('vitrine');
    const indexer = services.indexer;
    expect(indexer.profiles).toEqual(['index']);
    expect(indexer.image).toBe(vitrine.image);
    expect(indexer.command[0]).toBe('index');
    expect(indexer.command).toContain('--images');
    expect(indexer.volumes).toContain('vitrine-data:/data');
    expect(indexer.environment.VITRINE_DATA).toBe('/data');
    expect(Object.keys(compose.volumes)).toContain('vitrine-data');
  });

  it('exposes Jaeger (OTLP 4318, UI 16686), Prometheus (9090) and Grafana (3000) with the repository configs', () => {
    expect(services.jaeger.ports).toEqual(expect.arrayContaining(['16686:16686', '4318:4318']));
    expect(services.prometheus.ports).toContain('9090:9090');
    expect(services.grafana.ports).toContain('3000:3000');
    for (const service of ['prometheus', 'grafana']) {
      for (const volume of services[service].volumes as string[]) {
        const [source] = volume.split(':');
        if (source.startsWith('./')) expect(existsSync(path.join(ROOT, source)), `${service} mounts ${source}`).toBe(true);
      }
    }
    expect(services.prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(services.prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    const provider = yamlFile('deploy/grafana/provisioning/dashboards/vitrine.yml').providers[0];
    expect(services.grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider.options.path}:ro`);
    expect(services.grafana.volumes).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
    for (const [name, service] of Object.entries(services)) {
      if (service.image && name !== 'vitrine' && name !== 'indexer') expect(service.image, `${name} image pinned`).toMatch(/:[\w.-]+$/);
      if (service.image) expect(service.image, `${name} image not :latest`).not.toMatch(/:latest$/);
      for (const dep of service.depends_on ?? []) expect(Object.keys(services)).toContain(dep);
    }
  });
});

describe('Prometheus', () => {
  const config = yamlFile('deploy/prometheus/prometheus.yml');

  it('scrapes vitrine:30000/metrics and loads the alert rules', () => {
    const job = config.scrape_configs.find((j: Json) => j.job_name === 'vitrine');
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job.static_configs[0].targets).toEqual([`vitrine:${PORT}`]);
    for (const file of config.rule_files) expect(existsSync(path.join(ROOT, 'deploy/prometheus', file))).toBe(true);
  });

  it('alerts on error rate > 5% for 5m, /api/search p95 > 0.5 s for 10m, and the target down', () => {
    const rules = alertRules();
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    expect(byName.VitrineHighErrorRate).toMatchObject({ for: '5m' });
    expect(byName.VitrineHighErrorRate.expr).toMatch(/vitrine_http_requests_total\{status=~"5\.\."\}/);
    expect(byName.VitrineHighErrorRate.expr).toMatch(/>\s*0\.05\s*$/);
    expect(byName.VitrineSearchLatencyHigh).toMatchObject({ for: '10m' });
    expect(byName.VitrineSearchLatencyHigh.expr).toMatch(/histogram_quantile\(0\.95,[\s\S]*route="\/api\/search"[\s\S]*\)\s*>\s*0\.5\s*$/);
    const scrapeJob = config.scrape_configs[0].job_name;
    expect(byName.VitrineTargetDown.expr).toBe(`up{job="${scrapeJob}"} == 0`);
    for (const rule of rules) expect(rule.annotations?.summary, `${rule.alert} has a summary`).toBeTruthy();
  });
});

describe('Grafana', () => {
  const dashboard: Json = JSON.parse(read('deploy/grafana/dashboards/vitrine.json'));
  const panels: Json[] = dashboard.panels.filter((p: Json) => p.type !== 'row');

  it('provisions the Prometheus data source the dashboard uses', () => {
    const datasource = yamlFile('deploy/grafana/provisioning/datasources/prometheus.yml').datasources[0];
    expect(datasource.type).toBe('prometheus');
    expect(new URL(datasource.url).hostname).toBe('prometheus');
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: datasource.uid });
      for (const target of panel.targets) expect(target.datasource?.uid ?? datasource.uid).toBe(datasource.uid);
    }
  });

  it('lays out unique panels on the 24-column grid', () => {
    const ids = dashboard.panels.map((p: Json) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    expect(dashboard.uid).toBe('vitrine');
  });

  it('shows p50 and p95 of every query stage, rate and error rate per route, cache hit ratio and index size', () => {
    const exprs = dashboardExpressions(dashboard);
    for (const stage of ['text_encode', 'image_encode', 'image_decode', 'vector_search', 'metadata_lookup']) {
      for (const q of ['0.5', '0.95']) {
        expect(exprs.some((e) => e.startsWith(`histogram_quantile(${q}, `) && e.includes(`vitrine_${stage}_seconds_bucket`)), `${stage} p${Number(q) * 100}`).toBe(true);
      }
    }
    expect(exprs.some((e) => /^sum by \(route\) \(rate\(vitrine_http_requests_total\{[^}]*\}\[/.test(e))).toBe(true);
    expect(exprs.some((e) => /sum by \(route\)[^/]*status=~"5\.\."[^/]*\/\s*sum by \(route\)/.test(e))).toBe(true);
    expect(exprs.some((e) => /vitrine_cache_hits_total[\s\S]*\/\s*\(sum by \(cache\)[\s\S]*vitrine_cache_hits_total[\s\S]*\+[\s\S]*vitrine_cache_misses_total/.test(e))).toBe(true);
    expect(exprs.some((e) => e.includes('vitrine_index_size'))).toBe(true);
  });
});

describe('metric names in dashboards and alerts', () => {
  const expressions = [
    ...dashboardExpressions(JSON.parse(read('deploy/grafana/dashboards/vitrine.json'))).map((expr) => ({ where: 'dashboard', expr })),
    ...alertRules().map((r) => ({ where: `alert ${r.alert}`, expr: String(r.expr) })),
  ];

  it('name only metrics the app exports, with only its labels', () => {
    expect(expressions.length).toBeGreaterThan(10);
    for (const { where, expr } of expressions) {
      for (const name of metricNames(expr)) expect(EXPORTED_METRICS.has(name), `${where}: unknown metric ${name} in ${expr}`).toBe(true);
      for (const label of labelNames(expr)) expect(KNOWN_LABELS.has(label), `${where}: unknown label ${label} in ${expr}`).toBe(true);
    }
  });

  it('are registered by the app (src/observability/metrics.ts)', async () => {
    const metrics = createMetrics();
    const registered = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    for (const name of EXPORTED_METRICS) expect(registered.has(name), `${name} is not registered by createMetrics()`).toBe(true);
  });
});

describe('Helm chart', () => {
  it('has a chart, values and the expected templates', () => {
    const chart = parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'vitrine', type: 'application' });
    expect(chart.appVersion).toBe(JSON.parse(read('package.json')).version);
    expect(templateFiles).toEqual(
      expect.arrayContaining(['_helpers.tpl', 'NOTES.txt', 'deployment.yaml', 'service.yaml', 'hpa.yaml', 'configmap.yaml', 'pvc.yaml', 'index-job.yaml']),
    );
  });

  it('uses only values that values.yaml declares, and declares no unused ones', () => {
    const refs = valuesReferences();
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(valueAt(ref).found, `.Values.${ref} is not in values.yaml`).toBe(true);
    for (const key of valuesKeyPaths()) {
      expect(refs.some((ref) => key === ref || key.startsWith(`${ref}.`)), `values.yaml ${key} is used by no template`).toBe(true);
    }
  });

  it('every manifest template renders to one parseable Kubernetes object', () => {
    for (const file of templateFiles.filter((f) => f.endsWith('.yaml'))) {
      const object = renderedManifest(file);
      expect(object.apiVersion, file).toBeTruthy();
      expect(object.kind, file).toBeTruthy();
    }
  });

  it('probes /readyz and /healthz on the named port 30000 and mounts the data volume at /data', () => {
    const deployment = renderedManifest('deployment.yaml');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ name: 'http', containerPort: PORT, protocol: 'TCP' }]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(container.args).toEqual(['serve']);
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/port']).toBe(String(PORT));
    expect(annotations['prometheus.io/path']).toBe('/metrics');
    const configmap = renderedManifest('configmap.yaml');
    expect(configmap.data).toMatchObject({ VITRINE_DATA: '/data', VITRINE_PORT: String(PORT) });
    const service = renderedManifest('service.yaml');
    expect(service.spec.ports).toEqual([{ name: 'http', port: PORT, targetPort: 'http', protocol: 'TCP' }]);
    expect(values.resources.requests.cpu).toBeTruthy();
    expect(values.resources.limits.memory).toBeTruthy();
  });

  it('keeps the embedded store to one pod: Recreate, HPA only with a shared store, ReadWriteOnce claim', () => {
    expect(values.replicaCount).toBe(1);
    expect(values.autoscaling.enabled).toBe(false);
    expect(values.config.store).toBe('');
    expect(values.persistence).toMatchObject({ enabled: true, accessMode: 'ReadWriteOnce' });
    expect(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')).toMatch(/ONE writer[\s\S]*postgres:\/\//);
    const deployment = readFileSync(path.join(CHART, 'templates/deployment.yaml'), 'utf8');
    expect(deployment).toMatch(/fail "replicaCount > 1 needs a shared store/);
    expect(deployment).toMatch(/RollingUpdate\{\{ else \}\}Recreate/);
    const hpa = renderedManifest('hpa.yaml');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(readFileSync(path.join(CHART, 'templates/hpa.yaml'), 'utf8')).toMatch(/fail "autoscaling needs a shared store/);
  });

  it('has an optional index Job running `vitrine index` against the same volume', () => {
    const job = renderedManifest('index-job.yaml');
    expect(job.kind).toBe('Job');
    const container = job.spec.template.spec.containers[0];
    expect(container.args[0]).toBe('index');
    expect(container.args).toContain('--images');
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(values.indexJob.enabled).toBe(false);
    // Its pods must not match the Service's selector (name + instance), or the Service would route to them.
    const text = readFileSync(path.join(CHART, 'templates/index-job.yaml'), 'utf8');
    expect(text).toMatch(/template:\s*\n\s*metadata:\s*\n\s*labels:\s*\n\s*app\.kubernetes\.io\/name: \{\{ include "vitrine\.name" \. \}\}-indexer\n/);
    expect(text).not.toContain('helm.sh/hook');
  });
});

describe('health and metrics paths', () => {
  it('are routes of the app: /healthz and /readyz in the OpenAPI document, /metrics in it or listed as undocumented', async () => {
    const paths = Object.keys(openApiDocument.paths);
    expect(paths).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
    const openapiModule: Json = await import('../../src/http/openapi.js');
    const listed = Object.values(openapiModule).some(
      (v) => (Array.isArray(v) || v instanceof Set) && [...(v as Iterable<unknown>)].includes('/metrics'),
    );
    expect(paths.includes('/metrics') || listed, '/metrics is neither in openApiDocument.paths nor in a list exported by src/http/openapi.ts').toBe(true);
  });
});

describe('Jenkinsfile', () => {
  const jenkinsfile = read('Jenkinsfile');

  it('is a declarative pipeline with Test -> Build image -> Push -> Deploy', () => {
    expect(jenkinsfile).toMatch(/^pipeline \{/m);
    const stages = [...jenkinsfile.matchAll(/stage\('([^']+)'\)/g)].map((m) => m[1]);
    expect(stages).toEqual(['Test', 'Build image', 'Push', 'Deploy']);
    expect(jenkinsfile).toContain("sh 'bash .ci/run'");
    expect(jenkinsfile).toMatch(/docker build[^\n]*\$IMAGE:\$IMAGE_TAG/);
    expect(jenkinsfile).toMatch(/docker push "\$IMAGE:\$IMAGE_TAG"/);
    expect(jenkinsfile).toMatch(/helm upgrade --install "\$RELEASE" "\$CHART"/);
    expect(jenkinsfile).toContain("CHART = 'deploy/helm/vitrine'");
    expect(existsSync(path.join(ROOT, '.ci/run'))).toBe(true);
  });

  it('has balanced braces and parentheses', () => {
    const code = jenkinsfile.replace(/'''[\s\S]*?'''/g, "''").replace(/'[^'\n]*'/g, "''").replace(/"[^"\n]*"/g, '""').replace(/\/\/.*$/gm, '');
    for (const [open, close] of [['{', '}'], ['(', ')'], ['[', ']']]) {
      expect(code.split(open).length, `${open}${close}`).toBe(code.split(close).length);
    }
  });
});

describe('GitHub Actions workflow', () => {
  const workflow = yamlFile('.github/workflows/ci.yml');

  it('tests on Node 20 with chromium and python3-torch, and builds the image', () => {
    const steps: Json[] = workflow.jobs.test.steps;
    const runs = steps.map((s) => s.run ?? '').join('\n');
    expect(steps.find((s) => String(s.uses).startsWith('actions/checkout@'))).toBeTruthy();
    expect(steps.find((s) => String(s.uses).startsWith('actions/setup-node@'))?.with['node-version']).toBe(20);
    expect(runs).toMatch(/apt-get install[\s\S]*chromium[\s\S]*python3-torch/);
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npm test');
    const docker = workflow.jobs.docker;
    expect(docker.steps.some((s: Json) => String(s.uses).startsWith('docker/build-push-action@') && s.with.context === '.')).toBe(true);
    expect(JSON.stringify(docker.steps)).toContain(`localhost:${PORT}/healthz`);
  });

  it('runs the tests as .ci/run does: its apt packages, PostgreSQL primary and replica started first, then npm test', () => {
    const ciRun = read('.ci/run');
    const packages = /^packages=\(([^)]*)\)/m.exec(ciRun)?.[1].trim().split(/\s+/) ?? [];
    expect(packages).toContain('debootstrap');
    const runs: string[] = workflow.jobs.test.steps.map((s: Json) => String(s.run ?? ''));
    const all = runs.join('\n');
    for (const p of packages) expect(all, `the workflow installs ${p} as .ci/run does`).toMatch(new RegExp(`apt-get install[\\s\\S]*\\b${p}\\b`));
    // Steps run in order, so the order of their commands in the file is the order they run in.
    const order = ['bash scripts/postgres/start.sh', 'bash scripts/postgres/start-replica.sh', 'npm test'];
    for (const command of order) {
      expect(ciRun).toContain(command);
      expect(all).toContain(command);
    }
    expect(order.map((c) => all.indexOf(c))).toEqual(order.map((c) => all.indexOf(c)).sort((a, b) => a - b));
    expect(all).toContain('npm run typecheck');
  });

  it('lints the chart and checks the Prometheus files with promtool', () => {
    const runs = workflow.jobs['deploy-files'].steps.map((s: Json) => s.run ?? '').join('\n');
    expect(runs).toContain('helm lint deploy/helm/vitrine');
    expect(runs).toContain('promtool test rules alert-rules.test.yml');
  });
});

// promtool ships with Prometheus (Debian package `prometheus`, or the prom/prometheus image); PROMTOOL may name it.
function findPromtool(): string | undefined {
  const candidates = [process.env.PROMTOOL, ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'promtool'))];
  return candidates.find((c): c is string => Boolean(c) && existsSync(c!) && statSync(c!).isFile());
}
const promtool = findPromtool();
if (!promtool) console.warn('\n*** SKIPPING promtool checks: promtool is not on the PATH (set PROMTOOL=...); CI runs them in the prom/prometheus image ***\n');

describe.skipIf(!promtool)('promtool', () => {
  const run = (...args: string[]) => execFileSync(promtool!, args, { cwd: path.join(ROOT, 'deploy/prometheus'), encoding: 'utf8', stdio: 'pipe' });
  it('accepts the config and the rules, and the alert rules pass their unit tests', () => {
    expect(run('check', 'config', 'prometheus.yml')).toContain('SUCCESS');
    expect(run('test', 'rules', 'alert-rules.test.yml')).toContain('SUCCESS');
  });
});
