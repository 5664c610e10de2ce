/**
 * ST-STORM generator `G(x, style = y)` (content encoder, style encoder, SPADE decoder) and the
 * PatchGAN discriminator with optional spectral norm (methods.md 3.2).
 */
import { chain, left, right, type Either } from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Issue } from '../../ir/issue.js';
import type { Generator, PatchGan } from '../../ir/net.js';
import type { TensorType } from '../../ir/types.js';
import { convStep, expectImage } from './conv.js';
import { patchGanChannels } from '../../ir/params/convnets.js';
import { expectPositive, issuesOf, type Inferred, type Rule } from './rule.js';

/** Generator: `x` content image, `style` style image -> image like `x`. */
export const generatorRule: Rule<Generator> = {
  ports: { required: ['x', 'style'] },
  infer: (n, inputs, ctx) => {
    const x = inputs['x'];
    const y = inputs['style'];
    if (x === undefined || y === undefined) return left([]);
    const content = ctx.infer(n.encoder, { x }, [...ctx.path, 'encoder']);
    const style = ctx.infer(n.styleEncoder, { x: y }, [...ctx.path, 'styleEncoder']);
    if (content._tag === 'Left' || style._tag === 'Left')
      return left([...issuesOf(content), ...issuesOf(style)]);
    return pipe(
      ctx.infer(n.decoder, { content: content.right.output, style: style.right.output }, [
        ...ctx.path,
        'decoder',
      ]),
      chain((d) =>
        right({ output: d.output, flops: content.right.flops + style.right.flops + d.flops }),
      ),
    );
  },
};

type Step = Either<ReadonlyArray<Issue>, Inferred & { readonly output: TensorType }>;

/** PatchGan: image `[B, H, W, in]` -> logits image `[B, h, w, 1]` (`layers` stride-2 convs, then 4x4 s1 p1). */
export const patchGanRule: Rule<PatchGan> = {
  ports: { required: ['x'] },
  infer: (n, inputs, ctx) => {
    const ranges = [
      ...expectPositive(ctx, 'ndf', n.ndf),
      ...expectPositive(ctx, 'layers', n.layers),
    ];
    if (ranges.length > 0) return left(ranges);
    return pipe(
      expectImage(ctx, inputs, 'x', n.inChannels, (got) => `Net.patchGan({ in: ${got}, ... })`),
      chain((x) =>
        Array.from({ length: n.layers + 1 }, (_, i) => i).reduce<Step>(
          (acc, i) =>
            pipe(
              acc,
              chain((a) =>
                pipe(
                  convStep(
                    ctx,
                    a.output,
                    { kernel: 4, stride: i < n.layers ? 2 : 1, padding: 1 },
                    patchGanChannels(n, i),
                    `conv ${i}`,
                  ),
                  chain((r) => right({ output: r.output, flops: a.flops + r.flops })),
                ),
              ),
            ),
          right({ output: x, flops: 0 }),
        ),
      ),
    );
  },
};
