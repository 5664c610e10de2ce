/** A spec module for `tessera check spec.ts`: a library method with one option changed. */
import { Method, mocoV3 } from 'tessera';

export default Method.override(
  'objectives.contrastive.terms.ctr_12.loss.temperature',
  0.1,
)(mocoV3({ preset: 'tiny' }));
