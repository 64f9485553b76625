// A node test environment that loads @kubernetes/client-node with Node's own require:
// jest's module loader cannot load ES modules before Node 24.9, Node's can since 20.19.
// Tests hand it to the code under test with
//   jest.mock('@kubernetes/client-node', () => globalThis.__clientNode)
const { TestEnvironment } = require('jest-environment-node');

class KubeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.__clientNode = require('@kubernetes/client-node');
  }
}

module.exports = KubeEnvironment;
