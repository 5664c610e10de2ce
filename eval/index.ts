/** Frozen-feature evaluation: splits, probes (linear, kNN), metrics, PCA and the HTML report. */
export * from './metrics.js';
export * from './split.js';
export * from './knn.js';
export * from './linearProbe.js';
export * from './pca.js';
export * from './probe.js';
export * from './report/index.js';
