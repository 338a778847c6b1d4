/**
 * The deployment material in infra/deploy is checked with the validators a user would
 * run offline: systemd-analyze verify for the agent's unit, a structural schema for the
 * Kubernetes manifests and the SAM template (parsed as YAML), virt-xml-validate for the
 * libvirt snippet, and the Athena DDL against the Parquet columns the processor writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { packageRoot } from '#common/paths.js';
import { ROLLUP_COLUMNS } from '#processor/sinks/parquet.js';
import { athenaDdl } from '#processor/sinks/athenaDdl.js';
import { ProcessorConfig } from '#schemas/config/processor.js';
import { LAMBDA_ENV } from '#schemas/config/env.js';
import { loadLambdaConfig } from '#schemas/config/lambda.js';

const deploy = join(packageRoot(), 'infra', 'deploy');
const has = (cmd: string) => {
  const ok = spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!ok) console.log(`[deploy] skipping the ${cmd} check: ${cmd} is not installed (infra/deps.sh installs it as root)`);
  return ok;
};

const UNITS = ['qmpipe-agent.service', 'qmpipe-processor.service', 'qmpipe-alerts-forward.service'];

describe('systemd units', () => {
  it.skipIf(!has('systemd-analyze')).each(UNITS)('%s passes systemd-analyze verify (ExecStart pointed at this checkout)', (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'qmpipe-unit-'));
    const unit = readFileSync(join(deploy, 'systemd', name), 'utf8').replace('/usr/bin/qmpipe', join(packageRoot(), 'bin', 'qmpipe.mjs'));
    writeFileSync(join(dir, name), unit);
    const res = spawnSync('systemd-analyze', ['verify', join(dir, name)], { encoding: 'utf8' });
    expect(res.stderr.split('\n').filter((l) => l.includes(name))).toEqual([]);
    expect(res.status).toBe(0);
    for (const key of ['ProtectSystem=strict', 'NoNewPrivileges=yes', 'CapabilityBoundingSet=', 'User=qmpipe']) expect(unit).toContain(key);
    expect(unit).toMatch(/^(DevicePolicy=closed|PrivateDevices=yes)$/m);
    // A dynamic user is in no group of /etc/group: the agent could not reach libvirt's socket.
    expect(unit).not.toMatch(/^DynamicUser=yes/m);
    // connect(2) works on a read-only mount (test/unit/qmp-readonly-mount.test.ts): /run/qmp stays read-only.
    expect(unit).not.toMatch(/^ReadWritePaths=.*\/run\/qmp/m);
  });

  it('the example agent config spools where the unit may write (ProtectSystem=strict: StateDirectory or ReadWritePaths)', () => {
    const unit = readFileSync(join(deploy, 'systemd', 'qmpipe-agent.service'), 'utf8');
    const example = JSON.parse(readFileSync(join(packageRoot(), 'agent', 'agent.example.json'), 'utf8')) as { spool: { dir: string } };
    const values = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => m[1]!.trim().split(/\s+/));
    const writable = [...values('StateDirectory').map((d) => `/var/lib/${d}`), ...values('ReadWritePaths').map((p) => p.replace(/^-/, ''))];
    expect(
      writable.some((w) => example.spool.dir === w || example.spool.dir.startsWith(`${w}/`)),
      `${example.spool.dir} not under ${writable.join(', ')}`,
    ).toBe(true);
  });

  it("lets the agent read QEMU's /proc/<tid>/stat (the instance id names the process): other users' processes stay visible", () => {
    const unit = readFileSync(join(deploy, 'systemd', 'qmpipe-agent.service'), 'utf8');
    expect(unit).not.toMatch(/^ProtectProc=(invisible|noaccess|ptraceable)$/m);
    expect(unit).not.toMatch(/^ProcSubset=pid$/m);
  });
});

const container = z
  .object({
    name: z.string(),
    image: z.string(),
    args: z.array(z.string()),
    securityContext: z.object({
      readOnlyRootFilesystem: z.literal(true),
      allowPrivilegeEscalation: z.literal(false),
      capabilities: z.object({ drop: z.array(z.literal('ALL')) }),
    }),
    resources: z.object({ limits: z.object({ memory: z.string() }) }).passthrough(),
  })
  .passthrough();
const podTemplate = z
  .object({
    spec: z.object({ containers: z.array(container).min(1), securityContext: z.object({ runAsNonRoot: z.literal(true) }).passthrough() }).passthrough(),
  })
  .passthrough();
const workload = (kind: string) =>
  z
    .object({
      apiVersion: z.literal('apps/v1'),
      kind: z.literal(kind),
      metadata: z.object({ name: z.string(), namespace: z.string() }).passthrough(),
      spec: z.object({ selector: z.object({ matchLabels: z.record(z.string(), z.string()) }), template: podTemplate }).passthrough(),
    })
    .passthrough();

describe('Kubernetes manifests', () => {
  it('the agent DaemonSet mounts the QMP socket directory from the host and runs the agent', () => {
    const docs = parseAllDocuments(readFileSync(join(deploy, 'kubernetes', 'agent-daemonset.yaml'), 'utf8')).map((d) => d.toJS() as unknown);
    const ds = workload('DaemonSet').parse(docs[0]);
    const spec = (
      ds.spec.template as unknown as { spec: { volumes: Array<{ name: string; hostPath?: { path: string } }>; containers: Array<{ args: string[] }> } }
    ).spec;
    expect(spec.volumes.find((v) => v.name === 'qmp')?.hostPath?.path).toBe('/run/qmp');
    // The example config's spool dir is on a writable volume of the pod.
    const example = JSON.parse(readFileSync(join(packageRoot(), 'agent', 'agent.example.json'), 'utf8')) as { spool: { dir: string } };
    const mounts = (ds.spec.template as unknown as { spec: { containers: Array<{ volumeMounts: Array<{ mountPath: string; readOnly?: boolean }> }> } }).spec
      .containers[0]!.volumeMounts;
    expect(mounts.some((m) => !m.readOnly && (example.spool.dir === m.mountPath || example.spool.dir.startsWith(`${m.mountPath}/`)))).toBe(true);
    // The QMP sockets are mounted read-only; the probe does not read /metrics (VM names) on the host network.
    expect(mounts.find((m) => m.mountPath === '/run/qmp')?.readOnly).toBe(true);
    const c0 = (ds.spec.template as unknown as { spec: { containers: Array<{ readinessProbe?: { httpGet?: { path: string } } }> } }).spec.containers[0]!;
    expect(c0.readinessProbe?.httpGet?.path).toBe('/healthz');
    // The instance id reads QEMU's /proc/<vcpu tid>/stat: the host's PID namespace.
    expect((ds.spec.template as unknown as { spec: { hostPID?: boolean } }).spec.hostPID).toBe(true);
    expect(spec.containers[0]!.args.slice(0, 1)).toEqual(['agent']);
    expect(ds.spec.selector.matchLabels).toEqual((ds.spec.template as unknown as { metadata: { labels: Record<string, string> } }).metadata.labels);
  });

  it('the processor Deployment runs the processor with a scaling note', () => {
    const text = readFileSync(join(deploy, 'kubernetes', 'processor-deployment.yaml'), 'utf8');
    const dep = workload('Deployment').parse(parseYaml(text));
    expect((dep.spec.template as { spec: { containers: Array<{ args: string[] }> } }).spec.containers[0]!.args[0]).toBe('processor');
    expect(text).toMatch(/replicas <= partitions/);
  });

  it("run the image infra/package/Dockerfile documents, tagged with package.json's version", () => {
    const documented = /^# Image: (\S+)$/m.exec(readFileSync(join(packageRoot(), 'infra', 'package', 'Dockerfile'), 'utf8'))?.[1];
    const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(documented).toBe(`registry.example.invalid/qmpipe:${version}`);
    for (const file of ['agent-daemonset.yaml', 'processor-deployment.yaml']) {
      const images = [...readFileSync(join(deploy, 'kubernetes', file), 'utf8').matchAll(/^\s*image:\s*(\S+)\s*$/gm)].map((m) => m[1]);
      expect(images, file).toEqual([documented]);
    }
  });
});

describe('SAM template', () => {
  const names = ['Ref', 'Sub', 'GetAtt', 'Join', 'If', 'Not', 'Equals'];
  // CloudFormation's short forms, as scalars, sequences or mappings.
  const tags = names.flatMap((t) => [
    { tag: `!${t}`, resolve: (v: unknown) => ({ [t]: v }) },
    { tag: `!${t}`, collection: 'seq', resolve: (v: unknown) => ({ [t]: v }) },
  ]);
  const file = join(deploy, 'serverless', 'template.yaml');
  type Resource = { Type: string; Properties: Record<string, unknown> };
  const tpl = parseYaml(readFileSync(file, 'utf8'), { customTags: tags as never }) as { Transform: string; Resources: Record<string, Resource> };
  const fn = Object.values(tpl.Resources).find((r) => r.Type === 'AWS::Serverless::Function')!;
  const esm = Object.values(tpl.Resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping')!;

  it('declares the Lambda handler that exists in this build, behind a self-managed Kafka event source with SASL/SCRAM', () => {
    expect(tpl.Transform).toBe('AWS::Serverless-2016-10-31');
    expect(fn.Properties.Handler).toBe('dist/processor/src/lambda/handler.handler');
    expect(readFileSync(join(packageRoot(), 'processor', 'src', 'lambda', 'handler.ts'), 'utf8')).toMatch(/export const handler = createHandler\(/);
    expect(esm.Properties.FunctionName).toEqual({ Ref: 'ProcessorFunction' });
    expect(esm.Properties.SourceAccessConfigurations).toContainEqual({ Type: 'SASL_SCRAM_512_AUTH', URI: { Ref: 'KafkaSecretArn' } });
  });

  it('grants what the handler does and the event source needs, no more: its objects, the SASL secret', () => {
    const policies = fn.Properties.Policies as Array<{ Statement?: Array<Record<string, unknown>> } | string>;
    expect(JSON.stringify(policies)).not.toMatch(/S3CrudPolicy|FullAccess/);
    const statements = policies.flatMap((p) => (typeof p === 'object' && p.Statement ? p.Statement : []));
    const actions = statements.flatMap((st) => (st.Action as string[] | undefined) ?? []);
    expect(actions.filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: { Ref: 'KafkaSecretArn' } });
  });

  it('takes the VPC as parameters: the function and the event source join it when a subnet is given', () => {
    const vpc = JSON.stringify(fn.Properties.VpcConfig);
    for (const part of ['"If"', 'InVpc', 'KafkaSubnetA', 'KafkaSecurityGroup', 'AWS::NoValue']) expect(vpc).toContain(part);
    const types = JSON.stringify(esm.Properties.SourceAccessConfigurations);
    expect(types).toMatch(/VPC_SUBNET/);
    expect(types).toMatch(/VPC_SECURITY_GROUP/);
  });

  it("sets the function's environment from the config schema, which validates it (SASL and TLS like the processor)", () => {
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const bound = new Set(LAMBDA_ENV.map((b) => b.name));
    for (const name of Object.keys(env)) if (name !== 'NODE_OPTIONS') expect(bound.has(name), name).toBe(true);
    const sample: Record<string, string> = {
      RawTopic: 'qmpipe.raw',
      AlertsTopic: 'qmpipe.alerts',
      SchemaTopic: 'qmpipe.schemas',
      RollupBucketName: 'qmpipe-rollups',
      KafkaTls: 'true',
    };
    const value = (v: unknown): string =>
      typeof v === 'string'
        ? v
        : 'Ref' in (v as object)
          ? (sample[(v as { Ref: string }).Ref] ?? 'x')
          : 'Join' in (v as object)
            ? 'b1:9096,b2:9096'
            : 'from-the-secret';
    const cfg = loadLambdaConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, value(v)])));
    expect(cfg.kafka.sasl?.mechanism).toBe('scram-sha-512');
    expect(cfg.kafka.tls?.rejectUnauthorized).toBe(true);
    expect(cfg.s3.bucket).toBe('qmpipe-rollups');
  });

  it.skipIf(!has('cfn-lint'))('passes cfn-lint (SAM transform included)', () => {
    const res = spawnSync('cfn-lint', ['--ignore-checks', 'W1030', '--', file], { encoding: 'utf8' });
    expect(res.stdout + res.stderr).toBe('');
    expect(res.status).toBe(0);
  });
});

describe('libvirt snippet', () => {
  it.skipIf(!has('virt-xml-validate') || !has('xmllint'))("validates against libvirt's domain schema", () => {
    const res = spawnSync('virt-xml-validate', [join(deploy, 'libvirt', 'qmp-socket.xml'), 'domain'], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout + res.stderr).toMatch(/validates/);
  });
});

describe('Athena table', () => {
  it('is the one generated from the column list and the default resolutions (qmpipe athena-ddl)', () => {
    const ddl = readFileSync(join(deploy, 'athena', 'rollups.sql'), 'utf8');
    expect(ddl).toBe(athenaDdl(ProcessorConfig.parse({}).rollup.resolutionsMs));
    const body = ddl.slice(ddl.indexOf('(\n') + 1, ddl.indexOf('PARTITIONED BY'));
    const cols = [...body.matchAll(/^\s*`?([a-z_0-9]+)`?\s+(timestamp|int|string|bigint|double)/gm)].map((m) => m[1]);
    expect(cols).toEqual(ROLLUP_COLUMNS.map((c) => c.name));
    expect(ddl).toContain("'projection.resolution.values' = '1m,1h,1d'");
  });
});
