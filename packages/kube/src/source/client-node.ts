import type * as ClientNode from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

/**
 * @kubernetes/client-node is published as ES modules only. This package is CommonJS,
 * and Node (≥ 20.19, our floor) loads ES modules through require(), so it is loaded
 * here, once, with the library's own types.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const k8s = require('@kubernetes/client-node') as typeof ClientNode;
