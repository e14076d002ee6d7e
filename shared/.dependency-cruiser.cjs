// The core's layers, checked by `npm run lint:layers` (part of `npm run lint`). Each layer may
// import the ones below it and never one above; the two engines never import each other; and
// no file takes part in an import cycle, type-only imports included. ARCHITECTURE.md draws the map.
//
//   cli, lambda                 front ends (the extension and the desktop app are packages of their own)
//   app                         connection, running a job, notify, schedule, demo
//   infra                       IAM policies and CloudFormation stacks
//   tables | folders            the two engines, side by side
//   storage                     objects in the bucket
//   base                        aws, errors, jobs, session, state
const layers = ['base', 'storage', 'tables|folders', 'infra', 'app', 'cli|lambda'];
const path = (names) => `^src/(${names})/`;

const upward = layers.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer.replace('|', '-')}`,
  comment: `${layer} may not import a layer above it`,
  severity: 'error',
  from: { path: path(layer) },
  to: { path: path(layers.slice(i + 1).join('|')) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'engines-side-by-side',
      comment: 'the table engine and the folder engine share only the layers below them',
      severity: 'error',
      from: { path: path('tables') },
      to: { path: path('folders') },
    },
    {
      name: 'engines-side-by-side-2',
      comment: 'the table engine and the folder engine share only the layers below them',
      severity: 'error',
      from: { path: path('folders') },
      to: { path: path('tables') },
    },
    {
      name: 'front-ends-apart',
      comment: 'the CLI and the Lambda handler are separate front ends',
      severity: 'error',
      from: { path: path('lambda') },
      to: { path: path('cli') },
    },
    {
      name: 'no-root-index-inside',
      comment: 'the package index is for other packages; inside the core, import the file that declares the name',
      severity: 'error',
      from: { path: '^src/.+/' },
      to: { path: '^src/index\\.ts$' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
  },
};
