/** Layer boundaries: domain ← application ← adapters ← bootstrap/main. Dependencies point inward only. */
module.exports = {
  forbidden: [
    { name: 'domain-is-pure', severity: 'error', comment: 'The domain imports nothing outside itself.',
      from: { path: '^src/domain' }, to: { pathNot: '^src/domain' } },
    { name: 'application-uses-ports-only', severity: 'error', comment: 'Use cases know the domain and their ports, never an adapter or the composition root.',
      from: { path: '^src/application' }, to: { path: '^src/(adapters|bootstrap)|^src/main' } },
    { name: 'application-no-frameworks', severity: 'error', comment: 'No framework or driver in the core.',
      from: { path: '^src/(application|domain)' }, to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer'] } },
    { name: 'adapters-stay-apart', severity: 'error', comment: 'An adapter never imports another adapter family or the composition root.',
      from: { path: '^src/adapters/([^/]+)/' }, to: { path: '^src/(adapters/(?!$1/)|bootstrap|main)' } },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] },
  },
};
