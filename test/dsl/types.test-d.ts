/**
 * Type tests: what `tsc` must accept and what it must reject in DSL compositions.
 */
import { describe, expectTypeOf, test } from 'vitest';
import {
  Branch,
  Loss,
  Mask,
  Net,
  Predictor,
  Schedule,
  Value,
  View,
  type Idx,
  type Img,
  type Tok,
  type Vec,
} from '../../dsl/index.js';

const images = Value.images();

describe('positive compositions', () => {
  test('constructors carry literal dims', () => {
    expectTypeOf(Net.linear({ in: 768, out: 10 })).toEqualTypeOf<
      Net<Vec<768>, Vec<10>, 'Linear'>
    >();
    expectTypeOf(Net.vit({ dim: 384 })).toEqualTypeOf<Net<Img<3>, Vec<384>, 'Vit'>>();
    expectTypeOf(Net.vit({ dim: 64, output: 'tokens' })).toEqualTypeOf<
      Net<Img<3>, Tok<64>, 'Vit'>
    >();
    expectTypeOf(Net.resnet50()).toEqualTypeOf<Net<Img<3>, Vec<2048>, 'ResNet'>>();
    expectTypeOf(Predictor.mlp({ in: 256 })).toEqualTypeOf<Net<Vec<256>, Vec<256>, 'Mlp'>>();
  });

  test('seq threads types through activations and pooling', () => {
    const head = Net.seq(Net.linear({ in: 8, out: 16 }), Net.relu, Net.linear({ in: 16, out: 4 }));
    expectTypeOf(head).toEqualTypeOf<Net<Vec<8>, Vec<4>, 'Sequential'>>();
    const enc = Net.seq(
      Net.vit({ dim: 384, output: 'tokens' }),
      Net.pool(),
      Net.mlp({ in: 384, hidden: 4096, out: 256 }),
    );
    expectTypeOf(enc).toEqualTypeOf<Net<Img<3>, Vec<256>, 'Sequential'>>();
  });

  test('a plain number dim fits any dim', () => {
    const width: number = 4096;
    const ok = Net.seq(Net.linear({ in: 8, out: width }), Net.linear({ in: 256, out: 2 }));
    expectTypeOf(ok).toEqualTypeOf<Net<Vec<8>, Vec<2>, 'Sequential'>>();
  });

  test('applying modules types the value; predictor width matches the projector', () => {
    const backbone = Branch.make('backbone', Net.vit({ dim: 768 }));
    const projector = Branch.make('projector', Net.mlp({ in: 768, hidden: 4096, out: 256 }));
    const predictor = Branch.make('predictor', Predictor.mlp({ in: 256 }));
    const q = predictor.apply(projector.apply(backbone.apply(images)));
    expectTypeOf(q).toEqualTypeOf<Value<Vec<256>>>();
    const target = Branch.ema('target', projector, {
      momentum: 0.99,
      net: Net.mlp({ in: 768, hidden: 4096, out: 256 }),
    });
    expectTypeOf(target.apply(backbone.apply(images))).toEqualTypeOf<Value<Vec<256>>>();
    expectTypeOf(
      Loss.infoNCE({ query: q, key: Branch.stopGradient(q) }).node._tag,
    ).toEqualTypeOf<'InfoNCE'>();
  });

  test('struct fields, gathers and schedules', () => {
    const masks = Mask.multiBlock({ grid: [8, 8] });
    expectTypeOf(Value.field(masks, 'targets')).toEqualTypeOf<Value<Idx>>();
    const tokens = Branch.make('enc', Net.vit({ dim: 64, output: 'tokens' })).apply(images);
    expectTypeOf(Value.gather(tokens, Value.field(masks, 'targets'))).toEqualTypeOf<
      Value<Tok<64>>
    >();
    const style = Branch.make('style', Net.styleEncoder({ tokenDim: 256 })).apply(images);
    expectTypeOf(Value.field(style, 'tokens')).toEqualTypeOf<Value<Tok<256>>>();
    expectTypeOf(Schedule.of(0.1)).toMatchTypeOf<Schedule>();
  });
});

describe('compositions that must not compile', () => {
  test('a 4096-wide output fed to a net expecting 256', () => {
    // @ts-expect-error Vec<4096> does not fit Vec<256>
    Net.seq(Net.linear({ in: 8, out: 4096 }), Net.linear({ in: 256, out: 2 }));
  });

  test('a predictor whose input width differs from the projector output', () => {
    const projector = Branch.make('projector', Net.mlp({ in: 768, hidden: 4096, out: 4096 }));
    const predictor = Branch.make('predictor', Predictor.mlp({ in: 256 }));
    const z = projector.apply(Branch.make('backbone', Net.vit({ dim: 768 })).apply(images));
    // @ts-expect-error Vec<4096> does not fit the predictor's Vec<256>
    predictor.apply(z);
  });

  test('tokens into a vector net', () => {
    // @ts-expect-error Tok<384> does not fit Vec<384>
    Net.seq(Net.vit({ dim: 384, output: 'tokens' }), Net.mlp({ in: 384, hidden: 10, out: 256 }));
  });

  test('a vector loss given tokens', () => {
    const tokens = Branch.make('enc', Net.vit({ dim: 384, output: 'tokens' })).apply(images);
    // @ts-expect-error InfoNCE needs vectors, not tokens
    Loss.infoNCE({ query: tokens, key: tokens });
  });

  test('a contrastive key of another width than the query', () => {
    const a = Branch.make('a', Net.linear({ in: 3, out: 128 })).apply(Value.fn(Net.pool(), images));
    const b = Branch.make('b', Net.linear({ in: 3, out: 256 })).apply(Value.fn(Net.pool(), images));
    // @ts-expect-error Vec<256> does not fit Vec<128>
    Loss.infoNCE({ query: a, key: b });
  });

  test('an EMA whose stated net has another architecture than its source', () => {
    const online = Branch.make('online', Net.vit({ dim: 384 }));
    // @ts-expect-error a ResNet is not the ViT of the source
    Branch.ema('target', online, { momentum: 0.99, net: Net.resnet50() });
    // @ts-expect-error a ViT of another width is not the source's architecture either
    Branch.ema('target', online, { momentum: 0.99, net: Net.vit({ dim: 768 }) });
  });

  test('an image branch applied to a vector, and a view of a vector', () => {
    const cnn = Branch.make('cnn', Net.resnet18());
    const v = Value.fn(Net.pool(), images);
    // @ts-expect-error Vec<3> does not fit Img<3>
    cnn.apply(v);
    // @ts-expect-error views are of images
    View.make('v', v, []);
  });

  test('an image with the wrong channel count', () => {
    const gray = Branch.make('gray', Net.conv2d({ in: 1, out: 8, kernel: 3 }));
    // @ts-expect-error Img<3> does not fit Img<1>
    gray.apply(images);
  });
});
