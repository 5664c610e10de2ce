/** The package from CommonJS, with its `.d.cts` types: `require('tessera')`. */
import tessera = require('tessera');

const checked = tessera.checkMethod(tessera.ijepa({ preset: 'tiny' }));
if (checked._tag !== 'Right') throw new Error(tessera.renderIssues(checked.left, 'i-jepa'));
console.log(
  `cjs: i-jepa tiny checks (${checked.right.nodes.length} nodes); methods ${tessera.methodNames.join(', ')}`,
);
