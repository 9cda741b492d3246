const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

module.exports = {
  output: { path: join(__dirname, '../../dist/apps/user') },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: true,
      externalDependencies: 'all',
      // The gRPC API's .proto files, beside main.js: libs/contracts' PROTO_ROOT resolves to
      // `<dir of main.js>/proto` in the bundle.
      assets: [{ input: 'libs/contracts/src/proto', glob: '**/*.proto', output: 'proto' }],
    }),
  ],
};
