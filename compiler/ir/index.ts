/** The IR: types, node unions, the resolved graph and issues. */
export * from './types.js';
export * from './net.js';
export * from './augment.js';
export * from './loss.js';
export * from './schedule.js';
export * from './optim.js';
export * from './node.js';
export * from './graph.js';
export * from './issue.js';
