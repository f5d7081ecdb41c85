// Validates every manifest in deploy/k8s against the Kubernetes API schemas shipped by `kubernetes-models`.
import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const dir = new URL('../deploy/k8s/', import.meta.url);
let failures = 0;
let checked = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
  for (const document of parseAllDocuments(readFileSync(new URL(file, dir), 'utf8'))) {
    const manifest = document.toJS() as { apiVersion: string; kind: string; metadata?: { name?: string } };
    const group = manifest.apiVersion.includes('/') ? manifest.apiVersion : `core/${manifest.apiVersion}`;
    const [apiGroup, version] = group.split('/') as [string, string];
    const modulePath = apiGroup === 'core' ? `kubernetes-models/${version}/${manifest.kind}` : `kubernetes-models/${apiGroup}/${version}/${manifest.kind}`;
    const name = `${file}: ${manifest.kind} ${manifest.metadata?.name ?? ''}`;
    try {
      const module = (await import(modulePath)) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = module[manifest.kind] ?? module.default;
      if (!Model) throw new Error(`no model for ${manifest.apiVersion} ${manifest.kind}`);
      new Model(manifest).validate();
      checked += 1;
      console.log(`ok    ${name}`);
    } catch (error) {
      failures += 1;
      console.log(`FAIL  ${name}: ${(error as Error).message}`);
    }
  }
}
const kustomization = parseAllDocuments(readFileSync(new URL('kustomization.yaml', dir), 'utf8'))[0]?.toJS() as { resources: string[] };
for (const resource of kustomization.resources) readFileSync(new URL(resource, dir));
console.log(`${checked} manifests valid, ${failures} invalid; kustomization lists ${kustomization.resources.length} existing files`);
process.exitCode = failures > 0 ? 1 : 0;
