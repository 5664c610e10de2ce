/** The HTML run report: file formats, SVG charts, the page, and `writeReport(runDir)`. */
export * from './formats.js';
export * from './svg.js';
export * from './html.js';
export * from './writeReport.js';
